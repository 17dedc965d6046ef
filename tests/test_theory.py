"""Tests for momentum_viz.numerics.theory.

Expected values come from hand arithmetic (written out in comments), from closed forms,
from brute force (companion-matrix eigenvalues, grid searches) or from a reference loop
written here — never from the code under test.
"""

from __future__ import annotations

import cmath
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from momentum_viz.numerics.theory import (
    REGIMES,
    DivergenceAdvice,
    TheoryReport,
    analyse,
    critical_momentum,
    divergence_advice,
    effective_lr,
    local_eigenvalues,
    max_stable_lr,
    measured_rate,
    momentum_rate,
    momentum_roots,
    momentum_stable,
    nesterov_max_stable_lr,
    nesterov_rate,
    nesterov_regime,
    nesterov_roots,
    nesterov_stable,
    optimal_momentum_params,
    optimal_nesterov_params,
    optimal_nesterov_rate,
    optimal_rates,
    optimal_sgd_lr,
    regime,
    sgd_rate,
    sgd_stable,
)
from momentum_viz.views.words import divergence_sentence, theory_warnings

pytestmark = pytest.mark.filterwarnings("error")

lrs = st.floats(1e-3, 10.0)
momenta = st.floats(0.0, 0.999)
curvatures = st.floats(-100.0, 100.0)


def companion_spectral_radius(lr: float, momentum: float, lam: float) -> float:
    """Brute force: spectral radius of the recurrence's 2×2 companion matrix."""
    matrix = np.array([[1.0 + momentum - lr * lam, -momentum], [1.0, 0.0]])
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def simulate_losses(lr: float, momentum: float, lams: tuple[float, ...], steps: int) -> list[float]:
    """Reference loop: e_{t+1} = (1 + γ − αλ) e_t − γ e_{t−1} per eigen-direction.

    Starts from e_0 = 1 in every direction at rest: v_0 = 0 means e_{−1} = e_0.
    Returns the losses J_t = ½ Σ λ e_t².
    """
    prev = [1.0 for _ in lams]
    cur = [1.0 for _ in lams]
    losses = []
    for _ in range(steps):
        losses.append(0.5 * sum(lam * e * e for lam, e in zip(lams, cur, strict=True)))
        nxt = [
            (1.0 + momentum - lr * lam) * e - momentum * ep
            for lam, e, ep in zip(lams, cur, prev, strict=True)
        ]
        prev, cur = cur, nxt
    return losses


# --- SGD rate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lr", "lam", "expected"),
    [
        (0.1, 1.0, 0.9),  # |1 − 0.1·1| = 0.9
        (0.5, 4.0, 1.0),  # |1 − 0.5·4| = |1 − 2| = 1: divergence boundary
        (0.4, 4.0, 0.6),  # |1 − 1.6| = 0.6 (sign flips)
        (0.25, 4.0, 0.0),  # |1 − 1| = 0: one-step convergence
        (0.1, -3.0, 1.3),  # |1 + 0.3| = 1.3: negative curvature grows
        (1.0, 5.0, 4.0),  # |1 − 5| = 4
    ],
)
def test_sgd_rate_hand_values(lr, lam, expected):
    assert sgd_rate(lr, lam) == pytest.approx(expected, abs=1e-12)


def test_sgd_rate_broadcasts_and_returns_float_for_scalars():
    assert isinstance(sgd_rate(0.1, 1.0), float)
    out = sgd_rate(np.array([[0.1], [0.2]]), np.array([1.0, 10.0]))
    # rows α = 0.1, 0.2; columns λ = 1, 10: |1 − αλ|
    np.testing.assert_allclose(out, [[0.9, 0.0], [0.8, 1.0]], atol=1e-12)


# --- momentum roots and rate -------------------------------------------------------------


def test_roots_real_positive_by_hand():
    # σ² − σ + 0.16 = (σ − 0.8)(σ − 0.2): b = 1 + γ − αλ = 1 with γ = 0.16 → αλ = 0.16
    s1, s2 = momentum_roots(0.04, 0.16, 4.0)
    assert s1 == pytest.approx(0.8, abs=1e-12)
    assert s2 == pytest.approx(0.2, abs=1e-12)


def test_roots_complex_by_hand():
    # α = 0.1, γ = 0.5, λ = 2: b = 1.5 − 0.2 = 1.3, D = 1.69 − 2 = −0.31
    # σ = 0.65 ± i·√0.31/2 = 0.65 ± 0.2783882181…i, |σ|² = 0.4225 + 0.0775 = 0.5 = γ
    s1, s2 = momentum_roots(0.1, 0.5, 2.0)
    assert s1 == pytest.approx(complex(0.65, 0.27838821814150105), abs=1e-12)
    assert s2 == pytest.approx(complex(0.65, -0.27838821814150105), abs=1e-12)
    assert momentum_rate(0.1, 0.5, 2.0) == pytest.approx(math.sqrt(0.5), abs=1e-12)


def test_roots_negative_by_hand():
    # want roots −0.9, −0.2: sum b = −1.1, product γ = 0.18 → αλ = 1 + 0.18 + 1.1 = 2.28
    # α = 0.57, λ = 4: D = 1.21 − 0.72 = 0.49, σ = (−1.1 ∓ 0.7)/2 = −0.9, −0.2
    s1, s2 = momentum_roots(0.57, 0.18, 4.0)
    assert s1 == pytest.approx(-0.9, abs=1e-12)
    assert s2 == pytest.approx(-0.2, abs=1e-12)
    assert momentum_rate(0.57, 0.18, 4.0) == pytest.approx(0.9, abs=1e-12)
    assert regime(0.57, 0.18, 4.0) == "oscillating (sign flips)"


def test_roots_negative_curvature_by_hand():
    # α = 0.1, γ = 0.5, λ = −1: b = 1.5 + 0.1 = 1.6, D = 2.56 − 2 = 0.56, √D = 0.7483314774
    # σ = (1.6 ± 0.7483314774)/2 = 1.1741657387, 0.4258342613
    s1, s2 = momentum_roots(0.1, 0.5, -1.0)
    assert s1 == pytest.approx(1.1741657386773942, abs=1e-12)
    assert s2 == pytest.approx(0.42583426132260585, abs=1e-12)
    assert momentum_rate(0.1, 0.5, -1.0) == pytest.approx(1.1741657386773942, abs=1e-12)


@pytest.mark.parametrize(
    ("lr", "momentum", "lam", "expected"),
    [
        (0.04, 0.16, 4.0, 0.8),  # roots 0.8, 0.2 (above)
        (0.04, 0.36, 4.0, 0.6),  # αλ = 0.16, b = 1.2, D = 1.44 − 1.44 = 0: double 0.6
        (0.25, 0.25, 9.0, 0.5),  # αλ = 2.25, b = −1, D = 1 − 1 = 0: double −0.5
        (0.1, 0.5, 0.0, 1.0),  # λ = 0: σ² − 1.5σ + 0.5 = (σ − 1)(σ − 0.5)
        (1.0, 0.5, 3.0, 1.0),  # αλ = 3 = 2 + 2γ: b = −1.5, roots −1, −0.5
        (1.0, 0.5, 4.0, 2.2807764064044154),  # b = −2.5, D = 6.25 − 2 = 4.25: (2.5 + 2.0616)/2
        (0.05, 0.3, 1.0, 0.9260398644698074),  # b = 1.25, D = 1.5625 − 1.2: (1.25 + 0.60208)/2
    ],
)
def test_momentum_rate_hand_values(lr, momentum, lam, expected):
    assert momentum_rate(lr, momentum, lam) == pytest.approx(expected, abs=1e-12)


def test_momentum_rate_at_double_root_is_accurate():
    # Double roots are ill-conditioned (√ of a rounding error); the factored discriminant
    # lands exactly on them here: αλ = 0.16, γ = 0.36 and αλ = 2.25, γ = 0.25.
    assert momentum_rate(0.04, 0.36, 4.0) == pytest.approx(0.6, abs=1e-15)
    assert momentum_rate(0.25, 0.25, 9.0) == pytest.approx(0.5, abs=1e-15)


