"""The live map's own α and γ sliders (under the map on a phone) send {"param", "value"} on
release; state.on_live_map_slider sets the sidebar's slider to it. What the browser sends is
data: anything but a known parameter and a finite value in its range is ignored with a note,
and nothing raises."""

from __future__ import annotations

import math

import pytest

from momentum_viz.app import state
from momentum_viz.numerics.ranges import LR_RANGE, MOMENTUM_RANGE


def _release(monkeypatch, sent: object) -> dict:
    session: dict = {"race_map": {"slider": sent}, "lr": 0.3, "momentum": 0.9}
    monkeypatch.setattr(state.st, "session_state", session)
    state.on_live_map_slider()
    return session


@pytest.mark.parametrize(("param", "value"), [("lr", 0.15), ("momentum", 0.5), ("lr", 1)])
def test_a_release_sets_the_sidebars_slider(monkeypatch, param, value):
    session = _release(monkeypatch, {"param": param, "value": value})
    assert session[param] == value and isinstance(session[param], float)
    assert "_widget_notes" not in session


@pytest.mark.parametrize(
    "sent",
    [
        {"param": "steps", "value": 10},
        {"param": "lr", "value": math.nan},
        {"param": "lr", "value": "0.1"},
        {"param": "lr", "value": LR_RANGE[1] * 2},
        {"param": "momentum", "value": MOMENTUM_RANGE[1] + 0.01},
        {"param": "momentum", "value": -0.1},
        {"param": "lr", "value": True},
        "lr=0.1",
        [0.1],
    ],
)
def test_anything_else_is_ignored_with_a_note(monkeypatch, sent):
    session = _release(monkeypatch, sent)
    assert (session["lr"], session["momentum"]) == (0.3, 0.9)
    assert len(session["_widget_notes"]) == 1 and "map slider" in session["_widget_notes"][0]


def test_no_slider_moved_changes_nothing(monkeypatch):
    session = _release(monkeypatch, None)
    assert (session["lr"], session["momentum"]) == (0.3, 0.9) and "_widget_notes" not in session
