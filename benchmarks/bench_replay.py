"""Measure how long ▶ Play takes to replay the race map in Chromium, at each replay speed.

Builds the race map of a 1,000-step run (three methods on Rosenbrock) as the app does
(:func:`momentum_viz.views.race.replay_frames` frames out of ``MAX_FRAMES``), writes it as
the offline HTML export (``views.export.animation_html``: plotly.js embedded, the same
animation the app's chart plays), opens it in Chromium (Playwright, Debian's
/usr/bin/chromium) at 1280×720, clicks Play and times it until plotly.js reports
``plotly_animated``. For comparison it also times the old setting, 200 frames asked for
35 ms each (7000 / 200, the naive duration), and 200 frames at 0 ms (the drawing floor).

Goal (one replay a lecturer can talk over): 1× replays the whole run in about 7 s (6–8 s), 0.5×
in about 14 s, 2× in about 3.5 s. A frame lasts the first whole number of display refreshes
past its duration (plotly.js starts the next frame at the first requestAnimationFrame after the
duration has passed), which is what the Play button's duration allows for (see
``views.race.frame_duration``).

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
from momentum_viz import simulate
from momentum_viz.app.compute import MAX_FRAMES
from momentum_viz.views.export import animation_html
from momentum_viz.views.race import REPLAY_MS, replay_frames, trajectory_figure
from surfaces import SURFACES

# Click Play (as a user would) and wait for the end of the replay.
PLAY_JS = """async () => {
    const gd = document.querySelector('.js-plotly-plot');
    let frames = 0;
    gd.on('plotly_animatingframe', () => frames++);
    const done = new Promise((resolve) => gd.once('plotly_animated', resolve));
    const play = Array.from(gd.querySelectorAll('.updatemenu-button'))
        .find((b) => b.textContent.includes('Play'));
    const t0 = performance.now();
    play.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    await done;
    return {ms: performance.now() - t0, frames};
}"""


def _figure(steps: int, speed: float, frames: int | None = None, duration: float | None = None):
    surface = SURFACES["rosenbrock"]
    paths = {
        method: simulate(
            surface, method, surface.start, lr=surface.lr, momentum=surface.momentum, steps=steps
        ).positions
        for method in ("sgd", "momentum", "nesterov")
    }
    max_frames = frames if frames is not None else replay_frames(speed, MAX_FRAMES)
    fig = trajectory_figure(surface, paths, max_frames=max_frames, speed=speed)
    if duration is not None:  # the comparisons: a fixed duration
        fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["duration"] = duration
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    cases = [(f"{speed:g}×", speed, None, None) for speed in (0.5, 1.0, 2.0)]
    cases += [("old: 200 frames × 35 ms", 1.0, 200, 35), ("200 frames × 0 ms", 1.0, 200, 0)]
    print(f"Play on a {args.steps:,}-step run, 3 methods, {args.repeat} replays each")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for label, speed, frames, duration in cases:
            fig = _figure(args.steps, speed, frames, duration)
            play = fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["duration"]
            html = Path(tmp) / "race.html"
            html.write_text(animation_html(fig), encoding="utf-8")
            page.goto(html.as_uri())
            page.wait_for_selector(".updatemenu-button")
            time.sleep(0.5)
            runs = [page.evaluate(PLAY_JS) for _ in range(args.repeat)]
            seconds = [run["ms"] / 1000 for run in runs]
            target = f"(target {REPLAY_MS / speed / 1000:.1f} s)" if duration is None else ""
            print(
                f"  {label:<24} {len(fig.frames):>3} frames × {play:>5} ms: "
                f"median {statistics.median(seconds):5.2f} s, "
                f"range {min(seconds):5.2f}–{max(seconds):5.2f} s "
                f"({statistics.median(seconds) * 1000 / len(fig.frames):.0f} ms a frame) {target}",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()
