"""Tests of the parameter and basin maps and their figures.

Map cells are checked against the readable per-run loop (``reference_run``) and single
``simulate`` calls; the stability boundary against the simulated divergence and the
eigenvalues of the bowl's Hessian.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import plotly.graph_objects as go
import pytest

import momentum_viz.numerics.maps as maps_module
from momentum_viz.numerics.maps import (
    BASIN_DIVERGED,
    BASIN_NONE,
    CONVERGED,
    DIVERGED,
    NOT_CONVERGED,
    BasinMap,
    ParameterMap,
    basin_map,
    default_axes,
    parameter_map,
    stability_boundary,
)
from momentum_viz.numerics.optimizer import reference_run, simulate
from momentum_viz.numerics.ranges import LR_RANGE, MOMENTUM_RANGE
from momentum_viz.views.basin_map import (
    BASIN_DIVERGED_COLOR,
    BASIN_NONE_COLOR,
    GLOBAL_BASIN_COLORS,
    LOCAL_BASIN_COLORS,
    basin_map_figure,
)
from momentum_viz.views.parameter_map import (
    CONVERGED_SCALE,
    DIVERGED_COLOR,
    NOT_CONVERGED_COLOR,
    lr_coordinate,
    momentum_coordinate,
    parameter_map_figure,
)
from surfaces import SURFACES, quadratic

BOWL = quadratic(kappa=50.0)
LAM_MAX = float(np.linalg.eigvalsh(BOWL.hessian(np.zeros(2)))[-1])
STEPS = 300  # enough for SGD's best step size to converge on the bowl


@pytest.fixture(scope="module")
def bowl_map() -> ParameterMap:
    lrs = np.geomspace(1e-3, 0.5, 25)
    momenta = np.array([0.0, 0.3, 0.6, 0.8, 0.9, 0.97, 0.995])
    return parameter_map(BOWL, "momentum", BOWL.start, lrs=lrs, momenta=momenta, steps=STEPS)


@pytest.fixture(scope="module")
def multiwell_basins() -> dict[str, BasinMap]:
    s = SURFACES["multiwell"]
    return {
        m: basin_map(s, m, lr=s.lr, momentum=s.momentum, steps=s.steps, resolution=30)
        for m in ("sgd", "momentum")
    }


def _same_as_reference(surface, method, start, lr, momentum, steps, got):
    ref = reference_run(surface, method, start, lr=lr, momentum=momentum, steps=steps)
    converged_at, diverged, minimum = got
    assert converged_at == ref.converged_at
    assert diverged == (ref.diverged_at >= 0)
    assert minimum == ref.minimum


# --- parameter map -------------------------------------------------------------------------


def test_parameter_map_shapes_and_axes(bowl_map):
    n_mom, n_lr = bowl_map.momenta.size, bowl_map.lrs.size
    assert (n_mom, n_lr) == (7, 25) == bowl_map.shape
    for grid in (bowl_map.converged_at, bowl_map.diverged, bowl_map.minimum, bowl_map.status):
        assert grid.shape == (n_mom, n_lr)
    assert bowl_map.diverged.dtype == bool
    assert np.issubdtype(bowl_map.converged_at.dtype, np.integer)
    np.testing.assert_array_equal(bowl_map.lrs, np.geomspace(1e-3, 0.5, 25))
    assert set(np.unique(bowl_map.status)) == {DIVERGED, NOT_CONVERGED, CONVERGED}
    assert not bowl_map.converged_at.flags.writeable


def test_cell_lookup(bowl_map):
    assert bowl_map.cell(bowl_map.lrs[7] * 1.01, bowl_map.momenta[3] + 0.01) == (3, 7)
    assert bowl_map.cell(1e-9, 0.0) == (0, 0)
    assert bowl_map.cell(10.0, 0.9999) == (6, 24)


def test_status_follows_converged_and_diverged(bowl_map):
    status = bowl_map.status
    np.testing.assert_array_equal(status == DIVERGED, bowl_map.diverged)
    np.testing.assert_array_equal(
        status == CONVERGED, (bowl_map.converged_at >= 0) & ~bowl_map.diverged
    )
    assert np.all(bowl_map.minimum[bowl_map.diverged] == -1)
    assert np.all(bowl_map.reached_global == (bowl_map.minimum == 0))  # one global minimum


@pytest.mark.parametrize(
    ("row", "col"),
    [(0, 0), (0, 18), (0, 24), (3, 12), (4, 16), (5, 20), (6, 3), (6, 24), (2, 21)],
)
def test_parameter_map_cells_match_the_reference_loop(bowl_map, row, col):
    lr, gamma = bowl_map.lrs[col], bowl_map.momenta[row]
    got = (
        bowl_map.converged_at[row, col],
        bowl_map.diverged[row, col],
        bowl_map.minimum[row, col],
    )
    _same_as_reference(BOWL, "momentum", BOWL.start, lr, gamma, STEPS, got)


def test_sampled_cells_cover_the_interesting_cases(bowl_map):
    # The cells above include a diverged one, a converged one, a not-converged one and γ = 0.
    cells = [(0, 0), (0, 18), (0, 24), (3, 12), (4, 16), (5, 20), (6, 3), (6, 24), (2, 21)]
    seen = {int(bowl_map.status[r, c]) for r, c in cells}
    assert seen == {DIVERGED, NOT_CONVERGED, CONVERGED}
    assert any(bowl_map.momenta[r] == 0.0 for r, _ in cells)


def test_multiwell_map_cells_match_single_runs():
    s = SURFACES["multiwell"]
    lrs, momenta = np.array([0.01, 0.3, 0.9]), np.array([0.0, 0.5, 0.9, 0.95])
    pmap = parameter_map(s, "momentum", s.start, lrs=lrs, momenta=momenta, steps=s.steps)
    for row, gamma in enumerate(momenta):
        for col, lr in enumerate(lrs):
            run = simulate(s, "momentum", s.start, lr=lr, momentum=gamma, steps=s.steps)
            assert pmap.converged_at[row, col] == run.converged_at
            assert pmap.diverged[row, col] == (run.diverged_at >= 0)
            assert pmap.minimum[row, col] == run.minimum
            is_global = run.minimum >= 0 and s.minima[run.minimum].is_global
            assert pmap.reached_global[row, col] == is_global
    # The escape story on the map: SGD (γ = 0) ends in a local well, γ = 0.9 in the global.
    assert not pmap.reached_global[0, 1] and pmap.reached_global[2, 1]


def test_gamma_zero_row_is_exactly_sgd(bowl_map):
    sgd = parameter_map(
        BOWL, "sgd", BOWL.start, lrs=bowl_map.lrs, momenta=bowl_map.momenta, steps=STEPS
    )
    for grid in ("converged_at", "diverged", "minimum"):
        np.testing.assert_array_equal(getattr(bowl_map, grid)[0], getattr(sgd, grid)[0])
        # SGD ignores γ: every row is the same.
        assert np.all(getattr(sgd, grid) == getattr(sgd, grid)[0])
    assert (sgd.status[0] == CONVERGED).any() and (sgd.status[0] == DIVERGED).any()


def test_parameter_map_is_one_batched_call(monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return simulate(*args, **kwargs)

    monkeypatch.setattr(maps_module, "simulate", counting)
    lrs, momenta = default_axes(BOWL, n_lr=30, n_mom=20)
    parameter_map(BOWL, "nesterov", BOWL.start, lrs=lrs, momenta=momenta, steps=50)
    basin_map(BOWL, "momentum", lr=0.02, momentum=0.8, steps=50, resolution=12)
    assert len(calls) == 2
    assert calls[0]["record"] == "summary" and np.shape(calls[0]["lr"]) == (600,)
    assert calls[1]["record"] == "summary"


def test_noise_and_seed_reach_the_runs():
    s = SURFACES["himmelblau"]
    lrs, momenta = np.array([0.002, 0.01]), np.array([0.0, 0.8])
    kw = {"lrs": lrs, "momenta": momenta, "steps": 150, "tol": 0.05}
    noisy = parameter_map(s, "momentum", s.start, noise=2.0, seed=3, **kw)
    for row, gamma in enumerate(momenta):
        for col, lr in enumerate(lrs):
            ref = simulate(
                s, "momentum", s.start, lr=lr, momentum=gamma, steps=150, noise=2.0, seed=3,
                tol=0.05,
            )  # fmt: skip
            assert noisy.converged_at[row, col] == ref.converged_at
            assert noisy.minimum[row, col] == ref.minimum
    assert (noisy.noise, noisy.seed, noisy.tol) == (2.0, 3, 0.05)


# --- default axes --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SURFACES))
def test_default_axes(name):
    surface = SURFACES[name]
    lrs, momenta = default_axes(surface)
    assert lrs.shape == (120,) and momenta.shape == (120,)
    assert LR_RANGE[0] <= lrs[0] <= surface.lr / 100 or lrs[0] == LR_RANGE[0]
    assert lrs[0] <= surface.lr <= lrs[-1]
    assert lrs[-1] == pytest.approx(LR_RANGE[1])
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)  # log-spaced
    assert momenta[0] == 0.0 and momenta[-1] == MOMENTUM_RANGE[1]
    assert np.all(np.diff(momenta) > 0)
    assert np.count_nonzero(momenta >= 0.9) >= 40  # room where momentum changes most


def test_default_axes_include_a_small_current_lr():
    multiwell = SURFACES["multiwell"]
    lrs, _ = default_axes(multiwell, 1e-4, n_lr=10, n_mom=3)
    assert lrs[0] <= 1e-4 and lrs[0] >= LR_RANGE[0]
    assert default_axes(multiwell, 0.5, n_lr=10)[0][0] == pytest.approx(multiwell.lr / 1000)


@pytest.mark.parametrize(
    ("surface", "method"),
    [(quadratic(1.0), "momentum"), (SURFACES["styblinski_tang"], "momentum")],
    ids=["kappa-1-bowl", "styblinski_tang"],
)
def test_converged_cells_end_at_a_minimum(surface, method):
    # 60 × 60 default (α, γ) maps: with "first visit" 453 (κ = 1 bowl) and 357
    # (Styblinski–Tang) cells counted as converged ended at no minimum. Settled, every
    # converged cell ends at a listed minimum, and every cell ending at one converged.
    lrs, momenta = default_axes(surface, n_lr=60, n_mom=60)
    pmap = parameter_map(
        surface, method, surface.start, lrs=lrs, momenta=momenta, steps=surface.steps
    )
    converged = pmap.status == CONVERGED
    assert converged.sum() > 100
    np.testing.assert_array_equal(converged, pmap.minimum >= 0)
    # A few converged cells replayed with the full path: within tol from converged_at on.
    minima = np.array([m.point for m in surface.minima])
    for row, col in np.argwhere(converged)[:: max(1, int(converged.sum()) // 5)]:
        run = simulate(surface, method, surface.start, lr=lrs[col], momentum=momenta[row],
                       steps=surface.steps)  # fmt: skip
        k, t = pmap.minimum[row, col], pmap.converged_at[row, col]
        dist = np.linalg.norm(run.positions - minima[k], axis=-1)
        assert (dist[t:] <= pmap.tol).all() and (t == 0 or dist[t - 1] > pmap.tol)


def test_basin_map_converged_iff_it_ends_at_a_minimum():
    s = SURFACES["styblinski_tang"]
    # 100 steps: some runs have settled in a well, most are still on their way.
    bmap = basin_map(s, "momentum", lr=s.lr, momentum=s.momentum, steps=100, resolution=40)
    np.testing.assert_array_equal(bmap.converged_at >= 0, bmap.basin >= 0)
    assert (bmap.basin >= 0).any() and (bmap.basin == BASIN_NONE).any()


# --- stability boundary --------------------------------------------------------------------


def test_stability_boundary_formula():
    gammas = np.array([0.0, 0.25, 0.9, 0.999])
    expected = [(2.0 + 2.0 * g) / LAM_MAX for g in gammas]
    np.testing.assert_allclose(stability_boundary(LAM_MAX, gammas), expected, rtol=1e-12)
    assert stability_boundary(4.0, 0.5) == pytest.approx(0.75)


def test_stability_boundary_separates_diverged_from_stable_cells():
    lrs, momenta = default_axes(BOWL)
    pmap = parameter_map(BOWL, "momentum", BOWL.start, lrs=lrs, momenta=momenta, steps=200)
    ratio = lrs[None, :] / stability_boundary(LAM_MAX, momenta)[:, None]
    assert (ratio < 0.9).sum() > 1000 and (ratio > 1.1).sum() > 1000
    assert not pmap.diverged[ratio < 1.0].any()  # left of the line: never diverges
    assert pmap.diverged[ratio > 1.1].all()  # more than 10% right of it: always diverges
    # (just right of the line the run grows too slowly to leave the box in 200 steps)
    assert pmap.diverged[(ratio > 1.0) & (ratio <= 1.1)].mean() > 0.5


def test_stability_boundary_per_method_by_hand():
    gammas = np.array([0.0, 0.5, 0.9])
    # SGD 2/λ; heavy ball (2 + 2γ)/λ = 2, 3, 3.8 over λ; Nesterov 2/1, 3/2, 3.8/2.8 over λ
    np.testing.assert_allclose(stability_boundary(10.0, gammas, "sgd"), [0.2, 0.2, 0.2])
    np.testing.assert_allclose(stability_boundary(10.0, gammas), [0.2, 0.3, 0.38], rtol=1e-12)
    np.testing.assert_allclose(
        stability_boundary(10.0, gammas, "nesterov"), [0.2, 0.15, 0.38 / 2.8], rtol=1e-12
    )
    # Nesterov's limit is below SGD's for every γ > 0 (not only for large γ)
    small = np.array([1e-3, 0.01, 0.1])
    assert (stability_boundary(10.0, small, "nesterov") < 0.2).all()
    with pytest.raises(ValueError, match="method"):
        stability_boundary(10.0, gammas, "adam")


def test_nesterov_stability_boundary_against_the_parameter_map():
    # κ = 50 bowl, γ = 0.9: Nesterov's limit 3.8/(2.8·50) = 0.027143, heavy ball's 0.076.
    limit = float(stability_boundary(LAM_MAX, [0.9], "nesterov")[0])
    assert limit == pytest.approx(0.027143, abs=1e-6)
    lrs = np.linspace(0.025, 0.03, 201)
    pmap = parameter_map(BOWL, "nesterov", BOWL.start, lrs=lrs, momenta=[0.9], steps=1000)
    diverged = pmap.diverged[0]
    first = lrs[np.argmax(diverged)]
    assert not diverged[lrs < limit].any()  # left of the line: never diverges
    assert diverged[lrs > 1.01 * limit].all()
    assert limit < first < 1.01 * limit  # first diverged cell just right of the line
    # heavy ball at the same γ is far from its limit there: nothing diverges
    heavy = parameter_map(BOWL, "momentum", BOWL.start, lrs=lrs, momenta=[0.9], steps=1000)
    assert not heavy.diverged.any()
    assert stability_boundary(LAM_MAX, [0.9])[0] == pytest.approx(0.076)


# --- basin map -----------------------------------------------------------------------------


def test_basin_map_shape_and_cell_centres():
    s = SURFACES["six_hump_camel"]
    bmap = basin_map(s, "momentum", lr=s.lr, momentum=s.momentum, steps=s.steps, resolution=16)
    assert bmap.basin.shape == (16, 16) == bmap.converged_at.shape == bmap.shape
    (xmin, xmax), (ymin, ymax) = s.bounds
    dx, dy = (xmax - xmin) / 16, (ymax - ymin) / 16
    np.testing.assert_allclose(bmap.xs, xmin + dx / 2 + dx * np.arange(16))
    np.testing.assert_allclose(bmap.ys, ymin + dy / 2 + dy * np.arange(16))
    assert set(np.unique(bmap.basin)) <= {BASIN_DIVERGED, BASIN_NONE, *range(len(s.minima))}
    assert sum(bmap.fractions().values()) == pytest.approx(1.0)


def test_basin_cells_match_single_runs_including_diverged():
    s = SURFACES["rosenbrock"]
    bmap = basin_map(s, "momentum", lr=s.lr, momentum=s.momentum, steps=s.steps, resolution=20)
    codes = set(np.unique(bmap.basin).tolist())
    assert {BASIN_DIVERGED, 0} <= codes
    rng = np.random.default_rng(1)
    picks = [tuple(np.argwhere(bmap.basin == code)[0]) for code in sorted(codes)]
    picks += [tuple(rng.integers(0, 20, size=2)) for _ in range(4)]
    for row, col in picks:
        start = (bmap.xs[col], bmap.ys[row])
        ref = reference_run(s, "momentum", start, lr=s.lr, momentum=s.momentum, steps=s.steps)
        expected = BASIN_DIVERGED if ref.diverged_at >= 0 else ref.minimum
        assert bmap.basin[row, col] == expected, (row, col)
        assert bmap.converged_at[row, col] == ref.converged_at


def test_basin_of_each_minimum_contains_the_minimum(multiwell_basins):
    s = SURFACES["multiwell"]
    sgd = multiwell_basins["sgd"]
    for index, minimum in enumerate(s.minima):
        col = int(np.argmin(np.abs(sgd.xs - minimum.point[0])))
        row = int(np.argmin(np.abs(sgd.ys - minimum.point[1])))
        assert sgd.basin[row, col] == index
    # Momentum's global basin is the larger one (the escape, seen over all starts).
    global_index = next(i for i, m in enumerate(s.minima) if m.is_global)
    share = {m: b.fractions().get(global_index, 0.0) for m, b in multiwell_basins.items()}
    assert share["momentum"] > share["sgd"]


def test_basin_map_sgd_cell_matches_simulate(multiwell_basins):
    s = SURFACES["multiwell"]
    sgd = multiwell_basins["sgd"]
    for row, col in [(0, 0), (29, 29), (12, 5), (20, 17)]:
        run = simulate(s, "sgd", (sgd.xs[col], sgd.ys[row]), lr=s.lr, steps=s.steps)
        assert sgd.basin[row, col] == (BASIN_DIVERGED if run.diverged_at >= 0 else run.minimum)


# --- bad input -----------------------------------------------------------------------------

GOOD = {"lrs": [0.01, 0.02], "momenta": [0.0, 0.5], "steps": 20}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lrs": []}, "lrs"),
        ({"lrs": [0.02, 0.01]}, "lrs"),
        ({"lrs": [0.0, 0.01]}, "lrs"),
        ({"lrs": [0.01, float("nan")]}, "lrs"),
        ({"lrs": [[0.01, 0.02]]}, "lrs"),
        ({"lrs": "fast"}, "lrs"),
        ({"momenta": [0.0, 1.0]}, "momenta"),
        ({"momenta": [-0.1, 0.5]}, "momenta"),
        ({"momenta": [0.5, 0.5]}, "momenta"),
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"noise": -1.0}, "noise"),
        ({"seed": -1}, "seed"),
        ({"tol": 0.0}, "tol"),
    ],
)
def test_parameter_map_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        parameter_map(BOWL, "momentum", BOWL.start, **{**GOOD, **kwargs})


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: parameter_map("nowhere", "momentum", (0, 0), **GOOD), "surface"),
        (lambda: parameter_map(BOWL, "adam", (0, 0), **GOOD), "method"),
        (lambda: parameter_map(BOWL, "sgd", (0, 0, 0), **GOOD), "start"),
        (lambda: parameter_map(BOWL, "sgd", (0, np.inf), **GOOD), "start"),
        (lambda: parameter_map(BOWL, "sgd", "here", **GOOD), "start"),
        (
            lambda: basin_map(BOWL, "sgd", lr=0.01, momentum=0.0, steps=5, resolution=1),
            "resolution",
        ),
        (
            lambda: basin_map(BOWL, "sgd", lr=0.01, momentum=0.0, steps=5, resolution=True),
            "resolution",
        ),
        (lambda: basin_map(BOWL, "sgd", lr=-0.01, momentum=0.0, steps=5), "lr"),
        (lambda: basin_map(BOWL, "momentum", lr=0.01, momentum=1.0, steps=5), "momentum"),
        (lambda: basin_map(BOWL, "nag", lr=0.01, momentum=0.5, steps=5), "method"),
        (lambda: stability_boundary(0.0, [0.5]), "lam_max"),
        (lambda: stability_boundary(float("nan"), [0.5]), "lam_max"),
        (lambda: stability_boundary(50.0, [1.0]), "momenta"),
        (lambda: default_axes(BOWL, n_lr=1), "n_lr"),
        (lambda: default_axes(BOWL, n_mom=0), "n_mom"),
        (lambda: default_axes(BOWL, -0.1), "lr"),
        (lambda: default_axes(BOWL, decades_below=0), "decades_below"),
    ],
)
def test_bad_input_raises_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --- figures -------------------------------------------------------------------------------


def _color_at(colorscale, t: float) -> str:
    """Colour of a stepwise colour scale at t in [0, 1] (inside a band of equal ends)."""
    for (lo, c_lo), (hi, c_hi) in itertools.pairwise(colorscale):
        if lo <= t <= hi and c_lo == c_hi:
            return c_lo
    return "continuous"


def _heatmap(fig: go.Figure) -> go.Heatmap:
    (heat,) = [t for t in fig.data if isinstance(t, go.Heatmap)]
    return heat


def test_parameter_map_figure_colours_and_cells(bowl_map):
    boundary = stability_boundary(LAM_MAX, bowl_map.momenta)
    fig = parameter_map_figure(bowl_map, current=(0.02, 0.8), boundary=boundary)
    heat = _heatmap(fig)
    np.testing.assert_allclose(heat.x, np.log10(bowl_map.lrs))
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == bowl_map.shape
    t = (z - heat.zmin) / (heat.zmax - heat.zmin)
    colours = np.vectorize(lambda v: _color_at(heat.colorscale, v))(t)
    status = bowl_map.status
    assert set(colours[status == DIVERGED]) == {DIVERGED_COLOR}
    assert set(colours[status == NOT_CONVERGED]) == {NOT_CONVERGED_COLOR}
    assert set(colours[status == CONVERGED]) == {"continuous"}  # the converged scale
    assert {DIVERGED_COLOR, NOT_CONVERGED_COLOR}.isdisjoint(
        c for _, c in heat.colorscale[-len(CONVERGED_SCALE) :]
    )
    # Faster convergence is drawn darker, i.e. lower on the converged scale.
    fast, slow = np.unravel_index(
        np.argsort(np.where(status == CONVERGED, bowl_map.converged_at, 10**9), axis=None)[
            [0, np.count_nonzero(status == CONVERGED) - 1]
        ],
        status.shape,
    )
    assert z[fast[0], slow[0]] < z[fast[1], slow[1]]
    # The colour bar names the categories.
    assert {"diverged", "not converged"} <= set(heat.colorbar.ticktext)

    # Every cell is clickable exactly once, with its own α and γ in customdata.
    cells = [tr for tr in fig.data if tr.name and tr.name.startswith("click-grid: ")]
    custom = np.concatenate([np.asarray(tr.customdata) for tr in cells])
    assert custom.shape == (bowl_map.lrs.size * bowl_map.momenta.size, 3)
    lr_grid, mom_grid = np.meshgrid(bowl_map.lrs, bowl_map.momenta)
    assert sorted(map(tuple, custom[:, :2].tolist())) == sorted(
        zip(lr_grid.ravel().tolist(), mom_grid.ravel().tolist(), strict=True)
    )
    for tr in cells:
        data = np.asarray(tr.customdata)
        np.testing.assert_allclose(tr.x, np.log10(data[:, 0]), rtol=1e-6)
        np.testing.assert_allclose(tr.y, -np.log10(1 - data[:, 1]), rtol=1e-6, atol=1e-7)
        row = np.searchsorted(bowl_map.momenta, data[:, 1])
        col = np.searchsorted(bowl_map.lrs, data[:, 0])
        np.testing.assert_array_equal(data[:, 2], bowl_map.converged_at[row, col])

    (current,) = [tr for tr in fig.data if tr.name == "current (α, γ)"]
    assert current.x[0] == pytest.approx(math.log10(0.02))
    assert current.y[0] == pytest.approx(-math.log10(0.2))
    (line,) = [tr for tr in fig.data if tr.name == "stability limit"]
    np.testing.assert_allclose(line.x, np.log10(boundary))
    assert fig.layout.xaxis.ticktext and fig.layout.yaxis.ticktext


def test_parameter_map_figure_local_minimum_band_and_size():
    s = SURFACES["multiwell"]
    lrs, momenta = default_axes(s)
    pmap = parameter_map(s, "momentum", s.start, lrs=lrs, momenta=momenta, steps=s.steps)
    fig = parameter_map_figure(pmap, current=(s.lr, s.momentum))
    heat = _heatmap(fig)
    assert "local minimum" in heat.colorbar.ticktext
    local = (pmap.status == CONVERGED) & (pmap.minimum >= 0) & ~pmap.reached_global
    assert local.any() and pmap.reached_global.any()
    z = np.asarray(heat.z, dtype=float)
    assert len(np.unique(z[local])) == 1  # one band, apart from the global scale
    assert z[local].max() < z[pmap.reached_global].min()
    size = len(fig.to_json())
    assert size < 1_500_000, size  # a 120 × 120 map stays a modest message


def test_parameter_map_figure_skips_an_outside_current_and_checks_boundary(bowl_map):
    fig = parameter_map_figure(bowl_map, current=(1e-6, 0.5))
    assert not [tr for tr in fig.data if tr.name == "current (α, γ)"]
    with pytest.raises(ValueError, match="boundary"):
        parameter_map_figure(bowl_map, boundary=[0.1, 0.2])
    with pytest.raises(ValueError, match="pmap"):
        parameter_map_figure({"lrs": [0.1]})


def test_coordinates_are_the_axis_scales_the_labels_promise():
    """α axis: log scale, one unit per decade; γ axis: one unit each time 1 − γ shrinks
    tenfold (0.9, 0.99, 0.999 evenly spaced), with γ = 0 at 0. Checked as properties
    over the sliders' whole ranges, not against the formula."""
    lrs = np.geomspace(LR_RANGE[0], LR_RANGE[1], 41)
    x = lr_coordinate(lrs)
    assert np.all(np.diff(x) > 0)
    np.testing.assert_allclose(lr_coordinate(10.0 * lrs) - x, 1.0, rtol=1e-12)
    # equal ratios of α are equal distances: products of α add
    products = lrs[:, None] * lrs[None, :]
    np.testing.assert_allclose(lr_coordinate(products), x[:, None] + x[None, :], atol=1e-12)

    gaps = np.geomspace(1.0, 1.0 - MOMENTUM_RANGE[1], 41)  # 1 − γ
    y = momentum_coordinate(1.0 - gaps)
    assert y[0] == 0.0 and np.all(np.diff(y) > 0)
    np.testing.assert_allclose(momentum_coordinate(1.0 - gaps / 10.0) - y, 1.0, rtol=1e-12)


