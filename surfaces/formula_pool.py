"""A small pool of formula workers (:mod:`.formula_worker`) and the server's side of a job.

At most :data:`POOL_SIZE` workers exist; a job waits at most :data:`QUEUE_WAIT` seconds for
one, then is refused as "busy" (not remembered: the next try may find one free). While a
worker builds, the calling thread watches the worker's own CPU time (``/proc/<pid>/stat``)
and kills it past :data:`~.formula_worker.CPU_LIMIT` (the worker's RLIMIT_CPU is the
backstop), or past :data:`WALL_LIMIT` seconds of waiting whatever its CPU time: the page
never waits on an unbounded computation. A killed worker is replaced by a fresh one on
the next job.

Answers arrive as JSON text and are only read as data (:func:`json.loads`); the server
never unpickles what a worker sends.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from typing import Any

from .formula_worker import CPU_LIMIT

#: Most workers alive at once: two builds in parallel on the server's cores, and two
#: workers' memory (about 0.1 GiB each once SymPy is loaded) beside the server.
POOL_SIZE = 2
#: Seconds a job waits for a free worker before it is refused as busy.
QUEUE_WAIT = 15.0
#: Seconds a job may take in all, whatever its CPU time: a worker starved by a loaded
#: machine gets its 2 s of CPU slowly, and the page must not wait for them without end.
#: Such a refusal is for time: remembered for a minute, then the formula is tried again.
WALL_LIMIT = 10.0
#: Seconds a new worker may take to start (Python, NumPy and SymPy imports).
START_LIMIT = 30.0
#: The CPU time past the worker's budget after which the pool kills it, in seconds.
_KILL_MARGIN = 0.25
_TICKS = os.sysconf("SC_CLK_TCK")


class PoolRefusal(Exception):
    """A job that got no answer: ``reason`` says why; ``for_time`` if it ran out of CPU."""

    def __init__(self, reason: str, *, for_time: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.for_time = for_time


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (0 if it is gone)."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            fields = os.read(fd, 4096).rsplit(b")", 1)[1].split()
        finally:
            os.close(fd)
    except (OSError, IndexError):
        return 0.0
    # After the command's ")": state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / _TICKS


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "surfaces.formula_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self.ready = False

    def _read_line(self, deadline: float, cpu_budget: float | None) -> bytes:
        """The next line the worker writes, or PoolRefusal once a limit is passed."""
        assert self.process.stdout is not None
        start_cpu = _cpu_seconds(self.process.pid)
        while True:
            readable, _, _ = select.select([self.process.stdout], [], [], 0.05)
            if readable:
                line = self.process.stdout.readline()
                if line:
                    return line
                self.kill()
                raise PoolRefusal("the formula's worker stopped", for_time=True)
            used = _cpu_seconds(self.process.pid) - start_cpu
            if cpu_budget is not None and used > cpu_budget + _KILL_MARGIN:
                self.kill()
                raise PoolRefusal(
                    f"building this surface took more than {cpu_budget:g} s of computing",
                    for_time=True,
                )
            if time.monotonic() > deadline:
                self.kill()
                raise PoolRefusal(
                    f"building this surface took longer than {WALL_LIMIT:g} s on a busy server",
                    for_time=True,
                )

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        if not self.ready:
            self._read_line(time.monotonic() + START_LIMIT, None)
            self.ready = True
        self.process.stdin.write(json.dumps(job).encode() + b"\n")
        self.process.stdin.flush()
        budget = float(job["cpu_limit"])
        answer = json.loads(self._read_line(time.monotonic() + WALL_LIMIT, budget))
        if not isinstance(answer, dict):
            raise PoolRefusal("the formula's worker answered nonsense", for_time=False)
        return answer

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class FormulaPool:
    """At most ``size`` workers; :meth:`build` runs one job on a free one."""

    def __init__(self, size: int = POOL_SIZE) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def build(self, expr: str, bounds: Any) -> dict[str, Any]:
        """The worker's answer (see :func:`.formula_worker.build_answer`).

        Raises:
            PoolRefusal: no worker free in time, or the worker ran over its limits.
        """
        if not self._slots.acquire(timeout=QUEUE_WAIT):
            raise PoolRefusal("the server is too busy to build it now", for_time=False)
        worker = None
        try:
            with self._lock:
                while self._idle and worker is None:
                    candidate = self._idle.pop()
                    if candidate.alive():
                        worker = candidate
                    else:  # it exited while idle (its idle timeout): reap it, close its pipes
                        candidate.kill()
            worker = worker or _Worker()
            answer = worker.run({"expr": expr, "bounds": bounds, "cpu_limit": CPU_LIMIT})
            with self._lock:
                self._idle.append(worker)
            return answer
        except (OSError, ValueError) as err:  # a broken pipe, an unreadable answer
            if worker is not None:
                worker.kill()
            raise PoolRefusal(f"the formula's worker failed ({err})", for_time=False) from None
        finally:
            self._slots.release()

    def pids(self) -> list[int]:
        """The process ids of the idle workers (for tests and the benchmark)."""
        with self._lock:
            return [w.process.pid for w in self._idle if w.alive()]

    def close(self) -> None:
        """Stop every idle worker."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


#: The server's pool, shared by every session; its workers stop with the server.
POOL = FormulaPool()
atexit.register(POOL.close)
