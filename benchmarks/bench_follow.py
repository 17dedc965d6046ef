"""Follow the lecturer, timed: a lecturer drags γ; how soon do 100 followers have it?

One ``serve.py`` (in-process broker): a lecturer and 3 followers in Chromium, and the
other followers as light event-stream clients (asyncio, one connection each). The lecturer's
γ thumb is dragged across ``--ticks`` stops, one every ``--interval`` seconds. For each stop:

* drag tick → follower's map: from the lecturer's map announcing the stop ("mv-map-event",
  Date.now() in its page) to a Chromium follower's map drawing it (its canvas's data-shown,
  Date.now() in the follower's page; one machine, one clock);
* drag tick → event received: from the same instant to each light client reading the state
  (time.time() in this process).

``--light``: no Chromium at all (for a shared machine): the lecturer is this process, which
POSTs each drag state itself (drag tick = just before the POST), and every follower is a
light client; it times the server's relay alone.

``--redis`` runs it again with two ``serve.py`` processes sharing a ``redis-server`` (started
here on a free port): the lecturer on one, every follower on the other.

    .venv/bin/python benchmarks/bench_follow.py [--followers 100] [--ticks 15] [--redis] [--light]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

from harness.streamlit_server import (
    chromium,
    chromium_path,
    free_port,
    machine_summary,
    start_streamlit,
)

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP = "canvas.mv-map"
# In the lecturer's page: when the map announced each stop. In a follower's: when its
# map first drew each stop (data-shown), found through the open shadow roots.
LEAD_PROBE = """() => { window.__ticks = {};
  window.addEventListener("mv-map-event", (e) => {
    if (e.detail.kind === "slider") window.__ticks[e.detail.value] ??= Date.now(); }); }"""
FOLLOW_PROBE = """() => { window.__shown = {};
  const find = () => { for (const el of document.querySelectorAll("*")) {
      const c = el.shadowRoot?.querySelector("canvas.mv-map"); if (c) return c; } };
  const watch = () => { const canvas = find(); if (!canvas) return setTimeout(watch, 100);
    new MutationObserver(() => { const m = /momentum=([^;]+)/.exec(canvas.dataset.shown);
      if (m) window.__shown[Number(m[1])] ??= Date.now(); })
      .observe(canvas, { attributes: true, attributeFilter: ["data-shown"] }); };
  watch(); }"""


DRAG_VALUE = re.compile(rb'"drag":\{"param":"momentum","value":([-0-9.e]+)\}')


class LightFollowers:
    """``count`` event-stream clients in a thread of their own; ``received[n][γ]`` is when
    client n first read a drag to γ (ms since the epoch)."""

    def __init__(self, base: str, code: str, count: int) -> None:
        self.base, self.code, self.count = base, code, count
        self.received: list[dict[float, float]] = [{} for _ in range(count)]
        self.connected = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _client(self, n: int) -> None:
        parts = urlsplit(self.base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(
            f"GET /api/classes/{self.code}/events HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        self.connected += 1
        # Timed as each chunk arrives, before any parsing: 97 clients share this thread, so
        # per-line parsing here would be counted as the server's delay.
        received, pending = self.received[n], b""
        while chunk := await reader.read(65536):
            at = time.time() * 1000
            pending += chunk
            *events, pending = pending.split(b"\n\n")
            for value in DRAG_VALUE.findall(b"\n".join(events)):
                received.setdefault(float(value), at)

    def start(self) -> None:
        self.thread.start()
        self.futures = [
            asyncio.run_coroutine_threadsafe(self._client(n), self.loop) for n in range(self.count)
        ]
        deadline = time.monotonic() + 60
        while self.connected < self.count and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        for future in self.futures:
            future.cancel()
        time.sleep(0.5)  # the cancellations run before the loop stops
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def _received_latencies(light, sent: dict) -> list[float]:
    """Seconds from each drag tick sent to its event received, over every light client."""
    return [
        at - sent[value]
        for client in light.received
        for value, at in client.items()
        if value in sent
    ]


@contextmanager
def redis_server():
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(IDLE, state="attached", timeout=120_000)
    page.locator(f"{MAP}[data-draws]").first.wait_for(timeout=120_000)


def run(browser, lead_url: str, follow_url: str, followers: int, ticks: int, interval: float):
    lecturer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _open(lecturer, lead_url + "/?surface=multiwell")
    lecturer.locator(".st-key-class_box summary").click(timeout=60_000)  # the class panel
    lecturer.locator(".fl-start").click(timeout=60_000)
    code = lecturer.locator(".mv-class-code b").inner_text(timeout=60_000)
    pages = []
    for _ in range(3):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _open(page, f"{follow_url}/?follow={code}")
        page.locator('.fl-banner[data-connection="open"]').wait_for(timeout=60_000)
        page.evaluate(FOLLOW_PROBE)
        pages.append(page)
    light = LightFollowers(follow_url, code, followers - 3)
    light.start()
    lecturer.evaluate(LEAD_PROBE)
    time.sleep(2)
    thumb = lecturer.locator(
        '[data-testid="stSidebar"] .st-key-momentum [data-testid="stSliderThumbValue"]'
    )
    box = thumb.locator("..").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    lecturer.mouse.move(x, y)
    lecturer.mouse.down()
    for i in range(1, ticks + 1):
        lecturer.mouse.move(x - 8 * i, y)
        time.sleep(interval)
    time.sleep(2)
    lecturer.mouse.up()
    sent = {float(k): v for k, v in lecturer.evaluate("() => window.__ticks").items()}
    to_maps = [
        shown - sent[value]
        for page in pages
        for value, shown in (
            (float(k), v) for k, v in page.evaluate("() => window.__shown").items()
        )
        if value in sent
    ]
    to_events = _received_latencies(light, sent)
    light.stop()
    for context in [lecturer.context, *(p.context for p in pages)]:
        context.close()
    return len(sent), to_maps, to_events, light.connected


def _request(base: str, path: str, body: object = None, lead: str = "") -> tuple[int, str]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"content-type": "application/json", "authorization": f"Bearer {lead}"}
    try:
        connection.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run_light(
    lead_url: str, follow_url: str, followers: int, ticks: int, interval: float, pids: list[int]
):
    """The relay alone: this process leads (POSTs drag states), all followers are light.
    Also prints the servers' CPU per state, against the same time idle (the reference)."""
    from momentum_viz.app.settings import MOMENTUM_STOPS

    status, body = _request(lead_url, "/api/classes")
    assert status == 201, body
    created = json.loads(body)
    code, lead = created["code"], created["lead"]
    view = {"surface": "rosenbrock", "lr": "0.002", "momentum": "0.9"}
    assert _request(lead_url, f"/api/classes/{code}/state", {"view": view}, lead)[0] == 204
    light = LightFollowers(follow_url, code, followers)
    light.start()
    time.sleep(2)
    idle_start = _cpu_seconds(pids)
    time.sleep(ticks * interval)
    idle = _cpu_seconds(pids) - idle_start
    busy_start = _cpu_seconds(pids)
    sent: dict[float, float] = {}
    for value in list(MOMENTUM_STOPS)[:ticks]:
        sent[float(value)] = time.time() * 1000
        state = {"view": view, "drag": {"param": "momentum", "value": value}}
        assert _request(lead_url, f"/api/classes/{code}/state", state, lead)[0] == 204
        time.sleep(interval)
    busy = _cpu_seconds(pids) - busy_start
    print(
        f"  server CPU: {1000 * (busy - idle) / ticks:.1f} ms per state to {followers} followers "
        f"({busy:.2f} s over the ticks, {idle:.2f} s idle over as long)"
    )
    time.sleep(1)
    to_events = _received_latencies(light, sent)
    light.stop()
    return len(sent), [], to_events, light.connected


