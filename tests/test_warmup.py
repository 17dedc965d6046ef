"""The next-slide warm-up: what it computes, once, and within its bound."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from momentum_viz.app import warmup
from momentum_viz.app.settings import Settings


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []
    monkeypatch.setattr(warmup, "YIELD_SECONDS", 0.0)
    monkeypatch.setattr(warmup, "runs_for", seen.append)
    monkeypatch.setattr(warmup, "live_map_blobs", lambda settings, label: seen.append(settings))
    monkeypatch.setattr(warmup, "_DONE", warmup.OrderedDict())
    return seen


def test_warms_the_race_tab_of_the_view_once(computed):
    view = Settings(surface="beale", lecture=True, view="theory", anatomy=True, anatomy_step=3)
    assert warmup.warm(view)
    assert warmup.wait_idle(10)
    race = replace(view, view="race", anatomy=False, anatomy_step=0)
    assert computed == [race, race]  # the runs, then the map's blobs, as the slide shows it
    assert not warmup.warm(view)  # done already: not queued again
    assert warmup.wait_idle(10) and len(computed) == 2


def test_at_most_a_few_views_wait(computed, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(warmup, "runs_for", lambda settings: release.wait(10))
    queued = [warmup.warm(Settings(seed=seed)) for seed in range(warmup.MAX_QUEUED + 3)]
    assert queued == [True] * warmup.MAX_QUEUED + [False] * 3
    release.set()
    assert warmup.wait_idle(10)
