"""The PyTorch script of a data surface's run: the same model, the same batches.

Where PyTorch is importable the scripts run for real and must end where simulate ends, to
1e-9. Everywhere, the script's batch draw (its own text, executed) must give the tables
:func:`batch_indices` gives, and a NumPy twin of the script's training loop (PyTorch's
documented SGD rule, the script's loss differentiated by hand, explicit index batches)
must reproduce simulate's mini-batch run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from momentum_viz import framework_snippet, simulate
from momentum_viz.numerics.minibatch import batch_indices
from momentum_viz.numerics.snippets import frameworks_for
from momentum_viz.numerics.snippets_data import BATCH_FUNCTION
from surfaces import SURFACES, least_squares, logistic

METHODS = ("sgd", "momentum", "nesterov")
SURFACES_UNDER_TEST = (least_squares(False), least_squares(True), logistic())
# (batch size, batches): one example, a mid-size batch, epochs, all data.
BATCHING = [(1, "independent"), (16, "independent"), (16, "epoch"), (None, "independent")]


def _script_batch_function():
    scope = {"np": np}
    exec(compile(BATCH_FUNCTION, "<script batch_indices>", "exec"), scope)  # our own text
    return scope["batch_indices"]


@pytest.mark.parametrize(
    ("n", "b", "steps", "seed", "mode"),
    [(235, 1, 300, 0, "independent"), (235, 32, 1000, 5, "independent"),
     (100, 7, 50, 2, "epoch"), (100, 30, 41, 9, "epoch"), (20, 19, 5000, 1, "independent")],
)  # fmt: skip
def test_the_scripts_batches_are_the_apps(n, b, steps, seed, mode):
    script = np.array(_script_batch_function()(n, b, steps, seed, mode))
    np.testing.assert_array_equal(script, batch_indices(n, b, steps=steps, seed=seed, batches=mode))


def _script_gradient(surface, theta, idx):
    """∇ of the script's J(θ, idx), by hand: least squares mean((θ₀x + θ₁ − y)²), logistic
    mean(softplus(z) − y z) with z = Xθ."""
    features, labels = surface.data
    x, y = features[idx], labels[idx]
    if surface.model == "least-squares":
        r = theta[0] * x[:, 0] + theta[1] - y
        return np.array([np.mean(2 * r * x[:, 0]), np.mean(2 * r)])
    z = x @ theta
    return np.mean((1 / (1 + np.exp(-z)) - y)[:, None] * x, axis=0)


def _torch_twin(surface, method, lr, gamma, steps, b, seed, mode):
    """torch.optim.SGD's documented rule (dampening 0) over the script's batches, and the
    script's conversion back from the look-ahead point."""
    nesterov = method == "nesterov"
    gamma = 0.0 if method == "sgd" else gamma
    n = surface.n_examples
    table = _script_batch_function()(n, b, steps, seed, mode) if b else None
    p, buf = np.array(surface.start, dtype=float), None
    for t in range(steps):
        g = _script_gradient(surface, p, np.arange(n) if table is None else table[t])
        if gamma != 0:
            buf = g.copy() if buf is None else gamma * buf + g
            g = g + gamma * buf if nesterov else buf
        p = p - lr * g
    return p + gamma * lr * buf if nesterov else p


@pytest.mark.parametrize(("b", "mode"), BATCHING)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("surface", SURFACES_UNDER_TEST, ids=lambda s: s.title)
def test_a_numpy_twin_of_the_script_reproduces_simulate(surface, method, b, mode):
    lr, gamma, steps, seed = surface.lr / 4, 0.7, 150, 4
    run = simulate(surface, method, surface.start, lr=lr, momentum=gamma, steps=steps,
                   batch_size=b, seed=seed, batches=mode)  # fmt: skip
    assert run.diverged_at == -1
    twin = _torch_twin(surface, method, lr, gamma, steps, b, seed, mode)
    np.testing.assert_allclose(twin, run.positions[-1], rtol=0, atol=1e-10)
    other_seed = _torch_twin(surface, method, lr, gamma, steps, b, seed + 1, mode)
    assert b is None or np.abs(other_seed - run.positions[-1]).max() > 1e-6


def _cases():
    for surface in SURFACES_UNDER_TEST:
        for method in METHODS:
            for b, mode in BATCHING:
                yield surface, method, b, mode


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="torch not importable (a heavy test-only dependency)",
)
def test_pytorch_scripts_reproduce_simulate():
    cases = list(_cases())
    lr_of = {s.title: s.lr / 4 for s in SURFACES_UNDER_TEST}
    for surface, method, b, mode in cases:
        kwargs = dict(lr=lr_of[surface.title], momentum=0.7, steps=150)
        source = framework_snippet(surface, method, surface.start, framework="pytorch",
                                   batch_size=b, seed=4, batches=mode, **kwargs)  # fmt: skip
        done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                              timeout=300, check=True)  # fmt: skip
        line = done.stdout.strip().splitlines()[-1]
        point = np.array([float(v) for v in line.split("(")[-1].rstrip(")").split(",")])
        run = simulate(surface, method, surface.start, batch_size=b, seed=4, batches=mode,
                       **kwargs)  # fmt: skip
        np.testing.assert_allclose(point, run.positions[-1], rtol=0, atol=1e-9)


def test_the_script_states_its_batches_and_compiles():
    source = framework_snippet(logistic(), "nesterov", (0.0, 0.0), lr=0.1, momentum=0.9,
                               steps=100, framework="pytorch", batch_size=10, seed=3,
                               batches="epoch")  # fmt: skip
    compile(source, "<snippet>", "exec")
    for text in ("BATCH_SIZE = 10", "SEED = 3", "BATCHES = 'epoch'", "torch.optim.SGD(",
                 "softplus", "DATA = [", "(4.7, 1.4, 0.0)"):  # fmt: skip
        assert text in source
    full = framework_snippet(least_squares(), "sgd", (0.0, 0.0), lr=0.001, momentum=0.0,
                             steps=10, framework="pytorch", batch_size=235)  # fmt: skip
    assert "BATCH_SIZE = None" in full  # b = N is all data, as simulate runs it


def test_data_surfaces_offer_pytorch_only_and_refuse_the_others():
    assert frameworks_for(logistic()) == ("pytorch",)
    assert frameworks_for(SURFACES["rosenbrock"]) == ("pytorch", "keras", "optax")
    with pytest.raises(ValueError, match="framework must be one of pytorch for this surface"):
        framework_snippet(logistic(), "sgd", (0.0, 0.0), lr=0.1, momentum=0.0, steps=10,
                          framework="keras")  # fmt: skip
    with pytest.raises(ValueError, match="batch_size must be None on the surface 'rosenbrock'"):
        framework_snippet("rosenbrock", "sgd", (0.0, 0.0), lr=0.1, momentum=0.0, steps=10,
                          framework="pytorch", batch_size=3)  # fmt: skip