@given(lr=lrs, momentum=momenta, lam=curvatures)
def test_momentum_rate_is_companion_spectral_radius(lr, momentum, lam):
    expected = companion_spectral_radius(lr, momentum, lam)
    # eigvals itself is only √eps-accurate at a double root, hence the tolerance.
    assert momentum_rate(lr, momentum, lam) == pytest.approx(expected, rel=1e-6, abs=1e-7)


@given(lr=lrs, momentum=momenta, lam=curvatures)
def test_roots_satisfy_vieta_and_order(lr, momentum, lam):
    s1, s2 = momentum_roots(lr, momentum, lam)
    b = 1.0 + momentum - lr * lam
    scale = max(1.0, abs(b))
    assert abs((s1 + s2) - b) <= 1e-9 * scale
    assert abs(s1 * s2 - momentum) <= 1e-9 * scale * scale
    assert abs(s1) >= abs(s2) - 1e-12
    assert abs(s1) == pytest.approx(momentum_rate(lr, momentum, lam), rel=1e-12, abs=1e-15)
    # each root satisfies the characteristic polynomial σ² − bσ + γ = 0
    for s in (s1, s2):
        assert abs(s * s - b * s + momentum) <= 1e-9 * scale * scale


@given(lr=lrs, lam=curvatures)
def test_zero_momentum_is_exactly_sgd(lr, lam):
    assert momentum_rate(lr, 0.0, lam) == abs(1.0 - lr * lam)
    assert momentum_rate(lr, 0.0, lam) == sgd_rate(lr, lam)


def test_momentum_rate_broadcasts():
    gammas = np.array([0.0, 0.16, 0.36])[:, None]
    lams = np.array([4.0, 0.0])
    out = momentum_rate(0.04, gammas, lams)
    assert out.shape == (3, 2)
    # λ = 4 (αλ = 0.16): SGD 0.84; roots 0.8/0.2; double 0.6.  λ = 0: root 1 always.
    np.testing.assert_allclose(out, [[0.84, 1.0], [0.8, 1.0], [0.6, 1.0]], atol=1e-12)
    s1, s2 = momentum_roots(0.04, gammas, lams)
    assert s1.shape == s2.shape == (3, 2)
    assert s1.dtype == np.complex128


def test_no_warnings_for_extreme_but_finite_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rates = momentum_rate(1e200, 0.5, np.array([1e200, -1e200, 0.0, 1e-320]))
        roots = momentum_roots(1e200, 0.5, np.array([1e200, -1e200, 0.0, 1e-320]))
        sgd = sgd_rate(1e200, 1e200)
    assert rates[0] == rates[1] == math.inf
    assert rates[2] == rates[3] == 1.0  # λ = 0 exactly; αλ = 1e-120 rounds to ρ = 1
    assert np.all(np.isfinite(roots[0][2:]))
    assert sgd == math.inf


# --- stability ---------------------------------------------------------------------------


def test_stability_hand_values():
    assert sgd_stable(0.19, 10.0)  # αλ = 1.9 < 2
    assert not sgd_stable(0.2, 10.0)  # αλ = 2: boundary is unstable (ρ = 1)
    assert momentum_stable(0.29, 0.5, 10.0)  # 2.9 < 2 + 1 = 3
    assert not momentum_stable(0.3, 0.5, 10.0)  # 3 ≮ 3
    assert momentum_stable(0.35, 0.9, 10.0)  # 3.5 < 3.8: momentum tolerates larger steps
    assert max_stable_lr(0.9, 10.0) == pytest.approx(0.38)  # (2 + 1.8)/10
    assert max_stable_lr(0.0, 4.0) == pytest.approx(0.5)  # 2/4
    assert max_stable_lr(0.5, 0.0) == math.inf
    assert max_stable_lr(0.5, -2.0) == math.inf


@settings(max_examples=300)
@given(
    momentum=st.floats(0.0, 0.99),
    frac=st.floats(1e-6, 1.0 - 1e-6),
    lr=st.floats(1e-3, 10.0),
)
def test_rate_below_one_inside_stability_region(momentum, frac, lr):
    a_lam = frac * (2.0 + 2.0 * momentum)  # αλ in (0, 2 + 2γ) with a relative margin
    lam = a_lam / lr
    assert momentum_rate(lr, momentum, lam) < 1.0
    assert momentum_stable(lr, momentum, lam)
    assert regime(lr, momentum, lam) != "divergent"


@settings(max_examples=300)
@given(
    momentum=st.floats(0.0, 0.99),
    a_lam=st.one_of(st.floats(1.0 + 1e-6, 50.0), st.floats(-100.0, 0.0)),
    lr=st.floats(1e-3, 10.0),
)
def test_rate_at_least_one_outside_stability_region(momentum, a_lam, lr):
    if a_lam > 0:
        a_lam *= 2.0 + 2.0 * momentum  # beyond 2 + 2γ
    lam = a_lam / lr
    assert momentum_rate(lr, momentum, lam) >= 1.0
    assert regime(lr, momentum, lam) == "divergent"


@given(momentum=st.floats(0.0, 0.99), lr=st.floats(1e-3, 10.0))
def test_rate_on_the_boundaries(momentum, lr):
    # λ = 0: root 1 exactly.  αλ = 2 + 2γ: roots −1 and −γ.
    assert momentum_rate(lr, momentum, 0.0) == pytest.approx(1.0, abs=1e-15)
    assert momentum_rate(1.0, momentum, 2.0 + 2.0 * momentum) == pytest.approx(1.0, abs=1e-12)
    assert max_stable_lr(momentum, 7.0) == pytest.approx((2.0 + 2.0 * momentum) / 7.0)


# --- critical momentum and regimes ---------------------------------------------------------


def test_critical_momentum_hand_values():
    assert critical_momentum(0.04, 4.0) == pytest.approx(0.36)  # (1 − √0.16)² = 0.6²
    assert critical_momentum(0.25, 9.0) == pytest.approx(0.25)  # (1 − √2.25)² = (−0.5)²
    assert critical_momentum(0.25, 4.0) == 0.0  # αλ = 1: SGD is already critical
    assert critical_momentum(1.0, 4.0) == pytest.approx(1.0)  # αλ = 4: γ_c = 1, out of range
    assert math.isnan(critical_momentum(0.1, -1.0))  # λ < 0: never a double root


@given(a_lam=st.floats(1e-6, 3.9), lr=st.floats(1e-3, 10.0))
def test_critical_momentum_zeroes_the_discriminant(a_lam, lr):
    lam = a_lam / lr
    gamma = critical_momentum(lr, lam)
    b = 1.0 + gamma - lr * lam
    assert b * b - 4.0 * gamma == pytest.approx(0.0, abs=1e-12)
    s1, s2 = momentum_roots(lr, gamma, lam)
    assert abs(s1 - s2) < 1e-6  # double root (√eps-conditioned)
    # double root b/2 = 1 − √(αλ) (positive for αλ < 1, negative for αλ > 1)
    assert s1.real == pytest.approx(1.0 - math.sqrt(a_lam), abs=1e-6)


@pytest.mark.parametrize("a_lam", [0.01, 0.16, 0.5, 0.9, 1.5, 2.25, 3.0])
def test_critical_momentum_minimises_the_rate(a_lam):
    # brute force over γ: the best rate for fixed αλ ∈ (0, 4) is |1 − √(αλ)| at γ = γ_c
    gammas = np.linspace(0.0, 0.999, 20001)
    companions = np.zeros((gammas.size, 2, 2))
    companions[:, 0, 0] = 1.0 + gammas - a_lam
    companions[:, 0, 1] = -gammas
    companions[:, 1, 0] = 1.0
    rates = np.max(np.abs(np.linalg.eigvals(companions)), axis=-1)
    best = int(np.argmin(rates))
    assert rates[best] == pytest.approx(abs(1.0 - math.sqrt(a_lam)), abs=2e-3)
    assert gammas[best] == pytest.approx((1.0 - math.sqrt(a_lam)) ** 2, abs=2e-3)
    assert momentum_rate(1.0, critical_momentum(1.0, a_lam), a_lam) == pytest.approx(
        abs(1.0 - math.sqrt(a_lam)), abs=1e-7
    )


