"""The theory tab: what convergence theory predicts, next to the run on screen.

On a quadratic every eigen-direction of the Hessian converges on its own, so the tab
takes the eigenvalues (exact for the bowl, of a local quadratic model elsewhere) and shows,
top to bottom: the rate and regime of each direction, the stability limits of α, the
optimal α and γ (with a button to use them), and the predicted rate beside the one
measured from the run's loss curve.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ...numerics.optimizer import Run
from ...numerics.summary import format_number, summarize
from ...numerics.theory import (
    TheoryReport,
    analyse,
    critical_momentum,
    local_eigenvalues,
    measured_rate,
)
from ...views.style import METHOD_LABELS
from .. import state
from ..settings import Settings, surface_of


def _theory_point(settings: Settings, runs: dict[str, Run]) -> tuple[str, tuple[float, float]]:
    """Where the local quadratic model is taken, and a sentence saying so."""
    surface = surface_of(settings)
    choice = st.radio(
        "Local quadratic model at",
        ["the minimum nearest to where the run ends", "the start point"],
        horizontal=True,
        key="theory_point",
    )
    if choice == "the start point" or not runs:
        return "at the start point", (settings.x0, settings.y0)
    run = runs.get("momentum") or next(iter(runs.values()))
    summary = summarize(surface, run)
    minimum = surface.minima[summary.nearest_minimum]
    kind = "global" if minimum.is_global else "local"
    return f"at the {kind} minimum ({minimum.point[0]:.3g}, {minimum.point[1]:.3g})", minimum.point


def _quadratic_model(
    settings: Settings, runs: dict[str, Run]
) -> tuple[str, Sequence[float], float]:
    """The eigenvalues the theory uses, where they come from, and the model's minimum loss."""
    surface = surface_of(settings)
    if surface.eigenvalues is not None:
        return "exact for this quadratic bowl (eigenvalues of A)", surface.eigenvalues, 0.0
    where, point = _theory_point(settings, runs)
    eigenvalues = local_eigenvalues(surface.hessian(point))
    where = f"local quadratic model {where} (eigenvalues of the Hessian there)"
    return where, eigenvalues, float(surface.value(point))


def _directions(settings: Settings, report: TheoryReport) -> None:
    """One row per eigen-direction: its rates and regimes, and the critical γ."""
    rows = [
        {
            "λ": d.lam,
            "SGD rate |1 − αλ|": d.sgd_rate,
            "SGD regime": d.sgd_regime,
            "momentum rate max|σ|": d.momentum_rate,
            "momentum regime": d.momentum_regime,
            "critical γ = (1 − √(αλ))²": float(critical_momentum(settings.lr, d.lam)),
        }
        for d in report.directions
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def _stability(settings: Settings, report: TheoryReport) -> None:
    """α·λmax beside the largest stable α of SGD and of momentum."""
    cols = st.columns(3)
    cols[0].metric("α·λmax", format_number(settings.lr * report.lam_max))
    cols[1].metric("SGD stable if α <", format_number(report.sgd_max_lr), help="α·λmax < 2")
    cols[2].metric(
        "momentum stable if α <", format_number(report.momentum_max_lr), help="α·λmax < 2 + 2γ"
    )


def _optimum(report: TheoryReport) -> None:
    """The optimal α*, γ* and their rate against the best SGD, with a button to use them."""
    if report.optimal_lr is None or report.optimal_momentum is None:
        return
    st.markdown(
        f"**Optimal settings** for condition number κ = {report.condition_number:.4g}: "
        f"α* = (2 / (√λmin + √λmax))² = **{report.optimal_lr:.4g}**, "
        f"γ* = ((√κ − 1)/(√κ + 1))² = **{report.optimal_momentum:.4g}**. "
        f"They give the rate (√κ − 1)/(√κ + 1) = **{report.optimal_momentum_rate:.4g}** "
        f"per step, against (κ − 1)/(κ + 1) = **{report.optimal_sgd_rate:.4g}** for the "
        f"best plain SGD step α = 2/(λmin + λmax) = {report.optimal_sgd_lr:.4g}."
    )
    st.button(
        "Use optimal α, γ",
        on_click=state.on_use_optimal,
        args=(report.optimal_lr, report.optimal_momentum),
        type="primary",
    )


def _predicted_vs_measured(
    report: TheoryReport, runs: dict[str, Run], model_loss_min: float
) -> None:
    """Per method, the predicted rate ρ beside the one fitted to its loss curve."""
    st.markdown("**Predicted rate beside the rate measured from the run's loss curve**")
    predicted = {"sgd": report.sgd_rate, "momentum": report.momentum_rate}
    rows = [
        {
            "method": METHOD_LABELS[method],
            "predicted ρ": predicted.get(method, float("nan")),
            "measured ρ": measured_rate(run.losses, loss_min=model_loss_min),
        }
        for method, run in runs.items()
    ]
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
        st.caption(
            "ρ is the factor by which the error shrinks per step (loss shrinks by ρ²). "
            "Measured ρ fits the loss curve's decay; it is blank when the run did not settle "
            "(too few steps, diverged, or converged into another minimum). The theory is "
            "for heavy-ball momentum; Nesterov has no predicted value here."
        )


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """Convergence theory next to the live run: rates, regimes, stability, optimum."""
    where, eigenvalues, model_loss_min = _quadratic_model(settings, runs)
    report = analyse(settings.lr, settings.momentum, eigenvalues)
    st.markdown(
        f"On a quadratic, every eigen-direction with curvature λ evolves on its own: SGD "
        f"multiplies the error by $1 - αλ$ per step; momentum's error follows "
        f"$e_{{t+1}} = (1 + γ - αλ)e_t - γe_{{t-1}}$, whose rate is the largest |σ| among "
        f"the roots of $σ^2 - (1 + γ - αλ)σ + γ = 0$. Here: {where}."
    )
    for warning in report.warnings:
        st.warning(warning, icon="⚠️")
    _directions(settings, report)
    _stability(settings, report)
    _optimum(report)
    _predicted_vs_measured(report, runs, model_loss_min)
