"""Every guided scenario's claim, checked against the simulation it describes.

Expected values come from the surfaces themselves (Hessian eigen-decomposition, listed
minima) and from closed-form theory computed here, never from the scenarios module.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from urllib.parse import quote

import numpy as np
import pytest

from momentum_viz.app.scenarios import SCENARIO_SETTINGS, SCENARIOS
from momentum_viz.app.settings import (
    LR_RANGE,
    MOMENTUM_RANGE,
    NOISE_RANGE,
    SEED_RANGE,
    STEPS_RANGE,
    Settings,
    from_query_params,
    surface_of,
    to_query_params,
)
from momentum_viz.numerics.optimizer import METHODS, simulate
from momentum_viz.numerics.theory import analyse, local_eigenvalues
from surfaces import KAPPA_RANGE, SURFACES

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _run(settings: Settings, method: str, **overrides):
    kwargs = {
        "lr": settings.lr,
        "momentum": settings.momentum,
        "steps": settings.steps,
        "noise": settings.noise,
        "seed": settings.seed,
    }
    kwargs.update(overrides)
    return simulate(surface_of(settings), method, (settings.x0, settings.y0), **kwargs)


def _says(key: str, *phrases: str, lead: tuple[str, ...] = ()) -> None:
    """The scenario's watch text (and its lead) quote exactly what the test asserts."""
    for phrase in phrases:
        assert phrase in SCENARIOS[key].watch, phrase
    for phrase in lead:
        assert phrase in SCENARIOS[key].lead, phrase