def test_basin_map_figure_colours_by_minimum(multiwell_basins):
    s = SURFACES["multiwell"]
    for bmap in multiwell_basins.values():
        fig = basin_map_figure(bmap, s, title="basins")
        heat = _heatmap(fig)
        z = np.asarray(heat.z, dtype=float)
        t = (z - heat.zmin) / (heat.zmax - heat.zmin)
        colours = np.vectorize(lambda v, h=heat: _color_at(h.colorscale, v))(t)
        for code in np.unique(bmap.basin):
            got = set(colours[bmap.basin == code])
            assert len(got) == 1
            if code >= 0:
                palette = GLOBAL_BASIN_COLORS if s.minima[code].is_global else LOCAL_BASIN_COLORS
                assert got <= set(palette)
        names = {tr.name for tr in fig.data}
        assert {"global minimum", "local minimum"} <= names
        (stars,) = [tr for tr in fig.data if tr.name == "global minimum"]
        assert (stars.x[0], stars.y[0]) == s.global_minimum.point
        j_star = float(s.value(np.array(s.global_minimum.point)))
        assert stars.customdata[0] == pytest.approx(j_star)  # the J its hover shows
        # Each cell sits at its start point and its hover names where that start ends.
        np.testing.assert_array_equal(heat.x, bmap.xs)
        np.testing.assert_array_equal(heat.y, bmap.ys)
        text = np.asarray(heat.text, dtype=object)
        assert text.shape == bmap.basin.shape
        for (row, col), code in np.ndenumerate(bmap.basin):
            if code >= 0:
                x, y = s.minima[code].point
                assert text[row, col].endswith(f"({x:.2f}, {y:.2f})"), (row, col)
            else:
                want = "diverged" if code == BASIN_DIVERGED else "no minimum"
                assert text[row, col] == want, (row, col)
    # Different minima get different colours.
    fig = basin_map_figure(multiwell_basins["sgd"], s, title="SGD")
    heat = _heatmap(fig)
    band_colours = [c for _, c in heat.colorscale[::2]]
    assert len(set(band_colours)) == len(band_colours) == 3


