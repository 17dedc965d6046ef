"""Load benchmark: a classroom of Streamlit sessions on one machine, without browsers.

Starts one ``streamlit run app.py`` (project root, free port on 127.0.0.1, file watcher
off; XSRF and CORS protection stay as configured, i.e. on), then drives ``--sessions``
concurrent sessions with the light websocket client in ``harness/st_client.py``,
which speaks Streamlit's own protocol (protobuf ``BackMsg``/``ForwardMsg`` on
``/_stcore/stream``) as the browser does.  Forty real browsers would starve the server
of CPU; forty protocol clients in one asyncio process cost little (they share the two
cores with the server all the same, so the figures are slightly pessimistic).

1. warm-up: one session loads the page, then leaves (first imports and caches; the
   slider is not moved, so the first moved session computes the new value once;
   ``--no-warmup`` skips this);
2. load: all sessions connect (HTTP ping for the XSRF cookie, websocket) and run the
   script at once; the server's RSS is read when all have rendered;
3. move: every session moves the slider (``--widget-key``, ``--value``; a select_slider
   goes to the nearest numeric stop) at once (``--stagger S`` spreads the sessions'
   starts over S seconds in both phases) and times the rerun: from sending the rerun
   ``BackMsg`` to the first ``plotly_chart`` delta and to the ``script_finished`` message
   of that run.  ``--moves N`` moves N times per session (back and forth).

A session fails if it cannot connect, if a run does not finish successfully in time
(``--timeout``: longest gap between two messages, ``--session-timeout``: per phase), if
any exception element arrives, or if the widget is missing.  Exit status 1 if any
session failed (or p95 exceeded ``--max-p95``), 2 on a setup error (app missing, server
not healthy, warm-up failed).  Memory is VmRSS of the server process from /proc; with
``--url`` pass ``--server-pid`` to get it.

Three more modes:

* ``--cold-start`` (same as ``--no-warmup``): no warm-up session, so the sessions are the
  first visitors of the server (a class opening the link together on a new pod);
* ``--formula-flood``: hostile, crashing, slow, distinct and identical formulas, and a
  bystander moving γ while three formulas run into the worker's CPU limit, with targets
  (see ``benchmarks/_formula_flood.py``; run it with ``--app serve.py``);
* ``--flood N``: N sessions with distinct settings (``--flood-batch`` at a time), each
  closed after its page has loaded; RSS is printed as the flood goes and for
  ``--settle`` seconds afterwards, while the closed sessions expire.

``--app serve.py`` runs the server as the Docker image does; ``--server-arg`` adds
``streamlit run`` options (e.g. ``--server-arg=--server.disconnectedSessionTTL=10``); the
environment (e.g. ``MALLOC_ARENA_MAX=2``) is passed on to the server.

Run (from the project root)::

    .venv/bin/python benchmarks/bench_load.py                    # app.py, 40 sessions
    .venv/bin/python benchmarks/bench_load.py --stagger 60       # a class over one minute
    .venv/bin/python benchmarks/bench_load.py --app other.py --sessions 10
    .venv/bin/python benchmarks/bench_load.py --url http://127.0.0.1:8501 --server-pid PID

Target on the project's 2-core machine: all 40 sessions render, p95 slider → chart ≤ 2 s.

Measured on this 2-core machine, 2026-11-26, Streamlit 1.67, 40 sessions moving at once
unless said otherwise.  The machine was shared with other test runs (load average 3 to 14
at the start), so the figures are noisy and on the pessimistic side:

* throwaway app (in /tmp: ``st.slider`` γ 0.9 → 0.5, 200 momentum steps, one ~130 kB
  plotly figure; 0.07-0.09 s server CPU per rerun): all 40 render; slider → chart p95
  2.6-5.1 s (miss); page load p95 2.8-6.4 s; RSS 70 MiB cold, 85 MiB warm, 104 MiB
  with 40 sessions: 0.5 MiB per session.  With ``--stagger 20``: p95 0.33 s (pass).
* app.py as of 11:30 that day (before the figure work; 810 KiB and 0.8 s server CPU per
  rerun): all 40 render, but slider → chart p95 65 s (sessions loading at once).
* app.py as of 12:40 that day (figures built without plotly validation, the animated map
  shared between sessions and serialized once; 595 KiB and 0.13-0.17 s server CPU per
  rerun): 40 at the same instant: all render, slider → script finished p95 5.5 s (MISS).
  The script itself took only ~30 ms of CPU: the rest was Streamlit's full gc.collect(2)
  after every run (runner.postScriptGC), about 100 ms with plotly and pandas loaded.
* app.py at 12:50 that day, with ``runner.postScriptGC = false`` (.streamlit/config.toml):
  - 40 sessions moving at the same instant: all 40 render; slider → chart delta p95
    1.39-1.58 s, → script finished p95 1.39-1.59 s (PASS); 0.036-0.042 s server CPU per
    move; RSS 70 MiB cold, 181 MiB warm, 4.3 MiB per session.
  - ``--stagger 20``: slider → chart delta p95 0.035 s, → script finished p95 0.08 s.

Why simultaneous moves cost so much: the server is one Python process and every script
run is a thread holding the GIL while it builds figures, so the runs share about one
core round-robin and all finish together, after ≈ sessions × CPU per rerun.  The asyncio
loop that sends the messages starves as well: with app.py and ``--timeout 60`` all 40
page loads failed, each having waited over 60 s for its next message.  For p95 ≤ 2 s
with 40 moves at once a rerun may cost ≲ 50 ms of server CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from _formula_flood import run_formula_flood
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.Slider_pb2 import Slider

from harness.st_client import RunResult, StreamlitSession
from harness.streamlit_server import StreamlitServer, start_streamlit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the server --------------------------------------------------------------------------
@dataclass
class RunningServer:
    """A server this benchmark did not start (``--url``): no process, no log."""

    url: str
    pid: int | None
    process: subprocess.Popen[bytes] | None = None

    def log_tail(self, max_chars: int = 3000) -> str:
        return "(server not started by this benchmark)"


def rss_kib(pid: int | None) -> int | None:
    """VmRSS of ``pid`` in KiB (None if unknown)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of ``pid`` (all threads) in seconds."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


