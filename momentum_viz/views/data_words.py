"""The sentences a student reads about a data surface and its mini-batches.

Pure functions of numbers and names (no Streamlit): the app places them under the race
map, on the maps computed with all the data, and in the theory tab.

>>> full_batch_map_sentence(8, 50)[:60]
'This map is computed with all 50 examples per gradient (no m'
"""

from __future__ import annotations

from surfaces import Surface

# How the batch order is named in a sentence.
ORDER_WORDS = {
    "independent": "each step draws its own batch, independently of the others",
    "epoch": "the data are reshuffled every epoch and cut into disjoint batches",
}
# What σ does on a data surface: Gaussian noise on top of the mini-batch gradient.
NOISE_ON_DATA = "σ adds Gaussian noise on top of the mini-batch gradient's own noise"


def source_of(surface: Surface) -> str:
    """The data's citation, as the surface gives it (its ``source``, else its description)."""
    return str(getattr(surface, "source", "") or surface.description)


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
