"""Server CPU per γ move on a real server, against a bare Streamlit page (issue 23).

A γ move reruns the page's live part, a Streamlit fragment (app/page.py ``_live``), which
``AppTest`` cannot do (it always runs the whole script: benchmarks/bench_app.py
``--cpu-only`` splits such a whole run). Here one protocol client (harness/st_client.py,
the browser's messages) drives ``streamlit run <app>`` and moves γ the way the browser
does, rerunning the fragment that drew the slider. Two kinds of move:

* **new values**: every move goes to a γ not seen before, so the runs, the race map and
  the loss curves are computed, and the α family too unless the page fetches it (serve.py:
  app/family_route.py; then its fetch, when α is first touched, is measured on its own,
  once per new value): what one student exploring costs;
* **seen values**: γ goes back and forth between two stops whose pages are cached (what
  a class moving to the same value costs the server after the first student: the case
  of ``bench_load.py --sessions 100``).

The figure is the server process's CPU (user + system, every thread) over a batch of
moves, divided by the moves, less what the idle server burns in the same wall time; three
batches give the range. The reference is ``benchmarks/bare_page.py`` (the app's γ slider
and one Plotly line, a whole-page rerun), measured the same way in the same run: the
ratio is the figure that survives a noisy machine.

Run: ``.venv/bin/python benchmarks/bench_move.py`` (``--app serve.py``; ``--moves N``).
Target (issue 23): ≤ 10 ms of server CPU per γ move (the rerun with a new value).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from bench_load import cpu_seconds

from harness.st_client import RunResult, StreamlitSession, http_get
from harness.streamlit_server import start_streamlit
from momentum_viz.app.live_map import MAP_KEY
from momentum_viz.app.settings import MOMENTUM_STOPS
from momentum_viz.views.live_map import decode, unpack

PROJECT_ROOT = Path(__file__).resolve().parents[1]

IDLE_SECONDS = 5.0
BATCHES = 3


async def _idle_rate(pid: int) -> float:
    """CPU seconds per second of the idle server (its own threads, the file watchers)."""
    before = cpu_seconds(pid)
    await asyncio.sleep(IDLE_SECONDS)
    return (cpu_seconds(pid) - before) / IDLE_SECONDS


async def _batch(session: StreamlitSession, pid: int, values: list[float], idle: float) -> float:
    """Server CPU per move (s) over the moves to ``values``, idle burn removed."""
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    for value in values:
        run = await session.set_widget("momentum", value)
        if not run.ok:
            raise SystemExit(f"move to {value}: {run.status} {run.exceptions[:1]}")
    await asyncio.sleep(0.2)  # messages still being written count too
    wall = time.perf_counter() - t0
    return (cpu_seconds(pid) - cpu0 - idle * wall) / len(values)


def _alpha_family_url(run: RunResult) -> str | None:
    """The α family's address the run's race map names (serve.py), else None."""
    data = run.component_bytes(MAP_KEY)
    if data is None:
        return None
    race = decode(unpack(data)[0])[0]
    return race["fetch"].get("lr", {}).get("url")


async def _fetches(session: StreamlitSession, pid: int, urls: list[str], idle: float) -> float:
    """Server CPU per α family fetched (s): what the first touch of α after a move costs
    when the page fetches the family (serve.py) instead of each γ move carrying it."""
    distinct = list(dict.fromkeys(urls))
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    for url in distinct:
        status, _, _ = await http_get(session.host, session.port, session.base_path + url)
        if status != 200:
            raise SystemExit(f"α family {url}: HTTP {status}")
    wall = time.perf_counter() - t0
    return (cpu_seconds(pid) - cpu0 - idle * wall) / len(distinct)


async def measure(url: str, pid: int, moves: int) -> dict[str, list[float]]:
    """Per-move CPU of each batch, for new and for seen values."""
    async with StreamlitSession(url, timeout=120, run_timeout=300) as session:
        load = await session.rerun()
        if not load.ok:
            raise SystemExit(f"page load: {load.status} {load.exceptions[:1]}")
        idle = await _idle_rate(pid)
        fresh = [g for g in MOMENTUM_STOPS if 0.1 <= g <= 0.99][::-1]
        seen = [fresh[0], fresh[1]] * (moves // 2)
        await _batch(session, pid, seen[:2], idle)  # the two seen values, computed once
        out: dict[str, list[float]] = {"new values": [], "seen values": []}
        for batch in range(BATCHES):
            chunk = fresh[2 + batch * moves // BATCHES : 2 + (batch + 1) * moves // BATCHES]
            if chunk:
                out["new values"].append(await _batch(session, pid, chunk, idle))
            out["seen values"].append(await _batch(session, pid, seen, idle))
        urls = [url for run in session.runs if (url := _alpha_family_url(run))]
        if urls:  # served by serve.py: the α family is fetched, not carried
            out["α family fetched"] = [await _fetches(session, pid, urls, idle)]
        fragment = session.runs[-1].fragment_ids
        print(f"    (a γ move is a {'fragment' if fragment else 'whole-page'} run; idle server "
              f"{idle * 1e3:.1f} ms CPU per s)")  # fmt: skip
        return out


def _run(script: str, moves: int) -> dict[str, list[float]]:
    with start_streamlit(script=script) as server:
        return asyncio.run(measure(server.url + "/", server.pid, moves))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="app.py", help="the page to measure (project root)")
    parser.add_argument("--moves", type=int, default=24, help="moves per kind of move")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"server CPU per γ move, {os.cpu_count()} CPUs, load {load[0]:.2f} at the start")
    results = {}
    for label, script in (("bare page", "benchmarks/bare_page.py"), (args.app, args.app)):
        print(f"  {label}:")
        results[label] = _run(str(PROJECT_ROOT / script), args.moves)
        for kind, values in results[label].items():
            if values:
                ms = sorted(v * 1e3 for v in values)
                print(f"    {kind}: median {statistics.median(ms):.1f} ms "
                      f"(batches {ms[0]:.1f}–{ms[-1]:.1f} ms)")  # fmt: skip
    bare = statistics.median(results["bare page"]["seen values"])
    for kind, values in results[args.app].items():
        if kind not in ("new values", "seen values"):
            continue
        print(f"  {args.app} / bare page, {kind}: {statistics.median(values) / bare:.1f}×")
    # The target is for the rerun with a new value; a class moving to the same
    # value pays the seen-value figure after its first student.
    if "α family fetched" in results[args.app]:
        print("  (the α family, every α stop at the new γ, is fetched when α is first touched:"
              " not part of a γ move; measured once per new value above)")  # fmt: skip
    for kind in ("new values", "seen values"):
        ms = statistics.median(results[args.app][kind]) * 1e3
        print(f"target ≤ 10 ms per γ move, {kind}: {ms:.1f} ms, {'met' if ms <= 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
