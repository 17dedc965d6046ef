"""End-to-end: the live race map never shows a stale picture.

A lecturer walks the guided scenarios in order. Each one changes the surface, the steps
and γ; the map's blobs (surface, γ family, α family) travel in their own carrier
elements, and a carrier whose blob did not change is not sent again. So the browser must
keep every blob the current race names, whatever order they arrived in. Once it did not:
choosing the six first scenarios in order drew the noisy bowl at "step 1200 / 1200"
under the three-wells banner, because the three-wells surface, announced again, was
dropped to make room before the new race could claim it.

After each choice the map must draw the sidebar's surface, step count and γ.
"""

from __future__ import annotations

import math
import time

import pytest
from _server import wait_for_app

from momentum_viz.app.scenarios import SCENARIOS

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = "canvas.mv-map"
SIDEBAR = '[data-testid="stSidebar"]'


def _choose_scenario(page, key: str) -> None:
    """Pick a scenario in the sidebar's selector, as a lecturer does, and wait for it."""
    page.locator(f"{SIDEBAR} .st-key-scenario [role='combobox']").click()
    page.get_by_role("option", name=SCENARIOS[key].title, exact=True).click()
    page.wait_for_function(f"() => location.search.includes('scenario={key}')", timeout=30_000)
    wait_for_app(page)


def _sidebar(page) -> dict[str, str]:
    """What the sidebar says: the surface's title (the bowl's with the κ slider's value
    added, as the bowl's own title gives it), the steps and γ."""
    value = "input[type='range']"
    surface = page.locator(f"{SIDEBAR} .st-key-surface [role='combobox']").input_value()
    kappa = page.locator(f"{SIDEBAR} .st-key-kappa {value}")
    if kappa.count():  # the box names the bowl without κ; the bowl's own title carries it
        surface = f"{surface} (κ = {kappa.get_attribute('aria-valuetext')})"
    return {
        "surface": surface,
        "steps": page.locator(f"{SIDEBAR} .st-key-steps {value}").get_attribute("aria-valuetext"),
        "gamma": page.locator(f"{SIDEBAR} .st-key-momentum {value}").get_attribute(
            "aria-valuetext"
        ),
    }


def _map(page) -> dict[str, str]:
    """What the map draws: its surface's title, its step count and γ."""
    canvas = page.locator(MAP).first
    shown = dict(item.split("=") for item in (canvas.get_attribute("data-shown") or "").split(";"))
    return {
        "surface": canvas.get_attribute("data-surface") or "",
        "steps": page.locator("input.mv-frame").first.get_attribute("max") or "",
        "gamma": shown.get("momentum", ""),
        "label": page.locator(".mv-step").first.inner_text(),
    }


def _agrees(sidebar: dict[str, str], drawn: dict[str, str]) -> bool:
    return (
        drawn["surface"] == sidebar["surface"]
        and drawn["steps"] == sidebar["steps"]
        and drawn["label"].endswith(f"/ {sidebar['steps']}")
        # The slider prints γ to 4 significant digits (0.5658 for the optimal 0.56580…).
        and math.isclose(float(drawn["gamma"] or "nan"), float(sidebar["gamma"]), rel_tol=1e-4)
    )


def test_every_scenario_in_order_twice_draws_the_sidebars_race(page, streamlit_process):
    page.goto(streamlit_process.url)
    wait_for_app(page, server=streamlit_process)
    page.locator(f"{MAP}[data-draws]").first.wait_for(timeout=30_000)
    for walk in range(2):
        for key in SCENARIOS:
            _choose_scenario(page, key)
            sidebar = _sidebar(page)
            # The map redraws when its last blob arrives (a frame or two after the rerun
            # ends); a stale map never catches up, so a generous wait still fails it.
            deadline = time.monotonic() + 10
            while not _agrees(sidebar, drawn := _map(page)):
                assert time.monotonic() < deadline, (walk, key, sidebar, drawn)
                page.wait_for_timeout(100)