@pytest.mark.parametrize(
    ("lr", "momentum", "lam", "expected"),
    [
        (0.1, 0.0, 1.0, "monotone"),  # SGD factor 0.9 > 0
        (0.4, 0.0, 4.0, "oscillating (sign flips)"),  # SGD factor 1 − 1.6 = −0.6
        (0.5, 0.0, 4.0, "divergent"),  # factor −1: boundary
        (0.6, 0.0, 4.0, "divergent"),  # factor −1.4
        (0.25, 0.0, 4.0, "critically damped"),  # factor 0: double root 0
        (0.04, 0.16, 4.0, "monotone"),  # roots 0.8, 0.2
        (0.04, 0.36, 4.0, "critically damped"),  # double root 0.6
        (0.04, 0.37, 4.0, "oscillating (complex roots)"),  # γ > γ_c = 0.36
        (0.1, 0.5, 2.0, "oscillating (complex roots)"),  # D = −0.31
        (0.57, 0.18, 4.0, "oscillating (sign flips)"),  # roots −0.9, −0.2
        (0.25, 0.25, 9.0, "oscillating (sign flips)"),  # double root −0.5: flips
        (0.29, 0.5, 10.0, "oscillating (complex roots)"),  # b = −1.4, D = 1.96 − 2 < 0
        (0.3, 0.52, 10.0, "oscillating (sign flips)"),  # b = −1.48, D = 2.1904 − 2.08 > 0
        (1.0, 0.5, 3.0, "divergent"),  # αλ = 2 + 2γ
        (0.1, 0.5, 0.0, "divergent"),  # flat direction: ρ = 1
        (0.1, 0.5, -1.0, "divergent"),  # negative curvature: ρ ≈ 1.174
    ],
)
def test_regime_hand_cases(lr, momentum, lam, expected):
    assert regime(lr, momentum, lam) == expected


def test_regime_critical_tolerance():
    assert regime(0.04, 0.36 + 1e-12, 4.0) == "critically damped"
    assert regime(0.04, 0.36 + 1e-6, 4.0) == "oscillating (complex roots)"
    assert regime(0.04, 0.36 - 1e-6, 4.0) == "monotone"
    assert regime(0.04, 0.36 - 1e-6, 4.0, tol=1e-5) == "critically damped"


@given(lr=lrs, momentum=momenta, lam=curvatures)
def test_regime_agrees_with_companion_eigenvalues(lr, momentum, lam):
    got = regime(lr, momentum, lam)
    assert got in REGIMES
    a_lam = lr * lam
    b = 1.0 + momentum - a_lam
    disc = b * b - 4.0 * momentum
    eig = np.linalg.eigvals(np.array([[b, -momentum], [1.0, 0.0]]))
    radius = float(np.max(np.abs(eig)))
    assume(abs(disc) > 1e-6 and abs(radius - 1.0) > 1e-6 and abs(b) > 1e-9)
    if radius > 1.0:
        assert got == "divergent"
    elif disc < 0:
        assert np.all(np.abs(eig.imag) > 0)
        assert got == "oscillating (complex roots)"
    elif eig.real[np.argmax(np.abs(eig))] > 0:
        assert got == "monotone"
    else:
        assert got == "oscillating (sign flips)"


# --- optimal parameters ------------------------------------------------------------------


def test_optimal_values_by_hand():
    # λ = 1, 100: κ = 100, √κ = 10. α* = (2/(1 + 10))² = 4/121, γ* = (9/11)² = 81/121
    lr, gamma = optimal_momentum_params(1.0, 100.0)
    assert lr == pytest.approx(4.0 / 121.0)
    assert gamma == pytest.approx(81.0 / 121.0)
    assert optimal_sgd_lr(1.0, 100.0) == pytest.approx(2.0 / 101.0)  # 2/(1 + 100)
    sgd, mom = optimal_rates(1.0, 100.0)
    assert sgd == pytest.approx(99.0 / 101.0)  # (κ − 1)/(κ + 1)
    assert mom == pytest.approx(9.0 / 11.0)  # (√κ − 1)/(√κ + 1)
    # κ = 1: one step solves it (α = 1/λ, γ = 0, rate 0)
    assert optimal_momentum_params(2.0, 2.0) == pytest.approx((0.5, 0.0))
    assert optimal_rates(2.0, 2.0) == pytest.approx((0.0, 0.0))


@given(lam_min=st.floats(1e-3, 10.0), kappa=st.floats(1.0, 1e4))
def test_optimal_momentum_gives_double_roots_and_sqrt_gamma_rate(lam_min, kappa):
    lam_max = lam_min * kappa
    lr, gamma = optimal_momentum_params(lam_min, lam_max)
    expected = (math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)
    assert math.sqrt(gamma) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert optimal_rates(lam_min, lam_max)[1] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    for lam in (lam_min, lam_max):
        b = 1.0 + gamma - lr * lam
        assert b * b - 4.0 * gamma == pytest.approx(0.0, abs=1e-9)  # double root
        assert momentum_rate(lr, gamma, lam) == pytest.approx(expected, abs=1e-6)
    # everywhere in between the roots are complex with modulus √γ*
    for lam in np.linspace(lam_min, lam_max, 7)[1:-1]:
        assert momentum_rate(lr, gamma, lam) == pytest.approx(math.sqrt(gamma), abs=1e-6)


@given(lam_min=st.floats(1e-3, 10.0), kappa=st.floats(1.0, 1e4))
def test_optimal_sgd_balances_both_ends(lam_min, kappa):
    lam_max = lam_min * kappa
    lr = optimal_sgd_lr(lam_min, lam_max)
    expected = (kappa - 1.0) / (kappa + 1.0)
    assert abs(1.0 - lr * lam_min) == pytest.approx(expected, abs=1e-9)
    assert abs(1.0 - lr * lam_max) == pytest.approx(expected, abs=1e-9)
    assert optimal_rates(lam_min, lam_max)[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("lam_min", "lam_max"), [(1.0, 10.0), (0.5, 50.0)])
def test_optimal_params_beat_a_grid_search(lam_min, lam_max):
    # Worst-case rate over the spectrum is attained at its ends, so brute force over a
    # grid of (α, γ) with the companion matrix cannot beat the closed-form optimum.
    sgd_best, mom_best = optimal_rates(lam_min, lam_max)
    grid_lr = np.linspace(1e-3, 2.0 * max_stable_lr(0.0, lam_max), 121)
    grid_gamma = np.linspace(0.0, 0.98, 50)
    best_found = min(
        max(companion_spectral_radius(a, g, lam_min), companion_spectral_radius(a, g, lam_max))
        for a in grid_lr
        for g in grid_gamma
    )
    assert best_found >= mom_best - 1e-9
    assert best_found <= mom_best + 0.05  # and the grid gets close to it
    sgd_found = min(max(abs(1 - a * lam_min), abs(1 - a * lam_max)) for a in grid_lr)
    assert sgd_found >= sgd_best - 1e-12


def test_optimal_params_need_positive_spectrum():
    message = r"lam_min \(λmin\) must be a finite number in \(0, inf\); got -0\.5"
    with pytest.raises(ValueError, match=message):
        optimal_momentum_params(-0.5, 2.0)
    with pytest.raises(ValueError, match=r"lam_min .* in \(0, inf\); got 0\.0"):
        optimal_rates(0.0, 2.0)
    with pytest.raises(ValueError, match=r"lam_max .* in \[lam_min = 3\.0, inf\); got 2\.0"):
        optimal_sgd_lr(3.0, 2.0)


# --- local eigenvalues -------------------------------------------------------------------


def test_local_eigenvalues_hand_values():
    # [[2, 1], [1, 2]]: trace 4, det 3 → λ² − 4λ + 3 = (λ − 1)(λ − 3)
    assert local_eigenvalues([[2.0, 1.0], [1.0, 2.0]]) == pytest.approx((1.0, 3.0))
    # Rosenbrock at (1, 1): [[802, −400], [−400, 200]]: trace 1002, det 160400 − 160000 = 400
    # λ = 501 ∓ √(501² − 400) = 501 ∓ 500.6004394...
    lo, hi = local_eigenvalues(np.array([[802.0, -400.0], [-400.0, 200.0]]))
    assert lo == pytest.approx(501.0 - math.sqrt(501.0**2 - 400.0))
    assert hi == pytest.approx(501.0 + math.sqrt(501.0**2 - 400.0))
    assert local_eigenvalues([[-1.0, 0.0], [0.0, 2.0]]) == (-1.0, 2.0)  # saddle
    lo, hi = local_eigenvalues(np.diag([3.0, 1.0]))
    assert (lo, hi) == (1.0, 3.0) and type(lo) is float


