"""A small client of the classes API (momentum_viz/app/classroom.py) for tests.

:func:`request_json` sends one request and returns (status, parsed body or text);
:class:`EventStream` reads a class's Server-Sent Events stream with a timeout per event;
:func:`run_async` runs a coroutine to its end.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run(coroutine)`` in a thread of its own: once a browser test has started
    Playwright's sync API, an event loop runs in the main thread and asyncio.run refuses."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def request_json(
    base: str,
    method: str,
    path: str,
    body: object = None,
    lead: str | None = None,
    client: str | None = None,
) -> tuple[int, Any]:
    """One request; the body is sent as JSON (bytes as they are). ``client``: the address
    the request says it was forwarded for (X-Forwarded-For, which the server believes from
    loopback, as from a proxy)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"content-type": "application/json"}
    if lead is not None:
        headers["authorization"] = f"Bearer {lead}"
    if client is not None:
        headers["x-forwarded-for"] = client
    payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    try:
        return response.status, json.loads(text) if text else None
    except ValueError:
        return response.status, text


_clients = itertools.count(1)


def new_class(base: str, client: str | None = None) -> tuple[str, str]:
    """Start a class; by default as a client address of its own (198.18.0.0/15, a range
    for tests: only a header here), so the per-address start limit leaves tests alone."""
    if client is None:
        n = next(_clients)
        client = f"198.18.{n // 250 % 250}.{n % 250 + 1}"
    status, body = request_json(base, "POST", "/api/classes", client=client)
    assert status == 201, (status, body)
    return body["code"], body["lead"]


class EventStream:
    """``GET /api/classes/{code}/events`` read event by event (close it when done)."""

    def __init__(self, base: str, code: str, mode: str = "follow", last_id: int | None = None):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"accept": "text/event-stream"}
        if last_id is not None:
            headers["last-event-id"] = str(last_id)
        self.connection.request("GET", f"/api/classes/{code}/events?mode={mode}", headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.raw = ""  # everything read so far

    def next_event(self, timeout: float = 10.0) -> dict[str, str] | None:
        """The next event's fields (``event``, ``data``, ``id``), or None on timeout."""
        sock = self.response.fp.raw._sock  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        fields: dict[str, str] = {}
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                line = self.response.fp.readline().decode()
            except TimeoutError:
                return None
            if not line:
                return None
            self.raw += line
            line = line.rstrip("\n")
            if not line:
                if "event" in fields or "data" in fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        return None

    def next_state(self, timeout: float = 10.0) -> tuple[int, dict[str, Any]] | None:
        """The next "state" event as (id, state); None if none comes within ``timeout``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.next_event(left)
            if event is None:
                return None
            if event.get("event") == "state":
                return int(event["id"]), json.loads(event["data"])
        return None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
