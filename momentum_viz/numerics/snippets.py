r"""The same run in your framework: a copyable PyTorch, Keras 3 or optax script.

:func:`framework_snippet` writes a self-contained script that runs the app's current
run (surface, start, α, γ, method, steps) with the framework's own optimizer —
``torch.optim.SGD``, ``keras.optimizers.SGD`` or ``optax.sgd`` — in float64, and
prints the final point **in this app's convention**. Only noise-free runs are
reproduced (the app shows a note instead of a script when noise > 0).

The conventions (see :mod:`momentum_viz.numerics.optimizer`), with heavy-ball velocity
``v`` and gradient ``g``:

* this app: ``v ← γ·v + α·g``, ``θ ← θ − v`` (``v`` in parameter units, α inside);
* PyTorch ``SGD(momentum=γ, dampening=0)``: ``buf ← γ·buf + g``, ``p ← p − α·buf``, so
  ``v = α·buf``;
* Keras 3 ``SGD(momentum=γ)``: ``m ← γ·m − α·g``, ``p ← p + m``, so ``v = −m``;
* optax ``sgd(α, γ)`` = ``trace(decay=γ)`` then ``scale(−α)``: ``t ← γ·t + g``,
  ``p ← p − α·t``, so ``v = α·t`` (PyTorch's rule).

For Nesterov every framework stores the *look-ahead point* ``p = θ − γ·v`` as its
parameters (this app stores θ), so each script converts back: ``θ = p + γ·v``, i.e.
``p + γ·α·buf`` (PyTorch), ``p − γ·m`` (Keras), ``p + γ·α·t`` (optax). The derivations
are written in the scripts' comments.

This module is pure text generation: it imports nothing of the views or the app, and
none of the frameworks.

>>> code = framework_snippet("rosenbrock", "momentum", (-1.5, 2.0), lr=1e-3,
...                          momentum=0.9, steps=100, framework="pytorch")
>>> "torch.optim.SGD(" in code and "lr=LR" in code and "LR = 0.001" in code
True
"""

from __future__ import annotations

import ast
import math
from typing import Literal

from surfaces import DataSurface, Surface
from surfaces.multiwell import BOWL, WELLS

from .minibatch import check_batching
from .snippets_data import data_script
from .validation import (
    check_lr,
    check_method,
    check_momentum,
    check_points,
    check_steps,
    check_surface,
    reject,
)

__all__ = [
    "CONVENTIONS",
    "EMA_NOTE",
    "FRAMEWORKS",
    "Framework",
    "framework_snippet",
    "frameworks_for",
]

Framework = Literal["pytorch", "keras", "optax"]
#: The frameworks :func:`framework_snippet` writes for, in the order the app shows them.
FRAMEWORKS: tuple[Framework, ...] = ("pytorch", "keras", "optax")

#: The frameworks a data surface's script is written for (its batches are PyTorch's).
DATA_FRAMEWORKS: tuple[Framework, ...] = ("pytorch",)


def frameworks_for(surface: Surface) -> tuple[Framework, ...]:
    """The frameworks :func:`framework_snippet` writes ``surface``'s scripts for."""
    return DATA_FRAMEWORKS if isinstance(surface, DataSurface) else FRAMEWORKS


