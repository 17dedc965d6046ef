"""The anatomy of a step on the race map: the arrows that make up each method's step.

:func:`anatomy_header` describes, as plain data for the live map's race blob, the parts
of each method's step t as computed by :func:`momentum_viz.numerics.anatomy.step_anatomy`;
the canvas (``app/live_map.js``, ``drawAnatomy``) draws them on the map frozen at step t
(the paths up to θ_t, no replay):

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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ..numerics.anatomy import StepAnatomy
from .style import method_style

# An arrow is drawn at least this share of the plotted span (the larger side of the
# shown box) long.
MIN_ARROW_SHARE = 0.06
# The zoomed map shows at least this share of the bounds on each side, and the points of
# the step take at most 1 / ZOOM_PADDING of the box (room for the legend in a corner).
MIN_ZOOM_SHARE = 0.3
ZOOM_PADDING = 2.2


class PartStyle(NamedTuple):
    label: str  # in the legend and the hover
    dash: str
    width: float


# The parts of a step in drawing order (the move on top). Dashes tell the parts apart
# (the canvas's dash names); the method's colour tells the methods apart.
PARTS: dict[str, PartStyle] = {
    "carried": PartStyle("carried velocity −γv", "dash", 3.0),
    "gradient": PartStyle("gradient step −α∇J", "dot", 3.5),
    "move": PartStyle("move = their sum", "solid", 5.0),
}


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


def anatomy_header(
    bounds: Box, anatomies: Mapping[str, StepAnatomy], step: int, order: Mapping[str, int]
) -> dict[str, Any]:
    """What the live map draws for step ``step``: the shown box (x0, x1, y0, y1), each
    arrow (method, part, tail, drawn vector, true length, style, hover text) in drawing
    order (the move on top), and Nesterov's look-ahead points. Plain JSON for the race
    blob's header; ``order`` is each method's place in the race (its style)."""
    box = zoom_box(bounds, step_points(anatomies))
    min_length = min_arrow_length(box)
    arrows = []
    for part in PARTS:
        for method, anatomy in anatomies.items():
            a = arrow_parts(anatomy, min_length)[part]
            if a is not None:
                arrows.append(_arrow_entry(method, part, a, step, order.get(method, 0)))
    lookaheads = [
        _lookahead_entry(method, anatomy, step, order.get(method, 0))
        for method, anatomy in anatomies.items()
        if anatomy.lookahead is not None and np.any(anatomy.carried != 0)
    ]
    (x0, x1), (y0, y1) = box
    parts = [{"label": s.label, "dash": s.dash, "width": s.width} for s in PARTS.values()]
    return {
        "step": int(step),
        "box": [x0, x1, y0, y1],
        "arrows": arrows,
        "lookaheads": lookaheads,
        "parts": parts,
    }


def _lookahead_entry(method: str, anatomy: StepAnatomy, step: int, order: int) -> dict[str, Any]:
    color, label, _, _ = method_style(method, order)
    x, y = (float(v) for v in anatomy.gradient_at)
    hover = (
        f"{label}, step {step}: look-ahead point θ − γv ({x:.4g}, {y:.4g}), "
        "where the gradient is taken"
    )
    return {"method": method, "point": [x, y], "color": color, "hover": hover}


def _arrow_entry(method: str, part: str, a: Arrow, step: int, order: int) -> dict[str, Any]:
    color, label, _, _ = method_style(method, order)
    style = PARTS[part]
    note = " (drawn longer to stay visible)" if a.lengthened else ""
    return {
        "method": method,
        "part": part,
        "tail": [float(v) for v in a.tail],
        "drawn": [float(v) for v in a.drawn],
        "length": a.length,
        "color": color,
        "dash": style.dash,
        "width": style.width,
        "hover": f"{label}, step {step}: {style.label}, length {a.length:.4g}{note}",
    }