def _summary(name: str, values: list[float]) -> str:
    if len(values) < 2:
        return f"{name}: {len(values)} samples"
    cuts = statistics.quantiles(values, n=20)
    return (
        f"{name}: p50 {statistics.median(values):.0f} ms, p95 {cuts[18]:.0f} ms (n = {len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--ticks", type=int, default=15)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--redis", action="store_true", help="also: two servers + Redis")
    parser.add_argument("--light", action="store_true", help="no Chromium: the relay alone")
    args = parser.parse_args()
    print(machine_summary(("streamlit", "redis")))
    setups = ["one server"] + (["two servers + Redis"] if args.redis else [])
    with ExitStack() as browsers:
        browser = None
        if not args.light:
            executable = chromium_path()
            assert executable, "Chromium not found"
            browser = browsers.enter_context(chromium(executable))
        for setup in setups:
            with ExitStack() as stack:
                env = dict(os.environ)
                env.pop("REDIS_URL", None)
                if setup != "one server":
                    env["REDIS_URL"] = stack.enter_context(redis_server())
                lead = stack.enter_context(start_streamlit(script="serve.py", env=env, timeout=120))
                other = lead
                if setup != "one server":
                    other = stack.enter_context(
                        start_streamlit(script="serve.py", env=env, timeout=120)
                    )
                if browser is None:
                    pids = sorted({lead.pid, other.pid})
                    stops, to_maps, to_events, connected = run_light(
                        lead.url, other.url, args.followers, args.ticks, args.interval, pids
                    )
                else:
                    stops, to_maps, to_events, connected = run(
                        browser, lead.url, other.url, args.followers, args.ticks, args.interval
                    )
            chromium_count = 0 if browser is None else 3
            print(f"{setup}: {stops} drag stops, {chromium_count} Chromium + {connected} light")
            if browser is not None:
                print("  " + _summary("drag tick → followers' maps (Chromium)", to_maps))
            print("  " + _summary("drag tick → event received (all light clients)", to_events))


if __name__ == "__main__":
    main()
