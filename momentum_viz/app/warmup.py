"""Next-slide warm-up: while a slide is shown, compute the next slide's runs and map data.

PageDown then finds them in the caches (:mod:`.compute`) instead of computing them while
the class waits. The work is the next slide's race tab: its runs and the live map's blobs
(surface, and the α and γ families), in the layout it will be shown in.

Within the server's budgets: one worker thread for the whole server (not one per session),
at most :data:`MAX_QUEUED` views waiting (a request beyond that is dropped: the slide is
then computed when it is opened, as without warm-up), and each job waits
:data:`YIELD_SECONDS` first, so the rerun that asked for it, and other students' reruns
that arrive meanwhile, start before it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from .compute import live_map_blobs, runs_for
from .live_map import map_label
from .settings import Settings

MAX_QUEUED = 4
YIELD_SECONDS = 0.3
_DONE_REMEMBERED = 64  # views warmed recently: not queued again

_LOG = logging.getLogger(__name__)
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deck-warmup")
_LOCK = threading.Lock()
_QUEUED: set[Settings] = set()
_DONE: OrderedDict[Settings, None] = OrderedDict()


def warm(settings: Settings) -> bool:
    """Queue the race tab's data of ``settings`` for computing; True if it was queued."""
    settings = replace(settings, view="race", anatomy=False, anatomy_step=0)
    with _LOCK:
        if settings in _QUEUED or settings in _DONE or len(_QUEUED) >= MAX_QUEUED:
            return False
        _QUEUED.add(settings)
    _EXECUTOR.submit(_compute, settings)
    return True


def _compute(settings: Settings) -> None:
    time.sleep(YIELD_SECONDS)
    try:
        runs_for(settings)
        live_map_blobs(settings, map_label(settings))
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
