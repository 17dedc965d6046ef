"""The deck's link and file forms: round trips, and hostile decks that must never raise."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from momentum_viz.app.deck import (
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    MAX_NOTE,
    MAX_SLIDES,
    MAX_TITLE,
    Deck,
    Slide,
    deck_link,
    inflate,
    read_file,
    read_link,
    view_of,
)
from momentum_viz.app.settings import Settings, from_query_params


def _pack(obj: object) -> str:
    """A deck value built by hand (independent of deck_link): base64url of zlib of JSON."""
    raw = zlib.compress(json.dumps(obj).encode())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _deck_json(n: int) -> dict:
    return {
        "title": "T",
        "slides": [{"title": f"s{i}", "note": "", "view": {"lr": "0.01"}} for i in range(n)],
    }


def test_round_trip_keeps_every_view() -> None:
    views = [
        Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300, view="theory"),
        Settings(surface="quadratic", kappa=50.0, methods=("nesterov",), x0=1.0, y0=-2.0),
        Settings(surface="custom", expr="x**2 + y**2", xmin=-2.0, anatomy=True, anatomy_step=4),
    ]
    deck = Deck("Momentum", tuple(Slide(f"s{i}", "n", view_of(s)) for i, s in enumerate(views)))
    opened, notes = read_link(deck_link(deck))
    assert notes == []
    assert opened == deck
    assert [s.settings() for s in opened.slides] == views


def test_link_format_is_base64url_zlib_json_without_padding() -> None:
    deck = Deck("Ünïcode ✓", (Slide("a", "b", {"surface": "himmelblau"}),))
    value = deck_link(deck)
    assert "=" not in value and "+" not in value and "/" not in value
    raw = zlib.decompress(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert json.loads(raw.decode("utf-8")) == {
        "title": "Ünïcode ✓",
        "slides": [{"title": "a", "note": "b", "view": {"surface": "himmelblau"}}],
    }
    # A hand-packed deck opens the same way, and numbers are accepted for values.
    hand = {"title": "x", "slides": [{"title": "a", "note": "", "view": {"lr": 0.5, "steps": 40}}]}
    opened, notes = read_link(_pack(hand))
    assert notes == [] and opened is not None
    assert (opened.slides[0].settings().lr, opened.slides[0].settings().steps) == (0.5, 40)


def test_view_of_is_minimal_and_exact() -> None:
    s = Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300, x0=-3.5, y0=2.5)
    view = view_of(s)
    assert from_query_params(view)[0] == s
    assert "methods" not in view and "noise" not in view  # the defaults are left out
    # Viewer preferences are not the slide's.
    assert "lecture" not in view_of(Settings(lecture=True))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("not base64!", "not base64url"),
        ("A", "not base64url"),  # one char past a multiple of 4 cannot be base64
        (base64.urlsafe_b64encode(b"hello world").decode().rstrip("="), "not zlib"),
        (_pack(_deck_json(3))[:-8], "not zlib"),  # truncated
        (
            base64.urlsafe_b64encode(zlib.compress(b"\xff\xfe{")).decode().rstrip("="),
            "not UTF-8 JSON",
        ),
        (_pack([1, 2, 3]), "not {"),
        (_pack({"title": "x", "slides": "many"}), "not {"),
        (_pack({"title": "x", "slides": []}), "no slide"),
        ("A" * (4 * MAX_JSON_BYTES + 4), "more than a deck may have"),
    ],
)
def test_broken_links_open_no_deck_with_a_note(value: str, says: str) -> None:
    deck, notes = read_link(value)
    assert deck is None
    assert any(says in note for note in notes), notes


def test_wrong_slide_shapes_are_dropped_with_a_note_each() -> None:
    raw = {
        "title": 7,
        "slides": [
            "a string",
            {"title": "no view"},
            {"title": "ok", "note": "fine", "view": {"surface": "beale", "lr": "5"}},
            {"title": ["x"], "note": None, "view": {"lr": [1], "momentum": True, "steps": "50"}},
        ],
    }
    deck, notes = read_link(_pack(raw))
    assert deck is not None and [s.title for s in deck.slides] == ["ok", "Slide 4"]
    assert deck.title == "Lecture"
    assert deck.slides[0].settings().lr == 1.0  # clamped as a link clamps it
    assert deck.slides[1].settings().steps == 50
    expected = [
        "deck title: not text",
        "slide 1: not",
        "slide 2: not",
        "slide 3: lr = 5 is outside [1e-05, 1]: using 1.",
        "slide 4: 'lr' is not text or a number",
        "slide 4: 'momentum' is not text or a number",
        "slide 4 title: not text",
        "slide 4 note: not text",
    ]
    for start in expected:
        assert any(note.startswith(start) for note in notes), (start, notes)


@pytest.mark.parametrize("count", [MAX_SLIDES + 1, 500])
def test_too_many_slides_keeps_the_first_fifty(count: int) -> None:
    deck, notes = read_link(_pack(_deck_json(count)))
    assert deck is not None and len(deck.slides) == MAX_SLIDES
    assert deck.slides[-1].title == f"s{MAX_SLIDES - 1}"
    assert notes == [f"deck: {count:,} slides, at most 50: kept the first 50."]


def test_long_titles_and_notes_are_cut_and_markup_stays_text() -> None:
    title = "# Big [link](https://evil.example) <script>alert(1)</script> " * 3
    raw = {"title": title, "slides": [{"title": title, "note": "**n** " * 100, "view": {}}]}
    deck, notes = read_link(_pack(raw))
    assert deck is not None
    assert len(deck.title) == MAX_TITLE and deck.title.startswith("# Big [link](https://")
    assert len(deck.slides[0].note) == MAX_NOTE
    assert [n.split(":")[0] for n in notes] == ["deck title", "slide 1 title", "slide 1 note"]


def test_unknown_view_keys_are_noted_like_a_links() -> None:
    deck, notes = read_link(_pack({"title": "t", "slides": [{"view": {"evil": "<b>x</b>"}}]}))
    assert deck is not None
    assert len(notes) == 1
    assert notes[0].startswith("slide 1: unknown link parameter ignored: 'evil'")


def test_a_zlib_bomb_never_inflates_past_the_limit() -> None:
    bomb = zlib.compress(b"\0" * (10 * 1024 * 1024), level=9)  # 10 MB when decompressed
    assert len(bomb) < 20_000
    assert inflate(bomb) is None
    # The decompressor itself: asked as inflate asks, it yields at most the limit + 1.
    out = zlib.decompressobj().decompress(bomb, MAX_JSON_BYTES + 1)
    assert len(out) == MAX_JSON_BYTES + 1
    deck, notes = read_link(base64.urlsafe_b64encode(bomb).decode().rstrip("="))
    assert deck is None and "not zlib data of at most 64 KiB" in notes[0]
    # Exactly at the limit is fine; one byte over is not.
    assert inflate(zlib.compress(b" " * MAX_JSON_BYTES)) == b" " * MAX_JSON_BYTES
    assert inflate(zlib.compress(b" " * (MAX_JSON_BYTES + 1))) is None


def test_inflate_asks_for_no_more_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self) -> None:
            self.inner = real()

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            asked.append(max_length)
            return self.inner.decompress(data, max_length)

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Spy)
    inflate(zlib.compress(b"\0" * (10 * 1024 * 1024)))
    assert asked and all(0 < n <= MAX_JSON_BYTES + 1 for n in asked)


def test_files_take_the_same_checks_and_a_size_limit() -> None:
    good = json.dumps(_deck_json(2)).encode()
    deck, notes = read_file(good)
    assert deck is not None and len(deck.slides) == 2 and notes == []
    deck, notes = read_file(b" " * (MAX_FILE_BYTES + 1))
    assert deck is None and "more than 1,048,576" in notes[0]
    deck, notes = read_file(b"<html>")
    assert deck is None and "not UTF-8 JSON" in notes[0]
    deck, notes = read_file(json.dumps(_deck_json(60)).encode())
    assert deck is not None and len(deck.slides) == MAX_SLIDES
