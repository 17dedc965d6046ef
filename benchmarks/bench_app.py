"""Benchmark of one app rerun and of the race map's size (issue: Streamlit app, speed and size).

Runs the app headless with ``streamlit.testing.v1.AppTest``, moves the γ slider to a
value not seen before (so the run is computed, not served from the cache) and times the
rerun; then prints the size of the live race map's three elements (app/live_map.py) at
the defaults and at 2,000 steps with three methods, and what a γ move re-sends of them
(the map's element, the race with the α family: the surface and the γ family are
unchanged, and Streamlit sends a reference to the browser's copy of an unchanged
element of 10 kB or more).

Then the server CPU per γ move (the rerun with a new value), split into numerics (the
CPU time spent inside ``simulate``) and the rest, once with the compiled kernel and once
on the NumPy path (momentum_viz/numerics/kernel.py off), in the same run, caches cleared
between the two.

Run: ``.venv/bin/python benchmarks/bench_app.py`` (``--repeat N``; ``--cpu-only``: the
server CPU split alone).

Targets on the project's 2-core machine: a rerun ≤ 150 ms at default settings; what a
γ move re-sends of the map ≤ 100 kB at 2,000 steps with three methods (the
whole page ≤ 150 KiB per move). Measured figures are in README.md ("Benchmarks").
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.testing.v1 import AppTest

import momentum_viz.app.compute as compute
import momentum_viz.app.page as page
import momentum_viz.numerics.kernel as kernel
import momentum_viz.numerics.maps as maps
import momentum_viz.numerics.summary as summary
import momentum_viz.views.live_map as live_map

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GAMMAS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.91, 0.92, 0.93, 0.94, 0.96, 0.97, 0.98, 0.99)


def _map_bytes(at: AppTest) -> dict[str, int]:
    """Bytes of each of the live map's elements, by key (the blob, JS not included)."""
    return {e.proto.id.rsplit("-", 1)[-1]: len(e.proto.bytes) for e in at.get("bidi_component")}


def _describe(sizes: dict[str, int]) -> str:
    per_move = sizes["race_map"]  # the race with the α family
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


# What each part of a rerun is, as (module, name) of the functions the app calls.
_PARTS = {
    # simulate where the page calls it: its runs and families, the maps, and the run on
    # past the last step that tells where a run settles (summary)
    "numerics": ((compute, "simulate"), (maps, "simulate"), (summary, "simulate")),
    "blob encoding": (
        (compute, "family_blob"),
        (compute, "race_blob"),
        (compute, "surface_blob"),
        (compute, "_with_id"),
    ),
    "sidebar widgets": ((page.sidebar, "render"),),
}
# The whole script (it holds the parts): what it does not cover is AppTest's and
# Streamlit's own handling of the rerun's messages, outside the app's code.
_SCRIPT = "script (page.run_app)"


class _SplitClock:
    """Wraps the functions of each part of a rerun where the app calls them and adds up
    the thread CPU time spent inside each (the rerun's thread: the kernel, NumPy and the
    encoding run there). The parts do not nest, so the rest is the total minus them."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys([*_PARTS, _SCRIPT], 0.0)
        self._originals: list[tuple[object, str, object]] = []

    def _timed(self, part: str, original):
        def timed(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[part] += time.thread_time() - t0

        return timed

    def __enter__(self) -> _SplitClock:
        for part, places in _PARTS.items():
            for module, name in places:
                original = getattr(module, name)
                self._originals.append((module, name, original))
                setattr(module, name, self._timed(part, original))
        self._originals.append((page, "run_app", page.run_app))
        page.run_app = self._timed(_SCRIPT, page.run_app)
        return self

    def __exit__(self, *exc: object) -> None:
        for module, name, original in reversed(self._originals):
            setattr(module, name, original)


def _family_blob_path_by_path(surface, parameter, values, paths):
    """The family encoding before it was batched (for the before/after figure): each
    stop's path thinned and quantized on its own, 30 NumPy passes per method."""
    (xmin, xmax), _ = surface.bounds
    cell = live_map.FAMILY_CELL * (xmax - xmin)
    box = live_map.quantization_box(surface)
    pieces, offsets = [], [0]
    for batch in paths.values():
        for i in range(len(values)):
            path = batch[:, i]
            kept = path[live_map.thin(path, cell, live_map.FAMILY_MAX_POINTS)]
            pieces.append(live_map.quantize_path(kept, box))
            offsets.append(offsets[-1] + len(pieces[-1]))
    header = {
        "kind": "family",
        "parameter": parameter,
        "values": [float(v) for v in values],
        "methods": list(paths),
        "box": list(box),
    }
    points = np.concatenate(pieces) if pieces else np.empty((0, 2), np.uint16)
    offsets = np.asarray(offsets, dtype=np.int32)
    return live_map.encode(header, {"points": points, "offsets": offsets})