def test_basin_map_figure_diverged_and_none_are_distinct():
    s = SURFACES["beale"]
    bmap = basin_map(s, "momentum", lr=s.lr, momentum=s.momentum, steps=200, resolution=24)
    assert {BASIN_DIVERGED, BASIN_NONE} <= set(np.unique(bmap.basin).tolist())
    fig = basin_map_figure(bmap, s, title="Beale", start=s.start)
    heat = _heatmap(fig)
    z = np.asarray(heat.z, dtype=float)
    t = (z - heat.zmin) / (heat.zmax - heat.zmin)
    colours = np.vectorize(lambda v: _color_at(heat.colorscale, v))(t)
    assert set(colours[bmap.basin == BASIN_DIVERGED]) == {BASIN_DIVERGED_COLOR}
    assert set(colours[bmap.basin == BASIN_NONE]) == {BASIN_NONE_COLOR}
    assert "diverged" in heat.colorbar.ticktext and "no minimum" in heat.colorbar.ticktext
    assert [tr.name for tr in fig.data][-1] == "start"
    with pytest.raises(ValueError, match="surface"):
        basin_map_figure(bmap, SURFACES["rosenbrock"], title="wrong")
    with pytest.raises(ValueError, match="bmap"):
        basin_map_figure(None, s, title="none")


