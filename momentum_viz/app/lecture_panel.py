"""The Lecture panel (sidebar): build a deck from views, present it, keep it as a file.

Add the current view as a slide (a title of at most 80 characters and one note of at
most 280 that the lecturer says), pick a slide to rename, move, delete or show, present
the deck, and download or open it as a ``.json`` file (the same checks as a link), or download
it as one HTML page that presents every slide's live map offline. While
presenting: the slide's note for the lecturer, and "Save this view into the slide" (a
change of α or γ on a slide is not written back otherwise).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import streamlit as st

from . import deck_session, present, state
from .deck import (
    LINK_WARN_CHARS,
    MAX_FILE_BYTES,
    MAX_NOTE,
    MAX_SLIDES,
    MAX_TITLE,
    Deck,
    Slide,
    read_file,
    to_json,
    view_of,
)
from .exports import offline_deck_file
from .prepared_deck import PREPARED_DECK
from .settings import code_span

_PICK = "deck_pick"  # the selected slide's index
_EDIT_TITLE, _EDIT_NOTE = "deck_edit_title", "deck_edit_note"
_NEW_TITLE, _NEW_NOTE = "deck_new_title", "deck_new_note"
_DECK_TITLE = "deck_title"
_UPLOAD = "deck_upload"
_NOTES = "_deck_file_notes"  # what the last opened file's checks said


def _deck() -> Deck:
    return deck_session.deck() or Deck("Lecture", ())


def _set_slides(slides: list[Slide], pick: int | None = None) -> None:
    deck_session.set_deck(replace(_deck(), slides=tuple(slides)) if slides else None)
    if pick is not None and slides:
        _pick(min(max(pick, 0), len(slides) - 1))


def _pick(index: int) -> None:
    """Select slide ``index`` and load its title and note into the edit fields."""
    slides = _deck().slides
    st.session_state[_PICK] = index
    st.session_state[_EDIT_TITLE] = slides[index].title if slides else ""
    st.session_state[_EDIT_NOTE] = slides[index].note if slides else ""


def on_add() -> None:
    """Add the current view as the last slide (a title is made up when none is typed)."""
    slides = list(_deck().slides)
    if len(slides) >= MAX_SLIDES:
        return
    title = " ".join(str(st.session_state.get(_NEW_TITLE) or "").split())[:MAX_TITLE]
    note = str(st.session_state.get(_NEW_NOTE) or "").strip()[:MAX_NOTE]
    view = view_of(state.current_settings())
    slides.append(Slide(title or f"Slide {len(slides) + 1}", note, view))
    st.session_state[_NEW_TITLE] = st.session_state[_NEW_NOTE] = ""
    _set_slides(slides, pick=len(slides) - 1)


def on_pick() -> None:
    _pick(int(st.session_state[_PICK]))


def on_rename() -> None:
    """Save the edit fields as the selected slide's title and note."""
    slides, index = list(_deck().slides), int(st.session_state.get(_PICK, 0))
    title = " ".join(str(st.session_state.get(_EDIT_TITLE) or "").split())[:MAX_TITLE]
    note = str(st.session_state.get(_EDIT_NOTE) or "").strip()[:MAX_NOTE]
    slides[index] = replace(slides[index], title=title or slides[index].title, note=note)
    _set_slides(slides, pick=index)


def on_move(delta: int) -> None:
    """Move the selected slide one place up (−1) or down (+1)."""
    slides, index = list(_deck().slides), int(st.session_state.get(_PICK, 0))
    target = index + delta
    if 0 <= target < len(slides):
        slides[index], slides[target] = slides[target], slides[index]
        _set_slides(slides, pick=target)


def on_delete() -> None:
    slides, index = list(_deck().slides), int(st.session_state.get(_PICK, 0))
    del slides[index]
    _set_slides(slides, pick=index)


def on_save_view() -> None:
    """Write the current view into the presented slide (its title and note stay)."""
    slides, index = list(_deck().slides), deck_session.presented()
    if index is not None:
        slides[index] = replace(slides[index], view=view_of(state.current_settings()))
        _set_slides(slides)


def on_deck_title() -> None:
    title = " ".join(str(st.session_state.get(_DECK_TITLE) or "").split())[:MAX_TITLE]
    if deck_session.deck() is not None:
        deck_session.set_deck(replace(_deck(), title=title or "Lecture"))


def on_upload() -> None:
    """Open an uploaded ``.json`` deck: the same checks as a link, at most 1 MiB."""
    upload = st.session_state.get(_UPLOAD)
    if upload is None:
        return
    if upload.size > MAX_FILE_BYTES:
        opened, notes = None, [f"{upload.size:,} bytes, more than {MAX_FILE_BYTES:,}: not opened."]
    else:
        opened, notes = read_file(upload.getvalue())
    st.session_state[_NOTES] = notes
    if opened is not None:
        open_deck(opened)


