"""The noise floor of mini-batch SGD, heavy ball and Nesterov: measured against predicted.

For each setting, ``--seeds`` runs (one seed each: its own batches) start at the minimum
of a data surface and take ``--steps`` steps; the script prints the mean excess loss
J(θ_K) − J(θ*) with its standard error beside the prediction of
:mod:`momentum_viz.numerics.noise_floor` (the transient covariance K steps from the
minimum, and the stationary floor), and their ratio. Then the lesson, predicted: at fixed
α the floor grows like the effective step α/(1 − γ); with α(1 − γ) held, it stays.

Run: ``.venv/bin/python benchmarks/bench_noise_floor.py`` (``--seeds N``,
``--steps K``).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from momentum_viz import simulate
from momentum_viz.numerics.noise_floor import noise_floor
from surfaces import DataSurface, least_squares, logistic


def _lam_max(surface: DataSurface) -> float:
    return float(np.linalg.eigvalsh(surface.hessian(surface.global_minimum.point))[1])


def _measure(surface, method, lr, gamma, b, steps, seeds) -> tuple[float, float]:
    minimum, j_min = surface.global_minimum.point, surface.global_minimum.value
    excess = np.array([
        simulate(surface, method, minimum, lr=lr, momentum=gamma, steps=steps, batch_size=b,
                 seed=seed, record="summary").losses[-1] - j_min
        for seed in range(seeds)
    ])  # fmt: skip
    return float(excess.mean()), float(excess.std(ddof=1) / np.sqrt(seeds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}, load {os.getloadavg()}")
    print(f"{args.seeds} seeds × {args.steps} steps from the minimum; α λmax = 0.05 (1 − γ)")
    engel, standardized, iris = least_squares(False), least_squares(True), logistic()
    settings = [
        (engel, "sgd", 0.0, 1),
        (engel, "momentum", 0.9, 1),
        (engel, "momentum", 0.9, 32),
        (engel, "nesterov", 0.9, 8),
        (standardized, "momentum", 0.9, 4),
        (iris, "momentum", 0.9, 10),  # not quadratic: the model is a local one there
    ]
    print(f"{'surface':20s} {'method':9s} {'γ':>4s} {'b':>3s} {'measured ± se':>22s} "
          f"{'transient':>11s} {'ratio':>6s} {'stationary':>11s} {'s':>5s}")  # fmt: skip
    for surface, method, gamma, b in settings:
        lr = 0.05 * (1.0 - gamma) / _lam_max(surface)
        started = time.perf_counter()
        measured, se = _measure(surface, method, lr, gamma, b, args.steps, args.seeds)
        floor = noise_floor(surface, method, lr=lr, momentum=gamma, batch_size=b, steps=args.steps)
        label = surface.name + (" (std.)" if dict(surface.params).get("standardize") else "")
        print(
            f"{label:20s} {method:9s} {gamma:4.2f} {b:3d} {measured:11.4e} ± {se:8.2e} "
            f"{floor.transient:11.4e} {measured / floor.transient:6.3f} "
            f"{floor.stationary:11.4e} {time.perf_counter() - started:5.1f}"
        )
    print("\nthe lesson on engel, b = 4, predicted stationary floor ÷ SGD's at α = 0.01 / λmax:")
    alpha = 0.01 / _lam_max(engel)
    sgd = noise_floor(engel, "sgd", lr=alpha, batch_size=4).stationary
    print(f"{'α λmax':>8s} {'γ':>5s} {'α/(1−γ) λmax':>13s} {'floor / SGD':>12s}")
    for lr, gamma in ((alpha, 0.5), (alpha, 0.9), (alpha, 0.99), (alpha * 0.1, 0.9)):
        floor = noise_floor(engel, "momentum", lr=lr, momentum=gamma, batch_size=4)
        lam = _lam_max(engel)
        print(f"{lr * lam:8.4f} {gamma:5.2f} {floor.effective_lr * lam:13.4f} "
              f"{floor.stationary / sgd:12.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
