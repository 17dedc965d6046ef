"""Benchmark of one app rerun and of the chart's size (issue: Streamlit app, speed and size).

Runs the app headless with ``streamlit.testing.v1.AppTest``, moves the γ slider to a
value not seen before (so the run is computed, not served from the cache) and times the
rerun; then prints the size of the map's JSON at the defaults and at 2,000 steps with
three methods.

Run: ``.venv/bin/python benchmarks/bench_app.py`` (``--repeat N``).

Targets on the project's 2-core machine: a rerun ≤ 150 ms at default settings; chart
JSON ≤ 1.5 MB at defaults and ≤ 4 MB at 2,000 steps with three methods.
Measured figures are in README.md ("Benchmarks").
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GAMMAS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.91, 0.92, 0.93, 0.94, 0.96, 0.97, 0.98, 0.99)


def _chart_bytes(at: AppTest) -> int:
    return len(at.get("plotly_chart")[0].proto.spec)


def _fresh(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if at.exception:
        raise SystemExit(f"app raised: {[e.message for e in at.exception]}")
    return at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=len(GAMMAS))
    args = parser.parse_args()

    at = _fresh()
    default_size = _chart_bytes(at)
    times = []
    for gamma in GAMMAS[: args.repeat]:
        at.select_slider(key="momentum").set_value(gamma)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise SystemExit(f"app raised: {[e.message for e in at.exception]}")
    big = _fresh(methods="sgd,momentum,nesterov", steps="2000")
    big_size = _chart_bytes(big)

    print(f"γ-slider rerun at defaults (rosenbrock, SGD + momentum, {len(times)} moves):")
    print(f"  median {statistics.median(times) * 1e3:.0f} ms, "
          f"min {min(times) * 1e3:.0f} ms, max {max(times) * 1e3:.0f} ms")  # fmt: skip
    print(f"chart JSON at defaults: {default_size / 1e6:.2f} MB")
    print(f"chart JSON at 2,000 steps × 3 methods: {big_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