#: Each framework's convention next to this app's, as rows of a small table: the
#: velocity's sign and scaling, where α enters, and what Nesterov stores.
CONVENTIONS: tuple[dict[str, str], ...] = (
    {
        "convention": "this app",
        "velocity": "v ← γv + α∇J (parameter units, points uphill)",
        "where α enters": "inside v",
        "step": "θ ← θ − v",
        "Nesterov stores": "θ (gradient taken at θ − γv)",
    },
    {
        "convention": "PyTorch SGD",
        "velocity": "buf ← γ·buf + ∇J  (v = α·buf)",
        "where α enters": "at the step, outside buf",
        "step": "p ← p − α·buf",
        "Nesterov stores": "look-ahead p = θ − γv  (θ = p + γα·buf)",
    },
    {
        "convention": "Keras 3 SGD",
        "velocity": "m ← γm − α∇J  (v = −m)",
        "where α enters": "inside m, with a minus sign",
        "step": "p ← p + m",
        "Nesterov stores": "look-ahead p = θ − γv  (θ = p − γm)",
    },
    {
        "convention": "optax sgd",
        "velocity": "t ← γt + ∇J  (v = α·t)",
        "where α enters": "at the step: scale(−α)",
        "step": "p ← p − α·t",
        "Nesterov stores": "look-ahead p = θ − γv  (θ = p + γα·t)",
    },
    {
        "convention": "“EMA” form (some courses)",
        "velocity": "v ← βv + (1 − β)∇J  (v = average gradient)",
        "where α enters": "at the step: matches this app with γ = β, α_EMA = α / (1 − β)",
        "step": "θ ← θ − α_EMA·v",
        "Nesterov stores": "—",
    },
)

#: One sentence on the "EMA" form, for under the table.
EMA_NOTE = (
    "The “EMA” form v ← βv + (1 − β)∇J, θ ← θ − α_EMA·v is this app's rule with γ = β "
    "and α = α_EMA·(1 − β): the same run needs α_EMA = α / (1 − γ)."
)

# The array library each script writes J(x, y) in, and its name for each whitelisted
# function of a custom formula (surfaces.expression.FUNCTIONS).
_NAMESPACE = {"pytorch": "torch", "keras": "ops", "optax": "jnp"}
_FUNCTION_NAMES = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "abs": "abs",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "atan": "atan",
}
_ATAN = {"pytorch": "atan", "keras": "arctan", "optax": "arctan"}
# keras.ops functions that keep float64. Keras 3's trigonometric and hyperbolic ops
# (sin, cos, tan, tanh, sinh, cosh, arctan) cast a float64 input to
# ``result_type(x.dtype, float)``, which is float32 in Keras 3.15 (checked): a float64
# run would lose half its digits. The Keras script runs on the JAX backend, so J takes
# those from jax.numpy instead, as Keras's backend itself would.
_KERAS_FLOAT64_SAFE = ("exp", "log", "sqrt", "abs")

_FIXED_FORMULAS = {
    "rosenbrock": "(1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2",
    "himmelblau": "(x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2",
    "beale": (
        "(1.5 - x + x * y) ** 2\n"
        "        + (2.25 - x + x * y**2) ** 2\n"
        "        + (2.625 - x + x * y**3) ** 2"
    ),
    "six_hump_camel": (
        "(4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2"
    ),
    "styblinski_tang": "0.5 * (x**4 - 16.0 * x**2 + 5.0 * x + y**4 - 16.0 * y**2 + 5.0 * y)",
}


