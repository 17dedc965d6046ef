"""The race tab, the page's main view: the methods run side by side on the map.

It shows the animated map (a click sets the start point), the loss curves, the update
rule with the current α and γ, one outcome row per method, a short explanation, and the
downloads of what is on screen.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ...numerics.optimizer import Run
from ...numerics.summary import RunSummary, format_number, summarize
from ...views.curves import loss_figure
from ...views.export import animation_html, trajectories_csv
from ...views.style import METHOD_LABELS
from .. import state
from ..compute import race_figure_for
from ..settings import Settings, surface_of

EXPLANATION = """
**What momentum does.** Plain gradient descent (SGD) steps straight downhill from
wherever it stands. Momentum keeps a *velocity* $v$: every step adds the new gradient to
what is left of the old ones, so the point keeps rolling through small bumps and shallow
dips, and speeds up along narrow valleys where the gradients agree. Because γ < 1, old
gradients fade: after $k$ steps a gradient counts only $γ^k$ as much. Too much momentum
(γ close to 1) overshoots and oscillates for a long time. Nesterov momentum looks ahead:
it takes the gradient at $θ - γv$, where the velocity is about to carry it, and so brakes
earlier.
"""


def update_rule_latex(lr: float, momentum: float) -> str:
    """The momentum update with the current α and γ filled in (two aligned lines)."""
    return (
        r"\begin{aligned}"
        rf"v_{{t+1}} &= \underbrace{{{momentum:.4g}}}_{{\gamma}}\,v_t"
        rf" + \underbrace{{{lr:.3g}}}_{{\alpha}}\,\nabla J(\theta_t) \\"
        r"\theta_{t+1} &= \theta_t - v_{t+1}"
        r"\end{aligned}"
    )


def _converged(summary: RunSummary) -> str:
    """The table's "converged" cell: the step, or why there is none."""
    if summary.converged_at >= 0:
        return f"step {summary.converged_at}"
    if summary.diverged_at >= 0:
        return f"diverged at step {summary.diverged_at}"
    return f"not in {summary.steps} steps"


def outcome_table(settings: Settings, runs: dict[str, Run]) -> list[dict[str, str]]:
    """One row per method: final loss, distance to minimum, convergence, minimum reached."""
    surface = surface_of(settings)
    rows = []
    for method, run in runs.items():
        summary = summarize(surface, run)
        reached = "—"
        if summary.reached:
            value = surface.minima[run.minimum].value
            reached = f"{summary.reached} (J = {format_number(value)})"
        rows.append(
            {
                "method": METHOD_LABELS[method],
                "final loss": format_number(summary.final_loss),
                "distance to nearest minimum": format_number(summary.distance_to_minimum),
                "converged": _converged(summary),
                "reached": reached,
            }
        )
    return rows


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """The animated map, the loss curves and the per-method outcome."""
    surface = surface_of(settings)
    fig = race_figure_for(settings)
    for method, run in runs.items():
        if run.diverged_at >= 0:
            st.error(
                f"{METHOD_LABELS[method]} diverged at step {run.diverged_at}: lower α or γ.",
                icon="⚠️",
            )
    map_col, side_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.plotly_chart(
            fig,
            key="map",
            on_select=state.on_map_select,
            selection_mode="points",
            config={"displaylogo": False, "scrollZoom": False},
        )
    with side_col:
        if runs:
            offset = min(m.value for m in surface.minima)
            losses = {method: run.losses for method, run in runs.items()}
            st.plotly_chart(loss_figure(losses, offset=offset), key="losses")
        else:
            st.info("Pick at least one method in the sidebar to see it run.")
        st.latex(update_rule_latex(settings.lr, settings.momentum))
    if runs:
        st.table(outcome_table(settings, runs), hide_index=True, border="horizontal")
    st.markdown(EXPLANATION)
    _exports(settings, runs, fig.figure)


def _exports(settings: Settings, runs: dict[str, Run], fig: go.Figure) -> None:
    """CSV of the trajectories and the animation as an offline HTML file."""
    if not runs:
        return
    name = f"momentum-viz-{settings.surface}"
    col_csv, col_html = st.columns(2)
    col_csv.download_button(
        "Download trajectories (CSV)",
        data=lambda: trajectories_csv(runs),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    col_html.download_button(
        "Download animation (HTML, plays offline)",
        data=lambda: animation_html(fig, title=name),
        file_name=f"{name}.html",
        mime="text/html",
        on_click="ignore",
    )
