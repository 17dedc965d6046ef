"""The loss curves: J (or its gap above J*) of each method against the step.

Every γ move sends this chart to every browser again, so it is kept small (a whole move must
stay ≤ 150 KiB for a class on one Wi-Fi): each curve is cut to the per-bucket extremes of
:func:`envelope_indices` (a few hundred points instead of up to 2,000), the hover's
``customdata`` is sent only where the log axis's floor changed a value, and the template keeps
only what a line chart draws with (:data:`LINE_TEMPLATE`). plotly.py already sends NumPy arrays
as typed arrays (base64), not JSON lists.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from .style import FONT_SIZE, TEXT_COLOR, line_width, method_style, template

# Buckets per curve: at most two points each (plus the first and last step, and one NaN
# where a bucket has a gap), so ≤ 404 points whatever the number of steps; the chart is
# about 400 px wide at 1280, so this is about one point per pixel column.
LOSS_BUCKETS = 200

# plotly_white cut to what a chart of scatter lines on one pair of axes reads: the
# template's defaults for the other 20-odd trace types and for polar, ternary, 3-D and
# geographic subplots were ~6 KB of every loss chart sent, and drew nothing here.
_LINE_LAYOUT_KEYS = (
    "autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor",
    "plot_bgcolor", "xaxis", "yaxis", "title",
)  # fmt: skip
LINE_TEMPLATE = {
    "data": {"scatter": template("plotly_white")["data"]["scatter"]},
    "layout": {
        k: v for k, v in template("plotly_white")["layout"].items() if k in _LINE_LAYOUT_KEYS
    },
}


def envelope_indices(values: np.ndarray, buckets: int = LOSS_BUCKETS) -> np.ndarray:
    """Return the sorted indices of the points that keep a curve's shape, at most ~2·buckets.

    The steps are cut into runs of ``ceil(T / buckets)`` consecutive steps; of each run the
    step with the smallest and the one with the largest value are kept, with the first
    and the last step of the curve. A curve of at most ``2 * buckets + 2`` points is kept
    whole.

    Why the extremes and not every k-th point: a run that oscillates (momentum across a
    stiff valley) alternates between high and low losses from one step to the next. Every
    k-th point would catch the same phase each time and draw a smooth line, or alias into
    a slow wave, where the chart must show a band; the minimum and maximum of each run are
    that band's lower and upper edges, so on the log axis an oscillation stays visible
    over exactly the decades it spans, and the lowest loss reached is never dropped.

    NaN (a run whose loss stopped being a number) is skipped by the minimum and maximum;
    the first NaN of a run is kept as well, so the line keeps its gap.

    >>> envelope_indices(np.array([3.0, 1.0, 4.0, 1.5, 9.0, 2.0, 6.0, 5.0]), buckets=2)
    array([0, 1, 2, 4, 5, 7])
    """
    values = np.asarray(values, dtype=float).ravel()
    n = values.size
    if n <= 2 * buckets + 2:
        return np.arange(n)
    size = -(-n // buckets)  # ceil: every run but the last has this many steps
    rows = -(-n // size)
    padded = np.full(rows * size, np.nan)
    padded[:n] = values
    grid = padded.reshape(rows, size)
    missing = np.isnan(grid)
    offsets = np.arange(rows) * size
    # NaN (and the padding) must never win: +inf for the minimum, −inf for the maximum.
    lows = np.where(missing, np.inf, grid).argmin(axis=1) + offsets
    highs = np.where(missing, -np.inf, grid).argmax(axis=1) + offsets
    has_gap = missing.any(axis=1)
    gaps = missing.argmax(axis=1)[has_gap] + offsets[has_gap]
    kept = np.concatenate(([0, n - 1], lows, highs, gaps))
    return np.unique(kept[kept < n])


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
        color, label, dash, _ = method_style(method, order)
        # np.maximum keeps NaN as NaN (a gap in the line); np.fmax would draw it at the floor.
        steps = envelope_indices(values)
        true = values[steps]
        shown = np.maximum(true, floor) if log_y else true
        trace = {
            "type": "scatter",
            "x": steps,
            "y": shown,
            "mode": "lines",
            "name": label,
            "line": {
                "color": color,
                "width": line_width(method),
                "dash": dash,
            },
            "hovertemplate": f"{label}<br>step %{{x}}<br>{name} = %{{y:.4g}}<extra></extra>",
        }
        # The hover shows the true value; only where the floor moved a point does that
        # need a second array (NaN stays NaN in both, a gap, not a change).
        if np.any((shown != true) & ~np.isnan(true)):
            trace["customdata"] = true
            trace["hovertemplate"] = trace["hovertemplate"].replace("%{y:", "%{customdata:")
        traces.append(trace)
    layout = _loss_layout(name, log_y, height)
    # Without validation (most of the build time, mainly for the template); the tests
    # rebuild the figure with validation and compare.
    return go.Figure(data=traces, layout=layout, _validate=False)


def _loss_layout(name: str, log_y: bool, height: int) -> dict:
    """Return the layout: the y axis titled ``name``, logarithmic if ``log_y``, and one
    unified hover per step so the runs can be compared at the same step."""
    return {
        "height": height,
        "template": LINE_TEMPLATE,
        "font": {"size": FONT_SIZE, "color": TEXT_COLOR},
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


# The arrays of a trace that plotly.js reads as typed arrays.
_ARRAYS = ("x", "y", "customdata")


def encode_arrays(figure: go.Figure) -> go.Figure:
    """Store the figure's trace arrays as plotly.js typed arrays (``{"dtype", "bdata"}``,
    little-endian, base64), in place, and return it; the chart is the same.

    For a figure that is kept and sent many times: plotly encodes NumPy arrays this way
    each time the figure is turned into a dict (``to_dict``, which Streamlit's
    ``st.plotly_chart`` calls on every run), which was half of the loss chart's cost.

    >>> import numpy as np
    >>> figure = encode_arrays(go.Figure(go.Scatter(x=np.arange(3), y=np.ones(3))))
    >>> figure.data[0].x["dtype"], figure.data[0].y["bdata"]
    ('i4', 'AAAAAAAA8D8AAAAAAADwPwAAAAAAAPA/')
    """
    for trace in figure.data:
        for name in _ARRAYS:
            values = trace[name] if name in trace else None
            if values is None or isinstance(values, dict):
                continue
            array = np.asarray(values)
            array = array.astype("<i4" if array.dtype.kind in "iub" else "<f8")
            trace[name] = {
                "dtype": array.dtype.str[1:],
                "bdata": base64.b64encode(array.tobytes()).decode("ascii"),
            }
    return figure
