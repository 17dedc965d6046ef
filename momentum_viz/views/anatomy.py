"""The anatomy of a step on the race map: the arrows that make up each method's step.

:func:`anatomy_figure` draws the race map of :mod:`.race` with the paths up to step t (a
still figure: no Play row) and, from each method's θ_t, the parts of its step t as
computed by :func:`momentum_viz.numerics.anatomy.step_anatomy`:

* the **carried velocity** −γv_t (dashed), from θ_t; for Nesterov it ends at the
  look-ahead point θ_t − γv_t (an open marker), where the gradient is taken;
* the **gradient step** −α∇J (dotted), from θ_t for SGD and heavy ball, from the
  look-ahead point for Nesterov;
* the **move** θ_{t+1} − θ_t (solid, thicker), their sum: it ends on θ_{t+1}.

Every arrow is drawn at the map's own scale (one unit of the arrow is one unit of x or
y), the same for all methods and parts, so the move ends exactly where the run goes
next. An arrow shorter than :data:`MIN_ARROW_SHARE` of the plotted span is drawn that
long in its own direction (so it stays visible), and its hover gives the true length.
An arrow of length 0 (SGD carries nothing; no method carries anything at step 0) is not
drawn.

Each arrow is a line trace (its dash, and the hover along it) plus an annotation that
draws only the arrowhead at its tip: an annotation's own arrow can be neither dashed nor
hovered. Traces carry ``meta = {"method", "role": "anatomy", "part", "step", "length"}``
and annotations are named ``"anatomy: <method> <part>"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from ..numerics.anatomy import StepAnatomy
from .race import trajectory_figure
from .style import FONT_SIZE, TEXT_COLOR, method_style

# An arrow is drawn at least this share of the plotted span (the larger side of the
# bounds) long.
MIN_ARROW_SHARE = 0.04


class PartStyle(NamedTuple):
    label: str  # in the legend and the hover
    dash: str
    width: float


# The parts of a step in drawing order (the move on top). Dashes tell the parts apart;
# the method's colour tells the methods apart (style.METHOD_COLORS).
PARTS: dict[str, PartStyle] = {
    "carried": PartStyle("carried velocity −γv", "dash", 3.0),
    "gradient": PartStyle("gradient step −α∇J", "dot", 3.5),
    "move": PartStyle("move = their sum", "solid", 5.0),
}
LOOKAHEAD_MARKER = {"symbol": "circle-open", "size": 16, "line": {"width": 3}}


class Arrow(NamedTuple):
    """One arrow as drawn: from ``tail`` along ``drawn``; ``length`` is the true length."""

    tail: np.ndarray
    drawn: np.ndarray
    length: float

    @property
    def lengthened(self) -> bool:
        return float(np.hypot(*self.drawn)) > self.length * (1 + 1e-9)


def arrow(tail: np.ndarray, vector: np.ndarray, min_length: float) -> Arrow | None:
    """The arrow of ``vector`` from ``tail``, at least ``min_length`` long; None for a
    zero or non-finite vector (it has no direction to draw).

    >>> a = arrow(np.zeros(2), np.array([0.003, 0.004]), 0.1)
    >>> a.drawn.round(6).tolist(), a.length, a.lengthened
    ([0.06, 0.08], 0.005, True)
    >>> arrow(np.zeros(2), np.zeros(2), 0.1) is None
    True
    """
    length = float(np.hypot(*vector))
    if not math.isfinite(length) or length == 0:
        return None
    drawn = vector if length >= min_length else vector * (min_length / length)
    return Arrow(np.asarray(tail, dtype=float), np.asarray(drawn, dtype=float), length)


def arrow_parts(anatomy: StepAnatomy, min_length: float) -> dict[str, Arrow | None]:
    """The three arrows of one method's step, by part name (see the module docstring)."""
    gradient_tail = anatomy.gradient_at if anatomy.method == "nesterov" else anatomy.point
    return {
        "carried": arrow(anatomy.point, anatomy.carried, min_length),
        "gradient": arrow(gradient_tail, anatomy.gradient_step, min_length),
        "move": arrow(anatomy.point, anatomy.move, min_length),
    }


