"""Every cached computation of the page, in one place, on plain hashable arguments.

A class of students moving the same slider to the same value should pay for each run,
animation and map once. So every expensive call goes through a cache here, keyed by the
plain fields of :class:`Settings` (strings, numbers, a tuple of method names), never by a
widget or a figure. The tabs call these functions and only lay out results.

Two kinds of cache. What a move of α or γ asks for (the runs, the live map's blobs, the
loss curves) is in :func:`shared_cache`: a hit costs microseconds, where one of
Streamlit's caches costs a third of a millisecond (it hashes its arguments its own way
and copies or checks the value), and a class moving γ together hits them about five
times per move. The maps, which show a spinner while they are computed, stay in
Streamlit's caches.
"""

from __future__ import annotations

import math
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import cachetools
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from surfaces import Surface

from ..numerics import kernel
from ..numerics.anatomy import StepAnatomy, step_anatomy
from ..numerics.maps import (
    DEFAULT_BASIN_RESOLUTION,
    DEFAULT_GRID,
    BasinMap,
    ParameterMap,
    basin_map,
    default_axes,
    parameter_map,
)
from ..numerics.measured_floor import measured_floor
from ..numerics.optimizer import Run, simulate
from ..numerics.summary import settled_step_running_on
from ..views.anatomy import anatomy_header
from ..views.curves import encode_arrays, loss_figure
from ..views.live_map import (
    REPLAY_MS,
    blob_id,
    drawing_aspect,
    family_blob,
    race_blob,
    surface_blob,
)
from ..views.style import FONT_SIZE, LECTURE_FONT_SIZE, themed
from .settings import (
    ALL_DATA,
    RUN_FIELDS,
    SLIDER_STOPS,
    Settings,
    stops_with,
    surface_of,
)
from .streamlit_internals import slider_input_selector

# The race map's drawing area, in px high: the whole map, its Play row and its legend fit
# the first screen of a 1280×720 projector with the sidebar open (the page above the map
# is ~150 px). Lecture mode drops the title, so the map takes that room too, with larger
# text.
MAP_DRAWING_HEIGHT = 452
LECTURE_DRAWING_HEIGHT = 500


class RunKey(namedtuple("_RunFields", RUN_FIELDS)):
    """The settings that determine the runs, as one hashable cache argument: the fields
    the declarations mark as changing the runs (``settings.RUN_FIELDS``), so a new setting
    joins it by its declaration alone. A tuple: Streamlit hashes it field by field."""

    __slots__ = ()

    @classmethod
    def of(cls, settings: Settings) -> RunKey:
        """The key of these settings."""
        return cls(*(getattr(settings, name) for name in RUN_FIELDS))

    def settings(self) -> Settings:
        """Settings with these run fields (the view's fields at their defaults)."""
        return Settings(**self._asdict())

    def surface_object(self) -> Surface:
        """The Surface these settings name (a custom one is cached by its formula)."""
        return surface_of(self.settings())

    def batch_args(self) -> dict[str, object]:
        """The mini-batch arguments of ``simulate``: none for the full-data gradient (every
        formula surface, and a data surface with batch size "all")."""
        if self.batch_size == ALL_DATA:
            return {}
        return {"batch_size": self.batch_size, "batches": self.batches}


_SHARED_CACHES: list[cachetools.LRUCache] = []


_F = TypeVar("_F", bound=Callable[..., object])


def shared_cache(maxsize: int, getsizeof: Callable[[Any], int] | None = None) -> Callable[[_F], _F]:
    """An LRU cache for a pure function of hashable arguments, in this process, shared by
    every session (cachetools): ``maxsize`` entries, or bytes if ``getsizeof`` gives an
    entry's size. A value not yet there is computed once: a session asking for it
    meanwhile waits for it (the condition), as a class moving γ to the same new value at
    the same instant does. The value is shared, not copied: it must not be changed (a
    run's arrays are read-only, bytes and Arrow tables cannot be changed; a figure is
    copied by Streamlit before it is sent)."""
    cache: cachetools.LRUCache = cachetools.LRUCache(maxsize, getsizeof=getsizeof)
    _SHARED_CACHES.append(cache)
    return cachetools.cached(cache, condition=threading.Condition())


