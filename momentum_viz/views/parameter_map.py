"""The (α, γ) map of :mod:`momentum_viz.numerics.maps` as a Plotly figure (static).

:func:`parameter_map_figure` draws the map as a heatmap. One colour bar is also the
legend: a band for "diverged", one for "not converged", one for "converged to a local
minimum" (surfaces that have one), then a continuous scale of the step at which the run
converged. Over it a grid of invisible markers, one per cell, carries
``customdata = [α, γ, converged_at]``: a heatmap emits no selection events, so these
points are what a click (Streamlit ``on_select``) selects.

The α axis is logarithmic: it is drawn as a linear axis over log10 α with ticks labelled
in α (exact cell edges, which a heatmap on a plotly log axis does not guarantee), and
the γ axis is linear in −log10(1 − γ), labelled in γ, so the range 0.9–0.999 where
momentum changes most gets room. Convert with :func:`lr_coordinate` and
:func:`momentum_coordinate` to draw anything else on the map. Pure Plotly: no Streamlit.
The basin map is in :mod:`momentum_viz.views.basin_map`.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..numerics.maps import (
    CONVERGED,
    DIVERGED,
    NOT_CONVERGED,
    ParameterMap,
)
from .map_patterns import (
    pattern_cells,
    pattern_trace,
    symbol_marker,
)
from .style import (
    CLICK_GRID_NAME,
    CURRENT_PARAMETERS_MARKER,
    FONT_SIZE,
    METHOD_LABELS,
    TEXT_COLOR,
)

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
    marks = pattern_cells(pmap.status.shape)
    statuses = [
        ("diverged", pmap.status == DIVERGED, DIVERGED_COLOR),
        ("not converged", pmap.status == NOT_CONVERGED, NOT_CONVERGED_COLOR),
        ("local minimum", local, LOCAL_COLOR),
    ]
    patterns, entries = [], []
    for name, mask, fill in statuses:
        symbol = STATUS_SYMBOLS[name]
        trace = pattern_trace(x_grid, y_grid, mask, marks, symbol, fill, name)
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
                marker=symbol_marker(symbol, fill, TEXT_COLOR, 14),
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