def framework_snippet(
    surface: Surface | str,
    method: str,
    start: tuple[float, float],
    *,
    lr: float,
    momentum: float,
    steps: int,
    framework: str,
    batch_size: int | None = None,
    seed: int = 0,
    batches: str = "independent",
) -> str:
    """The source of a self-contained script that runs this app's run in ``framework``.

    Args:
        surface: a :class:`Surface` or a registered surface's name (built-in surfaces
            are written out formula by formula; a custom one's checked formula is
            translated into the framework's array library).
        method: "sgd", "momentum" or "nesterov".
        start: the start point (x, y).
        lr: α > 0.
        momentum: γ in [0, 1) (ignored by "sgd", as by :func:`simulate`).
        steps: number of steps.
        framework: "pytorch", "keras" or "optax" (a data surface: "pytorch" only, see
            :func:`frameworks_for`).
        batch_size, seed, batches: a data surface's mini-batches, as for
            :func:`~.optimizer.simulate`; the script draws the same batches in the same
            order (:mod:`.snippets_data`).

    Returns:
        Python source that prints ``final theta (app convention): (x, y)`` with the
        floats' exact ``repr``; it matches ``simulate(...).positions[-1]`` to rounding
        for runs that do not diverge.

    Raises:
        ValueError: naming the first bad argument.
    """
    surface = check_surface(surface)
    method = check_method(method)
    point = check_points("start", start, batch=False)
    lr_arr = check_lr(lr)
    mom_arr = check_momentum(momentum)
    if lr_arr.ndim or mom_arr.ndim:
        raise reject("lr and momentum", "scalars", (lr, momentum))
    steps = check_steps(steps)
    offered = frameworks_for(surface)
    if framework not in offered:
        raise reject("framework", f"one of {', '.join(offered)} for this surface", framework)
    size = check_batching(surface, batch_size, batches)
    alpha = float(lr_arr)
    gamma = 0.0 if method == "sgd" else float(mom_arr)
    # Nesterov with γ = 0 is plain SGD (and PyTorch refuses nesterov=True without momentum).
    nesterov = method == "nesterov" and gamma > 0.0
    header = _header(surface, method, framework, alpha, gamma, steps)
    settings = (
        f"START = ({float(point[0])!r}, {float(point[1])!r})\n"
        f"LR = {alpha!r}  # α\n"
        f"MOMENTUM = {gamma!r}  # γ{' (plain SGD: no momentum)' if method == 'sgd' else ''}\n"
        f"NESTEROV = {nesterov!r}\n"
        f"STEPS = {steps!r}\n"
    )
    if isinstance(surface, DataSurface):
        return data_script(surface, header, settings, batch_size=size, seed=seed, batches=batches)
    body = _BODIES[framework]
    return (
        header
        + _IMPORTS[framework]
        + "\n\n"
        + _objective(surface, framework)
        + "\n\n"
        + settings
        + body
    )


# --- the objective --------------------------------------------------------------------


def _objective(surface: Surface, framework: str) -> str:
    """``def J(x, y): ...`` for ``surface`` in the framework's array library."""
    ns = _NAMESPACE[framework]
    lines = ["def J(x, y):", f'    """{_docline(surface)}"""']
    if surface.name == "quadratic":
        params = dict(surface.params)
        kappa, angle = float(params["kappa"]), float(params["angle"])  # type: ignore[arg-type]
        c, s = math.cos(angle), math.sin(angle)
        # The entries exactly as surfaces.quadratic computes them.
        a_xx = c * c + kappa * s * s
        a_xy = c * s * (1.0 - kappa)
        a_yy = s * s + kappa * c * c
        lines += [
            f"    # A = R diag(1, κ) Rᵀ with κ = {kappa!r} and angle φ = {angle!r} rad.",
            f"    a_xx, a_xy, a_yy = {a_xx!r}, {a_xy!r}, {a_yy!r}",
            "    return 0.5 * (a_xx * x * x + 2.0 * a_xy * x * y + a_yy * y * y)",
        ]
    elif surface.name == "multiwell":
        lines.append(f"    # A bowl {BOWL!r}·(x² + y²) minus Gaussian wells d·exp(−r² / 2w²).")
        terms = [f"{BOWL!r} * (x * x + y * y)"]
        for a, b, depth, width in WELLS:
            two_w2 = 2.0 * width * width
            terms.append(
                f"{depth!r} * {ns}.exp(-((x {_minus(a)}) ** 2 + (y {_minus(b)}) ** 2) / {two_w2!r})"
            )
        lines.append("    return (\n        " + "\n        - ".join(terms) + "\n    )")
    elif surface.name in _FIXED_FORMULAS:
        formula = _FIXED_FORMULAS[surface.name]
        if "\n" in formula:
            lines.append(f"    return (\n        {formula}\n    )")
        else:
            lines.append(f"    return {formula}")
    else:
        expr = dict(surface.params).get("expr")
        if not isinstance(expr, str):
            raise ValueError(f"no formula known for surface {surface.name!r}")
        lines.append(f"    return {_translate(expr, framework)}")
    return "\n".join(lines) + "\n"


