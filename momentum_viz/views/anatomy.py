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
next. To make the arrows readable, the map zooms in on them (:func:`zoom_box`: equal
scale kept, never less than :data:`MIN_ZOOM_SHARE` of the bounds, so the valley stays
recognisable). An arrow shorter than :data:`MIN_ARROW_SHARE` of the plotted span is
drawn that long in its own direction (so it stays visible), and its hover gives the
true length.
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
from .style import FONT_SIZE, method_style

# An arrow is drawn at least this share of the plotted span (the larger side of the
# shown box) long.
MIN_ARROW_SHARE = 0.06
# The zoomed map shows at least this share of the bounds on each side, and the points of
# the step take at most 1 / ZOOM_PADDING of the box (room for the legend in a corner).
MIN_ZOOM_SHARE = 0.3
ZOOM_PADDING = 2.2
# The arrowhead annotation's shaft, px.
_HEAD_SHAFT = 14.0
# The still map's bottom margin, in font sizes: the x tick labels only.
_TICKS_ROW = 1.7


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


Box = tuple[tuple[float, float], tuple[float, float]]


def step_points(anatomies: Mapping[str, StepAnatomy]) -> np.ndarray:
    """The points a step's arrows join: θ_t, the look-ahead point, θ_{t+1} and the tips,
    shape (n, 2), finite ones only."""
    points = []
    for a in anatomies.values():
        points += [a.point, a.gradient_at, a.point + a.move, a.gradient_at + a.gradient_step]
        points.append(a.point + a.carried)
    xy = np.array(points, dtype=float).reshape(-1, 2)
    return xy[np.isfinite(xy).all(axis=1)]


def zoom_box(bounds: Box, points: np.ndarray) -> Box:
    """The part of ``bounds`` to show: the same aspect as the bounds (the map keeps its
    size and equal scale), centred on ``points`` with room around them, at least
    :data:`MIN_ZOOM_SHARE` of the bounds and inside them.

    >>> zoom_box(((-4, 4), (-2, 2)), np.array([[-0.1, -0.1], [0.1, 0.1]]))
    ((-1.2, 1.2), (-0.6, 0.6))
    >>> zoom_box(((-4, 4), (-2, 2)), np.array([[-9.0, 0.0], [9.0, 0.0]]))
    ((-4.0, 4.0), (-2.0, 2.0))
    """
    (xmin, xmax), (ymin, ymax) = bounds
    width, height = xmax - xmin, ymax - ymin
    if len(points) == 0:
        return ((float(xmin), float(xmax)), (float(ymin), float(ymax)))
    lo, hi = points.min(axis=0), points.max(axis=0)
    share = max((hi[0] - lo[0]) / width, (hi[1] - lo[1]) / height) * ZOOM_PADDING
    share = min(max(share, MIN_ZOOM_SHARE), 1.0)
    w, h = share * width, share * height
    cx = min(max(0.5 * (lo[0] + hi[0]), xmin + w / 2), xmax - w / 2)
    cy = min(max(0.5 * (lo[1] + hi[1]), ymin + h / 2), ymax - h / 2)
    return ((float(cx - w / 2), float(cx + w / 2)), (float(cy - h / 2), float(cy + h / 2)))


def min_arrow_length(box: Box) -> float:
    """:data:`MIN_ARROW_SHARE` of the larger side of the shown box."""
    (xmin, xmax), (ymin, ymax) = box
    return MIN_ARROW_SHARE * max(xmax - xmin, ymax - ymin)


def _legend_corner(box: Box, points: np.ndarray) -> dict:
    """The corner of the shown box whose legend would cover the fewest ``points``."""
    (xmin, xmax), (ymin, ymax) = box
    u = (points[:, 0] - xmin) / (xmax - xmin)
    v = (points[:, 1] - ymin) / (ymax - ymin)
    inside = (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)
    best = min(
        ((right, top) for top in (True, False) for right in (True, False)),
        key=lambda c: int(
            np.count_nonzero(inside & ((u >= 0.5) if c[0] else (u <= 0.5))
                             & ((v >= 0.5) if c[1] else (v <= 0.5)))
        ),
    )  # fmt: skip
    right, top = best
    return {
        "x": 0.995 if right else 0.005,
        "xanchor": "right" if right else "left",
        "y": 0.995 if top else 0.005,
        "yanchor": "top" if top else "bottom",
    }


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
    """An annotation that draws only the arrowhead at the tip of ``a`` (a short shaft in
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
        # A shaft of _HEAD_SHAFT px (plotly.js draws no head on a shorter one), hidden
        # under the head; pixels, y down.
        "ax": -_HEAD_SHAFT * float(ux),
        "ay": _HEAD_SHAFT * float(uy),
        "axref": "pixel",
        "ayref": "pixel",
        "text": "",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 0.9 * font_size / FONT_SIZE,
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
    points = step_points(anatomies)
    box = zoom_box(surface.bounds, points)
    min_length = min_arrow_length(box)
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
    fig.add_traces(traces)
    fig.layout.annotations = [*fig.layout.annotations, *heads]
    (x0, x1), (y0, y1) = box
    drawn = [p for t in traces for p in zip(t["x"], t["y"], strict=True)]
    for path in cut.values():  # the paths inside the box count too, a few points each
        drawn.extend(map(tuple, path[:: max(1, len(path) // 50)]))
    fig.update_layout(
        xaxis_range=[x0, x1],
        yaxis_range=[y0, y1],
        legend=_legend_corner(box, np.array(drawn, dtype=float).reshape(-1, 2)),
        # No Play row under the map: its room goes (the x tick labels stay).
        margin_b=round(_TICKS_ROW * font_size),
        height=fig.layout.height - fig.layout.margin.b + round(_TICKS_ROW * font_size),
    )
    return fig
