"""Follow the lecturer: the classes API over real HTTP against a started ``serve.py``, and
its abuse rules (no lead, wrong lead, refused states, rate, limits, expiry, isolation).

The limits that would need thousands of connections or two hours (followers per class,
a class's lifetime) are checked on the in-process broker directly, with its clock moved.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from _classes import EventStream, new_class, request_json, run_async
from _server import StreamlitServer, start_streamlit

from momentum_viz.app.broker import (
    CLASS_LIFETIME_S,
    CLASS_STARTS_PER_MINUTE,
    ENDED,
    MAX_CLASSES,
    MAX_FOLLOWERS,
    MAX_STATES_PER_S,
    MemoryBroker,
    RateLimited,
    TooManyClasses,
    TooManyFollowers,
)
from momentum_viz.app.classroom import CODE_PATTERN, HEARTBEAT_S, validate_state
from momentum_viz.app.settings import MOMENTUM_STOPS

pytestmark = pytest.mark.server

VIEW = {"surface": "rosenbrock", "lr": "0.002", "momentum": "0.9"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("home")))
    env.pop("REDIS_URL", None)  # the in-process broker
    with start_streamlit(script="serve.py", env=env) as started:
        yield started


def post_state(base: str, code: str, state: object, lead: str | None) -> tuple[int, object]:
    return request_json(base, "POST", f"/api/classes/{code}/state", state, lead=lead)


def test_create_gives_a_short_code_and_a_long_secret(server):
    code, lead = new_class(server.url)
    assert CODE_PATTERN.fullmatch(code)
    # token_urlsafe(32): 43 characters of 6 bits, 256 bits (guessing needs ≥ 128 to fail).
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", lead)
    assert new_class(server.url) != (code, lead)


def test_no_lead_is_401_and_a_wrong_one_403(server):
    code, lead = new_class(server.url)
    assert post_state(server.url, code, {"view": VIEW}, None)[0] == 401
    assert post_state(server.url, code, {"view": VIEW}, lead[:-1] + "x")[0] == 403
    assert post_state(server.url, code, {"view": VIEW}, "")[0] == 401
    assert request_json(server.url, "GET", f"/api/classes/{code}", lead="nope")[0] == 403
    other, _ = new_class(server.url)  # one class's lead does not lead another
    assert post_state(server.url, other, {"view": VIEW}, lead)[0] == 403
    assert post_state(server.url, code, {"view": VIEW}, lead)[0] == 204


def test_follower_gets_the_current_state_first_then_each_new_one(server):
    code, lead = new_class(server.url)
    assert post_state(server.url, code, {"view": VIEW, "title": "Valley"}, lead)[0] == 204
    with EventStream(server.url, code) as stream:
        assert stream.status == 200
        assert stream.response.getheader("content-type").startswith("text/event-stream")
        first_id, first = stream.next_state()
        assert first == {"view": VIEW, "title": "Valley"}
        drag = {"param": "momentum", "value": 0.95}
        assert post_state(server.url, code, {"view": VIEW, "drag": drag}, lead)[0] == 204
        second_id, second = stream.next_state()
        assert second_id == first_id + 1 and second["drag"] == drag
        status, counts = request_json(server.url, "GET", f"/api/classes/{code}", lead=lead)
        assert status == 200 and counts == {"follow": 1, "explore": 0}
    # A reconnect that saw the last id is not sent it again; one that missed it is.
    with EventStream(server.url, code, mode="explore", last_id=second_id - 1) as stream:
        assert stream.next_state()[0] == second_id
    with EventStream(server.url, code, last_id=second_id) as stream:
        assert stream.next_state(timeout=1.0) is None


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"view": {**VIEW, "lr": "5"}}, "lr = 5 is outside"),
        ({"view": {**VIEW, "surface": "nowhere"}}, "surface"),
        ({"view": {**VIEW, "colour": "red"}}, "unknown link parameter"),
        ({"view": {**VIEW, "follow": "ABCDEF"}}, "'follow' is not a setting"),
        ({"view": VIEW, "drag": {"param": "momentum", "value": 0.951}}, "not one of"),
        ({"view": VIEW, "drag": {"param": "noise", "value": 0.1}}, "param must be"),
        ({"view": VIEW, "play": True, "step": 1}, "at most one"),
        ({"view": VIEW, "frame": 10**6}, "outside 0"),
        ({"view": VIEW, "title": "x" * 81}, "title"),
        ({"view": VIEW, "lead": "secret"}, "unknown field"),
        ({"view": []}, "view: must be"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_state_that_a_link_would_note_is_refused_and_not_sent(server, state, reason):
    code, lead = new_class(server.url)
    assert post_state(server.url, code, {"view": VIEW}, lead)[0] == 204
    with EventStream(server.url, code) as stream:
        assert stream.next_state() is not None
        status, body = post_state(server.url, code, state, lead)
        assert status == 422, body
        assert any(reason in r for r in body["reasons"]), body
        assert stream.next_state(timeout=1.0) is None  # nothing was broadcast


def test_not_json_and_oversized_bodies_are_refused(server):
    code, lead = new_class(server.url)
    assert post_state(server.url, code, b"{not json", lead)[0] == 422
    big = {"view": VIEW, "title": "x" * 20_000}
    assert post_state(server.url, code, big, lead)[0] == 413


def test_every_drag_stop_of_the_view_is_accepted():
    view = {**VIEW, "momentum": "0.937"}  # a value off the stops: it is one of them too
    for value in (*MOMENTUM_STOPS, 0.937):
        clean, reasons = validate_state(
            {"view": view, "drag": {"param": "momentum", "value": value}}
        )
        assert reasons == [] and clean["drag"]["value"] == value


def test_more_than_30_states_a_second_are_429(server):
    code, lead = new_class(server.url)
    statuses: list[int] = []
    with ThreadPoolExecutor(8) as pool:
        while 429 not in statuses and len(statuses) < 400:  # rounds of 40 at once
            batch = pool.map(
                lambda _: post_state(server.url, code, {"view": VIEW}, lead)[0], range(40)
            )
            statuses += batch
    assert set(statuses) == {204, 429}, statuses
    # The refusals come after the 30th state of a second, never before it.
    assert statuses.index(429) >= MAX_STATES_PER_S - 8  # (8 requests may overtake each other)


def test_streams_carry_nothing_of_the_lead_or_of_other_classes(server):
    code, lead = new_class(server.url)
    other, other_lead = new_class(server.url)
    post_state(server.url, code, {"view": VIEW, "title": "mine"}, lead)
    with EventStream(server.url, code) as stream, EventStream(server.url, other) as foreign:
        stream.next_state()
        marked = {"view": {**VIEW, "lr": "0.003"}, "title": "theirs"}
        for _ in range(3):  # ids past this class's own, so none could pass as a resend
            assert post_state(server.url, other, marked, other_lead)[0] == 204
        assert foreign.next_state()[1]["title"] == "theirs"
        assert stream.next_state(timeout=1.0) is None
        for text in (stream.raw, foreign.raw):
            assert lead not in text and other_lead not in text
            assert "theirs" not in stream.raw


def test_unknown_class_and_bad_mode(server):
    assert request_json(server.url, "GET", "/api/classes/ZZZZZZ/events")[0] == 404
    assert request_json(server.url, "GET", "/api/classes/abc%20def/events")[0] == 404
    code, _ = new_class(server.url)
    assert request_json(server.url, "GET", f"/api/classes/{code}/events?mode=lead")[0] == 422


def test_the_stream_says_how_long_the_lead_has_been_silent(server):
    # What a follower's note "the lecturer's page has been silent" is made of.
    code, lead = new_class(server.url)
    post_state(server.url, code, {"view": VIEW}, lead)
    with EventStream(server.url, code) as stream:
        stream.next_state()
        event = stream.next_event(timeout=HEARTBEAT_S + 10)
        assert event is not None and event["event"] == "lead", event
        assert 0 <= json.loads(event["data"])["idle"] <= HEARTBEAT_S + 10


# --- the limits, on the in-process broker -------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_class_ends_two_hours_after_its_last_lead_message():
    async def scenario() -> None:
        clock = Clock()
        broker = MemoryBroker(clock=clock)
        await broker.create("AAAAAA", "h")
        follower = await broker.subscribe("AAAAAA", "follow")
        clock.now += CLASS_LIFETIME_S - 60
        await broker.publish("AAAAAA", "{}")  # a lead message: the two hours start again
        clock.now += CLASS_LIFETIME_S - 1
        assert await broker.record("AAAAAA") is not None
        follower.queue.get_nowait()
        clock.now += 1
        assert await broker.record("AAAAAA") is None
        assert follower.queue.get_nowait() is ENDED

    run_async(scenario())


def test_follower_and_class_bounds():
    async def scenario() -> None:
        broker = MemoryBroker()
        await broker.create("AAAAAA", "h")
        for _ in range(MAX_FOLLOWERS):
            await broker.subscribe("AAAAAA", "follow")
        with pytest.raises(TooManyFollowers) as refused:
            await broker.subscribe("AAAAAA", "explore")
        assert refused.value.status == 503
        for i in range(1, MAX_CLASSES):
            await broker.create(f"B{i:05d}", "h")
        with pytest.raises(TooManyClasses) as full:
            await broker.create("CCCCCC", "h")
        assert full.value.status == 503 and str(MAX_CLASSES) in str(full.value)

    run_async(scenario())


def test_rate_window_is_one_second():
    async def scenario() -> None:
        clock = Clock()
        broker = MemoryBroker(clock=clock)
        await broker.create("AAAAAA", "h")
        for _ in range(MAX_STATES_PER_S):
            await broker.publish("AAAAAA", "{}")
            clock.now += 0.5 / MAX_STATES_PER_S
        with pytest.raises(RateLimited):
            await broker.publish("AAAAAA", "{}")
        clock.now += 0.5
        await broker.publish("AAAAAA", "{}")  # the first post left the window

    run_async(scenario())


def test_too_many_classes_is_503_with_a_message(monkeypatch, tmp_path):
    # The bound over HTTP, on a server of its own (it fills it): the route turns the
    # broker's refusal into 503 and its message.
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("REDIS_URL", None)
    with start_streamlit(script="serve.py", env=env) as own:
        statuses = [
            request_json(own.url, "POST", "/api/classes", client=f"198.19.0.{i}")
            for i in range(MAX_CLASSES + 1)
        ]
    assert [s for s, _ in statuses[:MAX_CLASSES]] == [201] * MAX_CLASSES
    status, body = statuses[-1]
    assert status == 503 and "classes already" in body["error"]


def test_starting_classes_is_limited_per_client_address(server):
    # The server believes X-Forwarded-For from loopback (a proxy there), as it believes the
    # ingress's in deploy/kubernetes.yaml: each address has its own allowance.
    starts = [
        request_json(server.url, "POST", "/api/classes", client="203.0.113.9")
        for _ in range(CLASS_STARTS_PER_MINUTE + 1)
    ]
    assert [status for status, _ in starts[:-1]] == [201] * CLASS_STARTS_PER_MINUTE
    status, body = starts[-1]
    assert status == 429 and "in a minute" in body["error"], body
    assert request_json(server.url, "POST", "/api/classes", client="203.0.113.10")[0] == 201


def test_the_start_allowance_comes_back_after_a_minute():
    async def scenario() -> None:
        clock = Clock()
        broker = MemoryBroker(clock=clock)
        for _ in range(CLASS_STARTS_PER_MINUTE):
            await broker.count_start("192.0.2.1")
            clock.now += 1
        with pytest.raises(RateLimited):
            await broker.count_start("192.0.2.1")
        await broker.count_start("192.0.2.2")  # another address
        clock.now += 60 - CLASS_STARTS_PER_MINUTE + 0.5  # the first start left the minute
        await broker.count_start("192.0.2.1")
        with pytest.raises(RateLimited):
            await broker.count_start("192.0.2.1")

    run_async(scenario())


def test_stop_leading_ends_the_class_for_every_follower(server):
    code, lead = new_class(server.url)
    assert post_state(server.url, code, {"view": VIEW, "title": "last"}, lead)[0] == 204
    path = f"/api/classes/{code}"
    with EventStream(server.url, code) as stream, EventStream(server.url, code, "explore") as other:
        assert stream.next_state()[1]["title"] == "last"
        assert other.next_state() is not None
        assert request_json(server.url, "DELETE", path)[0] == 401
        assert request_json(server.url, "DELETE", path, lead=lead[:-1] + "x")[0] == 403
        assert request_json(server.url, "DELETE", path, lead=lead)[0] == 204
        for follower in (stream, other):
            event = follower.next_event(timeout=10)
            assert event is not None and event["event"] == "ended", event
            assert follower.next_event(timeout=1) is None  # the stream closed
    assert request_json(server.url, "GET", f"{path}/events")[0] == 404
    assert post_state(server.url, code, {"view": VIEW}, lead)[0] == 404
    assert request_json(server.url, "DELETE", path, lead=lead)[0] == 404


def test_a_lecturers_deck_and_slide_are_relayed_as_sent():
    from momentum_viz.app.deck import deck_link, read_link
    from momentum_viz.app.prepared_deck import PREPARED_DECK

    packed = deck_link(PREPARED_DECK)
    clean, reasons = validate_state({"view": VIEW, "deck": packed, "slide": 3, "title": "t"})
    assert reasons == [] and clean["deck"] == packed and clean["slide"] == 3
    # A follower compares the deck it opened with the one it is sent: decoding and
    # encoding again must give the same text, or it would rerun forever.
    assert deck_link(read_link(packed)[0]) == packed
    for bad in ({"deck": "not base64!"}, {"slide": 0}, {"slide": "2"}):
        assert validate_state({"view": VIEW, **bad})[0] is None


def test_a_remembered_view_is_refused_again_and_the_memory_is_bounded():
    from momentum_viz.app import classroom

    bad = {"view": {**VIEW, "lr": "5"}}
    assert not classroom.view_is_known(bad)
    for _ in range(2):  # the second check comes from memory: still refused, same reason
        clean, reasons = validate_state(bad)
        assert clean is None and any("lr = 5 is outside" in r for r in reasons)
    assert classroom.view_is_known(bad)
    for n in range(classroom.MAX_CHECKED_VIEWS + 10):
        validate_state({"view": {**VIEW, "seed": str(n)}})
    assert len(classroom._checked_views) <= classroom.MAX_CHECKED_VIEWS
