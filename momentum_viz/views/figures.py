"""Plotly figures for momentum-viz: the animated contour map, the loss curves and a 3-D view.

Every function here is pure: it takes a :class:`surfaces.Surface` and plain NumPy arrays and
returns a :class:`plotly.graph_objects.Figure` (or a piece of one). Nothing calls Streamlit.

Why the map is not a ``go.Contour``: as soon as a Plotly animation starts, plotly.js stops
drawing every contour and heatmap trace of the figure (plotly.js #4491, plotly.py #2151).
So the surface is painted as a background image (``layout.images``, a PNG made with Pillow)
under iso-lines drawn as an ordinary scatter trace, both of which survive playback.

Why the trajectories are split into segments: a frame must describe the whole visible path
(the slider may jump to any frame), so sending the growing prefix ``path[:n + 1]`` in every
frame costs O(frames × steps) numbers — about 6 MB for three runs of 1,000 steps. Instead
each path is cut once into short segment traces that live in the base figure; a frame
switches segments on or off (by opacity) and sends the short unfinished piece ("trail")
plus the current position ("head"). Consecutive frames with the same segments done share
the switches: the first frame of such a block carries them and the others name it as their
``baseframe`` (plotly.js merges the two whenever it animates to a frame), so most frames
send only trails and heads. That keeps the JSON well under 1.5 MB.

Why the map is built without plotly.py's validation: validating ~5,000 frame entries took
0.5–1 s per rerun, and ``to_dict()`` (which Streamlit calls) spent another ~0.1 s turning
thousands of small NumPy arrays into typed arrays. The map is therefore assembled from plain
dicts whose arrays are already plotly.js typed arrays (``{"dtype", "bdata"}``, what
``to_dict()`` would send anyway), in a ``go.Figure`` made with ``_validate=False``; the parts
that depend only on the surface are built as validated graph objects once and cached. The
tests rebuild every figure with validation and check that nothing changes. Streamlit must
still get the ``go.Figure``: given a dict, ``st.plotly_chart`` validates it all again.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import contourpy
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image
from plotly.colors import sample_colorscale

from surfaces import Surface

from .plotly_internals import unvalidated_figure

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies): dark,
# saturated lines that keep their contrast on the pale map, also on a washed-out projector.
METHOD_COLORS: dict[str, str] = {
    "sgd": "#1A1A1A",  # near-black: the plain baseline
    "momentum": "#D55E00",  # vermillion
    "nesterov": "#0072B2",  # blue
}
METHOD_LABELS: dict[str, str] = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov"}
# Dash and marker shape differ too, so the runs stay apart in greyscale or for colour-blind eyes.
METHOD_DASHES: dict[str, str] = {"sgd": "solid", "momentum": "solid", "nesterov": "dash"}
METHOD_SYMBOLS: dict[str, str] = {"sgd": "circle", "momentum": "diamond", "nesterov": "square"}
METHOD_LINE_WIDTHS: dict[str, float] = {"sgd": 3.0, "momentum": 3.5, "nesterov": 3.5}
_FALLBACK_COLORS = ("#CC79A7", "#E69F00", "#56B4E9", "#009E73")

# A pale scale, light blue (low) to cream (high): valleys still read as water, and every
# method colour above keeps a strong contrast on it; the iso-lines carry the shape.
MAP_COLORSCALE: list[list[float | str]] = [
    [0.0, "#7fa8c9"],
    [0.35, "#bfd4e3"],
    [0.7, "#ece9dc"],
    [1.0, "#f8f5ee"],
]
CLICK_GRID_NAME = "click-grid"
ISO_LINES_NAME = "iso-lines"
FONT_SIZE = 16  # legible from the back of a classroom

_GLOBAL_MIN_COLOR = "#F0C419"
_ISO_LINE_COLOR = "rgba(30, 40, 50, 0.45)"


# --- Colour transform -------------------------------------------------------------------


@dataclass(frozen=True)
class ColorTransform:
    """Map J to the colour coordinate t = log10(J − J* + delta) (J* = global minimum value).

    With a small ``delta`` (``log_scale`` surfaces) this is the usual log colouring of a
    surface whose values span orders of magnitude; with a large ``delta`` (surfaces with
    negative values) it is a "soft log" that stays almost linear in the wells and
    compresses the high rim, so the wells keep most of the colour range.
    """

    j_min: float
    delta: float
    t_range: tuple[float, float]  # t over the plotted bounds, for the colour scale

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Return t for each J in ``values`` (J below J* by rounding counts as J*)."""
        gap = np.maximum(np.asarray(values, dtype=float) - self.j_min, 0.0)
        return np.log10(gap + self.delta)

    def inverse(self, t: np.ndarray) -> np.ndarray:
        """Return the J whose colour coordinate is ``t``."""
        return np.power(10.0, np.asarray(t, dtype=float)) - self.delta + self.j_min

    def unit(self, t: np.ndarray) -> np.ndarray:
        """Return t rescaled to [0, 1] over the plotted bounds (clipped outside)."""
        lo, hi = self.t_range
        return np.clip((np.asarray(t, dtype=float) - lo) / (hi - lo), 0.0, 1.0)


@dataclass(frozen=True)
class _Keyed:
    """A surface made hashable by what it computes, for ``lru_cache``.

    Surfaces hash by identity, and :func:`surfaces.quadratic` builds a new object on each
    call; keying on (name, bounds, minima, J at a few probe points) lets equal bowls share
    cache entries while bowls of different κ or angle do not.
    """

    key: tuple
    surface: Surface = field(compare=False, hash=False)


