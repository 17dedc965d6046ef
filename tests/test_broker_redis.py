"""Classes in Redis: a real ``redis-server`` on a free loopback port, started and stopped
here (skipped with the reason where Debian's redis-server is not installed; a failure
under CI=true).

The broker itself (two "replicas" in one process), then two ``serve.py`` processes sharing
the Redis: the lecturer on one, the followers on the other, over HTTP and in Chromium.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from _classes import EventStream, new_class, request_json, run_async
from _server import StreamlitServer, free_port, skip_or_fail_in_ci, start_streamlit

from momentum_viz.app.broker import (
    CLASS_LIFETIME_S,
    CLASS_STARTS_PER_MINUTE,
    ENDED,
    MAX_STATES_PER_S,
    RateLimited,
    RedisBroker,
)

pytestmark = pytest.mark.server
VIEW = {"surface": "rosenbrock", "lr": "0.002", "momentum": "0.9"}


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    executable = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )
    if executable is None:
        skip_or_fail_in_ci("redis-server not found (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    argv = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(folder)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            assert process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not answer PING"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _pattern_subscribers(broker: RedisBroker, count: int, timeout: float = 20.0) -> None:
    """Wait until ``count`` Redis clients hold a pattern subscription (each replica's relay
    subscribes once, in the background): a state published before would reach nobody."""
    deadline = time.monotonic() + timeout
    while sum(int(c.get("psub", 0)) > 0 for c in await broker._redis.client_list()) < count:
        assert time.monotonic() < deadline, f"fewer than {count} pattern subscribers"
        await asyncio.sleep(0.05)


def test_two_replicas_share_classes_states_and_counts(redis_url):
    async def scenario() -> None:
        one, two = RedisBroker(redis_url), RedisBroker(redis_url)
        try:
            await one.create("RDSAAA", "hash")
            follower = await two.subscribe("RDSAAA", "follow")
            explorer = await one.subscribe("RDSAAA", "explore")
            await _pattern_subscribers(one, 2)  # both replicas' subscriptions are in place
            await one._redis.expire("momentum-viz:class:RDSAAA", 100)  # as if 2 h - 100 s ago
            event_id = await one.publish("RDSAAA", '{"view":{}}')
            got = await asyncio.wait_for(follower.queue.get(), 10)
            assert (got.id, got.data) == (event_id, '{"view":{}}')
            assert (await asyncio.wait_for(explorer.queue.get(), 10)).id == event_id
            assert await two.counts("RDSAAA") == {"follow": 1, "explore": 1}
            record = await two.record("RDSAAA")
            assert record.lead_hash == "hash" and record.last.id == event_id
            # A class ends 2 h after its last lead message (this one): Redis expires it.
            ttl = await two._redis.ttl("momentum-viz:class:RDSAAA")
            assert CLASS_LIFETIME_S - 5 <= ttl <= CLASS_LIFETIME_S
            await two.unsubscribe(follower)
            assert await one.counts("RDSAAA") == {"follow": 0, "explore": 1}
        finally:
            await one.close()
            await two.close()
        # A replica restart loses no class.
        restarted = RedisBroker(redis_url)
        try:
            assert (await restarted.record("RDSAAA")).last.id == event_id
            assert await restarted.publish("RDSAAA", "{}") == event_id + 1
        finally:
            await restarted.close()

    run_async(scenario())


def test_rate_limit_is_shared_by_the_replicas(redis_url):
    async def scenario() -> None:
        one, two = RedisBroker(redis_url), RedisBroker(redis_url)
        try:
            await one.create("RDSBBB", "hash")
            # Within one second window of Redis's clock (the window starts at a second). On
            # a loaded machine the burst may spill into the next second: then try again.
            for _attempt in range(5):
                await asyncio.sleep(1 - time.time() % 1 + 0.01)
                second = int(time.time())
                for n in range(MAX_STATES_PER_S):
                    await (one if n % 2 else two).publish("RDSBBB", "{}")
                if int(time.time()) == second:
                    break
            else:
                pytest.fail("no burst of states fitted in one second in five tries")
            with pytest.raises(RateLimited):
                await one.publish("RDSBBB", "{}")
        finally:
            await one.close()
            await two.close()

    run_async(scenario())


def test_ending_a_class_reaches_the_followers_of_every_replica(redis_url):
    async def scenario() -> None:
        one, two = RedisBroker(redis_url), RedisBroker(redis_url)
        try:
            await one.create("RDSCCC", "hash")
            here = await one.subscribe("RDSCCC", "follow")
            there = await two.subscribe("RDSCCC", "explore")
            await _pattern_subscribers(one, 2)
            await one.end("RDSCCC")
            assert await asyncio.wait_for(here.queue.get(), 10) is ENDED
            assert await asyncio.wait_for(there.queue.get(), 10) is ENDED
            assert await two.record("RDSCCC") is None
            assert await two._redis.zscore("momentum-viz:classes", "RDSCCC") is None
        finally:
            await one.close()
            await two.close()

    run_async(scenario())


def test_class_starts_per_address_are_counted_across_replicas(redis_url):
    async def scenario() -> None:
        one, two = RedisBroker(redis_url), RedisBroker(redis_url)
        try:
            # Within one minute window (fixed, from Redis's keys): start near its beginning.
            if time.time() % 60 > 50:
                await asyncio.sleep(61 - time.time() % 60)
            for n in range(CLASS_STARTS_PER_MINUTE):
                await (one if n % 2 else two).count_start("192.0.2.7")
            with pytest.raises(RateLimited):
                await one.count_start("192.0.2.7")
            await two.count_start("192.0.2.8")  # another address
        finally:
            await one.close()
            await two.close()

    run_async(scenario())


@pytest.fixture(scope="module")
def two_servers(redis_url, tmp_path_factory) -> Iterator[tuple[StreamlitServer, StreamlitServer]]:
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("home")), REDIS_URL=redis_url)
    with start_streamlit(script="serve.py", env=env) as first:
        with start_streamlit(script="serve.py", env=env) as second:
            yield first, second


def test_a_state_posted_on_one_server_reaches_a_follower_on_the_other(two_servers):
    first, second = two_servers
    code, lead = new_class(first.url)
    with EventStream(second.url, code) as stream:
        assert stream.status == 200
        time.sleep(0.5)
        state = {"view": VIEW, "title": "across"}
        assert request_json(first.url, "POST", f"/api/classes/{code}/state", state, lead)[0] == 204
        assert stream.next_state(timeout=20)[1] == state
        status, counts = request_json(first.url, "GET", f"/api/classes/{code}", lead=lead)
        assert status == 200 and counts["follow"] == 1
    wrong = request_json(second.url, "POST", f"/api/classes/{code}/state", state, "x" * 43)
    assert wrong[0] == 403


@pytest.mark.browser
def test_lecturer_on_one_server_followers_on_the_other(browser, two_servers):
    from test_browser_follow import run_class

    run_class(browser, *two_servers)
