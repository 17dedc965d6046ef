"""The compiled kernel (Numba) against the NumPy path and the reference loop.

Table-driven: every built-in surface × method, with and without noise, both record
modes, diverging runs and the tol boundary. The kernel takes reference_run's operations
in the same order (and the three wells compute their exp in plain arithmetic, not with
NumPy's processor-dependent exp), so it must equal it bit for bit, on every surface.
Against the NumPy batched integrator, whose in-place gradient kernels round differently,
1e-12 relative to each run's scale (:func:`_assert_close`), with the same outcomes
(diverged_at, converged_at, minimum) exactly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import momentum_viz.numerics.kernel as kernel
from momentum_viz import Run, reference_run, simulate
from surfaces import SURFACES, Surface, from_expression, quadratic

pytestmark = pytest.mark.skipif(
    not kernel.usable_for(SURFACES["rosenbrock"]), reason="Numba is not installed"
)

METHODS = ("sgd", "momentum", "nesterov")
RTOL = 1e-12


def _batch(surface: Surface, seed_text: str, n: int = 8):
    """Random starts in the bounds, α around the default (one of them 60× it, likely to
    diverge) and γ in [0, 0.97)."""
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    (xmin, xmax), (ymin, ymax) = surface.bounds
    starts = np.stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)], axis=-1)
    starts[0] = surface.start
    lrs = surface.lr * rng.uniform(0.3, 1.5, n)
    lrs[1] = 60.0 * surface.lr
    return starts, lrs, rng.uniform(0.0, 0.97, n)


def _per_run(values: np.ndarray, runs: int) -> np.ndarray:
    """max |values| of each run: shape (runs,), from (T, [N,] [2])."""
    return np.abs(values.reshape(values.shape[0], runs, -1)).max(axis=(0, 2))


def _assert_close(run: Run, other: Run) -> None:
    """Equal to 1e-12 relative to each run's scale: max |got − want| over the run ≤ 1e-12 ·
    max |position| over the run for positions and velocities (v is a difference of
    positions: one that decays to 1e-16 keeps only the leading digits of its subtraction,
    so element-wise relative error would be meaningless), max |loss| for the losses."""
    runs = np.size(other.diverged_at)
    scale = _per_run(other.positions, runs)
    for field in ("positions", "velocities", "losses"):
        got, want = getattr(run, field), getattr(other, field)
        assert got.shape == want.shape, field
        if field == "losses":
            scale = _per_run(want, runs)
        bad = _per_run(got - want, runs) > RTOL * scale
        assert not bad.any(), (field, _per_run(got - want, runs)[bad], scale[bad])


def _assert_agree(run: Run, other: Run, *, exact: bool) -> None:
    if exact:
        for field in ("positions", "velocities", "losses"):
            np.testing.assert_array_equal(getattr(run, field), getattr(other, field), field)
    else:
        _assert_close(run, other)
    for field in ("converged_at", "diverged_at", "minimum"):
        np.testing.assert_array_equal(getattr(run, field), getattr(other, field), err_msg=field)


@pytest.mark.parametrize("noise", [0.0, 0.3])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(SURFACES))
def test_kernel_equals_reference_run_on_every_surface_and_method(name, method, noise):
    surface = SURFACES[name]
    starts, lrs, momenta = _batch(surface, f"{name}/{method}/{noise}")
    steps = 150
    run = simulate(surface, method, starts, lr=lrs, momentum=momenta, steps=steps, noise=noise)
    for i in range(len(starts)):
        ref = reference_run(
            surface, method, tuple(starts[i]), lr=float(lrs[i]), momentum=float(momenta[i]),
            steps=steps, noise=noise,
        )  # fmt: skip
        column = Run(
            method, run.positions[:, i], run.velocities[:, i], run.losses[:, i],
            int(run.converged_at[i]), int(run.diverged_at[i]), int(run.minimum[i]), steps,
        )  # fmt: skip
        _assert_agree(column, ref, exact=True)
    # An unbatched run goes through the kernel as well.
    one = simulate(surface, method, surface.start, lr=surface.lr, momentum=surface.momentum,
                   steps=steps, noise=noise)  # fmt: skip
    ref = reference_run(surface, method, surface.start, lr=surface.lr,
                        momentum=surface.momentum, steps=steps, noise=noise)  # fmt: skip
    _assert_agree(one, ref, exact=True)


@pytest.mark.parametrize("record", ["path", "summary"])
@pytest.mark.parametrize("noise", [0.0, 0.3])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(SURFACES))
def test_kernel_equals_numpy_path(name, method, noise, record, numpy_path):
    surface = SURFACES[name]
    starts, lrs, momenta = _batch(surface, f"numpy/{name}/{method}")
    kwargs = dict(lr=lrs, momentum=momenta, steps=surface.steps, noise=noise, record=record)
    compiled = simulate(surface, method, starts, **kwargs)
    reference = numpy_path(surface, method, starts, **kwargs)
    _assert_agree(compiled, reference, exact=False)


def test_the_table_has_diverging_converging_and_wandering_runs(numpy_path):
    """The agreement tables above must cover each outcome, or they prove little."""
    outcomes = set()
    for name, surface in SURFACES.items():
        for method in METHODS:
            starts, lrs, momenta = _batch(surface, f"numpy/{name}/{method}")
            run = simulate(surface, method, starts, lr=lrs, momentum=momenta, steps=surface.steps)
            outcomes |= {"diverged" for d in run.diverged_at if d >= 0}
            outcomes |= {"settled" for c in run.converged_at if c >= 0}
            ends = zip(run.converged_at, run.diverged_at, strict=True)
            outcomes |= {"neither" for c, d in ends if c < 0 and d < 0}
    assert outcomes == {"diverged", "settled", "neither"}


@pytest.mark.parametrize("record", ["path", "summary"])
def test_diverging_runs_freeze_where_the_numpy_path_freezes(record, numpy_path):
    # Rosenbrock with α from stable to far beyond the bound: runs leave the box at many
    # different steps, some overflowing to inf/NaN on the way out.
    lrs = np.geomspace(1e-3, 1e3, 200)
    kwargs = dict(lr=lrs, momentum=0.9, steps=300, record=record)
    compiled = simulate("rosenbrock", "nesterov", (-1.5, 2.0), **kwargs)
    reference = numpy_path("rosenbrock", "nesterov", (-1.5, 2.0), **kwargs)
    _assert_agree(compiled, reference, exact=False)
    assert len(set(compiled.diverged_at.tolist())) > 5
    assert np.isfinite(compiled.positions).all() and np.isfinite(compiled.losses).all()


# The κ = 1 bowl at angle 0 is J = ½‖θ‖² with A = I exactly; SGD with α = ½ halves θ
# exactly every step, so from (1, 0) θ_t = (2⁻ᵗ, 0): at step 10 the distance to the
# minimum is exactly tol = 2⁻¹⁰, the case ‖θ‖ ≤ tol decides by equality.
TOL = 2.0**-10
BOUNDARY = [
    # (tol, steps, converged_at, minimum)
    (TOL, 10, 10, 0),  # ends exactly on the boundary: inside
    (TOL, 9, -1, -1),  # one step before it: outside
    (np.nextafter(TOL, 0.0), 10, -1, -1),  # tol one ulp smaller: outside
    (np.nextafter(TOL, 0.0), 11, 11, 0),
    (np.nextafter(TOL, 1.0), 10, 10, 0),
]


@pytest.mark.parametrize("record", ["path", "summary"])
@pytest.mark.parametrize(("tol", "steps", "converged_at", "minimum"), BOUNDARY)
def test_tolerance_boundary(tol, steps, converged_at, minimum, record, numpy_path):
    bowl = quadratic(1.0, 0.0)
    kwargs = dict(lr=0.5, steps=steps, tol=tol)
    ref = reference_run(bowl, "sgd", (1.0, 0.0), **kwargs)
    assert (ref.converged_at, ref.minimum) == (converged_at, minimum)
    assert ref.positions[-1, 0] == 2.0**-steps  # the hand computation holds exactly
    for start in ((1.0, 0.0), np.array([[1.0, 0.0], [1.0, 0.0]])):
        compiled = simulate(bowl, "sgd", start, record=record, **kwargs)
        reference = numpy_path(bowl, "sgd", start, record=record, **kwargs)
        np.testing.assert_array_equal(compiled.converged_at, reference.converged_at)
        np.testing.assert_array_equal(compiled.minimum, reference.minimum)
        assert np.all(compiled.converged_at == converged_at)
        assert np.all(compiled.minimum == minimum)


def test_same_random_numbers_as_the_numpy_path(numpy_path):
    # The noise is drawn once in Python and handed to the kernel: a different seed gives
    # a different path, the same seed the same one as the NumPy path.
    kwargs = dict(lr=0.003, momentum=0.9, steps=200, noise=2.0)
    a = simulate("himmelblau", "momentum", (0.0, 0.0), seed=1, **kwargs)
    b = numpy_path("himmelblau", "momentum", (0.0, 0.0), seed=1, **kwargs)
    c = simulate("himmelblau", "momentum", (0.0, 0.0), seed=2, **kwargs)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions, c.positions)


# --- the compiled gradients are the surfaces' own ---------------------------------------


# Every surface with a pointwise compiled gradient. The logistic one (iris) is a mean over
# its data, compiled in kernel._data_gradients and checked in tests/test_data_surfaces.py.
_POINTWISE = [name for name in SURFACES if name != "iris"]


@pytest.mark.parametrize("name", _POINTWISE)
def test_compiled_gradient_equals_the_numpy_gradient(name):
    surface = SURFACES[name]
    kind, coef = kernel._kind_and_coefficients(surface)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    (xmin, xmax), (ymin, ymax) = surface.bounds
    points = np.stack([rng.uniform(xmin, xmax, 200), rng.uniform(ymin, ymax, 200)], axis=-1)
    want = surface.grad(points)
    got = np.empty_like(points)
    kernel._gradients(kind, coef, points[:, 0].copy(), points[:, 1].copy(), got[:, 0], got[:, 1],
                      len(points))  # fmt: skip
    np.testing.assert_array_equal(got, want)


def test_every_bowl_uses_its_own_matrix():
    # One compiled kernel serves every κ: the matrix travels as numbers.
    for kappa, angle in ((1.0, 0.0), (50.0, 0.5), (1000.0, -2.0)):
        bowl = quadratic(kappa, angle)
        ref = reference_run(bowl, "nesterov", bowl.start, lr=bowl.lr, momentum=0.8, steps=50)
        run = simulate(bowl, "nesterov", bowl.start, lr=bowl.lr, momentum=0.8, steps=50)
        _assert_agree(run, ref, exact=True)


# --- what stays on the NumPy path ------------------------------------------------------


# Formulas whose gradient programs use every operation the compiled evaluator knows
# (abs gives sign, sign's derivative heaviside, log of a negative nan: a diverging run).
FORMULAS = (
    "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)",
    "x**2 + 3*y**2 - x*y/2 + abs(x) * abs(y) + (x - 1)**4 / 10 + 1 / (1 + y**2)",
    "exp(-x**2) * tanh(y) + log(1 + x**2) + sqrt(1 + y**2) + atan(x*y)",
    "abs(x) * abs(y) + sinh(x/3) + cosh(y/3) + tan(x/4) + x**3/10 - y**2*x/7",
    "log(x + 2) + sqrt(y + 2) + (x**2 + y**2)**1.5 / 10",
    "atan(y / (x + 3.5))**2 + abs(sin(x))",
)
BOX = ((-3.0, 3.0), (-3.0, 3.0))


def _operations(surface: Surface) -> set[str]:
    return {op for op, _ in surface.grad_fn.program.instructions()[0]}


@pytest.mark.parametrize("noise", [0.0, 0.3])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("expr", FORMULAS)
def test_custom_formulas_compiled_equal_the_numpy_path(expr, method, noise, numpy_path):
    """A formula whose operations the compiled evaluator computes as NumPy does on this
    machine runs through the kernel: bit for bit the NumPy path's program, outcomes
    identical, diverging runs (one α 60× the default) included. Any other keeps NumPy."""
    surface = from_expression(expr, BOX)
    code = kernel._program_code(surface.grad_fn.program)
    assert kernel.usable_for(surface) == (code is not None)
    starts, lrs, momenta = _batch(surface, f"custom/{expr}/{method}", n=24)
    kwargs = dict(lr=lrs, momentum=momenta, steps=300, noise=noise)
    _assert_agree(simulate(surface, method, starts, **kwargs),
                  numpy_path(surface, method, starts, **kwargs), exact=True)  # fmt: skip


def test_arithmetic_formulas_and_the_readmes_example_are_compiled():
    """Products, whole powers (both evaluators multiply), abs and sign are exact on every
    machine; sin and cos are on this one's NumPy (the README's example formula)."""
    assert kernel.usable_for(from_expression(FORMULAS[1], BOX))
    assert kernel.usable_for(from_expression(FORMULAS[0], BOX))


def test_the_compiled_evaluator_computes_every_operation_as_numpy():
    """Every whitelisted operation has an opcode, and the compiled evaluator computes each
    as NumPy's function to the last bit or two (exactly where _exact_operations says so),
    nan where NumPy gives nan, on values of either sign, zeros and large magnitudes."""
    from surfaces.formula_program import OPERATIONS, load_program

    assert set(kernel._PROGRAM_OPS) == set(OPERATIONS)
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-5, 5, 500), [0.0, -0.0, 1e200, -1e200, 1e-200]])
    y = rng.permutation(x)
    cases = [(op, ["x", "y"][: OPERATIONS[op][1] or 2]) for op in OPERATIONS]
    cases += [("pow", ["x", e]) for e in (2.0, 3.0, -2.0, 0.5, 1.5, 0.0)]
    for op, args in cases:
        program = load_program({"ops": [["t0", op, args]], "outputs": ["t0", "t0"]})
        n = len(x)
        rows = tuple(np.zeros((2, n)) for _ in range(4))
        outcome = np.zeros((3, n), dtype=np.int64)
        kernel._STATE.kernel(
            kernel._PROGRAM_KIND, kernel._encoded(program), x.copy(), y.copy(), np.ones(n),
            np.zeros(n), False, 1, np.zeros((0, 2)), np.array([0.0, 0.0, np.inf, np.inf]),
            np.zeros((0, 2)), 0.0, True, 0, n, *rows, outcome, *kernel._no_data(),
        )  # fmt: skip
        with np.errstate(all="ignore"):
            want = np.broadcast_to(program(x, y)[0], x.shape)
        got = np.where(outcome[1] < 0, rows[2][1], np.nan)  # a nan step is frozen: nan
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0, equal_nan=True, err_msg=op)


def test_an_operation_computed_otherwise_than_numpy_keeps_the_numpy_path(monkeypatch):
    """The check of the evaluator against NumPy finds a difference: with the programs' sin
    one ulp above NumPy's (as a SIMD sin that differs in the last bit), sin is not exact."""
    from surfaces import formula_program

    exact = kernel._exact_operations(kernel._STATE.kernel)
    assert {"add", "mul", "abs", "sign", "pow:0x1.0000000000000p+1"} <= exact
    ulp_above = (lambda v: np.nextafter(np.sin(v), np.inf), 1)
    monkeypatch.setitem(formula_program.OPERATIONS, "sin", ulp_above)
    assert "sin" not in kernel._exact_operations(kernel._STATE.kernel)


