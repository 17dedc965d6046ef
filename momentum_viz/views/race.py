"""The race map: the surface, its minima and one animated trajectory per method.

:func:`trajectory_figure` draws the surface from :mod:`.surface_layer` (a background image
and iso-lines: plotly.js stops drawing contour and heatmap traces once an animation starts)
and animates the runs over it.

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
``to_dict()`` would send anyway), in a figure made by
:func:`.plotly_internals.unvalidated_figure`; the parts that depend only on the surface are
built as validated graph objects once and cached. The tests rebuild every figure with
validation and check that nothing changes. Streamlit must still get the ``go.Figure``:
given a dict, ``st.plotly_chart`` validates it all again.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .path_validation import check_paths
from .plotly_internals import unvalidated_figure
from .style import (
    CLICK_GRID_NAME,
    CONTROL_BORDER_COLOR,
    FONT_SIZE,
    ISO_LINE_COLOR,
    ISO_LINES_NAME,
    MAP_COLORSCALE,
    START_MARKER,
    TEXT_COLOR,
    draw_rank,
    line_width,
    method_style,
)
from .surface_layer import color_transform, colorbar_ticks, iso_lines, minima_traces, surface_image

# --- Frames and segments ----------------------------------------------------------------


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


# --- Typed arrays -----------------------------------------------------------------------


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


# --- The map under the runs -------------------------------------------------------------


def _iso_lines_trace(surface: Surface) -> go.Scatter:
    """Return the iso-lines as one scatter trace (it survives playback, unlike a contour)."""
    iso_x, iso_y = iso_lines(surface)
    return go.Scatter(
        # float32 halves the JSON; a line drawn on screen needs no more precision.
        x=iso_x.astype(np.float32),
        y=iso_y.astype(np.float32),
        mode="lines",
        name=ISO_LINES_NAME,
        line={"color": ISO_LINE_COLOR, "width": 1},
        hoverinfo="skip",
        showlegend=False,
    )


def _click_grid_trace(surface: Surface, click_grid: int) -> go.Scatter:
    """Return ``click_grid``² nearly invisible markers spanning the bounds.

    They are what a click on the map selects: the background image emits no selection
    events (nor would a contour map).
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    grid_x, grid_y = np.meshgrid(
        np.linspace(xmin, xmax, click_grid), np.linspace(ymin, ymax, click_grid)
    )
    return go.Scatter(
        x=grid_x.ravel(),
        y=grid_y.ravel(),
        mode="markers",
        name=CLICK_GRID_NAME,
        marker={
            "size": max(4, min(16, 560 // click_grid)),
            # White at 2 % is invisible on the pale map (black would show as dots).
            "color": "white",
            "opacity": 0.02,
            "line": {"width": 0},
        },
        hoverinfo="none",
        showlegend=False,
    )


def _colorbar_trace(surface: Surface, font_size: int) -> go.Scatter:
    """Return one transparent marker whose only visible part is the map's colour bar.

    An image has no colour bar, so one is borrowed from a marker that carries the image's
    colour scale, with ticks placed in t but labelled in J.
    """
    transform = color_transform(surface)
    (xmin, _), (ymin, _) = surface.bounds
    lo, hi = transform.t_range
    ticks = colorbar_ticks(surface, transform)
    return go.Scatter(
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
            # In the right margin (see map_margins), as tall as the map.
            "colorbar": {
                "title": {"text": "J", "side": "top"},
                "tickvals": transform(ticks),
                "ticktext": [f"{v:.4g}" for v in np.round(ticks, 12)],
                "thickness": 14,
                "len": 0.9,  # the title above it stays inside the map's height
                "y": 0.0,
                "yanchor": "bottom",
                "xpad": 8,
                "outlinecolor": TEXT_COLOR,
                "tickfont": {"size": font_size, "color": TEXT_COLOR},
            },
        },
        hoverinfo="skip",
        showlegend=False,
    )


class MapSize(NamedTuple):
    """The race map's size in CSS px: the chart to ask for, so the map fills it exactly."""

    width: int
    height: int


def map_margins(font_size: int = FONT_SIZE) -> dict[str, int]:
    """The map's margins in px: y tick labels on the left, the colour bar on the right,
    and below the map its x tick labels and one row with Play, Pause and the slider.

    Fixed in px (not left to plotly's automargin), so the drawing area of a chart of
    :func:`map_size` is exactly the map.
    """
    return {
        "l": round(3.4 * font_size),
        "r": round(5.6 * font_size),
        "t": round(0.7 * font_size),  # half the top tick label pokes above the map
        "b": round((_CONTROLS_TOP + 3.0) * font_size),
        # Plotly would grow the margins for the slider, buttons and colour bar (and shrink
        # the map by as much); they are sized to fit instead.
        "autoexpand": False,
    }


def map_size(surface: Surface, drawing_height: int, font_size: int = FONT_SIZE) -> MapSize:
    """The chart size whose drawing area is ``drawing_height`` px high and exactly as wide
    as the surface's bounds at equal scale (no blank band beside the map).

    Give the chart this width (``st.plotly_chart(width=...)``): where the page is
    narrower, the map shrinks to the page's width and keeps its aspect.
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    margins = map_margins(font_size)
    aspect = (xmax - xmin) / (ymax - ymin)
    return MapSize(
        round(margins["l"] + drawing_height * aspect + margins["r"]),
        drawing_height + margins["t"] + margins["b"],
    )


def _map_layout(surface: Surface, drawing_height: int, font_size: int) -> go.Layout:
    """Return the map layout: background image on the bounds, fixed equal-scale axes."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    axis = {
        "showgrid": False,
        "zeroline": False,
        "autorange": False,
        "constrain": "domain",
        "ticks": "outside",
        "ticklen": 4,
        "tickcolor": TEXT_COLOR,
        "tickfont": {"size": font_size, "color": TEXT_COLOR},
    }
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
        height=map_size(surface, drawing_height, font_size).height,
        template="plotly_white",
        font={"size": font_size, "color": TEXT_COLOR},
        # No figure title: the page names the surface. No axis titles either: x and y are
        # plain coordinates (the hover names them), and the rows they took go to the map.
        margin=map_margins(font_size),
        # Equal scaling: the gradient is perpendicular to the iso-lines on screen only
        # when a unit of x is as long as a unit of y. Where the chart is narrower than
        # map_size asked for, the map keeps its aspect and sits on the Play row.
        xaxis={**axis, "range": [xmin, xmax]},
        yaxis={**axis, "range": [ymin, ymax], "scaleanchor": "x", "constraintoward": "bottom"},
        # Inside the map, in the corner the runs leave most free (see _legend_corner):
        # above the map it took more height than the map itself in a narrow column.
        legend={
            "bgcolor": "rgba(255, 255, 255, 0.88)",
            "bordercolor": CONTROL_BORDER_COLOR,
            "borderwidth": 1,
            "font": {"size": font_size, "color": TEXT_COLOR},
            "tracegroupgap": 2,
        },
        hovermode="closest",
        hoverlabel={"font": {"size": font_size}},
    )


