"""The noise-floor theory against simulate's mini-batch runs, closed forms and sampling.

The prediction (transient covariance of the linearised update, K steps from the minimum)
is checked against the measured mean excess loss of runs started at the minimum, one seed
per run, on the least-squares surface, where J is exactly quadratic and, with α small,
the runs stay where the mini-batch noise is nearly that of the minimum.
"""

from __future__ import annotations

import numpy as np
import pytest

from momentum_viz import simulate
from momentum_viz.numerics.minibatch import batch_indices
from momentum_viz.numerics.noise_floor import (
    excess_loss,
    gradient_noise_covariance,
    noise_floor,
    stationary_covariance,
    stationary_excess_loss,
    transient_covariance,
    update_matrices,
)
from surfaces import least_squares, logistic, quadratic

ENGEL = least_squares(False)
LAM_MAX = float(np.linalg.eigvalsh(ENGEL.hessian(ENGEL.minima[0].point))[1])
SEEDS = 500
STEPS = 400

# (method, γ, b): α λmax = 0.05 for SGD and α λmax / (1 − γ) = 0.05 with momentum.
SETTINGS = [("sgd", 0.0, 1), ("momentum", 0.9, 1), ("momentum", 0.9, 32)]


@pytest.mark.parametrize(("method", "gamma", "b"), SETTINGS)
def test_measured_excess_loss_is_the_predicted_one(method, gamma, b):
    lr = 0.05 * (1.0 - gamma) / LAM_MAX
    minimum, j_min = ENGEL.minima[0].point, ENGEL.minima[0].value
    measured = np.mean([
        simulate(ENGEL, method, minimum, lr=lr, momentum=gamma, steps=STEPS, batch_size=b,
                 seed=seed, record="summary").losses[-1] - j_min
        for seed in range(SEEDS)
    ])  # fmt: skip
    predicted = noise_floor(ENGEL, method, lr=lr, momentum=gamma, batch_size=b, steps=STEPS)
    assert measured == pytest.approx(predicted.transient, rel=0.15)
    assert predicted.transient < predicted.stationary  # still settling after K steps


def test_the_lesson_floor_grows_with_the_effective_step():
    batch = dict(batch_size=4)
    alpha, gamma = 0.01 / LAM_MAX, 0.9
    sgd = noise_floor(ENGEL, "sgd", lr=alpha, **batch).stationary
    # Raising γ at fixed α raises the floor by about 1 / (1 − γ) = α/(1 − γ) ÷ α …
    heavy = noise_floor(ENGEL, "momentum", lr=alpha, momentum=gamma, **batch).stationary
    assert heavy / sgd == pytest.approx(1.0 / (1.0 - gamma), rel=0.1)
    nesterov = noise_floor(ENGEL, "nesterov", lr=alpha, momentum=gamma, **batch)
    assert nesterov.stationary / sgd == pytest.approx(1.0 / (1.0 - gamma), rel=0.1)
    # … and lowering α with it, α/(1 − γ) the same, keeps the floor.
    same_step = noise_floor(ENGEL, "momentum", lr=alpha * (1.0 - gamma), momentum=gamma, **batch)
    assert same_step.effective_lr == pytest.approx(alpha)
    assert same_step.stationary / sgd == pytest.approx(1.0, rel=0.1)


def test_heavy_ball_floor_has_its_closed_form_on_a_diagonal_hessian():
    # Per direction (curvature h, noise variance c): E e² = α c (1 + γ) /
    # (h (1 − γ)(2(1 + γ) − α h)), the noisy-quadratic model's closed form.
    h, c = np.array([0.5, 8.0]), np.array([2.0, 0.3])
    for alpha, gamma in ((0.01, 0.0), (0.01, 0.9), (0.2, 0.5)):
        p = stationary_covariance("momentum", alpha, gamma, np.diag(h), np.diag(c))
        want = alpha * c * (1 + gamma) / (h * (1 - gamma) * (2 * (1 + gamma) - alpha * h))
        np.testing.assert_allclose(np.diag(p)[:2], want, rtol=1e-10)
        assert excess_loss(np.diag(h), p) == pytest.approx(0.5 * np.sum(h * want), rel=1e-10)


