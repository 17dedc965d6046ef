"""Benchmark of one app rerun and of the race map's size (issue: Streamlit app, speed and size).

Runs the app headless with ``streamlit.testing.v1.AppTest``, moves the γ slider to a
value not seen before (so the run is computed, not served from the cache) and times the
rerun; then prints the size of the live race map's four blobs (app/live_map.py) at the
defaults and at 2,000 steps with three methods, and what a γ move re-sends of them (the
α family and the race: the surface and the γ family are unchanged, and Streamlit sends
a reference to the browser's copy of an unchanged element of 10 kB or more).

Then the server CPU per γ move (the rerun with a new value), split into numerics (the
CPU time spent inside ``simulate``) and the rest, once with the compiled kernel and once
on the NumPy path (momentum_viz/numerics/kernel.py off), in the same run, caches cleared
between the two.

Run: ``.venv/bin/python benchmarks/bench_app.py`` (``--repeat N``).

Targets on the project's 2-core machine: a rerun ≤ 150 ms at default settings; what a
γ move re-sends of the map ≤ 100 kB at 2,000 steps with three methods (the
whole page ≤ 150 KiB per move). Measured figures are in README.md ("Benchmarks").
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

import momentum_viz.app.compute as compute
import momentum_viz.numerics.kernel as kernel
import momentum_viz.numerics.maps as maps

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GAMMAS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.91, 0.92, 0.93, 0.94, 0.96, 0.97, 0.98, 0.99)


def _map_bytes(at: AppTest) -> dict[str, int]:
    """Bytes of each of the live map's elements, by key (the blob, JS not included)."""
    return {e.proto.id.rsplit("-", 1)[-1]: len(e.proto.bytes) for e in at.get("bidi_component")}


def _describe(sizes: dict[str, int]) -> str:
    per_move = sizes["live_alpha_family"] + sizes["race_map"]
    parts = ", ".join(f"{key} {size / 1e3:.1f}" for key, size in sizes.items())
    total = sum(sizes.values()) / 1e3
    return f"{total:.1f} kB in all ({parts}); a γ move re-sends {per_move / 1e3:.1f} kB"


def _fresh(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if at.exception:
        raise SystemExit(f"app raised: {[e.message for e in at.exception]}")
    return at


class _NumericsClock:
    """Wraps ``simulate`` where the app calls it and adds up the CPU time spent inside
    (thread CPU time: the rerun's thread; the kernel and NumPy run small batches there)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = compute.simulate

    def __enter__(self) -> _NumericsClock:
        def timed(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - t0

        compute.simulate = maps.simulate = timed
        return self

    def __exit__(self, *exc: object) -> None:
        compute.simulate = maps.simulate = self.original


def cpu_per_move(compiled: bool, repeat: int) -> tuple[float, float]:
    """Median process CPU per γ move and median numerics CPU per move (seconds)."""
    kernel._STATE.enabled = compiled and kernel.numba is not None
    kernel.warm_up()
    st.cache_data.clear()
    st.cache_resource.clear()
    at = _fresh()
    totals, numerics = [], []
    with _NumericsClock() as clock:
        for gamma in GAMMAS[:repeat]:
            at.select_slider(key="momentum").set_value(gamma)
            before, t0 = clock.seconds, time.process_time()
            at.run()
            totals.append(time.process_time() - t0)
            numerics.append(clock.seconds - before)
            if at.exception:
                raise SystemExit(f"app raised: {[e.message for e in at.exception]}")
    kernel._STATE.enabled = kernel.numba is not None
    return statistics.median(totals), statistics.median(numerics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=len(GAMMAS))
    args = parser.parse_args()

    at = _fresh()
    default_size = _map_bytes(at)
    times = []
    for gamma in GAMMAS[: args.repeat]:
        at.select_slider(key="momentum").set_value(gamma)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise SystemExit(f"app raised: {[e.message for e in at.exception]}")
    big = _fresh(methods="sgd,momentum,nesterov", steps="2000")
    big_size = _map_bytes(big)

    print(f"γ-slider rerun at defaults (rosenbrock, SGD + momentum, {len(times)} moves):")
    print(f"  median {statistics.median(times) * 1e3:.0f} ms, "
          f"min {min(times) * 1e3:.0f} ms, max {max(times) * 1e3:.0f} ms")  # fmt: skip
    print(f"race map at defaults: {_describe(default_size)}")
    print(f"race map at 2,000 steps × 3 methods: {_describe(big_size)}")
    print("server CPU per γ move (median; process CPU of the rerun, numerics = in simulate):")
    for label, compiled in (("NumPy path", False), ("compiled kernel", True)):
        if compiled and kernel.numba is None:
            print("  compiled kernel: skipped, Numba is not installed")
            continue
        total, numerics = cpu_per_move(compiled, args.repeat)
        print(f"  {label:16s} {total * 1e3:5.1f} ms in all: numerics {numerics * 1e3:5.1f} ms, "
              f"the rest {(total - numerics) * 1e3:5.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
