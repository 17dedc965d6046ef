r"""The noise floor: how close SGD, heavy ball and Nesterov stay to a data surface's minimum
when their gradients come from mini-batches (the noisy-quadratic model).

Near the minimum θ* the loss is quadratic with Hessian H, and a step's gradient is
:math:`H e + \xi` (e = θ − θ*, for Nesterov taken at the look-ahead e − γv) with noise ξ
of mean 0 and covariance

.. math:: C = \frac{N - b}{b\,(N - 1)}\,\Sigma + \sigma^2 I,
          \qquad \Sigma = \frac1N \sum_i g_i g_i^\top

(Σ: the covariance of the N per-example gradients :math:`g_i` at θ*, whose mean is 0
there; b examples drawn without replacement, hence the finite-population factor; σ the
Gaussian noise simulate adds on top). The state z = (e, v) then follows the linear update
:math:`z_{t+1} = A z_t + B \xi_t` of :func:`update_matrices`, and its covariance
:math:`P_{t+1} = A P_t A^\top + B C B^\top`: from a start at the minimum (P₀ = 0) the
*transient* covariance after K steps (:func:`transient_covariance`, the recursion iterated),
and its limit, the *stationary* covariance solving the discrete Lyapunov equation
:math:`P = A P A^\top + B C B^\top` (:func:`stationary_covariance`, solved exactly as a
16 × 16 linear system with Kronecker products). The expected excess loss is
:math:`\mathbb E[J(\theta) - J(\theta^*)] = \tfrac12 \operatorname{tr}(H P_{ee})`
(exact for least squares, where J is quadratic, and for noise that does not depend on θ).

The lesson: for small α the floor is about :math:`\tfrac{\alpha}{4(1-\gamma)}
\operatorname{tr} C`: raising γ at fixed α raises it by the factor of the effective step
α/(1 − γ), and lowering α with it (α/(1 − γ) fixed) keeps it.

This is the theory of the ``"independent"`` batches of :mod:`.minibatch`; reshuffling
per epoch has a lower floor and no claim is made for it here.

>>> import numpy as np
>>> H = np.diag([1.0, 10.0]); C = np.eye(2)
>>> sgd = stationary_excess_loss("sgd", 0.001, 0.0, H, C)
>>> hb = stationary_excess_loss("momentum", 0.001, 0.9, H, C)
>>> round(sgd / (0.001 / 4 * 2), 2), round(hb / sgd, 1)   # ≈ α tr C / 4, and ≈ 1 / (1 − γ)
(1.0, 10.0)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from surfaces import DataSurface, Surface

from .minibatch import check_batching
from .validation import check_lr, check_method, check_momentum, check_real, check_steps, reject

__all__ = [
    "NoiseFloor",
    "excess_loss",
    "gradient_noise_covariance",
    "noise_floor",
    "stationary_covariance",
    "stationary_excess_loss",
    "transient_covariance",
    "update_matrices",
]


def gradient_noise_covariance(
    surface: Surface, batch_size: int | None, noise: float = 0.0, *, at=None
) -> np.ndarray:
    """C, the covariance (2 × 2) of a step's gradient noise at the minimum (or at ``at``):
    the mini-batch mean's, (N − b) / (b (N − 1)) times the per-example covariance, plus
    σ² I. ``batch_size`` None (or N) is the full data: σ² I alone."""
    sigma = check_real("noise", noise, low=0.0)
    cov = sigma * sigma * np.eye(2)
    size = check_batching(surface, batch_size, "independent")
    if size is None:
        return cov
    point = surface.global_minimum.point if at is None else at
    grads = surface.example_grads(point)
    deviations = grads - grads.mean(axis=0)  # the mean is 0 at the minimum, to rounding
    per_example = deviations.T @ deviations / len(grads)
    n = surface.n_examples
    return cov + per_example * (n - size) / (size * (n - 1))


def update_matrices(
    method: str, lr: float, momentum: float, hessian: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) of the linearised update z' = A z + B ξ, z = (e, v) (4,), A (4, 4), B (4, 2).

    Heavy ball: v' = γv + α(He + ξ), e' = e − v'. Nesterov: the gradient at e − γv,
    v' = αHe + γ(I − αH)v + αξ. SGD: heavy ball with γ = 0.
    """
    method = check_method(method)
    alpha = float(check_lr(lr))
    gamma = 0.0 if method == "sgd" else float(check_momentum(momentum))
    h = _hessian(hessian)
    eye = np.eye(2)
    v_from_v = gamma * (eye - alpha * h) if method == "nesterov" else gamma * eye
    v_row = np.hstack([alpha * h, v_from_v])
    e_row = np.hstack([eye, np.zeros((2, 2))]) - v_row  # e' = e − v'
    a = np.vstack([e_row, v_row])
    b = np.vstack([-alpha * eye, alpha * eye])
    return a, b


def _hessian(hessian: npt.ArrayLike) -> np.ndarray:
    h = np.asarray(hessian, dtype=float)
    if h.shape != (2, 2) or not np.isfinite(h).all():
        raise reject("hessian", "a finite 2 × 2 matrix", h)
    return 0.5 * (h + h.T)


