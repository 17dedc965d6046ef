r"""The PyTorch script of a run on a data surface: the same model, the same batches.

The script embeds the data set, writes the loss as the mean over a batch of example
indices (squared error, or the logistic loss via ``softplus``), draws the batches as
:func:`.minibatch.batch_indices` does (NumPy, the same generator and seed: the same
batches in the same order) and trains with ``torch.optim.SGD`` on explicit index batches,
then prints the final point in this app's convention (the Nesterov conversion as in
:mod:`.snippets`).

``BATCH_FUNCTION`` is the script's batch draw; the tests run it against
:func:`.minibatch.batch_indices` (the same tables) wherever PyTorch is absent.
"""

from __future__ import annotations

from surfaces import DataSurface

from .minibatch import BATCH_STREAM

__all__ = ["BATCH_FUNCTION", "data_script"]

#: The batch draw of the scripts: equal to minibatch.batch_indices, written for reading
#: (one step at a time draws the same random numbers as minibatch's slices of steps).
BATCH_FUNCTION = f'''
def batch_indices(n, b, steps, seed, mode):
    """Each step's example indices, as momentum-viz draws them (same seed: same batches)."""
    rng = np.random.default_rng((seed, {BATCH_STREAM:#x}))
    if mode == "independent":  # every step: b of the n examples, without replacement
        return [np.argsort(rng.random(n), kind="stable")[:b] for _ in range(steps)]
    batches = []  # "epoch": one shuffle per epoch, dealt out in n // b disjoint batches
    while len(batches) < steps:
        order = np.argsort(rng.random(n), kind="stable")
        batches += [order[k * b : (k + 1) * b] for k in range(n // b)]
    return batches[:steps]
'''

_LOSS = {
    "least-squares": (
        "def J(theta, idx):\n"
        '    """Mean squared error of the line slope·x + intercept over the examples idx."""\n'
        "    return torch.mean((theta[0] * X[idx, 0] + theta[1] - Y[idx]) ** 2)\n"
    ),
    "logistic": (
        "def J(theta, idx):\n"
        '    """Mean logistic loss log(1 + e^z) − y·z over the examples idx, z = w1·x1 + w2·x2.'
        '"""\n'
        "    z = X[idx] @ theta\n"
        "    return torch.mean(torch.nn.functional.softplus(z) - Y[idx] * z)\n"
    ),
}

_BODY = """
batches = batch_indices(len(Y), BATCH_SIZE, STEPS, SEED, BATCHES) if BATCH_SIZE else None
every_example = torch.arange(len(Y))
p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
opt = torch.optim.SGD([p], lr=LR, momentum=MOMENTUM, dampening=0.0, nesterov=NESTEROV)
for t in range(STEPS):
    idx = every_example if batches is None else torch.as_tensor(batches[t])
    opt.zero_grad()
    J(p, idx).backward()
    opt.step()

theta = p.detach().clone()
if NESTEROV:
    # PyTorch stores the look-ahead point p = θ − γv with v = α·buf: θ = p + γ·α·buf.
    buf = opt.state[p]["momentum_buffer"]
    theta = theta + MOMENTUM * LR * buf
print(f"final theta (app convention): ({float(theta[0])!r}, {float(theta[1])!r})")
"""


def data_script(
    surface: DataSurface,
    header: str,
    settings: str,
    *,
    batch_size: int | None,
    seed: int,
    batches: str,
) -> str:
    """The PyTorch script of a run on ``surface`` (``header`` and ``settings`` as
    :func:`.snippets.framework_snippet` writes them; ``batch_size`` None is all data)."""
    features, labels = surface.data
    rows = ",\n".join(
        "    (" + ", ".join(repr(float(v)) for v in (*row, label)) + ")"
        for row, label in zip(features.tolist(), labels.tolist(), strict=True)
    )
    columns = "x, y" if surface.model == "least-squares" else "x1, x2, label"
    data = (
        f"# The data: {surface.n_examples} examples ({columns}), as momentum-viz uses them.\n"
        f"DATA = [\n{rows},\n]\n"
        "X = torch.tensor([row[:-1] for row in DATA], dtype=torch.float64)\n"
        "Y = torch.tensor([row[-1] for row in DATA], dtype=torch.float64)\n"
    )
    batching = (
        f"BATCH_SIZE = {batch_size!r}  # None: every step uses all the data\n"
        f"SEED = {seed!r}\n"
        f"BATCHES = {batches!r}\n"
    )
    return (
        header
        + "import numpy as np\nimport torch\n\n"
        + data
        + "\n\n"
        + _LOSS[surface.model]
        + "\n"
        + BATCH_FUNCTION
        + "\n\n"
        + settings
        + batching
        + _BODY
    )
