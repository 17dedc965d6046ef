"""Tests for the figures of momentum_viz.views: frame sampling, the race map, loss and 3-D.

The checks compare the figures against facts computed independently of the module:
positions from the optimizer core (or random paths), J from the surfaces, pixel colours
decoded from the PNG, and the JSON plotly.py actually sends.
"""

from __future__ import annotations

import base64
import colorsys
import io
import json
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import surfaces
from momentum_viz.numerics.optimizer import simulate
from momentum_viz.views.curves import loss_figure
from momentum_viz.views.race import Segments, frame_indices, map_size, trajectory_figure
from momentum_viz.views.style import (
    CLICK_GRID_NAME,
    FALLBACK_COLORS,
    ISO_LINES_NAME,
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


def random_paths(surface, n_points: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Unstructured paths (uniform in the bounds): the worst case for any compression."""
    rng = np.random.default_rng(seed)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    low, high = np.array([xmin, ymin]), np.array([xmax, ymax])
    return {m: rng.uniform(low, high, size=(n_points, 2)) for m in METHODS}


def decoded(value):
    """``value`` with every plotly.js typed array (``{"dtype", "bdata"}``) decoded to NumPy."""
    if isinstance(value, dict):
        if "bdata" in value and set(value) <= {"dtype", "bdata", "shape"}:
            dtype = np.dtype(value["dtype"]).newbyteorder("<")  # plotly.js reads little-endian
            return np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)
        return {key: decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decoded(item) for item in value]
    return value


def sent(fig: go.Figure) -> dict:
    """The figure as plotly.py sends it to the browser (its JSON), typed arrays decoded."""
    return decoded(json.loads(fig.to_json()))


def roles(spec: dict) -> dict[int, dict]:
    """Trace index -> meta of every trajectory trace."""
    return {i: t["meta"] for i, t in enumerate(spec["data"]) if isinstance(t.get("meta"), dict)}


def resolved(spec: dict, name: str) -> dict[int, dict]:
    """Trace index -> update applied when animating to frame ``name``, computed as plotly.js
    does (Plots.computeFrame): the frame merged onto its chain of base frames."""
    frames = {frame["name"]: frame for frame in spec["frames"]}
    chain = [frames[name]]
    while "baseframe" in chain[-1]:
        # plotly.js silently stops at a missing base frame: here it is an error.
        chain.append(frames[chain[-1]["baseframe"]])
        assert len(chain) <= len(frames), "baseframe cycle"
    updates: dict[int, dict] = {}
    for frame in reversed(chain):
        for index, update in zip(frame["traces"], frame["data"], strict=True):
            updates[index] = {**updates.get(index, {}), **update}
    return updates


def visible_indices(spec: dict, method: str, frame: str | None, path: np.ndarray) -> set[int]:
    """Return the path indices drawn for ``method`` at frame ``frame`` (None: the initial
    state, the last step), checking that every drawn coordinate is the path's own."""
    updates = resolved(spec, frame) if frame is not None else {}

    def current(index: int, attribute: str):
        update = updates.get(index, {})
        return update[attribute] if attribute in update else spec["data"][index].get(attribute)

    drawn: set[int] = set()
    trail = head = None
    for index, meta in roles(spec).items():
        if meta["method"] != method:
            continue
        xy = np.column_stack([current(index, "x"), current(index, "y")])
        if meta["role"] == "segment":
            if current(index, "opacity") == 0:
                continue
            first = meta["first_step"]  # segments are static: their data never changes
            np.testing.assert_array_equal(xy, path[first : first + len(xy)])
            drawn.update(range(first, first + len(xy)))
        elif meta["role"] == "trail":
            trail = xy
        else:
            head = xy
    step = len(path) - 1 if frame is None else int(frame)
    # Frames store float32 coordinates (except the last frame): compare to that precision.
    np.testing.assert_allclose(head, path[step : step + 1], rtol=1e-6, atol=1e-6)
    first = step - len(trail) + 1  # the trail ends at the head
    np.testing.assert_allclose(trail, path[first : step + 1], rtol=1e-6, atol=1e-6)
    drawn.update(range(first, step + 1))
    return drawn


# --- frame_indices ----------------------------------------------------------------------


def test_frame_indices_examples():
    assert frame_indices(5, 200).tolist() == [0, 1, 2, 3, 4]
    assert frame_indices(1, 1).tolist() == [0]
    assert frame_indices(2, 2).tolist() == [0, 1]
    assert frame_indices(201, 3).tolist() == [0, 100, 200]
    assert frame_indices(0, 5).tolist() == []


@pytest.mark.parametrize(("n_points", "max_frames"), [(5, 1), (5, 0), (-1, 5)])
def test_frame_indices_rejects_impossible_requests(n_points, max_frames):
    with pytest.raises(ValueError):
        frame_indices(n_points, max_frames)


@settings(max_examples=300, deadline=None)
@given(n_points=st.integers(1, 100_000), max_frames=st.integers(2, 1000))
def test_frame_indices_properties(n_points, max_frames):
    idx = frame_indices(n_points, max_frames)
    assert len(idx) == min(n_points, max_frames)
    assert idx[0] == 0
    assert idx[-1] == n_points - 1
    gaps = np.diff(idx)
    assert np.all(gaps >= 1)  # strictly increasing, so no duplicate frames
    if len(gaps):
        assert gaps.max() - gaps.min() <= 1  # evenly spaced up to rounding
        assert abs(gaps.mean() - (n_points - 1) / (len(idx) - 1)) < 1e-9


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n_points=st.integers(2, 20_000))
def test_segments_and_trail_cover_exactly_the_steps_so_far(data, n_points):
    segments = Segments.for_length(n_points)
    step = data.draw(st.integers(0, n_points - 1))
    done = segments.ends <= step
    covered = set()
    for first, end in zip(segments.starts[done], segments.ends[done], strict=True):
        covered.update(range(first, end + 1))
    covered.update(range(segments.trail_start(step), step + 1))
    assert covered == set(range(step + 1))
    assert segments.ends[-1] == n_points - 1
    assert np.all(segments.starts[1:] == segments.ends[:-1])  # no gap between segments


# --- The animated map -------------------------------------------------------------------


@pytest.fixture(scope="module")
def rosenbrock_run():
    surface = surfaces.get_surface("rosenbrock")
    paths = core_paths("rosenbrock", steps=1000)
    return surface, paths, trajectory_figure(surface, paths)


@pytest.fixture(scope="module")
def multiwell_run():
    surface = surfaces.get_surface("multiwell")
    paths = core_paths("multiwell")
    return surface, paths, trajectory_figure(surface, paths, max_frames=40, click_grid=25)


def test_map_has_no_contour_or_heatmap_traces(rosenbrock_run):
    _, _, fig = rosenbrock_run
    # plotly.js stops drawing contour and heatmap traces once an animation starts.
    assert {t.type for t in fig.data} == {"scatter"}


def test_map_trace_names_and_count(multiwell_run):
    _, paths, fig = multiwell_run
    names = [t.name for t in fig.data]
    assert names[:3] == [ISO_LINES_NAME, CLICK_GRID_NAME, "colorbar"]
    assert names.count("global minimum") == 1
    assert names.count("local minimum") == 1  # multiwell has local minima
    assert names.count("start") == 1
    segments = Segments.for_length(len(paths["sgd"]))
    per_method = len(segments.starts) + 2  # segments, trail, head
    assert len(fig.data) == 3 + 2 + 1 + len(METHODS) * per_method
    # One legend entry per method, labelled and coloured as promised.
    legend = [t for t in fig.data if t.showlegend is not False and isinstance(t.meta, dict)]
    assert [t.name for t in legend] == [METHOD_LABELS[m] for m in METHODS]
    for trace in fig.data:
        if isinstance(trace.meta, dict):
            assert trace.line.color == METHOD_COLORS[trace.meta["method"]]


# The Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), written out here
# rather than read from the module under test.
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


def test_frames_touch_only_trajectory_traces(rosenbrock_run):
    _, _, fig = rosenbrock_run
    spec = sent(fig)
    trajectory_ids = set(roles(spec))
    assert 0 < len(spec["frames"]) <= 200
    for frame in spec["frames"]:
        assert set(frame["traces"]) <= trajectory_ids
        assert len(frame["traces"]) == len(frame["data"])
        # Merged with its base frame, a frame sets every trajectory trace, so where the
        # slider jumps from never matters.
        assert set(resolved(spec, frame["name"])) == trajectory_ids


def test_frames_send_segment_switches_once_per_block(rosenbrock_run):
    # Frames with the same segments done share the first of them as their base frame and
    # send only each method's trail and head: the switches are not repeated 200 times.
    _, paths, fig = rosenbrock_run
    spec = sent(fig)
    metas = roles(spec)
    segments = Segments.for_length(len(paths["sgd"]))
    names = [frame["name"] for frame in spec["frames"]]
    bases = [frame for frame in spec["frames"] if "baseframe" not in frame]
    for frame in spec["frames"]:
        kinds = [metas[i]["role"] for i in frame["traces"]]
        if "baseframe" in frame:
            base = frame["baseframe"]
            assert names.index(base) < names.index(frame["name"])
            assert "baseframe" not in spec["frames"][names.index(base)]
            assert sorted(kinds) == sorted(["trail", "head"] * len(paths))
            done = np.sum(segments.ends <= int(frame["name"]))
            assert done == np.sum(segments.ends <= int(base))
        else:
            assert kinds.count("segment") == len(paths) * len(segments.starts)
    assert len(bases) <= len(segments.starts) + 1
    assert "baseframe" not in spec["frames"][-1]  # the finished state stands alone


def test_frames_are_the_sampled_steps_and_slider_labels_them(rosenbrock_run):
    _, paths, fig = rosenbrock_run
    expected = [str(i) for i in frame_indices(len(paths["sgd"]), 200)]
    assert [f.name for f in fig.frames] == expected
    (slider,) = fig.layout.sliders
    assert [s.label for s in slider.steps] == expected
    assert [s.args[0][0] for s in slider.steps] == expected
    assert slider.active == len(expected) - 1  # opens on the finished runs
    assert slider.currentvalue.prefix.strip() == "step"
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in label for label in labels) and any("Pause" in label for label in labels)


