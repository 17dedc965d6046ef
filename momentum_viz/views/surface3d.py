"""The 3-D view: the surface as a mesh with each method's path lying on it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .path_validation import check_paths
from .style import (
    FONT_SIZE,
    GLOBAL_MIN_COLOR,
    ISO_LINE_COLOR,
    MAP_COLORSCALE,
    TEXT_COLOR,
    method_style,
    template,
)
from .surface_layer import ColorTransform, color_transform, sample_grid

_Heights = Callable[[np.ndarray], np.ndarray]


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
    arrays = check_paths(paths)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    xs, ys, values = sample_grid(surface, resolution, resolution)
    height_of, z_title = _height_scale(surface, values)
    # Where J is not a finite number (a custom surface's log(x) at x < 0, an overflow)
    # the mesh has a hole: plotly draws no cell at NaN.
    z = height_of(values)
    z[~np.isfinite(z)] = np.nan
    finite = z[np.isfinite(z)] if np.isfinite(z).any() else np.zeros(1)
    z_range = (float(finite.min()), float(finite.max()))
    lift = 0.01 * (z_range[1] - z_range[0])
    traces: list[go.Surface | go.Scatter3d] = [_mesh_trace(xs, ys, z)]
    for order, (method, path) in enumerate(arrays.items()):
        traces.extend(_path_traces(method, order, path, height_of(surface.value(path)) + lift))
    if any(m.is_global for m in surface.minima):  # a custom surface may list none
        traces.append(_global_minima_trace(surface, height_of, lift))
    layout = _scene_layout(surface, z_title, (z_range[0], z_range[1] + 2 * lift), height)
    # The traces are validated as they are built; the layout is not (validating the
    # template alone costs ~15 ms); the tests rebuild the figure with validation and compare.
    return go.Figure(data=traces, layout=layout, _validate=False)


def _height_scale(surface: Surface, values: np.ndarray) -> tuple[_Heights, str]:
    """Return the J → height function for ``surface`` and the z axis title that names it.

    ``values`` is J on the mesh; its median sets the offset of the log scale.
    """
    if not surface.log_scale:
        return (lambda j: j), "J"
    j_min = color_transform(surface).j_min
    # The map's tiny log offset would turn the valley floor, sampled on a coarse mesh,
    # into a row of spikes; 1 % of the typical height keeps the floor smooth in 3-D.
    finite = values[np.isfinite(values)]
    typical = float(np.median(finite - j_min)) if finite.size else 0.0
    delta = float(f"{0.01 * max(typical, 1e-10):.1g}")
    return ColorTransform(j_min, delta, (0.0, 1.0)), f"log₁₀(J − J* + {delta:g})"


def _mesh_trace(xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> go.Surface:
    """Return the surface mesh, coloured and contoured like the 2-D map."""
    return go.Surface(
        x=xs,
        y=ys,
        z=z,
        colorscale=MAP_COLORSCALE,
        showscale=False,
        opacity=0.95,
        contours={"z": {"show": True, "color": ISO_LINE_COLOR, "width": 1}},
        hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
        name="surface",
    )


def _path_traces(method: str, order: int, path: np.ndarray, z: np.ndarray) -> list[go.Scatter3d]:
    """Return a method's path at heights ``z`` and a marker at its end (one legend entry)."""
    color, label, _, _ = method_style(method, order)
    line = go.Scatter3d(
        x=path[:, 0],
        y=path[:, 1],
        z=z,
        mode="lines",
        name=label,
        legendgroup=method,
        line={"color": color, "width": 6},
        hovertemplate=f"{label}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
    )
    end = go.Scatter3d(
        x=path[-1:, 0],
        y=path[-1:, 1],
        z=z[-1:],
        mode="markers",
        name=label,
        legendgroup=method,
        showlegend=False,
        marker={"color": color, "size": 6, "line": {"color": "white", "width": 1}},
        hoverinfo="skip",
    )
    return [line, end]


def _global_minima_trace(surface: Surface, height_of: _Heights, lift: float) -> go.Scatter3d:
    """Return the global minima, lifted like the paths so the mesh does not hide them."""
    minima = [m for m in surface.minima if m.is_global]
    points = np.array([m.point for m in minima])
    return go.Scatter3d(
        x=points[:, 0],
        y=points[:, 1],
        z=height_of(np.array([m.value for m in minima])) + lift,
        mode="markers",
        name="global minimum",
        marker={"color": GLOBAL_MIN_COLOR, "size": 7, "symbol": "diamond"},
        hoverinfo="skip",
    )


# At 1280×720 the 3-D view's tick labels overlapped (ten per axis at the page's 18 px, where
# the x and z axes meet) and the surface filled about half its box. Fewer, smaller ticks
# (a 3-D label is foreshortened, 14 px stays legible) and a camera closer to the box (eye
# 1.7 box units away, was 2.3, looking a little below the centre so the box sits under the
# legend) keep every label apart and let the surface fill the box.
SCENE_TICKS = {"nticks": 5, "tickfont": {"size": 14}}
CAMERA_EYE = {"x": 1.0, "y": -1.2, "z": 0.75}


def inner_ticks(lo: float, hi: float, count: int = 4) -> np.ndarray:
    """About ``count`` round tick values (1, 2 or 5 × 10^k apart) strictly inside (lo, hi),
    none within a fifth of a step of either end.

    >>> inner_ticks(-2.1, 1.6).tolist()
    [-1.0, 0.0, 1.0]
    >>> inner_ticks(0.0, 100.0).tolist()
    [20.0, 40.0, 60.0, 80.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"the range must be finite and increasing, got ({lo}, {hi})")
    rough = (hi - lo) / (count + 1)  # the ends are left out
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    ticks = np.arange(math.ceil(lo / step), math.floor(hi / step) + 1) * step
    keep = (ticks > lo + 0.2 * step) & (ticks < hi - 0.2 * step)
    return ticks[keep] + 0.0  # no -0.0


def _scene_layout(
    surface: Surface, z_title: str, z_range: tuple[float, float], height: int
) -> dict:
    """Return the layout: a box fixed on the bounds and ``z_range``, x and y to scale."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    longest = max(xmax - xmin, ymax - ymin)
    return {
        "height": height,
        "template": template("plotly_white"),
        "font": {"size": FONT_SIZE, "color": TEXT_COLOR},
        "margin": {"l": 0, "r": 0, "t": 30, "b": 0},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
        "scene": {
            "xaxis": {"title": {"text": "x"}, "range": [xmin, xmax], **SCENE_TICKS},
            "yaxis": {"title": {"text": "y"}, "range": [ymin, ymax], **SCENE_TICKS},
            # Fixed like the map's axes: a run that left the bounds is cut at the box edge
            # rather than stretching the box until the surface is flat.
            "zaxis": {
                "title": {"text": z_title},
                "range": list(z_range),
                **SCENE_TICKS,
                # The box's lowest corner carries the x axis's first label: no J label there.
                "tickvals": inner_ticks(*z_range).tolist(),
            },
            "aspectmode": "manual",
            "aspectratio": {"x": (xmax - xmin) / longest, "y": (ymax - ymin) / longest, "z": 0.6},
            "camera": {"eye": dict(CAMERA_EYE), "center": {"x": 0, "y": 0, "z": -0.2}},
            # The scene fills the figure under the legend.
            "domain": {"x": [0.0, 1.0], "y": [0.0, 1.0]},
        },
    }
