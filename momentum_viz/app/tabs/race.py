"""The race tab, the page's main view: the methods run side by side on the map.

It shows the animated map (a click sets the start point), the loss curves, the update
rule with the current α and γ, one outcome row per method and the downloads of what is
on screen; under them a short explanation and the same run in other frameworks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyarrow as pa
import streamlit as st

from surfaces import Surface

from ...numerics.first_run import formula_has_kinks
from ...numerics.optimizer import Run
from ...numerics.summary import (
    RunSummary,
    gentlest_minimum_curvature,
    steepest_curvature,
    summarize,
    undefined_at_end,
    zero_below_rounding,
)
from ...numerics.theory import divergence_advice, effective_lr
from ...numerics.valley import valley_distance, valley_floor, valley_settled_step
from ...views.style import METHOD_LABELS
from ...views.words import divergence_sentence, format_number
from .. import live_map
from ..chart_accessibility import LOSS_CONFIG, method_list
from ..compute import (
    RunKey,
    anatomy_for,
    loss_figure_for,
    race_map_width,
    runs_for,
    settled_steps_for,
    shared_cache,
)
from ..data_controls import data_note
from ..exports import file_stem, offline_map_file, trajectories_file
from ..notes import refused_formula_note, scenario_note
from ..screens import viewer_theme
from ..settings import Settings, surface_of
from . import anatomy, frameworks

# The outcome table's distance for a surface that lists no minimum (a custom one).
NO_MINIMUM = "no minimum inside the bounds"

# The column beside the map in the anatomy's step-by-step mode (px, as a share of the row).
ANATOMY_COLUMN_WIDTH = 240

# One sentence a lecturer can say; the rest behind an expander.
EXPLANATION_LEAD = (
    "**What momentum does:** it keeps a velocity, so every step carries on part of the last one."
)
EXPLANATION = """
Plain gradient descent (SGD) steps straight downhill from wherever it stands. Momentum
keeps a *velocity* $v$: every step adds the new gradient to what is left of the old ones,
so the point keeps rolling through small bumps and shallow dips, and speeds up along
narrow valleys where the gradients agree. Because γ < 1, old gradients fade: after $k$
steps a gradient counts only $γ^k$ as much. Too much momentum (γ close to 1) overshoots
and oscillates for a long time. Nesterov momentum takes the gradient at $θ - γv$, where
the velocity is about to carry it.
"""


def update_rule_latex(lr: float, momentum: float, methods: tuple[str, ...] = ()) -> str:
    """The update rules of the methods on screen, under the current α and γ.

    Heavy ball takes the gradient at θ, Nesterov at the look-ahead point θ − γv; SGD is
    the same rule with γ = 0. With no method picked, heavy ball's rule is shown. Short
    lines, values once at the top: the formula must fit the column beside the map.
    """
    lines = [rf"&\gamma = {momentum:.4g},\quad \alpha = {lr:.3g}"]
    if "momentum" in methods or not methods:
        lines.append(r"\text{Momentum: }\ v &\leftarrow \gamma v + \alpha \nabla J(\theta)")
    if "nesterov" in methods:
        lines.append(
            r"\text{Nesterov: }\ v &\leftarrow \gamma v + \alpha \nabla J(\theta - \gamma v)"
        )
    if "sgd" in methods:
        lines.append(r"\text{SGD: }\ v &\leftarrow \alpha \nabla J(\theta)")
    lines.append(r"\theta &\leftarrow \theta - v")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def effective_step_caption(lr: float, momentum: float) -> str:
    """α/(1 − γ): the step momentum settles to on a steady slope, in one sentence."""
    step = effective_lr(lr, momentum)
    return (
        f"Effective step on a steady slope: α/(1 − γ) = {format_number(step)}, "
        f"{step / lr:.3g}× α. Where the slope stays the same, momentum moves like SGD with "
        "this step: fast on long slopes, and it overshoots where the slope turns."
    )


def divergence_note(method: str, run: Run, surface: Surface, settings: Settings) -> str:
    """Why a run diverged and what would help, from the local quadratic model.

    The model is taken at the stiffest point the run crossed on the map (largest λmax):
    that curvature bounds the step size (see :func:`divergence_advice`). When α is within
    the bound there, the step size alone is not the cause: the run carried too much
    speed to follow a curved surface, and a lower γ is the thing to try.
    """
    label = METHOD_LABELS[method]
    gamma = 0.0 if method == "sgd" else settings.momentum
    head = f"**{label} diverged at step {run.diverged_at}.** "
    lam_max = steepest_curvature(surface, run)
    if undefined_at_end(surface, run) or not math.isfinite(lam_max):
        x, y = run.positions[-1]
        return (
            head + f"It reached ({x:.3g}, {y:.3g}), where J or its gradient is not a finite "
            "number (e.g. the log or square root of a negative number, or an overflow), so "
            "it could not take another step."
        )
    if formula_has_kinks(surface):
        return head + (
            "This formula has kinks (from abs): across one the gradient jumps, and the "
            f"curvature (λmax = {format_number(lam_max)} at most on its path), which "
            "bounds α everywhere else, does not see the jump, so the local theory does not "
            "apply there. Each step across a kink overshoots by about α times the jump: "
            "lower α (and γ) to keep the run near it; at a kink a constant step rattles "
            "instead of settling."
        )
    if lam_max <= 0:
        return head + _downhill_note(method, surface, settings, lam_max)
    advice = divergence_advice(method, settings.lr, gamma, lam_max)
    where = f"At the steepest point it crossed on the map (λmax = {format_number(lam_max)}): "
    said = divergence_sentence(advice)
    if advice.diverges:
        return head + where + said + "."
    if settings.noise > 0:
        # The bound is about the gradient; noise of size σ adds α·σ to every step on top.
        return (
            head + where + said + f", so the step size alone is not the cause: the "
            f"gradient noise (σ = {settings.noise:g}) kicked it off. Lower σ, or α."
        )
    if not surface.minima and run.losses[-1] < run.losses[0]:
        return (
            head + where + said + ", so the step size alone is not the cause: this "
            "surface has no minimum inside its bounds, and the run went downhill off the map."
        )
    if method == "sgd":
        return (
            head + where + said + ", so it left the map where the surface is "
            "steeper still: lower α."
        )
    return (
        head + where + said + f", so the step size alone is not the cause: with "
        f"γ = {settings.momentum:.4g} it carried too much speed to follow the curved "
        "surface. Try a lower γ."
    )


def _downhill_note(method: str, surface: Surface, settings: Settings, lam_max: float) -> str:
    """Why a run that met only downward curvature on the map diverged, and what helps.

    A surface with minima still bounds α by the curvature at its minima: the run must
    slow down enough to settle in one, so the advice comes from the minimum that allows
    the largest α (:func:`gentlest_minimum_curvature`).
    """
    went = (
        f"Nowhere on its path on the map does the surface curve upwards (λmax = "
        f"{format_number(lam_max)}): the run went downhill and met no minimum"
    )
    gentlest = gentlest_minimum_curvature(surface)
    if not math.isfinite(gentlest):
        return went + ", and no choice of α or γ changes that."
    gamma = 0.0 if method == "sgd" else settings.momentum
    limit = divergence_advice(method, settings.lr, gamma, gentlest).lr_limit
    at_gamma = "" if method == "sgd" else f" at γ = {gamma:.4g}"
    needs = (
        f". To settle in a minimum, where the surface curves upwards (λmax ≥ "
        f"{format_number(gentlest)}), {METHOD_LABELS[method]} needs α below "
        f"{format_number(limit)}{at_gamma}"
    )
    if settings.lr >= limit:
        return went + needs + f": lower α (now {format_number(settings.lr)})."
    return went + needs + ", which α is: try a lower γ, or another start."


def _converged(summary: RunSummary, settled_at: int) -> str:
    """The table's "converged" cell: the step, or why there is none.

    ``settled_at`` is where the run settles when it runs on past its last step
    (:func:`settled_step_running_on`): a run inside the tolerance at its last step may
    only be passing through.
    """
    if summary.converged_at >= 0 and settled_at == summary.converged_at:
        return f"step {summary.converged_at}"
    if summary.converged_at >= 0:
        later = f" (run on, it settles at step {settled_at})" if settled_at >= 0 else ""
        return f"inside the tolerance at the last step, not yet settled{later}"
    if summary.diverged_at >= 0:
        return f"diverged at step {summary.diverged_at}"
    return f"not in {summary.steps} steps"


def outcome_table(settings: Settings, runs: dict[str, Run]) -> list[dict[str, str]]:
    """One row per method: final loss, distance to minimum, convergence, minimum reached."""
    surface = surface_of(settings)
    settled = settled_steps_for(settings)
    valley = valley_floor(surface)
    rows = []
    for method, run in runs.items():
        summary = summarize(surface, run)
        distance = format_number(summary.distance_to_minimum)
        if not surface.minima:
            distance = NO_MINIMUM
        reached = "—"
        converged = _converged(summary, settled.get(method, -1))
        if summary.reached:
            # J* beside the loss at the start: a polished J* of 7.89e-31 is a 0.
            value = zero_below_rounding(surface.minima[run.minimum].value, run.losses[0])
            reached = f"{summary.reached} (J = {format_number(value)})"
        elif valley is not None:
            distance = f"{format_number(valley_distance(run, valley))} (to the valley floor)"
            step = valley_settled_step(run, valley)
            if step >= 0:
                converged = f"step {step}"
                floor = zero_below_rounding(valley.value, run.losses[0])
                reached = f"the valley floor (J = {format_number(floor)})"
        rows.append(
            {
                "method": METHOD_LABELS[method],
                "final loss": format_number(summary.final_loss),
                "distance to nearest minimum": distance,
                "converged": converged,
                "reached": reached,
            }
        )
    return rows


# An Arrow table: Streamlit sends it as it is (a list of rows went through pandas, a tenth
# of a γ move's work). Cached and shared (an Arrow table cannot be changed) by run key: a
# class moving γ to the same value builds it once, and a view-only change reuses it.
@shared_cache(256)
def compute_outcome_arrow(key: RunKey) -> pa.Table:
    """:func:`outcome_table` of these runs as an Arrow table (cached)."""
    settings = key.settings()
    return pa.Table.from_pylist(outcome_table(settings, runs_for(settings)))


def outcome_arrow(settings: Settings) -> pa.Table:
    """The cached outcome table for these settings (see :func:`compute_outcome_arrow`)."""
    return compute_outcome_arrow(RunKey.of(settings))


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """The animated map first (with its Play row and legend: the first screen of a
    projector), then the loss curves and the update rule, the notes, the outcome and
    the downloads (:func:`render_rest` follows, outside the page's live part)."""
    surface = surface_of(settings)
    refused_formula_note(settings)
    if settings.anatomy and runs:
        _anatomy_map(settings)
    else:
        live_map.render(settings)
        anatomy.controls(settings)
    for method, run in runs.items():
        if run.diverged_at >= 0:
            st.error(divergence_note(method, run, surface, settings), icon="⚠️")
    data_note(settings)  # a data surface: its source, and what a mini-batch run shows
    loss_col, side_col = st.columns([3, 2], gap="medium")
    with loss_col:
        if runs:
            # J − J* on surfaces with a minimum; J itself on one without (a custom one).
            offset = min((m.value for m in surface.minima), default=0.0)
            st.plotly_chart(
                loss_figure_for(settings, offset, viewer_theme()),
                key="losses",
                theme=None,
                config=LOSS_CONFIG,
                alt=f"Loss against the step, log scale, for {method_list(runs)}",
            )
        else:
            st.info("Pick at least one method in the sidebar to see it run.")
    with side_col:
        if any(method != "sgd" for method in runs):
            st.caption(effective_step_caption(settings.lr, settings.momentum))
        scenario_note(settings)
    # The whole width: in the column beside the loss chart the formulas were cut at 1280 px.
    st.latex(update_rule_latex(settings.lr, settings.momentum, tuple(runs)))
    if runs:
        st.table(outcome_arrow(settings), hide_index=True, border="horizontal")
    _exports(settings, runs)


def render_rest(settings: Settings, runs_of: Callable[[], dict[str, Run]]) -> None:
    """Under the live part (app/page.py draws it once per whole page's run): the
    explanation and the scripts in other frameworks."""
    st.markdown(EXPLANATION_LEAD)
    with st.expander("More: what momentum does"):
        st.markdown(EXPLANATION)
    frameworks.render(settings, runs_of)


def _anatomy_map(settings: Settings) -> None:
    """The anatomy's step-by-step mode: the live map frozen at one step with its arrows
    (``drawAnatomy`` in live_map.js), its controls above and its numbers beside it, so
    map, buttons and numbers share the projector's first screen. A click on the map
    still sets the start point."""
    anatomies = anatomy_for(settings)
    anatomy.controls(settings)
    map_col, side_col = st.columns([race_map_width(settings), ANATOMY_COLUMN_WIDTH], gap="small")
    with map_col:
        live_map.render(settings)
    with side_col:
        anatomy.numbers(anatomies, settings.anatomy_step)


# The downloads' expander: its key holds whether it is open (tests open it through it).
DOWNLOADS = "Download this race: trajectories (CSV), animation (HTML, plays offline)"
DOWNLOADS_KEY = "downloads"


def _exports(settings: Settings, runs: dict[str, Run]) -> None:
    """CSV of the trajectories and the race map as an offline HTML file (each built only
    when it is asked for), named after the settings they show, behind an expander: a
    closed one is one element, and every element costs each γ move of a class."""
    if not runs:
        return
    with st.expander(DOWNLOADS, key=DOWNLOADS_KEY, on_change="rerun") as box:
        if not box.open:
            return
        name = file_stem(settings)
        # One row that wraps on a phone: a third of the messages of two columns.
        row = st.container(horizontal=True, gap="small")
        row.download_button(
            "Download trajectories (CSV)",
            data=lambda: trajectories_file(settings, runs),
            file_name=f"{name}.csv",
            mime="text/csv",
            on_click="ignore",
        )
        row.download_button(
            "Download animation (HTML, plays offline)",
            data=lambda: offline_map_file(settings),
            file_name=f"{name}.html",
            mime="text/html",
            on_click="ignore",
        )
