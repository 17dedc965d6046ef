"""Where a class lives: the lecturer's last state, its followers, and the relay between them.

One small interface, :class:`Broker`, with two implementations:

* :class:`MemoryBroker` (the default, nothing to configure): everything in this process.
  One server holds the class; a restart ends it.
* :class:`RedisBroker` (``REDIS_URL`` set): the class's record is a Redis hash that expires
  :data:`CLASS_LIFETIME_S` after the last lead message, states are published on a Redis
  channel, and every replica relays them to its own followers. Followers on any replica
  get the lecturer's moves, and a replica restart loses no class.

A state is opaque here (JSON text, already validated by :mod:`.classroom`); each gets the
next id of its class, so a follower that reconnects with the last id it saw is sent the
current state only if it missed one. Every state carries the whole view, so the current
state is all a follower ever needs: no history is kept.

The limits (followers per class, classes per server, states per second, classes started
per client address and minute, the lifetime) are enforced here, where both implementations
can keep them the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

# A class ends this long after its last lead message (a state or the lecturer's poll).
CLASS_LIFETIME_S = 2 * 3600
# At most this many classes at once per server (per Redis with REDIS_URL), and followers
# per class: a lecture hall, with room to spare, and a bound on memory per server.
MAX_CLASSES = 100
MAX_FOLLOWERS = 1000
# States a class may publish per second; the lecturer's page sends at most 20.
MAX_STATES_PER_S = 30
# Classes one client address may start in a minute: a lecturer starts one, or a few after
# mistakes; a script in a loop would otherwise fill MAX_CLASSES for everyone.
CLASS_STARTS_PER_MINUTE = 6
START_WINDOW_S = 60.0
# The in-process broker forgets addresses quiet for a window once it tracks this many.
MAX_TRACKED_CLIENTS = 10_000
# A follower whose connection cannot keep up keeps only its newest states (each carries
# the whole view, so a dropped one loses nothing but a step of a drag).
QUEUE_LENGTH = 32
MODES = ("follow", "explore")


class BrokerError(Exception):
    """A refusal the HTTP layer turns into a status code with this message."""

    status = 400


class TooManyClasses(BrokerError):
    status = 503


class TooManyFollowers(BrokerError):
    status = 503


class RateLimited(BrokerError):
    status = 429


class UnknownClass(BrokerError):
    status = 404


@dataclass(frozen=True)
class Event:
    """One state as the stream sends it: its id in the class, and its JSON text."""

    id: int
    data: str

    @cached_property
    def frame(self) -> bytes:
        """The event as the stream's bytes: encoded once, written to every follower."""
        return f"id: {self.id}\nevent: state\ndata: {self.data}\n\n".encode()


@dataclass(frozen=True)
class ClassRecord:
    """What the server knows of a class: the lead's hash, the last state, when the lead
    was last heard from (seconds since the epoch)."""

    lead_hash: str
    last: Event | None
    lead_seen: float


ENDED = Event(-1, "")  # put on a follower's queue when its class ends


