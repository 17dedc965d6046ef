"""The slide warm-up: what it computes (the race tab and the slide's open tab), once,
within its bound, and only when no page is being built."""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import replace

import pytest
from _apptest import open_app

from momentum_viz.app import slide_preview, warmup
from momentum_viz.app.compute import basin_map_key, live_map_blobs, parameter_map_key
from momentum_viz.app.deck import deck_link
from momentum_viz.app.live_map import map_label
from momentum_viz.app.prepared_deck import PREPARED_DECK
from momentum_viz.app.settings import Settings
from momentum_viz.views.live_map import blob_id


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    monkeypatch.setattr(warmup, "YIELD_SECONDS", 0.0)
    monkeypatch.setattr(warmup, "runs_for", seen.append)
    monkeypatch.setattr(warmup, "blobs_for", seen.append)
    monkeypatch.setattr(
        warmup,
        "compute_parameter_map",
        lambda key, method, lr_decade: seen.append(("parameter-map", key, method, lr_decade)),
    )
    monkeypatch.setattr(
        warmup,
        "compute_basin_map",
        lambda key, method, maps_on_page: seen.append(("basin-map", key, method, maps_on_page)),
    )
    monkeypatch.setattr(warmup, "_DONE", warmup.OrderedDict())
    return seen


def test_warms_the_race_tab_of_the_view_once(computed):
    view = Settings(surface="beale", lecture=True, view="theory", anatomy=True, anatomy_step=3)
    assert warmup.warm(view)
    assert warmup.wait_idle(10)
    race = replace(view, view="race")  # the anatomy's slide: its still map, arrows and all
    assert computed == [race, race]  # the runs, then the map's blobs, as the slide shows it
    assert not warmup.warm(view)  # done already: not queued again
    assert warmup.wait_idle(10) and len(computed) == 2


def test_a_slide_on_the_parameter_map_warms_the_map_the_tab_asks_for(computed):
    view = Settings(surface="quadratic", kappa=50, lr=0.02, view="parameter-map",
                    map_method="nesterov")  # fmt: skip
    assert warmup.warm(view) and warmup.wait_idle(10)
    # The tab's call: the map's key, its method, and the decade of α (0.02: 10^-2).
    assert computed[2:] == [("parameter-map", parameter_map_key(view), "nesterov", -2)]
    assert math.floor(math.log10(0.02)) == -2


def test_a_slide_on_the_basin_map_warms_both_maps_where_there_are_basins(computed):
    wells = Settings(surface="multiwell", view="basin-map")
    assert warmup.warm(wells) and warmup.wait_idle(10)
    key = basin_map_key(wells)
    assert computed[2:] == [("basin-map", key, "sgd", 2), ("basin-map", key, "momentum", 2)]
    computed.clear()
    bowl = Settings(surface="quadratic", view="basin-map")  # one minimum: the tab draws no map
    assert warmup.warm(bowl) and warmup.wait_idle(10)
    assert len(computed) == 2


def test_it_gives_way_while_a_page_is_being_built(computed):
    with warmup.foreground():
        assert warmup.warm(Settings(seed=11))
        time.sleep(0.5)
        assert computed == []  # the page's run goes first
    assert warmup.wait_idle(10)
    assert len(computed) == 2


def test_at_most_a_few_views_wait(computed, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(warmup, "runs_for", lambda settings: release.wait(10))
    queued = [warmup.warm(Settings(seed=seed)) for seed in range(warmup.MAX_QUEUED + 3)]
    assert queued == [True] * warmup.MAX_QUEUED + [False] * 3
    release.set()
    assert warmup.wait_idle(10)


def test_present_mode_warms_the_next_the_previous_and_the_one_after_next(monkeypatch):
    asked: list[Settings] = []
    monkeypatch.setattr(warmup, "warm", asked.append)
    at = open_app(deck=deck_link(PREPARED_DECK), slide="3")
    # Next, previous, and the one after next (the next slide's own neighbour).
    slides = [replace(PREPARED_DECK.slides[i].settings(), lecture=True) for i in (3, 1, 4)]
    assert asked[-3:] == slides
    asked.clear()
    at.button(key="slide_previous").click().run()  # now on slide 2: slides 3, 1 and 4
    slides = [replace(PREPARED_DECK.slides[i].settings(), lecture=True) for i in (2, 0, 3)]
    assert asked[-3:] == slides


def test_present_mode_carries_the_warm_neighbours_races_for_the_browser(monkeypatch):
    """Slide 8 (the anatomy): slide 7 is carried (a race); slide 9 opens on the (α, γ)
    map, so nothing is carried for PageDown. A previous slide not yet warm is not carried;
    the next one is computed on the spot."""
    monkeypatch.setattr(warmup, "warm", lambda settings: False)
    monkeypatch.setattr(warmup, "is_warm", lambda settings: True)
    at = open_app(deck=deck_link(PREPARED_DECK), slide="8")
    blobs = carried(at)
    previous = replace(PREPARED_DECK.slides[6].settings(), lecture=True)
    expected = live_map_blobs(previous, map_label(previous))
    assert blobs["preview_previous_race"] == expected.race
    assert blobs["preview_previous_surface"] == expected.carried[0][16:]
    assert "preview_next_race" not in blobs and "preview_next_surface" not in blobs
    assert preview_ids(at) == {"-1": blob_id(expected.race)}
    monkeypatch.setattr(warmup, "is_warm", lambda settings: False)
    at = open_app(deck=deck_link(PREPARED_DECK), slide="3")
    # Not warm: the previous slide is not carried; the next one is computed on the spot
    # (the first page of a deck link: the warm-up has given way to it all along).
    following = replace(PREPARED_DECK.slides[3].settings(), lecture=True)
    assert following.view == "race"
    assert "preview_previous_race" not in carried(at)
    assert carried(at)["preview_next_race"] == live_map_blobs(following, map_label(following)).race
    assert preview_ids(at) == {"1": blob_id(carried(at)["preview_next_race"])}


def carried(at) -> dict[str, bytes]:
    """The page's preview carriers' blobs (without their 16-character ids), by key."""
    keys = {key for pair in slide_preview.CARRIER_KEYS.values() for key in pair}
    found = {}
    for element in at.get("bidi_component"):
        key = element.proto.id.rsplit("-", 1)[-1]
        if key in keys:
            found[key] = element.proto.bytes[16:]
    return found


def preview_ids(at) -> dict[str, str]:
    for element in at.get("bidi_component"):
        if element.proto.id.rsplit("-", 1)[-1] == slide_preview.PREVIEW_KEY:
            return json.loads(element.proto.json)["races"]
    raise AssertionError("no slide preview element")
