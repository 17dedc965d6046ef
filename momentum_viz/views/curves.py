"""The loss curves: J (or its gap above J*) of each method against the step."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from .style import FONT_SIZE, TEXT_COLOR, line_width, method_style, template


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
                    "width": line_width(method),
                    "dash": dash,
                },
                "hovertemplate": f"{label}<br>step %{{x}}<br>{name} = %{{customdata:.4g}}"
                "<extra></extra>",
            }
        )
    layout = _loss_layout(name, log_y, height)
    # Without validation (most of the build time, mainly for the template); the tests
    # rebuild the figure with validation and compare.
    return go.Figure(data=traces, layout=layout, _validate=False)


def _loss_layout(name: str, log_y: bool, height: int) -> dict:
    """Return the layout: the y axis titled ``name``, logarithmic if ``log_y``, and one
    unified hover per step so the runs can be compared at the same step."""
    return {
        "height": height,
        "template": template("plotly_white"),
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
