"""Guided scenarios: ready-made views that each show one thing about momentum.

A :class:`Scenario` sets every control of the app: it names a surface and states only
what differs from that surface's defaults (its :class:`Settings` follow, with
``scenario`` set to its key), gives a lecturer one short sentence to say (``lead``) and
tells the student, in one or two plain sentences, what to watch for (``watch``).
:data:`SCENARIOS` lists them in the order the app shows them: the five lessons of the
blog post first, then the cases where its claims fail (momentum rolls past the best
minimum; momentum is slower). Every claim in a ``lead`` or ``watch`` text is checked
against :func:`momentum_viz.numerics.optimizer.simulate` by ``tests/test_scenarios.py``,
so it stays true when the code changes.

Pure Python: no Streamlit here.

>>> list(SCENARIOS)[:2]
['escape-local-minimum', 'narrow-valley']
>>> SCENARIOS["escape-local-minimum"].settings.momentum
0.9
>>> from .settings import from_query_params
>>> from_query_params({"scenario": "noisy-gradients"}, scenarios=SCENARIO_SETTINGS)[0].noise
3.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from surfaces import DEFAULT_KAPPA, least_squares, quadratic

from ..numerics.theory import optimal_momentum_params
from .settings import ALL_DATA, Settings, defaults_for

__all__ = ["SCENARIOS", "SCENARIO_SETTINGS", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    """One guided scenario.

    Attributes:
        key: url-safe slug (lowercase letters, digits, hyphens); ``?scenario=<key>``.
        title: shown in the scenario selector.
        watch: one or two sentences telling the student what to look for.
        lead: one sentence of at most 20 words a lecturer can say aloud (the app shows
            it first and ``watch`` behind an expander).
        surface, kappa, standardize: the surface the scenario starts from (κ: the bowl's;
            standardize: the least-squares surface's switch).
        changes: the settings that differ from that surface's defaults.
    """

    key: str
    title: str
    watch: str
    lead: str
    surface: str
    kappa: float = DEFAULT_KAPPA
    standardize: bool = False
    changes: Mapping[str, object] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        """Every control of the view, with ``settings.scenario == key``."""
        base = defaults_for(self.surface, self.kappa, standardize=self.standardize)
        return replace(base, scenario=self.key, **self.changes)  # type: ignore[arg-type]


# --- the scenarios ---------------------------------------------------------------------------

_ESCAPE = Scenario(
    key="escape-local-minimum",
    title="Momentum escapes a local minimum",
    surface="multiwell",
    watch=(
        "Plain SGD rolls into the first, shallow well it meets and stays there; momentum "
        "(γ = 0.9) rolls over the low ridge into the deep global well on the right. Within "
        "300 steps this works only for γ between about 0.84 and 0.95 (at 0.8 momentum "
        "stays in the shallow well, above 0.95 it has not arrived yet), and Nesterov at "
        "γ = 0.9 stays in the shallow well."
    ),
    lead=(
        "Momentum rolls over a ridge that traps plain SGD; within 300 steps, only for γ "
        "between about 0.84 and 0.95."
    ),
)

_VALLEY = Scenario(
    key="narrow-valley",
    title="Narrow curved valley",
    surface="rosenbrock",
    watch=(
        "The gradient points across the valley, not along it, so plain SGD only creeps "
        "along the floor: after 1,000 steps it is still far from the minimum at (1, 1) "
        "(it needs about 17,700). Momentum builds up speed along the valley and arrives "
        "after about 500 steps, some 35 times sooner."
    ),
    lead="In a narrow curved valley momentum arrives about 35 times sooner than plain SGD.",
)

_TOO_MUCH = Scenario(
    key="too-much-momentum",
    title="Too much momentum",
    surface="quadratic",
    changes={"momentum": 0.99, "steps": 500},
    watch=(
        "With γ = 0.99 the ball keeps almost all of its speed: it overshoots the minimum "
        "by nearly as far as it started and is still swinging back and forth after 500 "
        "steps, while plain SGD arrives at about step 400. Set γ to 0.8 and momentum "
        "arrives in about 75 steps."
    ),
    lead="At γ = 0.99 momentum still swings after 500 steps; at γ = 0.8 it settles in about 75.",
)

_LAM_MIN, _LAM_MAX = quadratic(DEFAULT_KAPPA).eigenvalues
_OPT_LR, _OPT_MOMENTUM = optimal_momentum_params(_LAM_MIN, _LAM_MAX)
_ILL = Scenario(
    key="ill-conditioned-bowl",
    title="Ill-conditioned bowl: the optimal α and γ",
    surface="quadratic",
    changes={"lr": _OPT_LR, "momentum": _OPT_MOMENTUM, "steps": 250},
    watch=(
        "With the theory's optimal α* ≈ 0.061 and γ* ≈ 0.57 momentum reaches the minimum "
        "in about 40 steps. Plain SGD diverges at this α (it needs α < 2/λmax = 0.04), "
        "and even with its best step size, α ≈ 0.039, it needs about 205 steps."
    ),
    lead=(
        "Theory-tuned momentum settles in about 40 steps; SGD diverges at this α (at its "
        "own best α: about 205 steps)."
    ),
)

_NOISE_KAPPA = 2.0
_NOISY = Scenario(
    key="noisy-gradients",
    title="Noisy gradients",
    surface="quadratic",
    kappa=_NOISE_KAPPA,
    changes={"lr": 0.002, "momentum": 0.9, "steps": 1200, "noise": 3.0},
    watch=(
        "Each momentum step averages the last ten or so noisy gradients, so its path runs "
        "smoothly to the bottom while SGD's zig-zags (in this run all of momentum's steps "
        "point downhill, only 67.5% of SGD's). Momentum arrives first and rattles around "
        "the bottom in a wider cloud than SGD's will be: after 1,200 steps SGD is still "
        "arriving."
    ),
    lead=(
        "With noisy gradients momentum heads downhill far more reliably than SGD, arrives "
        "first, but rattles in a wider cloud."
    ),
)

# --- where the blog post's claims fail ---------------------------------------------------------

_PAST_START = (2.87, -0.20)
_PAST = Scenario(
    key="rolls-past-global-minimum",
    title="Momentum rolls past the best minimum",
    surface="multiwell",
    changes={"x0": _PAST_START[0], "y0": _PAST_START[1]},
    watch=(
        "Starting right of the deep global well, plain SGD settles in it within a few "
        "steps (J = −2.05), but momentum (γ = 0.9) arrives so fast that it rolls straight "
        "through and ends in the worse well near (−0.43, −2.09), at J = −1.21. Lower γ "
        "to 0.8 and momentum stops in the global well too."
    ),
    lead=(
        "Momentum can overshoot the best minimum: here it rolls straight through the "
        "global well into a worse one."
    ),
)

_SLOWER = Scenario(
    key="momentum-slower-himmelblau",
    title="Momentum is slower: Himmelblau",
    surface="himmelblau",
    watch=(
        "Both reach the upper-left minimum, where the surface is almost a round bowl "
        "(curvatures 65 and 81) with no zig-zag for momentum to smooth out: with γ = 0.8 "
        "it swings back and forth across the minimum and settles after 75 steps, plain "
        "SGD after 36. Theory agrees: near this minimum the error shrinks by 0.89 per "
        "step with momentum, by 0.68 without."
    ),
    lead="Momentum is not always faster: here γ = 0.8 needs 75 steps where plain SGD needs 36.",
)

_ROUND_KAPPA = 1.0
_ROUND = Scenario(
    key="momentum-slower-round-bowl",
    title="Momentum is slower: a round bowl",
    surface="quadratic",
    kappa=_ROUND_KAPPA,
    changes={"lr": 0.1, "momentum": 0.9, "steps": 300},
    watch=(
        "On a round bowl (κ = 1) every SGD step points straight at the minimum, so "
        "there is no zig-zag for momentum to damp. With γ = 0.9 momentum overshoots and "
        "swings back and forth, settling after about 150 steps against SGD's 78 (theory: "
        "the error shrinks by 0.95 per step with momentum, by 0.90 without)."
    ),
    lead="On a round bowl momentum only adds overshoot: it settles in about 150 steps, SGD in 78.",
)

# --- momentum where deep learning uses it: a model fitted to data, with mini-batches --------

_UNSCALED = Scenario(
    key="unscaled-feature",
    title="Unscaled features and momentum",
    surface="engel",
    changes={"lr": 0.004},
    watch=(
        "With income in hundreds of francs the valley is long and thin (κ = 574): in 2,000 "
        "steps plain SGD has not arrived, momentum arrives at step 420. Switch on "
        "“Standardize the feature” and κ falls to 1: at its α = 0.5 plain SGD arrives in "
        "one step, while momentum (γ = 0.9) only adds overshoot and settles at step 170."
    ),
    lead=(
        "An unscaled feature makes a long valley (κ = 574) where momentum wins; standardized, "
        "κ is 1 and SGD wins."
    ),
)

# The noise floor: runs that start at the minimum of the standardized least-squares fit,
# so what the race shows is the cloud the mini-batch noise keeps them in.
_FLOOR_START = least_squares(standardize=True).minima[0].point
_FLOOR_VIEW = {"x0": _FLOOR_START[0], "y0": _FLOOR_START[1], "lr": 0.001, "steps": 2000}
_FLOOR = Scenario(
    key="noise-floor",
    title="The noise floor and α/(1 − γ)",
    surface="engel",
    standardize=True,
    changes=_FLOOR_VIEW | {"batch_size": 1},
    watch=(
        "Both start at the minimum and, fed one household per step, rattle around it: over "
        "24 seeds momentum's excess loss averages 0.21, SGD's 0.016, 13 times less (the "
        "effective step α/(1 − γ) is 10 times α). Lower α to 0.0001 = α(1 − γ) and "
        "momentum's floor falls to SGD's, 0.016."
    ),
    lead=(
        "With mini-batches momentum settles in a higher noise floor: its effective step is "
        "α/(1 − γ)."
    ),
)

_BATCH = Scenario(
    key="batch-size",
    title="The batch size and the noise floor",
    surface="engel",
    standardize=True,
    changes=_FLOOR_VIEW | {"batch_size": 10},
    watch=(
        "With 10 of the 235 households per step momentum's floor is 12 times lower than "
        "with one: over 24 seeds its excess loss averages 0.018, against 0.21 at batch size "
        "1. Epoch order (disjoint batches in each pass) lowers it to 0.0015, a process the "
        "independent-batch theory does not cover."
    ),
    lead="Ten times the batch, about a tenth of the noise floor; epoch order lowers it further.",
)

SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        _ESCAPE, _VALLEY, _TOO_MUCH, _ILL, _NOISY, _PAST, _SLOWER, _ROUND,
        _UNSCALED, _FLOOR, _BATCH,
    )
}  # fmt: skip

# How a changed setting is named when the page says the user left a scenario's view.
_CHANGE_LABELS = {
    "surface": "surface",
    "kappa": "κ",
    "standardize": "standardize",
    "methods": "methods",
    "lr": "α",
    "momentum": "γ",
    "steps": "steps",
    "noise": "σ",
    "seed": "seed",
    "batch_size": "batch size",
    "batches": "batch order",
}


def changes_from(scenario: Scenario, settings: Settings) -> list[str]:
    """What ``settings`` changed of the scenario's view, e.g. ``["γ 0.9 → 0.6"]``.

    Empty while the view is the scenario's own (the open tab and the map's choices do not
    count: they change what is shown, not the runs the scenario's text describes).

    >>> escape = SCENARIOS["escape-local-minimum"]
    >>> from dataclasses import replace
    >>> changes_from(escape, replace(escape.settings, momentum=0.6, view="theory"))
    ['γ 0.9 → 0.6']
    """
    own = scenario.settings
    changed = []
    for name, label in _CHANGE_LABELS.items():
        before, after = getattr(own, name), getattr(settings, name)
        if before != after:
            if name == "methods":
                before, after = ", ".join(before), ", ".join(after)
            elif isinstance(before, bool):
                before, after = ("on" if b else "off" for b in (before, after))
            elif name == "batch_size":
                before, after = (b if b != ALL_DATA else "all" for b in (before, after))
            elif isinstance(before, float):
                before, after = f"{before:.4g}", f"{after:.4g}"
            changed.append(f"{label} {before} → {after}")
    if (own.x0, own.y0) != (settings.x0, settings.y0):
        changed.append(
            f"start ({own.x0:.3g}, {own.y0:.3g}) → ({settings.x0:.3g}, {settings.y0:.3g})"
        )
    return changed


#: key → Settings, the form :func:`momentum_viz.settings.from_query_params` takes.
SCENARIO_SETTINGS: dict[str, Settings] = {key: s.settings for key, s in SCENARIOS.items()}
