"""Accessibility in a real browser (issue 10, goals 5 and 6): axe-core on every tab.

axe-core is the rule engine browsers' own audits use; ``axe-playwright-python`` bundles a
copy (no network). A violation of impact "serious" or "critical" fails the test with the
rule, its impact and the offending elements, on a projector-sized screen and on a phone.

The race map (``st.plotly_chart(..., key="map")``) is being replaced by a custom
component with its own keyboard controls; it is audited by axe like everything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _server import StreamlitServer, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Every tab of the page (momentum_viz.app.settings.VIEWS), opened by its link.
VIEWS = ("race", "3d", "theory", "parameter-map", "basin-map")
# The Plotly charts each tab draws, by their Streamlit key (class "st-key-<key>"). The
# tests wait for these to be drawn before they look at the page.
CHARTS: dict[str, tuple[str, ...]] = {
    "race": ("losses",),
    "3d": ("surface3d",),
    "theory": (),
    "parameter-map": ("parameter_map",),
    "basin-map": ("basins_sgd", "basins_momentum"),
}
DESKTOP = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
SERIOUS = ("serious", "critical")
# Generous: another test run may share the machine's two cores.
LOAD_TIMEOUT = 90_000


@pytest.fixture(params=["desktop", "phone"])
def any_page(request, browser) -> Iterator:
    context = browser.new_context(**(DESKTOP if request.param == "desktop" else PHONE))
    try:
        yield context.new_page()
    finally:
        context.close()


def open_view(page, server: StreamlitServer, view: str) -> None:
    """Open one tab by its link (three wells: local minima, so every tab has content)
    and wait until the script has finished and the tab's charts are drawn."""
    page.goto(f"{server.url}/?surface=multiwell&view={view}")
    wait_for_app(page, timeout=LOAD_TIMEOUT, server=server)
    for key in CHARTS[view]:
        page.locator(f".st-key-{key} .main-svg").first.wait_for(timeout=LOAD_TIMEOUT)
    if view == "theory":
        page.locator('[data-testid="stTable"]').first.wait_for(timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(500)  # plotly's first draw and Streamlit's layout settle


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line per rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; targets: "
        + ", ".join(" > ".join(node["target"]) for node in v["nodes"])
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def test_axe_finds_no_serious_violation_on_any_tab(any_page, streamlit_process):
    found = {}
    for view in VIEWS:
        open_view(any_page, streamlit_process, view)
        violations = serious_violations(any_page)
        if violations:
            found[view] = violations
    assert not found, "axe-core: serious or critical violations\n" + "\n".join(
        f"  {view}: {line}" for view, lines in found.items() for line in lines
    )
