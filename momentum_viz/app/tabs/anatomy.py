"""The race tab's "anatomy of a step": the toggle, the step-by-step controls and one line
of numbers per method.

With the toggle on, the race tab's live map freezes at step t and draws its arrows (see
:func:`momentum_viz.views.anatomy.anatomy_header`) instead of the replay; "◀ previous
step" and "next step ▶" (also the ← and → keys, Streamlit's button shortcuts) and a
number input move t. Toggle and step live in the link (``anatomy``, ``anatomy_step``).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ...numerics.anatomy import StepAnatomy
from ...views.style import METHOD_LABELS
from ...views.words import format_number
from .. import state
from ..settings import Settings

TOGGLE_LABEL = "Anatomy of a step"
PREVIOUS_LABEL = "◀ previous step"
NEXT_LABEL = "next step ▶"


def length(vector: np.ndarray) -> str:
    """A part's length as the page prints it."""
    return format_number(float(np.hypot(*vector)))


def anatomy_line(anatomy: StepAnatomy) -> str:
    """The numbers of one method's step (Markdown: its label, then one line a part)."""
    label = METHOD_LABELS.get(anatomy.method, anatomy.method)
    lines = [
        f"**{label}**",
        f"|gradient step| = {length(anatomy.gradient_step)}",
        f"|carried velocity| = {length(anatomy.carried)}",
        f"|move| = {length(anatomy.move)}",
    ]
    if np.hypot(*anatomy.rest) > 1e-9 * max(1.0, float(np.hypot(*anatomy.move))):
        lines.append(f"noise or a stop: {length(anatomy.rest)}")
    return "  \n".join(lines)


def controls(settings: Settings) -> None:
    """The toggle and, when it is on, the step controls in one row (above the map)."""
    toggle = {
        **state.lasting("anatomy"),
        "help": "Walk through the race one step at a time, with the arrows each step is "
        "made of. The ← and → keys step too.",
    }
    if not settings.anatomy:
        st.toggle(TOGGLE_LABEL, **toggle)
        return
    last = settings.steps - 1
    step = settings.anatomy_step
    toggle_col, prev_col, step_col, next_col = st.columns(
        [5, 4, 3, 4], gap="small", vertical_alignment="center"
    )
    toggle_col.toggle(TOGGLE_LABEL, **toggle)
    prev_col.button(
        PREVIOUS_LABEL,
        key="anatomy_previous",
        on_click=state.on_anatomy_step,
        args=(-1, last),
        disabled=step <= 0,
        shortcut="Left",
        width="stretch",
    )
    state.show_anatomy_step(step)
    step_col.number_input(
        "Step t",
        # A float input shown as a whole number: Streamlit's int input raises on a NaN
        # the browser sends (see the sidebar's seed).
        min_value=0.0,
        max_value=float(last),
        step=1.0,
        format="%.0f",
        key="anatomy_step",
        on_change=state.remember,
        args=("anatomy_step",),
        label_visibility="collapsed",
        help="The step shown: the move from θₜ to θₜ₊₁.",
    )
    next_col.button(
        NEXT_LABEL,
        key="anatomy_next",
        on_click=state.on_anatomy_step,
        args=(1, last),
        disabled=step >= last,
        shortcut="Right",
        width="stretch",
    )


def numbers(anatomies: dict[str, StepAnatomy], step: int) -> None:
    """Beside the map: which line is which part, then one block per method."""
    st.markdown(
        f"Step {step} → {step + 1}: **╌** carried velocity −γv, **┈** gradient step −α∇J, "
        "**━** move (their sum)",
        help="Hover an arrow on the map for its exact length; a very short one is drawn "
        "longer, in its own direction.",
    )
    for anatomy in anatomies.values():
        st.markdown(anatomy_line(anatomy))
