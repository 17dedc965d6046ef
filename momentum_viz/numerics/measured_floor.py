"""The noise floor a mini-batch run settles on, measured: the mean excess loss J − J* over
the last half of the run, averaged over a few seeds.

One run's time average is a poor measure when the run forgets slowly (plain SGD with a
small α keeps its excess loss for hundreds of steps, and Engel's incomes give a few
households very large gradients), so the runs of :data:`MEASURE_SEEDS` seeds, starting at
the settings' own seed, are averaged: the run on screen is one of them.

>>> from surfaces import least_squares
>>> engel = least_squares(standardize=True)
>>> floor = measured_floor(engel, "sgd", engel.minima[0].point, lr=1e-3, momentum=0.0,
...                        steps=200, batch_size=1, seeds=2)
>>> bool(0.0 < floor < 1.0)
True
"""

from __future__ import annotations

import numpy as np

from surfaces import Surface

from .optimizer import simulate
from .ranges import SEED_RANGE

__all__ = ["MEASURE_SEEDS", "measured_floor"]

#: The seeds a measured floor averages over (seed, seed + 1, …).
MEASURE_SEEDS = 24


def measured_floor(
    surface: Surface,
    method: str,
    start: tuple[float, float],
    *,
    lr: float,
    momentum: float,
    steps: int,
    batch_size: int,
    batches: str = "independent",
    noise: float = 0.0,
    seed: int = 0,
    seeds: int = MEASURE_SEEDS,
) -> float:
    """Mean over ``seeds`` runs (seeds ``seed`` … ``seed + seeds − 1``, wrapping past the
    largest seed) of the mean of J(θ_t) − J* over the last half of the steps,
    t = steps//2 … steps."""
    best = min(m.value for m in surface.minima)
    late = []
    for offset in range(seeds):
        run = simulate(
            surface, method, start, lr=lr, momentum=momentum, steps=steps, noise=noise,
            seed=(seed + offset) % (SEED_RANGE[1] + 1), batch_size=batch_size, batches=batches,
        )  # fmt: skip
        late.append(float(np.mean(run.losses[steps // 2 :] - best)))
    return float(np.mean(late))
