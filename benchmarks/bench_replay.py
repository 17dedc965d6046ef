"""Measure how long ▶ Play takes to replay the race map in Chromium, at each replay speed.

Builds the offline HTML export of a 1,000-step race (three methods on Rosenbrock:
``app.exports.offline_map_file``, the live map's own canvas component with its blobs),
opens it from ``file://`` in Chromium (Playwright, Debian's /usr/bin/chromium) at
1280×720, clicks ▶ Play and times it until the button says ▶ Play again (the replay's
end). The page's live map is the same component, so this is its replay too.

Goal: 1× replays the whole run in about 7 s (6–8 s), 0.25× in about 28 s, 0.5× in about
14 s, 2× in about 3.5 s: the map replays by the browser's clock (``replay_ms`` / speed),
not by frames.

Run: ``.venv/bin/python benchmarks/bench_replay.py`` (from the project root;
``--repeat N`` replays per setting, ``--steps N``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from harness.streamlit_server import CHROMIUM_ARGS, chromium_path
from momentum_viz.app.exports import offline_map_file
from momentum_viz.app.settings import SPEEDS, Settings
from momentum_viz.views.live_map import REPLAY_MS

# Click Play (as a user would) and wait for the end of the replay.
PLAY_JS = """async () => {
    const play = document.querySelector('button.mv-play');
    const t0 = performance.now();
    play.click();
    while (play.getAttribute('aria-label') !== 'Play') {
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return {ms: performance.now() - t0};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"Play on a {args.steps:,}-step run, 3 methods, {args.repeat} replays each")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for speed in SPEEDS:
            settings = Settings(
                methods=("sgd", "momentum", "nesterov"), steps=args.steps, speed=speed
            )
            html = Path(tmp) / "race.html"
            html.write_text(offline_map_file(settings), encoding="utf-8")
            page.goto(html.as_uri())
            page.wait_for_selector("canvas.mv-map[data-draws]")
            time.sleep(0.5)
            runs = [page.evaluate(PLAY_JS) for _ in range(args.repeat)]
            seconds = [run["ms"] / 1000 for run in runs]
            print(
                f"  {speed:g}×: median {statistics.median(seconds):5.2f} s, "
                f"range {min(seconds):5.2f}–{max(seconds):5.2f} s "
                f"(target {REPLAY_MS / speed / 1000:.1f} s)",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()
