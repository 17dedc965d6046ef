"""The theory tab: what convergence theory predicts, next to the run on screen.

On a quadratic every eigen-direction of the Hessian converges on its own, so the tab
takes the eigenvalues (exact for the bowl, of a local quadratic model elsewhere) and shows,
top to bottom: the rate and regime of each direction for SGD, heavy ball and Nesterov, the
stability limits of α, the optimal α and γ of the model (with buttons that use them only
where a run shows what they promise), and the predicted rate beside the one measured
from the run's loss curve.

Everything here describes the *local quadratic model*. Far from the point where it is
taken the surface is not that bowl, so the optimal values are demonstrated where they hold:
from the current start if a run from there settles at the model's minimum with them,
else from a start near that minimum, else not offered at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import streamlit as st

from ...numerics.first_run import formula_has_kinks
from ...numerics.optimizer import Run
from ...numerics.summary import summarize
from ...numerics.theory import (
    TheoryReport,
    analyse,
    critical_momentum,
    local_eigenvalues,
    measured_rate,
)
from ...views.style import METHOD_LABELS
from ...views.words import format_number, theory_warnings
from .. import state
from ..compute import runs_for
from ..settings import THEORY_POINTS, Settings, surface_of
from . import noise_floor

LEAD = (
    "Near a minimum every surface looks like a bowl, and on a bowl theory predicts each "
    "method's rate exactly."
)
HOW_IT_WORKS = (
    "On a quadratic, every eigen-direction with curvature λ evolves on its own: SGD "
    "multiplies the error by $1 - αλ$ per step. Momentum's (Polyak's heavy ball) error follows "
    "$e_{t+1} = (1 + γ - αλ)e_t - γe_{t-1}$, Nesterov's "
    "$e_{t+1} = (1 + γ)(1 - αλ)e_t - γ(1 - αλ)e_{t-1}$; the rate is the largest |σ| "
    "among the roots of $σ^2 - (1 + γ - αλ)σ + γ = 0$ and "
    "$σ^2 - (1 + γ)(1 - αλ)σ + γ(1 - αλ) = 0$."
)


# Said on a surface that lists no minimum (a custom one) when the model is asked for at one.
NO_MINIMUM = (
    "This surface has no minimum inside its bounds to analyse: the model below is taken at "
    "the start point instead."
)


class Model(NamedTuple):
    """Where the quadratic model is taken and what it is."""

    where: str  # a phrase for people, e.g. "at the global minimum (3, 2)"
    eigenvalues: Sequence[float]
    loss_min: float  # J at the model's point
    point: tuple[float, float]
    minimum: int | None  # index into surface.minima when the model is taken at one


def _theory_point(settings: Settings, runs: dict[str, Run]) -> tuple[str, int | None]:
    """The radio's choice: the phrase for people and the minimum's index (None: start)."""
    surface = surface_of(settings)
    choice = st.radio(
        "Local quadratic model at",
        list(THEORY_POINTS),
        format_func=THEORY_POINTS.get,
        horizontal=True,
        **state.lasting("theory_point"),
    )
    if choice == "start" or not runs:
        return "at the start point", None
    if not surface.minima:  # a custom surface may list none
        st.info(NO_MINIMUM)
        return "at the start point", None
    run = runs.get("momentum") or next(iter(runs.values()))
    index = summarize(surface, run).nearest_minimum
    minimum = surface.minima[index]
    kind = "global" if minimum.is_global else "local"
    return f"at the {kind} minimum ({minimum.point[0]:.3g}, {minimum.point[1]:.3g})", index


def quadratic_model(settings: Settings, runs: dict[str, Run]) -> Model | None:
    """The model the tab analyses: the bowl itself, or the surface's Hessian at a point.

    None where the Hessian is not a finite matrix (a custom J undefined at the start).
    """
    surface = surface_of(settings)
    if surface.eigenvalues is not None:
        return Model("of this bowl (exact)", surface.eigenvalues, 0.0, (0.0, 0.0), 0)
    where, index = _theory_point(settings, runs)
    point = (settings.x0, settings.y0) if index is None else surface.minima[index].point
    hessian = surface.hessian(point)
    if not np.isfinite(hessian).all():
        return None
    eigenvalues = local_eigenvalues(hessian)
    return Model(where, eigenvalues, float(surface.value(point)), point, index)


def direction_rows(settings: Settings, report: TheoryReport) -> list[dict[str, str]]:
    """One row per method, one rate-and-regime column per eigen-direction λ.

    Methods as rows keep the table narrow enough for a projector: the columns grow with
    the number of directions (two on these surfaces), not with the number of methods.
    """
    # The race's names: momentum here is Polyak's heavy ball (HOW_IT_WORKS says so).
    names = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov"}
    rows = []
    for method, name in names.items():
        row = {"method": name}
        for d in report.directions:
            rate, regime = {
                "sgd": (d.sgd_rate, d.sgd_regime),
                "momentum": (d.momentum_rate, d.momentum_regime),
                "nesterov": (d.nesterov_rate, d.nesterov_regime),
            }[method]
            row[f"λ = {format_number(d.lam)}"] = f"ρ = {format_number(rate)}, {regime}"
        rows.append(row)
    return rows


def _directions(settings: Settings, report: TheoryReport) -> None:
    """The per-direction rates, and where heavy ball's roots turn complex."""
    # st.table, not st.dataframe: a real HTML table, whose headers a screen reader reads
    # and whose cells wrap on a phone (PAGE_CSS), so every column is on screen; the canvas
    # grid of st.dataframe put the last column behind a sideways scroll there.
    st.table(direction_rows(settings, report), hide_index=True, border="horizontal")
    # For αλ < 1 the γ of complex_from separates monotone from oscillating (critical
    # damping); for 1 < αλ < 4 it separates sign flips from complex roots.
    st.caption(
        "ρ: the factor the error shrinks by per step. Momentum's roots turn complex (it "
        f"starts to spiral): {complex_from(settings.lr, report)}."
    )