def test_local_eigenvalues_uses_symmetric_part():
    # [[1, 2], [0, 1]] → symmetric part [[1, 1], [1, 1]]: eigenvalues 0 and 2
    assert local_eigenvalues([[1.0, 2.0], [0.0, 1.0]]) == pytest.approx((0.0, 2.0), abs=1e-12)


_HESSIAN_2X2 = r"hessian_2x2 must be a finite matrix of shape \(2, 2\)"


@pytest.mark.parametrize(
    ("hessian", "message"),
    [
        (np.eye(3), _HESSIAN_2X2 + r"; got shape \(3, 3\)"),
        ([1.0, 2.0], r"shape \(2, 2\)"),
        ([[1.0, np.nan], [np.nan, 1.0]], _HESSIAN_2X2 + r"; got \[\[1\.0, nan\]"),
        ([[np.inf, 0.0], [0.0, 1.0]], _HESSIAN_2X2 + r"; got \[\[inf, 0\.0\]"),
    ],
)
def test_local_eigenvalues_validation(hessian, message):
    with pytest.raises(ValueError, match=message):
        local_eigenvalues(hessian)


# --- analyse -------------------------------------------------------------------------------


def test_analyse_hand_case():
    # λ = 1, 10; α = 0.05, γ = 0.3
    # SGD: |1 − 0.05| = 0.95 (monotone), |1 − 0.5| = 0.5 (monotone) → overall 0.95
    # momentum λ = 1: b = 1.25, D = 1.5625 − 1.2 = 0.3625 → (1.25 + 0.602080)/2 = 0.926040
    #          λ = 10: b = 0.8, D = 0.64 − 1.2 < 0 → √0.3 = 0.547723 (complex)
    r = analyse(0.05, 0.3, [10.0, 1.0])
    assert isinstance(r, TheoryReport)
    assert [d.lam for d in r.directions] == [1.0, 10.0]
    d1, d10 = r.directions
    assert d1.sgd_rate == pytest.approx(0.95) and d1.sgd_regime == "monotone"
    assert d10.sgd_rate == pytest.approx(0.5) and d10.sgd_regime == "monotone"
    assert d1.momentum_rate == pytest.approx(0.926040, abs=1e-6)
    assert d1.momentum_regime == "monotone"
    assert d10.momentum_rate == pytest.approx(math.sqrt(0.3))
    assert d10.momentum_regime == "oscillating (complex roots)"
    assert r.sgd_rate == pytest.approx(0.95)
    assert r.momentum_rate == pytest.approx(0.926040, abs=1e-6)
    assert (r.lam_min, r.lam_max, r.condition_number) == (1.0, 10.0, 10.0)
    assert r.sgd_stable and r.momentum_stable and r.positive_definite
    assert r.sgd_converges and r.momentum_converges
    assert r.sgd_max_lr == pytest.approx(0.2)  # 2/10
    assert r.momentum_max_lr == pytest.approx(0.26)  # 2.6/10
    # κ = 10: α* = 4/(1 + √10)², γ* = ((√10 − 1)/(√10 + 1))²
    s = math.sqrt(10.0)
    assert r.optimal_lr == pytest.approx(4.0 / (1.0 + s) ** 2)
    assert r.optimal_momentum == pytest.approx(((s - 1.0) / (s + 1.0)) ** 2)
    assert r.optimal_momentum_rate == pytest.approx((s - 1.0) / (s + 1.0))
    assert r.optimal_sgd_lr == pytest.approx(2.0 / 11.0)
    assert r.optimal_sgd_rate == pytest.approx(9.0 / 11.0)
    assert theory_warnings(r) == ()
    # Nesterov λ = 1: q = 0.95, b = 1.3·0.95 = 1.235, c = 0.285, D = 1.525225 − 1.14
    #          = 0.385225, √D = 0.620665 → (1.235 + 0.620665)/2 = 0.927833 (monotone)
    #          λ = 10: q = 0.5, b = 0.65, c = 0.15, D = 0.4225 − 0.6 < 0 → √0.15 (complex)
    assert d1.nesterov_rate == pytest.approx(0.927833, abs=1e-6)
    assert d1.nesterov_regime == "monotone"
    assert d10.nesterov_rate == pytest.approx(math.sqrt(0.15))
    assert d10.nesterov_regime == "oscillating (complex roots)"
    assert r.nesterov_rate == pytest.approx(0.927833, abs=1e-6)
    assert r.nesterov_stable and r.nesterov_converges
    assert r.nesterov_max_lr == pytest.approx(0.1625)  # (2.6/1.6)/10
    # κ = 10: α = 4/31, √31, γ = (√31 − 2)/(√31 + 2), rate 1 − 2/√31
    assert r.optimal_nesterov_lr == pytest.approx(4.0 / 31.0)
    assert r.optimal_nesterov_momentum == pytest.approx((31**0.5 - 2) / (31**0.5 + 2))
    assert r.optimal_nesterov_rate == pytest.approx(1.0 - 2.0 / 31**0.5)


def test_analyse_divergence_warnings():
    # λmax = 10, α = 0.41, γ = 0.9: αλmax = 4.1 ≥ 2 and ≥ 2 + 1.8 = 3.8
    r = analyse(0.41, 0.9, [1.0, 10.0])
    assert not r.sgd_stable and not r.momentum_stable
    assert not r.sgd_converges and not r.momentum_converges
    assert r.sgd_rate == pytest.approx(3.1)  # |1 − 4.1|
    assert r.momentum_rate > 1.0
    assert r.directions[1].momentum_regime == "divergent"
    sgd_msg, mom_msg, nes_msg = theory_warnings(r)
    assert "α·λmax = 4.1 ≥ 2" in sgd_msg and "SGD diverges" in sgd_msg and "0.2" in sgd_msg
    assert "α·λmax = 4.1 ≥ 2 + 2γ = 3.8" in mom_msg and "momentum diverges" in mom_msg
    assert "0.38" in mom_msg  # 3.8/10
    # Nesterov: (2 + 1.8)/(1 + 1.8) = 3.8/2.8 = 1.357, α < 0.1357
    assert "(2 + 2γ)/(1 + 2γ) = 1.36" in nes_msg and "Nesterov diverges" in nes_msg
    assert "0.136" in nes_msg and not r.nesterov_stable and not r.nesterov_converges
    # SGD and Nesterov diverge, heavy ball does not: αλmax = 2.5 < 3.8
    r = analyse(0.25, 0.9, [1.0, 10.0])
    assert not r.sgd_stable and r.momentum_stable and not r.nesterov_stable
    assert len(theory_warnings(r)) == 2 and "SGD diverges" in theory_warnings(r)[0]
    assert "Nesterov diverges" in theory_warnings(r)[1]
    # only Nesterov diverges: αλmax = 1.4 < 2 but ≥ 1.357
    r = analyse(0.14, 0.9, [1.0, 10.0])
    assert r.sgd_stable and r.momentum_stable and not r.nesterov_stable
    assert len(theory_warnings(r)) == 1 and "Nesterov diverges" in theory_warnings(r)[0]


def test_analyse_negative_curvature_is_graceful():
    # saddle: λ = −0.3, 2.  SGD along −0.3: |1 + 0.03| = 1.03.
    # momentum γ = 0.5: b = 1.5 + 0.03 = 1.53, D = 2.3409 − 2 = 0.3409 → (1.53 + 0.583867)/2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = analyse(0.1, 0.5, [2.0, -0.3])
    assert not r.positive_definite
    assert r.sgd_rate == pytest.approx(1.03)
    assert r.momentum_rate == pytest.approx((1.53 + math.sqrt(0.3409)) / 2.0)
    assert r.directions[0].sgd_regime == r.directions[0].momentum_regime == "divergent"
    assert r.sgd_stable and r.momentum_stable  # the step size itself is fine
    assert not r.sgd_converges and not r.momentum_converges
    assert r.optimal_lr is r.optimal_momentum is r.optimal_momentum_rate is None
    assert r.optimal_sgd_lr is r.optimal_sgd_rate is r.condition_number is None
    (msg,) = theory_warnings(r)
    assert "not positive definite" in msg and "λ = −0.3" in msg and "saddle" in msg