# The legend's box as a share of the map's width and height, for choosing its corner.
_LEGEND_SHARE = (0.45, 0.42)


def _legend_corner(
    surface: Surface, arrays: Mapping[str, np.ndarray], start_point: np.ndarray
) -> dict:
    """Return the legend position: the map corner that covers the fewest path points.

    The start and the minima count as many points each: the legend must never hide them.
    Ties go to the first corner of top right, top left, bottom right, bottom left.
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    points = [path[:: max(1, len(path) // 400)] for path in arrays.values()]
    marks = np.array([start_point, *(m.point for m in surface.minima)], dtype=float)
    points.extend([marks] * 25)
    xy = np.concatenate(points) if points else np.empty((0, 2))
    u = (xy[:, 0] - xmin) / (xmax - xmin)
    v = (xy[:, 1] - ymin) / (ymax - ymin)
    share_u, share_v = _LEGEND_SHARE
    best, best_count = None, None
    for right, top in ((True, True), (False, True), (True, False), (False, False)):
        in_u = u >= 1 - share_u if right else u <= share_u
        in_v = v >= 1 - share_v if top else v <= share_v
        count = int(np.count_nonzero(in_u & in_v & (u <= 1) & (u >= 0) & (v <= 1) & (v >= 0)))
        if best_count is None or count < best_count:
            best, best_count = (right, top), count
    right, top = best  # type: ignore[misc]
    return {
        "x": 0.995 if right else 0.005,
        "xanchor": "right" if right else "left",
        "y": 0.995 if top else 0.005,
        "yanchor": "top" if top else "bottom",
    }


@dataclass(frozen=True)
class _StaticMap:
    """The parts of the map that depend on the surface only, validated once, JSON-ready.

    Shared between figures through the cache: never mutate them (plotly.py copies them
    into each figure).
    """

    under: tuple[dict, ...]  # iso-lines, click grid, colour bar: under the runs
    minima: tuple[dict, ...]  # over the runs' lines
    layout: dict


@lru_cache(maxsize=32)
def _static_map(
    surface: Surface, click_grid: int, drawing_height: int, font_size: int
) -> _StaticMap:
    # Built as validated graph objects (so plotly.py checks every property, once per
    # surface), then turned into the plain dicts that to_dict() would produce.
    under = [_iso_lines_trace(surface), _click_grid_trace(surface, click_grid)]
    under.append(_colorbar_trace(surface, font_size))
    return _StaticMap(
        under=tuple(_json_ready(trace.to_plotly_json()) for trace in under),
        minima=tuple(_json_ready(trace.to_plotly_json()) for trace in minima_traces(surface)),
        layout=_json_ready(_map_layout(surface, drawing_height, font_size).to_plotly_json()),
    )


# --- The runs ---------------------------------------------------------------------------


class _MethodTraces(NamedTuple):
    """Indices in ``figure.data`` of one method's traces: what its frames update."""

    segments: list[int]
    trail: int
    head: int


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
        "line": {"color": color, "width": line_width(method), "dash": dash},
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
        "line": {"color": color, "width": line_width(method), "dash": dash},
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
    """Return the marker at the start point shared by every run."""
    return {
        "type": "scatter",
        "x": _typed(start[:1]),
        "y": _typed(start[1:]),
        "mode": "markers",
        "name": "start",
        "hovertemplate": "start<br>(%{x:.3f}, %{y:.3f})<extra></extra>",
        "marker": START_MARKER,
    }


