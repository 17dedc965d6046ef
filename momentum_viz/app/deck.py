"""A lecture deck: its model, its link form (``deck=``) and its file form, all validated.

A deck is a title and a list of slides; a slide is a title, one note the lecturer says
and a *view*: the link keys and values of a single-view link. Every view goes through
:func:`~.settings.from_query_params`, the code that reads a single-view link, so a slide
gets exactly a link's clamps and notes. Views are stored compact (only the keys that a
link needs to reopen the same settings), so a deck's link stays short.

The link form is ``deck=`` base64url (no padding) of zlib-compressed UTF-8 JSON
``{"title": str, "slides": [{"title": str, "note": str, "view": {key: value}}]}``; the
file form is the same JSON, uncompressed. A deck is written by anyone, so reading one
never raises: it decompresses at most :data:`MAX_JSON_BYTES` whatever the compressed
size claims (a zlib bomb gets no further), keeps at most :data:`MAX_SLIDES` slides, and
says in a note what it dropped or cut. Pure Python: no Streamlit here.

>>> deck = Deck("Demo", (Slide("Start", "Say hi.", {"surface": "multiwell"}),))
>>> read_link(deck_link(deck)) == (deck, [])
True
>>> read_link("not base64!")[1]
['deck: not base64url: the deck was not opened.']
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .scenarios import SCENARIO_SETTINGS
from .settings import Settings, echo, from_query_params, to_query_params

# The link keys of a deck link that are not a view's: the deck and the slide shown (1-based).
DECK_KEY = "deck"
SLIDE_KEY = "slide"
# Bounds on what a deck may hold (a link or a file is written by anyone).
MAX_JSON_BYTES = 64 * 1024
MAX_SLIDES = 50
MAX_TITLE = 80
MAX_NOTE = 280
MAX_FILE_BYTES = 1024 * 1024
# Request lines over about 8 KiB do not pass common proxies (ingress-nginx's default
# large_client_header_buffers is 8 KiB): past this, the page offers the deck as a file.
LINK_WARN_CHARS = 8 * 1024
# Layout preferences are the viewer's, not the slide's: a slide never carries them.
VIEWER_KEYS = ("lecture",)


@dataclass(frozen=True)
class Slide:
    """One slide: a title (≤ :data:`MAX_TITLE`), a note (≤ :data:`MAX_NOTE`) and a view
    (link key → value, compact, as :func:`view_of` writes it)."""

    title: str
    note: str
    view: Mapping[str, str]

    def settings(self) -> Settings:
        """The settings this slide's view opens (already validated: no notes)."""
        return from_query_params(self.view, scenarios=SCENARIO_SETTINGS)[0]


@dataclass(frozen=True)
class Deck:
    """A titled sequence of slides."""

    title: str
    slides: tuple[Slide, ...]


def view_of(settings: Settings) -> dict[str, str]:
    """The shortest link view that reopens ``settings`` (viewer preferences left out).

    Starts from the full link (:func:`~.settings.to_query_params`) and drops every key
    the link does not need, checking each drop with the link parser itself.

    >>> from .settings import defaults_for
    >>> view_of(defaults_for("multiwell", view="theory"))
    {'surface': 'multiwell', 'view': 'theory'}
    """
    settings = replace(settings, lecture=False)
    view = {k: v for k, v in to_query_params(settings).items() if k not in VIEWER_KEYS}
    for key in [k for k in view if k not in ("surface", "scenario")]:
        trial = {k: v for k, v in view.items() if k != key}
        if from_query_params(trial, scenarios=SCENARIO_SETTINGS)[0] == settings:
            view = trial
    if "surface" in view and "scenario" in view:
        trial = {k: v for k, v in view.items() if k != "surface"}
        if from_query_params(trial, scenarios=SCENARIO_SETTINGS)[0] == settings:
            view = trial
    return view


def to_json(deck: Deck) -> str:
    """The deck as JSON (the file form; compressed, the link form)."""
    slides = [{"title": s.title, "note": s.note, "view": dict(s.view)} for s in deck.slides]
    return json.dumps({"title": deck.title, "slides": slides}, ensure_ascii=False)