def _runs_nbytes(runs: dict[str, Run]) -> int:
    """The bytes of a set of runs' arrays (what a cache entry of them holds)."""
    return sum(r.positions.nbytes + r.velocities.nbytes + r.losses.nbytes for r in runs.values())


def _blobs_nbytes(blobs: LiveMapBlobs) -> int:
    return sum(map(len, blobs.carried)) + len(blobs.race)


# Byte bounds of the shared caches whose entries grow with the runs' length (2,000 steps
# at most: 0.24 MB of runs, 0.15 MB of the map's blobs): 32 MiB of runs and 12 MiB for
# each of the three blob caches, 68 MiB in all (Streamlit's own caches, the maps, have
# 96 MB: .streamlit/config.toml). The others hold small values, bounded by their counts.
RUNS_CACHE_BYTES = 32 * 2**20
BLOB_CACHE_BYTES = 12 * 2**20


def clear_shared_caches() -> None:
    """Empty every :func:`shared_cache` (for tests and benchmarks that start cold)."""
    for cache in _SHARED_CACHES:
        cache.clear()


# Streamlit hashes a cache's arguments on every call, a tuple field by field (about a
# millisecond a call for a run key, several calls per rerun); its repr names every field's
# value exactly (floats print round-trip) and costs microseconds.
HASH_BY_REPR = {RunKey: repr}


@shared_cache(RUNS_CACHE_BYTES, _runs_nbytes)
def compute_runs(key: RunKey) -> dict[str, Run]:
    """One run per method, all from the same start with the same noise (cached)."""
    s = key.surface_object()
    return {
        method: simulate(
            s,
            method,
            (key.x0, key.y0),
            lr=key.lr,
            momentum=key.momentum,
            steps=key.steps,
            noise=key.noise,
            seed=key.seed,
            **key.batch_args(),
        )
        for method in key.methods
    }


def runs_for(settings: Settings) -> dict[str, Run]:
    """The cached runs for these settings."""
    return compute_runs(RunKey.of(settings))


@shared_cache(64)
def compute_loss_figure(key: RunKey, offset: float, theme: str | None) -> go.Figure:
    """The loss curves of these runs in ``theme`` (cached, shared: Streamlit copies a
    figure before it sends it, so nobody changes this one). Building and checking the
    figure was a seventh of a γ move's work; moving back to a value seen costs nothing."""
    losses = {method: run.losses for method, run in compute_runs(key).items()}
    return encode_arrays(themed(loss_figure(losses, offset=offset), theme))


def loss_figure_for(settings: Settings, offset: float, theme: str | None) -> go.Figure:
    """The cached loss curves for these settings (see :func:`compute_loss_figure`)."""
    return compute_loss_figure(RunKey.of(settings), offset, theme)


@shared_cache(256)
def compute_settled_steps(key: RunKey) -> dict[str, int]:
    """Per method, where its run settles when it runs on past the last step (cached)."""
    s = key.surface_object()
    if key.batch_args():
        # Running on would need the same batches continued; a mini-batch run is judged
        # by its own steps.
        return {method: int(run.converged_at) for method, run in compute_runs(key).items()}
    return {
        method: settled_step_running_on(
            s, run, lr=key.lr, momentum=key.momentum, noise=key.noise, seed=key.seed
        )
        for method, run in compute_runs(key).items()
    }


def settled_steps_for(settings: Settings) -> dict[str, int]:
    """The cached settled steps, run on past the last step, for these settings."""
    return compute_settled_steps(RunKey.of(settings))


def _map_scale(lecture: bool) -> tuple[int, int]:
    """The race map's drawing height and font size (px), normal or in lecture mode."""
    if lecture:
        return LECTURE_DRAWING_HEIGHT, LECTURE_FONT_SIZE
    return MAP_DRAWING_HEIGHT, FONT_SIZE


def race_map_width(settings: Settings) -> int:
    """The live map's width in CSS px at these settings (its margins as ``layout`` in
    live_map.js sets them, and the drawing area at the surface's aspect)."""
    drawing, font = _map_scale(settings.lecture)
    return round((3.4 + 5.2) * font + drawing * drawing_aspect(surface_of(settings)))


