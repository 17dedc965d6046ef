"""The formula flood of ``bench_load.py --formula-flood``: what typed formulas cost a server.

Against one server (``--app serve.py`` as deployed), with the websocket client:

1. hostile pages: each formula that once hung SymPy, crashed the page or cost seconds of
   CPU (and two on the map tabs) is opened alone; each page's time to a finished run,
   target ≤ 5 s;
2. distinct and identical formulas: 10 different benign formulas opened at once, then
   20 sessions opening one benign formula at once (a class following one link): every
   page must finish, and the identical ones must all be accepted;
3. a bystander: a session on the default page moves γ while three sessions open three
   different formulas that run into the worker's CPU limit; target ≤ 1.5 s per move;
4. afterwards: the CPU the server and its workers burn over 5 s, starting 10 s after
   those sessions closed (target < 0.2 core), and the resident memory of the worker pool.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import urllib.parse
from pathlib import Path

from harness.st_client import StreamlitSession

_CLK_TCK = os.sysconf("SC_CLK_TCK")

HOSTILE = [
    ("sqrt(sin(exp(exp(exp(3)))))+x**2", "race"),
    ("sin(exp(999999))+x", "race"),
    ("x*sinh(exp(999999))", "race"),
    ("x+sinh(exp((pi**3-sin(2))**10))", "race"),
    ("abs(log(x))", "race"),
    ("abs(sqrt(x))", "race"),
    ("1e6**3+x**2+y**2", "race"),
    ("sin(cos(sinh(cosh(tanh((x-tan(y**2.5*e**2)**-2)**2)))))", "race"),
    ("sin(x)*cos(y)*exp(-(x**2+y**2)/8)+0.05*(x**2+y**2)", "basin-map"),
    ("abs(log(x))+y**2", "parameter-map"),
]
BENIGN = "sin(x)*cos(y)*exp(-(x**2+y**2)/8)+0.05*(x**2+y**2)"
# Three different formulas that each run into the worker's CPU limit (distinct texts,
# and not the one of phase 1: no shared build, no remembered refusal).
HANGING = [f"sin(cos(sinh(cosh(tanh((x-tan(y**2.5*e**{k})**-2)**2)))))" for k in (3, 4, 5)]
TARGET_PAGE = 5.0
TARGET_MOVE = 1.5
TARGET_IDLE_CORES = 0.2


def _link(expr: str, view: str = "race") -> str:
    return urllib.parse.urlencode({"surface": "custom", "expr": expr, "view": view})


def _family(pid: int) -> list[int]:
    """``pid`` and its children (the formula workers)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                pids.append(int(entry.name))
    return pids


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _CLK_TCK
    return total


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def _page(url: str, query: str) -> tuple[float, str, list[str]]:
    """Open a page; (seconds to its finished run, status, alert texts)."""
    t0 = time.perf_counter()
    try:
        async with StreamlitSession(url, timeout=120, run_timeout=180, query_string=query) as s:
            run = await s.rerun()
            alerts = [el.alert.body for el in run.elements.values() if el.HasField("alert")]
            status = "exception" if run.exceptions else run.status
    except Exception as exc:  # reported, not raised: the flood goes on
        return time.perf_counter() - t0, f"{type(exc).__name__}", []
    return time.perf_counter() - t0, status, alerts


async def _hostile_pages(url: str) -> bool:
    print(f"1. hostile pages, one at a time (target <= {TARGET_PAGE:g} s each)")
    ok = True
    for expr, view in HOSTILE:
        seconds, status, alerts = await _page(url, _link(expr, view))
        refused = any("refused" in a for a in alerts)
        good = status == "FINISHED_SUCCESSFULLY" and seconds <= TARGET_PAGE
        ok &= good
        verdict = "ok" if good else "MISS"
        print(f"   {seconds:5.2f} s  {verdict:4s} {'refused ' if refused else 'accepted'}  "
              f"{view:13s} {expr}")  # fmt: skip
    return ok


