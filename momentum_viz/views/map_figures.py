"""Plotly figures of the maps in :mod:`momentum_viz.maps` (static: no animation).

* :func:`parameter_map_figure`: the (α, γ) map as a heatmap. One colour bar is also the
  legend: a band for "diverged", one for "not converged", one for "converged to a local
  minimum" (surfaces that have one), then a continuous scale of the step at which the run
  converged. Over it a grid of invisible markers, one per cell, carries
  ``customdata = [α, γ, converged_at]``: a heatmap emits no selection events, so these
  points are what a click (Streamlit ``on_select``) selects.
* :func:`basin_map_figure`: start points coloured by the minimum they lead to: saturated
  colours for global minima, pale ones for local minima, dark grey for divergence,
  white for "no minimum"; the minima are marked as on the trajectory map.

The α axis is logarithmic: it is drawn as a linear axis over log10 α with ticks labelled
in α (exact cell edges, which a heatmap on a plotly log axis does not guarantee), and
the γ axis is linear in −log10(1 − γ), labelled in γ, so the range 0.9–0.999 where
momentum changes most gets room. Convert with :func:`lr_coordinate` and
:func:`momentum_coordinate` to draw anything else on the map. Pure Plotly: no Streamlit.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from ..numerics.maps import (
    BASIN_DIVERGED,
    BASIN_NONE,
    CONVERGED,
    DIVERGED,
    NOT_CONVERGED,
    BasinMap,
    ParameterMap,
)
from .style import (
    BASIN_START_MARKER,
    CLICK_GRID_NAME,
    CURRENT_PARAMETERS_MARKER,
    FONT_SIZE,
    METHOD_LABELS,
    TEXT_COLOR,
)
from .surface_layer import minima_traces

__all__ = [
    "STABILITY_LIMITS",
    "STATUS_SYMBOLS",
    "basin_map_figure",
    "lr_coordinate",
    "momentum_coordinate",
    "parameter_map_figure",
]

# The maps' own palettes (no other figure shows these categories). A category must not be
# told by colour alone (greyscale print, a washed-out projector, colour-vision deficiency):
# the categories drawn as bands also carry a pattern of marker symbols (see
# _pattern_traces), and fills shown together differ in lightness where they can (CIE L*,
# tests/test_maps.py). L* of each colour in the comments.
DIVERGED_COLOR = "#b2182b"  # 38.4
NOT_CONVERGED_COLOR = "#e8e3d6"  # 90.3
LOCAL_COLOR = "#c2a5cf"  # 71.5
# Converged runs: dark (fast) to light (slow) blue, L* 20.9 … 86.5. It spans the lightness
# of every band above, so those carry the patterns.
CONVERGED_SCALE = ("#08306b", "#2171b5", "#6baed6", "#c6dbef")
# The (α, γ) map's pattern symbols: converged cells carry none.
STATUS_SYMBOLS = {"diverged": "x", "not converged": "line-ew", "local minimum": "circle-open"}

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
# The patterns: a marker on a staggered subgrid of the map's cells, about this many along
# an axis; their traces are named "<PATTERN_NAME>: <category>".
PATTERN_MARKS = 16
PATTERN_NAME = "pattern"

_MOMENTUM_TICKS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999)


def lr_coordinate(lr: np.typing.ArrayLike) -> np.ndarray:
    """The x coordinate of α on a parameter-map figure: log10 α."""
    return np.log10(np.asarray(lr, dtype=float))


def momentum_coordinate(momentum: np.typing.ArrayLike) -> np.ndarray:
    """The y coordinate of γ on a parameter-map figure: −log10(1 − γ) (0 for γ = 0)."""
    return -np.log10(1.0 - np.asarray(momentum, dtype=float))


def _cell_edges(centres: np.ndarray) -> tuple[float, float]:
    """Outer edges of a heatmap whose cell centres are ``centres`` (as plotly draws it)."""
    if centres.size == 1:
        return float(centres[0] - 0.5), float(centres[0] + 0.5)
    return (
        float(centres[0] - 0.5 * (centres[1] - centres[0])),
        float(centres[-1] + 0.5 * (centres[-1] - centres[-2])),
    )


def _lr_label(value: float) -> str:
    exponent = round(math.log10(value))
    if math.isclose(value, 10.0**exponent) and exponent <= -3:
        digits = str(-exponent).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"10⁻{digits}"
    return f"{value:g}"


def _lr_ticks(lo: float, hi: float) -> tuple[np.ndarray, list[str]]:
    """Decade ticks inside [lo, hi] (in log10 α); 1-2-5 ticks when it spans < 2 decades."""
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if last - first >= 2:
        values = [10.0**k for k in range(first, last + 1)]
    else:
        values = [
            m * 10.0**k
            for k in range(first - 1, last + 1)
            for m in (1.0, 2.0, 5.0)
            if lo - 1e-9 <= math.log10(m * 10.0**k) <= hi + 1e-9
        ]
    return lr_coordinate(values), [_lr_label(v) for v in values]


def _steps_ticks(steps: int) -> list[int]:
    ticks = [1]
    k = 1
    while 10**k < steps:
        ticks += [m * 10**k for m in (1, 3) if m * 10**k < steps]
        k += 1
    ticks.append(steps)
    if len(ticks) >= 2 and ticks[-1] < 2.5 * ticks[-2]:
        del ticks[-2]
    return ticks


def _lightness(color: str) -> float:
    """CIE L* (0 black … 100 white) of a ``#rrggbb`` colour: how light it prints in grey."""
    channels = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    y = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return 116.0 * y ** (1 / 3) - 16.0 if y > 216 / 24389 else 24389 / 27 * y


