"""The server a class meets: a cold start under a crowd, readiness and HTTP headers.

Two servers, each started cold and hit by 20 sessions at once with no warm-up session
(the websocket client of harness/st_client.py speaks the browser's protocol):

* ``streamlit run app.py``: the plain page must survive its first imports racing between
  script threads (it did: plotly's lazy ``import pandas`` failed 36 of 40 sessions);
* ``streamlit run serve.py`` (the Docker command): warmed up before it listens; its
  readiness route, headers, hidden metrics and oversized-link redirect.
"""

from __future__ import annotations

import asyncio
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _server import StreamlitServer, http_get, start_streamlit

from harness import st_client
from momentum_viz.app.server import HEADERS
from momentum_viz.app.settings import IGNORED_LINK

pytestmark = pytest.mark.server
CROWD = 20
SCRIPT_HEALTH = "/_stcore/script-health-check"  # the readiness probe (config.toml)


async def _crowd(url: str, n: int) -> list[object]:
    client = st_client

    async def visit() -> object:
        async with client.StreamlitSession(url, timeout=60, run_timeout=120) as session:
            return await session.rerun()

    return await asyncio.gather(*(visit() for _ in range(n)), return_exceptions=True)


def _first_visitors(server: StreamlitServer) -> None:
    """CROWD sessions load the page at the same moment; every one renders in full."""
    # A fresh thread: Playwright's sync API may hold an event loop in the main thread.
    with ThreadPoolExecutor(1) as pool:
        runs = pool.submit(asyncio.run, _crowd(server.url + "/", CROWD)).result(timeout=240)
    failures = [r if isinstance(r, BaseException) else r.exceptions for r in runs]
    failures = [f for f in failures if f]
    assert not failures, f"{len(failures)}/{CROWD} failed: {failures[:2]}\n{server.log_tail()}"
    for run in runs:
        kinds = [el.WhichOneof("type") for el in run.elements.values()]
        assert run.status == "FINISHED_SUCCESSFULLY"
        # The live map (its code, two carriers and the map), the sidebar's class panel, the page's
        # key map (present keys), the loss curves, the outcome table.
        assert kinds.count("bidi_component") == 6 and kinds.count("plotly_chart") == 1, kinds
        assert "table" in kinds, kinds


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, HOME=str(tmp_path))  # keep ~/.streamlit out of the test


def test_cold_app_serves_a_crowd_of_first_visitors(tmp_path: Path) -> None:
    with start_streamlit(script="app.py", env=_env(tmp_path)) as server:
        _first_visitors(server)


def test_served_app_is_ready_warm_and_sends_headers(tmp_path: Path) -> None:
    with start_streamlit(script="serve.py", env=_env(tmp_path)) as server:
        # The readiness probe runs app.py in a throwaway session.
        assert http_get(server.url + SCRIPT_HEALTH, timeout=60) == (200, "ok")
        _first_visitors(server)
        with urllib.request.urlopen(server.url + "/", timeout=10) as page:
            for name, value in HEADERS.items():
                assert page.headers[name] == value, name
        assert http_get(server.url + "/_stcore/metrics")[0] == 404
        too_many = "&".join(f"p{i}=1" for i in range(1001))
        with urllib.request.urlopen(f"{server.url}/?{too_many}", timeout=10) as page:
            assert page.url.endswith(f"/?{IGNORED_LINK}=1")


def test_readiness_fails_when_the_script_fails(tmp_path: Path) -> None:
    # The probe must be able to say no: a script that raises answers 503.
    (tmp_path / ".streamlit").mkdir()
    config = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    (tmp_path / ".streamlit" / "config.toml").write_text(config.read_text())
    (tmp_path / "broken.py").write_text("import streamlit as st\nst.title('x')\n1 / 0\n")
    with start_streamlit(script="broken.py", cwd=tmp_path, env=_env(tmp_path)) as server:
        assert http_get(server.url + SCRIPT_HEALTH, timeout=60) == (503, "error")