@dataclass(eq=False)
class Subscription:
    """One follower's connection: the states for it arrive on ``queue``."""

    code: str
    mode: str
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_LENGTH))

    def deliver(self, event: Event) -> None:
        """Queue an event; a full queue drops its oldest (never blocks the relay)."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(event)


class Broker(Protocol):
    """What the HTTP routes need of a broker (see the module's docstring)."""

    async def create(self, code: str, lead_hash: str) -> None: ...
    async def count_start(self, client: str) -> None: ...
    async def record(self, code: str) -> ClassRecord | None: ...
    async def publish(self, code: str, data: str) -> int: ...
    async def end(self, code: str) -> None: ...
    async def touch(self, code: str) -> None: ...
    async def subscribe(self, code: str, mode: str) -> Subscription: ...
    async def unsubscribe(self, subscription: Subscription) -> None: ...
    async def counts(self, code: str) -> dict[str, int]: ...
    async def close(self) -> None: ...


@dataclass(eq=False)
class _Class:
    lead_hash: str
    lead_seen: float
    last: Event | None = None
    posts: deque[float] = field(default_factory=deque)
    followers: set[Subscription] = field(default_factory=set)


def _over_rate(
    posts: deque[float], now: float, limit: int = MAX_STATES_PER_S, window: float = 1.0
) -> bool:
    """Sliding window: True if another post now would make more than ``limit`` in ``window`` s."""
    while posts and posts[0] <= now - window:
        posts.popleft()
    return len(posts) >= limit


def _starts_refused() -> RateLimited:
    return RateLimited(
        f"more than {CLASS_STARTS_PER_MINUTE} classes started from one address in a minute; "
        "try again in a minute"
    )


class MemoryBroker:
    """Every class in this process's memory (one server; a restart ends its classes).

    ``clock`` (seconds) is injectable so tests can age a class past its lifetime.
    """

    def __init__(self, clock: object = time.time) -> None:
        self._clock = clock
        self._classes: dict[str, _Class] = {}
        self._starts: dict[str, deque[float]] = {}  # client address → when it started classes

    def _now(self) -> float:
        return self._clock()  # type: ignore[operator]

    def _sweep(self) -> None:
        """End every class whose lead has been silent for the lifetime."""
        cutoff = self._now() - CLASS_LIFETIME_S
        for code in [c for c, k in self._classes.items() if k.lead_seen <= cutoff]:
            for subscription in self._classes.pop(code).followers:
                subscription.deliver(ENDED)

    def _get(self, code: str) -> _Class:
        self._sweep()
        found = self._classes.get(code)
        if found is None:
            raise UnknownClass(f"no class {code!r} (it may have ended)")
        return found

    async def create(self, code: str, lead_hash: str) -> None:
        self._sweep()
        if len(self._classes) >= MAX_CLASSES:
            raise TooManyClasses(
                f"this server holds {MAX_CLASSES} classes already; try again later"
            )
        if code in self._classes:
            raise BrokerError("class code taken")
        self._classes[code] = _Class(lead_hash, self._now())

    async def count_start(self, client: str) -> None:
        """Count a class start from ``client``; RateLimited beyond the minute's allowance."""
        now = self._now()
        if len(self._starts) >= MAX_TRACKED_CLIENTS:
            cutoff = now - START_WINDOW_S
            self._starts = {a: t for a, t in self._starts.items() if t and t[-1] > cutoff}
        starts = self._starts.setdefault(client, deque())
        if _over_rate(starts, now, CLASS_STARTS_PER_MINUTE, START_WINDOW_S):
            raise _starts_refused()
        starts.append(now)

    async def record(self, code: str) -> ClassRecord | None:
        try:
            found = self._get(code)
        except UnknownClass:
            return None
        return ClassRecord(found.lead_hash, found.last, found.lead_seen)

    async def publish(self, code: str, data: str) -> int:
        found = self._get(code)
        now = self._now()
        if _over_rate(found.posts, now):
            raise RateLimited(f"more than {MAX_STATES_PER_S} states a second")
        found.posts.append(now)
        found.lead_seen = now
        found.last = Event((found.last.id if found.last else 0) + 1, data)
        for subscription in found.followers:
            subscription.deliver(found.last)
        return found.last.id

    async def end(self, code: str) -> None:
        """End the class now: its followers get a last event, its code is free."""
        for subscription in self._classes.pop(code, _Class("", 0.0)).followers:
            subscription.deliver(ENDED)

    async def touch(self, code: str) -> None:
        self._get(code).lead_seen = self._now()

    async def subscribe(self, code: str, mode: str) -> Subscription:
        found = self._get(code)
        if len(found.followers) >= MAX_FOLLOWERS:
            raise TooManyFollowers(f"this class has {MAX_FOLLOWERS} followers already")
        subscription = Subscription(code, mode)
        found.followers.add(subscription)
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        found = self._classes.get(subscription.code)
        if found is not None:
            found.followers.discard(subscription)

    async def counts(self, code: str) -> dict[str, int]:
        found = self._get(code)
        return {mode: sum(s.mode == mode for s in found.followers) for mode in MODES}

    async def close(self) -> None:
        for found in self._classes.values():
            for subscription in found.followers:
                subscription.deliver(ENDED)


# One round trip, atomic: refuse beyond the rate, number the state, store it, refresh the
# class's expiry and publish "<id> <state>" on the class's channel. -1: no such class;
# -2: over the rate (a fixed one-second window, shared by every replica).
_PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local posts = redis.call('INCR', KEYS[2])
if posts == 1 then redis.call('EXPIRE', KEYS[2], 2) end
if posts > tonumber(ARGV[3]) then return -2 end
local id = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'seen', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[3], tonumber(ARGV[4]) + tonumber(ARGV[2]), ARGV[5])
redis.call('PUBLISH', ARGV[6], id .. ' ' .. ARGV[1])
return id
"""
# A replica's follower counts are kept as a field of the class's presence hash, with the
# time they were written; counts older than this are a replica that died.
PRESENCE_STALE_S = 60.0
PRESENCE_REFRESH_S = 20.0
_PREFIX = "momentum-viz:"
# Published on a class's channel when the lecturer ends it (a state's id is never 0).
_END_MESSAGE = "0 end"


def _keys(code: str) -> dict[str, str]:
    return {
        "class": f"{_PREFIX}class:{code}",
        "rate": f"{_PREFIX}rate:{code}:{int(time.time())}",
        "presence": f"{_PREFIX}presence:{code}",
        "channel": f"{_PREFIX}events:{code}",
    }


_CLASSES = f"{_PREFIX}classes"  # sorted set: code → when it expires (epoch seconds)


class RedisBroker:
    """Classes in Redis (``redis.asyncio``): shared by every replica, surviving restarts.

    Each replica keeps one pattern subscription to every class's channel and hands the
    states to its own followers (:meth:`_relay`), so Redis sends each state once per
    replica, not once per follower.
    """

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._publish = self._redis.register_script(_PUBLISH)
        self._replica = uuid.uuid4().hex
        self._local: dict[str, set[Subscription]] = {}
        self._relay_task: asyncio.Task[None] | None = None
        self._presence_task: asyncio.Task[None] | None = None

    async def create(self, code: str, lead_hash: str) -> None:
        now = time.time()
        await self._redis.zremrangebyscore(_CLASSES, "-inf", now)
        if await self._redis.zcard(_CLASSES) >= MAX_CLASSES:
            raise TooManyClasses(f"the servers hold {MAX_CLASSES} classes already; try later")
        key = _keys(code)["class"]
        if not await self._redis.hsetnx(key, "lead", lead_hash):
            raise BrokerError("class code taken")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"seq": 0, "seen": repr(now)})
            pipe.expire(key, CLASS_LIFETIME_S)
            pipe.zadd(_CLASSES, {code: now + CLASS_LIFETIME_S})
            await pipe.execute()

    async def count_start(self, client: str) -> None:
        """Count a class start from ``client`` in Redis (one fixed window of a minute, shared
        by every replica); RateLimited beyond the allowance."""
        window = int(time.time() // START_WINDOW_S)
        key = f"{_PREFIX}starts:{client}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, int(2 * START_WINDOW_S))
            starts, _ = await pipe.execute()
        if int(starts) > CLASS_STARTS_PER_MINUTE:
            raise _starts_refused()

    async def record(self, code: str) -> ClassRecord | None:
        found = await self._redis.hgetall(_keys(code)["class"])
        if not found or "lead" not in found:
            return None
        seq = int(found.get("seq", 0))
        last = Event(seq, found["data"]) if seq and "data" in found else None
        return ClassRecord(found["lead"], last, float(found.get("seen", 0.0)))

    async def publish(self, code: str, data: str) -> int:
        keys = _keys(code)
        now = time.time()
        result = int(
            await self._publish(
                keys=[keys["class"], keys["rate"], _CLASSES],
                args=[data, CLASS_LIFETIME_S, MAX_STATES_PER_S, repr(now), code, keys["channel"]],
            )
        )
        if result == -1:
            raise UnknownClass(f"no class {code!r} (it may have ended)")
        if result == -2:
            raise RateLimited(f"more than {MAX_STATES_PER_S} states a second")
        return result

    async def end(self, code: str) -> None:
        """End the class now on every replica: its record goes, its followers get a last
        event (each replica relays the end to its own)."""
        keys = _keys(code)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys["class"], keys["presence"])
            pipe.zrem(_CLASSES, code)
            pipe.publish(keys["channel"], _END_MESSAGE)
            await pipe.execute()

    async def touch(self, code: str) -> None:
        key = _keys(code)["class"]
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "seen", repr(now))
            pipe.expire(key, CLASS_LIFETIME_S)
            pipe.zadd(_CLASSES, {code: now + CLASS_LIFETIME_S})
            await pipe.execute()

    async def subscribe(self, code: str, mode: str) -> Subscription:
        if await self.record(code) is None:
            raise UnknownClass(f"no class {code!r} (it may have ended)")
        counts = await self.counts(code)
        if sum(counts.values()) >= MAX_FOLLOWERS:
            raise TooManyFollowers(f"this class has {MAX_FOLLOWERS} followers already")
        self._start_tasks()
        subscription = Subscription(code, mode)
        self._local.setdefault(code, set()).add(subscription)
        await self._write_presence(code)
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        local = self._local.get(subscription.code, set())
        local.discard(subscription)
        if not local:
            self._local.pop(subscription.code, None)
        with contextlib.suppress(Exception):  # Redis gone: the counts go stale and expire
            await self._write_presence(subscription.code)

    async def counts(self, code: str) -> dict[str, int]:
        totals = dict.fromkeys(MODES, 0)
        now = time.time()
        for value in (await self._redis.hgetall(_keys(code)["presence"])).values():
            follow, explore, written = value.split()
            if now - float(written) < PRESENCE_STALE_S:
                totals["follow"] += int(follow)
                totals["explore"] += int(explore)
        return totals

    async def _write_presence(self, code: str) -> None:
        local = self._local.get(code, set())
        key = _keys(code)["presence"]
        if not local:
            await self._redis.hdel(key, self._replica)
            return
        follow = sum(s.mode == "follow" for s in local)
        value = f"{follow} {len(local) - follow} {time.time()!r}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, self._replica, value)
            pipe.expire(key, CLASS_LIFETIME_S)
            await pipe.execute()

    def _start_tasks(self) -> None:
        if self._relay_task is None or self._relay_task.done():
            self._relay_task = asyncio.create_task(self._relay())
        if self._presence_task is None or self._presence_task.done():
            self._presence_task = asyncio.create_task(self._refresh_presence())

    async def _relay(self) -> None:
        """Hand every state published on any replica to this replica's followers."""
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(f"{_PREFIX}events:*")
        try:
            async for message in pubsub.listen():
                if message.get("type") != "pmessage":
                    continue
                code = message["channel"].rsplit(":", 1)[-1]
                if message["data"] == _END_MESSAGE:
                    event = ENDED
                else:  # one Event (and one encoding) for all this replica's followers
                    event_id, _, data = message["data"].partition(" ")
                    event = Event(int(event_id), data)
                for subscription in self._local.get(code, ()):
                    subscription.deliver(event)
        finally:
            await pubsub.aclose()

    async def _refresh_presence(self) -> None:
        """Rewrite this replica's counts now and then, so they do not read as stale."""
        while True:
            await asyncio.sleep(PRESENCE_REFRESH_S)
            for code in list(self._local):
                with contextlib.suppress(Exception):
                    await self._write_presence(code)

    async def close(self) -> None:
        for task in (self._relay_task, self._presence_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for local in self._local.values():
            for subscription in local:
                subscription.deliver(ENDED)
        await self._redis.aclose()


def broker_from_environment() -> Broker:
    """A :class:`RedisBroker` when ``REDIS_URL`` is set, else a :class:`MemoryBroker`."""
    url = os.environ.get("REDIS_URL", "").strip()
    return RedisBroker(url) if url else MemoryBroker()
