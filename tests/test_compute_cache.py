"""The page's caches (momentum_viz/app/compute.py): keys one ulp apart must get entries of
their own, and a value a class asks for at the same instant is computed once."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from momentum_viz.app.compute import RunKey, clear_shared_caches, compute_runs, shared_cache
from momentum_viz.app.settings import Settings


@pytest.fixture(autouse=True)
def _empty_caches():
    clear_shared_caches()
    yield
    clear_shared_caches()


def test_run_keys_one_ulp_apart_are_cached_apart():
    """The runs start where the key says: x₀ = 0.1 and the next float up after it."""
    key = RunKey.of(Settings())._replace(x0=0.1, steps=10)
    near = key._replace(x0=math.nextafter(0.1, 1.0))
    assert compute_runs(key)["momentum"].positions[0, 0] == 0.1
    assert compute_runs(near)["momentum"].positions[0, 0] == near.x0 != 0.1


def test_method_tuples_and_formulas_are_part_of_the_key():
    key = RunKey.of(Settings())._replace(steps=10, methods=("sgd",))
    assert list(compute_runs(key)) == ["sgd"]
    assert list(compute_runs(key._replace(methods=("sgd", "momentum")))) == ["sgd", "momentum"]


def test_a_value_asked_for_by_many_sessions_at_once_is_computed_once():
    """A class moving γ to the same new value at the same instant: one computation, and
    every session gets its result (the others wait for it rather than compute it too)."""
    calls = []
    started = threading.Event()

    @shared_cache(4)
    def slow(value: float) -> object:
        calls.append(value)
        started.set()
        time.sleep(0.3)
        return object()

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(slow, 0.5)
        started.wait(5)  # the first computation is under way
        others = [pool.submit(slow, 0.5) for _ in range(7)]
        results = [first.result(5)] + [f.result(5) for f in others]
    assert calls == [0.5]
    assert all(result is results[0] for result in results)
    assert slow(0.6) is not results[0] and calls == [0.5, 0.6]


def test_the_shared_caches_of_growing_values_are_bounded_in_bytes():
    """Longer runs make larger entries: a cache with a size function keeps at most its
    bytes (least recently used out first), not a count of entries."""

    @shared_cache(100, len)
    def blob(n: int) -> bytes:
        return bytes(n)

    first, second = blob(60), blob(30)
    assert blob(60) is first and blob(30) is second  # 90 bytes: both kept
    blob(20)  # 110 bytes: the least recently used (60) goes
    assert blob(30) is second and blob(60) is not first
    key = RunKey.of(Settings())._replace(steps=2000, methods=("sgd", "momentum", "nesterov"))
    runs = compute_runs(key)
    assert compute_runs.cache.currsize == sum(
        r.positions.nbytes + r.velocities.nbytes + r.losses.nbytes for r in runs.values()
    )