# --- The live race map (redrawn in the browser) ------------------------------------------
# Three kinds of blob (views/live_map.py), each cached on what it depends on: the surface;
# the paths for every γ stop at this α, and for every α stop at this γ; the runs. Each
# travels prefixed with its 16-character id, which the race blob names.


def _with_id(blob: bytes) -> bytes:
    return blob_id(blob).encode("ascii") + blob


@shared_cache(BLOB_CACHE_BYTES, len)
def compute_surface_blob(key: RunKey) -> bytes:
    """The surface's blob (only the surface fields of ``key`` matter; the caller clears
    the others so that every setting on one surface shares the entry)."""
    return _with_id(surface_blob(key.surface_object()))


@shared_cache(BLOB_CACHE_BYTES, len)
def compute_family_blob(key: RunKey, parameter: str) -> bytes:
    """The finished paths of every stop of the ``parameter`` slider ("lr" or "momentum"),
    the other settings as in ``key``: one batched run per method.

    SGD ignores γ, so the γ family leaves it out (the browser keeps its run). The stops
    are the slider's own (:func:`stops_with`), in its order.
    """
    values = family_stops(key, parameter)
    methods = [m for m in key.methods if not (parameter == "momentum" and m == "sgd")]
    batch = np.asarray(values)
    fixed = {"lr": key.lr, "momentum": key.momentum, parameter: batch}
    s = key.surface_object()
    paths = {
        method: simulate(
            s,
            method,
            (key.x0, key.y0),
            lr=fixed["lr"],
            momentum=fixed["momentum"],
            steps=key.steps,
            noise=key.noise,
            seed=key.seed,
            **key.batch_args(),
        ).positions
        for method in methods
    }
    return _with_id(family_blob(s, parameter, values, paths))


# The fields of a run key that name the surface; the caches of what depends on the
# surface alone (or on the surface and a few more fields) set all others to fixed values,
# so that every setting on one surface shares their entries.
SURFACE_FIELDS = ("surface", "kappa", "standardize", "expr", "xmin", "xmax", "ymin", "ymax")
_FIXED = RunKey.of(Settings())._replace(methods=(), x0=0.0, y0=0.0)


def only(key: RunKey, *names: str) -> RunKey:
    """``key`` with only the surface and the fields ``names`` kept, the others fixed."""
    return _FIXED._replace(**{name: getattr(key, name) for name in (*SURFACE_FIELDS, *names)})


def _surface_key(key: RunKey) -> RunKey:
    """``key`` with everything but the surface set to fixed values."""
    return only(key)


def family_stops(key: RunKey, parameter: str) -> list[float]:
    """The values of the ``parameter`` family's paths: the slider's stops, with the key's
    own value among them (:func:`stops_with`)."""
    return stops_with(SLIDER_STOPS[parameter], getattr(key, parameter))


def family_key(key: RunKey, parameter: str) -> RunKey:
    """``key`` for the ``parameter`` family: a value that is one of the slider's stops is
    replaced by the first stop, since the family (every stop) is the same for all of them.
    One cache entry per α then serves every γ move, and its blob is byte-identical."""
    stops = SLIDER_STOPS[parameter]
    if getattr(key, parameter) in stops:
        return key._replace(**{parameter: stops[0]})
    return key


class LiveMapBlobs(NamedTuple):
    """What the live race map is sent: the carried blobs (the surface, the γ family and,
    unless the browser fetches it, the α family), each prefixed with its id, and the race
    blob that names them."""

    carried: tuple[bytes, ...]
    race: bytes


