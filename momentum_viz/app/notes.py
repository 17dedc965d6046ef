"""Notes that belong to the view, shown under the race map or under another tab's chart:
what to watch for in the scenario (or what changed since it) and the surface's formula.

They used to sit above the tabs, where they pushed the race map off a projector's first
screen.
"""

from __future__ import annotations

import streamlit as st

from ..numerics.valley import valley_floor
from ..views.words import format_number
from . import state
from .scenarios import SCENARIOS, changes_from
from .settings import CUSTOM, Settings, code_span, surface_of


def scenario_note(settings: Settings) -> None:
    """What to watch for in the scenario; once the view has left the scenario's settings,
    a note saying what changed instead (its text would no longer match).

    The header already shows the scenario's lead; this goes under the map.
    """
    if settings.scenario not in SCENARIOS:
        return
    scenario = SCENARIOS[settings.scenario]
    changed = changes_from(scenario, settings)
    if not changed:
        with st.expander(f"What to watch for: {scenario.title}"):
            st.markdown(scenario.watch)
        return
    st.info(
        f"You have changed {'; '.join(changed)} since the scenario “{scenario.title}”. "
        "Its notes describe its own settings, so they are hidden until you go back."
    )
    st.button("Back to the scenario", on_click=state.on_scenario_change)


def surface_note(settings: Settings) -> None:
    """The surface's name, description and formula, behind an expander."""
    surface = surface_of(settings)
    # A custom surface's title is the formula a user typed: a code span, never Markdown.
    title = code_span(surface.title) if surface.name == "custom" else f"**{surface.title}**"
    description = surface.description
    valley = valley_floor(surface)
    if valley is not None:  # listed as "no minimum": its minima are not isolated points
        description = (
            f"Your own surface: a valley of minima inside the bounds, J = "
            f"{format_number(valley.value)} all along its floor."
        )
    with st.expander(f"{title} — {description}"):
        st.latex(surface.latex)


def refused_formula_text(reason: str) -> str:
    """What a refused formula's note says: the reason, and the surface that stays (both
    as code: the reason may quote what the student typed)."""
    return (
        f"Not applied: {code_span(reason)}. The surface stays "
        f"{code_span('J(x, y) = ' + str(state.value_of('expr')))}."
    )


def refused_formula_note(settings: Settings) -> None:
    """Above the map, the formula the student just tried and why it was refused: the map
    they are looking at still shows the previous surface."""
    reason = st.session_state.get(state.ERROR)
    if reason is not None and settings.surface == CUSTOM:
        st.warning(refused_formula_text(reason), icon="⚠️")
