r"""Closed-form theory of gradient descent with momentum on a quadratic.

Update rule (the velocity starts at zero)::

    v ← γ·v + α·∇J(θ),    θ ← θ − v

with learning rate α > 0 and momentum 0 ≤ γ < 1; plain SGD is γ = 0.

On a quadratic J = ½ θᵀAθ every eigen-direction of A (eigenvalue λ) moves on its own.
Its coordinate e_t (the error, i.e. the distance to the minimum along that direction)
obeys the linear recurrence

.. math:: e_{t+1} = (1 + γ − αλ)\, e_t − γ\, e_{t−1},

whose characteristic polynomial is σ² − bσ + γ = 0 with b = 1 + γ − αλ. Its two roots
σ₁, σ₂ decide everything: the error shrinks like ρ^t with the *rate* ρ = max |σᵢ|.
For SGD the roots are 1 − αλ and 0, so ρ = |1 − αλ|.

The discriminant factorises, which is both how the regimes are read off and how the
roots are computed accurately near a double root:

.. math:: D = b² − 4γ = \bigl((1 − \sqrt{γ})² − αλ\bigr)\bigl((1 + \sqrt{γ})² − αλ\bigr).

* D < 0: complex roots of modulus √γ — the error spirals (oscillates) with rate √γ.
* D = 0: a double root σ = b/2 (critical damping, γ = (1 − √(αλ))²).
* D > 0: two real roots of the sign of b; ρ = (|b| + √D)/2.

Every rate here is a rate of the *error* e_t. A loss, being quadratic in the error,
decays twice as fast on a log scale (like ρ^{2t}); :func:`measured_rate` takes the
square root, so what it returns is comparable with the predicted rates.

Away from a minimum, the eigenvalues of the Hessian describe the *local* quadratic
model; λ ≤ 0 is allowed everywhere (no minimum along that direction: ρ ≥ 1).

>>> round(sgd_rate(0.1, 1.0), 12)               # |1 − 0.1·1|
0.9
>>> round(momentum_rate(0.1, 0.5, 2.0) ** 2, 12)  # complex roots: ρ² = γ
0.5
>>> regime(0.04, 0.36, 4.0)                     # αλ = 0.16, γ = (1 − 0.4)²
'critically damped'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from .validation import (
    Shape,
    as_float_array,
    check_curvature,
    check_lr,
    check_method,
    check_momentum,
    check_real,
    check_whole,
    reject,
)

__all__ = [
    "REGIMES",
    "DivergenceAdvice",
    "EigenAnalysis",
    "Regime",
    "TheoryReport",
    "analyse",
    "critical_momentum",
    "divergence_advice",
    "effective_lr",
    "local_eigenvalues",
    "max_stable_lr",
    "measured_rate",
    "momentum_rate",
    "momentum_roots",
    "momentum_stable",
    "nesterov_max_stable_lr",
    "nesterov_rate",
    "nesterov_regime",
    "nesterov_roots",
    "nesterov_stable",
    "optimal_momentum_params",
    "optimal_nesterov_params",
    "optimal_nesterov_rate",
    "optimal_rates",
    "optimal_sgd_lr",
    "regime",
    "sgd_rate",
    "sgd_stable",
]

Regime = Literal[
    "monotone",
    "oscillating (complex roots)",
    "oscillating (sign flips)",
    "critically damped",
    "divergent",
]

#: Every string :func:`regime` can return, from best behaved to worst.
REGIMES: tuple[Regime, ...] = (
    "monotone",
    "critically damped",
    "oscillating (complex roots)",
    "oscillating (sign flips)",
    "divergent",
)

ArrayLike = npt.ArrayLike
FloatOrArray = float | np.ndarray


# --- validation ---------------------------------------------------------------------------


def _out(arr: np.ndarray) -> FloatOrArray:
    """0-d results become plain Python floats (or bools/complex); arrays stay arrays."""
    return arr.item() if arr.ndim == 0 else arr


# --- rates ---------------------------------------------------------------------------------


def sgd_rate(lr: ArrayLike, lam: ArrayLike) -> FloatOrArray:
    """Per-step contraction factor of plain SGD along curvature λ: ρ = |1 − αλ|.

    Broadcasts over ``lr`` and ``lam``.

    >>> round(sgd_rate(0.1, 1.0), 12)     # |1 − 0.1|
    0.9
    >>> sgd_rate(0.5, 4.0)                # |1 − 2| = 1: the divergence boundary
    1.0
    >>> sgd_rate(0.1, [1.0, 10.0, -1.0]).round(12).tolist()   # |0.9|, |1 − 1|, |1 + 0.1|
    [0.9, 0.0, 1.1]
    """
    alpha = check_lr(lr)
    lam_arr = check_curvature(lam)
    with np.errstate(over="ignore"):
        return _out(np.abs(1.0 - alpha * lam_arr))


def _b_and_discriminant(
    alpha: np.ndarray, gamma: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """b = 1 + γ − αλ and D = b² − 4γ, the latter in factored (cancellation-free) form."""
    a_lam = alpha * lam
    root_gamma = np.sqrt(gamma)
    b = 1.0 + gamma - a_lam
    # For αλ ≥ 0 split each factor once more, (1 ∓ √γ)² − αλ = (1 ∓ √γ − √(αλ))(1 ∓ √γ + √(αλ)),
    # so that D is exactly 0 whenever √γ = |1 − √(αλ)| holds in floating point.
    root_a_lam = np.sqrt(np.abs(a_lam))
    split = ((1.0 - root_gamma - root_a_lam) * (1.0 - root_gamma + root_a_lam)) * (
        (1.0 + root_gamma - root_a_lam) * (1.0 + root_gamma + root_a_lam)
    )
    plain = ((1.0 - root_gamma) ** 2 - a_lam) * ((1.0 + root_gamma) ** 2 - a_lam)
    return b, np.where(a_lam >= 0, split, plain)


def _real_dominant(
    alpha: np.ndarray, gamma: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """b, D and |σ₁|, the modulus of the dominant root *if* the roots are real (D ≥ 0).

    |σ₁| = (|b| + √D)/2 loses the distance to 1 to rounding exactly where it matters
    (λ ≈ 0, the stability boundary). With p(σ) = σ² − bσ + γ = (σ − σ₁)(σ − σ₂):
    p(1) = αλ = (1 − σ₁)(1 − σ₂) and p(−1) = 2 + 2γ − αλ = (1 + σ₁)(1 + σ₂), so

        b > 0:  |σ₁| = 1 − αλ/(1 − |σ₂|),   b < 0:  |σ₁| = 1 − (2 + 2γ − αλ)/(1 − |σ₂|)

    with the well-conditioned small root |σ₂| = γ/|σ₁| (≤ √γ < 1). Then |σ₁| < 1 exactly
    when 0 < αλ < 2 + 2γ holds in floating point (up to rounding to 1 itself).
    Entries with D < 0 are meaningless.
    """
    b, disc = _b_and_discriminant(alpha, gamma, lam)
    rough = 0.5 * (np.abs(b) + np.sqrt(np.maximum(disc, 0.0)))
    gamma_b = np.broadcast_to(gamma, rough.shape)
    small = np.divide(gamma_b, rough, out=np.zeros_like(rough), where=rough > 0)
    gap = np.where(disc >= 0, 1.0 - small, 1.0)  # > 0 wherever D ≥ 0
    a_lam = alpha * lam
    dist = np.where(b > 0, a_lam, 2.0 + 2.0 * gamma - a_lam)  # p(±1)
    return b, disc, 1.0 - dist / gap


def _root_pair(
    b: np.ndarray, c: np.ndarray, disc: np.ndarray, dominant: np.ndarray
) -> tuple[complex | np.ndarray, complex | np.ndarray]:
    """The roots of σ² − bσ + c = 0 (discriminant ``disc``), dominant first, as complex.

    Real roots: σ₁ = sign(b)·``dominant`` (its modulus, computed accurately by the caller)
    and σ₂ = c/σ₁ (no cancellation); complex roots: b/2 ± i√(−D)/2.
    """
    real = disc >= 0
    half_sq = 0.5 * np.sqrt(np.abs(disc))
    big = np.copysign(dominant, b)
    small = np.divide(np.broadcast_to(c, big.shape), big, out=np.zeros_like(big), where=big != 0)
    first = np.empty(b.shape, dtype=complex)
    second = np.empty(b.shape, dtype=complex)
    first.real = np.where(real, big, 0.5 * b)
    first.imag = np.where(real, 0.0, half_sq)
    second.real = np.where(real, small, 0.5 * b)
    second.imag = np.where(real, 0.0, -half_sq)
    return _out(first), _out(second)


def momentum_roots(
    lr: ArrayLike, momentum: ArrayLike, lam: ArrayLike
) -> tuple[complex | np.ndarray, complex | np.ndarray]:
    """The two roots of σ² − (1 + γ − αλ)σ + γ = 0, dominant (largest modulus) first.

    Real roots: σ₁ = (b + sign(b)√D)/2 (refined so that |σ₁| is accurate near 1, see
    :func:`momentum_rate`) and σ₂ = γ/σ₁ (no cancellation); complex roots: b/2 ± i√(−D)/2.
    Both are returned as complex numbers (arrays when the arguments broadcast to one).

    σ₁ = 0.8, σ₂ = 0.2 solve σ² − σ + 0.16 = 0, i.e. γ = 0.16 and αλ = 1 + γ − 1 = 0.16:

    >>> s1, s2 = momentum_roots(0.04, 0.16, 4.0)
    >>> round(s1.real, 12), round(s2.real, 12), s1.imag, s2.imag
    (0.8, 0.2, 0.0, 0.0)

    Complex pair for α = 0.1, γ = 0.5, λ = 2: b = 1.3, D = 1.69 − 2 = −0.31:

    >>> s1, s2 = momentum_roots(0.1, 0.5, 2.0)
    >>> round(s1.real, 12), round(s1.imag ** 2, 12), s1 == s2.conjugate()
    (0.65, 0.0775, True)
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam)
    with np.errstate(over="ignore"):
        b, disc, dominant = _real_dominant(alpha, gamma, lam_arr)
        return _root_pair(b, gamma, disc, dominant)