# --- categories that survive greyscale (print, projector, colour vision) ---------------


def _lightness(color: str) -> float:
    """CIE 1976 L* of an sRGB colour ("#rrggbb" or "rgb(r, g, b)"), from the definitions:
    sRGB (IEC 61966-2-1) decoded to linear light, relative luminance Y with the Rec. 709
    primaries and D65 white (Yn = 1), then L* = 116 f(Y) − 16."""
    if color.startswith("#"):
        rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    else:
        rgb = [float(v) for v in color[color.index("(") + 1 : color.index(")")].split(",")[:3]]
    linear = []
    for value in rgb:
        c = value / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    delta = 6 / 29
    f = y ** (1 / 3) if y > delta**3 else y / (3 * delta**2) + 4 / 29
    return 116 * f - 16


def test_lightness_formula_on_known_values():
    assert _lightness("#000000") == pytest.approx(0, abs=1e-9)
    assert _lightness("#ffffff") == pytest.approx(100)
    assert _lightness("#777777") == pytest.approx(50.03, abs=0.02)  # the textbook mid-grey
    assert _lightness("rgb(255, 0, 0)") == pytest.approx(53.24, abs=0.02)


def _hex(color: str) -> str:
    return (
        color
        if color.startswith("#")
        else "#{:02x}{:02x}{:02x}".format(
            *(
                round(float(v))
                for v in color[color.index("(") + 1 : color.index(")")].split(",")[:3]
            )
        )
    )


