"""The whole page, top to bottom: read this first.

:func:`run_app` is the script Streamlit runs, and the data flow is visible in it:
session state (:mod:`.state`) → the sidebar's controls (:mod:`.sidebar`), the header
and the tabs → the live part :func:`_live`: α and γ, the :class:`Settings` they all hold,
the address bar, the cached runs (:mod:`.compute`) and the open tab (:mod:`.tabs`) → what
the tab shows under it (:func:`_rest`). The live part is a Streamlit fragment: a move of
α or γ, or of a control inside the open tab, reruns it alone (about 1.2–1.5× a bare
Streamlit page's work: README, "The compiled kernel"), and anything else, or a move that
changes what is drawn outside it (:func:`_outside`), runs the whole page. Every tab is a
function ``render(settings, runs)`` listed in :data:`TABS`.

Where the rest lives: each setting is declared once (:mod:`.fields`, :mod:`.settings`) and
links are read and written from those declarations (:mod:`.links`); the race map, live and
exported, is one canvas component (:mod:`.live_map`, ``live_map.js``); a lecture deck and
present mode are :mod:`.deck`, :mod:`.deck_session`, :mod:`.lecture_panel` and
:mod:`.present`; following a lecturer is :mod:`.follow` on the page and :mod:`.classroom`
with :mod:`.broker` on the server; a custom formula that fails to draw is turned into a
note by :mod:`.formula_guard`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ..numerics.optimizer import Run
from . import (  # noqa: F401 (streamlit_internals: pandas before any script thread)
    deck_session,
    follow,
    lecture_panel,
    live_map,
    present,
    screens,
    sidebar,
    slide_preview,
    state,
    streamlit_internals,
    warmup,
)
from .compute import runs_for
from .formula_guard import draw_or_refuse, recover_from_failed_formula
from .notes import scenario_note, surface_note
from .scenarios import SCENARIOS, changes_from
from .settings import VIEWS, Settings, code_span, to_query_params
from .state import init_state
from .tabs import basin_map, frameworks, parameter_map, race, surface3d, theory

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


# The page above the race map is kept to a title line and the tabs (~150 px at 1280×720),
# so the map, its Play row and its legend fit a projector's first screen. Streamlit 1.67
# reserves 6rem above the content for its header bar and 5rem on each side in the wide
# layout; here the bar is see-through (its menu stays clickable) and the content starts
# right under the top edge. Selectors are Streamlit's data-testid attributes (see
# streamlit_internals.py); narrow screens keep Streamlit's own spacing.
PAGE_CSS = """
<style>
/* Says the page's style is in force: on a first load it applies a frame or two after the
   first elements, so a test measures the layout after it (tests/_server.wait_for_app). */
:root { --mv-page-style: applied; }
@media (min-width: 700px) {
  [data-testid="stMainBlockContainer"] {
    padding-top: 0.5rem; padding-left: 2rem; padding-right: 2rem;
  }
  [data-testid="stHeader"] { background: transparent; pointer-events: none; }
  [data-testid="stHeader"] button, [data-testid="stHeader"] a { pointer-events: auto; }
  [data-testid="stMainBlockContainer"] h1 { padding: 0 4rem 0 0; font-size: 1.8rem; }
  [data-testid="stMainBlockContainer"] [data-testid="stAlertContainer"] {
    padding: 0.5rem 0.9rem;
  }
}
[data-testid="stMainBlockContainer"] .stTabs [data-baseweb="tab-panel"] { padding-top: 0.5rem; }
/* The caption with the prepared deck's link: Streamlit draws captions at opacity 0.6, which
   left the link 3.6:1 on white; opaque, grey text (#4a4f57, 8.3:1) and the theme's blue
   link (6.4:1); in the dark theme (light-dark(): Streamlit sets color-scheme) #c9ced6
   (11:1 on #14171c) and the dark theme's link blue #8ab4f8 (8.5:1). */