def deck_link(deck: Deck) -> str:
    """The value of ``deck=``: base64url, no padding, of the zlib-compressed JSON."""
    packed = zlib.compress(to_json(deck).encode("utf-8"), level=9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def inflate(packed: bytes, limit: int = MAX_JSON_BYTES) -> bytes | None:
    """zlib-decompressed ``packed``, or None when it is not zlib or inflates past ``limit``.

    The decompressor is asked for at most ``limit + 1`` bytes, so a bomb (a few KiB that
    claim gigabytes) never allocates more than that.
    """
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(packed, limit + 1)
    except zlib.error:
        return None
    if len(out) > limit or inflater.unconsumed_tail:
        return None
    if not inflater.eof:  # truncated
        return None
    return out


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def read_link(value: str) -> tuple[Deck | None, list[str]]:
    """The deck a ``deck=`` value holds, and one note per thing dropped or cut.

    Never raises: a value that is not base64url, not zlib, over the size limit or not
    JSON opens no deck (None) with a note saying why.
    """
    # A deck of MAX_JSON_BYTES compresses to far less; a longer value is refused unread.
    if len(value) > 4 * MAX_JSON_BYTES:
        return None, [f"deck: {len(value):,} characters, more than a deck may have."]
    if not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        return None, ["deck: not base64url: the deck was not opened."]
    try:
        packed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None, ["deck: not base64url: the deck was not opened."]
    text = inflate(packed)
    if text is None:
        return None, [
            "deck: not zlib data of at most "
            f"{MAX_JSON_BYTES // 1024} KiB of JSON (damaged, cut or too large): "
            "the deck was not opened."
        ]
    return read_json(text)


def read_file(data: bytes) -> tuple[Deck | None, list[str]]:
    """The deck a ``.json`` file holds (same checks as a link; at most 1 MiB)."""
    if len(data) > MAX_FILE_BYTES:
        return None, [f"deck file: {len(data):,} bytes, more than {MAX_FILE_BYTES:,}: not opened."]
    return read_json(data)


def read_json(text: bytes) -> tuple[Deck | None, list[str]]:
    """A deck from its JSON; None (with a note) when it is not JSON of a deck's shape."""
    try:
        raw = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, ["deck: not UTF-8 JSON: the deck was not opened."]
    if not isinstance(raw, dict) or not isinstance(raw.get("slides"), list):
        return None, ['deck: not {"title": …, "slides": […]}: the deck was not opened.']
    notes: list[str] = []
    title = _text(raw.get("title", ""), "deck title", MAX_TITLE, notes)
    items = raw["slides"]
    if len(items) > MAX_SLIDES:
        notes.append(
            f"deck: {len(items):,} slides, at most {MAX_SLIDES}: kept the first {MAX_SLIDES}."
        )
        items = items[:MAX_SLIDES]
    slides = []
    for number, item in enumerate(items, start=1):
        slide = _slide(item, number, notes)
        if slide is not None:
            slides.append(slide)
    if not slides:
        notes.append("deck: no slide could be opened.")
        return None, notes
    return Deck(title or "Lecture", tuple(slides)), notes


def _text(value: object, name: str, limit: int, notes: list[str]) -> str:
    """A title or note: a string, cut to ``limit`` characters (with a note)."""
    if not isinstance(value, str):
        notes.append(f"{name}: not text: left empty.")
        return ""
    value = " ".join(value.split()) if name.endswith("title") else value.strip()
    if len(value) > limit:
        notes.append(f"{name}: {len(value):,} characters, at most {limit}: cut.")
        value = value[:limit]
    return value


def _slide(item: object, number: int, notes: list[str]) -> Slide | None:
    """One slide from its JSON, its view validated as a link's; None (noted) if unusable."""
    where = f"slide {number}"
    if not isinstance(item, dict) or not isinstance(item.get("view"), dict):
        notes.append(f'{where}: not {{"title", "note", "view": {{…}}}}: dropped.')
        return None
    view: dict[str, str] = {}
    for key, value in item["view"].items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            notes.append(f"{where}: {echo(str(key))} is not text or a number: ignored.")
        elif isinstance(key, str) and key not in VIEWER_KEYS:
            view[key] = value if isinstance(value, str) else repr(value)
    settings, view_notes = from_query_params(view, scenarios=SCENARIO_SETTINGS)
    notes.extend(f"{where}: {note}" for note in view_notes)
    title = _text(item.get("title", ""), f"{where} title", MAX_TITLE, notes)
    note = _text(item.get("note", ""), f"{where} note", MAX_NOTE, notes)
    return Slide(title or f"Slide {number}", note, view_of(settings))
