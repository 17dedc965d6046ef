"""The claims of the three scenarios on data and mini-batches, checked against ``simulate``.

The measured floors are recomputed here with a plain loop over seeds (not with
momentum_viz.numerics.measured_floor, which the theory tab uses), and κ from the
Hessian's eigenvalues at the minimum.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from momentum_viz.app.scenarios import SCENARIOS
from momentum_viz.app.settings import Settings, defaults_for, surface_of
from momentum_viz.numerics.measured_floor import MEASURE_SEEDS
from momentum_viz.numerics.optimizer import simulate

N_SEEDS = 24  # what the texts say they average over


def _run(settings: Settings, method: str, **overrides):
    kwargs = {"lr": settings.lr, "momentum": settings.momentum, "steps": settings.steps}
    kwargs |= {"noise": settings.noise, "seed": settings.seed}
    if settings.batch_size:
        kwargs |= {"batch_size": settings.batch_size, "batches": settings.batches}
    kwargs |= overrides
    return simulate(surface_of(settings), method, (settings.x0, settings.y0), **kwargs)


def _floor(settings: Settings, method: str, **overrides) -> float:
    """Mean over seeds 0 … 23 of the mean excess loss over the last half of the run."""
    best = surface_of(settings).minima[0].value
    late = []
    for seed in range(N_SEEDS):
        losses = _run(settings, method, seed=seed, **overrides).losses
        late.append(np.mean(losses[settings.steps // 2 :] - best))
    return float(np.mean(late))


def _says(key: str, *phrases: str) -> None:
    for phrase in phrases:
        assert phrase in SCENARIOS[key].watch, phrase


def _kappa(settings: Settings) -> float:
    surface = surface_of(settings)
    lams = np.linalg.eigvalsh(surface.hessian(np.array(surface.minima[0].point)))
    return float(lams[-1] / lams[0])


def test_the_texts_average_over_the_seeds_the_theory_tab_uses():
    assert MEASURE_SEEDS == N_SEEDS
    for key in ("noise-floor", "batch-size"):
        assert SCENARIOS[key].settings.seed == 0
        _says(key, f"over {N_SEEDS} seeds")


def test_unscaled_feature_momentum_wins_standardized_sgd_wins():
    s = SCENARIOS["unscaled-feature"].settings
    assert not s.standardize and s.batch_size == 0 and s.methods == ("sgd", "momentum")
    assert round(_kappa(s)) == 574
    sgd, momentum = _run(s, "sgd"), _run(s, "momentum")
    assert sgd.converged_at == -1 and s.steps == 2000
    assert momentum.converged_at == 420
    _says("unscaled-feature", "κ = 574", "in 2,000 steps plain SGD has not arrived")
    _says("unscaled-feature", "momentum arrives at step 420")
    # The switch: the standardized surface with its own defaults (what the sidebar loads).
    on = defaults_for("engel", standardize=True, methods=s.methods)
    assert round(_kappa(on), 6) == 1.0 and on.lr == pytest.approx(0.5) and on.momentum == 0.9
    assert _run(on, "sgd").converged_at == 1
    assert _run(on, "momentum").converged_at == 170
    _says("unscaled-feature", "κ falls to 1", "α = 0.5 plain SGD arrives in one step")
    _says("unscaled-feature", "momentum (γ = 0.9) only adds overshoot and settles at step 170")


def test_noise_floor_momentum_floor_is_the_effective_steps():
    s = SCENARIOS["noise-floor"].settings
    surface = surface_of(s)
    assert s.standardize and s.batch_size == 1 and s.batches == "independent"
    assert (s.x0, s.y0) == surface.minima[0].point  # both start at the minimum
    assert (s.lr, s.momentum) == (0.001, 0.9)
    sgd, momentum = _floor(s, "sgd"), _floor(s, "momentum")
    assert f"{momentum:.2f}" == "0.21" and f"{sgd:.2g}" == "0.016"
    assert round(momentum / sgd) == 13
    assert round(1 / (1 - s.momentum)) == 10
    _says("noise-floor", "momentum's excess loss averages 0.21, SGD's 0.016, 13 times less")
    _says("noise-floor", "α/(1 − γ) is 10 times α")
    slowed_lr = s.lr * (1 - s.momentum)
    assert f"{slowed_lr:.2g}" == "0.0001"
    slowed = _floor(s, "momentum", lr=slowed_lr)
    assert f"{slowed:.2g}" == "0.016" and abs(slowed - sgd) < 0.05 * sgd
    _says("noise-floor", "Lower α to 0.0001 = α(1 − γ)", "momentum's floor falls to SGD's, 0.016")


def test_batch_size_floor_falls_with_the_batch_and_with_epochs():
    s = SCENARIOS["batch-size"].settings
    assert s.batch_size == 10 and s.methods == ("sgd", "momentum")
    assert replace(s, batch_size=1, scenario="") == replace(
        SCENARIOS["noise-floor"].settings, scenario=""
    )
    assert len(surface_of(s).data[1]) == 235
    ten = _floor(s, "momentum")
    one = _floor(s, "momentum", batch_size=1)
    epoch = _floor(s, "momentum", batches="epoch")
    assert f"{ten:.2g}" == "0.018" and f"{one:.2f}" == "0.21" and f"{epoch:.2g}" == "0.0015"
    assert round(one / ten) == 12
    _says("batch-size", "With 10 of the 235 households", "12 times lower")
    _says("batch-size", "averages 0.018, against 0.21 at batch size 1", "lowers it to 0.0015")
    # The lead's "about a tenth": within a fifth of a tenth.
    assert 0.08 < ten / one < 0.12