# -- the sessions ------------------------------------------------------------------------
@dataclass
class SessionOutcome:
    index: int
    load: RunResult | None = None
    t_connect: float | None = None  # seconds to ping + open the websocket
    moves: list[RunResult] = field(default_factory=list)
    error: str | None = None
    session: StreamlitSession | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def _check(run: RunResult, what: str) -> None:
    if run.exceptions:
        raise RuntimeError(f"{what}: exception element: {run.exceptions[0][:200]}")
    if not run.ok:  # a whole page's run, or a fragment's (a move of α or γ)
        raise RuntimeError(f"{what}: script finished with {run.status or 'nothing'}")


async def load_session(out: SessionOutcome, args: argparse.Namespace, delay: float) -> None:
    await asyncio.sleep(delay)
    s = StreamlitSession(args.url, timeout=args.timeout, run_timeout=args.session_timeout)
    out.session = s
    try:
        async with asyncio.timeout(args.session_timeout):
            t0 = time.perf_counter()
            await s.connect()
            out.t_connect = time.perf_counter() - t0
            out.load = await s.rerun()
            _check(out.load, "page load")
            s.find_widget(args.widget_key)
    except Exception as exc:  # one failing session must not stop the others
        out.error = f"load: {type(exc).__name__}: {exc}"[:300]


def _initial_value(el: Element, fallback: object) -> object:
    """The slider's value before the first move (odd moves go back to it)."""
    if el.WhichOneof("type") != "slider" or not el.slider.default:
        return fallback
    if el.slider.type == Slider.SELECT_SLIDER:
        return el.slider.options[int(el.slider.default[0])]
    return el.slider.default[0]