def _docline(surface: Surface) -> str:
    title = surface.title.replace('"""', "'''").replace("\\", "\\\\")
    return f"The loss surface: {title}."


def _minus(value: float) -> str:
    """``- a`` written for x − a (``+ 1.6`` for a = −1.6)."""
    return f"+ {-value!r}" if value < 0 else f"- {value!r}"


class _ToFramework(ast.NodeTransformer):
    """Rewrites a checked formula's calls and constants into the framework's names."""

    def __init__(self, framework: str) -> None:
        self.ns = _NAMESPACE[framework]
        self.atan = _ATAN[framework]

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        assert isinstance(node.func, ast.Name)
        name = self.atan if node.func.id == "atan" else _FUNCTION_NAMES[node.func.id]
        ns = "jnp" if self.ns == "ops" and node.func.id not in _KERAS_FLOAT64_SAFE else self.ns
        node.func = ast.Attribute(value=ast.Name(ns, ast.Load()), attr=name, ctx=ast.Load())
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("pi", "e"):
            return ast.Attribute(value=ast.Name("math", ast.Load()), attr=node.id, ctx=ast.Load())
        return node


def _translate(expr: str, framework: str) -> str:
    """A custom surface's formula (already checked by ``from_expression``: only numbers,
    x, y, pi, e, arithmetic and whitelisted functions) in the framework's names."""
    tree = ast.parse(expr.strip(), mode="eval")
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant)
        if not isinstance(node, (*allowed, ast.operator, ast.unaryop, ast.expr_context)):
            raise ValueError(f"formula {expr!r} is not a checked formula")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in _FUNCTION_NAMES
        ):
            raise ValueError(f"formula {expr!r} calls an unknown function")
        if isinstance(node, ast.Name) and node.id not in ("x", "y", "pi", "e", *_FUNCTION_NAMES):
            raise ValueError(f"formula {expr!r} uses an unknown name {node.id!r}")
    text = ast.unparse(_ToFramework(framework).visit(tree))
    # A formula in x alone (or a constant) still gives J a dependence on both inputs.
    return f"{text} + 0.0 * (x + y)" if not {"x", "y"} <= _names(tree) else text


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


# --- the script around it ---------------------------------------------------------------

_METHOD_WORDS = {
    "sgd": "plain SGD (γ = 0)",
    "momentum": "heavy-ball momentum",
    "nesterov": "Nesterov momentum",
}
_FRAMEWORK_WORDS = {
    "pytorch": "PyTorch (torch.optim.SGD)",
    "keras": "Keras 3 (keras.optimizers.SGD, JAX backend)",
    "optax": "optax (optax.sgd, JAX)",
}


def _header(
    surface: Surface, method: str, framework: str, alpha: float, gamma: float, steps: int
) -> str:
    return (
        f'"""momentum-viz run in {_FRAMEWORK_WORDS[framework]}: {_METHOD_WORDS[method]}.\n\n'
        f"{_docline(surface)}\n"
        f"α = {alpha!r}, γ = {gamma!r}, {steps} steps, float64, no gradient noise.\n"
        "Prints the final point in momentum-viz's convention (v ← γv + α∇J, θ ← θ − v).\n"
        '"""\n\n'
    )


_IMPORTS = {
    "pytorch": "import math\n\nimport torch\n",
    "keras": (
        "import math\n"
        "import os\n\n"
        "# The gradient is taken with jax.grad below, so Keras runs on its JAX backend.\n"
        'os.environ["KERAS_BACKEND"] = "jax"\n\n'
        "import jax  # noqa: E402\n\n"
        'jax.config.update("jax_enable_x64", True)  # float64 arrays\n\n'
        "import jax.numpy as jnp  # noqa: E402\n"
        "import keras  # noqa: E402\n"
        "from keras import ops  # noqa: E402\n\n"
        "# J uses keras.ops where they keep float64 and jax.numpy (the backend Keras runs\n"
        "# on) for sin, cos, tan, tanh, sinh, cosh and arctan: in Keras 3.15 those ops\n"
        "# return float32 for a float64 input.\n"
        'keras.config.set_floatx("float64")\n'
    ),
    "optax": (
        "import math\n\n"
        "import jax\n\n"
        'jax.config.update("jax_enable_x64", True)  # float64 arrays\n\n'
        "import jax.numpy as jnp  # noqa: E402\n"
        "import optax  # noqa: E402\n"
    ),
}