@pytest.mark.parametrize("method", ["sgd", "momentum", "nesterov"])
def test_stationary_solves_lyapunov_and_is_the_transients_limit(method):
    hessian = np.array([[3.0, 1.0], [1.0, 2.0]])
    noise = np.array([[1.0, 0.2], [0.2, 0.5]])
    a, b = update_matrices(method, 0.05, 0.8, hessian)
    p = stationary_covariance(method, 0.05, 0.8, hessian, noise)
    np.testing.assert_allclose(p, a @ p @ a.T + b @ noise @ b.T, rtol=1e-10, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(p) > 0)
    long_run = transient_covariance(method, 0.05, 0.8, hessian, noise, 5000)
    np.testing.assert_allclose(long_run, p, rtol=1e-8)
    first = transient_covariance(method, 0.05, 0.8, hessian, noise, 1)
    np.testing.assert_allclose(first, b @ noise @ b.T)  # one step from P₀ = 0


@pytest.mark.parametrize("method", ["sgd", "momentum", "nesterov"])
def test_update_matrix_is_simulates_step_on_the_quadratic(method):
    # Least squares is exactly quadratic: full-batch runs follow z' = A z to rounding.
    lr, gamma = 0.3 / LAM_MAX, 0.7
    run = simulate(ENGEL, method, ENGEL.start, lr=lr, momentum=gamma, steps=30)
    a, _ = update_matrices(method, lr, gamma, ENGEL.hessian(ENGEL.minima[0].point))
    z = np.concatenate([np.subtract(ENGEL.start, ENGEL.minima[0].point), [0.0, 0.0]])
    for _ in range(30):
        z = a @ z
    got = np.concatenate([run.positions[-1] - ENGEL.minima[0].point, run.velocities[-1]])
    np.testing.assert_allclose(got, z, rtol=1e-9, atol=1e-12)


def test_mini_batch_covariance_has_the_finite_population_factor():
    minimum = ENGEL.minima[0].point
    grads = ENGEL.example_grads(minimum)
    n, b = ENGEL.n_examples, 60
    table = batch_indices(n, b, steps=40_000, seed=2)
    means = grads[table].mean(axis=1)  # the mini-batch gradient of each draw at θ*
    sampled = np.cov(means.T, bias=True)
    predicted = gradient_noise_covariance(ENGEL, b)
    np.testing.assert_allclose(np.diag(sampled), np.diag(predicted), rtol=0.05)
    # Without replacement: (N − b)/(N − 1) ≈ 0.75 of the with-replacement variance here.
    assert np.trace(predicted) < 0.8 * np.trace(np.cov(grads.T, bias=True)) / b
    assert np.all(gradient_noise_covariance(ENGEL, n) == 0)
    np.testing.assert_allclose(
        gradient_noise_covariance(ENGEL, 1, noise=0.5),
        np.cov(grads.T, bias=True) + 0.25 * np.eye(2),
        rtol=1e-9,
    )


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"surface must be a data surface"):
        noise_floor(quadratic(10.0), "sgd", lr=0.1, batch_size=1)
    with pytest.raises(ValueError, match=r"not stable"):
        stationary_covariance("momentum", 1.0, 0.9, np.eye(2) * 10, np.eye(2))
    unstable = noise_floor(logistic(), "sgd", lr=100.0, batch_size=3, steps=10)
    assert unstable.stationary == float("inf") and np.isfinite(unstable.transient)
    with pytest.raises(ValueError, match=r"batch_size must be a whole number in 1…100; got 0"):
        noise_floor(logistic(), "sgd", lr=0.1, batch_size=0)
    assert stationary_excess_loss("sgd", 0.1, 0.0, np.eye(2), np.zeros((2, 2))) == 0.0
