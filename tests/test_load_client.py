"""The load benchmark's protocol client (harness/st_client.py) against a real server.

A tiny throwaway app (written into tmp_path, not the real app) echoes its widgets into an
``st.text``; two concurrent client sessions load it, move the slider to different values
and must read their own value back from the deltas of the rerun; then one session sets
its other widgets (checkbox, select_slider, pills) one by one.  The server runs from the
project root with XSRF and CORS protection explicitly on, as deployed.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _server import start_streamlit

from harness import st_client

TINY_APP = """\
import streamlit as st

gamma = st.slider("Momentum γ", 0.0, 0.999, 0.9, key="momentum")
flag = st.checkbox("Show plain GD", value=True, key="flag")
lr = st.select_slider("α", [0.001, 0.01, 0.1], value=0.01, key="lr", format_func="{:g}".format)
methods = st.pills("Methods", ["sgd", "nesterov"], selection_mode="multi", default=["sgd"], key="m")
st.text(f"gamma={gamma:.3f} flag={flag} lr={lr:g} methods={'+'.join(methods)}")
"""


async def _drive(url: str) -> list[list[str]]:
    client = st_client
    sessions = [client.StreamlitSession(url, timeout=10, run_timeout=15) for _ in range(2)]
    try:
        await asyncio.gather(*(s.connect() for s in sessions))
        for s in sessions:
            assert s.xsrf_token, "the health ping should have set the XSRF cookie"
        loads = await asyncio.gather(*(s.rerun() for s in sessions))
        for run in loads:
            assert run.ok, (run.status, run.exceptions)
            assert run.texts() == ["gamma=0.900 flag=True lr=0.01 methods=sgd"]
        wid, slider = sessions[0].find_widget("momentum")
        assert wid.endswith("-momentum") and list(slider.slider.default) == [0.9]

        moves = await asyncio.gather(
            sessions[0].set_widget("momentum", 0.5), sessions[1].set_widget("momentum", 0.25)
        )
        # One session changes its other widgets; every rerun resends all current values.
        second = sessions[1]
        others = [
            await second.set_widget("flag", False),
            await second.set_widget("lr", 0.08),  # a number: the nearest stop, as dragged
            await second.set_widget("m", ["sgd", "nesterov"]),
            await second.set_widget("momentum", 0.125),
        ]
        for run in [*moves, *others]:
            assert run.ok, (run.status, run.exceptions)
            assert run.latency > 0
        return [run.texts()[0] for run in [*moves, *others]]
    finally:
        await asyncio.gather(*(s.close() for s in sessions))


@pytest.mark.server
def test_client_moves_slider_in_two_sessions(tmp_path: Path) -> None:
    app = tmp_path / "tiny_app.py"
    app.write_text(TINY_APP, encoding="utf-8")
    env = dict(os.environ, HOME=str(tmp_path))  # keep ~/.streamlit out of the test
    xsrf_on = ("--server.enableXsrfProtection=true", "--server.enableCORS=true")
    with start_streamlit(script=str(app), env=env, extra_args=xsrf_on) as server:
        # A fresh thread: Playwright's sync API (browser tests in the same pytest session)
        # keeps an event loop running in the main thread, where asyncio.run would refuse.
        with ThreadPoolExecutor(1) as pool:
            texts = pool.submit(asyncio.run, _drive(server.url + "/")).result(timeout=120)
    assert texts == [
        "gamma=0.500 flag=True lr=0.01 methods=sgd",
        "gamma=0.250 flag=True lr=0.01 methods=sgd",
        "gamma=0.250 flag=False lr=0.01 methods=sgd",
        "gamma=0.250 flag=False lr=0.1 methods=sgd",
        "gamma=0.250 flag=False lr=0.1 methods=sgd+nesterov",
        "gamma=0.125 flag=False lr=0.1 methods=sgd+nesterov",
    ]
