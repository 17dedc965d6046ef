"""Slide warm-up: while a slide is shown, compute its neighbours' runs and map data.

PageDown (and PageUp) then find them in the caches (:mod:`.compute`) instead of computing
them while the class waits. The work for a slide is its race tab (its runs and the live
map's blobs: surface, α and γ families; the anatomy's arrows on an anatomy slide) in the
layout it will be shown in, and, when the slide opens on another tab, that tab's data
too: the (α, γ) map, the two basin maps.

Within the server's budgets: one worker thread for the whole server (not one per session),
at most :data:`MAX_QUEUED` views waiting (a request beyond that is dropped: the slide is
then computed when it is opened, as without warm-up). It gives way to students' reruns:
every script run of the page is counted (:func:`foreground`, one hook in
``page.run_app``), and before each piece of work the worker waits until none is running
(at most :data:`MAX_WAIT_SECONDS`, so a busy server still gets its slides warmed), after
:data:`YIELD_SECONDS`, so the rerun that asked for the warm-up starts first.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

from .compute import (
    basin_map_key,
    compute_basin_map,
    compute_parameter_map,
    parameter_map_key,
    runs_for,
)
from .live_map import blobs_for
from .settings import Settings, surface_of

MAX_QUEUED = 4
YIELD_SECONDS = 0.3
MAX_WAIT_SECONDS = 5.0  # a warm-up waits this long at most for the page's reruns to end
_POLL_SECONDS = 0.05
_DONE_REMEMBERED = 64  # views warmed recently: not queued again
# The basin-map tab draws SGD beside momentum, two maps sharing the page's map budget.
BASIN_METHODS = ("sgd", "momentum")

_LOG = logging.getLogger(__name__)
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deck-warmup")
_LOCK = threading.Lock()
_QUEUED: set[Settings] = set()
_DONE: OrderedDict[Settings, None] = OrderedDict()
_RUNNING = [0]  # script runs of the page in progress (students' and lecturers')


@contextmanager
def foreground() -> Iterator[None]:
    """Count one script run of the page while it lasts: the warm-up gives way to it."""
    with _LOCK:
        _RUNNING[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _RUNNING[0] -= 1


def _give_way() -> None:
    """Wait until no script run is in progress (at most :data:`MAX_WAIT_SECONDS`)."""
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while _RUNNING[0] > 0 and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)


def warm(settings: Settings) -> bool:
    """Queue the data of ``settings``'s race tab, and of its open tab, for computing;
    True if it was queued."""
    with _LOCK:
        if settings in _QUEUED or settings in _DONE or len(_QUEUED) >= MAX_QUEUED:
            return False
        _QUEUED.add(settings)
    _EXECUTOR.submit(_compute, settings)
    return True


def is_warm(settings: Settings) -> bool:
    """True when the warm-up has computed ``settings`` (recently: its caches hold it)."""
    with _LOCK:
        return settings in _DONE


def jobs(settings: Settings) -> list[Callable[[], object]]:
    """The pieces of work that warm ``settings``: the race tab's, then the open tab's."""
    race = replace(settings, view="race")
    work: list[Callable[[], object]] = [
        lambda: runs_for(race),
        lambda: blobs_for(race),
    ]
    if settings.view == "parameter-map":
        decade = math.floor(math.log10(settings.lr))
        key = parameter_map_key(settings)
        work.append(lambda: compute_parameter_map(key, settings.map_method, lr_decade=decade))
    elif settings.view == "basin-map" and len(surface_of(settings).minima) >= 2:
        key = basin_map_key(settings)
        for method in BASIN_METHODS:
            work.append(
                lambda method=method: compute_basin_map(
                    key, method, maps_on_page=len(BASIN_METHODS)
                )
            )
    return work


def _compute(settings: Settings) -> None:
    time.sleep(YIELD_SECONDS)
    try:
        for job in jobs(settings):
            _give_way()
            job()
    except Exception:  # a warm-up must never take a server thread down; the slide computes on open
        _LOG.exception("warming up a slide failed")
    finally:
        with _LOCK:
            _QUEUED.discard(settings)
            _DONE[settings] = None
            while len(_DONE) > _DONE_REMEMBERED:
                _DONE.popitem(last=False)


def wait_idle(timeout: float = 60.0) -> bool:
    """Until no warm-up is queued or running (tests and benchmarks); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _LOCK:
            if not _QUEUED:
                return True
        time.sleep(0.05)
    return False
