"""The theory tab's part on a data surface with mini-batches: the noise floor.

Near the minimum a mini-batch run does not settle: it rattles in a cloud whose mean
excess loss J − J* the noisy-quadratic model predicts. This part shows, for the current
settings, the predicted floor of each method beside the measured one, and the lesson of
the predicted floors at the current α and γ (the effective step α/(1 − γ)). Every number
is computed from the current settings, so the words follow the picture when the user
moves away from a scenario.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import streamlit as st

from ...numerics.measured_floor import MEASURE_SEEDS
from ...numerics.noise_floor import noise_floor
from ...numerics.optimizer import Run
from ...views.data_words import effective_step_lesson, floor_sentence
from ...views.style import METHOD_LABELS
from ..compute import RunKey, compute_measured_floors
from ..settings import ALL_DATA, DATA_SURFACES, Settings, surface_of

# The heading of this part of the theory tab.
TITLE = "The noise floor of mini-batches"


def _stationary(settings: Settings, method: str, lr: float) -> float:
    """The predicted (stationary) floor of ``method`` at α = ``lr`` and these settings."""
    return noise_floor(
        surface_of(settings), method, lr=lr, momentum=settings.momentum,
        batch_size=settings.batch_size, noise=settings.noise,
    ).stationary  # fmt: skip


def predicted_floors(settings: Settings, methods: Iterable[str]) -> dict[str, float] | None:
    """Per method, the predicted floor (None for epoch-style batches, which the theory
    does not cover); ``inf`` where the linearised update is unstable."""
    if settings.batches != "independent":
        return None
    return {method: _stationary(settings, method, settings.lr) for method in methods}


def lesson(settings: Settings) -> str | None:
    """The effective-step lesson at the current α and γ, from heavy ball's and SGD's
    predicted floors (None without momentum, or where a floor is not finite)."""
    if settings.batches != "independent" or settings.momentum == 0:
        return None
    floors = (
        _stationary(settings, "sgd", settings.lr),
        _stationary(settings, "momentum", settings.lr),
        _stationary(settings, "momentum", settings.lr * (1.0 - settings.momentum)),
    )
    if not all(math.isfinite(f) and f > 0 for f in floors):
        return None
    return effective_step_lesson(settings.lr, settings.momentum, *floors)


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """On a data surface with mini-batches: predicted and measured floors, and the lesson."""
    if settings.surface not in DATA_SURFACES or settings.batch_size == ALL_DATA or not runs:
        return
    st.subheader(TITLE)
    measured = compute_measured_floors(RunKey.of(settings))
    predicted = predicted_floors(settings, runs)
    for method in runs:
        floor = None if predicted is None else predicted[method]
        st.markdown(floor_sentence(METHOD_LABELS[method], floor, measured[method], MEASURE_SEEDS))
    if settings.batches != "independent":
        st.caption(
            "No prediction with epoch order: the theory assumes every batch is drawn "
            "independently of the others; disjoint batches within an epoch make less noise."
        )
    text = lesson(settings)
    if text is not None:
        st.markdown(text)
    st.caption(
        f"Measured: J − J* averaged over the last half of the run, and over {MEASURE_SEEDS} "
        "runs with the seeds from the sidebar's seed on; a run that is still arriving "
        "half-way measures more than its floor."
    )