def min_arrow_length(surface: Surface) -> float:
    """:data:`MIN_ARROW_SHARE` of the larger side of the surface's bounds."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    return MIN_ARROW_SHARE * max(xmax - xmin, ymax - ymin)


def _arrow_trace(method: str, part: str, a: Arrow, step: int, order: int) -> dict:
    color, label, _, _ = method_style(method, order)
    style = PARTS[part]
    points = np.stack([a.tail, a.tail + 0.5 * a.drawn, a.tail + a.drawn])
    note = " (drawn longer to stay visible)" if a.lengthened else ""
    return {
        "type": "scatter",
        "x": points[:, 0].tolist(),
        "y": points[:, 1].tolist(),
        "mode": "lines",
        "name": f"{label}: {style.label}",
        "legendgroup": "anatomy",
        "showlegend": False,
        "line": {"color": color, "width": style.width, "dash": style.dash},
        "hovertemplate": f"{label}, step {step}: {style.label}<br>"
        f"length {a.length:.4g}{note}<extra></extra>",
        "meta": {
            "method": method,
            "role": "anatomy",
            "part": part,
            "step": step,
            "length": a.length,
        },
    }


def _arrowhead(method: str, part: str, a: Arrow, order: int, font_size: int) -> dict:
    """An annotation that draws only the arrowhead at the tip of ``a`` (a 1 px shaft in
    the arrow's direction on screen: the axes have equal scale, y up)."""
    color = method_style(method, order)[0]
    ux, uy = a.drawn / float(np.hypot(*a.drawn))
    tip = a.tail + a.drawn
    width = PARTS[part].width
    return {
        "name": f"anatomy: {method} {part}",
        "x": float(tip[0]),
        "y": float(tip[1]),
        "xref": "x",
        "yref": "y",
        "ax": -float(ux),
        "ay": float(uy),  # pixels, y down
        "axref": "pixel",
        "ayref": "pixel",
        "text": "",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": max(1.0, 0.09 * font_size * 3.0 / width),
        "arrowwidth": width,
        "arrowcolor": color,
        "standoff": 0,
    }


def _lookahead_trace(anatomy: StepAnatomy, order: int) -> dict:
    color, label, _, _ = method_style(anatomy.method, order)
    x, y = anatomy.gradient_at
    return {
        "type": "scatter",
        "x": [float(x)],
        "y": [float(y)],
        "mode": "markers",
        "name": f"{label}: look-ahead point θ − γv",
        "showlegend": False,
        "marker": {**LOOKAHEAD_MARKER, "color": color, "line": {"color": color, "width": 3}},
        "hovertemplate": f"{label}, step {anatomy.step}: look-ahead point θ − γv<br>"
        "(%{x:.4g}, %{y:.4g}), where the gradient is taken<extra></extra>",
        "meta": {"method": anatomy.method, "role": "anatomy", "part": "lookahead"},
    }


def _key_traces() -> list[dict]:
    """Legend entries for the parts (in grey: the colour belongs to the method)."""
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "name": style.label,
            "legendgroup": "anatomy",
            "legendrank": 2000 + rank,
            "line": {"color": TEXT_COLOR, "width": style.width, "dash": style.dash},
            "hoverinfo": "skip",
        }
        for rank, style in enumerate(PARTS.values())
    ]


def anatomy_figure(
    surface: Surface,
    paths: Mapping[str, np.ndarray],
    anatomies: Mapping[str, StepAnatomy],
    step: int,
    *,
    start: tuple[float, float] | None = None,
    drawing_height: int = 460,
    font_size: int = FONT_SIZE,
) -> go.Figure:
    """The race map at step ``step`` (paths up to θ_step, no animation) with the arrows
    of step ``step`` of every method in ``anatomies`` (keyed like ``paths``)."""
    cut = {method: np.asarray(path)[: step + 1] for method, path in paths.items()}
    fig = trajectory_figure(
        surface,
        cut,
        max_frames=2,
        start=start,
        drawing_height=drawing_height,
        font_size=font_size,
    )
    # A still figure: the step buttons of the page replace Play and the slider.
    fig.frames = []
    fig.layout.updatemenus = []
    fig.layout.sliders = []
    min_length = min_arrow_length(surface)
    order = {method: i for i, method in enumerate(paths)}
    traces: list[dict] = []
    heads: list[dict] = []
    for part in PARTS:
        for method, anatomy in anatomies.items():
            a = arrow_parts(anatomy, min_length)[part]
            if a is None:
                continue
            traces.append(_arrow_trace(method, part, a, step, order.get(method, 0)))
            heads.append(_arrowhead(method, part, a, order.get(method, 0), font_size))
    for method, anatomy in anatomies.items():
        if anatomy.lookahead is not None and np.any(anatomy.carried != 0):
            traces.append(_lookahead_trace(anatomy, order.get(method, 0)))
    fig.add_traces([*traces, *_key_traces()])
    fig.layout.annotations = [*fig.layout.annotations, *heads]
    return fig