def complex_from(lr: float, report: TheoryReport) -> str:
    """Per direction, the γ above which heavy ball's roots are complex, in words.

    (1 − √(αλ))² for 0 < αλ < 4. For αλ ≥ 4, λ ≤ 0 or αλ = 0 no γ in [0, 1) gives complex
    roots: the formula's value would be ≥ 1 or undefined, so the text says "never".

    >>> from momentum_viz.numerics.theory import analyse
    >>> complex_from(1.0, analyse(1.0, 0.5, [1.0, 1000.0]))
    'above γ = 0 (λ = 1); never (λ = 1000, αλ ≥ 4)'
    """
    parts = []
    for d in report.directions:
        gamma = float(critical_momentum(lr, d.lam))
        if math.isfinite(gamma) and gamma < 1.0:
            parts.append(f"above γ = {format_number(gamma)} (λ = {format_number(d.lam)})")
        elif d.lam > 0:
            parts.append(f"never (λ = {format_number(d.lam)}, αλ ≥ 4)")
        else:
            parts.append(f"never (λ = {format_number(d.lam)} ≤ 0)")
    return "; ".join(parts)


def _stability(settings: Settings, report: TheoryReport) -> None:
    """α·λmax beside the largest stable α of SGD, heavy ball and Nesterov."""
    cols = st.columns(4)
    cols[0].metric("α·λmax", format_number(settings.lr * report.lam_max))
    cols[1].metric("SGD stable if α <", format_number(report.sgd_max_lr), help="α·λmax < 2")
    cols[2].metric(
        "Momentum stable if α <",
        format_number(report.momentum_max_lr),
        help="α·λmax < 2 + 2γ: the limit grows with γ",
    )
    cols[3].metric(
        "Nesterov stable if α <",
        format_number(report.nesterov_max_lr),
        help="α·λmax < (2 + 2γ)/(1 + 2γ): below SGD's 2 for every γ > 0",
    )


# --- the optimum, offered only where it shows what it promises ------------------------------


class Offer(NamedTuple):
    """A button that sets α and γ (and maybe the start) to a model's optimal values."""

    method: str  # whose optimum: "momentum" (heavy ball) or "nesterov"
    lr: float
    momentum: float
    start: tuple[float, float] | None  # None: keep the current start
    outcomes: dict[str, str]  # per method on screen, what happens with these values


