"""framework_snippet: the race's run as a PyTorch, Keras 3 or optax script.

The scripts are run for real, in a subprocess, wherever the framework is importable
(torch, keras and jax/optax are heavy test-only dependencies, not in the requirements:
those tests skip with a reason elsewhere), and their printed final point is compared
with :func:`simulate` to 1e-9. Everywhere, NumPy transliterations of the frameworks'
documented update rules check the conventions the scripts and the app's table rely on
(the Nesterov conversion back from the stored look-ahead point, the "EMA" form).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import surfaces
from momentum_viz import framework_snippet, simulate
from momentum_viz.numerics.snippets import CONVENTIONS, EMA_NOTE, FRAMEWORKS

METHODS = ("sgd", "momentum", "nesterov")
CUSTOM_EXPRESSIONS = (
    "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)",
    "log(1 + x**2 + y**2) + 0.1*atan(x - 1) + e*0.01*cosh(y) + sqrt(2 + x**2)/pi",
    "0.2*exp(-x) + tanh(y)**2 + 0.05*(x**2 + y**2) + abs(x + 3)",
)
FINAL = re.compile(r"final theta \(app convention\): \(([^,]+), ([^)]+)\)")


def _surfaces() -> list[surfaces.Surface]:
    # The data surfaces' scripts (PyTorch only, with batches): tests/test_snippets_data.py.
    built_in = [s for s in surfaces.SURFACES.values() if not isinstance(s, surfaces.DataSurface)]
    extra = [surfaces.quadratic(kappa=10.0, angle=0.3)]
    custom = [surfaces.from_expression(e, ((-3.0, 3.0), (-3.0, 3.0))) for e in CUSTOM_EXPRESSIONS]
    return built_in + extra + custom


def _cases() -> list[tuple[surfaces.Surface, str, tuple[float, float], float, float, int]]:
    """(surface, method, start, α, γ, steps): each surface's own settings, then a
    200-step run with half the step and γ = 0.5, none of which diverges."""
    cases = []
    for s in _surfaces():
        for method in METHODS:
            cases.append((s, method, s.start, s.lr, s.momentum, s.steps))
            cases.append((s, method, s.start, s.lr / 2, 0.5, 200))
    return cases


CASES = _cases()

# Runs many scripts in one interpreter (importing torch or jax once), each with its own
# globals and captured stdout, and prints their outputs as JSON.
DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, sys
    outputs = []
    for source in json.load(sys.stdin):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, "<snippet>", "exec"), {"__name__": "__main__"})
        outputs.append(out.getvalue())
    print(json.dumps(outputs))
    """
)


def _final_point(output: str) -> np.ndarray:
    match = FINAL.search(output)
    assert match, f"no final point printed in {output!r}"
    return np.array([float(match.group(1)), float(match.group(2))])


def _run_scripts(sources: list[str]) -> list[np.ndarray]:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [_final_point(out) for out in json.loads(done.stdout.splitlines()[-1])]


def _requires(*modules: str) -> pytest.MarkDecorator:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    reason = f"{', '.join(missing)} not importable (a heavy test-only dependency)"
    return pytest.mark.skipif(bool(missing), reason=reason)


FRAMEWORK_MODULES = {"pytorch": ("torch",), "keras": ("keras", "jax"), "optax": ("optax", "jax")}


@pytest.mark.parametrize(
    "framework",
    [pytest.param(f, marks=_requires(*FRAMEWORK_MODULES[f])) for f in FRAMEWORKS],
)
def test_scripts_reproduce_simulate(framework: str) -> None:
    """Every surface × method at two settings: the framework's optimizer, converted to
    this app's convention, ends where simulate ends, to 1e-9."""
    sources = [
        framework_snippet(s, m, start, lr=lr, momentum=mom, steps=steps, framework=framework)
        for s, m, start, lr, mom, steps in CASES
    ]
    points = _run_scripts(sources)
    for (s, m, start, lr, mom, steps), point in zip(CASES, points, strict=True):
        run = simulate(s, m, start, lr=lr, momentum=mom, steps=steps)
        assert run.diverged_at == -1, (s.name, m)  # a diverged run would prove nothing
        expected = run.positions[-1]
        np.testing.assert_allclose(
            point, expected, rtol=0, atol=1e-9, err_msg=f"{framework} {s.title} {m} α={lr} γ={mom}"
        )


