"""Surfaces: analytic derivatives against finite differences, minima, registry, shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from surfaces import SURFACES, get_surface, quadratic

NAMES = list(SURFACES)


def _random_points(surface, n, seed):
    (xmin, xmax), (ymin, ymax) = surface.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)], axis=-1)


def _central_grad(fn, xy, h):
    """Central differences of fn (points → values) along x and y."""
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    dx = (fn(xy + ex) - fn(xy - ex)) / (2 * h)
    dy = (fn(xy + ey) - fn(xy - ey)) / (2 * h)
    return np.stack([dx, dy], axis=-1)


def test_registry_names_and_required_surfaces():
    required = {"rosenbrock", "multiwell", "quadratic", "himmelblau"}
    assert required <= set(NAMES)
    assert len(set(NAMES) & {"beale", "rastrigin", "six_hump_camel", "styblinski_tang"}) >= 2
    assert NAMES[:2] == ["rosenbrock", "multiwell"]
    for name, surface in SURFACES.items():
        assert surface.name == name
        assert get_surface(name) is surface


def test_unknown_surface_lists_valid_names():
    with pytest.raises(ValueError, match="rosenbrock") as err:
        get_surface("banana")
    assert "banana" in str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    surface = SURFACES[name]
    xy = _random_points(surface, 200, seed=1)
    expected = _central_grad(surface.value, xy, h=1e-6)
    scale = np.abs(expected).max(axis=-1, keepdims=True) + 1.0
    np.testing.assert_allclose(surface.grad(xy) / scale, expected / scale, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_matches_central_differences_of_gradient(name):
    surface = SURFACES[name]
    xy = _random_points(surface, 200, seed=2)
    h = 1e-6
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    col_x = (surface.grad(xy + ex) - surface.grad(xy - ex)) / (2 * h)
    col_y = (surface.grad(xy + ey) - surface.grad(xy - ey)) / (2 * h)
    expected = np.stack([col_x, col_y], axis=-1)  # [..., i, j] = d g_i / d x_j
    hess = surface.hessian(xy)
    np.testing.assert_allclose(hess, np.swapaxes(hess, -1, -2))  # symmetric
    scale = np.abs(expected).max(axis=(-1, -2), keepdims=True) + 1.0
    np.testing.assert_allclose(hess / scale, expected / scale, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_broadcast_over_leading_axes(name):
    surface = SURFACES[name]
    xy = _random_points(surface, 12, seed=3).reshape(3, 4, 2)
    assert surface.value(xy).shape == (3, 4)
    assert surface.grad(xy).shape == (3, 4, 2)
    assert surface.hessian(xy).shape == (3, 4, 2, 2)
    assert surface.value(xy[0, 0]).shape == ()
    assert surface.grad(xy[0, 0]).shape == (2,)
    assert surface.hessian(xy[0, 0]).shape == (2, 2)
    # Batched evaluation agrees with point-by-point evaluation.
    for i, j in [(0, 0), (2, 3)]:
        assert surface.value(xy)[i, j] == pytest.approx(float(surface.value(xy[i, j])))


@pytest.mark.parametrize("name", NAMES)
def test_listed_minima_are_minima(name):
    surface = SURFACES[name]
    assert surface.minima
    lowest = min(m.value for m in surface.minima)
    for m in surface.minima:
        p = np.array(m.point)
        grad = surface.grad(p)
        hess = surface.hessian(p)
        assert np.linalg.eigvalsh(hess).min() > 0, "Hessian must be positive definite"
        # Newton step size from here: how far the true minimum can be from the listed one.
        assert np.linalg.norm(np.linalg.solve(hess, grad)) < 1e-8
        assert float(surface.value(p)) == pytest.approx(m.value, abs=1e-12)
        assert m.is_global == math.isclose(m.value, lowest, abs_tol=1e-9)
        (xmin, xmax), (ymin, ymax) = surface.bounds
        assert xmin <= m.point[0] <= xmax and ymin <= m.point[1] <= ymax
    assert any(m.is_global for m in surface.minima)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_valid(name):
    surface = SURFACES[name]
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert xmin < surface.start[0] < xmax and ymin < surface.start[1] < ymax
    assert 1e-5 <= surface.lr <= 1
    assert 0 <= surface.momentum < 1
    assert 10 <= surface.steps <= 2000
    assert surface.title and surface.latex


def test_known_minima_of_classic_functions():
    # Published locations: Rosenbrock (1, 1); Himmelblau (3, 2) among four zeros;
    # Six-hump camel f = -1.0316 at (±0.0898, ∓0.7126); Styblinski–Tang -39.16617 per axis.
    assert SURFACES["rosenbrock"].minima[0].point == (1.0, 1.0)
    himmel = SURFACES["himmelblau"]
    assert len(himmel.minima) == 4 and all(m.is_global for m in himmel.minima)
    assert all(abs(m.value) < 1e-20 for m in himmel.minima)
    camel = SURFACES["six_hump_camel"]
    assert sum(m.is_global for m in camel.minima) == 2
    assert min(m.value for m in camel.minima) == pytest.approx(-1.0316, abs=1e-4)
    st_global = SURFACES["styblinski_tang"].global_minimum
    assert st_global.value == pytest.approx(2 * -39.16617, abs=1e-4)


def test_multiwell_lists_every_minimum_and_one_global():
    surface = SURFACES["multiwell"]
    assert len(surface.minima) >= 3
    values = sorted(m.value for m in surface.minima)
    assert len(set(np.round(values, 6))) == len(values), "depths must differ"
    assert sum(m.is_global for m in surface.minima) == 1
    # Independent search: plain gradient descent from a dense grid of starts over the
    # plotted domain ends only at listed minima (no unlisted minimum hides anywhere).
    (xmin, xmax), (ymin, ymax) = surface.bounds
    xs, ys = np.meshgrid(np.linspace(xmin, xmax, 41), np.linspace(ymin, ymax, 41))
    pts = np.stack([xs.ravel(), ys.ravel()], axis=-1)
    for _ in range(4000):
        pts = pts - 0.2 * surface.grad(pts)
    listed = np.array([m.point for m in surface.minima])
    dist = np.linalg.norm(pts[:, None, :] - listed[None, :, :], axis=-1).min(axis=1)
    assert dist.max() < 1e-3
    # Bounded below: the bowl outgrows the wells.
    far = np.array([[50.0, 50.0], [-80.0, 10.0]])
    assert (surface.value(far) > values[0]).all()


@given(
    kappa=st.floats(1.0, 1000.0),
    angle=st.floats(-math.pi, math.pi),
)
@settings(max_examples=50, deadline=None)
def test_quadratic_eigenvalues_are_exact(kappa, angle):
    bowl = quadratic(kappa=kappa, angle=angle)
    eig = np.linalg.eigvalsh(bowl.hessian(np.array([0.3, -0.2])))
    np.testing.assert_allclose(eig, [1.0, kappa], rtol=1e-9, atol=1e-9)
    # The stored eigenvalues (which the theory panel and the stability line use) are
    # those of the Hessian, ascending.
    np.testing.assert_allclose(bowl.eigenvalues, eig, rtol=1e-9, atol=1e-9)
    # The slow eigenvector points along the angle.
    direction = np.array([math.cos(angle), math.sin(angle)])
    np.testing.assert_allclose(bowl.grad(direction), direction, atol=1e-9 * kappa)


def test_quadratic_registry_entry_and_bad_kappa():
    registered = SURFACES["quadratic"]
    eig = np.linalg.eigvalsh(registered.hessian(np.array(registered.start)))
    np.testing.assert_allclose(registered.eigenvalues, eig, rtol=1e-9)
    assert eig[1] / eig[0] == pytest.approx(surfaces.DEFAULT_KAPPA, rel=1e-9)
    for bad in (0.5, float("nan"), float("inf"), 1e9):
        with pytest.raises(ValueError, match="kappa"):
            quadratic(kappa=bad)


def test_point_shape_is_checked():
    with pytest.raises(ValueError, match="last axis"):
        surfaces.SURFACES["rosenbrock"].value(np.zeros(3))


def test_styblinski_tang_depths_are_as_described():
    # "one global, two of equal depth, one shallow": J = Σ (t⁴ − 16t² + 5t)/2 over the two
    # coordinates, each at the deep root t₋ ≈ −2.9035 or the shallow one t₊ ≈ 2.7468.
    surface = SURFACES["styblinski_tang"]
    depths = sorted(round(m.value, 6) for m in surface.minima)
    assert len(depths) == 4 and depths[1] == depths[2]
    assert depths[0] < depths[1] < depths[3]
    assert "one global, two of equal depth, one shallow" in surface.description


def test_beale_default_view_shows_the_plateau():
    # The description promises a plateau where plain SGD crawls: at the default view
    # momentum reaches the minimum, SGD does not, and neither diverges.
    from momentum_viz import simulate

    surface = SURFACES["beale"]
    args = dict(lr=surface.lr, momentum=surface.momentum, steps=surface.steps)
    momentum = simulate(surface, "momentum", surface.start, **args)
    sgd = simulate(surface, "sgd", surface.start, **args)
    assert momentum.minimum == 0 and momentum.converged_at > 0
    assert sgd.converged_at == -1 and sgd.diverged_at == -1
    assert sgd.losses[-1] > 1e-3  # still on the plateau, not just short of tol
