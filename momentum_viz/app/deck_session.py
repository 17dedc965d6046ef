"""The session's lecture deck: which deck is open, whether it is presented, which slide.

Kept apart from :mod:`.state` (the widgets' values) because the deck is not a widget: it
is plain session state that the Lecture panel (:mod:`.lecture_panel`) edits and present
mode (:mod:`.present`) steps through. The address bar carries it as ``deck=`` (the whole
deck, :func:`.deck.deck_link`) and, while presenting, ``slide=N`` (1-based).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from .deck import DECK_KEY, SLIDE_KEY, Deck, Slide, deck_link, read_link
from .settings import echo

_DECK = "_deck"  # the open Deck, or absent
_LINK = "_deck_link"  # its deck= value, encoded once per change
_SLIDE = "_deck_slide"  # the index of the slide presented, or absent when not presenting
_OPENED = "_deck_opened_presenting"  # a deck link opened this session in present mode


def deck() -> Deck | None:
    """The session's deck, if one is open."""
    return st.session_state.get(_DECK)


def set_deck(new: Deck | None) -> None:
    """Open ``new`` (None closes the deck); a presented slide past its end moves back."""
    if new is None or not new.slides:
        for key in (_DECK, _LINK, _SLIDE):
            st.session_state.pop(key, None)
        return
    st.session_state[_DECK] = new
    st.session_state[_LINK] = deck_link(new)
    if _SLIDE in st.session_state:
        st.session_state[_SLIDE] = min(st.session_state[_SLIDE], len(new.slides) - 1)


def link_value() -> str:
    """The open deck's ``deck=`` value ("" with no deck)."""
    return st.session_state.get(_LINK, "")


def presented() -> int | None:
    """The index of the slide being presented, or None when not presenting."""
    return st.session_state.get(_SLIDE) if deck() is not None else None


def set_presented(index: int | None) -> None:
    """Present slide ``index`` (clamped to the deck), or stop presenting (None)."""
    current = deck()
    if index is None or current is None:
        st.session_state.pop(_SLIDE, None)
    else:
        st.session_state[_SLIDE] = min(max(index, 0), len(current.slides) - 1)


def current_slide() -> Slide | None:
    """The slide being presented, if any."""
    index, current = presented(), deck()
    return None if index is None or current is None else current.slides[index]


def opened_presenting() -> bool:
    """True once, on the run after a ``slide=`` link opened present mode."""
    return bool(st.session_state.pop(_OPENED, False))


def link_params() -> dict[str, str]:
    """What the address bar carries of the deck besides the view: ``deck`` and ``slide``."""
    if deck() is None:
        return {}
    params = {DECK_KEY: link_value()}
    index = presented()
    if index is not None:
        params[SLIDE_KEY] = str(index + 1)
    return params


LinkParams = Mapping[str, str | list[str]]


def open_link(params: LinkParams) -> tuple[dict[str, str | list[str]], list[str]]:
    """On a session's first run: open the deck a link carries, and the view to show.

    Returns the link's view parameters (``deck`` and ``slide`` taken out) and notes. A
    link with ``slide=N`` and no view keys of its own opens that slide's view; with view
    keys (a lecturer who changed something on the slide) those win, read by the same code.
    A deck that cannot be opened leaves the link's own view as it was.
    """
    view = {k: v for k, v in params.items() if k not in (DECK_KEY, SLIDE_KEY)}
    if DECK_KEY not in params:
        return view, []
    raw = params[DECK_KEY]
    opened, notes = read_link(raw[-1] if isinstance(raw, list) else raw)
    set_deck(opened)
    if opened is None or SLIDE_KEY not in params:
        return view, notes
    raw_slide = params[SLIDE_KEY]
    raw_slide = raw_slide[-1] if isinstance(raw_slide, list) else raw_slide
    count = len(opened.slides)
    number = int(raw_slide) if raw_slide.strip().isdecimal() and len(raw_slide) < 6 else None
    if number is None or not 1 <= number <= count:
        notes.append(f"slide = {echo(raw_slide)} is not a slide number 1 … {count}: showing 1.")
        number = 1
    set_presented(number - 1)
    st.session_state[_OPENED] = True
    if not [k for k in view if k != "lecture"]:
        view = dict(opened.slides[number - 1].view)
    # Present mode is shown in the lecture layout (the viewer may still leave it).
    view.setdefault("lecture", "1")
    return view, notes