def trajectory_figure(
    surface: Surface,
    paths: Mapping[str, np.ndarray],
    *,
    max_frames: int = 200,
    start: tuple[float, float] | None = None,
    click_grid: int = 40,
    drawing_height: int = 460,
    font_size: int = FONT_SIZE,
    speed: float = 1.0,
) -> go.Figure:
    """Return the animated map: the surface, its minima and one trajectory per method.

    ``paths`` maps a method name ("sgd", "momentum", "nesterov" or any other) to its
    positions, shape (T, 2) with positions[0] the start; all paths have the same T.
    ``start`` (default: the paths' first point, else ``surface.start``) is marked.
    The figure is :func:`map_size` high, so that its drawing area (the map) is
    ``drawing_height`` px high in a chart of :func:`map_size`; its text is ``font_size`` px.

    The figure opens on the *finished* runs (slider on the last step), so a screenshot or
    a student who never presses Play sees the whole result. Play replays all runs in
    lock-step from step 0 over at most ``max_frames`` frames (after Pause it resumes), in
    about ``REPLAY_MS / speed`` ms whatever the number of frames (see :func:`frame_duration`;
    :func:`replay_frames` is how many frames a speed can show).

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
    arrays = check_paths(paths)
    if click_grid < 2:
        raise ValueError(f"click_grid must be at least 2, got {click_grid}")
    n_points = len(next(iter(arrays.values()))) if arrays else 0
    segments = Segments.for_length(n_points)
    columns = {method: np.ascontiguousarray(path.T) for method, path in arrays.items()}
    styles = {method: method_style(method, order) for order, method in enumerate(arrays)}
    static = _static_map(surface, int(click_grid), int(drawing_height), int(font_size))
    start_point = _start_point(surface, arrays, start)
    data, trace_ids = _race_traces(static, columns, segments, styles, start_point)

    layout = dict(static.layout)
    layout["legend"] = {**layout["legend"], **_legend_corner(surface, arrays, start_point)}
    frames: list[dict] = []
    if n_points > 1:
        steps = [int(step) for step in frame_indices(n_points, max_frames)]
        frames = _animation_frames(columns, trace_ids, segments, steps)
        layout.update(_animation_controls(steps, int(font_size), float(speed)))
    outside = [
        styles[method][1] for method, path in arrays.items() if _leaves_bounds(path, surface.bounds)
    ]
    if outside:
        # The axes stay on the bounds (nothing is clipped or rescaled), so say which
        # runs went off the map instead of letting them vanish without a word.
        layout["annotations"] = [_off_map_note(outside, int(font_size))]
    return unvalidated_figure(data, layout, frames)


def _start_point(
    surface: Surface, arrays: Mapping[str, np.ndarray], start: tuple[float, float] | None
) -> np.ndarray:
    """Return the start to mark: ``start`` if given, else the runs' first point, else the
    surface's default (a map with no runs still shows where they would begin)."""
    if start is not None:
        return np.asarray(start, dtype=float)
    if arrays:
        return next(iter(arrays.values()))[0]
    return np.asarray(surface.start, dtype=float)