def _number_or_label(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


async def move_slider(out: SessionOutcome, args: argparse.Namespace, delay: float) -> None:
    assert out.session is not None
    await asyncio.sleep(delay)
    try:
        async with asyncio.timeout(args.session_timeout):
            _, el = out.session.find_widget(args.widget_key)
            back = _initial_value(el, args.value)
            for i in range(args.moves):
                value = args.value if i % 2 == 0 else back
                run = await out.session.set_widget(args.widget_key, value)
                out.moves.append(run)
                _check(run, f"move {i + 1}")
    except Exception as exc:
        out.error = f"move: {type(exc).__name__}: {exc}"[:300]


async def close_all(outcomes: list[SessionOutcome]) -> None:
    async def _close(out: SessionOutcome) -> None:
        if out.session is not None:
            try:
                await asyncio.wait_for(out.session.close(), 5)
            except Exception:
                pass

    await asyncio.gather(*(_close(o) for o in outcomes))


@dataclass
class Report:
    outcomes: list[SessionOutcome]
    rss: dict[str, int | None]
    cpu: dict[str, float | None]
    wall_load: float
    wall_move: float
    wall_sessions: float
    warmup: RunResult | None = None


async def run_benchmark(args: argparse.Namespace, pid: int | None) -> Report:
    rss: dict[str, int | None] = {"cold": rss_kib(pid)}
    cpu: dict[str, float | None] = {"cold": cpu_seconds(pid)}
    warmup = None
    if args.warmup:
        async with StreamlitSession(
            args.url, timeout=args.timeout, run_timeout=args.session_timeout
        ) as s:
            warmup = await s.rerun()
            _check(warmup, "warm-up load")
            s.find_widget(args.widget_key)
        await asyncio.sleep(1.0)  # let the server drop the session
    rss["warm"], cpu["warm"] = rss_kib(pid), cpu_seconds(pid)

    n = args.sessions
    outcomes = [SessionOutcome(i) for i in range(n)]
    spread = [args.stagger * i / n for i in range(n)]
    t0 = time.perf_counter()
    try:
        await asyncio.gather(
            *(load_session(o, args, d) for o, d in zip(outcomes, spread, strict=True))
        )
        t1 = time.perf_counter()
        await asyncio.sleep(0.5)
        rss["loaded"], cpu["loaded"] = rss_kib(pid), cpu_seconds(pid)
        loaded = [o for o in outcomes if o.ok]
        t2 = time.perf_counter()
        await asyncio.gather(
            *(move_slider(o, args, d) for o, d in zip(loaded, spread, strict=False))
        )
        t3 = time.perf_counter()
        rss["moved"], cpu["moved"] = rss_kib(pid), cpu_seconds(pid)
    finally:
        await close_all(outcomes)
    return Report(outcomes, rss, cpu, t1 - t0, t3 - t2, t3 - t0, warmup)


# -- flood: many distinct settings, sessions closed ---------------------------------------
async def _visit(args: argparse.Namespace, query: str) -> str | None:
    """One session loads the page with this query string, then leaves; an error or None."""
    s = StreamlitSession(
        args.url, timeout=args.timeout, run_timeout=args.session_timeout, query_string=query
    )
    try:
        async with s:
            _check(await s.rerun(), "page load")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


async def run_flood(args: argparse.Namespace, pid: int | None) -> bool:
    """``--flood N``: N sessions, each with its own settings (seed i, gradient noise on, so
    every one computes new runs and a new race map), ``--flood-batch`` at a time, each
    closed after its page has loaded. RSS is printed before, after each tenth of the
    flood, and while the closed sessions expire (``--settle`` seconds, which should exceed
    the server's ``server.disconnectedSessionTTL``, 120 s by default)."""
    n, batch = args.flood, args.flood_batch
    print(f"Flood: {n} distinct-setting sessions, {batch} at a time, each closed after loading")
    print(f"  RSS cold                         {_mib(rss_kib(pid))}")
    errors: list[str] = []
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        queries = [f"noise=0.1&seed={i}" for i in range(start, min(start + batch, n))]
        results = await asyncio.gather(*(_visit(args, q) for q in queries))
        errors += [r for r in results if r]
        done = start + len(queries)
        if done % max(batch, n // 10) == 0 or done == n:
            print(f"  RSS after {done:4d} sessions        {_mib(rss_kib(pid))}")
    print(f"  flood wall time                  {time.perf_counter() - t0:7.1f} s")
    peak = rss_kib(pid)
    t1 = time.perf_counter()
    while (elapsed := time.perf_counter() - t1) < args.settle:
        await asyncio.sleep(min(30.0, args.settle - elapsed))
        print(f"  RSS {time.perf_counter() - t1:5.0f} s after the flood    {_mib(rss_kib(pid))}")
    print(f"  sessions failed                  {len(errors)} / {n}")
    for err in sorted(set(errors))[:3]:
        print(f"  FAILED: {err}")
    print(f"  RSS at the end of the flood / after settling: {_mib(peak)} / {_mib(rss_kib(pid))}")
    return not errors


# -- the report --------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]) of a non-empty list."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _dist(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"p50 {percentile(values, 50):6.3f} s   p95 {percentile(values, 95):6.3f} s   "
        f"max {max(values):6.3f} s   (n={len(values)})"
    )


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:7.1f} MiB"


