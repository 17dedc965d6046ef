"""The sentences a student reads about a data surface and its mini-batches.

Pure functions of numbers and names (no Streamlit): the app places them under the race
map, on the maps computed with all the data, and in the theory tab.

>>> full_batch_map_sentence(8, 50)[:60]
'This map is computed with all 50 examples per gradient (no m'
"""

from __future__ import annotations

from surfaces import Surface

from .words import format_number

# How the batch order is named in a sentence.
ORDER_WORDS = {
    "independent": "each step draws its own batch, independently of the others",
    "epoch": "the data are reshuffled every epoch and cut into disjoint batches",
}
# What σ does on a data surface: Gaussian noise on top of the mini-batch gradient.
NOISE_ON_DATA = "σ adds Gaussian noise on top of the mini-batch gradient's own noise"


# Where each data set comes from, in one line (the full sources and licences are in
# surfaces/data/README.md).
SOURCES = {
    "engel": "Engel's food budgets of 235 Belgian households, 1857 (Koenker and Bassett, "
    "1982, as shipped with statsmodels; public domain)",
    "iris": "Fisher's iris petals, versicolor and virginica (Fisher, 1936; measured by "
    "Edgar Anderson; UCI, CC BY 4.0)",
}


def source_of(surface: Surface) -> str:
    """The data's citation in one line (the surface's description if it is not listed)."""
    return SOURCES.get(surface.name, surface.description)


def batch_caption(surface: Surface, batch_size: int, batches: str, noise: float) -> str:
    """Under the race map of a data surface: the data, the batches and what the map shows.

    ``batch_size`` 0 means every example (the full-data gradient).
    """
    examples = len(surface.data[1])  # type: ignore[attr-defined]
    parts = [f"Data: {source_of(surface)}."]
    if batch_size == 0 or batch_size == examples:
        parts.append(f"Every gradient is the mean over all {examples} examples.")
    else:
        parts.append(
            f"Mini-batches of {batch_size} of the {examples} examples, drawn without "
            f"replacement from the seed: {ORDER_WORDS[batches]}; every method sees the same "
            "batches. The map and the loss curve show the loss on all the data."
        )
    if noise > 0:
        parts.append(f"{NOISE_ON_DATA} (σ = {noise:g}).")
    return " ".join(parts)


def full_batch_map_sentence(batch_size: int, examples: int) -> str:
    """On the (α, γ) and basin maps while the race runs on mini-batches."""
    return (
        f"This map is computed with all {examples} examples per gradient (no mini-batch "
        f"noise), not with the race's batches of {batch_size}: it shows where the "
        "full-data runs go."
    )


def floor_sentence(method_label: str, predicted: float | None, measured: float, seeds: int) -> str:
    """One method's noise floor: the prediction (None for epoch-style batches, which the
    theory does not cover) beside the measured excess loss.

    >>> floor_sentence("Momentum", 0.0912, 0.0990, 20)[:63]
    'Momentum: predicted noise floor J − J* = 0.0912, measured 0.099'
    """
    measured_text = (
        f"measured {format_number(measured, 3)} (mean over {seeds} seeds of the last half "
        "of each run)"
    )
    if predicted is None:
        return f"{method_label}: {measured_text}."
    return (
        f"{method_label}: predicted noise floor J − J* = {format_number(predicted, 3)}, "
        f"{measured_text}."
    )


def effective_step_lesson(
    lr: float, momentum: float, floor_sgd: float, floor_momentum: float, floor_slowed: float
) -> str:
    """The lesson of the predicted floors at these α and γ: raising γ at fixed α multiplies
    the floor by about 1/(1 − γ) (the effective step α/(1 − γ) grows by as much), and
    momentum with α lowered to α(1 − γ) has about SGD's floor at α.

    >>> lesson = effective_step_lesson(0.0005, 0.9, 0.00913, 0.0912, 0.00912)
    >>> print(lesson[:78])
    At α = 0.0005, γ = 0.9 raises the predicted floor 9.99 times (the effective st
    >>> print(lesson[lesson.index("with"):])
    with α lowered to α(1 − γ) = 5e-05 momentum's floor is 0.00912, SGD's at α is 0.00913.
    """
    ratio = floor_momentum / floor_sgd
    slowed_lr = lr * (1.0 - momentum)
    return (
        f"At α = {lr:.3g}, γ = {momentum:.4g} raises the predicted "
        f"floor {format_number(ratio, 3)} times (the effective step α/(1 − γ) is "
        f"{format_number(1.0 / (1.0 - momentum), 3)} times α); with α lowered to "
        f"α(1 − γ) = {slowed_lr:.3g} momentum's floor is "
        f"{format_number(floor_slowed, 3)}, SGD's at α is {format_number(floor_sgd, 3)}."
    )
