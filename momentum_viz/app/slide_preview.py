"""Slide preview: the neighbouring slides' maps are in the browser before PageDown.

A slide change otherwise waits for a whole rerun (the key goes to the server, the script
runs, the new race comes back): a few hundred ms on an idle server, seconds on a busy one.
In present mode the page also carries the next and the previous slide's race and surface
(the live map's own carrier elements, ``live_map_blob.js``), and ``slide_preview.js``
shows the neighbour's race on the map the moment the slide key is pressed (present_keys.js
says so with a window CustomEvent "mv-slide", detail ``{delta: ±1}``); the rerun then
brings the same race, and the title, the table and the rest follow.

Only neighbours that open on the race tab are carried, and the previous one only once the
warm-up (:mod:`.warmup`) has computed it. The next one is computed here if the warm-up has
not got to it: the warm-up gives way to the page being built, so on the first page of a
deck link it never had, and the first PageDown waited for a whole rerun (4.1–4.6 s on a
loaded machine, README "Fast slide changes"). Its race data (runs and map blobs, one
view's worth, cached for the warm-up to find) is computed after everything the current
slide shows: rendered at the page's foot.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..views.live_map import blob_id
from . import deck_session, warmup
from .live_map import blobs_for, carry, component_js
from .settings import Settings

_PREVIEW = st.components.v2.component(
    "momentum_viz.slide_preview", js=component_js("slide_preview.js")
)
PREVIEW_KEY = "slide_preview"
# The carriers of the neighbours' blobs, by direction: (surface, race).
CARRIER_KEYS = {
    1: ("preview_next_surface", "preview_next_race"),
    -1: ("preview_previous_surface", "preview_previous_race"),
}
# They draw nothing: no gap for them (present mode's style sheet).
HIDE_CSS = (
    ", ".join(f".st-key-{key}" for keys in CARRIER_KEYS.values() for key in keys)
    + f", .st-key-{PREVIEW_KEY} {{ display: none; }}"
)


def neighbour_settings(settings: Settings, delta: int) -> Settings | None:
    """The settings slide ``presented + delta`` opens in (in this page's layout), or None."""
    current, index = deck_session.deck(), deck_session.presented()
    if current is None or index is None or not 0 <= index + delta < len(current.slides):
        return None
    return replace(current.slides[index + delta].settings(), lecture=settings.lecture)


def render(settings: Settings) -> None:
    """Carry the next slide's race and surface (computed now if the warm-up has not) and
    the previous slide's once warm; tell the browser their ids."""
    races: dict[str, str] = {}
    for delta, (surface_key, race_key) in CARRIER_KEYS.items():
        neighbour = neighbour_settings(settings, delta)
        if neighbour is None or neighbour.view != "race":
            continue
        if delta != 1 and not warmup.is_warm(neighbour):
            continue
        blobs = blobs_for(neighbour)
        race_id = blob_id(blobs.race)
        carry(blobs.carried[0], surface_key)
        carry(race_id.encode("ascii") + blobs.race, race_key)
        races[str(delta)] = race_id
    _PREVIEW(data={"races": races}, key=PREVIEW_KEY, height=0)