def _eigen(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors (columns) of the bowl's Hessian."""
    hessian = surface_of(settings).hessian(np.zeros(2))
    return np.linalg.eigh(hessian)


# --- structure -------------------------------------------------------------------------------


def test_at_least_the_five_required_scenarios_in_order():
    surfaces = [s.settings.surface for s in SCENARIOS.values()]
    assert len(SCENARIOS) >= 5
    assert surfaces[:5] == ["multiwell", "rosenbrock", "quadratic", "quadratic", "quadratic"]
    # The order the app lists them in (the three bowls are told apart by their keys).
    assert list(SCENARIOS)[:5] == [
        "escape-local-minimum",
        "narrow-valley",
        "too-much-momentum",
        "ill-conditioned-bowl",
        "noisy-gradients",
    ]


def test_keys_are_unique_url_safe_slugs():
    for key, scenario in SCENARIOS.items():
        assert scenario.key == key
        assert SLUG.fullmatch(key), key
        assert quote(key, safe="") == key
        assert scenario.settings.scenario == key
    titles = [s.title for s in SCENARIOS.values()]
    assert len(set(titles)) == len(titles)
    # A ?scenario= link names exactly the scenarios offered (and each loads its own
    # settings: test_settings_survive_the_address_bar).
    assert set(SCENARIO_SETTINGS) == set(SCENARIOS)


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_settings_within_ranges_and_start_inside_bounds(key):
    s = SCENARIOS[key].settings
    assert s.surface in SURFACES
    assert KAPPA_RANGE[0] <= s.kappa <= KAPPA_RANGE[1]
    assert s.methods and set(s.methods) <= set(METHODS)
    assert len(set(s.methods)) == len(s.methods)
    assert LR_RANGE[0] <= s.lr <= LR_RANGE[1]
    assert MOMENTUM_RANGE[0] <= s.momentum <= MOMENTUM_RANGE[1]
    assert isinstance(s.steps, int) and STEPS_RANGE[0] <= s.steps <= STEPS_RANGE[1]
    assert NOISE_RANGE[0] <= s.noise <= NOISE_RANGE[1]
    assert isinstance(s.seed, int) and SEED_RANGE[0] <= s.seed <= SEED_RANGE[1]
    (xmin, xmax), (ymin, ymax) = surface_of(s).bounds
    assert xmin <= s.x0 <= xmax and ymin <= s.y0 <= ymax
    for value in (s.kappa, s.lr, s.momentum, s.noise, s.x0, s.y0):
        assert isinstance(value, float)


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_settings_survive_the_address_bar(key):
    s = SCENARIOS[key].settings
    assert from_query_params(to_query_params(s), scenarios=SCENARIO_SETTINGS) == (s, [])
    assert from_query_params({"scenario": key}, scenarios=SCENARIO_SETTINGS) == (s, [])


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_watch_is_one_or_two_plain_sentences(key):
    watch = SCENARIOS[key].watch
    sentences = [p for p in re.split(r"[.!?](?:\s+|$)", watch.strip()) if p]
    assert 1 <= len(sentences) <= 2, sentences
    assert "\n" not in watch and "  " not in watch
    assert len(watch) <= 360


NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_lead_is_one_short_sentence_backed_by_the_watch_text(key):
    lead, watch = SCENARIOS[key].lead, SCENARIOS[key].watch
    sentences = [p for p in re.split(r"[.!?](?:\s+|$)", lead.strip()) if p]
    assert len(sentences) == 1, sentences
    assert lead.endswith(".") and lead[0].isupper()
    assert "\n" not in lead and "  " not in lead
    assert len(lead.split()) <= 20, len(lead.split())
    # Every figure the lecturer says is one the watch text quotes, so the claim tests
    # below (written against the watch texts) assert the lead's figures too.
    assert set(NUMBER.findall(lead)) <= set(NUMBER.findall(watch))


# --- the claims ------------------------------------------------------------------------------


def test_escape_sgd_stays_in_a_local_minimum_momentum_reaches_the_global_one():
    s = SCENARIOS["escape-local-minimum"].settings
    minima = surface_of(s).minima
    sgd, mom = _run(s, "sgd"), _run(s, "momentum")
    assert sgd.diverged_at == -1 and mom.diverged_at == -1
    assert sgd.minimum >= 0 and not minima[sgd.minimum].is_global
    assert mom.minimum >= 0 and minima[mom.minimum].is_global
    # "the deep global well on the right", "the first, shallow well"
    assert minima[mom.minimum].point[0] > 0
    assert minima[mom.minimum].value < minima[sgd.minimum].value
    assert sgd.converged_at < mom.converged_at  # SGD settles first: it "stays there"


def test_escape_works_only_for_a_band_of_gamma_and_nesterov_stays():
    s = SCENARIOS["escape-local-minimum"].settings
    assert (s.lr, s.momentum, s.steps) == (0.3, 0.9, 300)  # "γ = 0.9", "300 steps"
    _says(
        "escape-local-minimum",
        "Within 300 steps this works only for γ between about 0.84 and 0.95",
        "at 0.8 momentum stays in the shallow well",
        "above 0.95 it has not arrived yet",
        "Nesterov at γ = 0.9 stays in the shallow well",
        lead=("within 300 steps, only for γ between about 0.84 and 0.95",),
    )
    minima = surface_of(s).minima
    shallow = _run(s, "sgd").minimum  # "the shallow well" SGD stays in
    assert not minima[shallow].is_global

    # Every γ on a 0.001 grid, one batched call.
    gammas = np.round(np.arange(0.0, 0.9995, 0.001), 3)
    run = _run(s, "momentum", momentum=gammas, record="summary")
    is_global = np.array([m >= 0 and minima[m].is_global for m in run.minimum])
    band = np.flatnonzero(is_global)
    assert band.size and np.all(np.diff(band) == 1)  # one band: "only for γ between"
    assert 0.835 <= gammas[band[0]] <= 0.85  # "about 0.84" (measured 0.841)
    assert 0.945 <= gammas[band[-1]] <= 0.955  # "and 0.95" (measured 0.951)
    assert np.all(run.converged_at[band] >= 0)
    at_08 = int(np.flatnonzero(np.isclose(gammas, 0.8))[0])
    assert run.minimum[at_08] == shallow  # "at 0.8 momentum stays in the shallow well"
    above = gammas > 0.955
    assert np.all(run.converged_at[above] == -1)  # "above 0.95 it has not arrived yet"
    assert np.all(run.diverged_at[above] == -1)

    nesterov = _run(s, "nesterov")  # "Nesterov at γ = 0.9 stays in the shallow well"
    assert nesterov.minimum == shallow and nesterov.converged_at >= 0

    # The band is the 300 steps' band: given 2,000 steps, most γ above it get there too
    # (15 of 25 between 0.95 and 0.998), γ = 0.99 at step 1,502.
    above = np.round(np.linspace(0.95, 0.998, 25), 3)
    longer = _run(s, "momentum", momentum=above, steps=2000, record="summary")
    reach = [m >= 0 and minima[m].is_global for m in longer.minimum]
    assert sum(reach) == 15
    at_099 = int(np.flatnonzero(np.isclose(above, 0.99))[0])
    assert reach[at_099] and longer.converged_at[at_099] == 1502


def test_valley_momentum_is_many_times_faster_than_sgd():
    s = SCENARIOS["narrow-valley"].settings
    mom = _run(s, "momentum")
    sgd_view = _run(s, "sgd")
    sgd_long = _run(s, "sgd", steps=40 * s.steps, record="summary")
    assert 0 < mom.converged_at <= s.steps
    assert sgd_view.converged_at == -1  # still far off after the view's steps
    assert math.dist(sgd_view.positions[-1], (1.0, 1.0)) > 0.3
    assert sgd_long.converged_at >= 10 * mom.converged_at
    # The numbers quoted in the text: ≈ 500, ≈ 17,700, "some 35 times".
    assert 420 <= mom.converged_at <= 580
    assert 16_000 <= sgd_long.converged_at <= 19_500
    assert 28 <= sgd_long.converged_at / mom.converged_at <= 42


def _slow_coordinate(settings: Settings, positions: np.ndarray) -> np.ndarray:
    _, vectors = _eigen(settings)
    return positions @ vectors[:, 0]  # along the eigenvector of the smallest eigenvalue


def test_too_much_momentum_overshoots_and_keeps_swinging():
    s = SCENARIOS["too-much-momentum"].settings
    assert s.momentum >= 0.99 and s.steps == 500  # "γ = 0.99", "after 500 steps"
    heavy = _run(s, "momentum")
    slow = _slow_coordinate(s, heavy.positions)
    start = slow[0]
    overshoot = np.max(-np.sign(start) * slow)  # furthest point past the minimum
    crossings = np.count_nonzero(np.diff(np.sign(slow)) != 0)
    late = np.diff(heavy.losses[-100:])
    assert heavy.converged_at == -1 and heavy.diverged_at == -1
    assert overshoot >= 0.75 * abs(start)  # "nearly as far as it started"
    assert crossings >= 10  # back and forth, not one overshoot
    assert (late > 0).any() and (late < 0).any()  # loss still oscillating at the end

    moderate = _run(s, "momentum", momentum=0.8)
    slow_moderate = _slow_coordinate(s, moderate.positions)
    assert 65 <= moderate.converged_at <= 85  # "about 75 steps" (settled: 76)
    _says(
        "too-much-momentum",
        "Set γ to 0.8 and momentum arrives in about 75 steps",
        lead=("at γ = 0.8 it settles in about 75",),
    )
    assert np.max(-np.sign(start) * slow_moderate) <= 0.1 * abs(start)

    sgd = _run(s, "sgd")
    assert 350 <= sgd.converged_at <= 450  # "at about step 400", within the view
    assert sgd.converged_at < s.steps


def test_ill_conditioned_bowl_optimal_momentum_beats_every_sgd_step():
    s = SCENARIOS["ill-conditioned-bowl"].settings
    (lam_min, lam_max), _ = _eigen(s)
    kappa = lam_max / lam_min
    alpha_star = (2.0 / (math.sqrt(lam_min) + math.sqrt(lam_max))) ** 2
    gamma_star = ((math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)) ** 2
    assert s.lr == pytest.approx(alpha_star, rel=1e-9)
    assert s.momentum == pytest.approx(gamma_star, rel=1e-9)
    assert s.lr == pytest.approx(0.061, abs=5e-4) and s.momentum == pytest.approx(0.57, abs=5e-3)

    mom = _run(s, "momentum")
    assert 30 <= mom.converged_at <= 50  # "about 40 steps"
    limit = 2.0 / lam_max
    assert limit == pytest.approx(0.04)
    assert _run(s, "sgd").diverged_at > 0  # α* > 2/λmax: SGD diverges at this α
    # The map shows SGD diverging, so the lead's 205 must say whose α it is.
    _says(
        "ill-conditioned-bowl",
        "Plain SGD diverges at this α",
        "with its best step size, α ≈ 0.039, it needs about 205 steps",
        lead=("SGD diverges at this α", "at its own best α: about 205 steps"),
    )

    # Every SGD step size up to its stability limit, log-spaced plus a fine linear grid
    # near the optimum; one batched call, long enough for the best of them to converge.
    lrs = np.unique(
        np.concatenate(
            [
                np.geomspace(LR_RANGE[0], limit, 1500, endpoint=False),
                np.linspace(0.5 * limit, limit, 1000, endpoint=False),
            ]
        )
    )
    sgd = _run(s, "sgd", lr=lrs, steps=20 * s.steps, record="summary")
    converged = sgd.converged_at >= 0
    assert converged.any()
    assert np.all(~converged | (sgd.converged_at > mom.converged_at))
    best = int(np.argmin(np.where(converged, sgd.converged_at, np.iinfo(np.int64).max)))
    assert sgd.converged_at[best] >= 4 * mom.converged_at
    assert 185 <= sgd.converged_at[best] <= 225  # "about 205 steps"
    assert lrs[best] == pytest.approx(2.0 / (lam_min + lam_max), rel=0.02)  # "α ≈ 0.039"


def _descent_metrics(settings: Settings, method: str, seed: int, radius: float = 0.5):
    """Mean cosine between each step and −∇J, share of downhill steps, and path length /
    net displacement, from the start until the run first comes within ``radius`` of the
    minimum (the descent phase)."""
    surface = surface_of(settings)
    run = _run(settings, method, seed=seed)
    positions, velocities = run.positions, run.velocities
    target = np.array(surface.global_minimum.point)
    near = np.flatnonzero(np.hypot(*(positions - target).T) <= radius)
    assert near.size, f"{method} (seed {seed}) never reached the bottom within the view"
    end = int(near[0])
    downhill = -surface.grad(positions[:end])
    step = -velocities[1 : end + 1]  # θ_{t+1} − θ_t
    cos = np.sum(step * downhill, axis=1) / (
        np.linalg.norm(step, axis=1) * np.linalg.norm(downhill, axis=1)
    )
    length = np.linalg.norm(np.diff(positions[: end + 1], axis=0), axis=1).sum()
    return (
        float(cos.mean()),
        float(np.mean(cos > 0)),
        length / math.dist(positions[end], positions[0]),
    )


def test_noisy_gradients_momentum_steps_point_downhill_more_reliably():
    s = SCENARIOS["noisy-gradients"].settings
    assert s.noise > 0
    assert 8 <= 1.0 / (1.0 - s.momentum) <= 12  # "the last ten or so" gradients
    sgd_down, mom_down = [], []
    for seed in range(8):  # not one lucky seed
        sgd_cos, sgd_frac, sgd_tortuosity = _descent_metrics(s, "sgd", seed)
        mom_cos, mom_frac, mom_tortuosity = _descent_metrics(s, "momentum", seed)
        assert mom_cos >= sgd_cos + 0.2, seed
        assert mom_frac > sgd_frac, seed
        assert mom_tortuosity < 0.7 * sgd_tortuosity, seed  # smoother path
        sgd_down.append(sgd_frac)
        mom_down.append(mom_frac)
    assert 0.95 <= np.mean(mom_down) <= 0.975  # over 8 seeds, 96.4%
    assert 0.65 <= np.mean(sgd_down) <= 0.72  # 68.4%
    # The text quotes the run on the page (its seed, 0): all and 67.5% (135 of 200).
    _says("noisy-gradients", "in this run all of momentum's steps", "only 67.5% of SGD's")
    assert s.seed == 0 and mom_down[0] == 1.0 and round(sgd_down[0], 3) == 0.675
    # Without noise both head straight down: the difference above is the noise.
    quiet = replace(s, noise=0.0)
    for method in ("sgd", "momentum"):
        assert _descent_metrics(quiet, method, 0)[1] == 1.0


def test_noisy_gradients_sgd_is_still_arriving_when_the_page_ends():
    # On a quadratic the mean of a noisy run is the noise-free run. Along the slow
    # direction (λ = 1) SGD's error shrinks by 1 − α per step: after 1,200 steps the start's
    # 3.5 is still 3.5 · 0.998^1200 ≈ 0.317, while momentum settled long before.
    s = SCENARIOS["noisy-gradients"].settings
    _says(
        "noisy-gradients",
        "Momentum arrives first",
        "after 1,200 steps SGD is still arriving",
        lead=("arrives first",),
    )
    assert s.steps == 1200
    by_hand = 3.5 * (1.0 - s.lr * 1.0) ** s.steps
    quiet_sgd = _run(s, "sgd", noise=0.0)
    assert float(np.hypot(*quiet_sgd.positions[-1])) == pytest.approx(by_hand, rel=0.01)
    assert by_hand > 0.3 and quiet_sgd.converged_at == -1
    quiet_momentum = _run(s, "momentum", noise=0.0)
    assert 0 <= quiet_momentum.converged_at < s.steps / 2
    # The noisy runs: momentum comes within 0.5 of the minimum first.
    first = {}
    for method in ("sgd", "momentum"):
        run = _run(s, method)
        first[method] = int(np.flatnonzero(np.hypot(*run.positions.T) <= 0.5)[0])
    assert first["momentum"] < first["sgd"]


def test_noisy_gradients_momentum_rattles_in_a_wider_cloud_at_the_bottom():
    s = SCENARIOS["noisy-gradients"].settings
    surface = surface_of(s)
    # γ = 0 is plain SGD; one batched call per seed, long enough for both to settle.
    for seed in range(3):
        run = simulate(
            surface, "momentum", (s.x0, s.y0), lr=s.lr, momentum=[0.0, s.momentum],
            steps=6000, noise=s.noise, seed=seed,
        )  # fmt: skip
        settled = run.positions[2000:] - np.array(surface.global_minimum.point)  # (T, 2, 2)
        rms = np.sqrt(np.mean(np.sum(settled**2, axis=-1), axis=0))
        assert rms[1] >= 2.0 * rms[0], (seed, rms)


# --- where momentum does not help --------------------------------------------------------------


def test_momentum_rolls_through_the_global_well_into_a_worse_one():
    s = SCENARIOS["rolls-past-global-minimum"].settings
    assert s.surface == "multiwell" and s.momentum == 0.9
    _says(
        "rolls-past-global-minimum",
        "(J = −2.05)",
        "momentum (γ = 0.9)",
        "near (−0.43, −2.09), at J = −1.21",
        "Lower γ to 0.8 and momentum stops in the global well",
    )
    surface = surface_of(s)
    minima = surface.minima
    best = surface.global_minimum
    assert s.x0 > best.point[0]  # "starting right of the deep global well"

    sgd, mom = _run(s, "sgd"), _run(s, "momentum")
    assert sgd.diverged_at == -1 and mom.diverged_at == -1
    assert minima[sgd.minimum].is_global
    assert 0 < sgd.converged_at <= 10  # "within a few steps"
    assert round(float(sgd.losses[-1]), 2) == -2.05  # "(J = −2.05)"

    worse = minima[mom.minimum]
    assert mom.minimum >= 0 and not worse.is_global and worse.value > best.value
    assert math.dist(worse.point, (-0.43, -2.09)) < 0.01  # "near (−0.43, −2.09)"
    assert round(float(mom.losses[-1]), 2) == -1.21  # "at J = −1.21"
    assert mom.converged_at >= 0

    # "arrives so fast that it rolls straight through": it passes close to the global
    # minimum within the first steps, faster than SGD ever moves, and leaves again.
    dist = np.hypot(*(mom.positions - np.array(best.point)).T)
    speed = np.linalg.norm(mom.velocities, axis=1)
    closest = int(np.argmin(dist[:20]))
    assert dist[closest] < 0.25
    assert speed[closest] > 1.5 * np.linalg.norm(sgd.velocities, axis=1).max()
    assert np.all(dist[closest + 3 :] > 1.0)

    lower = _run(s, "momentum", momentum=0.8)  # "Lower γ to 0.8 … stops in the global well"
    assert lower.minimum >= 0 and minima[lower.minimum].is_global


def _crossings(values: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(np.sign(values)) != 0))


