"""The scalar fast path of ``simulate`` for one unbatched run, against ``reference_run``.

The fast path promises agreement with the reference loop to 1e-12; it is in fact built to
agree bit for bit (the same ``grad_fn``, the same operations in the same order), so these
tests assert exact equality, which is stronger. Settled steps and minima must be identical,
including runs that diverge and runs whose points lie exactly on the tol boundary.
"""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np
import pytest

import momentum_viz.numerics.kernel as kernel
import momentum_viz.numerics.optimizer as core
from momentum_viz import Run, reference_run, simulate
from surfaces import SURFACES, Surface, quadratic

METHODS = ("sgd", "momentum", "nesterov")


@pytest.fixture(autouse=True)
def _numpy_path(monkeypatch):
    """These tests are about the NumPy fallback's scalar loop: the compiled kernel
    (tests/test_kernel.py) is turned off, as where Numba is missing."""
    monkeypatch.setattr(kernel._STATE, "enabled", False)


def _assert_identical(fast: Run, ref: Run) -> None:
    np.testing.assert_array_equal(fast.positions, ref.positions)
    np.testing.assert_array_equal(fast.velocities, ref.velocities)
    np.testing.assert_array_equal(fast.losses, ref.losses)
    assert (fast.converged_at, fast.diverged_at, fast.minimum) == (
        ref.converged_at,
        ref.diverged_at,
        ref.minimum,
    )
    assert isinstance(fast.converged_at, int) and fast.positions.shape == ref.positions.shape
    assert not fast.positions.flags.writeable


def _kind(run: Run) -> str:
    if run.diverged_at >= 0:
        return "diverged"
    return "settled" if run.converged_at >= 0 else "neither"


@pytest.mark.parametrize("name", list(SURFACES))
@pytest.mark.parametrize("method", METHODS)
def test_single_run_equals_reference_run(name, method):
    surface = SURFACES[name]
    rng = np.random.default_rng(zlib.crc32(f"single/{name}/{method}".encode()))
    (xmin, xmax), (ymin, ymax) = surface.bounds
    random_start = (float(rng.uniform(xmin, xmax)), float(rng.uniform(ymin, ymax)))
    # The surface's own view with and without noise; a start near the global minimum with
    # a wide tol (settles for SGD too); then a grid of α × γ from slow to far past
    # stability (1e4 α diverges everywhere), without noise from the default start and
    # with noise from a random one.
    near = tuple(float(c) + 0.05 for c in surface.global_minimum.point)
    default = dict(lr=surface.lr, momentum=surface.momentum, steps=surface.steps)
    cases = [(surface.start, dict(default, noise=0.0)), (surface.start, dict(default, noise=0.3))]
    cases.append((near, dict(default, tol=0.05)))
    for factor in (0.3, 1.0, 3.0, 1e4):
        for gamma in (0.0, 0.9, 0.99):
            grid = dict(lr=factor * surface.lr, momentum=gamma, steps=300)
            cases.append((surface.start, grid))
            cases.append((random_start, dict(grid, noise=0.3)))
    kinds = set()
    for start, kwargs in cases:
        fast = simulate(surface, method, start, seed=5, **kwargs)
        ref = reference_run(surface, method, start, seed=5, **kwargs)
        _assert_identical(fast, ref)
        kinds.add(_kind(ref))
    assert {"settled", "diverged"} <= kinds


def _smallest_tol_containing(d2: float) -> float:
    """The smallest float tol with tol * tol >= d2: the point at squared distance d2 is
    exactly on the boundary (inside with this tol, outside with the next float below)."""
    tol = math.sqrt(d2)
    while tol * tol < d2:
        tol = math.nextafter(tol, math.inf)
    while math.nextafter(tol, 0.0) ** 2 >= d2:
        tol = math.nextafter(tol, 0.0)
    return tol


def _squared_distance(point: np.ndarray, minimum: tuple[float, float]) -> float:
    dx, dy = float(point[0]) - minimum[0], float(point[1]) - minimum[1]
    return dx * dx + dy * dy  # as the code measures it (optimizer._within)