def _race_traces(
    static: _StaticMap,
    columns: dict[str, np.ndarray],
    segments: Segments,
    styles: dict[str, tuple[str, str, str, str]],
    start_point: np.ndarray,
) -> tuple[list[dict], dict[str, _MethodTraces]]:
    """Return the figure's traces in drawing order, and where each method's traces are.

    The methods in the returned dict are in the order their line traces are drawn, which
    is also the order of the traces in every frame.
    """
    # Drawing order: the zig-zagging momentum line at the bottom, then SGD, then dashed
    # Nesterov on top (where it runs along either, the other shows through its gaps);
    # minima and start above the lines, every head above those. The legend keeps the
    # order of ``paths`` (legendrank). Shallow copies of the cached traces: plotly.py
    # briefly takes "type" out of each trace dict it is given.
    data = [dict(trace) for trace in static.under]
    lines: dict[str, tuple[list[int], int]] = {}
    for method in sorted(columns, key=draw_rank):
        first = len(data)
        data.extend(_line_traces(method, columns[method], segments, styles[method]))
        lines[method] = (list(range(first, len(data) - 1)), len(data) - 1)
    data.extend(dict(trace) for trace in static.minima)
    data.append(_start_trace(start_point))
    heads = {}
    for rank, method in enumerate(columns):
        heads[method] = len(data)
        data.append(_head_trace(method, columns[method], styles[method], rank))
    trace_ids = {
        method: _MethodTraces(segment_ids, trail_id, heads[method])
        for method, (segment_ids, trail_id) in lines.items()
    }
    return data, trace_ids


def _leaves_bounds(path: np.ndarray, bounds: tuple) -> bool:
    (xmin, xmax), (ymin, ymax) = bounds
    x, y = path[:, 0], path[:, 1]
    return bool(np.any((x < xmin) | (x > xmax) | (y < ymin) | (y > ymax)))


def _off_map_note(labels: list[str], font_size: int) -> dict:
    """Return the annotation naming the runs that leave the map."""
    return {
        "text": "leaves the map: " + ", ".join(labels),
        "xref": "paper",
        "yref": "paper",
        "x": 0.01,
        "y": 0.99,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "bgcolor": "rgba(255, 255, 255, 0.85)",
        "font": {"size": font_size, "color": "#8B0000"},
    }


# --- Animation --------------------------------------------------------------------------


# Shared by every frame (plotly.py's deep copies copy a shared dict once).
_SHOWN = {"type": "scatter", "opacity": 1}
_HIDDEN = {"type": "scatter", "opacity": 0}