@pytest.mark.parametrize(
    "framework",
    [pytest.param(f, marks=_requires(*FRAMEWORK_MODULES[f])) for f in FRAMEWORKS],
)
def test_a_script_runs_on_its_own(framework: str) -> None:
    """The script is self-contained: ``python -c`` it, nothing else."""
    s = surfaces.get_surface("rosenbrock")
    args = dict(lr=1e-3, momentum=0.9, steps=300)
    source = framework_snippet(s, "nesterov", (-1.5, 2.0), framework=framework, **args)
    done = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected = simulate(s, "nesterov", (-1.5, 2.0), **args).positions[-1]
    np.testing.assert_allclose(_final_point(done.stdout), expected, rtol=0, atol=1e-9)


# --- the text itself ------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("s", _surfaces(), ids=lambda s: s.name)
def test_scripts_compile_and_state_the_settings(framework: str, s: surfaces.Surface) -> None:
    source = framework_snippet(
        s, "nesterov", (0.25, -0.5), lr=0.0125, momentum=0.875, steps=77, framework=framework
    )
    compile(source, "<snippet>", "exec")
    for line in ("START = (0.25, -0.5)", "LR = 0.0125", "MOMENTUM = 0.875", "NESTEROV = True"):
        assert line in source
    assert "STEPS = 77" in source
    optimizer = {
        "pytorch": "torch.optim.SGD(",
        "keras": "keras.optimizers.SGD(",
        "optax": "optax.sgd(",
    }
    assert optimizer[framework] in source


def test_sgd_has_no_momentum_and_nesterov_without_momentum_is_sgd() -> None:
    sgd = framework_snippet("himmelblau", "sgd", (0, 0), lr=0.01, momentum=0.9, steps=5,
                            framework="pytorch")  # fmt: skip
    assert "MOMENTUM = 0.0" in sgd and "NESTEROV = False" in sgd
    nag0 = framework_snippet("himmelblau", "nesterov", (0, 0), lr=0.01, momentum=0.0, steps=5,
                             framework="pytorch")  # fmt: skip
    assert "NESTEROV = False" in nag0  # PyTorch refuses nesterov=True with momentum 0


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"framework": "tensorflow"}, "framework"),
        ({"lr": -1.0}, "lr"),
        ({"momentum": 1.5}, "momentum"),
        ({"steps": 0}, "steps"),
        ({"method": "adam"}, "method"),
        ({"surface": "nowhere"}, "surface"),
        ({"start": (1.0, float("nan"))}, "start"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, word: str) -> None:
    args = dict(
        surface="rosenbrock",
        method="momentum",
        start=(0.0, 0.0),
        lr=1e-3,
        momentum=0.9,
        steps=10,
        framework="pytorch",
    )
    args.update(kwargs)
    surface, method, start = args.pop("surface"), args.pop("method"), args.pop("start")
    with pytest.raises(ValueError, match=word):
        framework_snippet(surface, method, start, **args)


# --- the documented update rules, transliterated to NumPy ---------------------------------


def _grad(s: surfaces.Surface):
    return lambda p: s.grad(p)


def torch_sgd(grad, p, lr, momentum, nesterov, steps):
    """torch.optim.SGD (dampening 0, no weight decay), as its documentation writes it:
    b ← μb + g (b = g at the first step), then g ← g + μb for Nesterov, p ← p − γ_lr·g."""
    p = np.array(p, dtype=float)
    buf = None
    for _ in range(steps):
        g = grad(p)
        if momentum != 0:
            buf = g.copy() if buf is None else momentum * buf + g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p, buf


def keras_sgd(grad, p, lr, momentum, nesterov, steps):
    """keras.optimizers.SGD (Keras 3): m ← μm − lr·g; p ← p + m, or p ← p + μm − lr·g."""
    p = np.array(p, dtype=float)
    m = np.zeros_like(p)
    for _ in range(steps):
        g = grad(p)
        m = momentum * m - lr * g
        p = p + (momentum * m - lr * g if nesterov else m)
    return p, m