def _noise_input(b: np.ndarray, noise_cov: npt.ArrayLike) -> np.ndarray:
    c = np.asarray(noise_cov, dtype=float)
    if c.shape != (2, 2) or not np.isfinite(c).all():
        raise reject("noise_cov", "a finite 2 × 2 matrix", c)
    return b @ c @ b.T


def stationary_covariance(
    method: str, lr: float, momentum: float, hessian: npt.ArrayLike, noise_cov: npt.ArrayLike
) -> np.ndarray:
    """The stationary covariance P (4 × 4) of z = (e, v): the solution of the discrete
    Lyapunov equation P = A P Aᵀ + B C Bᵀ, as the linear system (I − A ⊗ A) vec P = vec Q.

    ValueError when the update is not stable (spectral radius of A ≥ 1): no floor then.
    """
    a, b = update_matrices(method, lr, momentum, hessian)
    radius = float(np.max(np.abs(np.linalg.eigvals(a))))
    if radius >= 1.0:
        raise ValueError(
            f"lr (α) = {lr!r} with momentum (γ) = {momentum!r} is not stable on this Hessian "
            f"(spectral radius {radius:.6g} ≥ 1): the runs have no noise floor"
        )
    q = _noise_input(b, noise_cov)
    p = np.linalg.solve(np.eye(16) - np.kron(a, a), q.reshape(16)).reshape(4, 4)
    return 0.5 * (p + p.T)


def transient_covariance(
    method: str,
    lr: float,
    momentum: float,
    hessian: npt.ArrayLike,
    noise_cov: npt.ArrayLike,
    steps: int,
) -> np.ndarray:
    """P_K (4 × 4), the covariance of z after ``steps`` steps from the minimum (P₀ = 0),
    by iterating P ← A P Aᵀ + B C Bᵀ."""
    a, b = update_matrices(method, lr, momentum, hessian)
    q = _noise_input(b, noise_cov)
    p = np.zeros((4, 4))
    for _ in range(check_steps(steps)):
        p = a @ p @ a.T + q
    return p


def excess_loss(hessian: npt.ArrayLike, covariance: npt.ArrayLike) -> float:
    """½ tr(H P_ee): the expected J(θ) − J(θ*) for θ − θ* of covariance P_ee (the top left
    2 × 2 block of a 4 × 4 state covariance, or a 2 × 2 one)."""
    h = _hessian(hessian)
    p = np.asarray(covariance, dtype=float)[:2, :2]
    return 0.5 * float(np.trace(h @ p))


def stationary_excess_loss(
    method: str, lr: float, momentum: float, hessian: npt.ArrayLike, noise_cov: npt.ArrayLike
) -> float:
    """½ tr(H P_ee) of the stationary covariance: the noise floor."""
    return excess_loss(hessian, stationary_covariance(method, lr, momentum, hessian, noise_cov))


class NoiseFloor(NamedTuple):
    """The predicted noise floor of one setting on a data surface.

    Attributes:
        stationary: the expected excess loss J − J* once the cloud has settled.
        transient: the expected excess loss after ``steps`` steps from the minimum
            (equal to ``stationary`` when ``steps`` is None).
        steps: the K of ``transient`` (None: not computed).
        effective_lr: α / (1 − γ) (α for SGD), the step the floor is proportional to.
        noise_cov: C, the gradient noise's covariance (2 × 2) at the minimum.
        hessian: H at the minimum (2 × 2).
    """

    stationary: float
    transient: float
    steps: int | None
    effective_lr: float
    noise_cov: np.ndarray
    hessian: np.ndarray


def noise_floor(
    surface: DataSurface,
    method: str,
    *,
    lr: float,
    momentum: float = 0.0,
    batch_size: int | None,
    noise: float = 0.0,
    steps: int | None = None,
) -> NoiseFloor:
    """The predicted noise floor of ``method`` with (α, γ, b, σ) on a data surface.

    ``stationary`` is ``inf`` where the linearised update is unstable.
    """
    if not isinstance(surface, DataSurface):
        raise reject("surface", "a data surface (one with data and a model)", surface.name)
    minimum = surface.global_minimum.point
    hessian = surface.hessian(minimum)
    cov = gradient_noise_covariance(surface, batch_size, noise)
    gamma = 0.0 if check_method(method) == "sgd" else float(check_momentum(momentum))
    try:
        stationary = stationary_excess_loss(method, lr, gamma, hessian, cov)
    except ValueError as err:
        if "not stable" not in str(err):
            raise
        stationary = float("inf")
    transient = stationary
    if steps is not None:
        transient = excess_loss(
            hessian, transient_covariance(method, lr, gamma, hessian, cov, steps)
        )
    return NoiseFloor(
        stationary=stationary,
        transient=transient,
        steps=steps,
        effective_lr=float(lr) / (1.0 - gamma),
        noise_cov=cov,
        hessian=hessian,
    )
