"""The basin map of :mod:`momentum_viz.numerics.maps` as a Plotly figure (static).

:func:`basin_map_figure` colours start points by the minimum they lead to: saturated
colours for global minima, pale ones for local minima, dark grey for divergence, white
for "no minimum"; the minima are marked as on the trajectory map. Each basin also has
its own marker symbol, in the legend and as a pattern over the map
(:mod:`momentum_viz.views.map_patterns`). Pure Plotly: no Streamlit.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from ..numerics.maps import (
    BASIN_DIVERGED,
    BASIN_NONE,
    BasinMap,
)
from .map_patterns import (
    pattern_cells,
    pattern_trace,
    symbol_marker,
)
from .style import (
    BASIN_START_MARKER,
    FONT_SIZE,
    TEXT_COLOR,
)
from .surface_layer import minima_traces

# Basin colours: saturated for global minima, pale for local ones, ordered so the first
# few (those a surface has) are ≥ 10 L* apart: global 46.0, 70.6, 35.3, 57.7, then 54.2,
# 59.1; local 89.1, 72.8, 82.8, then 80.0, 83.8, 87.7. Each basin also has its own marker
# symbol, in the legend and as a pattern over the map.
GLOBAL_BASIN_COLORS = ("#0072B2", "#E69F00", "#7B3294", "#009E73", "#D55E00", "#1B9E9E")
LOCAL_BASIN_COLORS = ("#F0E442", "#E89CC4", "#F5C77E", "#F2B5D4", "#D9CCE8", "#BFE3E0")
BASIN_DIVERGED_COLOR = "#262626"  # 15.3
BASIN_NONE_COLOR = "#ffffff"  # 100
# Symbols of the basins, in order of the minima, then "no minimum" and "diverged" (none
# of them the minima's star and ✕ or the start's circle).
BASIN_SYMBOLS = (
    "diamond",
    "square",
    "triangle-up",
    "triangle-down",
    "pentagon",
    "hexagon",
    "hourglass",
    "bowtie",
)
BASIN_NONE_SYMBOL = "hash-open"
BASIN_DIVERGED_SYMBOL = "x"


def _basin_categories(bmap: BasinMap, surface: Surface) -> list[tuple[int, str, str, str]]:
    """(code, label, colour, symbol) per category present: minima in order, then none,
    diverged."""
    cats = []
    n_global = n_local = 0
    for index, minimum in enumerate(surface.minima):
        x, y = minimum.point
        if minimum.is_global:
            color = GLOBAL_BASIN_COLORS[n_global % len(GLOBAL_BASIN_COLORS)]
            n_global += 1
            kind = "global"
        else:
            color = LOCAL_BASIN_COLORS[n_local % len(LOCAL_BASIN_COLORS)]
            n_local += 1
            kind = "local"
        symbol = BASIN_SYMBOLS[index % len(BASIN_SYMBOLS)]
        cats.append((index, f"{kind} ({x:.2f}, {y:.2f})", color, symbol))
    cats.append((BASIN_NONE, "no minimum", BASIN_NONE_COLOR, BASIN_NONE_SYMBOL))
    cats.append((BASIN_DIVERGED, "diverged", BASIN_DIVERGED_COLOR, BASIN_DIVERGED_SYMBOL))
    present = set(np.unique(bmap.basin).tolist())
    return [c for c in cats if c[0] in present]


def basin_map_figure(
    bmap: BasinMap,
    surface: Surface,
    *,
    title: str,
    start: tuple[float, float] | None = None,
    height: int = 640,
) -> go.Figure:
    """Return the basin map of ``bmap``: each start point coloured by where its run ends.

    Global minima's basins get saturated colours, local minima's pale ones, runs that
    end at no minimum white and diverged runs dark grey; the legend under the map names
    them (the heatmap's colour bar carries the same labels but is hidden).
    The minima are marked (gold star: global, ✕: local) and, if given, ``start``.

    Each category also has its own marker symbol (:data:`BASIN_SYMBOLS`): its legend
    swatch has that shape, and the same shape is drawn over its cells on a sparse subgrid,
    so the basins stay apart in greyscale and for colour-blind eyes.

    Traces, in order: the heatmap (name "basins"), the patterns (named "pattern: <label>",
    no hover), one legend swatch per category (named by its label, no data), "global
    minimum", "local minimum" (those present), "start".
    """
    if not isinstance(bmap, BasinMap):
        raise ValueError(f"bmap must be a BasinMap; got {type(bmap).__name__}")
    if not isinstance(surface, Surface) or surface.name != bmap.surface:
        raise ValueError(f"surface must be the Surface the map was computed on ({bmap.surface})")
    if len(surface.minima) <= int(bmap.basin.max()):
        raise ValueError("surface must be the Surface the map was computed on (minima differ)")
    cats = _basin_categories(bmap, surface)
    fig = go.Figure()
    fig.add_trace(_basin_heatmap(bmap, cats))
    x_grid, y_grid = np.meshgrid(bmap.xs, bmap.ys)
    marks = pattern_cells(bmap.basin.shape)
    for code, label, color, symbol in cats:
        trace = pattern_trace(x_grid, y_grid, bmap.basin == code, marks, symbol, color, label)
        if trace is not None:
            fig.add_trace(trace)
    for trace in _basin_swatches(cats):
        fig.add_trace(trace)
    for trace in minima_traces(surface):
        fig.add_trace(trace)
    if start is not None:
        fig.add_trace(
            go.Scatter(
                x=[float(start[0])],
                y=[float(start[1])],
                mode="markers",
                name="start",
                marker=BASIN_START_MARKER,
                hovertemplate="start<br>(%{x:.3f}, %{y:.3f})<extra></extra>",
            )
        )
    fig.update_layout(**_basin_map_layout(surface, title, height))
    return fig


def _basin_swatches(cats: list[tuple[int, str, str, str]]) -> list[go.Scatter]:
    """Return one legend entry per category: its symbol in its colour, outlined (so white
    "no minimum" shows), labelled as the colour bar would be.

    The legend, under the map, replaces the colour bar beside it: in half the page the
    bar's labels ("local (-0.43, -2.09)") took more width than the map and were cut.
    """
    return [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=label,
            legendgroup="basins",
            marker=symbol_marker(symbol, color, TEXT_COLOR, 18),
            hoverinfo="skip",
        )
        for _, label, color, symbol in cats
    ]


def _basin_heatmap(bmap: BasinMap, cats: list[tuple[int, str, str, str]]) -> go.Heatmap:
    """Return the heatmap of categories ``cats``, one colour band and colour-bar tick each.

    The basin codes (minimum index, or the negative codes for none and diverged) are not
    contiguous; the heatmap shows each cell's position in ``cats`` instead, so every
    category present gets a band of equal width.
    """
    n = len(cats)
    lookup = {code: k for k, (code, *_) in enumerate(cats)}
    codes = np.array(sorted(lookup))
    category = np.array([lookup[c] for c in codes])[np.searchsorted(codes, bmap.basin)]
    colorscale: list[list[float | str]] = []
    for k, (_, _, color, _) in enumerate(cats):
        colorscale += [[k / n, color], [(k + 1) / n, color]]
    labels = np.array([label for _, label, *_ in cats], dtype=object)
    return go.Heatmap(
        x=bmap.xs,
        y=bmap.ys,
        z=category.astype(np.int8),
        zmin=-0.5,
        zmax=n - 0.5,
        colorscale=colorscale,
        name="basins",
        text=labels[category],
        hovertemplate="start (%{x:.2f}, %{y:.2f})<br>→ %{text}<extra></extra>",
        # The legend under the map names the categories (see _basin_swatches).
        showscale=False,
        colorbar={
            "title": {"text": "ends at"},
            "tickvals": list(range(n)),
            "ticktext": [label for _, label, *_ in cats],
            "thickness": 16,
            "len": 0.9,
        },
    )


def _basin_map_layout(surface: Surface, title: str, height: int) -> dict:
    """Return the layout: axes on the surface's bounds at equal scale, like the race map."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    axis = {"showgrid": False, "zeroline": False, "constrain": "domain"}
    return {
        "height": height,
        "template": "plotly_white",
        "font": {"size": FONT_SIZE, "color": TEXT_COLOR},
        "title": {"text": title, "x": 0.01, "font": {"size": FONT_SIZE + 2, "color": TEXT_COLOR}},
        "margin": {"l": 60, "r": 10, "t": 50, "b": 40},
        "xaxis": {**axis, "range": [xmin, xmax], "title": {"text": "start x"}},
        "yaxis": {
            **axis,
            "range": [ymin, ymax],
            "title": {"text": "start y"},
            "scaleanchor": "x",
            "constraintoward": "top",
        },
        # Under the map, wrapping onto as many rows as the column needs (plotly grows the
        # bottom margin for it); the map keeps the rest of the height.
        "legend": {
            "orientation": "h",
            "x": 0.0,
            "y": -0.1,
            "yanchor": "top",
            "font": {"size": FONT_SIZE, "color": TEXT_COLOR},
        },
        "hovermode": "closest",
    }