@pytest.mark.parametrize("method", METHODS)
def test_single_run_on_the_tol_boundary_matches_reference_run(method):
    checked = 0
    for surface in SURFACES.values():
        kwargs = dict(lr=surface.lr, momentum=surface.momentum, steps=surface.steps)
        base = reference_run(surface, method, surface.start, **kwargs)
        if base.minimum < 0:
            continue
        point = surface.minima[base.minimum].point
        # tol exactly at the last point (it ends there, or just outside it), and exactly at
        # the last point outside the default tol (it settles one step earlier, or later).
        last_out = base.positions[base.converged_at - 1]
        for d2 in (
            _squared_distance(base.positions[-1], point),
            _squared_distance(last_out, point),
        ):
            if d2 == 0.0:  # ends exactly on the minimum: no tol > 0 puts it on the boundary
                continue
            on = _smallest_tol_containing(d2)
            outcomes = []
            for tol in (on, math.nextafter(on, 0.0)):
                fast = simulate(surface, method, surface.start, tol=tol, **kwargs)
                ref = reference_run(surface, method, surface.start, tol=tol, **kwargs)
                _assert_identical(fast, ref)
                outcomes.append((fast.converged_at, fast.minimum))
            assert outcomes[0] != outcomes[1], "the boundary should decide the outcome"
            checked += 1
    assert checked >= 6  # 7 for SGD, 13-14 with momentum, here


def test_single_run_tie_goes_to_the_first_listed_minimum():
    # A tol wider than the surface: every point is within tol of every minimum.
    surface = SURFACES["himmelblau"]
    for method in METHODS:
        kwargs = dict(lr=surface.lr, momentum=surface.momentum, steps=50, tol=100.0)
        fast = simulate(surface, method, surface.start, **kwargs)
        _assert_identical(fast, reference_run(surface, method, surface.start, **kwargs))
        assert (fast.minimum, fast.converged_at) == (0, 0)


@pytest.mark.parametrize("method", METHODS)
def test_single_run_summary_is_the_paths_ends(method):
    for surface, lr in ((SURFACES["multiwell"], 0.3), (SURFACES["beale"], 30.0)):
        kwargs = dict(lr=lr, momentum=0.9, steps=300, noise=0.2, seed=2)
        path = simulate(surface, method, surface.start, **kwargs)
        summary = simulate(surface, method, surface.start, record="summary", **kwargs)
        assert summary.positions.shape == (2, 2)
        np.testing.assert_array_equal(summary.positions, path.positions[[0, -1]])
        np.testing.assert_array_equal(summary.velocities, path.velocities[[0, -1]])
        np.testing.assert_array_equal(summary.losses, path.losses[[0, -1]])
        assert (summary.converged_at, summary.diverged_at, summary.minimum) == (
            path.converged_at,
            path.diverged_at,
            path.minimum,
        )


def _batched_path_forbidden(*args, **kwargs):
    raise AssertionError("the batched integrator ran")


def test_one_unbatched_run_takes_the_scalar_path(monkeypatch):
    # If simulate stopped dispatching one run to the scalar loop, this would raise.
    monkeypatch.setattr(core, "_integrate_block", _batched_path_forbidden)
    s = SURFACES["rosenbrock"]
    for method in METHODS:
        for record in ("path", "summary"):
            run = simulate(s, method, s.start, lr=s.lr, momentum=s.momentum, steps=200,
                           noise=0.1, record=record)  # fmt: skip
            assert run.positions.shape == ((201, 2) if record == "path" else (2, 2))
    # Any batch, even of one run, stays on the batched path.
    with pytest.raises(AssertionError, match="batched integrator ran"):
        simulate(s, "momentum", [s.start], lr=s.lr, momentum=s.momentum, steps=10)
    with pytest.raises(AssertionError, match="batched integrator ran"):
        simulate(s, "momentum", s.start, lr=[s.lr], momentum=s.momentum, steps=10)


def _inverse_bowl() -> Surface:
    # ∇J = (1/x, y): on Python floats 1.0 / 0.0 raises ZeroDivisionError where NumPy gives
    # inf, and a run from x = 0 diverges at once in reference_run.
    def grad(x, y):
        return 1.0 / x, y

    return dataclasses.replace(quadratic(1.0), name="inverse", grad_fn=grad, grad_kernel=None)


@pytest.mark.parametrize("start", [(0.0, 1.0), (2.0, 1.0)])
def test_arithmetic_error_on_floats_gives_numpys_answer(start):
    surface = _inverse_bowl()
    kwargs = dict(lr=0.1, momentum=0.5, steps=20)
    run = simulate(surface, "momentum", start, **kwargs)  # no ZeroDivisionError
    with np.errstate(all="ignore"):  # reference_run computes 1/0 = inf on purpose here
        ref = reference_run(surface, "momentum", start, **kwargs)
    _assert_identical(run, ref)
    assert run.diverged_at == (1 if start[0] == 0.0 else -1)