def print_report(args: argparse.Namespace, report: Report, wall_total: float) -> bool:
    """Print the table; return True when the benchmark passes."""
    outs = report.outcomes
    n, ok = len(outs), sum(o.ok for o in outs)
    loads = [o.load.latency for o in outs if o.load and o.load.t_finished]
    connects = [o.t_connect for o in outs if o.t_connect is not None]
    moves = [m for o in outs for m in o.moves if m.t_finished is not None]
    finished = [m.latency for m in moves]
    charts = [c for m in moves if (c := m.chart_latency) is not None]
    rss, cpu = report.rss, report.cpu
    rows: list[tuple[str, str]] = [
        ("app", f"{args.app_label}  ({args.url})"),
        ("machine: CPUs, load average 1/5/15 min at start", f"{os.cpu_count()}, {args.loadavg}"),
        ("sessions rendered without error", f"{ok} / {n}"),
        ("connect (HTTP ping + websocket)", _dist(connects)),
        ("page load (rerun → script_finished)", _dist(loads)),
        (f"slider '{args.widget_key}' → plotly_chart delta", _dist(charts)),
        (f"slider '{args.widget_key}' → script_finished", _dist(finished)),
        ("wall time: all sessions load", f"{report.wall_load:6.2f} s"),
        ("wall time: all sessions move", f"{report.wall_move:6.2f} s"),
        ("wall time: sessions (load + move)", f"{report.wall_sessions:6.2f} s"),
        ("wall time: whole benchmark", f"{wall_total:6.2f} s"),
        ("server RSS: cold / after warm-up", f"{_mib(rss['cold'])} / {_mib(rss['warm'])}"),
        ("server RSS: all loaded / after moves", f"{_mib(rss['loaded'])} / {_mib(rss['moved'])}"),
    ]
    if rss["loaded"] is not None and rss["warm"] is not None and ok:
        per = (rss["loaded"] - rss["warm"]) / ok
        rows.append(("server RSS per session (loaded − warm)/n", _mib(round(per))))
    if rss["loaded"] is not None and rss["cold"] is not None and ok:
        per_cold = (rss["loaded"] - rss["cold"]) / ok
        rows.append(("server RSS per session (loaded − cold)/n", _mib(round(per_cold))))
    if cpu["moved"] is not None and cpu["loaded"] is not None and moves:
        rows.append(
            ("server CPU per slider move", f"{(cpu['moved'] - cpu['loaded']) / len(moves):.3f} s")
        )
    rows.append(("client CPU (this process, all sessions)", f"{time.process_time():.2f} s"))
    if moves:
        size = sum(m.n_bytes for m in moves) / len(moves)
        rows.append(("bytes sent per slider move", f"{size / 1024:.1f} KiB"))
    warnings = sorted({w for o in outs for r in [o.load, *o.moves] if r for w in r.warnings})
    width = max(len(k) for k, _ in rows)
    title = f"Load benchmark: {n} sessions, slider '{args.widget_key}' → {args.value}"
    print(title)
    print("=" * max(len(title), width + 40))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    errors = sorted({o.error for o in outs if o.error})
    for err in errors[:5]:
        print(f"FAILED ({sum(o.error == err for o in outs)}x): {err}")
    for warning in warnings[:3]:
        print(f"warning element: {warning[:200]}")
    p95 = percentile(finished, 95) if finished else math.inf
    passed = ok == n
    verdict = "PASS" if passed and p95 <= args.target_p95 else "MISS"
    print(
        f"target (all {n} render, p95 slider → script_finished ≤ {args.target_p95:g} s): {verdict}"
    )
    if args.max_p95 is not None and p95 > args.max_p95:
        print(f"p95 {p95:.3f} s exceeds --max-p95 {args.max_p95:g} s")
        passed = False
    return passed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", default="app.py", help="script to serve (relative to project root)")
    p.add_argument("--url", help="use this running server instead of starting one")
    p.add_argument("--server-pid", type=int, help="with --url: server pid, for RSS/CPU")
    p.add_argument("--sessions", type=int, default=40)
    p.add_argument("--widget-key", default="momentum", help="user key of the slider to move")
    p.add_argument(
        "--value",
        type=_number_or_label,
        default=0.5,
        help="new value (a select_slider takes the nearest numeric option, or a label)",
    )
    p.add_argument("--moves", type=int, default=1, help="slider moves per session")
    p.add_argument("--stagger", type=float, default=0.0, help="spread starts over S seconds")
    p.add_argument("--timeout", type=float, default=120.0, help="max gap between messages (s)")
    p.add_argument("--session-timeout", type=float, default=300.0, help="per-phase timeout (s)")
    p.add_argument("--startup-timeout", type=float, default=60.0)
    p.add_argument("--no-warmup", dest="warmup", action="store_false")
    p.add_argument(
        "--cold-start",
        action="store_true",
        help="no warm-up session: the sessions are the server's first visitors (with a "
        "server this benchmark starts, nothing has run before them)",
    )
    p.add_argument("--flood", type=int, default=0, help="flood mode: N distinct-setting sessions")
    p.add_argument(
        "--formula-flood", action="store_true", help="formula flood mode (see _formula_flood.py)"
    )
    p.add_argument("--flood-batch", type=int, default=10, help="flood: sessions at a time")
    p.add_argument("--settle", type=float, default=150.0, help="flood: seconds to watch RSS after")
    p.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra `streamlit run` option for the server this benchmark starts (repeatable)",
    )
    p.add_argument("--target-p95", type=float, default=2.0, help="target shown in the verdict")
    p.add_argument("--max-p95", type=float, help="also exit 1 if p95 exceeds this (s)")
    args = p.parse_args(argv)
    if args.cold_start:
        args.warmup = False
    if args.sessions < 1 or args.moves < 1:
        p.error("--sessions and --moves must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    args.loadavg = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    with ExitStack() as stack:
        server: RunningServer | StreamlitServer
        if args.url:
            server = RunningServer(args.url, args.server_pid)
            args.app_label = "(running server)"
        else:
            app = (PROJECT_ROOT / args.app).resolve()
            if not app.is_file():
                print(f"error: {app} does not exist (use --app or --url)", file=sys.stderr)
                return 2
            args.app_label = str(
                app.relative_to(PROJECT_ROOT) if app.is_relative_to(PROJECT_ROOT) else app
            )
            try:
                server = stack.enter_context(
                    start_streamlit(
                        script=str(app), extra_args=args.server_arg, timeout=args.startup_timeout
                    )
                )
            except RuntimeError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            args.url = server.url + "/"
        if args.flood:
            return 0 if asyncio.run(run_flood(args, server.pid)) else 1
        if args.formula_flood:
            return 0 if asyncio.run(run_formula_flood(args, server.pid)) else 1
        try:
            report = asyncio.run(run_benchmark(args, server.pid))
        except Exception as exc:  # the warm-up failed: nothing to measure
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            print(f"server output (tail):\n{server.log_tail()}", file=sys.stderr)
            return 2
        server_alive = server.process is None or server.process.poll() is None
        passed = print_report(args, report, time.perf_counter() - t_start)
        if not server_alive:
            print("the server process died during the benchmark")
            passed = False
        if not passed:
            print(f"server output (tail):\n{server.log_tail()}")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