def momentum_rate(lr: ArrayLike, momentum: ArrayLike, lam: ArrayLike) -> FloatOrArray:
    """Per-step rate of heavy-ball momentum along curvature λ: ρ = max |σᵢ|.

    .. math:: ρ = \\begin{cases} \\sqrt{γ} & D < 0 \\text{ (complex roots)} \\\\
              (|b| + \\sqrt{D})/2 & D ≥ 0 \\end{cases}
              \\qquad b = 1 + γ − αλ,\\; D = b² − 4γ

    Both branches meet continuously at the double root (|b|/2 = √γ when D = 0). The
    real branch is evaluated through p(±1) so that ρ < 1 exactly when
    0 < αλ < 2 + 2γ (as :func:`momentum_stable` decides it), e.g. ρ = 1, not 1 − 1e-16,
    for λ = 0. For γ = 0 the result is exactly :func:`sgd_rate`, |1 − αλ|. Broadcasts
    over all three arguments and never warns (huge αλ gives ``inf``).

    >>> round(momentum_rate(0.04, 0.16, 4.0), 12)   # roots 0.8 and 0.2
    0.8
    >>> round(momentum_rate(0.04, 0.36, 4.0), 12)   # double root (1.36 − 0.16)/2
    0.6
    >>> round(momentum_rate(0.1, 0.0, 1.0), 12)     # SGD: |1 − 0.1|
    0.9
    >>> momentum_rate(0.25, 0.25, [9.0, 0.0]).round(12).tolist()  # double −0.5; λ=0: 1
    [0.5, 1.0]
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam)
    with np.errstate(over="ignore"):
        _, disc, real_rate = _real_dominant(alpha, gamma, lam_arr)
        rate = np.where(disc < 0, np.sqrt(gamma), real_rate)
        rate = np.where(gamma == 0, np.abs(1.0 - alpha * lam_arr), rate)
    return _out(rate)


def critical_momentum(lr: ArrayLike, lam: ArrayLike) -> FloatOrArray:
    """The momentum γ_c = (1 − √(αλ))² at which the two roots coincide (D = 0).

    * αλ ≤ 1: critical damping. γ < γ_c gives two positive real roots (overdamped,
      "monotone"), γ > γ_c complex roots (underdamped, rate √γ). The double root is
      1 − √(αλ) ≥ 0, and γ_c is the momentum with the smallest rate for this λ.
    * 1 < αλ < 4: the step already overshoots, so no γ avoids oscillation. The double
      root −√γ_c is negative: γ_c separates sign-flipping real roots (γ < γ_c) from
      complex ones (γ > γ_c); it still minimises the rate, to √(αλ) − 1.
    * αλ ≥ 4: γ_c ≥ 1 lies outside the allowed range: every γ in [0, 1) diverges.
    * λ < 0: D > 0 for every γ (no double root); returns NaN.

    >>> round(critical_momentum(0.04, 4.0), 12)   # (1 − √0.16)² = 0.6²
    0.36
    >>> round(critical_momentum(0.25, 9.0), 12)   # (1 − √2.25)² = (−0.5)²
    0.25
    >>> critical_momentum(0.1, -1.0)
    nan
    """
    alpha = check_lr(lr)
    lam_arr = check_curvature(lam)
    with np.errstate(over="ignore"):
        a_lam = alpha * lam_arr
        root = np.sqrt(np.maximum(a_lam, 0.0))
        return _out(np.where(a_lam >= 0, (1.0 - root) ** 2, np.nan))


def regime(lr: float, momentum: float, lam: float, *, tol: float = 1e-9) -> Regime:
    """Qualitative behaviour of the error along curvature λ: one of :data:`REGIMES`.

    Checked in this order:

    ``"divergent"``
        ρ ≥ 1: the error does not shrink. Decided by the exact inequality
        ``not 0 < αλ < 2 + 2γ`` (so it agrees with :func:`momentum_stable`): αλ ≥ 2 + 2γ
        overshoots ever more, λ < 0 grows away from a saddle/maximum, λ = 0 stays put.
    ``"critically damped"``
        a non-negative double root, γ = (1 − √(αλ))² with αλ ≤ 1 (within ``tol`` on
        √γ). Fastest non-oscillating decay. With γ = 0 this is αλ = 1 (one-step jump).
    ``"oscillating (complex roots)"``
        D < 0: the error spirals, rate √γ; its sign changes about every π/arg(σ) steps.
    ``"oscillating (sign flips)"``
        negative real root(s) dominate (b < 0): the error alternates sign every step
        (SGD with 1 < αλ < 2; also the negative double root when αλ > 1).
    ``"monotone"``
        real, non-negative roots (b > 0): overdamped (SGD: 0 < αλ < 1). Started from
        rest (v = 0) the error then shrinks strictly and never crosses zero, since
        e_t ∝ σ₁^{t+1}(1 − σ₂) − σ₂^{t+1}(1 − σ₁) with 1 > σ₁ > σ₂ ≥ 0.

    >>> regime(0.1, 0.0, 1.0), regime(0.4, 0.0, 4.0), regime(0.5, 0.0, 4.0)
    ('monotone', 'oscillating (sign flips)', 'divergent')
    >>> regime(0.1, 0.5, 2.0), regime(0.04, 0.16, 4.0), regime(0.04, 0.36, 4.0)
    ('oscillating (complex roots)', 'monotone', 'critically damped')
    """
    alpha = float(check_lr(lr))
    gamma = float(check_momentum(momentum))
    lam_f = float(check_curvature(lam))
    a_lam = alpha * lam_f
    if not 0.0 < a_lam < 2.0 + 2.0 * gamma:
        return "divergent"
    root_a_lam = math.sqrt(a_lam)
    if root_a_lam <= 1.0 + tol and abs(math.sqrt(gamma) - abs(1.0 - root_a_lam)) <= tol:
        return "critically damped"
    b, disc = _b_and_discriminant(np.float64(alpha), np.float64(gamma), np.float64(lam_f))
    if disc < 0:
        return "oscillating (complex roots)"
    return "monotone" if b > 0 else "oscillating (sign flips)"


# --- Nesterov ----------------------------------------------------------------------------------


def _nesterov_terms(
    alpha: np.ndarray, gamma: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """q = 1 − αλ, b = (1 + γ)q, c = γq and D = b² − 4c = q((1 + γ)²q − 4γ)."""
    q = 1.0 - alpha * lam
    b = (1.0 + gamma) * q
    c = gamma * q
    disc = q * ((1.0 + gamma) ** 2 * q - 4.0 * gamma)
    return q, b, c, disc


def _nesterov_real_dominant(
    alpha: np.ndarray, gamma: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """b, c, D and |σ₁|, the dominant root's modulus *if* the roots are real (D ≥ 0).

    As for heavy ball (:func:`_real_dominant`), |σ₁| is taken through p(±1), with
    p(σ) = σ² − bσ + c = (σ − σ₁)(σ − σ₂): p(1) = αλ and p(−1) = 1 + (1 + 2γ)(1 − αλ), so

        |σ₁| = 1 − p(s)/(1 − s·σ₂),   s = sign(b),  σ₂ = c/σ₁

    is < 1 exactly when 0 < αλ < (2 + 2γ)/(1 + 2γ) holds in floating point. Where
    1 − s·σ₂ is not positive (λ ≪ 0, far outside the stable range) the plain
    (|b| + √D)/2 is kept. Entries with D < 0 are meaningless.
    """
    q, b, c, disc = _nesterov_terms(alpha, gamma, lam)
    rough = 0.5 * (np.abs(b) + np.sqrt(np.maximum(disc, 0.0)))
    sign = np.where(b < 0, -1.0, 1.0)
    c_b = np.broadcast_to(c, rough.shape)
    small = np.divide(c_b, sign * rough, out=np.zeros_like(rough), where=rough > 0)
    gap = 1.0 - sign * small
    a_lam = alpha * lam
    p_s = np.where(b < 0, 1.0 + (1.0 + 2.0 * gamma) * q, a_lam)
    refined = 1.0 - np.divide(p_s, gap, out=np.zeros_like(rough), where=gap > 0)
    dominant = np.where((gap > 0) & (rough > 0), refined, rough)
    return b, c, disc, dominant


def nesterov_roots(
    lr: ArrayLike, momentum: ArrayLike, lam: ArrayLike
) -> tuple[complex | np.ndarray, complex | np.ndarray]:
    r"""The two roots of Nesterov's σ² − (1 + γ)(1 − αλ)σ + γ(1 − αλ) = 0, dominant first.

    With our convention (gradient at the look-ahead point θ − γv, see
    :mod:`~momentum_viz.numerics.optimizer`) the error along curvature λ obeys

    .. math:: e_{t+1} = (1 − αλ)\bigl((1 + γ)\,e_t − γ\,e_{t−1}\bigr),

    whose characteristic polynomial is the one above (Lessard, Recht & Packard 2016,
    "Analysis and design of optimization algorithms via integral quadratic
    constraints", SIAM J. Optim. 26(1)). Real roots: σ₁ with |σ₁| refined as in
    :func:`nesterov_rate`, σ₂ = γ(1 − αλ)/σ₁; complex roots: b/2 ± i√(−D)/2 with
    b = (1 + γ)(1 − αλ), D = b² − 4γ(1 − αλ). Returned as complex numbers (arrays when
    the arguments broadcast to one).

    αλ = 0.5, γ = 0.5: b = 0.75, c = 0.25, D = 0.5625 − 1 < 0, so a complex pair of
    modulus √c = 0.5:

    >>> s1, s2 = nesterov_roots(0.05, 0.5, 10.0)
    >>> round(s1.real, 12), round(abs(s1), 12), s1 == s2.conjugate()
    (0.375, 0.5, True)
    >>> [round(r.real, 12) for r in nesterov_roots(0.1, 0.0, 30.0)]   # SGD: 1 − αλ, 0
    [-2.0, 0.0]
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam)
    with np.errstate(over="ignore", invalid="ignore"):
        b, c, disc, dominant = _nesterov_real_dominant(alpha, gamma, lam_arr)
        return _root_pair(b, c, disc, dominant)


