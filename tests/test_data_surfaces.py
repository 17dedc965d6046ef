"""The data surfaces (least squares on Engel's budgets, logistic on iris petals) and
simulate's mini-batches.

Every number is checked against an independent source: a plain Python loop over the
examples (math module, no NumPy broadcasting), central finite differences, the textbook
closed form and ``numpy.linalg.lstsq`` for the least-squares minimum, the Hessian's
eigenvalues for κ, and, for the mini-batches, the gradient each step must have used,
recovered from the run's own positions and velocities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_viz.numerics.minibatch as minibatch
from momentum_viz import Run, reference_run, simulate
from momentum_viz.numerics.minibatch import batch_indices
from surfaces import SURFACES, DataFileError, DataSurface, least_squares, logistic
from surfaces.datasets import ENGEL_UNIT, load_table

DATA_SURFACES = {
    "engel": least_squares(False),
    "engel-standardized": least_squares(True),
    "iris": logistic(),
}
METHODS = ("sgd", "momentum", "nesterov")


# --- plain loops over the examples: the independent reference ---------------------------


def _loop_value_grad_hessian(surface: DataSurface, theta) -> tuple[float, list, list]:
    """J, ∇J and ∇²J at one point by a Python loop over the examples (math module)."""
    a, b = float(theta[0]), float(theta[1])
    features, labels = surface.data
    value, grad, hess = 0.0, [0.0, 0.0], [[0.0, 0.0], [0.0, 0.0]]
    for row, label in zip(features.tolist(), labels.tolist(), strict=True):
        if surface.model == "least-squares":
            u = (row[0], 1.0)  # d residual / d (slope, intercept)
            r = a * u[0] + b - label
            value += r * r
            dloss, curv = 2.0 * r, 2.0
        else:
            u = (row[0], row[1])
            z = a * u[0] + b * u[1]
            value += math.log1p(math.exp(-abs(z))) + max(z, 0.0) - label * z
            p = 1.0 / (1.0 + math.exp(-z))
            dloss, curv = p - label, p * (1.0 - p)
        for i in range(2):
            grad[i] += dloss * u[i]
            for j in range(2):
                hess[i][j] += curv * u[i] * u[j]
    n = len(labels)
    return value / n, [g / n for g in grad], [[h / n for h in row] for row in hess]


def _points(surface, count: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.bounds
    return np.stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)], axis=-1)


@pytest.mark.parametrize("key", list(DATA_SURFACES))
def test_value_gradient_hessian_equal_a_loop_over_the_examples(key):
    surface = DATA_SURFACES[key]
    points = _points(surface)
    values, grads, hessians = surface.value(points), surface.grad(points), surface.hessian(points)
    for point, value, grad, hess in zip(points, values, grads, hessians, strict=True):
        want_value, want_grad, want_hess = _loop_value_grad_hessian(surface, point)
        np.testing.assert_allclose(value, want_value, rtol=1e-12)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12 * np.abs(want_grad).max())
        np.testing.assert_allclose(
            hess, want_hess, rtol=1e-12, atol=1e-12 * np.abs(want_hess).max()
        )


@pytest.mark.parametrize("key", list(DATA_SURFACES))
def test_per_example_gradients_equal_a_loop_and_average_to_the_gradient(key):
    surface = DATA_SURFACES[key]
    features, labels = surface.data
    for a, b in _points(surface, count=3, seed=3):
        rows = surface.example_grads((a, b))
        assert rows.shape == (surface.n_examples, 2)
        for i in (0, 17, surface.n_examples - 1):
            if surface.model == "least-squares":
                u = (features[i, 0], 1.0)
                dloss = 2.0 * (a * u[0] + b - labels[i])
            else:
                u = (features[i, 0], features[i, 1])
                dloss = 1.0 / (1.0 + math.exp(-(a * u[0] + b * u[1]))) - labels[i]
            np.testing.assert_allclose(rows[i], (dloss * u[0], dloss * u[1]), rtol=1e-12)
        np.testing.assert_allclose(rows.mean(axis=0), surface.grad((a, b)), rtol=1e-10)
        batch = np.array([3, 1, 4, 15])
        np.testing.assert_allclose(surface.batch_grad((a, b), batch), rows[batch].mean(axis=0),
                                   rtol=1e-13)  # fmt: skip


@pytest.mark.parametrize("key", list(DATA_SURFACES))
def test_gradient_and_hessian_equal_finite_differences(key):
    surface = DATA_SURFACES[key]
    points = _points(surface, seed=1)
    step = 1e-5 * np.array([np.ptp(axis) for axis in surface.bounds])
    for k in range(2):
        shift = np.zeros(2)
        shift[k] = step[k]
        fd_grad = (surface.value(points + shift) - surface.value(points - shift)) / (2 * step[k])
        np.testing.assert_allclose(surface.grad(points)[:, k], fd_grad, rtol=1e-6, atol=1e-7)
        fd_hess = (surface.grad(points + shift) - surface.grad(points - shift)) / (2 * step[k])
        np.testing.assert_allclose(surface.hessian(points)[:, :, k], fd_hess, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("key", list(DATA_SURFACES))
def test_values_broadcast_like_every_surface(key):
    surface = DATA_SURFACES[key]
    grid = _points(surface, count=12).reshape(3, 4, 2)
    assert surface.value(grid).shape == (3, 4)
    assert surface.grad(grid).shape == (3, 4, 2)
    assert surface.hessian(grid).shape == (3, 4, 2, 2)
    np.testing.assert_array_equal(surface.value(grid)[1, 2], surface.value(grid[1, 2]))
    # A map-sized grid goes through the example sum in slices: the same numbers.
    big = np.broadcast_to(grid[1, 2], (300, 300, 2))
    np.testing.assert_allclose(surface.value(big), surface.value(grid[1, 2]), rtol=1e-14)


@pytest.mark.parametrize("standardize", [False, True])
def test_least_squares_minimum_is_the_lstsq_solution(standardize):
    surface = least_squares(standardize)
    table = np.loadtxt("surfaces/data/engel.csv", delimiter=",", skiprows=1) / ENGEL_UNIT
    x, y = table[:, 0], table[:, 1]
    if standardize:
        x = (x - x.mean()) / x.std()
    np.testing.assert_array_equal(surface.data[0][:, 0], x)
    lstsq = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)[0]
    # The textbook closed form, too: slope = cov(x, y) / var(x), intercept = ȳ − slope x̄.
    slope = np.mean((x - x.mean()) * (y - y.mean())) / np.var(x)
    closed = (slope, y.mean() - slope * x.mean())
    (point, value, is_global) = surface.minima[0]
    np.testing.assert_allclose(point, lstsq, rtol=1e-12)
    np.testing.assert_allclose(point, closed, rtol=1e-10)
    assert is_global
    np.testing.assert_allclose(value, np.mean((lstsq[0] * x + lstsq[1] - y) ** 2), rtol=1e-12)
    np.testing.assert_allclose(_loop_value_grad_hessian(surface, point)[1], 0.0, atol=1e-12)


def test_kappa_is_the_ratio_of_the_hessians_eigenvalues_at_the_minimum():
    for surface in DATA_SURFACES.values():
        point = surface.minima[0].point
        lam = np.linalg.eigvalsh(np.array(_loop_value_grad_hessian(surface, point)[2]))
        assert surface.kappa == pytest.approx(lam[1] / lam[0], rel=1e-9)
    # Unscaled income: a long thin valley; standardized: round (κ = 1 exactly in theory).
    assert 100 <= least_squares(False).kappa <= 5000
    assert least_squares(True).kappa == pytest.approx(1.0, abs=1e-9)
    assert 100 <= logistic().kappa <= 5000


def test_logistic_minimum_is_finite_where_newton_converges():
    surface = logistic()
    point = np.array(surface.minima[0].point)
    assert np.all(np.abs(point) < 20)  # separable data would push it to infinity
    value, grad, hess = _loop_value_grad_hessian(surface, point)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(np.array(hess)) > 0)
    assert value == pytest.approx(surface.minima[0].value, rel=1e-12)
    # Not separable: at the minimum some flowers are still on the wrong side.
    features, labels = surface.data
    predicted = (features @ point > 0).astype(float)
    assert 0 < np.sum(predicted != labels) < len(labels) / 2


def test_data_surfaces_are_registered_with_their_data():
    for name, model in (("engel", "least-squares"), ("iris", "logistic")):
        surface = SURFACES[name]
        assert isinstance(surface, DataSurface) and surface.model == model
        features, labels = surface.data
        assert features.shape == (len(labels), 1 if model == "least-squares" else 2)
        assert not features.flags.writeable and not labels.flags.writeable
        (xmin, xmax), (ymin, ymax) = surface.bounds
        for x, y in (surface.start, surface.minima[0].point):
            assert xmin < x < xmax and ymin < y < ymax
    assert least_squares(True) != least_squares(False)
    assert dict(least_squares(True).params) == {"standardize": True}
    with pytest.raises(ValueError, match="standardize must be True or False; got 'yes'"):
        least_squares("yes")


# --- a broken data file is refused at load ----------------------------------------------

BROKEN = [
    ("a,b\n1,2\n3\n", "line 3: expected 2 columns, got 1"),
    ("a,b\n1,2\n3,x\n", "line 3: not a number"),
    ("a,b\n1,2\n3,nan\n", "line 3: a value is not finite"),
    ("a,b\n1,2\n3,inf\n", "line 3: a value is not finite"),
    ("a,b\n1,2\n", "expected at least 2 rows, got 1"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_broken_data_file_is_refused_with_its_name_and_problem(tmp_path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(DataFileError, match=message) as err:
        load_table("bad.csv", 2, min_rows=2, directory=tmp_path)
    assert "bad.csv" in str(err.value)
    (tmp_path / "good.csv").write_text("a,b\n1,2\n3,4\n")
    np.testing.assert_array_equal(load_table("good.csv", 2, min_rows=2, directory=tmp_path),
                                  [[1, 2], [3, 4]])  # fmt: skip
    with pytest.raises(DataFileError, match=r"missing\.csv cannot be read"):
        load_table("missing.csv", 2, directory=tmp_path)


# --- mini-batches ----------------------------------------------------------------------


def _used_gradients(run: Run, lr: float, gamma: float) -> np.ndarray:
    """The gradient g_t each step used, recovered from the run: α g_t = v_{t+1} − γ v_t."""
    v = run.velocities
    return (v[1:] - gamma * v[:-1]) / lr


def _gradient_points(run: Run, method: str, gamma: float) -> np.ndarray:
    """Where each step's gradient was taken: θ_t, or θ_t − γ v_t for Nesterov."""
    theta, v = run.positions[:-1], run.velocities[:-1]
    return theta - gamma * v if method == "nesterov" else theta