def test_axes_fixed_on_bounds(multiwell_run):
    surface, _, fig = multiwell_run
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert tuple(fig.layout.xaxis.range) == (xmin, xmax)
    assert tuple(fig.layout.yaxis.range) == (ymin, ymax)
    assert fig.layout.xaxis.autorange is False
    assert fig.layout.yaxis.autorange is False


def test_background_image_is_placed_on_the_bounds(multiwell_run):
    surface, _, fig = multiwell_run
    (image,) = fig.layout.images
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert (image.xref, image.yref, image.sizing, image.layer) == ("x", "y", "stretch", "below")
    assert (image.xanchor, image.yanchor) == ("left", "top")
    assert (image.x, image.y, image.sizex, image.sizey) == (xmin, ymax, xmax - xmin, ymax - ymin)
    assert image.source.startswith("data:image/png;base64,")


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


def check_every_frame(fig: go.Figure, paths: dict[str, np.ndarray]) -> None:
    spec = sent(fig)
    last = len(paths["sgd"]) - 1
    for method, path in paths.items():
        # The figure opens on the full runs ...
        assert visible_indices(spec, method, None, path) == set(range(last + 1))
        # ... and each frame draws exactly the steps up to its own.
        for frame in spec["frames"]:
            step = int(frame["name"])
            assert visible_indices(spec, method, frame["name"], path) == set(range(step + 1))