def nesterov_rate(lr: ArrayLike, momentum: ArrayLike, lam: ArrayLike) -> FloatOrArray:
    r"""Per-step rate of Nesterov's method along curvature λ: ρ = max |σᵢ|.

    .. math:: ρ = \begin{cases} \sqrt{γ(1 − αλ)} & D < 0 \text{ (complex roots)} \\
              (|b| + \sqrt{D})/2 & D ≥ 0 \end{cases}
              \qquad b = (1 + γ)(1 − αλ),\; D = b² − 4γ(1 − αλ)

    ρ < 1 exactly when 0 < αλ < (2 + 2γ)/(1 + 2γ) (:func:`nesterov_stable`). For γ = 0
    it is exactly :func:`sgd_rate`. Broadcasts over all three arguments, never warns.

    >>> round(nesterov_rate(0.05, 0.5, 10.0), 12)      # complex pair, √(0.5·0.5)
    0.5
    >>> round(nesterov_rate(0.1, 0.0, 5.0), 12)        # SGD: |1 − 0.5|
    0.5
    >>> nesterov_rate(0.1, 0.5, [15.0, 0.0]).round(12).tolist()  # αλ = 1.5 = 3/2: ρ = 1
    [1.0, 1.0]
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam)
    with np.errstate(over="ignore", invalid="ignore"):
        _, c, disc, real_rate = _nesterov_real_dominant(alpha, gamma, lam_arr)
        rate = np.where(disc < 0, np.sqrt(np.abs(c)), real_rate)
        rate = np.where(gamma == 0, np.abs(1.0 - alpha * lam_arr), rate)
    return _out(rate)


def nesterov_stable(lr: ArrayLike, momentum: ArrayLike, lam_max: ArrayLike) -> bool | np.ndarray:
    """Whether Nesterov's step size is stable: αλ_max < (2 + 2γ)/(1 + 2γ).

    From the Jury conditions on σ² − bσ + c: p(1) = αλ > 0, |c| < 1 and
    p(−1) = 1 + (1 + 2γ)(1 − αλ) > 0. The limit is below SGD's 2 for every γ > 0 and
    falls to 4/3 as γ → 1: unlike heavy ball (2 + 2γ, growing with γ), more momentum
    *lowers* Nesterov's largest stable step. Step-size condition only.

    >>> nesterov_stable(0.149, 0.5, 10.0), nesterov_stable(0.15, 0.5, 10.0)  # limit 1.5
    (True, False)
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam_max, "lam_max")
    with np.errstate(over="ignore"):
        return _out(alpha * lam_arr * (1.0 + 2.0 * gamma) < 2.0 + 2.0 * gamma)