def _stroke_only(symbol: str) -> bool:
    """Whether a plotly marker symbol is drawn by its outline alone (no fill)."""
    return symbol.endswith("-open") or symbol.startswith("line-")


def _symbol_marker(symbol: str, fill: str, ink: str, size: int) -> dict:
    """A marker of ``symbol`` that reads on ``fill``: filled with it and outlined in ``ink``
    (over a cell of that fill only the outline shows), or stroked in ``ink`` when the
    symbol has no fill."""
    if _stroke_only(symbol):
        return {"symbol": symbol, "size": size, "color": ink, "line": {"color": ink, "width": 2}}
    return {"symbol": symbol, "size": size, "color": fill, "line": {"color": ink, "width": 1.5}}


def _ink(fill: str) -> str:
    """Near-black on light fills, white on dark ones."""
    return "#1a1a1a" if _lightness(fill) >= 55 else "#ffffff"


def _pattern_cells(shape: tuple[int, int]) -> np.ndarray:
    """A staggered subgrid of a map's cells (every other row shifted by half a stride):
    where the pattern markers go, about :data:`PATTERN_MARKS` along each axis."""
    stride = max(1, round(max(shape) / PATTERN_MARKS))
    marks = np.zeros(shape, dtype=bool)
    for k, row in enumerate(range(stride // 2, shape[0], stride)):
        marks[row, (k % 2) * (stride // 2) + stride // 4 :: stride] = True
    return marks


def _pattern_trace(
    x_grid: np.ndarray,
    y_grid: np.ndarray,
    mask: np.ndarray,
    marks: np.ndarray,
    symbol: str,
    fill: str,
    category: str,
    size: int = 9,
) -> go.Scatter | None:
    """The pattern of one category (its cells ``mask``): its symbol on the subgrid cells
    ``marks`` that are of the category, or None when it has no cell. A category too thin
    for the subgrid still gets a few markers, spread over its own cells."""
    cells = mask & marks
    if not cells.any():
        if not mask.any():
            return None
        share = max(1, round(marks.size / max(int(marks.sum()), 1)))
        flat = np.flatnonzero(mask)
        cells = np.zeros(mask.shape, dtype=bool)
        cells.flat[
            flat[share // 2 :: share] if flat.size > share else flat[flat.size // 2 :][:1]
        ] = True
    return go.Scatter(
        x=x_grid[cells].astype(np.float32),
        y=y_grid[cells].astype(np.float32),
        mode="markers",
        name=f"{PATTERN_NAME}: {category}",
        marker=_symbol_marker(symbol, fill, _ink(fill), size),
        hoverinfo="skip",
        showlegend=False,
    )


def parameter_map_figure(
    pmap: ParameterMap,
    *,
    current: tuple[float, float] | None = None,
    boundary: np.typing.ArrayLike | None = None,
    title: str | None = None,
    height: int = 560,
) -> go.Figure:
    """Return the (α, γ) map of ``pmap`` as a heatmap with clickable cells.

    Args:
        pmap: from :func:`momentum_viz.maps.parameter_map`.
        current: the current (α, γ), marked with a ring (skipped if outside the map).
        boundary: optional α per row of ``pmap.momenta`` (e.g.
            ``stability_boundary(lam_max, pmap.momenta)``), drawn as a dashed line.
        title: figure title (default: method and surface).
        height: figure height in pixels.

    Traces, in order: the heatmap (name "map", no hover), the patterns of the statuses
    drawn as bands (:data:`STATUS_SYMBOLS`; named "pattern: diverged", … , no hover),
    then one legend entry per pattern (named by the status, no data), then one marker
    trace per status present, named ``"click-grid: diverged"``, ``"click-grid: not converged"``,
    ``"click-grid: converged"`` and ``"click-grid: local minimum"``, each point carrying
    ``customdata = [α, γ, converged_at]`` (converged_at −1 for never) — read α and γ from
    a click's ``customdata[0]`` and ``customdata[1]``. Then the boundary line (name
    "stability limit"), and the current marker (name "current (α, γ)").
    """
    if not isinstance(pmap, ParameterMap):
        raise ValueError(f"pmap must be a ParameterMap; got {type(pmap).__name__}")
    xs = lr_coordinate(pmap.lrs)
    ys = momentum_coordinate(pmap.momenta)
    local = (pmap.status == CONVERGED) & (pmap.minimum >= 0) & ~pmap.reached_global

    fig = go.Figure()
    fig.add_trace(_status_heatmap(pmap, xs, ys, local))
    for trace in _status_patterns(pmap, xs, ys, local):
        fig.add_trace(trace)
    for trace in _cell_traces(pmap, xs, ys, local):
        fig.add_trace(trace)
    x_edges, y_edges = _cell_edges(xs), _cell_edges(ys)
    if boundary is not None:
        fig.add_trace(_boundary_trace(pmap, boundary, ys))
    if current is not None:
        lr, momentum = (float(v) for v in current)
        cx, cy = float(lr_coordinate(lr)), float(momentum_coordinate(momentum))
        if x_edges[0] <= cx <= x_edges[1] and y_edges[0] <= cy <= y_edges[1]:
            fig.add_trace(_current_trace(lr, momentum))
    fig.update_layout(**_parameter_map_layout(pmap, x_edges, y_edges, title, height))
    return fig


def _status_heatmap(
    pmap: ParameterMap, xs: np.ndarray, ys: np.ndarray, local: np.ndarray
) -> go.Heatmap:
    """Return the heatmap of the run statuses, whose colour bar is also the map's legend.

    One colour coordinate serves everything, so a single colour bar can show both the
    categories and the speed of convergence: bands of width 1 below 0 for the categories
    (diverged, not converged, and local minimum where one was reached), then
    log10(converged step) from 0 (step 1 or 0) to log10(steps).
    """
    has_local = bool(local.any())
    bands = [("diverged", DIVERGED_COLOR), ("not converged", NOT_CONVERGED_COLOR)]
    if has_local:
        bands.append(("local minimum", LOCAL_COLOR))
    n_bands = len(bands)
    top = max(math.log10(pmap.steps), 0.5)
    z = np.log10(np.maximum(pmap.converged_at, 1)).astype(float)
    z[pmap.status == DIVERGED] = -n_bands + 0.5
    z[pmap.status == NOT_CONVERGED] = -n_bands + 1.5
    if has_local:
        z[local] = -0.5
    # A little headroom above the slowest colour keeps the top tick label clear of the
    # colour bar's title.
    zmin, zmax = -float(n_bands), top + 0.05 * (top + n_bands)
    span = zmax - zmin
    colorscale: list[list[float | str]] = []
    for k, (_, color) in enumerate(bands):
        colorscale += [[k / span, color], [(k + 1) / span, color]]
    for k, color in enumerate(CONVERGED_SCALE):
        colorscale.append([(n_bands + top * k / (len(CONVERGED_SCALE) - 1)) / span, color])
    colorscale.append([1.0, CONVERGED_SCALE[-1]])
    step_ticks = _steps_ticks(pmap.steps)
    tickvals = [k + 0.5 - n_bands for k in range(n_bands)] + [math.log10(t) for t in step_ticks]
    ticktext = [label for label, _ in bands] + [
        f"{t:,}" if i < len(step_ticks) - 1 else f"{t:,} steps" for i, t in enumerate(step_ticks)
    ]
    return go.Heatmap(
        x=xs,
        y=ys,
        z=z.astype(np.float32),
        zmin=zmin,
        zmax=zmax,
        colorscale=colorscale,
        name="map",
        hoverinfo="skip",
        colorbar={
            "title": {"text": "converged at"},
            "tickvals": tickvals,
            "ticktext": ticktext,
            "thickness": 16,
            "len": 0.9,
        },
    )


def _status_patterns(
    pmap: ParameterMap, xs: np.ndarray, ys: np.ndarray, local: np.ndarray
) -> list[go.Scatter]:
    """Return the patterns over the banded statuses and their legend entries.

    The bands' colours alone do not tell them from the converged scale (local minimum
    and 30–100 steps are the same grey), so each status drawn as a band carries its
    symbol; the legend under the map names the symbols.
    """
    x_grid, y_grid = np.meshgrid(xs, ys)
    marks = _pattern_cells(pmap.status.shape)
    statuses = [
        ("diverged", pmap.status == DIVERGED, DIVERGED_COLOR),
        ("not converged", pmap.status == NOT_CONVERGED, NOT_CONVERGED_COLOR),
        ("local minimum", local, LOCAL_COLOR),
    ]
    patterns, entries = [], []
    for name, mask, fill in statuses:
        symbol = STATUS_SYMBOLS[name]
        trace = _pattern_trace(x_grid, y_grid, mask, marks, symbol, fill, name)
        if trace is None:
            continue
        patterns.append(trace)
        entries.append(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=name,
                legendgroup="statuses",
                marker=_symbol_marker(symbol, fill, TEXT_COLOR, 14),
                hoverinfo="skip",
            )
        )
    return patterns + entries


def _cell_traces(
    pmap: ParameterMap, xs: np.ndarray, ys: np.ndarray, local: np.ndarray
) -> list[go.Scatter]:
    """Return one invisible marker per cell, a trace per status present.

    A heatmap emits no selection events, so these markers are what a click selects; each
    carries its cell's [α, γ, converged_at] for the app to read back.
    """
    status = pmap.status
    lr_grid, mom_grid = np.meshgrid(pmap.lrs, pmap.momenta)
    x_grid, y_grid = np.meshgrid(xs, ys)
    groups = [
        ("diverged", status == DIVERGED, "diverged"),
        ("not converged", status == NOT_CONVERGED, f"not converged in {pmap.steps:,} steps"),
        ("converged", (status == CONVERGED) & ~local, "converged at step %{customdata[2]:,}"),
        ("local minimum", local, "stuck in a local minimum (step %{customdata[2]:,})"),
    ]
    # Cells a few hundred pixels wide / n columns: markers a little larger than a cell,
    # so every click lands on one.
    size = max(4, min(16, 640 // max(pmap.lrs.size, pmap.momenta.size) + 2))
    traces = []
    for name, mask, what in groups:
        if not mask.any():
            continue
        custom = np.stack(
            [lr_grid[mask], mom_grid[mask], pmap.converged_at[mask].astype(float)], axis=-1
        )
        traces.append(
            go.Scatter(
                x=x_grid[mask].astype(np.float32),
                y=y_grid[mask].astype(np.float32),
                mode="markers",
                name=f"{CLICK_GRID_NAME}: {name}",
                customdata=custom,
                # Invisible (opacity 0 still answers hovers and clicks): overlapping
                # translucent markers would stripe the heatmap.
                marker={"size": size, "symbol": "square", "color": "black", "opacity": 0.0},
                hovertemplate=(
                    "α = %{customdata[0]:.3g}, γ = %{customdata[1]:.4g}<br>"
                    f"{what}<extra></extra>"
                ),
                showlegend=False,
            )
        )
    return traces


#: The stability limit each method's dashed line draws, as people read it.
STABILITY_LIMITS = {
    "sgd": "α = 2/λmax",
    "momentum": "α = (2 + 2γ)/λmax",
    "nesterov": "α = (2 + 2γ)/((1 + 2γ)λmax)",
}


def _boundary_trace(
    pmap: ParameterMap, boundary: np.typing.ArrayLike, ys: np.ndarray
) -> go.Scatter:
    """Return the stability limit, one α per row of the map, as a dashed line."""
    bound = np.asarray(boundary, dtype=float)
    if bound.shape != pmap.momenta.shape or not (np.isfinite(bound) & (bound > 0)).all():
        raise ValueError(
            f"boundary must hold one α > 0 per row, shape {pmap.momenta.shape}; "
            f"got shape {bound.shape}"
        )
    return go.Scatter(
        x=lr_coordinate(bound),
        y=ys,
        mode="lines",
        name="stability limit",
        line={"color": "black", "width": 2.5, "dash": "dash"},
        hovertemplate=f"stability limit {STABILITY_LIMITS[pmap.method]}<extra></extra>",
        showlegend=True,
    )


def _current_trace(lr: float, momentum: float) -> go.Scatter:
    """Return the ring at the current (α, γ)."""
    return go.Scatter(
        x=[float(lr_coordinate(lr))],
        y=[float(momentum_coordinate(momentum))],
        mode="markers",
        name="current (α, γ)",
        marker=CURRENT_PARAMETERS_MARKER,
        customdata=[[lr, momentum]],
        hovertemplate=("current α = %{customdata[0]:.3g}, γ = %{customdata[1]:.4g}<extra></extra>"),
        showlegend=True,
    )


def _parameter_map_layout(
    pmap: ParameterMap,
    x_edges: tuple[float, float],
    y_edges: tuple[float, float],
    title: str | None,
    height: int,
) -> dict:
    """Return the layout: axes on the cell edges, ticks labelled in α and γ, not in the
    log coordinates the map is drawn in."""
    x_ticks, x_text = _lr_ticks(*x_edges)
    gammas = [g for g in _MOMENTUM_TICKS if pmap.momenta[0] <= g <= pmap.momenta[-1]]
    gamma_label = {"sgd": "γ (ignored by SGD)"}.get(pmap.method, "momentum γ")
    return {
        "height": height,
        "template": "plotly_white",
        "font": {"size": FONT_SIZE, "color": TEXT_COLOR},
        "title": {
            "text": title or f"{METHOD_LABELS.get(pmap.method, pmap.method)} on {pmap.surface}",
            "x": 0.01,
            "font": {"size": FONT_SIZE + 2, "color": TEXT_COLOR},
        },
        "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
        "xaxis": {
            "title": {"text": "learning rate α (log scale)"},
            "range": list(x_edges),
            "tickvals": x_ticks,
            "ticktext": x_text,
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {
            "title": {"text": gamma_label},
            "range": list(y_edges),
            "tickvals": momentum_coordinate(gammas),
            "ticktext": [f"{g:g}" for g in gammas],
            "showgrid": False,
            "zeroline": False,
        },
        "legend": {"orientation": "h", "x": 0.0, "y": -0.14, "yanchor": "top"},
        "hovermode": "closest",
        "clickmode": "event+select",
    }


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
    marks = _pattern_cells(bmap.basin.shape)
    for code, label, color, symbol in cats:
        trace = _pattern_trace(x_grid, y_grid, bmap.basin == code, marks, symbol, color, label)
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
            marker=_symbol_marker(symbol, color, TEXT_COLOR, 18),
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