def test_himmelblau_momentum_is_slower_as_the_local_theory_predicts():
    s = SCENARIOS["momentum-slower-himmelblau"].settings
    surface = surface_of(s)
    defaults = SURFACES["himmelblau"]
    assert s.surface == "himmelblau" and s.noise == 0.0
    assert (s.lr, s.momentum, s.steps) == (defaults.lr, defaults.momentum, defaults.steps)
    assert (s.x0, s.y0) == defaults.start
    assert s.momentum == 0.8  # "with γ = 0.8"
    _says(
        "momentum-slower-himmelblau",
        "with γ = 0.8",
        "curvatures 65 and 81",
        "settles after 75 steps, plain SGD after 36",
        "0.89 per step with momentum, by 0.68 without",
        lead=("γ = 0.8 needs 75 steps where plain SGD needs 36",),
    )

    sgd, mom = _run(s, "sgd"), _run(s, "momentum")
    assert sgd.minimum == mom.minimum >= 0  # "both reach" the same minimum
    point = np.array(surface.minima[mom.minimum].point)
    upper_left = [m for m in surface.minima if m.point[0] < 0 and m.point[1] > 0]
    assert len(upper_left) == 1 and tuple(point) == upper_left[0].point  # "upper-left"
    assert mom.converged_at == 75 and sgd.converged_at == 36  # "after 75 steps", "after 36"

    lam_min, lam_max = local_eigenvalues(surface.hessian(point))
    assert (round(lam_min), round(lam_max)) == (65, 81)  # "curvatures 65 and 81"
    assert lam_max / lam_min < 1.3  # "almost a round bowl"

    # Closed forms: SGD contracts by max |1 − αλ|; heavy ball with complex roots
    # (γ above the critical momentum (1 − √(αλ))² in both directions) by √γ.
    alpha, gamma = s.lr, s.momentum
    assert all(gamma > (1.0 - math.sqrt(alpha * lam)) ** 2 for lam in (lam_min, lam_max))
    sgd_rate = max(abs(1.0 - alpha * lam) for lam in (lam_min, lam_max))
    mom_rate = math.sqrt(gamma)
    report = analyse(alpha, gamma, [lam_min, lam_max])
    assert report.sgd_rate == pytest.approx(sgd_rate, rel=1e-9)
    assert report.momentum_rate == pytest.approx(mom_rate, rel=1e-9)
    assert round(mom_rate, 2) == 0.89 and round(sgd_rate, 2) == 0.68  # "0.89", "0.68"

    # "swings back and forth across the minimum": near it, momentum crosses the minimum
    # along both eigen-directions again and again.
    _, vectors = np.linalg.eigh(surface.hessian(point))
    offsets = (mom.positions - point) @ vectors
    near = int(np.flatnonzero(np.hypot(*(mom.positions - point).T) < 0.5)[0])
    assert min(_crossings(offsets[near:, k]) for k in range(2)) >= 10