def test_lookalikes_stay_on_numpy():
    rosen = SURFACES["rosenbrock"]
    # A surface that merely carries a built-in name is not compiled as that surface.
    impostor = Surface(**{**{f: getattr(rosen, f) for f in rosen.__dataclass_fields__},
                          "grad_fn": lambda x, y: (x, y)})  # fmt: skip
    assert not kernel.usable_for(impostor)
    assert all(kernel.usable_for(s) for s in SURFACES.values())


def test_a_compiler_failure_falls_back_to_numpy(monkeypatch, caplog):
    def broken() -> None:
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(kernel, "_STATE", kernel._State())
    monkeypatch.setattr(kernel, "_compile_kernel", broken)
    assert not kernel.usable_for(SURFACES["rosenbrock"])
    assert "compiled kernel is off" in caplog.text
    run = simulate("rosenbrock", "momentum", (-1.5, 2.0), lr=1e-3, momentum=0.9, steps=20)
    ref = reference_run("rosenbrock", "momentum", (-1.5, 2.0), lr=1e-3, momentum=0.9, steps=20)
    _assert_agree(run, ref, exact=True)


def test_no_writable_cache_directory_means_no_cache(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot exist
    assert kernel._cache_dir() is None
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    path = kernel._cache_dir()
    assert path is not None and path.startswith(str(tmp_path / "cache"))


def test_without_numba_the_app_runs_on_numpy():
    # A fresh interpreter where `import numba` fails, as on a machine without it.
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import momentum_viz.numerics.kernel as kernel\n"
        "from momentum_viz import simulate\n"
        "from surfaces import SURFACES\n"
        "assert kernel.numba is None and not kernel.usable_for(SURFACES['rosenbrock'])\n"
        "run = simulate('rosenbrock', 'momentum', [[-1.5, 2.0]] * 3, lr=1e-3, momentum=0.9)\n"
        "print(int(run.positions.shape[1]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"


def test_a_copy_of_the_same_sources_loads_the_cached_kernel(tmp_path):
    # What the image does on every start: the code at another path (here a fresh copy,
    # with new modification times), the cache written by a first start. Numba's own
    # cache keys by path and time and would compile again; this one keys by content.
    root = Path(kernel.__file__).resolve().parents[2]
    copy = tmp_path / "copy"
    for package in ("momentum_viz", "surfaces"):
        shutil.copytree(root / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    code = (
        "import momentum_viz.numerics.kernel as k\n"
        "k.warm_up()\n"
        "print(k.__file__, sum(k._STATE.kernel.stats.cache_hits.values()))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    hits = {}
    for where in (root, copy):
        done = subprocess.run([sys.executable, "-c", code], cwd=where, capture_output=True,
                              text=True, timeout=600, check=False,
                              env={**env, "PYTHONPATH": str(where)})  # fmt: skip
        assert done.returncode == 0, done.stderr
        module_file, count = done.stdout.split()
        assert Path(module_file).is_relative_to(where)
        hits[where] = int(count)
    assert hits == {root: 0, copy: 1}


def test_the_warm_up_compiles_the_only_specialization():
    # Every call the app makes must reuse what warm_up compiled: another argument layout
    # (a read-only or strided array) would make Numba compile again at a visitor's move.
    kernel.warm_up()
    bowl = quadratic(20.0)
    simulate(bowl, "nesterov", bowl.start, lr=0.01, momentum=0.5, steps=5, record="summary")
    simulate("multiwell", "sgd", [[1.0, 2.0]] * 3, lr=np.array([0.1, 0.2, 0.3]), noise=0.1)
    simulate("beale", "momentum", (1.0, 1.0), lr=np.full(4, 1e-3)[::-1], momentum=0.9)
    assert len(kernel._STATE.kernel.signatures) == 1


@pytest.mark.parametrize("record", ["path", "summary"])
def test_the_first_listed_minimum_wins_where_tol_balls_overlap(record, numpy_path):
    # Himmelblau's minima 0 = (3, 2) and 3 = (3.58, −1.85) lie 3.9 apart: with tol = 4 a
    # run ending at (3, 2) is within tol of both, and minimum 0 is the one reported.
    himmelblau = SURFACES["himmelblau"]
    starts = np.array([[2.5, 2.5], [3.5, 1.5], [0.0, 0.0]])
    kwargs = dict(lr=0.01, momentum=0.5, steps=200, tol=4.0, record=record)
    compiled = simulate(himmelblau, "momentum", starts, **kwargs)
    reference = numpy_path(himmelblau, "momentum", starts, **kwargs)
    np.testing.assert_array_equal(compiled.minimum, reference.minimum)
    np.testing.assert_array_equal(compiled.converged_at, reference.converged_at)
    assert compiled.minimum[0] == compiled.minimum[1] == 0
