"""The controls and notes of the data surfaces: the batch size, the batch order and the
"standardize the feature" switch in the sidebar, and the notes that say what a mini-batch
run shows (under the race map, and on the maps that are computed with all the data).

The sidebar calls :func:`surface_controls` and :func:`batch_controls`; they draw nothing
on a formula surface. The words about mini-batches are :mod:`..views.data_words`.
"""

from __future__ import annotations

import streamlit as st

from ..views.data_words import NOISE_ON_DATA, batch_caption, full_batch_map_sentence
from . import state
from .settings import (
    ALL_DATA,
    BATCH_ORDERS,
    DATA_SURFACES,
    STANDARDIZABLE,
    Settings,
    examples_in,
    surface_of,
)

# The batch sizes the slider offers below N: 1, 2, 5 per decade ("all" sits at the right
# end; a value from a link is added, so it stays exact).
_BATCH_MANTISSAS = (1, 2, 5)


def batch_stops(examples: int, current: int) -> list[int]:
    """The batch-size slider's stops for N = ``examples``: 1, 2, 5, 10, … below N, then N
    and "all" (:data:`ALL_DATA`, last), with the current value added.

    >>> batch_stops(30, 0), batch_stops(30, 7)
    ([1, 2, 5, 10, 20, 30, 0], [1, 2, 5, 7, 10, 20, 30, 0])
    """
    sizes = {m * 10**e for e in range(7) for m in _BATCH_MANTISSAS if m * 10**e < examples}
    sizes |= {examples} | ({current} if current != ALL_DATA else set())
    return [*sorted(sizes), ALL_DATA]


def _batch_label(size: int) -> str:
    return "all" if size == ALL_DATA else str(size)


def surface_controls() -> None:
    """Under the surface picker, on the least-squares surface: "standardize the feature"."""
    if st.session_state["surface"] not in STANDARDIZABLE:
        return
    st.sidebar.toggle(
        "Standardize the feature",
        key="standardize",
        on_change=state.on_surface_change,
        help="Fit on (x − mean)/std instead of x: the valley turns round and κ falls.",
    )


def batch_controls() -> None:
    """The batch size (1 … N or all) and, with mini-batches, the order of the batches."""
    name = st.session_state["surface"]
    if name not in DATA_SURFACES:
        return
    examples = examples_in(name)
    sb = st.sidebar
    sb.select_slider(
        "Batch size",
        batch_stops(examples, int(state.value_of("batch_size"))),  # type: ignore[call-overload]
        key="batch_size",
        format_func=_batch_label,
        help=(
            f"Examples per gradient, 1 … {examples}, or all {examples} (the full-data "
            "gradient). Each batch is drawn without replacement from the seed; every "
            "method sees the same batches."
        ),
    )
    if state.value_of("batch_size") != ALL_DATA:
        sb.radio(
            "Batch order",
            list(BATCH_ORDERS),
            key="batches",
            format_func=BATCH_ORDERS.get,
            horizontal=True,
            help=(
                "Independent: every step draws its own batch (what the noise-floor theory "
                "assumes). Epochs: the data are shuffled and cut into disjoint batches, "
                "a different process with a lower noise floor."
            ),
        )


def data_note(settings: Settings) -> None:
    """Under the race map of a data surface: the data's source, and what a mini-batch run
    shows (the map and the loss curve are the full-data loss)."""
    surface = surface_of(settings)
    if settings.surface not in DATA_SURFACES:
        return
    st.caption(batch_caption(surface, settings.batch_size, settings.batches, settings.noise))


def full_batch_map_note(settings: Settings) -> None:
    """On the (α, γ) and basin maps: they are computed with all the data, said out loud
    when the race runs on mini-batches."""
    if settings.surface in DATA_SURFACES and settings.batch_size != ALL_DATA:
        st.info(full_batch_map_sentence(settings.batch_size, examples_in(settings.surface)))


def noise_help(surface_name: str) -> str:
    """What the σ slider's help adds on a data surface."""
    if surface_name not in DATA_SURFACES:
        return ""
    return f" On a data surface {NOISE_ON_DATA}."