def _outcome(run: Run, steps: int, target: int) -> str:
    if run.diverged_at >= 0:
        return f"diverges at step {run.diverged_at}"
    if run.converged_at >= 0 and run.minimum == target:
        return f"settles at the minimum at step {run.converged_at}"
    if run.converged_at >= 0:
        return "settles in another minimum"
    return f"does not settle in {steps} steps"


def near_minimum_start(settings: Settings, model: Model) -> tuple[float, float]:
    """A start close to the model's minimum, off along its slow direction.

    Close enough (a tenth of the plotted span) for the quadratic model to describe the
    run, and off along the slow eigenvector, where the difference momentum makes shows.
    """
    surface = surface_of(settings)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    _, vectors = np.linalg.eigh(surface.hessian(np.array(model.point)))
    slow, fast = vectors[:, 0], vectors[:, 1]
    offset = 0.1 * min(xmax - xmin, ymax - ymin) * (slow + 0.3 * fast)
    x = float(np.clip(model.point[0] + offset[0], xmin, xmax))
    y = float(np.clip(model.point[1] + offset[1], ymin, ymax))
    return round(x, 4), round(y, 4)


def optimum_offer(
    settings: Settings, model: Model, method: str, lr: float, momentum: float
) -> Offer | None:
    """The button for ``method``'s optimum, or None where no run shows what it promises.

    The optimum is promised for the model's minimum: it is offered from the current
    start when ``method``'s run from there settles at that minimum with these values,
    else from a start near the minimum when it settles from there, else not at all.
    """
    if model.minimum is None:
        return None
    trial = replace(settings, lr=lr, momentum=momentum)
    methods = tuple(dict.fromkeys((*settings.methods, method)))
    for start in (None, near_minimum_start(settings, model)):
        moved = trial if start is None else replace(trial, x0=start[0], y0=start[1])
        runs = runs_for(replace(moved, methods=methods))
        outcomes = {m: _outcome(r, moved.steps, model.minimum) for m, r in runs.items()}
        if outcomes[method].startswith("settles at the minimum"):
            shown = {m: o for m, o in outcomes.items() if m in settings.methods}
            return Offer(method, lr, momentum, start, shown)
    return None


def _offer_text(offer: Offer) -> str:
    whose = "Momentum's" if offer.method == "momentum" else "Nesterov's"
    where = (
        "from the current start"
        if offer.start is None
        else f"from ({offer.start[0]:.3g}, {offer.start[1]:.3g}) near the minimum (from the "
        "current start they do not settle there: the model holds only near its minimum)"
    )
    outcomes = "; ".join(f"{METHOD_LABELS[m]} {o}" for m, o in offer.outcomes.items())
    return f"With {whose} optimal values, {where}: {outcomes}."


def _optimum(settings: Settings, report: TheoryReport, model: Model) -> None:
    """The model's optimal α, γ for heavy ball and Nesterov, and buttons where they hold."""
    if model.minimum is None:
        st.caption(
            "The optimal α and γ belong to a model taken at a minimum, and this surface "
            "has none inside its bounds."
            if not surface_of(settings).minima
            else "The optimal α and γ belong to a model taken at a minimum: pick "
            "“the minimum nearest to where the run ends” above to see them."
        )
        return
    if report.optimal_lr is None or report.optimal_momentum is None:
        st.info("The model has no minimum here (its Hessian is not positive definite).")
        return
    st.markdown(
        f"**Optimal for the quadratic model {model.where}** (κ = "
        f"{report.condition_number:.4g}): Momentum α* = **{report.optimal_lr:.4g}**, "
        f"γ* = **{report.optimal_momentum:.4g}** (rate {report.optimal_momentum_rate:.4g}); "
        f"Nesterov α = **{report.optimal_nesterov_lr:.4g}**, "
        f"γ = **{report.optimal_nesterov_momentum:.4g}** "
        f"(rate {report.optimal_nesterov_rate:.4g}); plain SGD at its best α = "
        f"{report.optimal_sgd_lr:.4g}: rate {report.optimal_sgd_rate:.4g}."
    )
    candidates = [("momentum", report.optimal_lr, report.optimal_momentum)]
    if "nesterov" in settings.methods:
        candidates.append(
            ("nesterov", report.optimal_nesterov_lr, report.optimal_nesterov_momentum)
        )
    for method, lr, momentum in candidates:
        offer = optimum_offer(settings, model, method, lr, momentum)
        whose = "Momentum's" if method == "momentum" else "Nesterov's"
        if offer is None:
            st.caption(f"No start shown here settles at the minimum with {whose} values.")
            continue
        bad = any(not o.startswith("settles at the minimum") for o in offer.outcomes.values())
        (st.warning if bad else st.caption)(_offer_text(offer))
        st.button(
            f"Use {whose} optimal α, γ" + ("" if offer.start is None else " near the minimum"),
            key=f"use_optimal_{method}",
            on_click=state.on_use_optimal,
            args=(offer.lr, offer.momentum, offer.start),
            type="primary" if method == "momentum" else "secondary",
        )