def test_analyse_maximum_and_flat_direction():
    r = analyse(0.1, 0.0, [-1.0, -2.0])
    assert "maximum" in theory_warnings(r)[0]
    assert r.sgd_max_lr == math.inf and r.momentum_max_lr == math.inf
    r = analyse(0.1, 0.5, [0.0, 1.0])
    assert r.momentum_rate == 1.0 and r.sgd_rate == 1.0
    assert any("λ = 0" in w for w in theory_warnings(r))
    assert r.optimal_lr is None


def test_analyse_single_eigenvalue():
    # κ = 1: α* = 1/λ, γ* = 0 and rate 0
    r = analyse(0.5, 0.0, 2.0)
    assert r.sgd_rate == 0.0 and r.directions[0].sgd_regime == "critically damped"
    assert r.optimal_lr == pytest.approx(0.5) and r.optimal_momentum == 0.0


@pytest.mark.parametrize("eigenvalues", [[], np.eye(2), [[1.0, 2.0]]])
def test_analyse_rejects_bad_shapes(eigenvalues):
    with pytest.raises(
        ValueError, match=r"eigenvalues \(λ\) must be a non-empty 1-D .*; got shape "
    ):
        analyse(0.1, 0.5, eigenvalues)


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.0}, r"lr \(α\) must be a finite number in \(0, inf\); got 0\.0"),
        ({"lr": -0.1}, r"lr .*\(0, inf\); got -0\.1"),
        ({"lr": math.nan}, r"lr .*got nan"),
        ({"lr": math.inf}, r"lr .*got inf"),
        ({"momentum": 1.0}, r"momentum \(γ\) must be a number in \[0, 1\); got 1\.0"),
        ({"momentum": -0.1}, r"momentum .*got -0\.1"),
        ({"momentum": math.nan}, r"momentum .*got nan"),
        ({"lam": math.inf}, r"lam \(λ\) must be a finite number in \(-inf, inf\); got inf"),
        ({"lam": [1.0, math.nan]}, r"lam .*got nan"),
        ({"lam": "abc"}, r"lam \(λ\) must be a finite number .*; got 'abc'"),
    ],
)
def test_bad_input_names_parameter_value_and_range(kwargs, message):
    args = {"lr": 0.1, "momentum": 0.5, "lam": 1.0} | kwargs
    for fn in (momentum_rate, momentum_roots, regime):
        with pytest.raises(ValueError, match=message):
            fn(args["lr"], args["momentum"], args["lam"])


def test_bad_input_other_functions():
    with pytest.raises(ValueError, match="lr"):
        sgd_rate(0.0, 1.0)
    with pytest.raises(ValueError, match="lam_max"):
        sgd_stable(0.1, math.nan)
    with pytest.raises(ValueError, match="momentum"):
        momentum_stable(0.1, 1.5, 1.0)
    with pytest.raises(ValueError, match="momentum"):
        max_stable_lr(1.0, 1.0)
    with pytest.raises(ValueError, match="lr"):
        critical_momentum(-1.0, 1.0)
    with pytest.raises(ValueError, match=r"eigenvalues .*got inf"):
        analyse(0.1, 0.5, [1.0, math.inf])
    with pytest.raises(ValueError, match="momentum"):
        analyse(0.1, 1.0, [1.0])


# --- measured rate -------------------------------------------------------------------------


def test_reference_loop_matches_the_update_rule():
    # The recurrence (with e_{-1} = e_0) is the update v ← γv + αλe, e ← e − v from v = 0.
    lr, momentum, lam = 0.3, 0.52, 10.0
    e, v = 1.0, 0.0
    direct = []
    for _ in range(30):
        direct.append(0.5 * lam * e * e)
        v = momentum * v + lr * lam * e
        e = e - v
    assert simulate_losses(lr, momentum, (lam,), 30) == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    ("lr", "momentum", "expected"),
    [
        # λ = 1, 10 in every case; expected = slowest direction, computed by hand.
        (0.05, 0.0, 0.95),  # SGD: |1 − 0.05| = 0.95, |1 − 0.5| = 0.5
        (0.19, 0.0, 0.9),  # SGD: 0.81 and |1 − 1.9| = 0.9 (dominant mode flips sign)
        # γ = 0.3: λ=1: b = 1.25, D = 0.3625: (1.25 + 0.602080)/2; λ=10: √0.3 (complex)
        (0.05, 0.3, 0.926040),
        # γ = 0.8: λ=1: b = 1.75, D = 3.0625 − 3.2 < 0; λ=10: b = 1.3, D < 0: both √0.8
        (0.05, 0.8, 0.894427),
        # γ = 0.52: λ=10: b = 1.52 − 3 = −1.48, D = 2.1904 − 2.08 = 0.1104, √D = 0.332265
        #   → (1.48 + 0.332265)/2 = 0.906133 (sign flips); λ=1: complex √0.52 = 0.7211
        (0.3, 0.52, 0.906133),
        # γ = 0.9, α = 0.02: λ=1: b = 1.88, D = 3.5344 − 3.6 < 0; λ=10: b = 1.7, D < 0
        (0.02, 0.9, 0.948683),  # √0.9: slow spiral, long oscillation period
    ],
)
def test_measured_rate_recovers_prediction_from_simulated_loss(lr, momentum, expected):
    losses = simulate_losses(lr, momentum, (1.0, 10.0), 3000)
    measured = measured_rate(losses)
    assert measured == pytest.approx(expected, rel=0.01)
    # and it agrees with the report built from the same parameters
    assert analyse(lr, momentum, [1.0, 10.0]).momentum_rate == pytest.approx(expected, rel=1e-5)


def test_measured_rate_is_the_error_rate_not_the_loss_rate():
    losses = [3.0 * 0.64**t for t in range(200)]  # error 0.8^t → loss ∝ 0.64^t
    assert measured_rate(losses) == pytest.approx(0.8, rel=1e-9)


def test_measured_rate_subtracts_loss_min():
    # excess 0.81^t = (0.9²)^t above a floor of 5
    losses = [5.0 + 0.81**t for t in range(150)]
    assert measured_rate(losses, loss_min=5.0) == pytest.approx(0.9, rel=1e-3)


def test_measured_rate_uses_the_envelope_of_an_oscillating_loss():
    # loss = ρ^{2t} cos²(ωt): touches (near) zero every half period; envelope ρ^{2t}
    t = np.arange(400)
    losses = 0.95 ** (2 * t) * np.cos(0.3 * t) ** 2
    assert measured_rate(losses) == pytest.approx(0.95, rel=0.01)


@pytest.mark.parametrize("omega", [0.05, 0.7, math.pi / 2])
def test_measured_rate_oscillation_with_exact_zeros_and_bumps(omega):
    # A spiral's loss rises again between dips; with ω = π/2 every other value is 0
    # (cos² of odd multiples of π/2, up to rounding) and log would be −inf.
    t = np.arange(3000)
    losses = 0.99 ** (2 * t) * (1.0 + 0.9 * np.sin(omega * t)) * np.cos(omega * t) ** 2
    losses[1::2] = np.where(omega == math.pi / 2, 0.0, losses[1::2])
    assert measured_rate(losses) == pytest.approx(0.99, rel=2e-3)


def test_measured_rate_ignores_the_noise_floor():
    # excess decays as 0.7^{2t} until it hits a floor of noise at 1e-20
    t = np.arange(200)
    rng = np.random.default_rng(0)
    losses = 0.49**t + 1e-20 * rng.random(200)
    assert measured_rate(losses) == pytest.approx(0.7, rel=1e-3)


def test_measured_rate_skip():
    # first 10 steps are a plateau at 1, then decay 0.9^{2t}
    losses = [1.0] * 10 + [0.81**t for t in range(100)]
    assert measured_rate(losses, skip=10) == pytest.approx(0.9, rel=1e-6)