def nesterov_max_stable_lr(momentum: ArrayLike, lam_max: ArrayLike) -> FloatOrArray:
    """Nesterov's step-size limit (2 + 2γ)/((1 + 2γ)λ_max); ``inf`` for λ_max ≤ 0.

    >>> round(nesterov_max_stable_lr(0.5, 10.0), 12), nesterov_max_stable_lr(0.0, 4.0)
    (0.15, 0.5)
    >>> round(nesterov_max_stable_lr(0.9, 50.0), 6)    # 3.8/(2.8·50), the κ = 50 bowl
    0.027143
    """
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam_max, "lam_max")
    shape = np.broadcast_shapes(gamma.shape, lam_arr.shape)
    num = np.broadcast_to((2.0 + 2.0 * gamma) / (1.0 + 2.0 * gamma), shape)
    out = np.full(shape, np.inf)
    with np.errstate(over="ignore"):
        np.divide(num, lam_arr, out=out, where=lam_arr > 0)
    return _out(out)


def nesterov_regime(lr: float, momentum: float, lam: float, *, tol: float = 1e-9) -> Regime:
    """Qualitative behaviour of Nesterov's error along curvature λ: one of :data:`REGIMES`.

    ``"divergent"`` when not 0 < αλ < (2 + 2γ)/(1 + 2γ); ``"critically damped"`` at a
    double root — √(αλ) = (1 − γ)/(1 + γ) (root 2γ/(1 + γ) ≥ 0), or αλ = 1 (root 0) —
    within ``tol``; ``"oscillating (complex roots)"`` when D < 0 (0 < 1 − αλ <
    4γ/(1 + γ)²); ``"monotone"`` for real positive roots (αλ < ((1 − γ)/(1 + γ))²);
    ``"oscillating (sign flips)"`` for αλ > 1 (real roots of opposite signs, the
    negative one dominant). With γ = 0 it agrees with :func:`regime`.

    >>> nesterov_regime(0.01, 0.5, 1.0), nesterov_regime(0.05, 0.5, 10.0)
    ('monotone', 'oscillating (complex roots)')
    >>> nesterov_regime(0.1, 0.5, 12.0), nesterov_regime(0.1, 0.5, 15.0)
    ('oscillating (sign flips)', 'divergent')
    >>> nesterov_regime(1.0 / 9.0, 0.5, 1.0)        # √(αλ) = 1/3 = (1 − 0.5)/(1 + 0.5)
    'critically damped'
    """
    alpha = float(check_lr(lr))
    gamma = float(check_momentum(momentum))
    lam_f = float(check_curvature(lam))
    a_lam = alpha * lam_f
    if not 0.0 < a_lam * (1.0 + 2.0 * gamma) < 2.0 + 2.0 * gamma:
        return "divergent"
    root_a_lam = math.sqrt(a_lam)
    if abs(root_a_lam - (1.0 - gamma) / (1.0 + gamma)) <= tol or abs(root_a_lam - 1.0) <= tol:
        return "critically damped"
    _, b, _, disc = _nesterov_terms(np.float64(alpha), np.float64(gamma), np.float64(lam_f))
    if disc < 0:
        return "oscillating (complex roots)"
    return "monotone" if b > 0 else "oscillating (sign flips)"


# --- stability ------------------------------------------------------------------------------


def sgd_stable(lr: ArrayLike, lam_max: ArrayLike) -> bool | np.ndarray:
    """Whether SGD's step size is stable along the stiffest direction: αλ_max < 2.

    This is the step-size condition only; convergence also needs every λ > 0.

    >>> sgd_stable(0.19, 10.0), sgd_stable(0.2, 10.0)   # αλ = 1.9, 2.0
    (True, False)
    """
    alpha = check_lr(lr)
    lam_arr = check_curvature(lam_max, "lam_max")
    with np.errstate(over="ignore"):
        return _out(alpha * lam_arr < 2.0)