_PROBES = np.array([[0.13, 0.71], [0.37, 0.29], [0.52, 0.88], [0.79, 0.43], [0.91, 0.07]])


def _keyed(surface: Surface) -> _Keyed:
    (xmin, xmax), (ymin, ymax) = surface.bounds
    probes = np.column_stack(
        [xmin + _PROBES[:, 0] * (xmax - xmin), ymin + _PROBES[:, 1] * (ymax - ymin)]
    )
    values = tuple(float(v) for v in surface.value(probes))
    key = (surface.name, surface.bounds, surface.minima, surface.log_scale, values)
    return _Keyed(key, surface)


def _grid(surface: Surface, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return x (nx,), y (ny,) and J (ny, nx) on a regular grid spanning the bounds."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    xs = np.linspace(xmin, xmax, nx)
    ys = np.linspace(ymin, ymax, ny)
    xy = np.stack(np.meshgrid(xs, ys), axis=-1)
    return xs, ys, surface.value(xy)


@lru_cache(maxsize=32)
def _color_transform(keyed: _Keyed) -> ColorTransform:
    surface = keyed.surface
    _, _, values = _grid(surface, 201, 201)
    j_min = min(m.value for m in surface.minima if m.is_global)
    typical = float(np.median(values - j_min))
    # log_scale: delta far below typical values, so decades of J get equal colour room.
    # Otherwise delta ~ a quarter of the typical height: near-linear in the wells.
    delta = max(typical * (1e-4 if surface.log_scale else 0.25), 1e-12)
    transform = ColorTransform(j_min, delta, (0.0, 1.0))
    t = transform(values)
    lo, hi = float(t.min()), float(t.max())
    return ColorTransform(j_min, delta, (lo, hi if hi > lo else lo + 1.0))


def color_transform(surface: Surface) -> ColorTransform:
    """Return the J → colour-coordinate transform shared by the map, iso-lines and 3-D view."""
    return _color_transform(_keyed(surface))


# --- Background image and iso-lines -----------------------------------------------------


def _colorscale_lut(colorscale, n: int = 256) -> np.ndarray:
    """Return an (n, 3) uint8 table of the colour scale sampled at n even points."""
    colors = sample_colorscale(colorscale, np.linspace(0.0, 1.0, n).tolist(), colortype="tuple")
    # sample_colorscale returns 0–1 floats for colortype="tuple".
    return np.rint(np.asarray(colors, dtype=float) * 255.0).astype(np.uint8)


@lru_cache(maxsize=32)
def _surface_image(keyed: _Keyed, resolution: int) -> str:
    surface = keyed.surface
    transform = _color_transform(keyed)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    # Sample at pixel centres; PNG row 0 is the top of the image, i.e. y = ymax.
    centres = (np.arange(resolution) + 0.5) / resolution
    xs = xmin + centres * (xmax - xmin)
    ys = ymax - centres * (ymax - ymin)
    values = surface.value(np.stack(np.meshgrid(xs, ys), axis=-1))
    levels = np.rint(transform.unit(transform(values)) * 255.0).astype(np.intp)
    rgb = _colorscale_lut(MAP_COLORSCALE)[levels]
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def surface_image(surface: Surface, resolution: int = 300) -> str:
    """Return the surface painted as a ``resolution``² PNG, as a ``data:image/png`` URI.

    Pixel colours follow :func:`color_transform` through :data:`MAP_COLORSCALE`; the image
    covers ``surface.bounds`` exactly (row 0 at y max) and is meant to be stretched onto them.
    """
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    return _surface_image(_keyed(surface), int(resolution))


@lru_cache(maxsize=32)
def _contour_levels(keyed: _Keyed, n_levels: int) -> np.ndarray:
    transform = _color_transform(keyed)
    lo, hi = transform.t_range
    # Evenly spaced in t, so log-spaced in J where values span decades; the extremes
    # are left out (a level at the grid minimum or maximum is a point, not a line).
    return transform.inverse(np.linspace(lo, hi, n_levels + 2)[1:-1])


def contour_levels(surface: Surface, n_levels: int = 18) -> np.ndarray:
    """Return the ``n_levels`` J values (increasing) that :func:`iso_lines` draws."""
    if n_levels < 1:
        raise ValueError(f"n_levels must be at least 1, got {n_levels}")
    return _contour_levels(_keyed(surface), int(n_levels)).copy()


def _snap_to_levels(
    surface: Surface, points: np.ndarray, targets: np.ndarray, max_step: float
) -> np.ndarray:
    """Move each point along ∇J onto its target level (Newton steps on J(p) = target).

    contourpy interpolates J linearly inside each grid cell, which misplaces the lines
    where J curves strongly (the floor of the Rosenbrock valley, small rings around a
    minimum); Newton steps with the analytic gradient put them back on the level set.
    Steps are capped at ``max_step`` (a grid cell) so a point near a critical point,
    where ∇J ≈ 0, cannot jump away; a point exactly on one stays put. Points where a line
    meets the edge of the bounds move along that edge only, so lines end on the edge.
    """
    points = points.copy()
    (xmin, xmax), (ymin, ymax) = surface.bounds
    # Which gradient components may move each point: 0 across an edge it lies on.
    free = np.ones_like(points)
    free[np.isclose(points[:, 0], xmin) | np.isclose(points[:, 0], xmax), 0] = 0.0
    free[np.isclose(points[:, 1], ymin) | np.isclose(points[:, 1], ymax), 1] = 0.0
    for _ in range(8):
        residual = surface.value(points) - targets
        grad = surface.grad(points) * free
        norm2 = np.sum(grad * grad, axis=-1)
        moving = norm2 > 0
        step = np.zeros_like(points)
        step[moving] = grad[moving] * (residual[moving] / norm2[moving])[:, None]
        length = np.hypot(step[:, 0], step[:, 1])
        too_long = length > max_step
        step[too_long] *= (max_step / length[too_long])[:, None]
        points -= step
        if np.all(np.abs(residual) <= 1e-12 * np.maximum(np.abs(targets), 1.0)):
            break
    return points


@lru_cache(maxsize=32)
def _iso_lines(keyed: _Keyed, n_levels: int, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    surface = keyed.surface
    xs, ys, values = _grid(surface, resolution, resolution)
    generator = contourpy.contour_generator(xs, ys, values, line_type="ChunkCombinedNan")
    cell = math.hypot(xs[1] - xs[0], ys[1] - ys[0])
    pieces = []
    for level in _contour_levels(keyed, n_levels):
        (chunk,) = generator.lines(level)[0]
        if chunk is None or len(chunk) == 0:
            continue
        finite = np.isfinite(chunk[:, 0])
        chunk = chunk.copy()
        chunk[finite] = _snap_to_levels(
            surface, chunk[finite], np.full(finite.sum(), level), max_step=cell
        )
        pieces.extend([chunk, np.full((1, 2), np.nan)])
    if not pieces:
        return np.empty(0), np.empty(0)
    lines = np.concatenate(pieces[:-1])
    return lines[:, 0], lines[:, 1]


def iso_lines(
    surface: Surface, n_levels: int = 18, resolution: int = 120
) -> tuple[np.ndarray, np.ndarray]:
    """Return x and y of the iso-lines at :func:`contour_levels`, lines separated by NaN.

    Lines are traced by contourpy on a ``resolution``² grid, then snapped onto the exact
    level set with the analytic gradient.
    """
    if resolution < 3:
        raise ValueError(f"resolution must be at least 3, got {resolution}")
    x, y = _iso_lines(_keyed(surface), int(n_levels), int(resolution))
    return x.copy(), y.copy()


# --- Animation helpers ------------------------------------------------------------------


def frame_indices(n_points: int, max_frames: int) -> np.ndarray:
    """Return the path indices shown as animation frames: at most ``max_frames``, evenly spaced.

    The first (0) and last (``n_points - 1``) index are always included; short runs get
    one frame per point.

    >>> frame_indices(5, 200).tolist()
    [0, 1, 2, 3, 4]
    >>> frame_indices(11, 3).tolist()
    [0, 5, 10]
    >>> idx = frame_indices(1001, 200)
    >>> len(idx), int(idx[0]), int(idx[-1]), sorted(set(np.diff(idx).tolist()))
    (200, 0, 1000, [5, 6])
    >>> frame_indices(0, 10).tolist()
    []
    """
    if n_points < 0:
        raise ValueError(f"n_points must be >= 0, got {n_points}")
    if max_frames < 1 or (max_frames < 2 and n_points > 1):
        raise ValueError(f"max_frames must be >= 2 to show first and last step, got {max_frames}")
    if n_points <= max_frames:
        return np.arange(n_points)
    # With n_points > max_frames the rounded linspace steps are >= 1, so indices are unique.
    return np.rint(np.linspace(0, n_points - 1, max_frames)).astype(np.intp)


@dataclass(frozen=True)
class Segments:
    """How a path of ``n_points`` positions is cut into segment traces.

    Segment i covers indices ``starts[i]`` to ``ends[i]`` inclusive; consecutive segments
    share their boundary point so the drawn line has no gaps. At step n a segment is
    *done* (shown whole) when ``ends[i] <= n``; the rest of the path up to n is the trail.
    """

    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def for_length(cls, n_points: int) -> Segments:
        """Return the segmentation used for paths of ``n_points`` positions.

        >>> s = Segments.for_length(21)
        >>> s.starts.tolist(), s.ends.tolist()
        ([0, 10], [10, 20])
        """
        # Segment switches cost ~33 bytes each, sent once per block of frames (n / L blocks
        # of n / L switches, see _animation_frames); the trail ~11 bytes per float32 point
        # in every frame (L / 2 points on average). For 200 frames the sum is smallest near
        # L ≈ 1.2 √n; 2 √n sends a few % more JSON for far fewer traces and frame entries.
        length = max(8, math.ceil(2.0 * math.sqrt(max(n_points, 1))))
        starts = np.arange(0, max(n_points - 1, 1), length)
        return cls(starts, np.minimum(starts + length, max(n_points - 1, 0)))

    def trail_start(self, step: int) -> int:
        """Return the first index of the trail at ``step`` (the start of the first open segment).

        >>> Segments.for_length(21).trail_start(15), Segments.for_length(21).trail_start(20)
        (10, 20)
        """
        open_segments = self.ends > step
        return int(self.starts[open_segments][0]) if open_segments.any() else int(step)


# --- The animated map -------------------------------------------------------------------


def _method_style(method: str, order: int) -> tuple[str, str, str, str]:
    """Return colour, label, dash and marker symbol of a method (fallbacks for unknown ones)."""
    color = METHOD_COLORS.get(method, _FALLBACK_COLORS[order % len(_FALLBACK_COLORS)])
    label = METHOD_LABELS.get(method, method)
    return color, label, METHOD_DASHES.get(method, "dot"), METHOD_SYMBOLS.get(method, "x")


def _check_paths(paths: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    arrays = {name: np.asarray(path, dtype=float) for name, path in paths.items()}
    lengths = set()
    for name, path in arrays.items():
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"path {name!r} must have shape (T, 2) with T >= 1, got {path.shape}")
        if not np.isfinite(path).all():
            # The core freezes a diverged run at its last finite point; a NaN here is a bug
            # upstream and would silently cut the line, so say so.
            raise ValueError(f"path {name!r} contains non-finite positions")
        lengths.add(len(path))
    if len(lengths) > 1:
        raise ValueError(f"all paths must have the same number of points, got {sorted(lengths)}")
    return arrays


def _leaves_bounds(path: np.ndarray, bounds: tuple) -> bool:
    (xmin, xmax), (ymin, ymax) = bounds
    x, y = path[:, 0], path[:, 1]
    return bool(np.any((x < xmin) | (x > xmax) | (y < ymin) | (y > ymax)))


# plotly.js typed-array codes of the float dtypes, little-endian (as plotly.js reads them).
_TYPED_ARRAY_CODES = {np.dtype("<f8"): "f8", np.dtype("<f4"): "f4"}


def _typed(values: np.ndarray) -> dict[str, str]:
    """Return a float array as a plotly.js typed array ``{"dtype", "bdata"}``.

    This is exactly what plotly.py's ``to_dict`` turns every NumPy array into before sending
    it; doing it here spares plotly.py ~0.1 ms of conversion per array, per serialisation.

    >>> _typed(np.array([1.0, -2.0], dtype=np.float32))
    {'dtype': 'f4', 'bdata': 'AACAPwAAAMA='}
    """
    array = np.ascontiguousarray(values)
    code = _TYPED_ARRAY_CODES.get(array.dtype)
    if code is None:  # big-endian, or not a float array
        array = array.astype(array.dtype.newbyteorder("<"))
        code = _TYPED_ARRAY_CODES[array.dtype]
    return {"dtype": code, "bdata": base64.b64encode(array).decode("ascii")}


def _json_ready(value):
    """Return a copy of a ``to_plotly_json()`` value with every float array as :func:`_typed`."""
    if isinstance(value, np.ndarray):
        return _typed(value) if value.dtype.kind == "f" else value.tolist()
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value


def _map_traces(surface: Surface, click_grid: int) -> tuple[list[go.Scatter], list[go.Scatter]]:
    """Return the static traces drawn under the trajectories (iso-lines, click grid,
    colour bar) and the minima, drawn over their lines."""
    transform = color_transform(surface)
    iso_x, iso_y = iso_lines(surface)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    grid_x, grid_y = np.meshgrid(
        np.linspace(xmin, xmax, click_grid), np.linspace(ymin, ymax, click_grid)
    )
    lo, hi = transform.t_range
    ticks = _colorbar_ticks(surface, transform)
    traces = [
        go.Scatter(
            # float32 halves the JSON; a line drawn on screen needs no more precision.
            x=iso_x.astype(np.float32),
            y=iso_y.astype(np.float32),
            mode="lines",
            name=ISO_LINES_NAME,
            line={"color": _ISO_LINE_COLOR, "width": 1},
            hoverinfo="skip",
            showlegend=False,
        ),
        go.Scatter(
            x=grid_x.ravel(),
            y=grid_y.ravel(),
            mode="markers",
            name=CLICK_GRID_NAME,
            # Nearly invisible but still a target: a contour map emits no selection
            # events, so these points are what a click on the map selects.
            marker={
                "size": max(4, min(16, 560 // click_grid)),
                # White at 2 % is invisible on the pale map (black would show as dots).
                "color": "white",
                "opacity": 0.02,
                "line": {"width": 0},
            },
            hoverinfo="none",
            showlegend=False,
        ),
        # An image has no colour bar, so borrow one from a single transparent marker
        # that carries the same colour scale, with ticks labelled in J.
        go.Scatter(
            x=np.array([xmin]),
            y=np.array([ymin]),
            mode="markers",
            name="colorbar",
            marker={
                "color": np.array([lo]),
                "cmin": lo,
                "cmax": hi,
                "colorscale": MAP_COLORSCALE,
                "opacity": 0,
                "showscale": True,
                "colorbar": {
                    "title": {"text": "J"},
                    "tickvals": transform(ticks),
                    "ticktext": [f"{v:.6g}" for v in np.round(ticks, 12)],
                    "thickness": 14,
                    "len": 0.75,
                },
            },
            hoverinfo="skip",
            showlegend=False,
        ),
    ]
    markers = minima_traces(surface)
    return traces, markers


GLOBAL_MIN_MARKER = {  # shared with map_figures
    "symbol": "star",
    "size": 22,
    "color": _GLOBAL_MIN_COLOR,
    "line": {"color": "black", "width": 1.5},
}
LOCAL_MIN_MARKER = {
    "symbol": "x-thin",
    "size": 14,
    "color": "white",
    "line": {"color": "#222222", "width": 3},
}
_START_MARKER = {
    "symbol": "circle",
    "size": 14,
    "color": "white",
    "line": {"color": "black", "width": 2.5},
}


def minima_traces(surface: Surface) -> list[go.Scatter]:
    """Marker traces for the listed minima: one "global minimum", one "local minimum".

    Shared by the race map and the basin maps so minima look (and hover) the same.
    """
    markers = []
    for is_global in (True, False):
        minima = [m for m in surface.minima if m.is_global == is_global]
        if not minima:
            continue
        points = np.array([m.point for m in minima])
        kind = "global minimum" if is_global else "local minimum"
        markers.append(
            go.Scatter(
                x=points[:, 0],
                y=points[:, 1],
                mode="markers",
                name=kind,
                customdata=np.array([m.value for m in minima]),
                hovertemplate=f"{kind}<br>(%{{x:.3f}}, %{{y:.3f}})<br>J = %{{customdata:.4g}}"
                "<extra></extra>",
                marker=GLOBAL_MIN_MARKER if is_global else LOCAL_MIN_MARKER,
            )
        )
    return markers


def _colorbar_ticks(surface: Surface, transform: ColorTransform) -> np.ndarray:
    """Return round J values for the colour bar, at least 10 % of its length apart.

    Powers of ten above J* on log-scaled surfaces, round linear steps otherwise.
    """
    lo, hi = transform.t_range
    j_lo, j_hi = (float(v) for v in transform.inverse(np.array([lo, hi])))
    if surface.log_scale:
        gaps = np.clip([j_lo - transform.j_min, j_hi - transform.j_min], 1e-300, None)
        powers = np.arange(math.ceil(math.log10(gaps[0])), math.floor(math.log10(gaps[1])) + 1)
        candidates = transform.j_min + 10.0**powers
    else:
        raw_step = (j_hi - j_lo) / 6
        magnitude = 10.0 ** math.floor(math.log10(raw_step))
        step = magnitude * min((1, 2, 5, 10), key=lambda m: abs(m * magnitude - raw_step))
        candidates = np.arange(math.ceil(j_lo / step), math.floor(j_hi / step) + 1) * step
    ticks, last = [], -np.inf
    for value in candidates:
        position = float(transform.unit(transform(value)))
        if position - last >= 0.1:
            ticks.append(float(value))
            last = position
    return np.array(ticks)


def _map_layout(surface: Surface, height: int) -> go.Layout:
    """Return the map layout: background image on the bounds, fixed equal-scale axes."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    axis = {"showgrid": False, "zeroline": False, "autorange": False, "constrain": "domain"}
    return go.Layout(
        images=[
            {
                "source": surface_image(surface),
                "xref": "x",
                "yref": "y",
                "x": xmin,
                "y": ymax,
                "sizex": xmax - xmin,
                "sizey": ymax - ymin,
                "xanchor": "left",
                "yanchor": "top",
                "sizing": "stretch",
                "layer": "below",
            }
        ],
        height=height,
        template="plotly_white",
        font={"size": FONT_SIZE},
        # No figure title: the page names the surface, and in a narrow column a title
        # collides with the legend and the mode bar.
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        # Equal scaling: the gradient is perpendicular to the iso-lines on screen only
        # when a unit of x is as long as a unit of y.
        xaxis={**axis, "range": [xmin, xmax], "title": {"text": "x"}},
        yaxis={**axis, "range": [ymin, ymax], "title": {"text": "y"}, "scaleanchor": "x"},
        # Above the plot (plotly grows the margin when it wraps): clear of the colour bar
        # and of the Play/Pause buttons and the slider below.
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        hovermode="closest",
    )


@dataclass(frozen=True)
class _StaticMap:
    """The parts of the map that depend on the surface only, validated once, JSON-ready.

    Shared between figures through the cache: never mutate them (plotly.py copies them
    into each figure).
    """

    under: tuple[dict, ...]  # iso-lines, click grid, colour bar
    minima: tuple[dict, ...]
    layout: dict


@lru_cache(maxsize=32)
def _static_map(keyed: _Keyed, click_grid: int, height: int) -> _StaticMap:
    # Built as validated graph objects (so plotly.py checks every property, once per
    # surface), then turned into the plain dicts that to_dict() would produce.
    under, minima = _map_traces(keyed.surface, click_grid)
    return _StaticMap(
        under=tuple(_json_ready(trace.to_plotly_json()) for trace in under),
        minima=tuple(_json_ready(trace.to_plotly_json()) for trace in minima),
        layout=_json_ready(_map_layout(keyed.surface, height).to_plotly_json()),
    )


_Z_ORDER = {"momentum": 0, "sgd": 1, "nesterov": 2}


def _line_traces(
    method: str, columns: np.ndarray, segments: Segments, style: tuple[str, str, str, str]
) -> list[dict]:
    """Return one method's line traces in their final state: its segments, then its trail.

    ``columns`` is the path transposed, shape (2, T).
    """
    color, label, dash, _ = style
    common = {
        "type": "scatter",
        "mode": "lines",
        "name": label,
        "legendgroup": method,
        "showlegend": False,
        "line": {"color": color, "width": METHOD_LINE_WIDTHS.get(method, 3.0), "dash": dash},
        # Hidden (future) segments would still answer hovers: the head carries the hover.
        "hoverinfo": "skip",
    }
    pieces = [
        (int(first), int(stop) + 1, "segment")
        for first, stop in zip(segments.starts, segments.ends, strict=True)
    ]
    pieces.append((segments.trail_start(columns.shape[1] - 1), columns.shape[1], "trail"))
    return [
        {
            **common,
            "x": _typed(columns[0, first:stop]),
            "y": _typed(columns[1, first:stop]),
            "meta": {"method": method, "role": role, "first_step": first},
        }
        for first, stop, role in pieces
    ]


def _head_trace(
    method: str, columns: np.ndarray, style: tuple[str, str, str, str], rank: int
) -> dict:
    """Return the marker at a method's current (initially final) position."""
    color, label, dash, symbol = style
    last = columns.shape[1] - 1
    return {
        "type": "scatter",
        "x": _typed(columns[0, last:]),
        "y": _typed(columns[1, last:]),
        # "lines+markers" on a single point draws only the marker, but makes the legend
        # entry show line style and marker together.
        "mode": "lines+markers",
        "name": label,
        "legendgroup": method,
        "legendrank": 1000 + rank,
        "line": {"color": color, "width": METHOD_LINE_WIDTHS.get(method, 3.0), "dash": dash},
        "marker": {
            "symbol": symbol,
            "size": 15,
            "color": color,
            "line": {"color": "white", "width": 2},
        },
        "hovertemplate": f"{label}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
        "meta": {"method": method, "role": "head", "first_step": last},
    }


def _start_trace(start: np.ndarray) -> dict:
    return {
        "type": "scatter",
        "x": _typed(start[:1]),
        "y": _typed(start[1:]),
        "mode": "markers",
        "name": "start",
        "hovertemplate": "start<br>(%{x:.3f}, %{y:.3f})<extra></extra>",
        "marker": _START_MARKER,
    }


def trajectory_figure(
    surface: Surface,
    paths: Mapping[str, np.ndarray],
    *,
    max_frames: int = 200,
    start: tuple[float, float] | None = None,
    click_grid: int = 40,
    height: int = 600,
) -> go.Figure:
    """Return the animated map: the surface, its minima and one trajectory per method.

    ``paths`` maps a method name ("sgd", "momentum", "nesterov" or any other) to its
    positions, shape (T, 2) with positions[0] the start; all paths have the same T.
    ``start`` (default: the paths' first point, else ``surface.start``) is marked.

    The figure opens on the *finished* runs (slider on the last step), so a screenshot or
    a student who never presses Play sees the whole result. Play replays all runs in
    lock-step from step 0 over at most ``max_frames`` frames (after Pause it resumes).

    Traces, bottom to top: ``"iso-lines"``, ``"click-grid"`` (``click_grid``² nearly
    invisible markers, so that a click anywhere on the map selects a point: the background
    image emits no events), ``"colorbar"``, each method's line traces (its segments, then
    its trail; see :class:`Segments`), the minima (``"global minimum"``, ``"local
    minimum"``), ``"start"``, then each method's head. Trajectory traces carry ``meta =
    {"method", "role", "first_step"}`` with role "segment", "trail" or "head", and their
    ``name`` is the method's label; frames touch only these traces.

    The figure is assembled from plain dicts without plotly.py's validation (see the
    module docstring): its numeric arrays are plotly.js typed arrays (``{"dtype",
    "bdata"}``), and its frames are best read through ``fig.to_dict()["frames"]``.
    """
    arrays = _check_paths(paths)
    if click_grid < 2:
        raise ValueError(f"click_grid must be at least 2, got {click_grid}")
    if start is not None:
        start_point = np.asarray(start, dtype=float)
    elif arrays:
        start_point = next(iter(arrays.values()))[0]
    else:
        start_point = np.asarray(surface.start, dtype=float)

    n_points = len(next(iter(arrays.values()))) if arrays else 0
    segments = Segments.for_length(n_points)
    static = _static_map(_keyed(surface), int(click_grid), int(height))
    columns = {method: np.ascontiguousarray(path.T) for method, path in arrays.items()}
    styles = {method: _method_style(method, order) for order, method in enumerate(arrays)}
    # Drawing order: the zig-zagging momentum line at the bottom, then SGD, then dashed
    # Nesterov on top (where it runs along either, the other shows through its gaps);
    # minima and start above the lines, every head above those. The legend keeps the
    # order of ``paths`` (legendrank). Shallow copies of the cached traces: plotly.py
    # briefly takes "type" out of each trace dict it is given.
    data = [dict(trace) for trace in static.under]
    trace_ids: dict[str, tuple[list[int], int, int]] = {}
    for method in sorted(arrays, key=lambda method: _Z_ORDER.get(method, len(_Z_ORDER))):
        first = len(data)
        data.extend(_line_traces(method, columns[method], segments, styles[method]))
        trace_ids[method] = (list(range(first, len(data) - 1)), len(data) - 1, -1)
    data.extend(dict(trace) for trace in static.minima)
    data.append(_start_trace(start_point))
    for rank, method in enumerate(arrays):
        segment_ids, trail_id, _ = trace_ids[method]
        trace_ids[method] = (segment_ids, trail_id, len(data))
        data.append(_head_trace(method, columns[method], styles[method], rank))

    layout = dict(static.layout)
    frames: list[dict] = []
    if n_points > 1:
        steps = [int(step) for step in frame_indices(n_points, max_frames)]
        frames = _animation_frames(columns, trace_ids, segments, steps)
        layout.update(_animation_controls(steps))
    outside = [
        styles[method][1] for method, path in arrays.items() if _leaves_bounds(path, surface.bounds)
    ]
    if outside:
        # The axes stay on the bounds (nothing is clipped or rescaled), so say which
        # runs went off the map instead of letting them vanish without a word.
        layout["annotations"] = [
            {
                "text": "leaves the map: " + ", ".join(outside),
                "xref": "paper",
                "yref": "paper",
                "x": 0.01,
                "y": 0.99,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "bgcolor": "rgba(255, 255, 255, 0.85)",
                "font": {"size": FONT_SIZE - 2, "color": "#8B0000"},
            }
        ]
    return unvalidated_figure(data, layout, frames)


@lru_cache(maxsize=8)
def _template(name: str) -> dict:
    """Return a registered plotly.py template as a plain dict (validating one, when a layout
    names it, costs ~15 ms). Shared: never mutate it (go.Figure copies it)."""
    return pio.templates[name].to_plotly_json()


# Shared by every frame (plotly.py's deep copies copy a shared dict once).
_SHOWN = {"type": "scatter", "opacity": 1}
_HIDDEN = {"type": "scatter", "opacity": 0}


def _animation_frames(
    columns: dict[str, np.ndarray],
    trace_ids: dict[str, tuple[list[int], int, int]],
    segments: Segments,
    steps: list[int],
) -> list[dict]:
    """Return the frames: at each step, each method's done segments shown, the rest hidden,
    and its trail and head.

    Steps with the same segments done form a block: its first frame sets every segment
    and the later ones name it as ``baseframe`` and send only trails and heads (plotly.js
    merges a frame onto its base frame before applying it, for Play and the slider alike).
    The last frame is always a block of its own (the last segment ends on the last step).
    """
    n_points = columns[next(iter(columns))].shape[1]
    # float32 halves the frames' JSON; the last frame keeps float64 so the end of
    # playback is exactly the figure's initial (finished) state. Slicing the raw bytes
    # is much cheaper than slicing and encoding ~1,000 small arrays.
    narrow = {
        method: [(column.astype("<f4").tobytes(), 4, "f4") for column in cols]
        for method, cols in columns.items()
    }
    wide = {
        method: [(column.astype("<f8").tobytes(), 8, "f8") for column in cols]
        for method, cols in columns.items()
    }

    heads = {method: (cols[0].tolist(), cols[1].tolist()) for method, cols in columns.items()}

    def typed(column: tuple[bytes, int, str], first: int, stop: int) -> dict[str, str]:
        buffer, size, code = column
        return {
            "dtype": code,
            "bdata": base64.b64encode(buffer[first * size : stop * size]).decode(),
        }

    done_counts = np.searchsorted(segments.ends, steps, side="right").tolist()
    # The same trace lists in every frame of a kind (shared objects: deep-copied once).
    base_traces = [i for ids, trail, head in trace_ids.values() for i in (*ids, trail, head)]
    step_traces = [i for _, trail, head in trace_ids.values() for i in (trail, head)]
    frames: list[dict] = []
    base_name, base_done = "", -1
    for step, n_done in zip(steps, done_counts, strict=True):
        name = str(step)
        new_block = n_done != base_done
        first = segments.trail_start(step)
        data = []
        for method, (segment_ids, _, _) in trace_ids.items():
            if new_block:
                data.extend([_SHOWN] * n_done)
                data.extend([_HIDDEN] * (len(segment_ids) - n_done))
            x, y = (wide if step == n_points - 1 else narrow)[method]
            data.append(
                {"type": "scatter", "x": typed(x, first, step + 1), "y": typed(y, first, step + 1)}
            )
            # The head, one point: a plain [x] is shorter than a typed array (in JSON and
            # for plotly.py to copy) and exact.
            xs, ys = heads[method]
            data.append({"type": "scatter", "x": [xs[step]], "y": [ys[step]]})
        if new_block:
            frames.append({"data": data, "traces": base_traces, "name": name})
            base_name, base_done = name, n_done
        else:
            frames.append(
                {"data": data, "traces": step_traces, "name": name, "baseframe": base_name}
            )
    return frames


def _animation_controls(steps: list[int]) -> dict:
    """Return the layout's Play/Pause buttons and the step slider over the frames ``steps``."""
    frame_ms = int(np.clip(8000 // len(steps), 30, 150))  # a whole replay takes ~8 s
    play = {
        "frame": {"duration": frame_ms, "redraw": False},
        "transition": {"duration": 0},
        "mode": "immediate",
        # Resume after Pause; from the last frame plotly.js starts again at the first.
        "fromcurrent": True,
    }
    jump = {
        "frame": {"duration": 0, "redraw": False},
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    return {
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": 0.0,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 50, "r": 10},
                "showactive": False,
                "font": {"size": FONT_SIZE},
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "‖ Pause", "method": "animate", "args": [[None], jump]},
                ],
            }
        ],
        "sliders": [
            {
                "active": len(steps) - 1,  # the figure opens on the finished runs
                # A row of its own under the buttons: side by side they overlap in a
                # narrow column.
                "x": 0.0,
                "len": 1.0,
                "y": 0.0,
                "yanchor": "top",
                "pad": {"t": 95},
                "currentvalue": {"prefix": "step ", "font": {"size": FONT_SIZE}},
                "font": {"size": FONT_SIZE - 4},
                # ``jump`` is shared by every step (one deep copy, same JSON).
                "steps": [
                    {"label": str(step), "method": "animate", "args": [[str(step)], jump]}
                    for step in steps
                ],
            }
        ],
    }


# --- Loss curves ------------------------------------------------------------------------


def loss_figure(
    losses: Mapping[str, np.ndarray], *, offset: float = 0.0, height: int = 300
) -> go.Figure:
    """Return the loss of each method against the step, one line per method.

    ``losses`` maps a method name to J at each step, shape (T,). ``offset`` is subtracted
    first: pass the global minimum value J* of a surface with negative values to plot the
    gap J − J* (the axis title then says so).

    The y axis is logarithmic when every finite value (after the offset) is ≥ 0 up to
    rounding; values at or below zero — a run that reached J* exactly, or rounding just
    under it — are drawn at a tiny positive floor (the hover shows the true value), so
    nothing is dropped and no log of zero is ever taken. Otherwise the axis is linear.
    """
    arrays = {
        name: np.asarray(values, dtype=float).ravel() - offset for name, values in losses.items()
    }
    finite = np.concatenate([v[np.isfinite(v)] for v in arrays.values()] or [np.empty(0)])
    # Float64 resolution of J − offset at the scale of the values involved.
    scale = max(1.0, abs(offset), float(np.max(np.abs(finite))) if finite.size else 1.0)
    floor = 1e-15 * scale
    log_y = bool(finite.size) and float(finite.min()) >= -1e-9 * scale
    name = "J" if offset == 0 else f"J − J* (J* = {offset:.6g})"

    traces = []
    for order, (method, values) in enumerate(arrays.items()):
        color, label, dash, _ = _method_style(method, order)
        # np.maximum keeps NaN as NaN (a gap in the line); np.fmax would draw it at the floor.
        shown = np.maximum(values, floor) if log_y else values
        traces.append(
            {
                "type": "scatter",
                "x": np.arange(len(values)),
                "y": shown,
                "customdata": values,
                "mode": "lines",
                "name": label,
                "line": {
                    "color": color,
                    "width": METHOD_LINE_WIDTHS.get(method, 3.0),
                    "dash": dash,
                },
                "hovertemplate": f"{label}<br>step %{{x}}<br>{name} = %{{customdata:.4g}}"
                "<extra></extra>",
            }
        )
    layout = {
        "height": height,
        "template": _template("plotly_white"),
        "font": {"size": FONT_SIZE},
        "margin": {"l": 70, "r": 20, "t": 30, "b": 50},
        "xaxis": {"title": {"text": "step"}, "rangemode": "tozero"},
        "yaxis": {
            "title": {"text": name},
            "type": "log" if log_y else "linear",
            "exponentformat": "power",
        },
        "legend": {
            "orientation": "h",
            "x": 1.0,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
        },
        "hovermode": "x unified",
    }
    # Without validation (most of the build time, mainly for the template); the tests
    # rebuild the figure with validation and compare.
    return go.Figure(data=traces, layout=layout, _validate=False)


# --- 3-D view ---------------------------------------------------------------------------


def surface3d_figure(
    surface: Surface,
    paths: Mapping[str, np.ndarray],
    *,
    resolution: int = 80,
    height: int = 600,
) -> go.Figure:
    """Return the surface in 3-D with each method's path lying on it.

    The height is J itself, or log10(J − J* + delta) with delta ≈ 1 % of a typical J on
    ``log_scale`` surfaces, whose J spans decades (the z axis title says which). Paths
    are drawn at the height of the surface at each of their points, lifted by 1 % of the
    height range so the surface does not hide them. The box is fixed on the bounds and the
    surface's height range, so the part of a run that leaves them is cut at the box edge.
    """
    arrays = _check_paths(paths)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    xs, ys, values = _grid(surface, resolution, resolution)
    j_min = color_transform(surface).j_min
    # The map's tiny log offset would turn the valley floor, sampled on a coarse mesh,
    # into a row of spikes; 1 % of the typical height keeps the floor smooth in 3-D.
    delta = float(f"{0.01 * max(float(np.median(values - j_min)), 1e-10):.1g}")
    height_transform = ColorTransform(j_min, delta, (0.0, 1.0))

    def height_of(values: np.ndarray) -> np.ndarray:
        return height_transform(values) if surface.log_scale else values

    z = height_of(values)
    z_lo, z_hi = float(z.min()), float(z.max())
    lift = 0.01 * (z_hi - z_lo)
    z_title = f"log₁₀(J − J* + {delta:g})" if surface.log_scale else "J"
    traces: list[go.Surface | go.Scatter3d] = [
        go.Surface(
            x=xs,
            y=ys,
            z=z,
            colorscale=MAP_COLORSCALE,
            showscale=False,
            opacity=0.95,
            contours={"z": {"show": True, "color": _ISO_LINE_COLOR, "width": 1}},
            hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
            name="surface",
        )
    ]
    for order, (method, path) in enumerate(arrays.items()):
        color, label, _, _ = _method_style(method, order)
        path_z = height_of(surface.value(path)) + lift
        traces.append(
            go.Scatter3d(
                x=path[:, 0],
                y=path[:, 1],
                z=path_z,
                mode="lines",
                name=label,
                legendgroup=method,
                line={"color": color, "width": 6},
                hovertemplate=f"{label}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
            )
        )
        traces.append(
            go.Scatter3d(
                x=path[-1:, 0],
                y=path[-1:, 1],
                z=path_z[-1:],
                mode="markers",
                name=label,
                legendgroup=method,
                showlegend=False,
                marker={"color": color, "size": 6, "line": {"color": "white", "width": 1}},
                hoverinfo="skip",
            )
        )
    minima = [m for m in surface.minima if m.is_global]
    points = np.array([m.point for m in minima])
    traces.append(
        go.Scatter3d(
            x=points[:, 0],
            y=points[:, 1],
            z=height_of(np.array([m.value for m in minima])) + lift,
            mode="markers",
            name="global minimum",
            marker={"color": _GLOBAL_MIN_COLOR, "size": 7, "symbol": "diamond"},
            hoverinfo="skip",
        )
    )
    (xmin, xmax), (ymin, ymax) = surface.bounds
    longest = max(xmax - xmin, ymax - ymin)
    layout = {
        "height": height,
        "template": _template("plotly_white"),
        "font": {"size": FONT_SIZE},
        "margin": {"l": 0, "r": 0, "t": 30, "b": 0},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
        "scene": {
            "xaxis": {"title": {"text": "x"}, "range": [xmin, xmax]},
            "yaxis": {"title": {"text": "y"}, "range": [ymin, ymax]},
            # Fixed like the map's axes: a run that left the bounds is cut at the box edge
            # rather than stretching the box until the surface is flat.
            "zaxis": {"title": {"text": z_title}, "range": [z_lo, z_hi + 2 * lift]},
            "aspectmode": "manual",
            "aspectratio": {"x": (xmax - xmin) / longest, "y": (ymax - ymin) / longest, "z": 0.6},
            "camera": {"eye": {"x": 1.3, "y": -1.5, "z": 1.1}},
        },
    }
    # The traces are validated as they are built; the layout is not (validating the
    # template alone costs ~15 ms); the tests rebuild the figure with validation and compare.
    return go.Figure(data=traces, layout=layout, _validate=False)