@pytest.mark.parametrize(
    "losses",
    [
        [],
        [1.0],
        [1.0, 0.5, 0.25],  # too few points
        [1.0] * 50,  # no decay at all
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # instant convergence
        [1.0, 2.0, 4.0, math.inf, math.nan],  # divergent run
        [1.0 * 1.1**t for t in range(50)],  # growing loss: only decay is measured
    ],
)
def test_measured_rate_nan_without_warning(losses):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(measured_rate(losses))


def test_measured_rate_min_points():
    # 1, 1e-2, …, 1e-16: ≤ 1e-1 from t = 1; the final level 1e-16 times the floor margin
    # 1e3 cuts t = 7, 8: t = 1..6 remain, six points
    losses = [0.01**t for t in range(9)]
    assert measured_rate(losses, min_points=6) == pytest.approx(0.1, rel=1e-9)
    assert math.isnan(measured_rate(losses, min_points=7))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"losses": [[1.0, 2.0]]}, "losses must be a 1-D"),
        ({"skip": -1}, "skip must be a whole number ≥ 0; got -1"),
        ({"skip": 1.5}, "skip must be a whole number ≥ 0; got 1.5"),
        ({"min_points": 1}, "min_points must be a whole number ≥ 2; got 1"),
        ({"window": (0.1, 0.01)}, "window must be"),
        ({"loss_min": math.nan}, "loss_min must be a finite number"),
    ],
)
def test_measured_rate_validation(kwargs, message):
    args = {"losses": [0.5**t for t in range(20)]} | kwargs
    losses = args.pop("losses")
    with pytest.raises(ValueError, match=message):
        measured_rate(losses, **args)


def test_cmath_reference_for_complex_roots():
    # independent check of the complex-root formula with cmath for a few cases
    for lr, momentum, lam in [(0.1, 0.5, 2.0), (0.02, 0.9, 10.0), (0.3, 0.7, 1.0)]:
        b = 1.0 + momentum - lr * lam
        root = cmath.sqrt(b * b - 4.0 * momentum)
        expected = sorted([(b + root) / 2.0, (b - root) / 2.0], key=lambda z: -z.imag)
        got = momentum_roots(lr, momentum, lam)
        assert got[0] == pytest.approx(expected[0], abs=1e-12)
        assert got[1] == pytest.approx(expected[1], abs=1e-12)


# --- predicted against measured on the app's own simulator --------------------------------


@pytest.mark.parametrize(
    ("kappa", "lr", "momentum"),
    [
        (50.0, 0.02, 0.0),  # SGD, monotone along both directions
        (50.0, 0.02, 0.5),  # momentum, overdamped slow direction
        (50.0, 0.03, 0.9),  # momentum, complex roots: rate √0.9
        (10.0, 0.15, 0.3),  # momentum, fast direction flips sign
    ],
)
def test_predicted_rate_matches_simulate_on_the_quadratic(kappa, lr, momentum):
    from momentum_viz import simulate
    from momentum_viz.numerics import theory
    from surfaces import quadratic

    bowl = quadratic(kappa=kappa)
    method = "sgd" if momentum == 0 else "momentum"
    run = simulate(bowl, method, bowl.start, lr=lr, momentum=momentum, steps=2000)
    report = theory.analyse(lr, momentum, bowl.eigenvalues)
    predicted = report.sgd_rate if momentum == 0 else report.momentum_rate
    # Independent prediction for the slow direction, by hand: SGD 1 − α·1; momentum with
    # complex roots √γ.
    if momentum == 0:
        assert predicted == pytest.approx(1 - lr * 1.0)
    measured = theory.measured_rate(run.losses)
    assert measured == pytest.approx(predicted, rel=0.02)


# --- Nesterov ------------------------------------------------------------------------------


def nesterov_update_matrix(lr: float, momentum: float, lam: float) -> np.ndarray:
    """Brute force, straight from the update rule on one direction of J = ½λθ², state (θ, v):
    v' = γv + αλ(θ − γv), θ' = θ − v' — no characteristic polynomial involved."""
    a_lam, q = lr * lam, 1.0 - lr * lam
    return np.array([[q, -momentum * q], [a_lam, momentum * q]])


def nesterov_spectral_radius(lr: float, momentum: float, lam: float) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(nesterov_update_matrix(lr, momentum, lam)))))


@given(lr=lrs, momentum=momenta, lam=curvatures)
def test_nesterov_rate_is_the_update_matrix_spectral_radius(lr, momentum, lam):
    expected = nesterov_spectral_radius(lr, momentum, lam)
    assert nesterov_rate(lr, momentum, lam) == pytest.approx(expected, rel=1e-6, abs=1e-7)


@given(lr=lrs, momentum=momenta, lam=curvatures)
def test_nesterov_roots_are_the_update_matrix_eigenvalues(lr, momentum, lam):
    s1, s2 = nesterov_roots(lr, momentum, lam)
    eig = np.linalg.eigvals(nesterov_update_matrix(lr, momentum, lam))
    q = 1.0 - lr * lam
    scale = max(1.0, abs((1.0 + momentum) * q))
    # trace and determinant of the update matrix: (1 + γ)q and γq (Vieta)
    assert abs((s1 + s2) - eig.sum()) <= 1e-9 * scale
    assert abs(s1 * s2 - np.prod(eig)) <= 1e-9 * scale * scale
    assert abs(s1) >= abs(s2) - 1e-12
    assert abs(s1) == pytest.approx(nesterov_rate(lr, momentum, lam), rel=1e-12, abs=1e-15)


@given(lr=lrs, lam=curvatures)
def test_nesterov_with_zero_momentum_is_exactly_sgd(lr, lam):
    assert nesterov_rate(lr, 0.0, lam) == sgd_rate(lr, lam)
    assert nesterov_regime(lr, 0.0, lam) == regime(lr, 0.0, lam)


def test_nesterov_hand_values():
    # αλ = 0.5, γ = 0.5: q = 0.5, b = 0.75, c = 0.25, D = 0.5625 − 1 < 0 → ρ = √0.25
    assert nesterov_rate(0.05, 0.5, 10.0) == pytest.approx(0.5, abs=1e-15)
    # αλ = 0.1, γ = 0.5: q = 0.9, b = 1.35, c = 0.45, D = 1.8225 − 1.8 = 0.0225
    #   → (1.35 + 0.15)/2 = 0.75 and 0.6 (real, positive: monotone)
    s1, s2 = nesterov_roots(0.01, 0.5, 10.0)
    assert (s1, s2) == (pytest.approx(0.75, abs=1e-12), pytest.approx(0.6, abs=1e-12))
    assert nesterov_regime(0.01, 0.5, 10.0) == "monotone"
    # αλ = 1.2, γ = 0.5: q = −0.2, b = −0.3, c = −0.1, D = 0.09 + 0.4 = 0.49
    #   → (−0.3 − 0.7)/2 = −0.5 and 0.2: sign flips
    s1, s2 = nesterov_roots(0.12, 0.5, 10.0)
    assert (s1, s2) == (pytest.approx(-0.5, abs=1e-12), pytest.approx(0.2, abs=1e-12))
    assert nesterov_regime(0.12, 0.5, 10.0) == "oscillating (sign flips)"
    # limits: (2 + 2γ)/(1 + 2γ) = 1.5 at γ = 0.5; 3.8/2.8 at γ = 0.9; → 4/3 as γ → 1
    assert nesterov_max_stable_lr(0.5, 10.0) == pytest.approx(0.15)
    assert nesterov_max_stable_lr(0.9, 50.0) == pytest.approx(3.8 / 2.8 / 50.0)
    assert nesterov_max_stable_lr(0.999999, 1.0) == pytest.approx(4.0 / 3.0, abs=1e-6)
    assert nesterov_max_stable_lr(0.5, 0.0) == nesterov_max_stable_lr(0.5, -1.0) == math.inf
    assert nesterov_stable(0.149, 0.5, 10.0) and not nesterov_stable(0.15, 0.5, 10.0)
    # double roots: √(αλ) = (1 − γ)/(1 + γ) = 1/3 at γ = 0.5 (root 2γ/(1 + γ) = 2/3)
    assert nesterov_regime(1.0 / 9.0, 0.5, 1.0) == "critically damped"
    assert nesterov_rate(1.0 / 9.0, 0.5, 1.0) == pytest.approx(2.0 / 3.0, abs=1e-7)
    assert nesterov_regime(0.1, 0.5, 10.0) == "critically damped"  # αλ = 1: roots 0, 0


