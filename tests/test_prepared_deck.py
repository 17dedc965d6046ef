"""The prepared deck "Momentum in ten views": its order, its link, and every number on it,
checked against ``simulate`` (the scenarios' own claims are checked in test_scenarios.py).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from momentum_viz.app.deck import LINK_WARN_CHARS, deck_link, read_link
from momentum_viz.app.prepared_deck import PREPARED_DECK
from momentum_viz.app.scenarios import SCENARIO_SETTINGS, SCENARIOS
from momentum_viz.app.settings import Settings, from_query_params, surface_of
from momentum_viz.numerics.optimizer import simulate

SLIDES = PREPARED_DECK.slides
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _run(settings: Settings, method: str, **overrides):
    kwargs = {"lr": settings.lr, "momentum": settings.momentum, "steps": settings.steps}
    kwargs |= {"noise": settings.noise, "seed": settings.seed} | overrides
    return simulate(surface_of(settings), method, (settings.x0, settings.y0), **kwargs)


def _numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def test_the_story_in_order_then_the_scenarios_it_leaves_out():
    scenario_of = [s.settings().scenario for s in SLIDES]
    assert scenario_of == [
        "",  # SGD alone crawls along Rosenbrock's valley
        "narrow-valley",  # momentum speeds it up (the effective step)
        "too-much-momentum",
        "escape-local-minimum",  # and the narrow γ window (its lead says it)
        "rolls-past-global-minimum",
        "momentum-slower-round-bowl",
        "",  # Nesterov's look-ahead
        "",  # the anatomy of one step
        "",  # the (α, γ) map
        "noisy-gradients",
        "ill-conditioned-bowl",  # the scenarios the ten views leave out
        "momentum-slower-himmelblau",
        "unscaled-feature",  # a model fitted to data, with mini-batches
        "noise-floor",
        "batch-size",
    ]
    assert set(SCENARIOS) <= set(scenario_of)  # every guided scenario is a slide
    assert PREPARED_DECK.title == "Momentum in ten views"


# The slides that are guided scenarios, by their scenario's key (the others are views).
SCENARIO_SLIDES = {s.settings().scenario: s for s in SLIDES if s.settings().scenario}


@pytest.mark.parametrize("key", SCENARIO_SLIDES)
def test_scenario_slides_are_the_scenarios_themselves(key):
    slide = SCENARIO_SLIDES[key]
    scenario = SCENARIOS[key]
    assert slide.title == scenario.title
    assert slide.note.startswith(scenario.lead)
    assert slide.settings() == SCENARIO_SETTINGS[key]


def test_the_link_is_short_and_opens_every_slide_without_a_note():
    link = deck_link(PREPARED_DECK)
    assert len(link) < LINK_WARN_CHARS / 3, len(link)  # "well under" 8 KiB
    opened, notes = read_link(link)
    assert notes == [] and opened == PREPARED_DECK
    for slide in SLIDES:
        assert from_query_params(slide.view, scenarios=SCENARIO_SETTINGS)[1] == []
        assert len(slide.title) <= 80 and len(slide.note) <= 280


def test_sgd_crawls_along_the_valley():
    slide = SLIDES[0]
    s = slide.settings()
    assert s.surface == "rosenbrock" and s.methods == ("sgd",)
    assert (s.steps, s.lr) == (1000, 0.001)
    run = _run(s, "sgd")
    distance = math.dist(run.positions[-1], (1.0, 1.0))
    assert run.converged_at == -1 and round(distance, 2) == 1.75
    assert _numbers(slide.note) == {"1,000", "0.001", "1.75", "1"}


def test_the_effective_step_is_twenty_times_alpha():
    slide = SLIDES[1]
    s = slide.settings()
    assert (s.lr, s.momentum) == (0.001, 0.95)
    assert math.isclose(1 - s.momentum, 0.05)
    assert math.isclose(s.lr / (1 - s.momentum), 0.02)
    assert math.isclose(s.lr / (1 - s.momentum) / s.lr, 20)  # "twenty times α"
    extra = slide.note[len(SCENARIOS["narrow-valley"].lead) :]
    assert _numbers(extra) == {"1", "0.001", "0.05", "0.02"}


def test_nesterov_settles_sooner_than_heavy_ball():
    slide = SLIDES[6]
    s = slide.settings()
    assert s.methods == ("momentum", "nesterov") and s.momentum == 0.95
    heavy, nesterov = _run(s, "momentum"), _run(s, "nesterov")
    assert heavy.diverged_at == nesterov.diverged_at == -1
    assert (nesterov.converged_at, heavy.converged_at) == (229, 317)
    assert _numbers(slide.note) == {"0.95", "229", "317"}


def test_the_anatomy_slide_shows_a_step_of_both_momentum_methods():
    s = SLIDES[7].settings()
    assert s.anatomy and 0 <= s.anatomy_step < s.steps
    assert set(s.methods) == {"momentum", "nesterov"}
    assert _numbers(SLIDES[7].note) == set()


def test_the_maps_stability_limits():
    slide = SLIDES[8]
    s = slide.settings()
    assert s.view == "parameter-map" and s.map_method == "momentum"
    lam_max = float(np.linalg.eigvalsh(surface_of(s).hessian(np.zeros(2)))[-1])
    assert math.isclose(lam_max, 50)
    assert math.isclose(2 / lam_max, 0.04) and math.isclose((2 + 2 * 0.9) / lam_max, 0.076)
    # The limits, from runs just inside and just outside them.
    for gamma, limit in ((0.0, 0.04), (0.9, 0.076)):
        inside = _run(s, "momentum", lr=limit * 0.97, momentum=gamma, steps=3000)
        outside = _run(s, "momentum", lr=limit * 1.03, momentum=gamma, steps=3000)
        assert inside.diverged_at == -1 and outside.diverged_at >= 0, gamma
    assert _numbers(slide.note) == {"2", "50", "0.04", "0", "0.076", "0.9"}