def test_every_frame_draws_exactly_the_path_so_far(multiwell_run):
    _, paths, fig = multiwell_run
    check_every_frame(fig, paths)


def test_every_step_a_frame_including_segment_boundaries():
    # 151 points <= 200 frames: every step is a frame, so each segment's last step (where
    # an off-by-one in switching segments on would show) is one too.
    surface = surfaces.get_surface("himmelblau")
    paths = core_paths("himmelblau", steps=150)
    fig = trajectory_figure(surface, paths)
    assert len(fig.frames) == 151
    check_every_frame(fig, paths)


def test_last_frame_is_exactly_the_final_positions(rosenbrock_run):
    _, paths, fig = rosenbrock_run
    spec = sent(fig)
    last_frame = resolved(spec, spec["frames"][-1]["name"])
    metas = roles(spec)
    for method, path in paths.items():
        updates = {
            metas[i]["role"]: d
            for i, d in last_frame.items()
            if metas[i]["method"] == method and metas[i]["role"] != "segment"
        }
        np.testing.assert_array_equal(updates["head"]["x"], path[-1:, 0])
        np.testing.assert_array_equal(updates["head"]["y"], path[-1:, 1])
        np.testing.assert_array_equal(updates["trail"]["y"][-1], path[-1, 1])
        shown = [
            spec["data"][i]
            for i, d in sorted(last_frame.items())
            if metas[i]["method"] == method and metas[i]["role"] == "segment" and d["opacity"] == 1
        ]
        joined = np.concatenate([np.column_stack([t["x"], t["y"]])[1:] for t in shown])
        np.testing.assert_array_equal(joined, path[1 : len(joined) + 1])