# Entries of up to ~0.2 MB (their carried blobs are the family and surface caches' own
# values, counted again here: the bound errs on the safe side).
@shared_cache(BLOB_CACHE_BYTES, _blobs_nbytes)
def live_map_blobs(
    settings: Settings, label: str, fetched: tuple[tuple[str, str], ...] = ()
) -> LiveMapBlobs:
    """The blobs of the live race map for these settings; ``label`` is its accessible
    name; ``fetched`` pairs a family the browser fetches ("lr") with its address
    (app/family_route.py): it is named by that address and its stops, not computed
    (cached: a class moving γ to the same value builds them once; the carried blobs
    are cached on their own, by the settings they depend on, so a move re-encodes only
    what it changed)."""
    key = RunKey.of(settings)
    urls = dict(fetched)
    families = [parameter for parameter in ("momentum", "lr") if parameter not in urls]
    carried = (
        compute_surface_blob(_surface_key(key)),
        *(compute_family_blob(family_key(key, parameter), parameter) for parameter in families),
    )
    surface_id, *family_ids = [blob[:16].decode("ascii") for blob in carried]
    runs = compute_runs(key)
    drawing, font = _map_scale(settings.lecture)
    # The anatomy's still map: frozen at its step, with its arrows (none without a run).
    still = settings.anatomy and bool(runs)
    race = race_blob(
        key.surface_object(),
        {method: run.positions for method, run in runs.items()},
        lr=settings.lr,
        momentum=settings.momentum,
        start=(settings.x0, settings.y0),
        replay_ms=REPLAY_MS / settings.speed,
        drawing_height=drawing,
        font_size=font,
        fill_screen=settings.lecture,
        autoplay=settings.autoplay and not still,
        surface_id=surface_id,
        family_ids=dict(zip(families, family_ids, strict=True)),
        family_urls={
            parameter: (url, family_stops(key, parameter)) for parameter, url in urls.items()
        },
        label=label,
        sliders={name: slider_input_selector(name) for name in ("lr", "momentum")},
        anatomy=anatomy_header(
            key.surface_object().bounds,
            anatomy_for(settings),
            settings.anatomy_step,
            {method: i for i, method in enumerate(runs)},
        )
        if still
        else None,
    )
    return LiveMapBlobs(carried, race)


# One server process computes every student's maps. A formula typed in the app can cost
# far more per gradient than the built-in surfaces (a 199-character one made a 120 × 120
# map of 2,000 steps take 17 s), so maps of custom surfaces get a coarser grid when the
# full one would take longer than this, estimated from a timed gradient evaluation.
MAP_BUDGET_SECONDS = 2.0
MIN_MAP_SIDE = 20  # the coarsest grid still worth reading


# Steps of the kernel's timed sample: enough that simulate's fixed cost (its checks, the
# result's assembly) is a small part of it (about 10 ms of compiled steps).
_TIMED_STEPS = 100


