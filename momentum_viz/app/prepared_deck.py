"""The prepared deck, "Momentum in ten views": the story of momentum, in order.

The guided scenarios (:mod:`.scenarios`) are its slides, one source for both: a scenario's
slide is its title, its lead as the note and its settings as the view. Four views are
added where the story needs them (SGD alone in the valley, Nesterov's look-ahead, the
anatomy of one step, the (α, γ) map), and the two scenarios the ten views leave out
follow as extra slides, then the three on data and mini-batches. Every number on a slide
is checked against ``simulate`` by ``tests/test_prepared_deck.py``. Pure Python: no Streamlit here.

>>> len(PREPARED_DECK.slides), PREPARED_DECK.slides[1].title
(15, 'Narrow curved valley')
"""

from __future__ import annotations

from dataclasses import replace

from .deck import Deck, Slide, view_of
from .scenarios import SCENARIOS
from .settings import Settings

TITLE = "Momentum in ten views"

_VALLEY = SCENARIOS["narrow-valley"].settings
_BOWL = SCENARIOS["too-much-momentum"].settings  # the κ = 50 bowl
# Nesterov against heavy ball on that bowl: γ high enough that heavy ball overshoots.
NESTEROV_VIEW = replace(
    _BOWL, scenario="", methods=("momentum", "nesterov"), lr=0.02, momentum=0.95
)
ANATOMY_VIEW = replace(NESTEROV_VIEW, momentum=0.9, steps=100, anatomy=True, anatomy_step=8)
MAP_VIEW = replace(_BOWL, scenario="", view="parameter-map", map_method="momentum")
SGD_VALLEY_VIEW = replace(_VALLEY, scenario="", methods=("sgd",))


def _scenario(key: str, extra: str = "") -> Slide:
    scenario = SCENARIOS[key]
    note = f"{scenario.lead} {extra}".strip()
    return Slide(scenario.title, note, view_of(scenario.settings))


def _view(title: str, note: str, settings: Settings) -> Slide:
    return Slide(title, note, view_of(settings))


_SLIDES = (
    _view(
        "Plain SGD crawls along Rosenbrock's valley",
        "The gradient points across the valley, not along it: after 1,000 steps at "
        "α = 0.001 plain SGD is still 1.75 from the minimum at (1, 1).",
        SGD_VALLEY_VIEW,
    ),
    _scenario(
        "narrow-valley",
        "Along the floor the pushes add up: the effective step α/(1 − γ) is "
        "0.001/0.05 = 0.02, twenty times α.",
    ),
    _scenario("too-much-momentum"),
    _scenario("escape-local-minimum"),
    _scenario("rolls-past-global-minimum"),
    _scenario("momentum-slower-round-bowl"),
    _view(
        "Nesterov's look-ahead",
        "Nesterov takes the gradient where momentum is about to carry it, so it brakes "
        "before it overshoots: at γ = 0.95 it settles after 229 steps, heavy ball after 317.",
        NESTEROV_VIEW,
    ),
    _view(
        "The anatomy of one step",
        "One step taken apart: the gradient step −α∇J plus the carried velocity −γv make "
        "the move; Nesterov takes its gradient at the look-ahead point.",
        ANATOMY_VIEW,
    ),
    _view(
        "The (α, γ) map and its stability limits",
        "Every cell is one run. Heavy ball is stable while αλmax < 2 + 2γ: with λmax = 50, "
        "α < 0.04 at γ = 0 and α < 0.076 at γ = 0.9.",
        MAP_VIEW,
    ),
    _scenario("noisy-gradients"),
    _scenario("ill-conditioned-bowl"),
    _scenario("momentum-slower-himmelblau"),
    # Momentum where deep learning uses it: a model fitted to data, with mini-batches.
    _scenario("unscaled-feature"),
    _scenario("noise-floor"),
    _scenario("batch-size"),
)

PREPARED_DECK = Deck(TITLE, _SLIDES)