def test_short_run_gets_one_frame_per_step():
    surface = surfaces.get_surface("himmelblau")
    paths = core_paths("himmelblau", steps=4)
    fig = trajectory_figure(surface, paths)
    assert [f.name for f in fig.frames] == ["0", "1", "2", "3", "4"]


def test_max_frames_is_respected():
    surface = surfaces.get_surface("himmelblau")
    fig = trajectory_figure(surface, core_paths("himmelblau", steps=300), max_frames=10)
    assert len(fig.frames) == 10
    assert fig.frames[-1].name == "300"


def test_click_grid_covers_the_bounds_nearly_invisibly(multiwell_run):
    surface, _, fig = multiwell_run
    (grid,) = [t for t in sent(fig)["data"] if t["name"] == CLICK_GRID_NAME]
    x, y = grid["x"], grid["y"]
    assert len(x) == 25 * 25
    assert grid["marker"]["opacity"] == 0.02
    assert grid["showlegend"] is False
    assert grid["hoverinfo"] in ("none", "skip")
    (xmin, xmax), (ymin, ymax) = surface.bounds
    assert (x.min(), x.max(), y.min(), y.max()) == (xmin, xmax, ymin, ymax)
    assert len(set(zip(x.tolist(), y.tolist(), strict=True))) == 25 * 25


def test_minima_and_start_markers(multiwell_run):
    surface, paths, fig = multiwell_run
    by_name = {t["name"]: t for t in sent(fig)["data"]}
    for kind, is_global in (("global minimum", True), ("local minimum", False)):
        expected = [m for m in surface.minima if m.is_global == is_global]
        trace = by_name[kind]
        assert list(zip(trace["x"], trace["y"], strict=True)) == [m.point for m in expected]
        assert trace["customdata"].tolist() == [m.value for m in expected]
    assert (
        by_name["global minimum"]["marker"]["symbol"]
        != (by_name["local minimum"]["marker"]["symbol"])
    )
    assert [by_name["start"]["x"][0], by_name["start"]["y"][0]] == paths["sgd"][0].tolist()
    moved = trajectory_figure(surface, paths, start=(0.5, -0.25), max_frames=2)
    start = next(t for t in sent(moved)["data"] if t["name"] == "start")
    assert (start["x"][0], start["y"][0]) == (0.5, -0.25)


def test_paths_leaving_the_map_are_not_clipped_and_are_announced():
    surface = surfaces.get_surface("quadratic")
    path = np.array([surface.start, [0.0, 0.0], [3.0, 9.0], [30.0, 90.0]])
    fig = trajectory_figure(surface, {"momentum": path})
    drawn = np.concatenate(
        [np.column_stack([t["x"], t["y"]]) for t in sent(fig)["data"] if "meta" in t]
    )
    assert drawn[:, 1].max() == 90.0
    assert any("Momentum" in a.text for a in fig.layout.annotations)
    inside = trajectory_figure(surface, {"momentum": path[:2]})
    assert not inside.layout.annotations


@pytest.mark.parametrize(
    "bad",
    [
        {"sgd": np.zeros((5, 3))},
        {"sgd": np.zeros((5, 2)), "momentum": np.zeros((6, 2))},
        {"sgd": np.array([[0.0, 0.0], [np.nan, 1.0]])},
        {"sgd": np.zeros((0, 2))},
    ],
)
def test_bad_paths_are_rejected(bad):
    with pytest.raises(ValueError):
        trajectory_figure(surfaces.get_surface("himmelblau"), bad)


def test_no_paths_still_draws_the_map():
    surface = surfaces.get_surface("himmelblau")
    fig = trajectory_figure(surface, {})
    assert not fig.frames
    assert len(fig.layout.images) == 1
    start = next(t for t in sent(fig)["data"] if t["name"] == "start")
    assert (start["x"][0], start["y"][0]) == surface.start


def json_size(fig: go.Figure) -> int:
    return len(fig.to_json())


@pytest.mark.parametrize(("n_points", "limit"), [(1001, 1.5e6), (2001, 4e6)])
def test_json_size_limits(n_points, limit):
    surface = surfaces.get_surface("six_hump_camel")  # the largest image and iso-lines
    fig = trajectory_figure(surface, random_paths(surface, n_points))
    size = json_size(fig)
    assert size <= limit, size
    assert len(fig.frames) == 200


