"""The race tab's "anatomy of a step", driven headless with AppTest."""

from __future__ import annotations

import numpy as np
from _apptest import live_map_blobs
from _apptest import open_app as _app
from streamlit.testing.v1 import AppTest

from momentum_viz import simulate
from momentum_viz.app.settings import Settings, from_query_params, to_query_params
from momentum_viz.numerics.anatomy import step_anatomy
from momentum_viz.views.words import format_number
from surfaces import quadratic

METHODS = ("sgd", "momentum", "nesterov")
LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov"}
BOWL = {"surface": "quadratic", "methods": "sgd,momentum,nesterov"}


def _anatomy(at: AppTest) -> dict | None:
    """The anatomy the live map is sent (the race header's), or None."""
    return live_map_blobs(at)["race"][0]["anatomy"]


def _lines(at: AppTest) -> dict[str, str]:
    """The numbers beside the map: method label → its block of Markdown."""
    blocks = {}
    for md in at.markdown:
        for method, label in LABELS.items():
            if md.value.startswith(f"**{label}**"):
                blocks[method] = md.value
    return blocks


def test_toggle_on_next_step_twice_shows_step_two_with_every_arrow_and_its_numbers():
    at = _app(**BOWL)
    assert not at.toggle(key="anatomy").value
    assert "race" in live_map_blobs(at)  # the live map, as before
    at.toggle(key="anatomy").set_value(True).run()
    assert at.number_input(key="anatomy_step").value == 0
    at.button(key="anatomy_next").click().run()
    at.button(key="anatomy_next").click().run()
    assert not at.exception
    assert at.number_input(key="anatomy_step").value == 2
    assert at.query_params["anatomy"] == "1" and at.query_params["anatomy_step"] == "2"

    # The live map, frozen at step 2 (no replay, no autoplay), with every arrow.
    assert [c.key for c in at.get("plotly_chart")] == ["losses"]  # no Plotly map
    race = live_map_blobs(at)["race"][0]
    anatomy = race["anatomy"]
    assert anatomy["step"] == 2 and race["autoplay"] is False
    parts = {(a["method"], a["part"]) for a in anatomy["arrows"]}
    for method in METHODS:
        for part in ("gradient", "move") + (("carried",) if method != "sgd" else ()):
            assert (method, part) in parts
    assert [look["method"] for look in anatomy["lookaheads"]] == ["nesterov"]
    assert "The step 2 of" in race["label"]

    # The numbers are the anatomy function's, for the settings in the link.
    s = quadratic()
    lr, momentum = float(at.query_params["lr"]), float(at.query_params["momentum"])
    start = (float(at.query_params["x0"]), float(at.query_params["y0"]))
    lines = _lines(at)
    assert set(lines) == set(METHODS)
    for method in METHODS:
        run = simulate(s, method, start, lr=lr, momentum=momentum, steps=s.steps)
        a = step_anatomy(s, run, method, 2, lr=lr, momentum=momentum)
        for name, vector in (
            ("gradient step", a.gradient_step),
            ("carried velocity", a.carried),
            ("move", a.move),
        ):
            assert f"|{name}| = {format_number(float(np.hypot(*vector)))}" in lines[method]

    at.button(key="anatomy_previous").click().run()
    assert at.number_input(key="anatomy_step").value == 1
    assert _anatomy(at)["step"] == 1
    at.toggle(key="anatomy").set_value(False).run()
    assert "race" in live_map_blobs(at) and "anatomy" not in at.query_params
    assert _anatomy(at) is None  # the replaying map again


def test_link_round_trip_reopens_the_anatomy_at_its_step():
    settings = Settings(anatomy=True, anatomy_step=7)
    assert from_query_params(to_query_params(settings)) == (settings, [])
    at = _app(**BOWL, anatomy="1", anatomy_step="5")
    assert at.toggle(key="anatomy").value
    assert at.number_input(key="anatomy_step").value == 5
    assert at.query_params["anatomy_step"] == "5"
    assert _lines(at)  # the numbers are shown
    assert not any(i.value.startswith("Link:") for i in at.info)


def test_a_bad_step_in_a_link_is_clamped_with_a_note():
    at = _app(**BOWL, steps="30", anatomy="1", anatomy_step="500")
    assert at.number_input(key="anatomy_step").value == 29
    assert any("anatomy_step = 500 is outside [0, 29]: using 29." in i.value for i in at.info)
    assert at.button(key="anatomy_next").disabled
    at = _app(**BOWL, anatomy="maybe", anatomy_step="-2")
    notes = " ".join(i.value for i in at.info)
    assert "anatomy = 'maybe' is not 0 or 1" in notes and "anatomy_step = -2" in notes
    assert not at.toggle(key="anatomy").value


def test_fewer_steps_pull_the_anatomy_step_back():
    at = _app(**BOWL, anatomy="1", anatomy_step="150")
    at.slider(key="steps").set_value(100).run()
    assert not at.exception
    assert at.number_input(key="anatomy_step").value == 99
    assert at.query_params["anatomy_step"] == "99"
