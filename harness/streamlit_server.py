"""Start a Streamlit server on a free port and find the browser: shared by benchmarks and tests.

The one place that knows how this project runs a throwaway server (used by the scripts in
benchmarks/ and, through tests/_server.py, by the tests). Import it as
``from harness.streamlit_server import ...``: ``harness`` is installed (editable) with the
project, so neither side edits sys.path or loads the other's files by path.

* :func:`start_streamlit` is a context manager: it runs ``streamlit run`` (or any command
  line you pass) on a free port of 127.0.0.1, waits until ``/_stcore/health`` answers "ok"
  and yields a :class:`StreamlitServer` whose ``url`` is the base URL. On exit it stops the
  process (SIGTERM, then SIGKILL after a grace period) and closes its log file.
* :data:`CHROMIUM_ARGS` and :func:`chromium_path`: Debian's Chromium as Playwright drives it
  here (``playwright install`` cannot download on the development machines).
* :func:`machine_summary`: cores, CPU model, load and versions, for a benchmark's header.

The server's stdout and stderr go to a temporary file, not a pipe: a server that logs a lot
can never block on a full pipe, and the tail of the log is quoted in every error.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEALTH_PATH = "/_stcore/health"
# Options every throwaway server gets unless the caller passes a full command line: no
# browser window, no file watcher threads, no telemetry (these machines have no network).
TEST_SERVER_ARGS = (
    "--server.headless=true",
    "--server.fileWatcherType=none",
    "--browser.gatherUsageStats=false",
)
# CSS selectors of Streamlit 1.67's DOM (data-testid / data-test-script-state are set on the
# app root in streamlit/static/static/js/index.*.js; the state is "initial" until the first
# script run starts, then "running", then "notRunning" when it has finished).
APP_IDLE_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION_SELECTOR = '[data-testid="stException"]'


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it: bind to 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def streamlit_executable() -> str:
    """The ``streamlit`` launcher of the running Python (the project's venv)."""
    candidate = Path(sys.executable).with_name("streamlit")
    return str(candidate) if candidate.exists() else "streamlit"


def streamlit_command(
    script: str = "app.py",
    *,
    port: int,
    address: str = "127.0.0.1",
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The ``streamlit run`` command line the throwaway servers use."""
    return [
        streamlit_executable(),
        "run",
        script,
        f"--server.port={port}",
        f"--server.address={address}",
        *TEST_SERVER_ARGS,
        *extra_args,
    ]


@dataclass
class StreamlitServer:
    """A running server: ``url`` is ``http://127.0.0.1:PORT`` (no trailing slash)."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    _log: IO[bytes] = field(repr=False)

    def log_tail(self, max_chars: int = 4000) -> str:
        """The last ``max_chars`` characters the server wrote to stdout and stderr."""
        return _read_tail(self._log, max_chars)

    @property
    def pid(self) -> int:
        """The server's process id (for its RSS and CPU time in /proc)."""
        return self.process.pid


def _read_tail(log: IO[bytes], max_chars: int) -> str:
    log.flush()
    log.seek(0)
    text = log.read().decode("utf-8", errors="replace")
    log.seek(0, os.SEEK_END)
    return text[-max_chars:] if text else "(no output)"


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET ``url``; return (status, body) also for HTTP errors (4xx/5xx)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        with err:  # an HTTPError holds the open response; close it (ResourceWarning)
            return err.code, err.read().decode("utf-8", errors="replace")


def _stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _port_in_use(log_text: str) -> bool:
    # Streamlit 1.67 logs "Port 8501 is not available" and exits with code 1.
    text = log_text.lower()
    return "is not available" in text or "already in use" in text


@contextmanager
def start_streamlit(
    command: Sequence[str] | None = None,
    *,
    script: str = "app.py",
    cwd: str | os.PathLike[str] = PROJECT_ROOT,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 60.0,
) -> Iterator[StreamlitServer]:
    """Run a Streamlit server, wait until it is healthy, yield it, stop it on exit.

    By default runs :func:`streamlit_command` for ``script`` in ``cwd`` (the project root).
    ``command`` replaces the whole command line; then ``port`` must be the port it listens
    on (127.0.0.1). ``env`` replaces the environment (default: a copy of ``os.environ``).

    Raises RuntimeError, with the tail of the server's output, if the server exits or is not
    healthy within ``timeout`` seconds.
    """
    attempts = 1 if (command is not None or port is not None) else 3
    for attempt in range(attempts):
        chosen_port = port if port is not None else free_port()
        argv = (
            list(command)
            if command is not None
            else streamlit_command(script, port=chosen_port, extra_args=extra_args)
        )
        log = tempfile.TemporaryFile(prefix="streamlit-server-")
        try:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(os.environ if env is None else env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        except BaseException:
            log.close()
            raise
        server = StreamlitServer(f"http://127.0.0.1:{chosen_port}", chosen_port, process, log)
        try:
            try:
                _wait_healthy(server, argv, timeout)
            except _ExitedEarly as exited:
                # Another process may have taken the free port between bind and listen.
                if attempt + 1 < attempts and _port_in_use(exited.log_text):
                    continue
                raise RuntimeError(str(exited)) from None
            yield server
            return
        finally:
            _stop(process)
            log.close()


class _ExitedEarly(Exception):
    def __init__(self, message: str, log_text: str) -> None:
        super().__init__(message)
        self.log_text = log_text


def _wait_healthy(server: StreamlitServer, argv: Sequence[str], timeout: float) -> None:
    health_url = server.url + HEALTH_PATH
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            tail = server.log_tail()
            raise _ExitedEarly(
                f"Streamlit exited with code {code} before {health_url} answered.\n"
                f"Command: {' '.join(argv)}\nServer output (tail):\n{tail}",
                tail,
            )
        try:
            status, body = http_get(health_url, timeout=2.0)
        except OSError as err:  # connection refused / reset while the server starts
            last_error = repr(err)
        else:
            if status == 200 and body.strip() == "ok":
                return
            last_error = f"HTTP {status}: {body[:200]!r}"
        time.sleep(0.2)
    raise RuntimeError(
        f"Streamlit did not answer 'ok' on {health_url} within {timeout:.0f} s "
        f"(last: {last_error}).\nCommand: {' '.join(argv)}\n"
        f"Server output (tail):\n{server.log_tail()}"
    )


# Chromium as every browser benchmark and test launches it: no sandbox (containers), no
# GPU, and nothing that phones home or updates itself while it is being timed.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
)


def chromium_path() -> str | None:
    """Debian's ``chromium`` (on PATH or /usr/bin), or None where it is not installed."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@contextmanager
def chromium(executable: str) -> Iterator[Browser]:
    """Chromium at ``executable``, headless with :data:`CHROMIUM_ARGS`, under Playwright;
    closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_summary(packages: Sequence[str] = ("numpy", "plotly", "streamlit")) -> str:
    """One line: cores, CPU model, load average, Python and package versions.

    Timings on a shared 2-core machine drift from minute to minute, so every benchmark
    prints where and under what load it ran beside its figures.
    """
    try:
        load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "n/a"
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return (
        f"{os.cpu_count()} cores, {cpu_model()}, load {load}; "
        f"Python {platform.python_version()}, {', '.join(versions)}"
    )