@lru_cache(maxsize=64)
def _seconds_per_point_step(surface: Surface) -> float:
    """Measured cost of one step per point: of the compiled kernel's steps where it runs
    the formula (best of 3: 1,024 runs × _TIMED_STEPS, one thread), else of one NumPy
    gradient evaluation, doubled for the update (best of 3 on 4,096 points)."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    if kernel.usable_for(surface):
        starts = np.stack(np.meshgrid(np.linspace(xmin, xmax, 32), np.linspace(ymin, ymax, 32)))
        starts = starts.reshape(2, -1).T
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            simulate(surface, "momentum", starts, lr=surface.lr, momentum=0.9,
                     steps=_TIMED_STEPS, record="summary", workers=1)  # fmt: skip
            best = min(best, time.perf_counter() - start)
        return best / (len(starts) * _TIMED_STEPS)
    x, y = np.meshgrid(np.linspace(xmin, xmax, 64), np.linspace(ymin, ymax, 64))
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        surface.grad_fn(x, y)
        best = min(best, time.perf_counter() - start)
    # The update itself costs about as much again as a cheap gradient: count it twice.
    return 2.0 * best / x.size


def map_side(surface: Surface, steps: int, default: int, maps_on_page: int = 1) -> int:
    """Grid side of a map: ``default`` for the formula surfaces; for a custom or data one, the
    largest side (at least MIN_MAP_SIDE) whose runs fit in the page's share of
    MAP_BUDGET_SECONDS: the budget is the page's, shared by the ``maps_on_page`` maps
    (one per method) it shows, each of ``steps`` steps."""
    # A data surface's gradient sums over its examples: its cost is measured too.
    if surface.name != "custom" and getattr(surface, "data", None) is None:
        return default
    cost = _seconds_per_point_step(surface) * steps * max(1, maps_on_page)
    affordable = MAP_BUDGET_SECONDS / cost
    return max(MIN_MAP_SIDE, min(default, math.isqrt(int(min(affordable, 1e9)))))


@contextmanager
def map_job() -> Iterator[None]:
    """Hold the session's map lock while a map is computed (or read from the cache).

    With fast reruns, Streamlit starts a new script thread at each click while the last
    one may still be inside a map's NumPy work, which cannot be interrupted: clicking
    through methods or steps would stack one map job per click on the shared server.
    This lock makes a session's next map wait for its last one.
    """
    lock = st.session_state.setdefault("_map_job_lock", threading.Lock())
    with lock:
        yield


@st.cache_data(hash_funcs=HASH_BY_REPR, max_entries=16, show_spinner="Computing the (α, γ) map…")
def compute_parameter_map(key: RunKey, method: str, lr_decade: int = 0) -> ParameterMap:
    """One batched run per (α, γ) cell from the key's start (cached; see
    :func:`parameter_map_key`).

    ``lr_decade`` is floor(log10(α)) of the current α: the α axis reaches three decades
    below it (and below the surface's default), so the current α is on the map. A decade,
    not α itself, so that moving α within a decade reuses the map.
    """
    s = key.surface_object()
    side = map_side(s, key.steps, DEFAULT_GRID)
    lrs, momenta = default_axes(s, 10.0**lr_decade, n_lr=side, n_mom=side)
    return parameter_map(
        s, method, (key.x0, key.y0), lrs=lrs, momenta=momenta, steps=key.steps,
        noise=key.noise, seed=key.seed,
    )  # fmt: skip


def parameter_map_key(settings: Settings) -> RunKey:
    """The (α, γ) map's cache key: the surface, start, steps and noise (not α, γ or the
    methods, which the map's axes and its own method replace)."""
    return only(RunKey.of(settings), "x0", "y0", "steps", "noise", "seed")


@st.cache_data(hash_funcs=HASH_BY_REPR, max_entries=16, show_spinner="Computing the basin map…")
def compute_basin_map(key: RunKey, method: str, maps_on_page: int = 1) -> BasinMap:
    """One batched run per start point of a grid over the surface (cached; see
    :func:`basin_map_key`); the page's map budget is shared by its ``maps_on_page`` maps."""
    s = key.surface_object()
    resolution = map_side(s, key.steps, DEFAULT_BASIN_RESOLUTION, maps_on_page)
    return basin_map(
        s, method, lr=key.lr, momentum=key.momentum, steps=key.steps, noise=key.noise,
        seed=key.seed, resolution=resolution,
    )  # fmt: skip


def basin_map_key(settings: Settings) -> RunKey:
    """The basin map's cache key: the surface, α, γ, steps and noise (not the start or
    the methods, which the map's grid and its own method replace)."""
    return only(RunKey.of(settings), "lr", "momentum", "steps", "noise", "seed")


# Step anatomies are small and a lecturer steps back and forth through the first few:
# keep a few dozen.
@st.cache_data(hash_funcs=HASH_BY_REPR, max_entries=32, ttl=3600, show_spinner=False)
def compute_anatomy(key: RunKey, step: int = 0) -> dict[str, StepAnatomy]:
    """Each method's step anatomy at ``step`` (cached)."""
    runs = compute_runs(key)
    s = key.surface_object()
    return {
        method: step_anatomy(s, run, method, step, lr=key.lr, momentum=key.momentum)
        for method, run in runs.items()
    }


def anatomy_for(settings: Settings) -> dict[str, StepAnatomy]:
    """The cached step anatomies at the settings' step."""
    return compute_anatomy(RunKey.of(settings), settings.anatomy_step)


@st.cache_data(max_entries=32, show_spinner="Measuring the noise floor over a few seeds…")
def compute_measured_floors(key: RunKey) -> dict[str, float]:
    """Per method, the measured noise floor of these mini-batch settings (cached; see
    :func:`momentum_viz.numerics.measured_floor.measured_floor`)."""
    s, start = key.surface_object(), (key.x0, key.y0)
    fixed = {"lr": key.lr, "momentum": key.momentum, "steps": key.steps, "noise": key.noise}
    fixed |= {"seed": key.seed, **key.batch_args()}
    return {method: measured_floor(s, method, start, **fixed) for method in key.methods}