@pytest.mark.parametrize("batches", ["independent", "epoch"])
@pytest.mark.parametrize("key", ["engel", "iris"])
def test_every_method_uses_the_same_batch_sequence(key, batches):
    surface = DATA_SURFACES[key]
    lr, gamma, steps, b, seed = surface.lr / 4, 0.5, 60, 7, 11
    table = batch_indices(surface.n_examples, b, steps=steps, seed=seed, batches=batches)
    for method in METHODS:
        run = simulate(surface, method, surface.start, lr=lr, momentum=gamma, steps=steps,
                       batch_size=b, seed=seed, batches=batches)  # fmt: skip
        g = 0.0 if method == "sgd" else gamma
        used = _used_gradients(run, lr, g)
        at = _gradient_points(run, method, g)
        for t in (0, 1, steps // 2, steps - 2):
            want = surface.example_grads(at[t])[table[t]].mean(axis=0)
            np.testing.assert_allclose(used[t], want, rtol=1e-9, atol=1e-12)
            others = surface.example_grads(at[t])[table[t + 1]].mean(axis=0)
            assert not np.allclose(used[t], others, rtol=1e-6)  # a different batch differs


def test_sigma_adds_gaussian_noise_to_the_mini_batch_gradient():
    surface = least_squares(False)
    lr, steps, b, seed, sigma = surface.lr / 4, 40, 5, 3, 0.7
    run = simulate(surface, "sgd", surface.start, lr=lr, steps=steps, batch_size=b, seed=seed,
                   noise=sigma)  # fmt: skip
    table = batch_indices(surface.n_examples, b, steps=steps, seed=seed)
    eps = np.random.default_rng(seed).standard_normal((steps, 2))
    used = _used_gradients(run, lr, 0.0)
    for t in range(steps):
        want = surface.example_grads(run.positions[t])[table[t]].mean(axis=0) + sigma * eps[t]
        np.testing.assert_allclose(used[t], want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("batches", ["independent", "epoch"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("key", list(DATA_SURFACES))
def test_batch_size_n_is_exactly_the_full_batch_run(key, method, batches):
    surface = DATA_SURFACES[key]
    kwargs = dict(lr=surface.lr, momentum=0.9, steps=200, seed=5, noise=0.1)
    full = simulate(surface, method, surface.start, **kwargs)
    all_data = simulate(surface, method, surface.start, batch_size=surface.n_examples,
                        batches=batches, **kwargs)  # fmt: skip
    np.testing.assert_array_equal(all_data.positions, full.positions)
    np.testing.assert_array_equal(all_data.losses, full.losses)
    one_less = simulate(surface, method, surface.start, batch_size=surface.n_examples - 1,
                        batches=batches, **kwargs)  # fmt: skip
    assert not np.array_equal(one_less.positions, full.positions)


@pytest.mark.parametrize("b", [1, 16])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("key", list(DATA_SURFACES))
def test_mini_batch_runs_agree_on_every_path(key, method, b, numpy_path):
    """Kernel, NumPy batched integrator and reference_run, to the bit; a batch of runs
    sees, run by run, the batches a single run sees."""
    surface = DATA_SURFACES[key]
    starts = _points(surface, count=5, seed=2)
    starts[0] = surface.start
    lrs = surface.lr * np.array([0.05, 0.1, 0.3, 1.0, 3.0])  # stable to diverging
    kwargs = dict(momentum=0.8, steps=120, seed=9, batch_size=b, noise=0.05)
    compiled = simulate(surface, method, starts, lr=lrs, **kwargs)
    numpy_run = numpy_path(surface, method, starts, lr=lrs, **kwargs)
    for field in ("positions", "velocities", "losses", "converged_at", "diverged_at", "minimum"):
        np.testing.assert_array_equal(getattr(compiled, field), getattr(numpy_run, field), field)
    for i in (0, 2, 4):
        ref = reference_run(surface, method, tuple(starts[i]), lr=float(lrs[i]), **kwargs)
        np.testing.assert_array_equal(compiled.positions[:, i], ref.positions)
        assert compiled.diverged_at[i] == ref.diverged_at
        one = simulate(surface, method, starts[i], lr=lrs[i], **kwargs)
        np.testing.assert_array_equal(one.positions, ref.positions)


def test_batches_are_drawn_without_replacement_and_uniformly():
    n, b, steps = 20, 6, 20000
    table = batch_indices(n, b, steps=steps, seed=1)
    assert table.shape == (steps, b) and table.min() >= 0 and table.max() < n
    assert all(len(set(row)) == b for row in table[:500].tolist())  # no example twice
    counts = np.bincount(table.ravel(), minlength=n)
    expected = steps * b / n  # each example is in a batch with probability b / N
    assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected))
    # Independent steps: consecutive batches share b² / N examples on average (1.8 here).
    pairs = zip(table[:-1].tolist(), table[1:].tolist(), strict=True)
    shared = [len(set(p) & set(q)) for p, q in pairs]
    assert np.mean(shared) == pytest.approx(b * b / n, rel=0.05)


def test_epoch_batches_are_disjoint_within_an_epoch():
    n, b = 20, 6  # 3 batches per epoch; the 2 examples left over each epoch are dropped
    table = batch_indices(n, b, steps=30, seed=4, batches="epoch")
    for epoch in range(10):
        rows = table[3 * epoch : 3 * epoch + 3].ravel()
        assert len(set(rows.tolist())) == 18
    assert not np.array_equal(table[:3], table[3:6])  # reshuffled


def test_batch_draw_does_not_depend_on_the_slicing(monkeypatch):
    whole = batch_indices(50, 4, steps=1000, seed=7)
    monkeypatch.setattr(minibatch, "_KEYS_PER_SLICE", 50 * 3)  # 3 steps per slice
    np.testing.assert_array_equal(batch_indices(50, 4, steps=1000, seed=7), whole)
    # 100,000 steps draw keys a slice at a time: the table is all that is kept.
    big = batch_indices(235, 1, steps=100_000, seed=0)
    assert big.shape == (100_000, 1) and big.dtype == np.int32


BAD_BATCHING = [
    ("rosenbrock", {"batch_size": 4}, "batch_size must be None on the surface 'rosenbrock'"),
    ("engel", {"batch_size": 0}, r"batch_size must be a whole number in 1…235; got 0"),
    ("engel", {"batch_size": 236}, r"batch_size must be a whole number in 1…235; got 236"),
    ("iris", {"batch_size": 101}, r"batch_size must be a whole number in 1…100; got 101"),
    ("iris", {"batch_size": 2.5}, r"batch_size must be a whole number in 1…100; got 2.5"),
    ("iris", {"batch_size": True}, r"batch_size must be a whole number in 1…100; got True"),
    ("iris", {"batches": "shuffled"}, r"batches must be one of independent, epoch; got 'shuffled'"),
]


@pytest.mark.parametrize(("name", "kwargs", "message"), BAD_BATCHING)
def test_bad_batching_is_a_value_error_naming_parameter_value_and_range(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(name, "sgd", (0.0, 0.0), lr=0.01, steps=5, **kwargs)
    with pytest.raises(ValueError, match=message):
        reference_run(name, "sgd", (0.0, 0.0), lr=0.01, steps=5, **kwargs)