def cpu_per_move(compiled: bool, repeat: int, old_encoding: bool = False) -> dict[str, float]:
    """Median process CPU per γ move ("in all") and the median of each part (seconds)."""
    kernel._STATE.enabled = compiled and kernel.numba is not None
    kernel.warm_up()
    st.cache_data.clear()
    st.cache_resource.clear()
    compute.clear_shared_caches()
    at = _fresh()
    samples: dict[str, list[float]] = {"in all": [], _SCRIPT: [], **{p: [] for p in _PARTS}}
    batched = compute.family_blob
    if old_encoding:
        compute.family_blob = _family_blob_path_by_path
    try:
        with _SplitClock() as clock:
            for gamma in GAMMAS[:repeat]:
                at.select_slider(key="momentum").set_value(gamma)
                before, t0 = dict(clock.seconds), time.process_time()
                at.run()
                samples["in all"].append(time.process_time() - t0)
                for part in (_SCRIPT, *_PARTS):
                    samples[part].append(clock.seconds[part] - before[part])
                if at.exception:
                    raise SystemExit(f"app raised: {[e.message for e in at.exception]}")
    finally:
        compute.family_blob = batched
        kernel._STATE.enabled = kernel.numba is not None
    medians = {part: statistics.median(values) for part, values in samples.items()}
    rest = [t - sum(samples[p][i] for p in _PARTS) for i, t in enumerate(samples[_SCRIPT])]
    medians["rest of the script"] = statistics.median(rest)
    outside = [t - samples[_SCRIPT][i] for i, t in enumerate(samples["in all"])]
    medians["outside the script"] = statistics.median(outside)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=len(GAMMAS))
    parser.add_argument(
        "--cpu-only", action="store_true", help="only the server CPU per γ move, split"
    )
    args = parser.parse_args()
    if not args.cpu_only:
        _rerun_and_sizes(args.repeat)
    _cpu_split(args.repeat)


def _rerun_and_sizes(repeat: int) -> None:
    """The rerun's wall time and the race map's sizes."""
    args = argparse.Namespace(repeat=repeat)

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


def _cpu_split(repeat: int) -> None:
    """Server CPU per γ move, split, on the NumPy path and the kernel, before and after
    the batched encoding."""
    args = argparse.Namespace(repeat=repeat)
    print(
        "server CPU per γ move (median; process CPU of the rerun, AppTest's own work "
        "included; the parts are thread CPU inside them):"
    )
    cases = (
        ("NumPy path", False, False),
        ("kernel, encoding path by path (before)", True, True),
        ("kernel, batched encoding (now)", True, False),
    )
    for label, compiled, old_encoding in cases:
        if compiled and kernel.numba is None:
            print(f"  {label}: skipped, Numba is not installed")
            continue
        parts = cpu_per_move(compiled, args.repeat, old_encoding)
        split = ", ".join(f"{part} {seconds * 1e3:.1f}" for part, seconds in parts.items())
        print(f"  {label}: {split} ms")


if __name__ == "__main__":
    main()
