"""Downloads: the trajectories as CSV, the animated figure as a standalone HTML file.

>>> from momentum_viz import simulate
>>> runs = {"sgd": simulate("quadratic", "sgd", (1.0, 1.0), lr=0.01, steps=2)}
>>> print(trajectories_csv(runs).splitlines()[0])
method,step,x,y,loss,vx,vy
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from html import escape

import numpy as np
import plotly.graph_objects as go

from ..numerics.optimizer import Run

CSV_COLUMNS = ("method", "step", "x", "y", "loss", "vx", "vy")


def trajectories_csv(runs: Mapping[str, Run]) -> str:
    """Every recorded step of every (single) run: method, step, x, y, loss, vx, vy."""
    out = io.StringIO()
    out.write(",".join(CSV_COLUMNS) + "\n")
    for method, run in runs.items():
        if run.positions.ndim != 2:
            raise ValueError(f"runs[{method!r}] must be a single run, not a batch")
        steps = np.arange(run.positions.shape[0])
        table = np.column_stack([steps, run.positions, run.losses, run.velocities])
        for row in table:
            out.write(method + "," + str(int(row[0])) + ",")
            out.write(",".join(repr(float(v)) for v in row[1:]) + "\n")
    return out.getvalue()


def animation_html(fig: go.Figure, *, title: str = "momentum-viz") -> str:
    """The figure as one HTML file with plotly.js embedded: it plays offline, in slides."""
    html = fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)
    return html.replace("<head>", f"<head><title>{escape(title)}</title>", 1)
