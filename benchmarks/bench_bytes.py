"""Bytes a γ move sends to one browser, element by element (goal: ≤ 150 KiB).

Starts ``streamlit run app.py`` (free port), loads the page with one websocket session
(harness/st_client.py, the browser's protocol and message cache), then moves γ
``--moves`` times, each to a stop not shown before (so nothing is a cached message), and
prints per element (its type, a chart's key, its place on the page) the median bytes of
the messages per move, the race map ("map", the lead's) apart from everything else.

Run from the project root: ``.venv/bin/python benchmarks/bench_bytes.py``
(``--query surface=multiwell&methods=sgd,momentum,nesterov&steps=2000`` for a heavier page).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence

from harness.st_client import RunResult, StreamlitSession
from harness.streamlit_server import machine_summary, start_streamlit

MAP_KEYS = ("plotly_chart map", "race_map")  # the race map: Plotly now, a component later


async def measure(url: str, query: str, moves: int) -> list[RunResult]:
    async with StreamlitSession(url, query_string=query) as session:
        load = await session.rerun()
        if not load.ok:
            raise RuntimeError(f"page load: {load.status} {load.exceptions[:1]}")
        wid, slider = session.find_widget("momentum")
        options = list(slider.slider.options)
        state = next(w for w in session.widget_states().widgets if w.id == wid)
        start = options.index(state.string_array_value.data[0])
        runs = []
        for i in range(1, moves + 1):  # downwards: each a stop not shown before
            run = await session.set_widget("momentum", options[max(start - i, 0)])
            if not run.ok:
                raise RuntimeError(f"move {i}: {run.status} {run.exceptions[:1]}")
            runs.append(run)
        return runs


def breakdown(runs: Sequence[RunResult]) -> dict[str, float]:
    """Median bytes per move of each kind of message ("plotly_chart losses", "table", …)."""
    per_run: list[dict[str, int]] = []
    for run in runs:
        totals: dict[str, int] = defaultdict(int)
        for what, _, size in run.sizes:
            totals[what] += size
        per_run.append(totals)
    kinds = {k for totals in per_run for k in totals}
    return {k: statistics.median(t.get(k, 0) for t in per_run) for k in kinds}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--moves", type=int, default=5)
    p.add_argument("--query", default="", help="the page's link, e.g. surface=multiwell")
    args = p.parse_args(argv)
    print(f"machine: {machine_summary()}")
    with start_streamlit(script="app.py") as server:
        runs = asyncio.run(measure(server.url + "/", args.query, args.moves))
    medians = breakdown(runs)
    total = [r.n_bytes for r in runs]
    print(f"γ moves: {len(runs)} on app.py?{args.query}; bytes per move, median per element")
    for what, size in sorted(medians.items(), key=lambda kv: -kv[1]):
        if size >= 1024:
            print(f"  {what:<28} {size / 1024:8.1f} KiB")
    small = sum(size for size in medians.values() if size < 1024)
    n_small = sum(1 for size in medians.values() if size < 1024)
    print(f"  {f'{n_small} kinds under 1 KiB':<28} {small / 1024:8.1f} KiB")
    on_map = sum(size for what, size in medians.items() if what in MAP_KEYS)
    print(
        f"total {statistics.median(total) / 1024:.1f} KiB (max {max(total) / 1024:.1f}): "
        f"race map {on_map / 1024:.1f} KiB, everything else "
        f"{(sum(medians.values()) - on_map) / 1024:.1f} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