def test_arrays_are_sent_base64_encoded(multiwell_run):
    _, _, fig = multiwell_run
    sent = json.loads(fig.to_json())
    trail = next(t for t in sent["data"] if t.get("meta", {}).get("role") == "segment")
    assert set(trail["x"]) == {"dtype", "bdata"}
    frame_trail = sent["frames"][len(sent["frames"]) // 2]["data"][-2]
    assert set(frame_trail["x"]) == {"dtype", "bdata"}


def test_figures_built_without_validation_are_what_validation_builds(multiwell_run):
    # The figures skip (most of) plotly.py's validation for speed: rebuilding each one with
    # validation (frames included) must succeed and change nothing.
    surface = surfaces.get_surface("quadratic")
    off_map = np.array([surface.start, [0.0, 0.0], [3.0, 9.0], [30.0, 90.0]])
    _, paths, _ = multiwell_run
    figures = [
        multiwell_run[2],
        trajectory_figure(surface, {"momentum": off_map}),  # with the annotation
        trajectory_figure(surface, {}),  # no frames
        loss_figure({"sgd": np.array([1.0, np.nan, 0.0]), "momentum": np.ones(3)}),
        loss_figure({"sgd": np.array([1.0, -0.5])}, offset=-1.0),
        surface3d_figure(surfaces.get_surface("multiwell"), paths, resolution=20),
    ]
    for fig in figures:
        spec = fig.to_dict()
        assert go.Figure(spec).to_dict() == spec


def test_figures_share_no_state():
    # The surface's traces and layout come from a cache: editing one figure must not leak
    # into the next one.
    surface = surfaces.get_surface("himmelblau")
    paths = core_paths("himmelblau", steps=20)
    first = trajectory_figure(surface, paths)
    first.update_layout(height=123, xaxis_range=[0, 1])
    first.data[0].line.width = 7
    first.data[-1].marker.size = 1
    second = sent(trajectory_figure(surface, paths))
    assert second["layout"]["height"] == map_size(surface, 460).height
    assert second["layout"]["xaxis"]["range"] == list(surface.bounds[0])
    assert second["data"][0]["line"]["width"] == 1
    assert second["data"][-1]["marker"]["size"] == 15


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


# --- replay speed -------------------------------------------------------------------------

# plotly.js starts each frame at the first animation tick (one per display refresh) after the
# previous frame's duration has passed (plot_api.js, Plotly.animate): at 60 Hz a frame lasts
# the first whole number of 1000/60 ms past its duration (benchmarks/bench_replay.py measures
# it in Chromium).
_REFRESH_MS = 1000 / 60


def _shown_ms(duration: float) -> float:
    return math.floor(duration / _REFRESH_MS + 1) * _REFRESH_MS


@pytest.mark.parametrize("speed", [0.25, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("steps", [40, 300, 1000, 2000])
def test_play_replays_the_whole_run_in_seven_seconds_over_speed(speed, steps):
    from momentum_viz.views.race import replay_frames

    max_frames = 200  # what the app asked for while it played this animation

    surface = surfaces.SURFACES["rosenbrock"]
    paths = core_paths("rosenbrock", steps=steps)
    fig = trajectory_figure(
        surface, paths, max_frames=replay_frames(speed, max_frames), click_grid=4, speed=speed
    )
    spec = sent(fig)
    (play,) = [b for b in spec["layout"]["updatemenus"][0]["buttons"] if "Play" in b["label"]]
    assert play["args"][0] is None  # every frame, from the current one (fromcurrent)
    options = play["args"][1]
    assert options["fromcurrent"] is True and options["transition"]["duration"] == 0
    n_frames = len(spec["frames"])
    assert n_frames == len(spec["layout"]["sliders"][0]["steps"])
    duration = options["frame"]["duration"]
    wanted = 7000 / speed
    # What the browser shows at 60 Hz: each frame the first refresh past its duration.
    assert n_frames * _shown_ms(duration) == pytest.approx(wanted, rel=0.06)
    # Never asked for longer than the whole replay; and no frame shorter than two refreshes.
    assert n_frames * duration <= wanted
    assert _shown_ms(duration) >= 2 * _REFRESH_MS - 1e-9
    assert n_frames >= min(steps + 1, 80)  # still a smooth replay
