"""A formula typed by anyone, against ``streamlit run serve.py`` (the Docker command).

Each formula that once hung SymPy, crashed the page or cost seconds of the server's CPU
opens as a link and must give a finished page with no exception (and a note when it is
refused); afterwards no formula worker may still be computing, and when the server stops
none is left. On a fresh server, 20 sessions opening the same benign formula at once must
all be given it (the build is shared, and its limit is CPU time, not the wall clock).
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _server import StreamlitServer, start_streamlit

from harness import st_client as client
from momentum_viz.app.settings import IGNORED_LINK, MAX_LINK_CHARS

pytestmark = pytest.mark.server

BENIGN = "sin(x)*cos(y)*exp(-(x**2+y**2)/8)+0.05*(x**2+y**2)"
# (formula, view, refused?): the formulas that hung, crashed or were slow, and map tabs.
HOSTILE = [
    ("sqrt(sin(exp(exp(exp(3)))))+x**2", "race", True),
    ("sin(exp(999999))+x", "race", True),
    ("x*sinh(exp(999999))", "race", True),
    ("x+sinh(exp((pi**3-sin(2))**10))", "race", True),
    ("abs(log(x))", "race", False),
    ("abs(sqrt(x))", "race", False),
    ("1e6**3+x**2+y**2", "race", False),
    ("1e6**3+x**2+y**2", "basin-map", False),
    ("sin(cos(sinh(cosh(tanh((x-tan(y**2.5*e**2)**-2)**2)))))", "race", True),
    ("abs(log(x))", "parameter-map", False),
]


def _link(expr: str, view: str = "race") -> str:
    return urllib.parse.urlencode({"surface": "custom", "expr": expr, "view": view})


def _alerts(run: object) -> list[str]:
    bodies = []
    for _, el in sorted(run.elements.items()):  # type: ignore[attr-defined]
        if el.WhichOneof("type") == "alert":
            bodies.append(el.alert.body)
    return bodies


async def _open(url: str, query: str) -> tuple[object, float]:
    """One session opens the link; returns its last finished run and the seconds taken
    (a run that ends by rerunning, as a refusal after drawing does, is followed)."""
    start = time.perf_counter()
    async with client.StreamlitSession(url, timeout=60, run_timeout=120, query_string=query) as s:
        run = await s.rerun()
        while run.status != "FINISHED_SUCCESSFULLY" and not run.exceptions:
            run = client.RunResult(t_sent=time.perf_counter())
            await asyncio.wait_for(s._collect(run), 120)
        return run, time.perf_counter() - start


def _in_thread(coroutine: object, timeout: float = 600) -> object:
    # A fresh thread: Playwright's sync API may hold an event loop in the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)


def _workers(server: StreamlitServer) -> dict[int, float]:
    """The server's formula workers: pid -> CPU seconds so far."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == server.process.pid and b"surfaces.formula_worker" in cmdline:
            found[int(entry.name)] = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return found


async def _websocket_refused(url: str, origin: str) -> bool:
    import websockets

    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(
            stream, origin=websockets.Origin(origin), subprotocols=["streamlit"], open_timeout=30
        ):
            return False
    except websockets.InvalidStatus:
        return True


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, HOME=str(tmp_path))


def test_hostile_formulas_give_pages_with_notes_and_leave_no_worker(tmp_path: Path) -> None:
    with start_streamlit(script="serve.py", env=_env(tmp_path)) as server:
        url = server.url + "/"
        seen: set[int] = set()
        for expr, view, refused in HOSTILE:
            run, _ = _in_thread(_open(url, _link(expr, view)))
            assert run.status == "FINISHED_SUCCESSFULLY", (expr, run.status)
            assert not run.exceptions, (expr, run.exceptions, server.log_tail())
            notes = [a for a in _alerts(run) if "is refused" in a]
            assert bool(notes) == refused, (expr, _alerts(run))
            seen |= set(_workers(server))
        workers = _workers(server)
        assert seen, "the formulas were built in worker processes"
        workers = _workers(server)
        time.sleep(2.0)
        busy = {pid: cpu for pid, cpu in _workers(server).items() if cpu - workers[pid] > 0.2}
        assert not busy, f"workers still computing: {busy}"
        # A link longer than the limit is redirected to a note, not reset by a proxy.
        long_link = "a=" + "1" * (MAX_LINK_CHARS - 1)
        with urllib.request.urlopen(f"{url}?{long_link}", timeout=30) as page:
            assert page.url.endswith(f"/?{IGNORED_LINK}=1")
        with urllib.request.urlopen(f"{url}?{long_link[:-2]}", timeout=30) as page:
            assert IGNORED_LINK not in page.url
        # Another site's page may not open a session, and refusing it costs no lookup of
        # this machine's public address (Streamlit's own check makes one, and logs it).
        for _ in range(3):
            assert _in_thread(_websocket_refused(server.url, "http://evil.example"))
        assert not _in_thread(_websocket_refused(server.url, server.url))
        assert "external IP" not in server.log_tail(20_000)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in seen) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in seen if Path(f"/proc/{pid}").exists()]
    assert not left, f"workers left running after the server stopped: {left}"


def test_a_class_opening_one_formula_at_once_is_given_it(tmp_path: Path) -> None:
    async def crowd(url: str) -> list[object]:
        opens = [_open(url, _link(BENIGN)) for _ in range(20)]
        return await asyncio.gather(*opens, return_exceptions=True)

    with start_streamlit(script="serve.py", env=_env(tmp_path)) as server:
        results = _in_thread(crowd(server.url + "/"))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:2]
    for run, _ in results:
        assert run.ok, (run.status, run.exceptions)
        assert not [a for a in _alerts(run) if "refused" in a], _alerts(run)