def _animation_frames(
    columns: dict[str, np.ndarray],
    trace_ids: dict[str, _MethodTraces],
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


# A whole replay at 1× lasts REPLAY_MS, whatever the number of steps (issue 10, goal 7).
REPLAY_MS = 7000
# plotly.js starts the next frame at the first animation tick (requestAnimationFrame, one per
# display refresh) after the frame's duration has passed, so a frame lasts a whole number of
# refreshes, the first one past its duration. Measured in Chromium (benchmarks/
# bench_replay.py, 1,000 steps, 3 methods): asked for 28, 35 and 58 ms, frames took 33, 50
# and 67 ms (2, 3 and 4 refreshes at 60 Hz), so 200 frames asked for 35 ms (7000 / 200) took
# 9.9 s, not 7. Drawing one takes ~25 ms: no frame is shorter than two refreshes.
REFRESH_MS = 1000 / 60
MIN_FRAME_MS = 2 * REFRESH_MS


def replay_frames(speed: float, max_frames: int) -> int:
    """How many frames a replay at ``speed`` shows: at most ``max_frames``, and no more than
    fit in its ``REPLAY_MS / speed`` at one frame every :data:`MIN_FRAME_MS`.

    >>> replay_frames(1, 200), replay_frames(2, 200), replay_frames(0.5, 200), replay_frames(1, 50)
    (200, 104, 200, 50)
    """
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"speed must be a positive number, got {speed}")
    return max(2, min(int(max_frames), int(REPLAY_MS / speed // MIN_FRAME_MS)))


def frame_duration(n_frames: int, speed: float = 1.0) -> float:
    """The frame duration (ms) the Play button asks for, so that ``n_frames`` frames take
    about ``REPLAY_MS / speed`` in all.

    Each frame lasts the first whole number of refreshes past its duration (see
    :data:`REFRESH_MS`), so the duration asks for the number of refreshes nearest the
    period, half a refresh short of it (clear of the tick on either side; at 120 Hz the
    same duration gives the same period).

    >>> frame_duration(200), frame_duration(104, 2), frame_duration(200, 0.5), frame_duration(41)
    (25.0, 25.0, 58.3, 158.3)
    """
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"speed must be a positive number, got {speed}")
    period = REPLAY_MS / speed / max(int(n_frames), 1)
    refreshes = max(1, round(period / REFRESH_MS))
    return round((refreshes - 0.5) * REFRESH_MS, 1)


# Where the row of controls under the map starts, below the plot area, in font sizes
# (clear of the x tick labels).
_CONTROLS_TOP = 1.5


def _animation_controls(steps: list[int], font_size: int = FONT_SIZE, speed: float = 1.0) -> dict:
    """Return the layout's Play/Pause buttons and the step slider over the frames ``steps``:
    one row right under the map, the buttons first (they must never look disabled: dark
    text, a 5.7:1 border). Play replays them all in about ``REPLAY_MS / speed``."""
    frame_ms = frame_duration(len(steps), speed)
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
    top = round(_CONTROLS_TOP * font_size)
    # The buttons' width: plotly sizes a button to its label (~0.55 em a character)
    # plus padding.
    buttons_width = round(2 * (7 * 0.55 * font_size + 22))
    return {
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": 0.0,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": top + round(0.9 * font_size), "r": 0},
                "showactive": False,
                "bgcolor": "#ffffff",
                "bordercolor": CONTROL_BORDER_COLOR,
                "borderwidth": 1.5,
                "font": {"size": font_size, "color": TEXT_COLOR},
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "‖ Pause", "method": "animate", "args": [[None], jump]},
                ],
            }
        ],
        "sliders": [
            {
                "active": len(steps) - 1,  # the figure opens on the finished runs
                "x": 0.0,
                "len": 1.0,
                "y": 0.0,
                "yanchor": "top",
                "pad": {"t": top, "l": buttons_width, "r": 0, "b": 0},
                "currentvalue": {
                    "prefix": "step ",
                    "font": {"size": font_size, "color": TEXT_COLOR},
                    "offset": 4,
                },
                # The step labels under the rail are hidden (transparent, 1 px: they would
                # take a row and overlap); "step n" above the rail says where the replay is.
                "font": {"size": 1, "color": "rgba(0, 0, 0, 0)"},
                "bordercolor": CONTROL_BORDER_COLOR,
                "tickcolor": CONTROL_BORDER_COLOR,
                "ticklen": 0,
                "minorticklen": 0,
                # ``jump`` is shared by every step (one deep copy, same JSON).
                "steps": [
                    {"label": str(step), "method": "animate", "args": [[str(step)], jump]}
                    for step in steps
                ],
            }
        ],
    }
