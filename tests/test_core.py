"""The optimizer core: hand-checked steps, agreement with the reference loop, edge cases."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import momentum_viz.numerics.kernel as kernel
import momentum_viz.numerics.optimizer as core
from momentum_viz import Run, reference_run, simulate
from surfaces import SURFACES, quadratic

METHODS = ("sgd", "momentum", "nesterov")


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def engine(request, monkeypatch):
    """Every test here runs on both paths of simulate: the compiled kernel and NumPy."""
    if request.param == "numpy":
        monkeypatch.setattr(kernel._STATE, "enabled", False)
    elif not kernel.usable_for(SURFACES["rosenbrock"]):
        pytest.skip("Numba is not installed")
    return request.param


# --- one and two steps by hand ---------------------------------------------------------
# Rosenbrock: gx = -2(1 - x) - 400 x (y - x²), gy = 200 (y - x²).
# From θ0 = (0, 0): g0 = (-2, 0). With α = 0.1, γ = 0.5, v1 = α g0 = (-0.2, 0), θ1 = (0.2, 0)
# for every method (v0 = 0). At θ1: gx = -1.6 + 400·0.2·0.04 = 1.6, gy = -8.
#   sgd:      v2 = 0.1·(1.6, -8) = (0.16, -0.8)                  θ2 = (0.04, 0.8)
#   momentum: v2 = 0.5·(-0.2, 0) + (0.16, -0.8) = (0.06, -0.8)   θ2 = (0.14, 0.8)
#   nesterov: look-ahead θ1 - 0.5 v1 = (0.3, 0): g = (-1.4 + 10.8, -18) = (9.4, -18)
#             v2 = (-0.1, 0) + (0.94, -1.8) = (0.84, -1.8)       θ2 = (-0.64, 1.8)
HAND = {
    "sgd": ([0.2, 0.0], [0.04, 0.8], [0.16, -0.8]),
    "momentum": ([0.2, 0.0], [0.14, 0.8], [0.06, -0.8]),
    "nesterov": ([0.2, 0.0], [-0.64, 1.8], [0.84, -1.8]),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("runner", [simulate, reference_run])
def test_two_steps_by_hand(method, runner):
    run = runner("rosenbrock", method, (0.0, 0.0), lr=0.1, momentum=0.5, steps=2)
    theta1, theta2, v2 = HAND[method]
    np.testing.assert_allclose(run.positions, [[0, 0], theta1, theta2], atol=1e-12)
    np.testing.assert_allclose(run.velocities[0], [0, 0])
    np.testing.assert_allclose(run.velocities[1], [-0.2, 0.0], atol=1e-12)
    np.testing.assert_allclose(run.velocities[2], v2, atol=1e-12)
    # loss at θ2 by hand from the formula
    x, y = theta2
    assert run.losses[2] == pytest.approx((1 - x) ** 2 + 100 * (y - x * x) ** 2)


def test_momentum_with_zero_gamma_is_exactly_sgd():
    for name in ("rosenbrock", "multiwell", "beale"):
        s = SURFACES[name]
        sgd = simulate(s, "sgd", s.start, lr=s.lr, steps=300, noise=0.3, seed=4)
        mom = simulate(s, "momentum", s.start, lr=s.lr, momentum=0.0, steps=300, noise=0.3, seed=4)
        nes = simulate(s, "nesterov", s.start, lr=s.lr, momentum=0.0, steps=300, noise=0.3, seed=4)
        np.testing.assert_array_equal(sgd.positions, mom.positions)
        np.testing.assert_array_equal(sgd.positions, nes.positions)
        assert sgd.converged_at == mom.converged_at


def test_sgd_ignores_momentum():
    a = simulate("rosenbrock", "sgd", (-1.0, 1.0), lr=1e-3, momentum=0.9, steps=50)
    b = simulate("rosenbrock", "sgd", (-1.0, 1.0), lr=1e-3, steps=50)
    np.testing.assert_array_equal(a.positions, b.positions)


# --- batched runner against the readable reference loop --------------------------------


def _assert_same_run(batched: Run, col: int, ref: Run) -> None:
    np.testing.assert_allclose(batched.positions[:, col], ref.positions, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(batched.velocities[:, col], ref.velocities, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(batched.losses[:, col], ref.losses, rtol=1e-9, atol=1e-12)
    assert batched.converged_at[col] == ref.converged_at
    assert batched.diverged_at[col] == ref.diverged_at
    assert batched.minimum[col] == ref.minimum


@pytest.mark.parametrize("name", list(SURFACES))
@pytest.mark.parametrize("method", METHODS)
def test_batched_call_equals_single_reference_runs(name, method):
    surface = SURFACES[name]
    # A seed of its own per case, the same in every process (hash() of a str is salted).
    rng = np.random.default_rng(zlib.crc32(f"{name}/{method}".encode()))
    n = 6
    (xmin, xmax), (ymin, ymax) = surface.bounds
    starts = np.stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)], axis=-1)
    starts[0] = surface.start
    lrs = surface.lr * rng.uniform(0.3, 1.5, n)
    lrs[1] = 50.0 * surface.lr  # one run that is likely to diverge
    momenta = rng.uniform(0.0, 0.95, n)
    steps = 120
    run = simulate(surface, method, starts, lr=lrs, momentum=momenta, steps=steps, noise=0.05)
    assert run.positions.shape == (steps + 1, n, 2)
    for i in range(n):
        ref = reference_run(
            surface, method, tuple(starts[i]), lr=float(lrs[i]), momentum=float(momenta[i]),
            steps=steps, noise=0.05,
        )  # fmt: skip
        _assert_same_run(run, i, ref)


def test_many_blocks_on_threads_equal_reference(monkeypatch):
    # Small blocks force several blocks (and threads); a few columns are checked against
    # the reference loop and the whole batch against a single-threaded call.
    monkeypatch.setattr(core, "_BLOCK", 64)
    rng = np.random.default_rng(7)
    n = 300
    lrs = np.geomspace(1e-4, 3e-3, n)
    momenta = rng.uniform(0, 0.99, n)
    kwargs = dict(lr=lrs, momentum=momenta, steps=150)
    threaded = simulate("rosenbrock", "momentum", (-1.5, 2.0), workers=2, **kwargs)
    single = simulate("rosenbrock", "momentum", (-1.5, 2.0), workers=1, **kwargs)
    np.testing.assert_array_equal(threaded.positions, single.positions)
    assert (threaded.diverged_at >= 0).any(), "the sweep should include diverging runs"
    for i in (0, 63, 64, 150, 299):
        ref = reference_run(
            "rosenbrock", "momentum", (-1.5, 2.0), lr=float(lrs[i]),
            momentum=float(momenta[i]), steps=150,
        )  # fmt: skip
        _assert_same_run(threaded, i, ref)


@pytest.mark.parametrize("method", METHODS)
def test_summary_keeps_start_and_final_state(method):
    lrs = np.geomspace(1e-4, 5e-3, 40)
    path = simulate("rosenbrock", method, (-1.5, 2.0), lr=lrs, momentum=0.9, steps=333)
    summary = simulate(
        "rosenbrock", method, (-1.5, 2.0), lr=lrs, momentum=0.9, steps=333, record="summary"
    )
    assert summary.positions.shape == (2, 40, 2)
    np.testing.assert_array_equal(summary.positions[0], path.positions[0])
    np.testing.assert_array_equal(summary.positions[1], path.positions[-1])
    np.testing.assert_array_equal(summary.velocities[1], path.velocities[-1])
    np.testing.assert_array_equal(summary.losses[1], path.losses[-1])
    np.testing.assert_array_equal(summary.converged_at, path.converged_at)
    np.testing.assert_array_equal(summary.diverged_at, path.diverged_at)
    np.testing.assert_array_equal(summary.minimum, path.minimum)


def test_batch_shapes_broadcast():
    starts = np.array([[-1.0, 1.0], [0.5, 0.5], [1.5, 2.0]])
    run = simulate("rosenbrock", "momentum", starts, lr=1e-3, momentum=0.5, steps=5)
    assert run.positions.shape == (6, 3, 2) and run.converged_at.shape == (3,)
    run = simulate("rosenbrock", "momentum", (0.0, 0.0), lr=[1e-3, 2e-3], steps=5)
    assert run.losses.shape == (6, 2)
    single = simulate("rosenbrock", "momentum", (0.0, 0.0), lr=1e-3, steps=5)
    assert single.positions.shape == (6, 2) and isinstance(single.converged_at, int)
    assert not single.positions.flags.writeable


# --- divergence, convergence, noise ----------------------------------------------------


def test_divergence_freezes_at_last_point_inside_the_box():
    # α = 0.05 on Rosenbrock blows up within a few steps (α·λmax ≫ 2).
    run = simulate("rosenbrock", "momentum", (-1.5, 2.0), lr=0.05, momentum=0.9, steps=50)
    k = run.diverged_at
    assert 1 <= k < 10
    assert np.isfinite(run.positions).all() and np.isfinite(run.losses).all()
    assert np.isfinite(run.velocities).all()
    frozen = run.positions[k - 1]
    np.testing.assert_array_equal(run.positions[k:], np.broadcast_to(frozen, (51 - k, 2)))
    np.testing.assert_array_equal(run.velocities[k:], 0.0)
    assert run.minimum == -1 and run.converged_at == -1
    # The frozen point is inside the divergence box; the step that left it is recomputed
    # independently here and really is outside (or not finite).
    assert abs(frozen[0]) <= 2000 and abs(frozen[1] - 1) <= 2000
    with np.errstate(all="ignore"):  # the escaping step may overflow; that is the point
        g = SURFACES["rosenbrock"].grad(frozen)
        escaped = frozen - (0.9 * run.velocities[k - 1] + 0.05 * g)
    assert not (abs(escaped[0]) <= 2000 and abs(escaped[1] - 1) <= 2000)


@given(lr=st.floats(1e-3, 1e6), momentum=st.floats(0, 0.999), method=st.sampled_from(METHODS))
@settings(max_examples=40, deadline=None)
def test_no_nan_or_inf_ever_reaches_the_output(lr, momentum, method):
    run = simulate("beale", method, (4.0, 4.0), lr=lr, momentum=momentum, steps=60)
    for arr in (run.positions, run.velocities, run.losses):
        assert np.isfinite(arr).all()


def _settled_from_path(positions: np.ndarray, minimum: tuple[float, float], tol: float) -> int:
    """Independent of the code: 1 + the last step whose distance exceeds tol (by norm)."""
    far = np.flatnonzero(np.linalg.norm(positions - np.asarray(minimum), axis=-1) > tol)
    return 0 if far.size == 0 else int(far[-1]) + 1


def test_converged_at_is_the_step_from_which_the_run_stays_within_tol():
    run = simulate("quadratic", "momentum", (3.0, 1.0), lr=0.02, momentum=0.8, steps=400)
    dist = np.linalg.norm(run.positions, axis=-1)  # the minimum is at the origin
    first_visit = int(np.argmax(dist <= 1e-3))
    assert run.converged_at == _settled_from_path(run.positions, (0.0, 0.0), 1e-3) == 75
    # This run swings through the tol-ball before it settles: step 55 is a visit only.
    assert first_visit == 55 and dist[first_visit:75].max() > 1e-3
    assert (dist[75:] <= 1e-3).all() and dist[74] > 1e-3
    # Starting on a minimum and staying there counts as converged at step 0.
    at_min = simulate("rosenbrock", "sgd", (1.0, 1.0), lr=1e-3, steps=3)
    assert at_min.converged_at == 0 and at_min.minimum == 0


@pytest.mark.parametrize("runner", [simulate, reference_run])
def test_a_visit_is_not_convergence_kappa_one_bowl(runner):
    # κ = 1 bowl (J = ½‖θ‖²), α = 1, γ = 0.9, from rest at θ0 (‖θ0‖ = 3.640): v1 = θ0,
    # θ1 = 0 exactly, the minimum; but then v2 = 0.9 v1 + 0 and θ2 = −0.9 θ0, 3.276 away.
    # It comes back only at the rate √0.9 per step: not settled within 30 steps.
    bowl = quadratic(1.0)
    run = runner(bowl, "momentum", bowl.start, lr=1.0, momentum=0.9, steps=30)
    dist = np.linalg.norm(run.positions - np.asarray(bowl.minima[0].point), axis=-1)
    assert dist[1] == 0.0 and dist[2] == pytest.approx(0.9 * np.hypot(*bowl.start), rel=1e-12)
    assert run.minimum == -1 and run.converged_at == -1
    # Given enough steps it settles, at the step the path itself says.
    long = runner(bowl, "momentum", bowl.start, lr=1.0, momentum=0.9, steps=400)
    assert long.minimum == 0
    assert long.converged_at == _settled_from_path(long.positions, bowl.minima[0].point, 1e-3)
    assert long.converged_at > 100


@pytest.mark.parametrize("record", ["path", "summary"])
def test_settled_step_at_every_chunk_offset(record):
    # κ = 1 bowl with a wide tol: these runs enter and leave the ball repeatedly; ending
    # after every step count 1…40 puts the last exit at every offset within a chunk.
    bowl, tol = quadratic(1.0), 0.05
    lrs, momenta = np.linspace(0.9, 1.1, 9), np.linspace(0.3, 0.7, 9)
    kinds = set()
    for steps in range(1, 41):
        path = simulate(bowl, "momentum", bowl.start, lr=lrs, momentum=momenta, steps=steps,
                        tol=tol)  # fmt: skip
        run = simulate(bowl, "momentum", bowl.start, lr=lrs, momentum=momenta, steps=steps,
                       tol=tol, record=record)  # fmt: skip
        dist = np.linalg.norm(path.positions, axis=-1)  # (T, N); the minimum is the origin
        for col in range(lrs.size):
            ends = bool(dist[-1, col] <= tol)
            settled = _settled_from_path(path.positions[:, col], (0.0, 0.0), tol)
            assert run.converged_at[col] == (settled if ends else -1), (steps, col)
            assert run.minimum[col] == (0 if ends else -1)
            visited = bool((dist[:, col] <= tol).any())
            kinds.add("settled" if ends else "visited, left" if visited else "never")
    assert kinds == {"settled", "visited, left", "never"}


def test_common_random_numbers_across_methods():
    # Recover the noise each method saw from its own path: σ ε_t = (v_t − γ v_{t−1})/α − ∇J.
    surface = SURFACES["quadratic"]
    lr, gamma, sigma, seed, steps = 0.01, 0.7, 0.5, 11, 40
    seen = {}
    for method in ("sgd", "momentum"):
        run = simulate(surface, method, (2.0, 1.0), lr=lr, momentum=gamma, steps=steps,
                       noise=sigma, seed=seed)  # fmt: skip
        g = 0.0 if method == "sgd" else gamma
        v = run.velocities
        seen[method] = ((v[1:] - g * v[:-1]) / lr - surface.grad(run.positions[:-1])) / sigma
    np.testing.assert_allclose(seen["sgd"], seen["momentum"], atol=1e-9)
    expected = np.random.default_rng(seed).standard_normal((steps, 2))
    np.testing.assert_allclose(seen["sgd"], expected, atol=1e-9)
    other = simulate(surface, "sgd", (2.0, 1.0), lr=lr, steps=steps, noise=sigma, seed=seed + 1)
    assert not np.allclose(
        other.positions,
        simulate(surface, "sgd", (2.0, 1.0), lr=lr, steps=steps, noise=sigma, seed=seed).positions,
    )


# --- the default views make their point ------------------------------------------------


def test_multiwell_default_view_momentum_escapes_local_minimum():
    s = SURFACES["multiwell"]
    sgd = simulate(s, "sgd", s.start, lr=s.lr, steps=s.steps)
    mom = simulate(s, "momentum", s.start, lr=s.lr, momentum=0.9, steps=s.steps)
    assert sgd.minimum >= 0 and not s.minima[sgd.minimum].is_global
    assert mom.minimum >= 0 and s.minima[mom.minimum].is_global
    assert sgd.converged_at > 0 and mom.converged_at > 0


def test_rosenbrock_default_view_momentum_far_sooner():
    s = SURFACES["rosenbrock"]
    mom = simulate(s, "momentum", s.start, lr=s.lr, momentum=s.momentum, steps=s.steps)
    assert 0 < mom.converged_at <= s.steps
    sgd = simulate(s, "sgd", s.start, lr=s.lr, steps=100 * s.steps, record="summary")
    assert sgd.converged_at > 10 * mom.converged_at


# --- bad input ---------------------------------------------------------------------------

BAD = [
    (dict(lr=0.0), "lr", "0.0"),
    (dict(lr=-1e-3), "lr", "-0.001"),
    (dict(lr=float("nan")), "lr", "nan"),
    (dict(lr=float("inf")), "lr", "inf"),
    (dict(lr="fast"), "lr", "fast"),
    (dict(momentum=1.0), "momentum", r"\[0, 1\)"),
    (dict(momentum=-0.1), "momentum", "-0.1"),
    (dict(momentum=[0.5, 1.5]), "momentum", "1.5"),
    (dict(steps=0), "steps", "0"),
    (dict(steps=100_001), "steps", "100,000"),
    (dict(steps=2.5), "steps", "2.5"),
    (dict(noise=-0.1), "noise", "-0.1"),
    (dict(noise=float("nan")), "noise", "nan"),
    (dict(seed=-1), "seed", "-1"),
    (dict(tol=0.0), "tol", "0"),
    (dict(record="all"), "record", "all"),
    (dict(start=(0.0, float("nan"))), "start", "nan"),
    (dict(start=(0.0, 1.0, 2.0)), "start", r"\(3,\)"),
    (dict(start=np.zeros((3, 2)), lr=np.full(4, 1e-3)), "broadcast", "start"),
    (dict(lr=np.full((2, 2), 1e-3)), "lr", r"\(2, 2\)"),
    (dict(method="adam"), "method", "adam"),
    (dict(surface="banana"), "surface", "banana"),
]


@pytest.mark.parametrize(("override", "name", "value"), BAD)
def test_bad_input_names_parameter_value_and_range(override, name, value):
    kwargs = dict(surface="rosenbrock", method="momentum", start=(0.0, 0.0), lr=1e-3,
                  momentum=0.5, steps=10)  # fmt: skip
    kwargs.update(override)
    with pytest.raises(ValueError, match=name) as err:
        simulate(**kwargs)
    assert __import__("re").search(value, str(err.value)), str(err.value)
