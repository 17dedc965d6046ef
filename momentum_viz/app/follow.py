"""Follow the lecturer: Streamlit's side of a class (the browser's side is ``follow.js``,
the HTTP interface :mod:`.classroom`).

* A lecturer's page has a class panel, folded at the top of the sidebar (α and γ stay in
  view while leading): "Start a class", then the class's counts, "Lead from another
  device" and "Stop leading". The lead secret stays in the
  browser tab (sessionStorage) and goes to the server in a header: this Python session only
  ever learns the class code. While a class runs, a projector panel at the top of the page
  shows the code, the follow link and its QR code, large, until it is hidden.
* A follower's page (``/?follow=<code>``) has a banner at the top: the slide's title and
  whether it follows, explores or reconnects. A state whose view differs from the page's
  triggers one rerun, whose callback (:func:`on_follow_view`) opens that view with the
  same code as a link. The follower's layout preference (lecture mode) stays its own.
* A lecturer who presents a deck sends the deck (its link encoding) and the slide number
  with every state; a follower whose deck or slide differs opens them in the same rerun
  (:func:`follow_deck`), so its page shows the slide's title, "3 / 10" and the view.
"""

from __future__ import annotations

from importlib.resources import files

import segno
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from . import deck_session, state
from .classroom import CODE_PATTERN
from .deck import DECK_KEY, SLIDE_KEY, read_link
from .scenarios import SCENARIO_SETTINGS, SCENARIOS
from .settings import FOLLOW_LINK_KEY, Settings, from_query_params, to_query_params

_HERE = files(__package__)
_CLASS = st.components.v2.component(
    "momentum_viz.follow",
    js=(_HERE / "follow.js").read_text(encoding="utf-8"),
    css=(_HERE / "follow.css").read_text(encoding="utf-8"),
)
LEAD_KEY = "class_lead"  # the sidebar's class panel
BOX_KEY = "class_box"  # the sidebar expander around it
FOLLOW_KEY = "class_follow"  # a follower's banner
_LEADING = "_class_code"  # the code of the class this session leads
_PANEL = "_class_panel"  # whether the projector panel (code, link, QR) is shown
LAYOUT_FIELDS = ("lecture",)  # each viewer's own: not sent, not followed
# On wide screens the page starts under Streamlit's see-through header bar (page.PAGE_CSS),
# whose toolbar takes the clicks over its whole width: the banner's "Follow again" starts
# below it.
FOLLOWER_CSS = """<style>
@media (min-width: 700px) { .st-key-class_follow { margin-top: 2.5rem; } }
</style>"""


def followed_code() -> str | None:
    """The class this page follows (``?follow=<code>``), unless it leads that class."""
    code = st.query_params.get(FOLLOW_LINK_KEY, "")
    if not CODE_PATTERN.fullmatch(code) or st.session_state.get(_LEADING) == code:
        return None
    return code


def leading_code() -> str | None:
    """The code of the class this page leads, if it leads one."""
    return st.session_state.get(_LEADING)


def link_params() -> dict[str, str]:
    """What the address bar keeps besides the view: the class a follower follows."""
    code = followed_code()
    return {FOLLOW_LINK_KEY: code} if code else {}


def _shared_view(settings: Settings) -> dict[str, str]:
    params = to_query_params(settings)
    for name in LAYOUT_FIELDS:
        params.pop(name, None)
    return params


def _title(settings: Settings) -> str:
    slide = deck_session.current_slide()
    if slide is not None:  # presenting: the slide's title is what the room sees
        return slide.title
    scenario = SCENARIOS.get(settings.scenario)
    return scenario.title if scenario is not None else ""


def _shared_deck() -> dict[str, str | int]:
    """The open deck (its ``deck=`` value) and, while presenting, the slide (1-based)."""
    params = deck_session.link_params()
    shared: dict[str, str | int] = {}
    if DECK_KEY in params:
        shared["deck"] = params[DECK_KEY]
    if SLIDE_KEY in params:
        shared["slide"] = int(params[SLIDE_KEY])
    return shared


def follow_deck(value: object, slide: object) -> None:
    """Open the lecturer's deck (decoded only when it changed) and present its slide
    ``slide`` (1-based); no deck closes the follower's, no slide leaves present mode."""
    if not isinstance(value, str) or not value:
        deck_session.set_deck(None)
        return
    if value != deck_session.link_value():
        opened, _notes = read_link(value)  # the server checked its form, not its content
        deck_session.set_deck(opened)
    current = deck_session.deck()
    count = len(current.slides) if current is not None else 0
    if isinstance(slide, int) and not isinstance(slide, bool) and 1 <= slide <= count:
        deck_session.set_presented(slide - 1)
    else:
        deck_session.set_presented(None)