def open_deck(opened: Deck) -> None:
    """Open a whole deck (a file, the prepared deck), not presenting, first slide picked."""
    deck_session.set_presented(None)
    deck_session.set_deck(opened)
    st.session_state[_DECK_TITLE] = opened.title
    _pick(0)


def on_close() -> None:
    deck_session.set_deck(None)
    st.session_state.pop(_PICK, None)


def _presenting(index: int) -> None:
    """While presenting: the slide's note for the lecturer, save, stop."""
    slide = _deck().slides[index]
    st.caption(f"Presenting slide {index + 1} of {len(_deck().slides)}. Your note:")
    st.text(slide.note or "(no note)")  # user text: shown as typed, never as Markdown
    st.button("Save this view into the slide", on_click=on_save_view, width="stretch")
    st.button("Stop presenting", on_click=present.stop, width="stretch")


def _slide_list(current: Deck) -> None:
    """Pick a slide; rename, move, delete or present from it."""
    count = len(current.slides)
    if st.session_state.get(_PICK, 0) >= count:
        _pick(count - 1)
    st.selectbox(
        "Slide",
        range(count),
        key=_PICK,
        on_change=on_pick,
        format_func=lambda i: f"{i + 1}. {current.slides[i].title}",
    )
    index = int(st.session_state[_PICK])
    st.text_input("Title of this slide", key=_EDIT_TITLE, max_chars=MAX_TITLE)
    st.text_area("Note of this slide", key=_EDIT_NOTE, max_chars=MAX_NOTE, height=80)
    rename_col, up_col, down_col, delete_col = st.columns([3, 1, 1, 2], gap="small")
    rename_col.button("Rename", on_click=on_rename, width="stretch", key="deck_rename")
    up_col.button(
        "↑", on_click=on_move, args=(-1,), disabled=index <= 0, key="deck_up", help="Move up"
    )
    down_col.button(
        "↓",
        on_click=on_move,
        args=(1,),
        disabled=index >= count - 1,
        key="deck_down",
        help="Move down",
    )
    delete_col.button("Delete", on_click=on_delete, width="stretch", key="deck_delete")
    st.button(
        f"▶ Present from slide {index + 1}",
        on_click=present.go_to,
        args=(index,),
        type="primary",
        width="stretch",
        key="deck_present",
    )


def _files(current: Deck | None) -> None:
    """The deck as a file, the link's length, and opening a file."""
    if current is not None:
        link = deck_session.link_value()
        if len(link) > LINK_WARN_CHARS:
            st.warning(
                f"This deck's link is {len(link):,} characters: links over about 8 KiB do "
                "not pass many proxies. Share the deck as a file instead.",
                icon="⚠️",
            )
        slug = re.sub(r"[^a-z0-9]+", "-", current.title.lower()).strip("-") or "lecture"
        st.download_button(
            "Download the deck (.json)",
            data=to_json(current),
            file_name=f"{slug}.json",
            mime="application/json",
            on_click="ignore",
            width="stretch",
        )
        st.download_button(
            "Download the deck (HTML, plays offline)",
            data=partial(offline_deck_file, current),  # built on click, not on every rerun
            file_name=f"{slug}.html",
            mime="text/html",
            on_click="ignore",
            width="stretch",
        )
    st.file_uploader(
        "Open a deck (.json)", type=["json"], key=_UPLOAD, on_change=on_upload, max_upload_size=1
    )
    for note in st.session_state.get(_NOTES, []):
        st.info(f"Deck file: {code_span(note)}", icon="📄")


def render() -> None:
    """The Lecture panel at the sidebar's foot."""
    current, index = deck_session.deck(), deck_session.presented()
    with st.sidebar.expander("Lecture: slides", expanded=current is not None):
        if current is not None and index is not None:
            _presenting(index)
            return
        if current is None:
            st.button(
                f"Open the prepared deck: {PREPARED_DECK.title}",
                on_click=open_deck,
                args=(PREPARED_DECK,),
                width="stretch",
            )
        else:
            if _DECK_TITLE not in st.session_state:
                st.session_state[_DECK_TITLE] = current.title
            st.text_input(
                "Deck title", key=_DECK_TITLE, max_chars=MAX_TITLE, on_change=on_deck_title
            )
            _slide_list(current)
        count = 0 if current is None else len(current.slides)
        st.text_input("New slide's title", key=_NEW_TITLE, max_chars=MAX_TITLE)
        st.text_area(
            "New slide's note (what you will say)", key=_NEW_NOTE, max_chars=MAX_NOTE, height=80
        )
        st.button(
            f"Add this view as slide {count + 1}",
            on_click=on_add,
            width="stretch",
            disabled=count >= MAX_SLIDES,
            key="deck_add",
        )
        _files(current)
        if current is not None:
            st.button("Close the deck", on_click=on_close, width="stretch")
