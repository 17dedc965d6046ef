"""Tests for the figures of momentum_viz.views: the map's colours and surface layer, loss and 3-D.

The checks compare the figures against facts computed independently of the module:
positions from the optimizer core (or random paths), J from the surfaces, pixel colours
decoded from the PNG, and the JSON plotly.py actually sends.
"""

from __future__ import annotations

import base64
import colorsys
import io
import math
import re

import numpy as np
import pytest
from PIL import Image

import surfaces
from momentum_viz.numerics.optimizer import simulate
from momentum_viz.views.curves import loss_figure
from momentum_viz.views.style import (
    FALLBACK_COLORS,
    MAP_COLORSCALE,
    METHOD_COLORS,
    METHOD_LABELS,
)
from momentum_viz.views.surface3d import surface3d_figure
from momentum_viz.views.surface_layer import (
    contour_levels,
    iso_lines,
    surface_image,
)

METHODS = ("sgd", "momentum", "nesterov")


def core_paths(name: str, steps: int | None = None) -> dict[str, np.ndarray]:
    """Positions of the three methods from the optimizer core, surface defaults."""
    surface = surfaces.get_surface(name)
    return {
        method: simulate(
            name,
            method,
            surface.start,
            lr=surface.lr,
            momentum=surface.momentum,
            steps=steps or surface.steps,
        ).positions
        for method in METHODS
    }


OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an ``#RRGGBB`` colour."""
    channels = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def test_method_colors_are_distinct_hex_colours():
    assert set(METHOD_COLORS) == set(METHODS) == set(METHOD_LABELS)
    assert METHOD_LABELS == {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov"}
    colours = [*METHOD_COLORS.values(), *FALLBACK_COLORS]
    for colour in colours:
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", colour), colour
    # No two runs alike: neither two methods nor a method and an unknown method's fallback.
    assert len({colour.upper() for colour in colours}) == len(colours)
    # Colour-blind safe: every hue is an Okabe–Ito colour, except SGD's near-black baseline.
    sgd = METHOD_COLORS["sgd"]
    assert max(int(sgd[i : i + 2], 16) for i in (1, 3, 5)) <= 0x30, sgd
    # Momentum is Okabe–Ito's vermillion darkened (same hue): the original is 1.5–3.2:1 on
    # the map (the 3:1 a line needs).
    others = [
        colour.upper()
        for method, colour in METHOD_COLORS.items()
        if method not in ("sgd", "momentum")
    ]
    assert set(others) | {colour.upper() for colour in FALLBACK_COLORS} <= OKABE_ITO
    hue = lambda c: colorsys.rgb_to_hsv(*(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0]  # noqa: E731
    assert abs(hue(METHOD_COLORS["momentum"]) - hue("#D55E00")) * 360 < 5
    # Dark enough to read on every part of the map: WCAG's 3:1 for graphics against each
    # colour of its scale (the scale is monotone in luminance, so its stops bound it).
    for _, stop in MAP_COLORSCALE:
        background = relative_luminance(str(stop))
        for colour in METHOD_COLORS.values():
            assert (background + 0.05) / (relative_luminance(colour) + 0.05) >= 3.0, (
                colour,
                stop,
            )


def decode_png(uri: str) -> np.ndarray:
    png = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def pixel_at(rgb: np.ndarray, surface, point) -> np.ndarray:
    (xmin, xmax), (ymin, ymax) = surface.bounds
    rows, cols = rgb.shape[:2]
    col = int((point[0] - xmin) / (xmax - xmin) * cols)
    row = int((ymax - point[1]) / (ymax - ymin) * rows)  # row 0 is the top (y max)
    return rgb[min(row, rows - 1), min(col, cols - 1)]


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_image_colours_follow_the_surface(name):
    surface = surfaces.get_surface(name)
    rgb = decode_png(surface_image(surface, resolution=200))
    assert rgb.shape == (200, 200, 3)
    low = np.array([int(MAP_COLORSCALE[0][1][i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    # The pixel on the global minimum is among the 1 % closest to the scale's lowest colour
    # (the pixel spans a little of the slope around it, so it need not be exactly that) ...
    at_min = pixel_at(rgb, surface, surface.global_minimum.point)
    distance = np.abs(rgb - low).sum(axis=-1)
    assert np.mean(distance < np.abs(at_min - low).sum()) < 0.01
    # ... and the image is not upside down: mirroring the point in y lands elsewhere on a
    # colour further from "low" unless the mirror point is (nearly) as low.
    (_, _), (ymin, ymax) = surface.bounds
    x0, y0 = surface.global_minimum.point
    mirrored = (x0, ymin + ymax - y0)
    j_mirror = float(surface.value(np.array(mirrored)))
    j_span = float(surface.value(np.array(surface.start))) - surface.global_minimum.value
    if j_mirror - surface.global_minimum.value > 0.2 * abs(j_span):
        far = pixel_at(rgb, surface, mirrored)
        assert np.abs(far - low).sum() > np.abs(at_min - low).sum() + 30


def test_iso_lines_lie_on_their_level_sets():
    for name in ("rosenbrock", "multiwell", "six_hump_camel", "beale"):
        surface = surfaces.get_surface(name)
        levels = contour_levels(surface, n_levels=12)
        x, y = iso_lines(surface, n_levels=12)
        assert len(x) == len(y) > 100
        breaks = np.flatnonzero(np.isnan(x))
        assert np.array_equal(breaks, np.flatnonzero(np.isnan(y)))
        found = set()
        for line in np.split(np.column_stack([x, y]), breaks):
            line = line[np.isfinite(line[:, 0])]
            if len(line) == 0:
                continue
            values = surface.value(line)
            level_index = int(np.argmin(np.abs(levels - np.median(values))))
            level = levels[level_index]
            found.add(level_index)
            # Relative to the height above the minimum: the scale the levels live on.
            height = level - surface.global_minimum.value
            np.testing.assert_allclose(values, level, rtol=0, atol=1e-2 * height)
        assert len(found) >= 0.8 * len(levels), name
        # Inside the bounds: snapping moves the end points of a line along the edge only.
        (xmin, xmax), (ymin, ymax) = surface.bounds
        finite = np.isfinite(x)
        assert xmin <= x[finite].min() and x[finite].max() <= xmax
        assert ymin <= y[finite].min() and y[finite].max() <= ymax


def test_contour_levels_are_log_spaced_on_log_surfaces():
    # Levels evenly spaced in log10(J − J* + δ), strictly inside the colour range, are
    # L_k = δ r^(k+1) − δ (k = 0 … n−1) for Rosenbrock (J* = 0, reached on the grid at
    # (1, 1)): the range runs from log10 δ to log10(J_max + δ), and r^(n+1) = (J_max + δ)/δ.
    # J_max on the bounds is at the corner (−2, −1): (1 + 2)² + 100 (−1 − 4)² = 2509.
    # The offset δ is not taken from the code: the levels give it, L_1 − L_0 = δ r (r − 1).
    n, j_max = 10, 2509.0
    levels = contour_levels(surfaces.get_surface("rosenbrock"), n_levels=n)
    steps = np.diff(levels)
    assert np.all(steps > 0)
    # Whatever the offset, the steps between log-spaced levels grow by one factor r.
    r = steps[1] / steps[0]
    np.testing.assert_allclose(steps[1:] / steps[:-1], r, rtol=1e-9)
    delta = steps[0] / (r * (r - 1.0))
    assert 0 < delta < 1e-3 * j_max  # a small offset: a log scale, not a soft one
    np.testing.assert_allclose(levels[0], delta * (r - 1.0), rtol=1e-9)  # bottom at J* = 0
    np.testing.assert_allclose(r ** (n + 1), (j_max + delta) / delta, rtol=1e-9)  # top
    assert levels[-1] / levels[0] > 1e3  # they span decades


def test_surface_pieces_are_cached_by_content_not_identity():
    bowl = surfaces.quadratic(kappa=10.0)
    assert surface_image(bowl) is surface_image(surfaces.quadratic(kappa=10.0))
    assert surface_image(bowl) != surface_image(surfaces.quadratic(kappa=20.0))
    assert surface_image(bowl) != surface_image(surfaces.quadratic(kappa=10.0, angle=0.0))
    x1, _ = iso_lines(bowl)
    x2, _ = iso_lines(surfaces.quadratic(kappa=10.0, angle=0.0))
    assert not np.array_equal(x1, x2, equal_nan=True)


# --- Loss curves ------------------------------------------------------------------------


def test_loss_figure_log_axis_with_zero_and_rounding_negatives():
    losses = {
        "sgd": np.array([10.0, 1.0, 0.1, 0.0, 0.0]),
        "momentum": np.array([10.0, 1e-3, -1e-17, 0.0, 1e-20]),
    }
    fig = loss_figure(losses)  # filterwarnings=error: any RuntimeWarning fails the test
    assert fig.layout.yaxis.type == "log"
    for trace, values in zip(fig.data, losses.values(), strict=True):
        y = np.asarray(trace.y)
        assert np.all(y > 0)
        np.testing.assert_array_equal(y[values > 1e-14], values[values > 1e-14])
        np.testing.assert_array_equal(np.asarray(trace.customdata), values)  # true values
    assert fig.layout.yaxis.title.text == "J"
    assert [t.name for t in fig.data] == ["SGD", "Momentum"]
    assert [t.line.color for t in fig.data] == [METHOD_COLORS["sgd"], METHOD_COLORS["momentum"]]


def test_loss_figure_with_offset_plots_the_gap_and_says_so():
    j_min = surfaces.get_surface("multiwell").global_minimum.value
    losses = {"momentum": np.array([0.5, -1.0, j_min, j_min])}
    fig = loss_figure(losses, offset=j_min)
    assert fig.layout.yaxis.type == "log"
    assert "J*" in fig.layout.yaxis.title.text and "−" in fig.layout.yaxis.title.text
    y = np.asarray(fig.data[0].y)
    np.testing.assert_allclose(y[:2], [0.5 - j_min, -1.0 - j_min])
    assert np.all(y > 0)


def test_loss_figure_keeps_gaps_as_gaps():
    fig = loss_figure({"sgd": np.array([1.0, np.nan, 0.0])})
    y = np.asarray(fig.data[0].y)
    assert np.isnan(y[1]) and y[2] > 0


def test_loss_figure_negative_values_use_a_linear_axis():
    fig = loss_figure({"sgd": np.array([1.0, -0.5, -2.0]), "nesterov": np.array([1.0, 0.5, 0.0])})
    assert fig.layout.yaxis.type == "linear"
    np.testing.assert_array_equal(np.asarray(fig.data[0].y), [1.0, -0.5, -2.0])


def test_loss_figure_from_core_runs_has_one_point_per_step():
    surface = surfaces.get_surface("styblinski_tang")
    run = simulate("styblinski_tang", "momentum", surface.start, lr=surface.lr, momentum=0.9)
    fig = loss_figure({"momentum": run.losses}, offset=surface.global_minimum.value)
    assert np.asarray(fig.data[0].x).tolist() == list(range(len(run.losses)))


# --- 3-D view ---------------------------------------------------------------------------


def test_surface3d_draws_each_core_run_on_a_log_scaled_surface():
    surface = surfaces.get_surface("himmelblau")
    paths = core_paths("himmelblau", steps=100)
    fig = surface3d_figure(surface, paths, resolution=30)
    (mesh,) = [t for t in fig.data if t.type == "surface"]
    assert np.asarray(mesh.z).shape == (30, 30)
    lines = [t for t in fig.data if t.type == "scatter3d" and t.mode == "lines"]
    assert [t.name for t in lines] == [METHOD_LABELS[m] for m in METHODS]
    assert fig.layout.scene.zaxis.title.text.startswith("log₁₀(J − J* + ")
    for line, path in zip(lines, paths.values(), strict=True):
        np.testing.assert_array_equal(np.asarray(line.x), path[:, 0])
        np.testing.assert_array_equal(np.asarray(line.y), path[:, 1])
        # Lower J, lower point: the height grows with J along the whole run.
        z = np.asarray(line.z)
        values = surface.value(path)
        assert np.all(np.diff(z[np.argsort(values, kind="stable")]) >= 0)


@pytest.mark.parametrize("name", ["multiwell", "rosenbrock", "himmelblau"])
def test_surface3d_keeps_its_tick_labels_apart_and_the_camera_close(name):
    surface = surfaces.get_surface(name)
    fig = surface3d_figure(surface, core_paths(name, steps=50), resolution=20)
    scene = fig.layout.scene
    for axis in (scene.xaxis, scene.yaxis, scene.zaxis):
        assert axis.nticks <= 5 and axis.tickfont.size <= 14
    # J's labels stay off the box's bottom and top corners, where x's first label sits: by
    # hand, no value within a fifth of a step of either end of the range.
    lo, hi = scene.zaxis.range
    ticks = np.asarray(scene.zaxis.tickvals)
    step = np.diff(ticks).min()
    assert 2 <= len(ticks) <= 6
    assert ticks.min() > lo + 0.2 * step and ticks.max() < hi - 0.2 * step
    # Closer than plotly's default eye (1.25, 1.25, 1.25), 2.17 from the centre: the surface
    # fills more of its box.
    eye = scene.camera.eye
    assert math.hypot(eye.x, eye.y, eye.z) < 1.9


def test_surface3d_paths_lie_just_above_the_surface():
    # By hand, on the bowl J = x²/2 + 2y² (κ = 4, not rotated, J* = 0) with a 3 × 3 mesh on
    # [−4, 4]²: the nodes' J are 0, 8 (×2), 32 (×2) and 40 (×4), median 32, so the offset
    # (1 % of a typical J, to one significant digit) is 0.3 and heights are log10(J + 0.3).
    # Paths are lifted by 1 % of the mesh's height range, log10(40.3) − log10(0.3).
    bowl = surfaces.quadratic(kappa=4.0, angle=0.0)
    path = np.array([[4.0, 4.0], [2.0, 0.0], [0.0, 0.0]])  # J = 40, 2, 0
    fig = surface3d_figure(bowl, {"momentum": path}, resolution=3)
    assert fig.layout.scene.zaxis.title.text == "log₁₀(J − J* + 0.3)"
    (mesh,) = [t for t in fig.data if t.type == "surface"]
    z_mesh = np.asarray(mesh.z)
    node_values = np.array([[40.0, 32.0, 40.0], [8.0, 0.0, 8.0], [40.0, 32.0, 40.0]])  # rows: y
    np.testing.assert_allclose(z_mesh, np.log10(node_values + 0.3), rtol=1e-12)
    lift = 0.01 * (math.log10(40.3) - math.log10(0.3))
    (line,) = [t for t in fig.data if t.type == "scatter3d" and t.mode == "lines"]
    z = np.asarray(line.z)
    np.testing.assert_allclose(z, np.log10([40.3, 2.3, 0.3]) + lift, rtol=1e-12)
    # Just above: where the path crosses mesh nodes, (4, 4) and (0, 0), by exactly the lift.
    np.testing.assert_allclose(z[[0, 2]] - z_mesh[[2, 1], [2, 1]], lift, rtol=1e-9)
    z_lo, z_hi = fig.layout.scene.zaxis.range
    assert (z_lo, z_hi) == pytest.approx((math.log10(0.3), math.log10(40.3) + 2 * lift))


def test_surface3d_plain_j_on_surfaces_with_negative_values():
    surface = surfaces.get_surface("six_hump_camel")
    fig = surface3d_figure(surface, {"sgd": np.array([surface.start])}, resolution=10)
    mesh = fig.data[0]
    xs, ys = np.asarray(mesh.x), np.asarray(mesh.y)
    expected = surface.value(np.stack(np.meshgrid(xs, ys), axis=-1))
    np.testing.assert_allclose(np.asarray(mesh.z), expected)
    assert fig.layout.scene.zaxis.title.text == "J"
    assert math.isclose(xs[0], surface.bounds[0][0]) and math.isclose(ys[-1], surface.bounds[1][1])
