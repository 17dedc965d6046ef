"""The live race map's pure JavaScript helpers (decode, dequantize, ticks, the blob
registry: momentum_viz/app/live_map_core.mjs) under Node's built-in test runner, so that
``make test`` runs tests/js/ too. Skipped with the reason where Node is not installed;
under CI=true a missing Node fails (as a missing Chromium does).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from _server import skip_or_fail_in_ci

JS_TESTS = Path(__file__).resolve().parent / "js"


def test_node_runs_the_live_map_helper_tests():
    node = shutil.which("node")
    if node is None:
        skip_or_fail_in_ci("Node.js not found (apt-get install nodejs)")
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs in {JS_TESTS}"
    result = subprocess.run(
        [node, "--test", *files], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout, result.stdout[-4000:]
