"""Present mode: the slide's title, "3 / 10", the map in the lecture layout; and the keys.

A deck link with ``slide=N`` opens here (:func:`.deck_session.open_link`); the Lecture
panel's "Present" starts it. Next / previous: PageDown / PageUp (what presentation
clickers send), → / ← when no slider, range input or text field has focus, Home / End,
and the buttons beside the title. Changing α or γ on a slide changes the view only; the
Lecture panel's "Save this view into the slide" writes it back into the deck.

The page's key map lives in ``present_keys.js`` (one listener on ``window``): the slide
keys send a trigger value to :func:`on_key_slide`; Space/K and , / . drive the live
race map through its ``mv-control`` events. The key map is shown on "?".
"""

from __future__ import annotations

import functools
import html
from dataclasses import replace
from importlib.resources import files

import streamlit as st

from . import deck_session, slide_preview, state, warmup
from .deck import DECK_KEY, SLIDE_KEY, deck_link
from .prepared_deck import PREPARED_DECK
from .settings import Settings, code_span

_HERE = files(__package__)
_KEYS = st.components.v2.component(
    "momentum_viz.present_keys",
    js=(_HERE / "present_keys.js").read_text(encoding="utf-8"),
    css=(_HERE / "present_keys.css").read_text(encoding="utf-8"),
)
KEYS_KEY = "present_keys"  # the key component in present mode (beside the slide's title)
PAGE_KEYS_KEY = "page_keys"  # the same component at the page's foot otherwise

# The slide's title at the lecture layout's 22 px chart text, a little larger.
PRESENT_CSS = """
<style>
.mv-slide-title { font-size: 1.55rem; line-height: 1.2; margin: 0; padding: 0; font-weight: 600; }
@media (min-width: 700px) { .st-key-present_header { padding: 0 2.6rem 0 1.4rem; } }
.mv-slide-count { font-size: 1.25rem; white-space: nowrap; margin: 0; }
</style>
"""


_SIDEBAR = "_present_sidebar"  # the sidebar state to ask for once, on entering or leaving


def _ask_sidebar(wanted: str) -> None:
    """Ask the browser once to collapse or expand the sidebar (the lecturer may then
    open it again: Streamlit applies a page config's sidebar state when it changes)."""
    st.session_state[_SIDEBAR] = wanted


@functools.cache
def prepared_deck_offer() -> str:
    """The start page's offer of the prepared deck: a Markdown link that presents it
    (the same for every page: built once)."""
    link = f"?{DECK_KEY}={deck_link(PREPARED_DECK)}&{SLIDE_KEY}=1"
    return f"[Present “{PREPARED_DECK.title}”]({link})."


def go_to(index: int) -> None:
    """Show slide ``index`` of the deck (clamped), in its saved view, in the lecture layout.

    A callback (buttons, keys, the Lecture panel): it runs before the script, so it may
    write the widgets' values.
    """
    current = deck_session.deck()
    if current is None:
        return
    if deck_session.presented() is None:  # entering present mode: the map the whole width
        _ask_sidebar("collapsed")
    deck_session.set_presented(index)
    slide = deck_session.current_slide()
    if slide is not None:
        state.load_view(slide.settings())
        st.session_state["lecture"] = True


def step(delta: int) -> None:
    """Next (+1) or previous (−1) slide; stays at the ends."""
    index = deck_session.presented()
    go_to((index or 0) + delta)


def on_key_slide() -> None:
    """A slide key from the page (``{"delta": ±1}`` or ``{"to": "first" | "last"}``)."""
    result = st.session_state.get(KEYS_KEY)
    move = result.get("slide") if hasattr(result, "get") else None
    current = deck_session.deck()
    if not isinstance(move, dict) or current is None or deck_session.presented() is None:
        return
    if move.get("to") == "first":
        go_to(0)
    elif move.get("to") == "last":
        go_to(len(current.slides) - 1)
    elif move.get("delta") in (1, -1):
        step(int(move["delta"]))


def stop() -> None:
    """Leave present mode (the deck stays open in the Lecture panel)."""
    deck_session.set_presented(None)
    _ask_sidebar("expanded")


def style() -> str:
    """Present mode's style sheet, added to the page's (the same spacing as outside
    present mode)."""
    return PRESENT_CSS + f"<style>{slide_preview.HIDE_CSS}</style>"


def header(settings: Settings, notes: list[str]) -> None:
    """Present mode's one line above the tabs: the slide's title, "3 / 10", ◀ ▶, the
    full-screen and key-map buttons. Then notes about the link."""
    current, index = deck_session.deck(), deck_session.presented()
    slide = deck_session.current_slide()
    if current is None or index is None or slide is None:
        return
    count = len(current.slides)
    if deck_session.opened_presenting():
        _ask_sidebar("collapsed")
    # PageDown and PageUp find them computed; the slide after next is warm by the time
    # the next one is shown, so that one's rerun can carry its neighbour (slide_preview).
    for neighbour in (index + 1, index - 1, index + 2):
        if 0 <= neighbour < count:
            warmup.warm(replace(current.slides[neighbour].settings(), lecture=settings.lecture))
    # Keyed: the CSS keeps the row clear of Streamlit's menu button at the top right.
    title_col, count_col, prev_col, next_col, keys_col = st.container(key="present_header").columns(
        [12, 2, 1.4, 1.4, 2.4], gap="small", vertical_alignment="center"
    )
    # User text: escaped, so a title is shown exactly as written (no Markdown, no HTML).
    title_col.html(f'<h2 class="mv-slide-title">{html.escape(slide.title)}</h2>')
    count_col.html(
        f'<p class="mv-slide-count" aria-label="slide {index + 1} of {count}">'
        f"{index + 1} / {count}</p>"
    )
    prev_col.button(
        "◀",
        key="slide_previous",
        help="Previous slide (PageUp, ←)",
        on_click=step,
        args=(-1,),
        disabled=index <= 0,
        width="stretch",
    )
    next_col.button(
        "▶",
        key="slide_next",
        help="Next slide (PageDown, →)",
        on_click=step,
        args=(1,),
        disabled=index >= count - 1,
        width="stretch",
    )
    with keys_col:
        keys(settings, key=KEYS_KEY)
    for note in notes:
        st.info(f"Link: {code_span(note)}", icon="🔗")


def keys(settings: Settings, key: str = PAGE_KEYS_KEY) -> None:
    """The page's key map (and, in present mode, the full-screen and "?" buttons)."""
    sidebar_state = st.session_state.pop(_SIDEBAR, None)
    if sidebar_state is not None:
        st.set_page_config(initial_sidebar_state=sidebar_state)
    index = deck_session.presented()
    current = deck_session.deck()
    data = {
        "presenting": index is not None,
        "lecture": settings.lecture,
        "slide": index or 0,
        "count": len(current.slides) if current is not None else 0,
        "buttons": key == KEYS_KEY,
    }
    _KEYS(data=data, key=key, on_slide_change=on_key_slide)