def _pool_memory(pid: int) -> str:
    workers = _family(pid)[1:]
    return f"{len(workers)} worker(s), {sum(_rss_mib(w) for w in workers):.0f} MiB RSS in all"


async def _crowds(url: str, pid: int) -> bool:
    distinct = [f"x**2 + {k}*y**2 + sin({k}*x)" for k in range(1, 11)]
    t0 = time.perf_counter()
    pages = await asyncio.gather(*(_page(url, _link(e)) for e in distinct))
    finished = sum(p[1] == "FINISHED_SUCCESSFULLY" for p in pages)
    slowest = max(p[0] for p in pages)
    print(f"2. 10 distinct formulas at once: {finished}/10 finished, slowest {slowest:.2f} s, "
          f"all in {time.perf_counter() - t0:.2f} s")  # fmt: skip
    pages = await asyncio.gather(*(_page(url, _link(BENIGN)) for _ in range(20)))
    accepted = sum(p[1] == "FINISHED_SUCCESSFULLY" and not p[2] for p in pages)
    slowest = max(p[0] for p in pages)
    print(f"   20 sessions, one formula at once: {accepted}/20 accepted, slowest {slowest:.2f} s")
    print(f"   the worker pool now: {_pool_memory(pid)}; server RSS {_rss_mib(pid):.0f} MiB")
    return finished == 10 and accepted == 20


async def _bystander(url: str, pid: int) -> bool:
    print(f"3. a bystander moves γ while 3 hanging formulas open (target <= {TARGET_MOVE:g} s)")
    async with StreamlitSession(url, timeout=120, run_timeout=180) as bystander:
        await bystander.rerun()
        hanging = [asyncio.create_task(_page(url, _link(e))) for e in HANGING]
        await asyncio.sleep(1.0)  # their builds are under way
        moves = []
        for value in (0.5, 0.8, 0.6, 0.9):
            run = await bystander.set_widget("momentum", value)
            moves.append(run.latency)
        pages = await asyncio.gather(*hanging)
    worst = max(moves)
    print(f"   γ moves: {', '.join(f'{m:.2f}' for m in moves)} s; worst {worst:.2f} s "
          f"({'ok' if worst <= TARGET_MOVE else 'MISS'})")  # fmt: skip
    for (seconds, status, alerts), expr in zip(pages, HANGING, strict=True):
        refused = any("refused" in a for a in alerts)
        print(f"   hanging page {seconds:5.2f} s {status} {'refused' if refused else 'accepted'}"
              f"  {expr}")  # fmt: skip
    await asyncio.sleep(10.0)
    family = _family(pid)
    before = _cpu(family)
    await asyncio.sleep(5.0)
    cores = (_cpu(family) - before) / 5.0
    workers = family[1:]
    memory = sum(_rss_mib(w) for w in workers)
    print(f"4. 10 s after they closed: the server and its {len(workers)} worker(s) use "
          f"{cores:.3f} core ({'ok' if cores < TARGET_IDLE_CORES else 'MISS'}, target "
          f"< {TARGET_IDLE_CORES:g}); worker pool RSS {memory:.0f} MiB; server RSS "
          f"{_rss_mib(pid):.0f} MiB")  # fmt: skip
    return worst <= TARGET_MOVE and cores < TARGET_IDLE_CORES


async def run_formula_flood(args: argparse.Namespace, pid: int | None) -> bool:
    """All four phases against ``args.url``; True if every target was met."""
    if pid is None:
        raise SystemExit("--formula-flood needs the server's pid (start it here, or --server-pid)")
    print(f"Formula flood against {args.url} (load average {args.loadavg})")
    ok = await _hostile_pages(args.url)
    ok &= await _crowds(args.url, pid)
    ok &= await _bystander(args.url, pid)
    print("verdict:", "all targets met" if ok else "MISSED a target")
    return ok