@pytest.mark.parametrize("method", METHODS)
def test_a_run_that_diverges_from_a_minimum_ends_at_no_minimum(method):
    # From the bowl's minimum, gradient noise of σ = 1e6 throws the first step far out of
    # the box: frozen at the start, on the minimum, yet diverged, so no minimum.
    bowl = quadratic(10.0)
    kwargs = dict(lr=0.1, momentum=0.5, steps=30, noise=1e6, seed=1)
    fast = simulate(bowl, method, (0.0, 0.0), **kwargs)
    _assert_identical(fast, reference_run(bowl, method, (0.0, 0.0), **kwargs))
    assert fast.diverged_at == 1 and (fast.minimum, fast.converged_at) == (-1, -1)
    np.testing.assert_array_equal(fast.positions, 0.0)


# --- settled, or only passing through at the last step -------------------------------------


def _bowl_momentum_distances(lr: float, gamma: float, steps: int) -> np.ndarray:
    """‖θ_t‖ of heavy ball on the κ = 50 bowl, by an independent loop: A written out from
    its eigen-decomposition (eigenvalues 1 and 50, the slow direction at 30°)."""
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    a = np.outer((c, s), (c, s)) + 50.0 * np.outer((-s, c), (-s, c))
    theta = -3.5 * np.array([c, s]) + np.array([-s, c])
    v = np.zeros(2)
    out = [float(np.hypot(*theta))]
    for _ in range(steps):
        v = gamma * v + lr * (a @ theta)
        theta = theta - v
        out.append(float(np.hypot(*theta)))
    return np.array(out)


def test_a_run_passing_through_the_tolerance_at_its_last_step_is_not_settled():
    from momentum_viz.numerics.ranges import DEFAULT_TOL
    from momentum_viz.numerics.summary import settled_step_running_on

    # κ = 50 bowl, heavy ball α 0.02, γ 0.99: inside the tolerance at step 1,096 only
    # for a moment; it leaves at 1,097 and settles (for good) only at step 1,620.
    distances = _bowl_momentum_distances(0.02, 0.99, 2192)
    outside = np.flatnonzero(distances > DEFAULT_TOL)
    assert distances[1096] <= DEFAULT_TOL < distances[1097]
    assert outside[-1] + 1 == 1620
    bowl = quadratic(50.0)
    run = simulate(bowl, "momentum", bowl.start, lr=0.02, momentum=0.99, steps=1096)
    assert run.converged_at == 1096  # the rule reads only up to the last step
    assert settled_step_running_on(bowl, run, lr=0.02, momentum=0.99) == 1620
    # A run that had settled keeps its step.
    run = simulate(bowl, "momentum", bowl.start, lr=0.02, momentum=0.99, steps=1700)
    assert settled_step_running_on(bowl, run, lr=0.02, momentum=0.99) == run.converged_at == 1620


@pytest.mark.parametrize("compiled", [True, False], ids=["kernel", "numpy"])
@pytest.mark.parametrize(
    ("name", "method", "lr", "momentum", "noise", "steps"),
    [
        ("rosenbrock", "momentum", 2e-3, 0.9, 0.0, 1000),
        ("himmelblau", "nesterov", 0.01, 0.8, 0.05, 80),
        ("quadratic", "momentum", 0.02, 0.99, 0.0, 1096),
    ],
)
def test_settled_step_running_on_is_read_from_the_longer_path(
    monkeypatch, compiled, name, method, lr, momentum, noise, steps
):
    """The settled step of the run on, by hand from its whole path: one after the last
    step outside tol of the run's minimum, -1 if that is the last step (simulate runs it
    on with record="summary")."""
    from momentum_viz.numerics import kernel
    from momentum_viz.numerics.ranges import DEFAULT_TOL
    from momentum_viz.numerics.summary import settled_step_running_on
    from surfaces import get_surface

    monkeypatch.setattr(kernel._STATE, "enabled", compiled and kernel._STATE.enabled)
    surface = get_surface(name)
    kw = {"lr": lr, "momentum": momentum, "noise": noise, "seed": 7}
    run = simulate(surface, method, surface.start, steps=steps, **kw)
    assert run.converged_at >= 0, "the case must end at a minimum"
    longer = simulate(surface, method, surface.start, steps=2 * steps, **kw).positions
    distances = np.hypot(*(longer - surface.minima[run.minimum].point).T)
    last_outside = np.flatnonzero(distances > DEFAULT_TOL)[-1]
    expected = last_outside + 1 if last_outside < 2 * steps else -1  # -1: never settles
    assert settled_step_running_on(surface, run, **kw) == expected
