"""The sentences a student reads about the theory, and the one number formatter of the page.

The numerics return facts (rates, bounds, which method is stable, which direction helps);
this module turns them into words, so the theory's sentences can be read and changed in
one place without touching the mathematics. Pure functions of numbers, no Streamlit.

>>> from momentum_viz.numerics.theory import analyse, divergence_advice
>>> for sentence in theory_warnings(analyse(0.3, 0.1, [1.0, 10.0])):  # αλmax = 3
...     print(sentence)
α·λmax = 3 ≥ 2: plain SGD diverges (it needs α < 2/λmax = 0.2)
α·λmax = 3 ≥ 2 + 2γ = 2.2: momentum diverges (it needs α < (2 + 2γ)/λmax = 0.22)
α·λmax = 3 ≥ (2 + 2γ)/(1 + 2γ) = 1.83: Nesterov diverges (it needs α < 0.183)
>>> for part in divergence_sentence(divergence_advice("momentum", 0.05, 0.1, 50.0)).split(", "):
...     print(part)
Momentum overshoots here: α = 0.05 needs to be below 0.044
or raise γ above 0.25 (lowering γ does not help)
"""

from __future__ import annotations

import math

from ..numerics.theory import DivergenceAdvice, TheoryReport

__all__ = ["divergence_sentence", "format_number", "theory_warnings"]

# How each method is named in a sentence that starts with it.
_SENTENCE_NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov"}


def format_number(value: float, digits: int = 4) -> str:
    """A number as the page prints it: ``digits`` significant digits, scientific when tiny
    or huge, a typographic minus (−), and "—" for a number that is not finite.

    >>> format_number(0.12345), format_number(-1.5), format_number(2e-7), format_number(0)
    ('0.1235', '−1.5', '2.00e−07', '0')
    >>> format_number(0.13571, digits=3), format_number(math.inf)
    ('0.136', '—')
    """
    if not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = f"{value:.{digits}g}"
    else:
        text = f"{value:.{max(digits - 2, 0)}e}"
    return text.replace("-", "−")


def _short(value: float) -> str:
    """Three significant digits: the theory's bounds and limits."""
    return format_number(value, digits=3)


def _curvature_warnings(report: TheoryReport) -> list[str]:
    """A Hessian that is not positive definite: there is no minimum to converge to."""
    lams = [d.lam for d in report.directions]
    warnings = []
    negative = [lam for lam in lams if lam < 0]
    if negative:
        where = "a saddle" if report.lam_max > 0 else "a maximum"
        lam_text = ", ".join(_short(lam) for lam in negative)
        warnings.append(
            f"Hessian not positive definite here (λ = {lam_text}): the local quadratic model "
            f"has no minimum; rates describe motion near {where} (ρ > 1 means moving away)"
        )
    if any(lam == 0 for lam in lams):
        warnings.append(
            "Hessian singular here (λ = 0): the local quadratic model is flat along that "
            "direction, so neither method converges along it (ρ = 1)"
        )
    return warnings


def _stability_warnings(report: TheoryReport) -> list[str]:
    """A step too large for SGD (αλmax ≥ 2), momentum (≥ 2 + 2γ) or Nesterov
    (≥ (2 + 2γ)/(1 + 2γ))."""
    warnings = []
    a_lam_max = _short(report.lr * report.lam_max)
    gamma = report.momentum
    if not report.sgd_stable:
        warnings.append(
            f"α·λmax = {a_lam_max} ≥ 2: plain SGD diverges "
            f"(it needs α < 2/λmax = {_short(report.sgd_max_lr)})"
        )
    if not report.momentum_stable:
        warnings.append(
            f"α·λmax = {a_lam_max} ≥ 2 + 2γ = {_short(2.0 + 2.0 * gamma)}: momentum diverges "
            f"(it needs α < (2 + 2γ)/λmax = {_short(report.momentum_max_lr)})"
        )
    if not report.nesterov_stable:
        limit = (2.0 + 2.0 * gamma) / (1.0 + 2.0 * gamma)
        warnings.append(
            f"α·λmax = {a_lam_max} ≥ (2 + 2γ)/(1 + 2γ) = {_short(limit)}: Nesterov "
            f"diverges (it needs α < {_short(report.nesterov_max_lr)})"
        )
    return warnings


def theory_warnings(report: TheoryReport) -> tuple[str, ...]:
    """The theory tab's warnings: curvature first (no minimum), then each unstable step.

    >>> from momentum_viz.numerics.theory import analyse
    >>> theory_warnings(analyse(0.1, 0.5, [10.0, 1.0]))
    ()
    >>> theory_warnings(analyse(0.1, 0.5, [-0.3, 1.0]))[0][:52]
    'Hessian not positive definite here (λ = −0.3): the l'
    """
    return tuple(_curvature_warnings(report) + _stability_warnings(report))


def divergence_sentence(advice: DivergenceAdvice) -> str:
    """What the local model says about the step size, in one sentence with its numbers.

    >>> from momentum_viz.numerics.theory import divergence_advice
    >>> divergence_sentence(divergence_advice("nesterov", 0.03, 0.9, 50.0))
    'Nesterov overshoots here: α = 0.03 needs to be below 0.0271, or lower γ below 0.5'
    >>> divergence_sentence(divergence_advice("sgd", 0.03, 0.0, 50.0))
    'SGD is stable here: α = 0.03 < 0.04'
    """
    name = _SENTENCE_NAMES[advice.method]
    alpha, limit = _short(advice.lr), _short(advice.lr_limit)
    if advice.lam_max <= 0:
        return (
            f"λmax = {_short(advice.lam_max)} ≤ 0 here: no step size overshoots; the run moves "
            "away along a direction of negative curvature"
        )
    if not advice.diverges:
        return f"{name} is stable here: α = {alpha} < {limit}"
    sentence = f"{name} overshoots here: α = {alpha} needs to be below {limit}"
    low, high = advice.stable_momenta
    if advice.method == "momentum" and not math.isnan(low):
        sentence += f", or raise γ above {_short(low)} (lowering γ does not help)"
    elif advice.method == "nesterov" and advice.lower_momentum_helps and not math.isnan(high):
        sentence += f", or lower γ below {_short(high)}"
    return sentence