@given(momentum=st.floats(1e-3, 0.999))
def test_nesterov_limit_is_below_sgd_for_every_positive_momentum(momentum):
    limit = nesterov_max_stable_lr(momentum, 1.0)
    assert 4.0 / 3.0 < limit < 2.0 < max_stable_lr(momentum, 1.0)


@settings(max_examples=300)
@given(
    momentum=st.floats(0.0, 0.99),
    frac=st.one_of(st.floats(1e-6, 1.0 - 1e-6), st.floats(1.0 + 1e-6, 30.0)),
    lr=st.floats(1e-3, 10.0),
)
def test_nesterov_stability_is_the_update_matrix_spectral_radius(momentum, frac, lr):
    lam = frac * (2.0 + 2.0 * momentum) / (1.0 + 2.0 * momentum) / lr
    inside = frac < 1.0
    assert (nesterov_spectral_radius(lr, momentum, lam) < 1.0) == inside
    assert bool(nesterov_stable(lr, momentum, lam)) == inside
    assert (nesterov_rate(lr, momentum, lam) < 1.0) == inside
    assert (nesterov_regime(lr, momentum, lam) == "divergent") == (not inside)


@given(lr=lrs, momentum=momenta, lam=curvatures)
def test_nesterov_regime_agrees_with_update_matrix_eigenvalues(lr, momentum, lam):
    got = nesterov_regime(lr, momentum, lam)
    eig = np.linalg.eigvals(nesterov_update_matrix(lr, momentum, lam))
    q = 1.0 - lr * lam
    disc = ((1.0 + momentum) * q) ** 2 - 4.0 * momentum * q
    radius = float(np.max(np.abs(eig)))
    assume(abs(disc) > 1e-6 and abs(radius - 1.0) > 1e-6 and abs(q) > 1e-6)
    if radius > 1.0:
        assert got == "divergent"
    elif disc < 0:
        assert np.all(np.abs(eig.imag) > 0)
        assert got == "oscillating (complex roots)"
    elif eig.real[np.argmax(np.abs(eig))] > 0:
        assert got == "monotone"
    else:
        assert got == "oscillating (sign flips)"