def predicted_and_measured(
    report: TheoryReport, runs: dict[str, Run], model: Model
) -> list[dict[str, str]]:
    """Per method, the predicted rate ρ beside the one fitted to its loss curve's tail.

    The measured rate is "—" (blank) when the run did not settle at the model's minimum:
    it diverged, ended elsewhere or not at all, or its loss did not decay geometrically
    (noise).
    """
    predicted = {
        "sgd": report.sgd_rate,
        "momentum": report.momentum_rate,
        "nesterov": report.nesterov_rate,
    }
    rows = []
    for method, run in runs.items():
        at_model = model.minimum is not None and run.minimum == model.minimum
        rate = math.nan
        if at_model:
            rate = measured_rate(
                run.losses, loss_min=model.loss_min, converged_at=int(run.converged_at)
            )
        rows.append(
            {
                "method": METHOD_LABELS[method],
                "predicted ρ": format_number(predicted[method]),
                "measured ρ": format_number(rate),
            }
        )
    return rows


def _predicted_vs_measured(report: TheoryReport, runs: dict[str, Run], model: Model) -> None:
    rows = predicted_and_measured(report, runs, model)
    if not rows:
        return
    st.markdown("**Predicted rate beside the rate measured from the run's loss curve**")
    st.table(rows, hide_index=True, border="horizontal")
    st.caption(
        "ρ is the factor by which the error shrinks per step (the loss shrinks by ρ²). "
        "Measured ρ fits the tail of the loss curve; it shows — when the run did not settle "
        "at the model's minimum (diverged, ended elsewhere, too few steps) or its loss did "
        "not shrink steadily (noise)."
    )


# For a formula with abs(): what the quadratic model cannot see.
KINK_NOTE = (
    "This formula has kinks (from abs): across one the gradient jumps, and the Hessian "
    "does not see the jump. The theory below holds only away from the kinks; at a kink "
    "it does not apply, and a constant step rattles around a minimum there instead of "
    "settling."
)


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """Convergence theory next to the live run: rates, regimes, stability, optimum."""
    st.markdown(LEAD)
    noise_floor.render(settings, runs)  # first on a data surface with mini-batches
    model = quadratic_model(settings, runs)
    if model is None:
        st.info(
            f"The Hessian of J is not a finite number at the start point ({settings.x0:.3g}, "
            f"{settings.y0:.3g}), so there is no quadratic model to take there: move the "
            "start to where J is defined."
        )
        return
    report = analyse(settings.lr, settings.momentum, model.eigenvalues)
    st.caption(f"Model: the Hessian {model.where}, eigenvalues λ of the table below.")
    if formula_has_kinks(surface_of(settings)):
        st.warning(KINK_NOTE, icon="⚠️")
    with st.expander("How the theory works"):
        st.markdown(HOW_IT_WORKS)
    for warning in theory_warnings(report):
        st.warning(warning, icon="⚠️")
    _directions(settings, report)
    _stability(settings, report)
    _optimum(settings, report, model)
    _predicted_vs_measured(report, runs, model)