def test_round_bowl_momentum_only_adds_overshoot():
    s = SCENARIOS["momentum-slower-round-bowl"].settings
    assert s.surface == "quadratic" and s.kappa == 1.0  # "a round bowl (κ = 1)"
    assert (s.lr, s.momentum) == (0.1, 0.9)  # "γ = 0.9" (α = 0.1)
    _says(
        "momentum-slower-round-bowl",
        "(κ = 1)",
        "With γ = 0.9",
        "about 150 steps against SGD's 78",
        "0.95 per step with momentum, by 0.90 without",
        lead=("settles in about 150 steps, SGD in 78",),
    )
    (lam_min, lam_max), _ = _eigen(s)
    assert lam_min == pytest.approx(lam_max)

    sgd, mom = _run(s, "sgd"), _run(s, "momentum")
    assert sgd.converged_at == 78  # "SGD's 78"
    assert 140 <= mom.converged_at <= 160 and mom.converged_at < s.steps  # "about 150"

    # "every SGD step points straight at the minimum (the origin)"
    steps = np.diff(sgd.positions[: sgd.converged_at + 1], axis=0)
    to_min = -sgd.positions[: sgd.converged_at]
    cos = np.sum(steps * to_min, axis=1) / (
        np.linalg.norm(steps, axis=1) * np.linalg.norm(to_min, axis=1)
    )
    assert np.all(cos > 1.0 - 1e-9)

    # "momentum overshoots and swings back and forth": along the start direction it
    # passes the minimum by over half its starting distance and crosses it many times.
    start = np.array([s.x0, s.y0])
    along = mom.positions @ (start / np.linalg.norm(start))
    assert -along.min() >= 0.5 * along[0]
    assert _crossings(along) >= 10
    assert np.all(sgd.positions @ start > 0)  # SGD never overshoots

    # Theory: SGD contracts by |1 − αλ| = 0.9, momentum (complex roots) by √γ ≈ 0.95.
    report = analyse(s.lr, s.momentum, [lam_min, lam_max])
    assert report.sgd_rate == pytest.approx(abs(1.0 - s.lr * lam_max), rel=1e-9)
    assert report.momentum_rate == pytest.approx(math.sqrt(s.momentum), rel=1e-9)
    assert round(report.sgd_rate, 2) == 0.90 and round(report.momentum_rate, 2) == 0.95