def test_nesterov_rates_broadcast_and_never_warn():
    out = nesterov_rate(0.01, np.array([0.0, 0.5])[:, None], np.array([10.0, 0.0]))
    np.testing.assert_allclose(out, [[0.9, 1.0], [0.75, 1.0]], atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rates = nesterov_rate(1e200, 0.5, np.array([1e200, -1e200, 0.0, 1e-320]))
        nesterov_roots(1e200, 0.5, np.array([1e200, -1e200, 0.0, 1e-320]))
    assert rates[0] == rates[1] == math.inf and rates[2] == 1.0


def test_optimal_nesterov_params_kappa_50_by_hand_and_by_grid_search():
    # κ = 50: α = 4/(3·50 + 1) = 0.02649, √151 = 12.2882, γ = 10.2882/14.2882 = 0.72005,
    # rate 1 − 2/12.2882 = 0.83724
    lr, gamma = optimal_nesterov_params(1.0, 50.0)
    rate = optimal_nesterov_rate(1.0, 50.0)
    assert lr == pytest.approx(4.0 / 151.0) and round(lr, 4) == 0.0265
    assert gamma == pytest.approx(0.72005, abs=1e-5) and rate == pytest.approx(0.83724, abs=1e-5)
    # Brute force: the worst spectral radius of the update matrix over the spectrum.
    lams = np.linspace(1.0, 50.0, 99)

    def worst(a: np.ndarray, g: np.ndarray) -> np.ndarray:
        q = 1.0 - a[..., None] * lams
        gq = g[..., None] * q
        m = np.stack([np.stack([q, -gq], -1), np.stack([a[..., None] * lams, gq], -1)], -2)
        return np.abs(np.linalg.eigvals(m)).max(axis=(-1, -2))

    assert worst(np.array(lr), np.array(gamma)) == pytest.approx(rate, abs=1e-6)
    grid_a, grid_g = np.meshgrid(np.linspace(0.02, 0.033, 66), np.linspace(0.6, 0.8, 81))
    radii = worst(grid_a, grid_g)
    best = np.unravel_index(np.argmin(radii), radii.shape)
    assert radii[best] >= rate - 1e-6  # the grid does not beat the closed form …
    assert radii[best] <= rate + 0.005  # … and gets close, near the same parameters
    assert grid_a[best] == pytest.approx(lr, abs=0.001)
    assert grid_g[best] == pytest.approx(gamma, abs=0.01)
    # between SGD's best rate and heavy ball's
    sgd_best, heavy_best = optimal_rates(1.0, 50.0)
    assert heavy_best < rate < sgd_best


# --- measured rate: the tail, and blank where nothing settled -------------------------------


def test_measured_rate_of_a_geometric_sequence_is_exact():
    losses = 3.0 * 0.7 ** (2.0 * np.arange(150))  # error 0.7^t
    assert measured_rate(losses) == pytest.approx(0.7, rel=1e-12)
    assert measured_rate(losses, converged_at=40) == pytest.approx(0.7, rel=1e-12)


def test_measured_rate_fits_the_tail_not_the_early_phase():
    # Two phases: error 0.5^t first, then 0.9^t (a fast transient over a slow mode);
    # the tail is the slow mode only, the asymptotic rate is 0.9.
    t = np.arange(400)
    losses = 0.5 ** (2 * t) + 1e-3 * 0.9 ** (2 * t)
    assert measured_rate(losses) == pytest.approx(0.9, rel=1e-6)


def test_measured_rate_himmelblau_sgd_matches_the_hessian_at_its_minimum():
    from momentum_viz import simulate
    from surfaces import get_surface

    s = get_surface("himmelblau")
    run = simulate(s, "sgd", s.start, lr=s.lr, momentum=s.momentum, steps=s.steps)
    minimum = s.minima[run.minimum]
    lam_min, lam_max = local_eigenvalues(s.hessian(np.array(minimum.point)))
    predicted = abs(1.0 - s.lr * lam_min)  # by hand: the slower of |1 − αλ|
    assert predicted == pytest.approx(0.676, abs=5e-4)
    assert predicted == pytest.approx(analyse(s.lr, 0.0, [lam_min, lam_max]).sgd_rate)
    measured = measured_rate(run.losses, loss_min=minimum.value, converged_at=run.converged_at)
    assert measured == pytest.approx(predicted, abs=0.01)


@pytest.mark.parametrize("method", ["sgd", "momentum"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_measured_rate_is_blank_for_a_noisy_run(method, seed):
    # The noisy-gradients scenario: κ = 2 bowl, α = 0.002, γ = 0.9, σ = 3, 1200 steps.
    from momentum_viz import simulate
    from surfaces import quadratic

    bowl = quadratic(2.0)
    run = simulate(bowl, method, bowl.start, lr=0.002, momentum=0.9, steps=1200, noise=3.0,
                   seed=seed)  # fmt: skip
    assert run.converged_at == -1  # it never settles within tol
    assert math.isnan(measured_rate(run.losses, converged_at=run.converged_at))
    assert math.isnan(measured_rate(run.losses))  # the loss alone says so too


def test_measured_rate_is_blank_when_not_settled_or_not_geometric():
    geometric = [0.81**t for t in range(200)]
    assert math.isnan(measured_rate(geometric, converged_at=-1))
    # 80 steps fall by 0.81^79 ≈ 6e-8 only, not to window[0] = 1e-8: too short to settle
    assert math.isnan(measured_rate(geometric[:80]))
    assert measured_rate(geometric[:80], window=(1e-7, 1e-1)) == pytest.approx(0.9)
    rng = np.random.default_rng(3)
    # Decays, then rattles at a noise floor 1e-6 below the start: no settled decay.
    noisy = np.array(geometric) + 1e-6 * rng.random(200)
    assert math.isnan(measured_rate(noisy))
    # A power law falls 1e-27 in 3,000 steps but on no line in log(excess): no rate.
    power_law = (1.0 + np.arange(3000.0)) ** -8
    assert math.isnan(measured_rate(power_law))
    assert not math.isnan(measured_rate(power_law, max_residual=50.0))


def test_measured_rate_nesterov_on_the_bowl_matches_nesterov_rate():
    from momentum_viz import simulate
    from surfaces import quadratic

    bowl = quadratic(50.0)
    for lr, gamma in [(0.02, 0.5), (0.01, 0.9)]:
        run = simulate(bowl, "nesterov", bowl.start, lr=lr, momentum=gamma, steps=2000)
        predicted = analyse(lr, gamma, bowl.eigenvalues).nesterov_rate
        measured = measured_rate(run.losses, converged_at=run.converged_at)
        assert measured == pytest.approx(predicted, rel=0.01)
        brute = max(nesterov_spectral_radius(lr, gamma, lam) for lam in (1.0, 50.0))
        assert predicted == pytest.approx(brute)


# --- divergence advice and the effective step ------------------------------------------------


def test_divergence_advice_heavy_ball_on_the_kappa_50_bowl_against_simulate():
    from momentum_viz import simulate
    from surfaces import quadratic

    bowl = quadratic(50.0)
    lam_max = bowl.eigenvalues[1]
    gammas = [0.1, 0.2, 0.3, 0.5]
    run = simulate(bowl, "momentum", bowl.start, lr=0.05, momentum=gammas, steps=2000)
    for i, gamma in enumerate(gammas):
        advice = divergence_advice("momentum", 0.05, gamma, lam_max)
        # by hand: (2 + 2γ)/50 = 0.044, 0.048, 0.052, 0.060
        assert advice.lr_limit == pytest.approx((2 + 2 * gamma) / 50)
        assert advice.diverges == (gamma < 0.25) == bool(run.diverged_at[i] >= 0), gamma
        assert not advice.lower_momentum_helps
        assert advice.stable_momenta == pytest.approx((0.25, 1.0))  # γ > 0.05·50/2 − 1
    assert run.minimum.tolist() == [-1, -1, 0, 0]
    assert "raise γ above 0.25" in divergence_sentence(
        divergence_advice("momentum", 0.05, 0.1, lam_max)
    )


def test_divergence_advice_nesterov_lowering_momentum_helps_against_simulate():
    from momentum_viz import simulate
    from surfaces import quadratic

    bowl = quadratic(50.0)
    lam_max = bowl.eigenvalues[1]
    # α = 0.03: αλmax = 1.5, stable for γ < (2 − 1.5)/(3 − 2) = 0.5
    gammas = [0.9, 0.6, 0.4, 0.1]
    run = simulate(bowl, "nesterov", bowl.start, lr=0.03, momentum=gammas, steps=2000)
    for i, gamma in enumerate(gammas):
        advice = divergence_advice("nesterov", 0.03, gamma, lam_max)
        assert advice.lr_limit == pytest.approx((2 + 2 * gamma) / ((1 + 2 * gamma) * 50))
        assert advice.diverges == (gamma > 0.5) == bool(run.diverged_at[i] >= 0), gamma
        assert advice.lower_momentum_helps
        assert advice.stable_momenta == pytest.approx((0.0, 0.5))
    assert "lower γ below 0.5" in divergence_sentence(
        divergence_advice("nesterov", 0.03, 0.9, lam_max)
    )
    # too large for every γ: αλmax = 2.5 ≥ 2
    assert math.isnan(divergence_advice("nesterov", 0.05, 0.5, lam_max).stable_momenta[1])


def test_divergence_advice_sgd_and_flat_or_negative_curvature():
    sgd = divergence_advice("sgd", 0.05, 0.9, 50.0)  # SGD ignores γ: 2/50 = 0.04
    assert sgd.lr_limit == pytest.approx(0.04) and sgd.diverges
    assert not sgd.lower_momentum_helps and math.isnan(sgd.stable_momenta[0])
    assert not divergence_advice("sgd", 0.03, 0.0, 50.0).diverges
    saddle = divergence_advice("momentum", 0.05, 0.5, -1.0)
    assert saddle.lr_limit == math.inf and not saddle.diverges
    with pytest.raises(ValueError, match="method"):
        divergence_advice("adam", 0.05, 0.5, 1.0)


def test_effective_lr_is_the_terminal_step_on_a_constant_slope():
    # v ← γv + αg with g = 1 from v = 0: v_t = α(1 − γ^t)/(1 − γ) → α/(1 − γ)
    lr, gamma, v = 1e-3, 0.99, 0.0
    for _ in range(5000):
        v = gamma * v + lr * 1.0
    assert effective_lr(lr, gamma) == pytest.approx(0.1)
    assert v == pytest.approx(effective_lr(lr, gamma), rel=1e-12)
    np.testing.assert_allclose(effective_lr(0.1, np.array([0.0, 0.5, 0.9])), [0.1, 0.2, 1.0])


def test_theory_returns_facts_and_the_views_write_the_sentences():
    """The numerics layer hands over numbers, flags and codes; the words are written in
    momentum_viz/views/words.py (one place to read and change them)."""
    import dataclasses

    report_text = [f.name for f in dataclasses.fields(TheoryReport) if "str" in str(f.type)]
    assert report_text == []
    advice_text = [n for n, t in DivergenceAdvice.__annotations__.items() if "str" in str(t)]
    assert advice_text == ["method"]  # a code: "sgd", "momentum" or "nesterov"


# --- the measured rate of runs that settled without noise --------------------------------------


def _settled_rate(surface, method: str, lr: float, gamma: float, steps: int):
    """(measured ρ, theory's ρ at the minimum the run settled in, settled step)."""
    from momentum_viz import simulate

    run = simulate(surface, method, surface.start, lr=lr, momentum=gamma, steps=steps)
    minimum = surface.minima[run.minimum]
    report = analyse(lr, gamma, np.linalg.eigvalsh(surface.hessian(np.array(minimum.point))))
    predicted = {"sgd": report.sgd_rate, "momentum": report.momentum_rate}.get(
        method, report.nesterov_rate
    )
    measured = measured_rate(run.losses, loss_min=minimum.value, converged_at=run.converged_at)
    return measured, predicted, int(run.converged_at)


@pytest.mark.parametrize(
    ("name", "settled", "predicted"),
    [
        # The default views with Nesterov added: both settle, the table showed "—".
        ("quadratic", 61, 0.8854),
        ("himmelblau", 28, 0.7353),
    ],
)
def test_measured_rate_of_a_default_view_with_nesterov(name, settled, predicted):
    from surfaces import get_surface

    surface = get_surface(name)
    measured, theory_rate, step = _settled_rate(
        surface, "nesterov", surface.lr, surface.momentum, surface.steps
    )
    assert step == settled and theory_rate == pytest.approx(predicted, abs=1e-4)
    # Checked by hand on the bowl: the peaks of its loss (steps 35, 70, 105, 140, 175 —
    # one turn of the spiral each) fall by 0.783 = 0.885² per step.
    assert measured == pytest.approx(theory_rate, rel=0.01)


def test_measured_rate_is_shown_for_runs_that_settled_early():
    # Every slider stop of α (every third of γ) on the bowl and on Himmelblau: a run that
    # settled, without noise, in the first 60 % of its steps has had time to decay far
    # below its start, so its rate is measured, and within 0.03 of theory where the rate
    # is slow enough (ρ ≥ 0.5) for the tail to outlast Himmelblau's nonlinear phase.
    from momentum_viz.app.settings import LR_STOPS, MOMENTUM_STOPS
    from surfaces import get_surface

    blank, off, count = [], [], 0
    for surface in (get_surface("quadratic"), get_surface("himmelblau")):
        for lr in LR_STOPS:
            for gamma in MOMENTUM_STOPS[1::3]:
                for method in ("momentum", "nesterov"):
                    measured, predicted, step = _settled_rate(
                        surface, method, lr, gamma, surface.steps
                    )
                    if not 0 <= step <= 0.6 * surface.steps:
                        continue
                    count += 1
                    case = (surface.name, method, lr, gamma, measured, predicted)
                    if math.isnan(measured):
                        blank.append(case)
                    elif predicted >= 0.5 and abs(measured - predicted) > 0.03:
                        off.append(case)
    assert count > 60
    assert not blank and not off, (blank, off)