def momentum_stable(lr: ArrayLike, momentum: ArrayLike, lam_max: ArrayLike) -> bool | np.ndarray:
    """Whether momentum's step size is stable: αλ_max < 2 + 2γ (for 0 ≤ γ < 1).

    At αλ = 2 + 2γ the roots are −1 and −γ. Momentum thus tolerates step sizes up to
    (1 + γ) times larger than SGD. Step-size condition only, as for :func:`sgd_stable`.

    >>> momentum_stable(0.29, 0.5, 10.0), momentum_stable(0.3, 0.5, 10.0)  # 2.9, 3 vs 3
    (True, False)
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam_max, "lam_max")
    with np.errstate(over="ignore"):
        return _out(alpha * lam_arr < 2.0 + 2.0 * gamma)


def max_stable_lr(momentum: ArrayLike, lam_max: ArrayLike) -> FloatOrArray:
    """The step-size limit (2 + 2γ)/λ_max (use γ = 0 for SGD: 2/λ_max); α must stay below.

    For λ_max ≤ 0 no step size overshoots: returns ``inf``.

    >>> round(max_stable_lr(0.9, 10.0), 12), max_stable_lr(0.0, 4.0), max_stable_lr(0.5, 0.0)
    (0.38, 0.5, inf)
    """
    gamma = check_momentum(momentum)
    lam_arr = check_curvature(lam_max, "lam_max")
    num = np.broadcast_to(2.0 + 2.0 * gamma, np.broadcast_shapes(gamma.shape, lam_arr.shape))
    out = np.full(num.shape, np.inf)
    with np.errstate(over="ignore"):
        np.divide(num, lam_arr, out=out, where=lam_arr > 0)
    return _out(out)


# --- advice when a run diverges ---------------------------------------------------------------


def effective_lr(lr: ArrayLike, momentum: ArrayLike) -> FloatOrArray:
    r"""The effective step α/(1 − γ): the step momentum settles to on a constant slope.

    With a constant gradient g the velocity obeys v ← γv + αg, whose fixed point is
    v = αg/(1 − γ): on a long, even slope momentum moves like SGD with step α/(1 − γ).
    (Nesterov, whose look-ahead gradient is the same g there, too.)

    >>> round(effective_lr(1e-3, 0.99), 12)    # γ = 0.99 at α = 1e-3 is SGD at 0.1 on a slope
    0.1
    >>> effective_lr(0.1, [0.0, 0.5]).round(12).tolist()
    [0.1, 0.2]
    """
    alpha = check_lr(lr)
    gamma = check_momentum(momentum)
    return _out(alpha / (1.0 - gamma))


class DivergenceAdvice(NamedTuple):
    """What the local quadratic model says about a step size that diverges.

    Attributes:
        method: "sgd", "momentum" or "nesterov".
        lr_limit: the α bound at this γ for this method near this point (α must stay
            below it): 2/λmax, (2 + 2γ)/λmax or (2 + 2γ)/((1 + 2γ)λmax); ``inf`` when
            λmax ≤ 0 (no step size overshoots: divergence there is not the step's fault).
        diverges: α ≥ ``lr_limit``: the step size alone makes the run diverge here.
        lower_momentum_helps: lowering γ raises ``lr_limit`` (Nesterov, γ > 0); never
            for heavy ball (its bound *grows* with γ) or SGD (no γ).
        stable_momenta: the γ in [0, 1) for which this α is stable, as (low, high):
            heavy ball γ > αλmax/2 − 1; Nesterov γ < (2 − αλmax)/(2αλmax − 2) when
            αλmax > 1; (nan, nan) when none is (α too large for any γ).
        lr: the step size α that was judged.
        lam_max: the largest eigenvalue λmax of the local model.

    The sentence a student reads is written from these facts by
    :func:`momentum_viz.views.words.divergence_sentence`.
    """

    method: str
    lr_limit: float
    diverges: bool
    lower_momentum_helps: bool
    stable_momenta: tuple[float, float]
    lr: float
    lam_max: float


def divergence_advice(method: str, lr: float, momentum: float, lam_max: float) -> DivergenceAdvice:
    r"""Advice for a step size that overshoots, from the quadratic model near a point.

    The step-size limits on a quadratic with largest eigenvalue λmax are

    .. math:: α < \frac{2}{λ_{max}} \;(\text{SGD}), \qquad
              α < \frac{2 + 2γ}{λ_{max}} \;(\text{heavy ball}), \qquad
              α < \frac{2 + 2γ}{(1 + 2γ)\,λ_{max}} \;(\text{Nesterov}),

    (:func:`max_stable_lr`, :func:`nesterov_max_stable_lr`). Heavy ball's grows with γ,
    so "lower γ" is wrong advice for its step-size divergence: *raising* γ can help.
    Nesterov's falls with γ, so lowering γ helps there. On a curved, non-quadratic
    surface a run can also diverge by overshooting where λmax is larger than at the
    point analysed; the advice is only as good as the local model.

    κ = 50 bowl (λmax = 50), α = 0.05: heavy ball needs α < (2 + 2γ)/50, i.e. γ > 0.25:

    >>> a = divergence_advice("momentum", 0.05, 0.1, 50.0)
    >>> round(a.lr_limit, 12), a.diverges, a.lower_momentum_helps, a.stable_momenta
    (0.044, True, False, (0.25, 1.0))
    >>> divergence_advice("momentum", 0.05, 0.3, 50.0).diverges
    False
    >>> a = divergence_advice("nesterov", 0.03, 0.9, 50.0)    # αλ = 1.5: γ < 0.5
    >>> round(a.lr_limit, 6), a.diverges, a.lower_momentum_helps, a.stable_momenta
    (0.027143, True, True, (0.0, 0.5))
    """
    method = check_method(method)
    alpha = float(check_lr(lr))
    gamma = 0.0 if method == "sgd" else float(check_momentum(momentum))
    lam = float(check_curvature(lam_max, "lam_max"))
    a_lam = alpha * lam
    nan = math.nan
    if method == "sgd":
        limit = float(max_stable_lr(0.0, lam))
        momenta = (0.0, 1.0) if a_lam < 2.0 else (nan, nan)
        helps = False
    elif method == "momentum":
        limit = float(max_stable_lr(gamma, lam))
        low = max(0.0, 0.5 * a_lam - 1.0)
        momenta = (low, 1.0) if low < 1.0 else (nan, nan)
        helps = False
    else:
        limit = float(nesterov_max_stable_lr(gamma, lam))
        if a_lam <= 1.0:
            momenta = (0.0, 1.0)
        elif a_lam < 2.0:
            momenta = (0.0, min(1.0, (2.0 - a_lam) / (2.0 * a_lam - 2.0)))
        else:
            momenta = (nan, nan)
        helps = gamma > 0 and lam > 0
    diverges = alpha >= limit
    return DivergenceAdvice(method, limit, diverges, helps, momenta, alpha, lam)


# --- optimal parameters (Polyak's heavy ball) -------------------------------------------------


def _check_spectrum(lam_min: float, lam_max: float) -> tuple[float, float]:
    # Optimal parameters need a positive definite Hessian: λmin > 0.
    lo = check_real("lam_min", lam_min, low=0.0, strict=True)
    hi = check_real("lam_max", lam_max)
    if not hi >= lo:
        raise reject("lam_max", f"a finite number in [lam_min = {lo!r}, inf)", hi)
    return lo, hi


def optimal_sgd_lr(lam_min: float, lam_max: float) -> float:
    """The SGD step α = 2/(λ_min + λ_max) that balances |1 − αλ_min| = |1 − αλ_max|.

    >>> optimal_sgd_lr(1.0, 3.0)    # 2/4
    0.5
    """
    lo, hi = _check_spectrum(lam_min, lam_max)
    return 2.0 / (lo + hi)


def optimal_momentum_params(lam_min: float, lam_max: float) -> tuple[float, float]:
    """Optimal heavy-ball parameters (α*, γ*) for eigenvalues in [λ_min, λ_max].

    .. math:: α^* = \\Bigl(\\frac{2}{\\sqrt{λ_{min}} + \\sqrt{λ_{max}}}\\Bigr)^2, \\qquad
              γ^* = \\Bigl(\\frac{\\sqrt{κ} − 1}{\\sqrt{κ} + 1}\\Bigr)^2, \\quad κ = λ_{max}/λ_{min}

    γ* is the critical momentum at both ends of the spectrum (a double root, positive at
    λ_min, negative at λ_max), and every λ in between has complex roots: the rate is
    √γ* throughout. Written in λ (not κ), so a tiny λ_min does not overflow.

    κ = 100 (λ = 1, 100): α* = (2/11)² = 4/121, γ* = (9/11)² = 81/121:

    >>> a, g = optimal_momentum_params(1.0, 100.0)
    >>> round(a * 121, 12), round(g * 121, 12)
    (4.0, 81.0)
    """
    lo, hi = _check_spectrum(lam_min, lam_max)
    s_lo, s_hi = math.sqrt(lo), math.sqrt(hi)
    return 4.0 / (s_lo + s_hi) ** 2, ((s_hi - s_lo) / (s_hi + s_lo)) ** 2


def optimal_rates(lam_min: float, lam_max: float) -> tuple[float, float]:
    """Rates at the optimal parameters: SGD (κ − 1)/(κ + 1), momentum (√κ − 1)/(√κ + 1).

    κ = 100: SGD 99/101 ≈ 0.980 (≈ κ/2 = 50 steps per factor e), momentum 9/11 ≈ 0.818
    (≈ √κ/2 = 5 steps per factor e).

    >>> sgd, mom = optimal_rates(1.0, 100.0)
    >>> round(sgd * 101, 12), round(mom * 11, 12)
    (99.0, 9.0)
    """
    lo, hi = _check_spectrum(lam_min, lam_max)
    s_lo, s_hi = math.sqrt(lo), math.sqrt(hi)
    return (hi - lo) / (hi + lo), (s_hi - s_lo) / (s_hi + s_lo)


def optimal_nesterov_params(lam_min: float, lam_max: float) -> tuple[float, float]:
    r"""Nesterov's tuned parameters (α, γ) for eigenvalues in [λ_min, λ_max].

    .. math:: α = \frac{4}{3λ_{max} + λ_{min}}, \qquad
              γ = \frac{\sqrt{3κ + 1} − 2}{\sqrt{3κ + 1} + 2}, \quad κ = λ_{max}/λ_{min}

    (Lessard, Recht & Packard 2016, SIAM J. Optim. 26(1)), with the rate
    :func:`optimal_nesterov_rate`, 1 − 2/√(3κ + 1): a double root at λ_min. These are
    *not* heavy ball's α*, γ* (Nesterov at those diverges when κ is large).

    κ = 50 (λ = 1, 50): α = 4/151, √151 ≈ 12.288:

    >>> a, g = optimal_nesterov_params(1.0, 50.0)
    >>> round(a * 151, 12), round(g, 4)
    (4.0, 0.72)
    """
    lo, hi = _check_spectrum(lam_min, lam_max)
    root = math.sqrt(3.0 * hi / lo + 1.0)
    return 4.0 / (3.0 * hi + lo), (root - 2.0) / (root + 2.0)


def optimal_nesterov_rate(lam_min: float, lam_max: float) -> float:
    """The rate 1 − 2/√(3κ + 1) of :func:`optimal_nesterov_params` (κ = 50: 0.837).

    Between SGD's best (κ − 1)/(κ + 1) and heavy ball's (√κ − 1)/(√κ + 1): about
    √(3κ)/2 steps per factor e.

    >>> round(optimal_nesterov_rate(1.0, 50.0), 4), optimal_nesterov_rate(1.0, 1.0)
    (0.8372, 0.0)
    """
    lo, hi = _check_spectrum(lam_min, lam_max)
    return 1.0 - 2.0 / math.sqrt(3.0 * hi / lo + 1.0)


# --- local quadratic model -----------------------------------------------------------------------


def local_eigenvalues(hessian_2x2: ArrayLike) -> tuple[float, float]:
    """Eigenvalues (λ_min, λ_max) of a symmetric 2×2 Hessian, ascending.

    Only the symmetric part ½(H + Hᵀ) is used (it is what the quadratic model sees).

    >>> local_eigenvalues([[2.0, 1.0], [1.0, 2.0]])   # 2 ∓ 1
    (1.0, 3.0)
    >>> local_eigenvalues([[1.0, 0.0], [0.0, -0.5]])  # a saddle
    (-0.5, 1.0)
    """
    allowed = "a finite matrix of shape (2, 2)"
    h = as_float_array("hessian_2x2", hessian_2x2, allowed)
    if h.shape != (2, 2):
        raise reject("hessian_2x2", allowed, Shape(h.shape))
    if not np.isfinite(h).all():
        raise reject("hessian_2x2", allowed, h.tolist())
    lo, hi = np.linalg.eigvalsh(0.5 * (h + h.T))
    return float(lo), float(hi)


# --- report for the UI ------------------------------------------------------------------------


class EigenAnalysis(NamedTuple):
    """Rates and regimes along one eigen-direction."""

    lam: float
    sgd_rate: float
    sgd_regime: Regime
    momentum_rate: float
    momentum_regime: Regime
    nesterov_rate: float
    nesterov_regime: Regime


@dataclass(frozen=True)
class TheoryReport:
    """Everything the theory predicts for (α, γ) on a quadratic with given eigenvalues.

    ``directions`` is sorted by λ (ascending). Overall rates are the maxima over the
    directions (the slowest direction wins). The ``optimal_*`` fields and
    ``condition_number`` are ``None`` unless every eigenvalue is > 0. ``optimal_lr``,
    ``optimal_momentum`` are heavy ball's; ``optimal_nesterov_*`` Nesterov's own.
    All of it describes the (local) quadratic model only. Facts only: the warnings a
    student reads are written from them by :func:`momentum_viz.views.words.theory_warnings`.
    """

    lr: float
    momentum: float
    directions: tuple[EigenAnalysis, ...]
    lam_min: float
    lam_max: float
    sgd_rate: float
    momentum_rate: float
    positive_definite: bool
    sgd_stable: bool
    momentum_stable: bool
    sgd_max_lr: float
    momentum_max_lr: float
    condition_number: float | None
    optimal_sgd_lr: float | None
    optimal_sgd_rate: float | None
    optimal_lr: float | None
    optimal_momentum: float | None
    optimal_momentum_rate: float | None
    nesterov_rate: float
    nesterov_stable: bool
    nesterov_max_lr: float
    optimal_nesterov_lr: float | None
    optimal_nesterov_momentum: float | None
    optimal_nesterov_rate: float | None

    @property
    def sgd_converges(self) -> bool:
        """Stable step and positive definite: every direction has ρ < 1."""
        return self.sgd_stable and self.positive_definite

    @property
    def momentum_converges(self) -> bool:
        """Stable step and positive definite: every direction has ρ < 1."""
        return self.momentum_stable and self.positive_definite

    @property
    def nesterov_converges(self) -> bool:
        """Stable step and positive definite: every direction has ρ < 1."""
        return self.nesterov_stable and self.positive_definite


def _directions(alpha: float, gamma: float, lams: np.ndarray) -> tuple[EigenAnalysis, ...]:
    """Rate and regime of SGD, momentum and Nesterov along each eigen-direction (sorted λ)."""
    sgd_rates = np.atleast_1d(sgd_rate(alpha, lams))
    mom_rates = np.atleast_1d(momentum_rate(alpha, gamma, lams))
    nes_rates = np.atleast_1d(nesterov_rate(alpha, gamma, lams))
    return tuple(
        EigenAnalysis(
            lam=float(lam),
            sgd_rate=float(s),
            sgd_regime=regime(alpha, 0.0, float(lam)),
            momentum_rate=float(m),
            momentum_regime=regime(alpha, gamma, float(lam)),
            nesterov_rate=float(n),
            nesterov_regime=nesterov_regime(alpha, gamma, float(lam)),
        )
        for lam, s, m, n in zip(lams, sgd_rates, mom_rates, nes_rates, strict=True)
    )


def analyse(lr: float, momentum: float, eigenvalues: ArrayLike) -> TheoryReport:
    """Analyse SGD, heavy-ball momentum and Nesterov with step α = ``lr``, γ = ``momentum``.

    ``eigenvalues`` are those of the (local) Hessian: a 1-D sequence of finite numbers of
    any sign (use :func:`local_eigenvalues` for a 2×2 Hessian). Never raises for λ ≤ 0:
    such directions get ρ ≥ 1 ("divergent") and ``positive_definite`` is False.

    λ = 1, 10 with α = 0.1, γ = 0.5: SGD |1 − 0.1| = 0.9 and |1 − 1| = 0; for momentum
    b = 1.4 and 0.5, D = 1.96 − 2 and 0.25 − 2, both negative: complex roots, rate √0.5:

    >>> r = analyse(0.1, 0.5, [10.0, 1.0])
    >>> [d.lam for d in r.directions], round(r.sgd_rate, 12), round(r.momentum_rate ** 2, 12)
    ([1.0, 10.0], 0.9, 0.5)
    >>> r.sgd_max_lr, round(r.momentum_max_lr, 12)
    (0.2, 0.3)
    >>> r = analyse(0.3, 0.1, [1.0, 10.0])   # αλ_max = 3 ≥ 2, 2.2, 1.83
    >>> r.sgd_stable, r.momentum_stable, r.nesterov_stable
    (False, False, False)

    Nesterov's limit is below SGD's for every γ > 0: at α = 0.14, γ = 0.5, λ = 10 the
    heavy ball is stable (1.4 < 3) and Nesterov too (1.4 < 1.5), at α = 0.16 only
    heavy ball is (1.6 ≥ 1.5):

    >>> r = analyse(0.16, 0.5, [1.0, 10.0])
    >>> r.momentum_stable, r.nesterov_stable, round(r.nesterov_max_lr, 12)
    (True, False, 0.15)
    >>> r = analyse(0.1, 0.5, [-0.3, 1.0])
    >>> r.positive_definite, r.optimal_lr, r.directions[0].momentum_regime
    (False, None, 'divergent')
    """
    alpha = float(check_lr(lr))
    gamma = float(check_momentum(momentum))
    lams = _sorted_eigenvalues(eigenvalues)
    directions = _directions(alpha, gamma, lams)
    lam_min, lam_max = float(lams[0]), float(lams[-1])
    return TheoryReport(
        lr=alpha,
        momentum=gamma,
        directions=directions,
        lam_min=lam_min,
        lam_max=lam_max,
        sgd_rate=max(d.sgd_rate for d in directions),
        momentum_rate=max(d.momentum_rate for d in directions),
        positive_definite=lam_min > 0,
        sgd_stable=bool(sgd_stable(alpha, lam_max)),
        momentum_stable=bool(momentum_stable(alpha, gamma, lam_max)),
        sgd_max_lr=float(max_stable_lr(0.0, lam_max)),
        momentum_max_lr=float(max_stable_lr(gamma, lam_max)),
        nesterov_rate=max(d.nesterov_rate for d in directions),
        nesterov_stable=bool(nesterov_stable(alpha, gamma, lam_max)),
        nesterov_max_lr=float(nesterov_max_stable_lr(gamma, lam_max)),
        **_optimum_fields(lam_min, lam_max),
    )


def _sorted_eigenvalues(eigenvalues: ArrayLike) -> np.ndarray:
    """The eigenvalues as a sorted, non-empty 1-D array (a single number is one λ)."""
    lams = check_curvature(eigenvalues, "eigenvalues")
    if lams.ndim == 0:
        lams = lams.reshape(1)
    if lams.ndim != 1 or lams.size == 0:
        allowed = "a non-empty 1-D sequence of numbers (for a 2×2 Hessian H: local_eigenvalues(H))"
        raise reject("eigenvalues", allowed, Shape(lams.shape))
    return np.sort(lams)


def _optimum_fields(lam_min: float, lam_max: float) -> dict[str, float | None]:
    """The report's κ and optimal-parameter fields: all None unless λmin > 0."""
    fields: dict[str, float | None] = dict.fromkeys(
        (
            "condition_number",
            "optimal_sgd_lr",
            "optimal_sgd_rate",
            "optimal_lr",
            "optimal_momentum",
            "optimal_momentum_rate",
            "optimal_nesterov_lr",
            "optimal_nesterov_momentum",
            "optimal_nesterov_rate",
        )
    )
    if lam_min > 0:
        fields["condition_number"] = lam_max / lam_min
        fields["optimal_sgd_lr"] = optimal_sgd_lr(lam_min, lam_max)
        fields["optimal_lr"], fields["optimal_momentum"] = optimal_momentum_params(lam_min, lam_max)
        fields["optimal_sgd_rate"], fields["optimal_momentum_rate"] = optimal_rates(
            lam_min, lam_max
        )
        nesterov_lr, nesterov_momentum = optimal_nesterov_params(lam_min, lam_max)
        fields["optimal_nesterov_lr"] = nesterov_lr
        fields["optimal_nesterov_momentum"] = nesterov_momentum
        fields["optimal_nesterov_rate"] = optimal_nesterov_rate(lam_min, lam_max)
    return fields


# --- measuring a rate from a run -------------------------------------------------------------

#: L − L* below this many machine epsilons of the loss's scale is rounding (see
#: :func:`measured_rate`).
ROUNDING_ULPS = 16.0


def measured_rate(
    losses: ArrayLike,
    *,
    skip: int = 0,
    min_points: int = 5,
    loss_min: float = 0.0,
    window: tuple[float, float] = (1e-8, 1e-1),
    converged_at: int | None = None,
    max_residual: float = 1.0,
    floor_margin: float = 1e3,
) -> float:
    r"""Estimate the asymptotic per-step rate ρ of the *error* from the tail of a loss curve.

    Near a minimum the excess loss L_t − L* is quadratic in the error, so it decays like
    C·ρ^{2t}. This returns ρ = exp(s/2), where s is the least-squares slope of
    log(L_t − L*) against t over the curve's *tail* (the asymptotic, linear phase) —
    the rate of the error, directly comparable with :func:`sgd_rate`,
    :func:`momentum_rate`, :func:`nesterov_rate` and ``TheoryReport.*_rate``.

    How the points are chosen:

    1. drop the first ``skip`` losses and subtract ``loss_min`` (L*, 0 for the bowls);
    2. oscillating runs make the loss dip towards zero between peaks, so only the points
       of the *upper envelope* are used: those at least as large as every later one;
    3. drop the early phase above ``window[1]`` times the largest excess, and the floor
       the curve ends on (rounding, or noise): points within ``floor_margin`` of the
       final envelope level; rounding counts as 0 (see :func:`_without_rounding`);
    4. of what remains, fit the tail: the lower half of its range in log(excess)
       (at least the last ``min_points`` points). The early phase of a run on a
       non-quadratic surface is nonlinear; only the tail is governed by the Hessian at
       the minimum (e.g. Himmelblau, SGD at its defaults: 0.676, not 0.626 from a fit
       starting at the top). The line goes through the vertices of the tail's upper
       convex hull (a spiral's loss dips between its peaks; the peaks decay like ρ^{2t}).

    Returns NaN, without warning — blank, not a misleading number — when:

    * ``converged_at`` is given and negative (the run did not settle; pass
      ``Run.converged_at``);
    * the curve has non-finite values (diverged), or fewer than ``min_points`` points
      remain (too short, instant convergence);
    * the excess did not fall to ``window[0]`` times its largest value: no settled
      decay to measure (a run still far off, a noisy run rattling at a noise floor,
      a growing loss);
    * the tail is not geometric: the standard deviation of the residuals of log(excess)
      about the fitted line (of the hull's vertices, if fitted) exceeds ``max_residual``.
      Where the tail has at least ``min_points`` local maxima (an oscillating loss) only
      those count, so the staircase envelope of a slowly rotating spiral is not noise.

    Caveat: at a double root (critical damping, optimal parameters) the error behaves
    like t·ρ^t, and the polynomial factor makes the estimate slightly too large.

    >>> round(measured_rate([0.81 ** t for t in range(120)]), 12)  # loss 0.81^t = (0.9²)^t
    0.9
    >>> measured_rate([1.0, 0.5, 0.25])                       # too few points
    nan
    >>> measured_rate([0.81 ** t for t in range(120)], converged_at=-1)  # not settled
    nan
    """
    arr = as_float_array("losses", losses, "a 1-D sequence of numbers")
    if arr.ndim != 1:
        raise reject("losses", "a 1-D sequence of numbers", Shape(arr.shape))
    skip = check_whole("skip", skip, 0)
    min_points = check_whole("min_points", min_points, 2)
    floor_frac, ceil_frac = _checked_window(window)
    loss_min_f = check_real("loss_min", loss_min)
    if converged_at is not None:
        converged_at = check_whole("converged_at", converged_at, -1)
    max_residual = check_real("max_residual", max_residual, low=0.0, strict=True)
    floor_margin = check_real("floor_margin", floor_margin, low=1.0)

    excess = arr[skip:] - loss_min_f
    if converged_at is not None and converged_at < 0:
        return math.nan
    if excess.size < min_points or not np.isfinite(excess).all():
        return math.nan
    excess = _without_rounding(excess, max(abs(loss_min_f), abs(float(arr[-1]))))
    tail = _decay_tail(excess, min_points, (floor_frac, ceil_frac), floor_margin)
    if tail is None:
        return math.nan
    return _geometric_rate(*tail, min_points=min_points, max_residual=max_residual)


def _checked_window(window: tuple[float, float]) -> tuple[float, float]:
    """The (low, high) window of :func:`measured_rate`, checked."""
    low, high = (float(w) for w in window)
    if not 0.0 < low < high <= 1.0:
        raise reject("window", "a pair (low, high) with 0 < low < high ≤ 1", window)
    return low, high


def _without_rounding(excess: np.ndarray, scale: float) -> np.ndarray:
    """The excess L − L* with rounding set to 0: an excess below ``ROUNDING_ULPS`` machine
    epsilons of ``scale`` (max(|L*|, |final loss|)). L − L* is known only to a few ulps of
    the loss near the minimum: below that the run is at the minimum as far as doubles can
    tell, and log(excess) is rounding. (:func:`_decay_tail` also takes as the floor the
    level a loss that touched L* exactly rose to again: Himmelblau's minimum, 0 and
    6.3e-30 in turn.)"""
    rounding = ROUNDING_ULPS * np.finfo(float).eps * scale
    return np.where(excess > rounding, excess, 0.0)


def _decay_tail(
    excess: np.ndarray, min_points: int, window: tuple[float, float], floor_margin: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Steps 2–4 of :func:`measured_rate`: (t, log(excess), is a local maximum) of the
    points to fit, or None when there is no settled decay to measure."""
    floor_frac, ceil_frac = window
    envelope = np.maximum.accumulate(excess[::-1])[::-1]
    top = envelope[0]
    floor = max(float(envelope[-1]), 0.0)
    # Where the loss sits exactly at L* and rises again later, what it rises to bounds
    # the rounding there (Himmelblau: 0 and 6.3e-30 in turn); the least such level counts.
    after_zero = envelope[excess <= 0]
    after_zero = after_zero[after_zero > 0]
    if after_zero.size:
        floor = max(floor, float(after_zero.min()))
    if not top > 0 or floor > floor_frac * top:
        return None
    steps = np.arange(excess.size, dtype=float)
    use = (excess == envelope) & (excess > floor_margin * floor) & (excess > 0)
    use &= excess <= ceil_frac * top
    if np.count_nonzero(use) < min_points:
        return None
    # local maxima of the excess: the peaks of an oscillating loss (a slow spiral's
    # envelope is a staircase whose flanks fall below the line; its peaks do not)
    peak = np.ones(excess.size, dtype=bool)
    peak[1:] &= excess[1:] >= excess[:-1]
    peak[:-1] &= excess[:-1] >= excess[1:]
    t = steps[use]
    y = np.log(excess[use])
    peak = peak[use]
    tail = y <= 0.5 * (y.max() + y.min())
    tail[-min_points:] = True
    t, y, peak = t[tail], y[tail], peak[tail]
    hull = _upper_hull(t, y)
    if hull.size >= 3:
        return t[hull], y[hull], np.zeros(hull.size, dtype=bool)
    return t, y, peak


def _geometric_rate(
    t: np.ndarray, y: np.ndarray, peak: np.ndarray, *, min_points: int, max_residual: float
) -> float:
    """ρ = exp(slope/2) of the least-squares line through (t, y); NaN when the residuals
    (only the peaks', if there are enough) scatter more than ``max_residual``."""
    t_centred = t - t.mean()
    slope = float(np.dot(t_centred, y - y.mean()) / np.dot(t_centred, t_centred))
    residual = y - y.mean() - slope * t_centred
    if np.count_nonzero(peak) >= min_points:
        residual = residual[peak]
    if float(np.std(residual)) > max_residual:
        return math.nan
    return math.exp(0.5 * slope)


def _upper_hull(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the vertices of the upper convex hull of the points (t, y), t increasing."""
    hull: list[int] = []
    for i in range(t.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # b lies on or below the chord a → i: not a vertex of the upper hull
            if (y[b] - y[a]) * (t[i] - t[a]) <= (y[i] - y[a]) * (t[b] - t[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return np.array(hull, dtype=int)
