"""The whole page, top to bottom: read this first.

:func:`run_app` is the script Streamlit reruns on every interaction, and the data flow
is visible in it: session state (:mod:`.state`) → the sidebar's :class:`Settings`
(:mod:`.sidebar`) → the address bar → the cached runs (:mod:`.compute`) → the header and
the open tab (:mod:`.tabs`). Every tab is a function ``render(settings, runs)`` listed
in :data:`TABS`.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ..numerics.optimizer import Run
from . import sidebar, state, streamlit_internals  # noqa: F401 (pandas before any script thread)
from .compute import runs_for
from .scenarios import SCENARIOS, changes_from
from .settings import VIEWS, Settings, code_span, surface_of, to_query_params
from .state import init_state
from .tabs import basin_map, parameter_map, race, surface3d, theory

Tab = Callable[[Settings, dict[str, Run]], None]

# The tabs in the order the page shows them; the labels are also the values of the
# "view" widget.
TABS: dict[str, Tab] = {
    VIEWS["race"]: race.render,
    VIEWS["3d"]: surface3d.render,
    VIEWS["theory"]: theory.render,
    VIEWS["parameter-map"]: parameter_map.render,
    VIEWS["basin-map"]: basin_map.render,
}


def _scenario_note(settings: Settings) -> None:
    """The scenario's lead and what to watch for; once the view has left the scenario's
    settings, a note saying what changed instead (the text would no longer match)."""
    scenario = SCENARIOS[settings.scenario]
    changed = changes_from(scenario, settings)
    if not changed:
        st.success(f"**{scenario.title}.** {scenario.lead}")
        with st.expander("What to watch for"):
            st.markdown(scenario.watch)
        return
    st.info(
        f"You have changed {'; '.join(changed)} since the scenario “{scenario.title}”. "
        "Its notes describe its own settings, so they are hidden until you go back."
    )
    st.button("Back to the scenario", on_click=state.on_scenario_change)


def header(settings: Settings, notes: list[str]) -> None:
    """Title, notes about the link, the scenario's advice and the surface's formula."""
    surface = surface_of(settings)
    st.title("Momentum, made visible")
    st.caption(
        "Gradient descent with and without momentum, side by side. Press ▶ Play on the map;"
        " move α and γ in the sidebar and watch the race change."
    )
    for note in notes:
        st.info(f"Link: {code_span(note)}", icon="🔗")
    if settings.scenario in SCENARIOS:
        _scenario_note(settings)
    # A custom surface's title is the formula a user typed: a code span, never Markdown.
    title = code_span(surface.title) if surface.name == "custom" else f"**{surface.title}**"
    with st.expander(f"{title} — {surface.description}"):
        st.latex(surface.latex)


def run_app() -> None:
    """Build the whole page (the entry point ``app.py`` calls this)."""
    notes = init_state()
    settings = sidebar.render()
    # The address bar always holds a link that reopens exactly this view.
    params = to_query_params(settings)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    runs = runs_for(settings)
    header(settings, notes)
    # Lazy tabs: only the open one runs, so the heavier views cost nothing until opened.
    tabs = st.tabs(list(TABS), key="view", on_change="rerun")
    for tab, render in zip(tabs, TABS.values(), strict=True):
        if tab.open:
            with tab:
                render(settings, runs)
