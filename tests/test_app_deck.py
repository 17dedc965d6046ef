"""The Lecture panel and present mode, driven headless with AppTest."""

from __future__ import annotations

import random

from _apptest import open_app

from momentum_viz.app.deck import Deck, Slide, deck_link, read_link
from momentum_viz.app.prepared_deck import PREPARED_DECK


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _deck_in_link(at) -> Deck:
    deck, notes = read_link(at.query_params["deck"])
    assert notes == [] and deck is not None
    return deck


def test_build_rename_reorder_delete_and_present():
    at = open_app(surface="multiwell")
    at.text_input(key="deck_new_title").input("Wells").run()
    _button(at, "Add this view as slide 1").click().run()
    at.selectbox(key="surface").select("himmelblau").run()
    at.text_input(key="deck_new_title").input("Himmelblau").run()
    at.text_area(key="deck_new_note").input("Four minima.").run()
    _button(at, "Add this view as slide 2").click().run()
    deck = _deck_in_link(at)
    assert [(s.title, s.note) for s in deck.slides] == [
        ("Wells", ""),
        ("Himmelblau", "Four minima."),
    ]
    assert deck.slides[0].settings().surface == "multiwell"
    assert "slide" not in at.query_params  # not presenting yet
    # Slide 2 is picked (the last added): rename it, move it up, present from it.
    at.text_input(key="deck_edit_title").input("# Himmelblau's *four*").run()
    _button(at, "Rename").click().run()
    at.button(key="deck_up").click().run()
    assert [s.title for s in _deck_in_link(at).slides] == ["# Himmelblau's *four*", "Wells"]
    _button(at, "▶ Present from slide 1").click().run()
    assert not at.exception
    assert at.query_params["slide"] == "1"
    assert at.selectbox(key="surface").value == "himmelblau"
    assert at.toggle(key="lecture").value is True  # present mode's layout
    # The title is shown as written: escaped HTML, never Markdown.
    assert any("# Himmelblau&#x27;s *four*" in h.proto.body for h in at.get("html"))
    at.button(key="slide_next").click().run()
    assert at.query_params["slide"] == "2" and at.selectbox(key="surface").value == "multiwell"
    # A change on a slide is not written back unless saved.
    at.selectbox(key="surface").select("beale").run()
    assert _deck_in_link(at).slides[1].settings().surface == "multiwell"
    _button(at, "Save this view into the slide").click().run()
    assert _deck_in_link(at).slides[1].settings().surface == "beale"
    _button(at, "Stop presenting").click().run()
    assert "slide" not in at.query_params and "deck" in at.query_params
    at.button(key="deck_delete").click().run()
    assert len(_deck_in_link(at).slides) == 1


def test_a_deck_link_opens_its_slide_and_a_broken_one_keeps_the_view():
    at = open_app(deck=deck_link(PREPARED_DECK), slide="4")
    assert at.selectbox(key="surface").value == "multiwell"
    assert at.query_params["slide"] == "4"
    assert not at.info  # no note
    broken = open_app(deck="%%%not-a-deck", slide="2", surface="beale", lr="0.01")
    assert not broken.exception
    assert broken.selectbox(key="surface").value == "beale"
    notes = [i.body for i in broken.info]
    assert any("not base64url" in n for n in notes), notes
    assert "deck" not in broken.query_params


def test_a_slide_number_out_of_range_opens_the_first_with_a_note():
    deck = Deck("t", (Slide("a", "", {"surface": "beale"}), Slide("b", "", {})))
    at = open_app(deck=deck_link(deck), slide="99")
    assert at.query_params["slide"] == "1" and at.selectbox(key="surface").value == "beale"
    assert any("slide = '99' is not a slide number 1 … 2" in i.body for i in at.info)


def test_the_prepared_deck_opens_from_the_panel():
    at = open_app()
    _button(at, f"Open the prepared deck: {PREPARED_DECK.title}").click().run()
    assert _deck_in_link(at) == PREPARED_DECK


def test_a_long_deck_link_is_flagged_and_offered_as_a_file():
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz "
    slides = tuple(
        Slide(f"s{i}", "".join(rng.choice(letters) for _ in range(280)), {"seed": str(i)})
        for i in range(40)
    )
    at = open_app(deck=deck_link(Deck("Long", slides)))
    assert len(at.query_params["deck"]) > 8 * 1024
    assert any("links over about 8 KiB" in w.body for w in at.warning)
    assert any(b.label == "Download the deck (.json)" for b in at.get("download_button"))
