"""The α family over HTTP (momentum_viz/app/family_route.py), on a real ``serve.py``.

Served by serve.py, the live map names the α family by an address instead of carrying it
with every γ move, and the browser fetches it when the α thumb is first touched. Checked
here: the address answers the very bytes the page would have carried; an address the page
did not make is refused with the reason; a γ move on the live page carries no α family
(the protocol client), and in Chromium the map fetches it on the first touch of α and
previews the drag from it, no rerun.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace

import pytest
from _classes import run_async
from _server import StreamlitServer, grab_slider_thumb, start_streamlit, wait_for_app

from harness.st_client import StreamlitSession
from momentum_viz.app import family_route
from momentum_viz.app.compute import RunKey, compute_family_blob, family_key
from momentum_viz.app.live_map import MAP_KEY, blobs_for
from momentum_viz.app.settings import (
    DATA_SURFACES,
    SLIDER_STOPS,
    SURFACES,
    Settings,
    defaults_for,
    stops_with,
)
from momentum_viz.views.live_map import blob_id, decode, unpack

pytestmark = pytest.mark.server

# A view on each surface, and views that move every run setting off its default: an α
# off the slider's stops, an odd γ, one method, noise, mini-batches, a typed formula.
VIEWS = [defaults_for(name) for name in SURFACES] + [
    replace(defaults_for("quadratic", kappa=30.0), lr=0.0123, momentum=0.77, methods=("nesterov",)),
    replace(defaults_for("multiwell"), noise=0.3, seed=7, x0=2.5, y0=-1.25, steps=400),
    replace(defaults_for(DATA_SURFACES[0], standardize=True), batch_size=8, batches="epoch"),
    defaults_for("custom", expr="x**2 + 3*y**2 + sin(3*x)"),
]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's pages as serve.py's: the α family fetched (undone afterwards)."""
    monkeypatch.setattr(family_route, "_served", False)
    family_route.routes()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("home")))
    with start_streamlit(script="serve.py", env=env) as started:
        yield started


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _map_parts(run) -> list[bytes]:
    """The parts of the map element's data a run sent (views.live_map.pack)."""
    data = run.component_bytes(MAP_KEY)
    assert data is not None, "the run drew no race map"
    return unpack(data)


def _fetched(settings: Settings) -> dict:
    """The race header's "fetch" entry of the α family, as this process's page names it."""
    race = decode(blobs_for(settings).race)[0]
    assert "lr" not in race["families"]
    return race["fetch"]["lr"]


def test_a_page_not_served_by_serve_py_carries_the_alpha_family():
    """``streamlit run app.py`` (and AppTest) has no routes: the family travels."""
    blobs = blobs_for(Settings())
    race = decode(blobs.race)[0]
    assert race["fetch"] == {}
    assert [blob[:16].decode() for blob in blobs.carried[1:]] == [
        race["families"]["momentum"],
        race["families"]["lr"],
    ]


@pytest.mark.parametrize("settings", VIEWS, ids=lambda s: s.surface)
def test_the_address_answers_the_family_the_page_would_carry(served, server, settings):
    fetch = _fetched(settings)
    # The stops the map's own sliders show before the family is here: the slider's.
    assert fetch["values"] == stops_with(SLIDER_STOPS["lr"], settings.lr)
    status, headers, body = _get(f"{server.url}/{fetch['url']}")
    assert status == 200, body[:300]
    assert headers["content-type"] == "application/octet-stream"
    assert "max-age" in headers["cache-control"]
    # The page's own cache entry, byte for byte (what app.py's page carries).
    expected = compute_family_blob(family_key(RunKey.of(settings), "lr"), "lr")
    assert body == expected
    header, _arrays = decode(body[16:])
    assert body[:16].decode() == blob_id(body[16:])
    assert header["values"] == fetch["values"]
    assert header["methods"] == list(settings.methods)


def test_every_alpha_stop_at_one_gamma_shares_one_address(served):
    """One address per family: a class at the same γ asks for (and caches) one thing."""
    at = {stop: _fetched(replace(Settings(), lr=stop))["url"] for stop in SLIDER_STOPS["lr"]}
    assert len(set(at.values())) == 1
    assert _fetched(replace(Settings(), momentum=0.5))["url"] not in at.values()


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("api/family/lr?surface=multiwell&lr=99", 400, "lr = 99 is outside [1e-05, 1]"),
        ("api/family/lr?surface=custom&expr=__import__('os')", 400, "expr = "),
        ("api/family/momentum?surface=multiwell", 404, "one of lr"),
        ("api/family/lr?surface=multiwell&seed=" + "9" * 9000, 414, "longer than 8000"),
    ],
)
def test_an_address_the_page_did_not_make_is_refused_with_the_reason(server, path, status, says):
    got, headers, body = _get(f"{server.url}/{path}")
    assert (got, headers.get("cache-control")) == (status, "no-store"), body[:300]
    assert says in body.decode()


def test_a_gamma_move_on_serve_py_carries_no_alpha_family(server):
    """The protocol client (the browser's messages): the map element's data is the race
    alone, which names the α family's address; the γ family still rides its carrier."""

    async def scenario() -> list[list[bytes]]:
        async with StreamlitSession(server.url, timeout=60) as session:
            runs = [await session.rerun(), await session.set_widget("momentum", 0.5)]
            return [_map_parts(run) for run in runs if run.ok]

    packs = run_async(scenario())  # a thread: Playwright may hold the main thread's loop
    assert len(packs) == 2
    for parts in packs:
        assert len(parts) == 1  # the race, no α family
        race = decode(parts[0])[0]
        assert set(race["families"]) == {"momentum"}
        assert race["fetch"]["lr"]["url"].startswith("api/family/lr?")
    assert "momentum=0.5" in decode(packs[1][0])[0]["fetch"]["lr"]["url"]


@pytest.mark.browser
def test_the_map_fetches_the_alpha_family_on_the_first_touch_and_previews_the_drag(page, server):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/family/" in r.url else None)
    page.goto(server.url + "/?surface=multiwell")
    wait_for_app(page, server=server)
    canvas = page.locator("canvas.mv-map[data-draws]").first
    canvas.wait_for(timeout=30_000)
    assert requests == []  # nothing fetched before α is touched
    x, y = grab_slider_thumb(page, "lr")
    shown = set()
    for i in range(1, 25):
        page.mouse.move(x - 5 * i, y)
        page.wait_for_timeout(40)
        shown.add(canvas.get_attribute("data-shown"))
    assert canvas.get_attribute("data-settled") == "lr=0.3;momentum=0.9"
    assert (
        page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        == "notRunning"
    )
    page.mouse.up()
    assert len(requests) == 1, requests
    assert "momentum=0.9" in requests[0]
    assert len(shown - {"lr=0.3;momentum=0.9"}) >= 3, shown  # α stops drawn during the drag
