"""Screenshots of the race tab in every screen mode, to look at by eye.

    .venv/bin/python -m harness.screens_gallery OUT_DIR [VIEWS]

One server, one Chromium, one context per mode × size: light, dark (``color_scheme``) and
forced colours (``forced_colors="active"``, on a dark system), at 1280×720 and 390×844
(a phone: touch, mobile viewport), for each tab in VIEWS (comma-separated, default
"race"; e.g. "race,3d,theory,parameter-map,basin-map"). Writes
``OUT_DIR/<view>-<mode>-<size>.png``: the first screen, and for the race the loss chart
too (``...-losses.png``). Not a test: the tests measure pixels
(tests/test_browser_screens.py); this is for the eye.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from harness.streamlit_server import (
    APP_IDLE_SELECTOR,
    chromium,
    chromium_path,
    start_streamlit,
)

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 720}},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}
MODES = {
    "light": {"color_scheme": "light"},
    "dark": {"color_scheme": "dark"},
    "forced": {"forced_colors": "active", "color_scheme": "dark"},
}


def main(out_dir: str, views: str = "race") -> None:
    """Write the screenshots of every view, mode and size into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium not found (apt-get install chromium)")
    env = dict(os.environ, HOME=tempfile.mkdtemp(prefix="streamlit-home-"))
    with start_streamlit(env=env) as server, chromium(executable) as browser:
        for mode, emulation in MODES.items():
            for size, device in SIZES.items():
                context = browser.new_context(**device, **emulation)
                page = context.new_page()
                for view in views.split(","):
                    stem = out / f"{view}-{mode}-{size}"
                    _shoot(page, f"{server.url}/?surface=multiwell&view={view}", stem)
                    print(out / f"{view}-{mode}-{size}.png")
                context.close()


def _shoot(page, url: str, stem: Path) -> None:
    """The first screen of ``url`` at ``stem``.png (and the loss chart, if there is one)."""
    page.goto(url)
    page.wait_for_selector(APP_IDLE_SELECTOR, timeout=120_000)
    page.wait_for_timeout(2500)  # for the eye only: charts drawn, the replay's last frames
    page.screenshot(path=f"{stem}.png", timeout=120_000)
    losses = page.locator(".st-key-losses")
    if losses.count():
        losses.scroll_into_view_if_needed()
        page.screenshot(path=f"{stem}-losses.png", timeout=120_000)


if __name__ == "__main__":
    main(*sys.argv[1:])