def _scale_colours(stops: list, n: int = 64) -> list[str]:
    """Colours along a continuous part of a colour scale, linear in RGB as plotly draws."""
    rgb = np.array([[int(_hex(c)[i : i + 2], 16) for i in (1, 3, 5)] for _, c in stops], float)
    where = np.array([t for t, _ in stops], float)
    ts = np.linspace(where[0], where[-1], n)
    channels = [np.interp(ts, where, rgb[:, k]) for k in range(3)]
    return ["rgb({:.3f}, {:.3f}, {:.3f})".format(*px) for px in zip(*channels, strict=True)]


def _apart(a: tuple[list[float], str | None], b: tuple[list[float], str | None]) -> bool:
    """Two categories stay apart in greyscale: ≥ 10 L* between every pair of their fills,
    or different pattern symbols (a category without a pattern is "no symbol")."""
    (light_a, symbol_a), (light_b, symbol_b) = a, b
    gap = min(abs(x - y) for x in light_a for y in light_b)
    return gap >= 10 or symbol_a != symbol_b


def _patterns(fig: go.Figure) -> dict[str, go.Scatter]:
    return {
        tr.name.removeprefix("pattern: "): tr
        for tr in fig.data
        if tr.name and tr.name.startswith("pattern: ")
    }


@pytest.mark.parametrize(
    ("surface", "method"), [("rosenbrock", "momentum"), ("multiwell", "nesterov")]
)
def test_parameter_map_categories_survive_greyscale(surface, method):
    s = SURFACES[surface]
    lrs, momenta = default_axes(s)
    pmap = parameter_map(s, method, s.start, lrs=lrs, momenta=momenta, steps=s.steps)
    fig = parameter_map_figure(pmap, current=(s.lr, s.momentum))
    heat = _heatmap(fig)
    scale = [(float(t), c) for t, c in heat.colorscale]
    # The bands (equal colour at both ends) come first, in the colour bar's order.
    n_bands = sum(1 for (_, a), (_, b) in zip(scale[::2], scale[1::2], strict=False) if a == b)
    bands = {label: scale[2 * k][1] for k, label in enumerate(heat.colorbar.ticktext[:n_bands])}
    local = (pmap.status == CONVERGED) & (pmap.minimum >= 0) & ~pmap.reached_global
    masks = {"diverged": pmap.status == DIVERGED, "not converged": pmap.status == NOT_CONVERGED}
    masks["local minimum"] = local
    bands = {label: color for label, color in bands.items() if masks[label].any()}  # shown
    patterns = _patterns(fig)
    categories = {
        label: ([_lightness(color)], patterns[label].marker.symbol if label in patterns else None)
        for label, color in bands.items()
    }
    categories["converged"] = ([_lightness(c) for c in _scale_colours(scale[2 * n_bands :])], None)
    print({k: ([round(v, 1) for v in ls][:3], sym) for k, (ls, sym) in categories.items()})
    for (name_a, a), (name_b, b) in itertools.combinations(categories.items(), 2):
        assert _apart(a, b), (name_a, name_b, a, b)
    # The bands also differ in lightness among themselves, and each one present has its
    # pattern drawn on its own cells only (and named in the legend with the same symbol).
    for (name_a, (la, _)), (name_b, (lb, _)) in itertools.combinations(categories.items(), 2):
        if "converged" not in (name_a, name_b):
            assert abs(la[0] - lb[0]) >= 10, (name_a, name_b)
    legend = {tr.name: tr for tr in fig.data if tr.legendgroup == "statuses"}
    for label in bands:
        trace = patterns[label]
        rows = np.searchsorted(momentum_coordinate(pmap.momenta), np.asarray(trace.y) - 1e-5)
        cols = np.searchsorted(lr_coordinate(pmap.lrs), np.asarray(trace.x) - 1e-5)
        assert masks[label][rows, cols].all(), label
        assert len(trace.x) >= min(8, masks[label].sum() // 100), label
        assert legend[label].marker.symbol == trace.marker.symbol


def _all_basins(bmap: BasinMap, surface) -> BasinMap:
    """The map with every category a surface can show: each minimum, none and diverged."""
    codes = np.array([*range(len(surface.minima)), BASIN_NONE, BASIN_DIVERGED])
    n = bmap.basin.shape[0]
    basin = codes[(np.arange(n)[:, None] * len(codes)) // n].repeat(n, axis=1)
    return dataclasses.replace(bmap, basin=basin)


@pytest.mark.parametrize("surface", [n for n, s in SURFACES.items() if len(s.minima) >= 2])
def test_basin_map_categories_survive_greyscale(surface):
    s = SURFACES[surface]
    bmap = basin_map(s, "momentum", lr=s.lr, momentum=s.momentum, steps=s.steps, resolution=32)
    for shown, strict in (
        (bmap, surface in ("multiwell", "himmelblau")),
        (_all_basins(bmap, s), False),
    ):
        fig = basin_map_figure(shown, s, title="basins")
        swatches = {tr.name: tr for tr in fig.data if tr.legendgroup == "basins"}
        patterns = _patterns(fig)
        categories = {
            name: ([_lightness(tr.marker.color)], tr.marker.symbol) for name, tr in swatches.items()
        }
        print(surface, {k: (round(v[0][0], 1), v[1]) for k, v in categories.items()})
        for (name_a, a), (name_b, b) in itertools.combinations(categories.items(), 2):
            assert _apart(a, b), (surface, name_a, name_b, a, b)
            # On the maps the lecture shows, the fills alone differ in grey too.
            if strict:
                assert abs(a[0][0] - b[0][0]) >= 10, (surface, name_a, name_b, a, b)
        # The map draws each category's symbol over its cells, as the legend shows it.
        heat = _heatmap(fig)
        for name, trace in patterns.items():
            assert trace.marker.symbol == swatches[name].marker.symbol
            rows = np.searchsorted(shown.ys, np.asarray(trace.y) - 1e-5)
            cols = np.searchsorted(shown.xs, np.asarray(trace.x) - 1e-5)
            assert set(np.asarray(heat.text, dtype=object)[rows, cols]) == {name}
        assert set(patterns) == set(swatches)