[data-testid="stCaptionContainer"]:has(a[href^="?deck="]) {
  opacity: 1; color: light-dark(#4a4f57, #c9ced6);
}
[data-testid="stCaptionContainer"] a[href^="?deck="] { color: light-dark(#0b57d0, #8ab4f8); }
/* The live map's blob carriers draw nothing (app/live_map.py): no gap for them. */
.st-key-live_map_code, .st-key-live_surface, .st-key-live_gamma_family { display: none; }
/* Keyboard focus: one opaque ring on every control, 3 px of the theme's blue #0b57d0 (6.4:1
   on the page's white, 5.6:1 on the sidebar's #eef1f5; in the dark theme #8ab4f8, 8.5:1 on
   #14171c and 7:1 on the sidebar's #23272f), 2 px off the control so it never
   merges with a blue thumb or button. Streamlit 1.67 draws a half-transparent ring
   (rgba(11, 87, 208, 0.5): 2.2:1 on white) or, on text fields, only a 1 px border change.
   Buttons, links, expanders and Plotly's toolbar take :focus-visible; the other widgets
   hide their input element and mark the part that is seen with react-aria's data-focus-visible
   (slider thumb, switch, radio option, tab, select box); number inputs ring their box. */
:is(button, a, summary):focus-visible,
[data-testid="stSlider"] [data-focus-visible="true"],
[data-testid="stCheckbox"] label[data-focus-visible="true"],
[data-testid="stRadioOption"][data-focus-visible="true"],
[data-testid="stTab"][data-focus-visible="true"],
[data-testid="stSelectbox"] [role="group"][data-focus-visible="true"],
[data-testid="stNumberInputContainer"]:has(input:focus-visible),
[data-testid="stTextInputRootElement"]:has(input:focus-visible) {
  outline: 3px solid light-dark(#0b57d0, #8ab4f8) !important; outline-offset: 2px !important;
  box-shadow: none !important;
}
/* Display maths (st.latex): KaTeX makes .katex-display a sideways scroll box, and a formula
   that fills it measures a pixel wider than the box, so the page had a scroll region that
   no keyboard can reach (axe-core: scrollable-region-focusable). It overflows visibly
   instead, and on a phone it is set small enough to fit (the update rule is 432 px wide
   at 18 px; a phone's column is 316 px). */
[data-testid="stMarkdownContainer"] .katex-display { overflow: visible; }
@media (max-width: 640px) {
  [data-testid="stMarkdownContainer"] .katex-display > .katex { font-size: 0.85em; }
  /* Streamlit keeps every table cell on one line, which pushed the outcome table's last
     two columns off a phone's screen. Wrapped, with less padding and a smaller font, its
     five columns fit; only a word wider than its cell is broken. */
  [data-testid="stTable"] [data-testid="stTableStyledTable"] :is(th, td) {
    white-space: normal; padding: 0.25rem 0.3rem; font-size: 0.85em;
  }
  [data-testid="stTable"] [data-testid="stMarkdownContainer"] p { overflow-wrap: break-word; }
  /* The (α, γ) map keeps its colour legend beside the map: squeezed into a phone's 316 px
     the map itself was 75 px wide. It keeps 560 px, and its box scrolls sideways (a
     vertical swipe still scrolls the page). */
  .st-key-parameter_map_box { overflow-x: auto; }
  .st-key-parameter_map { min-width: 560px; }
}
</style>
"""

# Phones: a one-finger swipe that starts on a Plotly chart scrolls the page. plotly.js takes
# every touchstart on a chart's drag layer and calls preventDefault (to pan or zoom it, or to
# turn the 3-D view), so a swipe on a chart never scrolled the page, and the charts fill a
# phone's screen. Stopping the gesture's touch events on their way down (capture phase, on
# the window, before plotly's listeners) leaves the swipe to the browser. A tap still
# reaches plotly as the mouse events the browser makes from it (click a map to set the
# start or α and γ; hover), and two-finger gestures still reach it. The toolbar, legend
# and the race map's slider and Play buttons keep their own touch handling. Ours, constant
# text: the only place the page runs a script of its own.
TOUCH_SCRIPT = """
<script>
(() => {
  if (window.momentumVizTouchScroll) return;  // once per page, however often it reruns
  window.momentumVizTouchScroll = true;
  const keep = ".modebar-container, .legend, .slider-container, .updatemenu-container";
  let onChart = false;
  window.addEventListener("touchstart", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    onChart = event.touches.length === 1 && target !== null
      && target.closest('[data-testid="stPlotlyChart"]') !== null
      && target.closest(keep) === null;
    if (onChart) event.stopPropagation();
  }, { capture: true, passive: true });
  window.addEventListener("touchmove", (event) => {
    if (onChart && event.touches.length === 1) event.stopPropagation();
  }, { capture: true, passive: true });
})();
</script>
"""


def scenario_holds(settings: Settings) -> bool:
    """Whether the view is still the chosen scenario's own (its banner is shown)."""
    scenario = SCENARIOS.get(settings.scenario)
    return scenario is not None and not changes_from(scenario, settings)


def header(settings: Settings, notes: list[str]) -> None:
    """One line or two above the tabs, so the race map fits a projector's first screen:
    the scenario's title and lead while its settings hold, else the app's title and how
    to use the page (lecture mode: nothing but the scenario's lead). Then notes about
    the link."""
    scenario = SCENARIOS.get(settings.scenario)
    if scenario_holds(settings):
        st.success(f"**{scenario.title}.** {scenario.lead}")
    elif not settings.lecture and follow.followed_code() is None:
        st.title("Momentum, made visible")
        st.caption(
            "Press ▶ Play under the map; move α and γ in the sidebar. "
            f"Teaching? {present.prepared_deck_offer()}"
        )
    for note in notes:
        st.info(f"Link: {code_span(note)}", icon="🔗")
    for note in state.widget_notes():  # values the browser sent that no field can take
        st.warning(f"Ignored: {code_span(note)}", icon="⚠️")


# The settings whose widgets the live part draws (:func:`_live`): α and γ in the sidebar
# and the controls inside the open tab. A change of one of these reruns the live part
# alone; any other change (a sidebar control, a click on the map that sets the start, a
# slide or a followed lecturer's view) reruns the whole page.
LIVE_FIELDS = ("lr", "momentum", "map_method", "theory_point", "anatomy", "anatomy_step")
# The live part reruns by itself this often. It need not (every change reruns it), but a
# page with a fragment that does is one Streamlit's browser side runs in full when it
# reconnects to a restarted server (streamlit/streamlit PR #11890): the new session then
# holds the live part before the first move (see also streamlit_internals).
_SELF_RERUN = "1h"
_OUTSIDE = "_outside"  # what the rest of the page was last drawn for (:func:`_outside`)
_RERAN = "_reran"  # the live part asked for a whole page's run (once, not again in a row)
_LINK_NOTES_SHOWN = "_link_notes_shown"  # the title line shows notes about the opened link


def run_app() -> None:
    """Build the whole page (the entry point ``app.py`` calls this)."""
    with warmup.foreground():  # a slide's warm-up waits while any page is being built
        _build_page()


def _outside(settings: Settings) -> tuple[object, ...]:
    """Everything the page outside the live part shows: the settings but the live ones,
    the deck and its slide, the class this page leads, and what the title line and the
    parts of the tab under the live part make of the live settings (whether the scenario
    still holds; all of them while the frameworks' scripts are open, the page follows a
    lecturer or the title line shows notes about the opened link: a note such as "lr = 99
    … using 1" must not stay above a map the user has since moved to α = 0.3)."""
    whole = (
        follow.followed_code() is not None
        or frameworks.is_open()
        or st.session_state.get(_LINK_NOTES_SHOWN, False)
    )
    return (
        replace(settings, **{name: getattr(Settings, name) for name in LIVE_FIELDS}),
        deck_session.link_params(),
        follow.leading_code(),
        scenario_holds(settings),
        settings if whole else None,
    )


def _build_page() -> None:
    """The sidebar, the Lecture panel, the title line, the tabs; in the open tab the live
    part, then what a move of α or γ leaves as it is."""
    notes = init_state() + recover_from_failed_formula()
    state.repair_widgets()
    class_slot = follow.sidebar_slot()  # above the controls: leading keeps α, γ in view
    rates_slot = sidebar.render()
    lecture_panel.render()
    # The page's style (a style sheet alone goes to Streamlit's hidden event container,
    # wherever it is called); the themes' rules first: under forced colours the system
    # colours' rules win.
    style = PAGE_CSS + screens.THEME_CSS + screens.FORCED_COLORS_CSS + screens.PHONE_CSS
    st.html(style + present.style() if deck_session.presented() is not None else style)
    settings = state.current_settings()  # every widget outside the live part is drawn
    st.session_state[_LINK_NOTES_SHOWN] = bool(notes)  # shown once: gone at the next move
    st.session_state[_OUTSIDE] = _outside(settings)
    follow.render(settings)  # a follower's banner, or the lecturer's class panels
    if deck_session.presented() is None:
        header(settings, notes)
    else:  # present mode: the slide's title line instead of the page's
        present.header(settings, notes)
    # Lazy tabs: only the open one runs, so the heavier views cost nothing until opened.
    tabs = st.tabs(list(TABS), key="view", on_change="rerun")
    if follow.leading_code() is None:  # else the live part draws it: it sends the view
        follow.lead_panel(settings, class_slot)
    for tab, view in zip(tabs, TABS, strict=True):
        if tab.open:
            with tab:
                if TABS[view] is race.render:
                    draw_or_refuse(settings, lambda: live_map.carry_surface(settings))
                _live(rates_slot, class_slot, view)
                draw_or_refuse(settings, lambda view=view: _rest(settings, view))
    # At the foot of the page: the script's (empty) element adds no gap above the content.
    st.html(TOUCH_SCRIPT + screens.SCROLL_BOX_SCRIPT, unsafe_allow_javascript=True)
    if deck_session.presented() is None:  # in present mode the keys sit beside the title
        present.keys(settings)
    else:  # last: the neighbour slides' maps, carried in advance
        slide_preview.render(settings)


@st.fragment(run_every=_SELF_RERUN)
def _live(rates_slot: DeltaGenerator, class_slot: DeltaGenerator | None, view: str) -> None:
    """α and γ (in ``rates_slot``), the class panel (in ``class_slot``), the address bar
    and the open tab ``view`` down to its downloads. A move of α or γ or of a control
    inside the tab reruns this alone: the sidebar's other controls, the Lecture panel,
    the title line, the tabs and the notes under the live part stay as they are.

    Every element sent costs the server work of its own (its message is built, queued to
    the event loop, serialized and written: 0.1–0.2 ms for a text, about 1 ms for the loss
    chart), so a class moving γ together pays for each one: what does not change with α
    and γ is drawn outside."""
    with warmup.foreground():
        settings = state.current_settings()
        state.repair_widgets(settings, LIVE_FIELDS)
        with rates_slot:
            sidebar.rates()
        if (settings.lr, settings.momentum) != (state.value_of("lr"), state.value_of("momentum")):
            # A reconnecting page's first run: the sliders hold the browser's values only
            # once drawn (state.value_of).
            settings = state.current_settings()
        if _outside(settings) != st.session_state[_OUTSIDE] or state.has_widget_notes():
            # What changed is drawn outside this part too (a refused value's note is in
            # the title line). Once: were the two readings to differ on every run, the
            # page would rerun for ever.
            if not st.session_state.pop(_RERAN, False):
                st.session_state[_RERAN] = True
                st.rerun()
        st.session_state.pop(_RERAN, None)
        if follow.leading_code() is not None:
            follow.lead_panel(settings, class_slot)
        # The address bar always holds a link that reopens exactly this view (and the deck).
        params = to_query_params(settings) | deck_session.link_params() | follow.link_params()
        if st.query_params.to_dict() != params:
            st.query_params.from_dict(params)
        draw_or_refuse(settings, lambda: _main(settings, view))


def _main(settings: Settings, view: str) -> None:
    """The runs and the open tab ``view``."""
    runs = runs_for(settings)
    render = TABS[view]
    render(settings, runs)
    if render is not race.render:  # the race tab places it under its loss curves
        scenario_note(settings)


def _rest(settings: Settings, view: str) -> None:
    """Under the live part: the surface's formula, and the race tab's explanation and
    scripts (drawn by the whole page's run; :func:`_outside` tells the live part when
    they would change)."""
    surface_note(settings)
    if TABS[view] is race.render:
        race.render_rest(settings, lambda: runs_for(settings))