_PRINT = 'print(f"final theta (app convention): ({float(theta[0])!r}, {float(theta[1])!r})")\n'

_BODIES = {
    "pytorch": (
        "\n"
        "p = torch.tensor(START, dtype=torch.float64, requires_grad=True)\n"
        "opt = torch.optim.SGD([p], lr=LR, momentum=MOMENTUM, dampening=0.0, nesterov=NESTEROV)\n"
        "for _ in range(STEPS):\n"
        "    opt.zero_grad()\n"
        "    J(p[0], p[1]).backward()\n"
        "    opt.step()\n"
        "\n"
        "theta = p.detach().clone()\n"
        "if NESTEROV:\n"
        "    # PyTorch: buf ← γ·buf + ∇J(p), p ← p − α·(∇J(p) + γ·buf). With v = α·buf and\n"
        "    # p = θ − γv this is exactly v ← γv + α∇J(θ − γv), θ ← θ − v: PyTorch's\n"
        "    # parameters are the look-ahead point. Back to θ: θ = p + γv = p + γ·α·buf.\n"
        '    buf = opt.state[p]["momentum_buffer"]\n'
        "    theta = theta + MOMENTUM * LR * buf\n" + _PRINT
    ),
    "keras": (
        "\n"
        'p = keras.Variable(START, dtype="float64")\n'
        "opt = keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM, nesterov=NESTEROV)\n"
        "opt.build([p])\n"
        "grad_J = jax.jit(jax.grad(lambda q: J(q[0], q[1])))\n"
        "for _ in range(STEPS):\n"
        "    opt.apply_gradients([(grad_J(p.value), p)])\n"
        "\n"
        "theta = ops.convert_to_numpy(p.value)\n"
        "if NESTEROV:\n"
        "    # Keras: m ← γm − α∇J(p), p ← p + γm − α∇J(p). With v = −m and p = θ − γv\n"
        "    # this is exactly v ← γv + α∇J(θ − γv), θ ← θ − v: Keras's variable is the\n"
        "    # look-ahead point. Back to θ: θ = p + γv = p − γ·m.\n"
        "    m = ops.convert_to_numpy(opt.momentums[0].value)\n"
        "    theta = theta - MOMENTUM * m\n" + _PRINT
    ),
    "optax": (
        "\n"
        "p = jnp.array(START, dtype=jnp.float64)\n"
        "opt = optax.sgd(learning_rate=LR, momentum=MOMENTUM, nesterov=NESTEROV)\n"
        "state = opt.init(p)\n"
        "grad_J = jax.jit(jax.grad(lambda q: J(q[0], q[1])))\n"
        "for _ in range(STEPS):\n"
        "    updates, state = opt.update(grad_J(p), state, p)\n"
        "    p = optax.apply_updates(p, updates)\n"
        "\n"
        "theta = p\n"
        "if NESTEROV:\n"
        "    # optax.sgd = trace(decay=γ, nesterov=True) then scale(−α): t ← γt + ∇J(p),\n"
        "    # p ← p − α·(∇J(p) + γt). With v = α·t and p = θ − γv this is exactly\n"
        "    # v ← γv + α∇J(θ − γv), θ ← θ − v: optax's params are the look-ahead point.\n"
        "    # Back to θ: θ = p + γv = p + γ·α·t (state[0] is the trace's state).\n"
        "    theta = p + MOMENTUM * LR * state[0].trace\n" + _PRINT
    ),
}