def on_lead() -> None:
    """The class panel's trigger: this tab leads ``code`` now (or no class: None)."""
    result = st.session_state.get(LEAD_KEY)
    lead = result.get("lead") if hasattr(result, "get") else None
    code = lead.get("code") if isinstance(lead, dict) else None
    if isinstance(code, str) and CODE_PATTERN.fullmatch(code):
        st.session_state[_LEADING] = code
        if lead.get("started"):
            st.session_state[_PANEL] = True
            st.session_state[BOX_KEY] = False  # folded: α and γ stay in view
    else:
        st.session_state.pop(_LEADING, None)
        st.session_state.pop(_PANEL, None)


def on_follow_view() -> None:
    """A follower's trigger: open the lecturer's view, as a link would (its own layout
    stays). A view that would need a note is not followed (the server refuses those)."""
    result = st.session_state.get(FOLLOW_KEY)
    sent = result.get("view") if hasattr(result, "get") else None
    view = sent.get("view") if isinstance(sent, dict) else None
    if not isinstance(view, dict) or not all(isinstance(v, str) for v in view.values()):
        return
    settings, notes = from_query_params(view, scenarios=SCENARIO_SETTINGS)
    if not notes:
        follow_deck(sent.get("deck"), sent.get("slide"))
        state.store_followed(settings, keep=LAYOUT_FIELDS)


def follow_link(code: str) -> str:
    """The link students open: this page's address with ``?follow=<code>``."""
    base = (st.context.url or "").split("?")[0].split("#")[0]
    return f"{base if base.endswith('/') else base + '/'}?{FOLLOW_LINK_KEY}={code}"


def projector_panel(code: str) -> None:
    """The class code, the follow link and its QR code, large enough for the back row."""
    link = follow_link(code)
    with st.container(border=True, key="class_projector"):
        text, picture = st.columns([3, 2], vertical_alignment="center")
        with text:
            st.markdown("**Follow the lecture on your own screen**: open")
            st.code(link, language=None)
            st.html(
                '<p class="mv-class-code" style="font-size: 3rem; margin: 0; '
                f'letter-spacing: 0.15em">class <b>{code}</b></p>'
            )
            st.button("Hide the code", key="class_hide", on_click=_hide_panel)
        with picture:
            svg = segno.make(link, error="m").svg_inline(scale=10, border=2, dark="#111111")
            st.image(svg, caption="Scan to follow", width=330)


def _hide_panel() -> None:
    st.session_state[_PANEL] = False


def _show_panel() -> None:
    st.session_state[_PANEL] = True


def render(settings: Settings) -> None:
    """The follower's banner (top of the page) or the lecturer's projector panel (code,
    link, QR); the lecturer's sidebar panel is :func:`lead_panel`."""
    code = followed_code()
    if code is not None:
        st.html(FOLLOWER_CSS)
        data = {"role": "follow", "code": code, "view": _shared_view(settings), **_shared_deck()}
        _CLASS(data=data, key=FOLLOW_KEY, on_view_change=on_follow_view)
        return
    leading = st.session_state.get(_LEADING)
    if leading and st.session_state.get(_PANEL):
        projector_panel(leading)


def sidebar_slot() -> DeltaGenerator | None:
    """The class panel's place, at the top of the sidebar (call before the controls): a
    lecturer who starts a class keeps α and γ in view. None on a follower's page."""
    return st.sidebar.container() if followed_code() is None else None


def lead_panel(settings: Settings, slot: DeltaGenerator | None) -> None:
    """The lecturer's class panel in ``slot``: one folded line ("Class …") until opened,
    folded again once a class starts (the projector panel shows the code)."""
    if slot is None:
        return
    leading = st.session_state.get(_LEADING)
    label = f"Class {leading}: you lead it" if leading else "Class: students follow your screen"
    # on_change: Streamlit tracks whether it is open, so on_lead can fold it.
    with slot.expander(label, key=BOX_KEY, on_change="rerun"):
        if leading:
            data = {
                "role": "lead",
                "code": leading,
                "view": _shared_view(settings),
                "title": _title(settings),
                **_shared_deck(),
            }
        else:
            data = {"role": "start"}
        _CLASS(data=data, key=LEAD_KEY, on_lead_change=on_lead)
        if leading and not st.session_state.get(_PANEL):
            st.button("Show the code and QR", key="class_show", on_click=_show_panel)