def optax_sgd(grad, p, lr, momentum, nesterov, steps):
    """optax.sgd = chain(trace(decay=μ, nesterov), scale_by_learning_rate(lr)):
    t ← g + μt; u = g + μt (Nesterov) or t; p ← p − lr·u."""
    p = np.array(p, dtype=float)
    t = np.zeros_like(p)
    for _ in range(steps):
        g = grad(p)
        t = g + momentum * t
        u = g + momentum * t if nesterov else t
        p = p + (-lr) * u
    return p, t


def ema_momentum(grad, p, lr_ema, beta, steps):
    """The "EMA" form: v ← βv + (1 − β)g, θ ← θ − α_EMA·v."""
    p = np.array(p, dtype=float)
    v = np.zeros_like(p)
    for _ in range(steps):
        v = beta * v + (1 - beta) * grad(p)
        p = p - lr_ema * v
    return p


def _app_point(framework: str, p: np.ndarray, state, lr: float, momentum: float, nesterov: bool):
    """The conversion the scripts print with (the app's table states the same)."""
    if not nesterov:
        return p
    if framework == "keras":
        return p - momentum * state  # θ = p + γv with v = −m
    return p + momentum * lr * state  # θ = p + γv with v = α·buf (PyTorch, optax)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("method", METHODS)
# Not Rosenbrock: its Nesterov run amplifies rounding ~1e4-fold (1e7-fold at step 200),
# beyond 1e-12; the scripts are checked on it to 1e-9 above.
@pytest.mark.parametrize(
    "name", ["himmelblau", "multiwell", "quadratic", "beale", "six_hump_camel", "styblinski_tang"]
)
def test_documented_rules_match_the_app_convention(framework: str, method: str, name: str):
    """The NumPy transliterations, converted as the scripts convert, end where simulate
    ends, to 1e-12: the conventions are right wherever the frameworks are absent."""
    s = surfaces.get_surface(name)
    momentum = 0.0 if method == "sgd" else s.momentum
    nesterov = method == "nesterov"
    rule = {"pytorch": torch_sgd, "keras": keras_sgd, "optax": optax_sgd}[framework]
    steps = 25  # early, while the velocity (and so the Nesterov correction γv) is large
    p, state = rule(_grad(s), s.start, s.lr, momentum, nesterov, steps)
    point = _app_point(framework, p, state, s.lr, momentum, nesterov)
    run = simulate(s, method, s.start, lr=s.lr, momentum=s.momentum, steps=steps)
    assert run.diverged_at == -1
    np.testing.assert_allclose(point, run.positions[-1], rtol=0, atol=1e-12)
    if nesterov:  # what the framework stores is the look-ahead point θ − γv
        look_ahead = run.positions[-1] - momentum * run.velocities[-1]
        assert np.abs(look_ahead - run.positions[-1]).max() > 1e-9  # ≥ 1000× the tolerance
        np.testing.assert_allclose(p, look_ahead, rtol=0, atol=1e-12)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.95])
def test_ema_form_matches_with_alpha_over_one_minus_beta(beta: float) -> None:
    """α_EMA = α / (1 − β) makes the "EMA" form this app's run (the table says so)."""
    s = surfaces.get_surface("rosenbrock")
    lr = 1e-3
    run = simulate(s, "momentum", s.start, lr=lr, momentum=beta, steps=300)
    point = ema_momentum(_grad(s), s.start, lr / (1 - beta), beta, 300)
    np.testing.assert_allclose(point, run.positions[-1], rtol=0, atol=1e-12)
    wrong = ema_momentum(_grad(s), s.start, lr, beta, 300)  # the same α is not the same run
    assert np.abs(wrong - run.positions[-1]).max() > 1e-3
    assert "α / (1 − γ)" in EMA_NOTE
    assert any("α / (1 − β)" in row["where α enters"] for row in CONVENTIONS)


def test_the_conventions_table_names_every_column():
    # A screen reader reads each cell with its column's header: none may be empty, and
    # every row has the same columns in the same order.
    columns = list(CONVENTIONS[0])
    assert all(name.strip() for name in columns), columns
    assert all(list(row) == columns for row in CONVENTIONS)
