"""The live race map's JavaScript (momentum_viz/app/live_map.js, live_map_blob.js) in
headless Chromium, without a server: Python builds the blobs, the page runs the two
modules as Streamlit would (the default export called with data and a shadow root), and
what the map would draw is checked against Python's own decode.

What this guards that the end-to-end tests cannot see: the JS decoder and dequantizer
against Python's, the family path picked for a thumb's stop (method order, stop index),
blobs a map still needs surviving a long series of moves, and Streamlit's cleanup
semantics (BidiComponent calls the default export again on every change of data and
keeps only the last cleanup; a superseded call's cleanup may run at once).
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from momentum_viz.app.live_map import CODE_JS, LOADER_JS, component_js
from momentum_viz.app.settings import LR_STOPS, MOMENTUM_STOPS
from momentum_viz.numerics.optimizer import simulate
from momentum_viz.views.live_map import (
    blob_id,
    decode,
    dequantize,
    family_blob,
    race_blob,
    surface_blob,
)
from surfaces import SURFACES

pytestmark = pytest.mark.browser

APP = Path(__file__).resolve().parents[1] / "momentum_viz" / "app"
S = SURFACES["rosenbrock"]
STEPS = 200
METHODS = ("sgd", "momentum", "nesterov")
LR, MOMENTUM = 1e-3, 0.9  # both stops of their sliders
SETTLED = {"lr": LR, "momentum": MOMENTUM}
# The blob of each slider's paths, by the slider's parameter name (α: "lr", γ: "momentum").
FAMILY = {"momentum": "gamma_family", "lr": "alpha_family"}


def _paths(lr, momentum) -> dict[str, np.ndarray]:
    return {
        m: simulate(S, m, S.start, lr=lr, momentum=momentum, steps=STEPS).positions for m in METHODS
    }


def _blobs() -> dict[str, bytes]:
    """The surface and both families (each with its 16-byte id, as carried) and the race."""
    stops = {"lr": list(LR_STOPS), "momentum": list(MOMENTUM_STOPS)}
    carried = {"surface": surface_blob(S)}
    for parameter, values in stops.items():
        methods = [m for m in METHODS if not (parameter == "momentum" and m == "sgd")]
        fixed = {"lr": LR, "momentum": MOMENTUM, parameter: np.asarray(values)}
        batch = {m: simulate(S, m, S.start, steps=STEPS, **fixed).positions for m in methods}
        carried[FAMILY[parameter]] = family_blob(S, parameter, values, batch)
    ids = {name: blob_id(blob) for name, blob in carried.items()}
    out = {name: ids[name].encode() + blob for name, blob in carried.items()}
    out["race"] = _race(ids)
    out["race_autoplay"] = _race(ids, autoplay=True)
    out["race_fill"] = _race(ids, fill_screen=True)
    # A race of other settings: its blobs are none of these.
    out["other_race"] = _race({name: f"{name:x>16}" for name in ids})
    return out


def _race(ids: dict[str, str], autoplay: bool = False, fill_screen: bool = False) -> bytes:
    return race_blob(
        S,
        _paths(LR, MOMENTUM),
        lr=LR,
        momentum=MOMENTUM,
        start=S.start,
        replay_ms=8000,
        drawing_height=400,
        font_size=18,
        autoplay=autoplay,
        fill_screen=fill_screen,
        surface_id=ids["surface"],
        family_ids={parameter: ids[name] for parameter, name in FAMILY.items()},
        label="test map",
        sliders={"lr": "#lr", "momentum": "#momentum"},
    )


BLOBS = _blobs()

_SETUP = """async ([blobJs, mapJs, blobs, stops]) => {
    const load = (src) => import(URL.createObjectURL(new Blob([src], {type: "text/javascript"})));
    window.carrier = (await load(blobJs)).default;
    window.liveMap = (await load(mapJs)).default;
    window.bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    window.blobs = blobs;
    for (const [id, [count, index]] of Object.entries(stops)) {
        const input = document.createElement("input");
        Object.assign(input, {type: "range", id, min: 0, max: count - 1});
        input.setAttribute("value", index);  // the thumb at the settled value
        document.body.append(input);
    }
    const host = document.createElement("div");
    host.style.width = "900px";
    document.body.append(host);
    window.root = host.attachShadow({mode: "open"});
    window.render = (name) => liveMap({data: bytes(blobs[name]), parentElement: root,
                                       setTriggerValue: () => {}});
    // One element per carrier, as Streamlit gives each its own.
    window.carriers = {};
    for (const name of ["surface", "gamma_family", "alpha_family"]) {
        carriers[name] = document.createElement("div");
        carrier({data: bytes(blobs[name]), parentElement: carriers[name]});
    }
}"""


@pytest.fixture
def js_page(page):
    page.goto("about:blank")
    page.evaluate(
        _SETUP,
        [
            component_js("live_map_blob.js"),
            component_js("live_map.js"),
            {name: base64.b64encode(blob).decode() for name, blob in BLOBS.items()},
            {
                "lr": [len(LR_STOPS), LR_STOPS.index(LR)],
                "momentum": [len(MOMENTUM_STOPS), MOMENTUM_STOPS.index(MOMENTUM)],
            },
        ],
    )
    return page


def _render(page) -> None:
    """The map's default export called with the race (a function given to evaluate is
    called, so the cleanup it returns is kept in the page, not returned)."""
    page.evaluate("() => { window.cleanup = render('race'); }")


def _set_thumb(page, parameter: str, index: int) -> None:
    """Move a stand-in slider's thumb as react-aria does: its value attribute."""
    page.evaluate(f"document.getElementById('{parameter}').setAttribute('value', '{index}')")
    page.wait_for_timeout(50)  # the map's MutationObserver runs


def _shown(page) -> dict[str, float]:
    """The map's data-shown ("lr=<α>;momentum=<γ>" of the paths it draws), as numbers."""
    page.wait_for_timeout(50)  # the next frame draws
    text = page.locator("canvas.mv-map").get_attribute("data-shown") or ""
    return {k: float(v) for k, v in (item.split("=") for item in text.split(";"))}


def _drawn(page) -> dict[str, list]:
    """What the map would draw now: method → points (x, y pairs; NaN as None)."""
    return page.evaluate(
        """() => Object.fromEntries(root.__momentumVizMap.paths().map(
            (p) => [p.method.key, Array.from(p.points, (v) => Number.isNaN(v) ? null : v)]))"""
    )


def _as_array(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float).reshape(-1, 2)


def test_the_map_draws_the_runs_python_decodes(js_page):
    _render(js_page)
    header, arrays = decode(BLOBS["race"])
    drawn = _drawn(js_page)
    assert list(drawn) == list(METHODS)
    for i, method in enumerate(METHODS):
        expected = dequantize(arrays["paths"][i], header["box"])
        np.testing.assert_allclose(_as_array(drawn[method]), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("parameter", ["momentum", "lr"])
def test_a_thumbs_stop_draws_that_stops_family_paths(js_page, parameter):
    """The preview is the family's path of each method at the thumb's stop, decoded as
    Python decodes it (α's stops run into diverging values: NaN and far points)."""
    _render(js_page)
    header, arrays = decode(BLOBS[FAMILY[parameter]][16:])
    values, offsets = header["values"], arrays["offsets"]
    # (At the settled value's own stop the map draws the settled runs, as it should.)
    indices = [
        i
        for i in (0, 1, len(values) // 2, len(values) - 1)
        if i != values.index(SETTLED[parameter])
    ]
    for index in indices:
        _set_thumb(js_page, parameter, index)
        drawn = _drawn(js_page)
        for m, method in enumerate(header["methods"]):
            k = m * len(values) + index
            expected = dequantize(arrays["points"][offsets[k] : offsets[k + 1]], header["box"])
            np.testing.assert_allclose(
                _as_array(drawn[method]), expected, rtol=0, atol=1e-12, err_msg=f"{method} {k}"
            )
        assert _shown(js_page) == {**SETTLED, parameter: values[index]}


def test_blobs_the_race_names_are_there_whatever_the_order_of_arrival(js_page):
    """The carriers show forty other blobs, then their own again, in the order a walk
    through the scenarios sends them (the surface's carrier announces a blob it showed
    before while the others bring new ones, before the race that names it): the map
    draws the race. Only what the carriers show now is kept."""
    _render(js_page)
    draws = js_page.evaluate(
        """async () => {
            const other = (i) => new Uint8Array(
                [...new TextEncoder().encode(String(i).padStart(16, "0")), 0]);
            for (let i = 0; i < 40; i++) {
                for (const name of ["surface", "gamma_family", "alpha_family"]) {
                    carrier({data: other(3 * i + name.length), parentElement: carriers[name]});
                }
            }
            carrier({data: bytes(blobs.surface), parentElement: carriers.surface});
            for (let i = 40; i < 60; i++) {
                carrier({data: other(i), parentElement: carriers.alpha_family});
            }
            carrier({data: bytes(blobs.gamma_family), parentElement: carriers.gamma_family});
            carrier({data: bytes(blobs.alpha_family), parentElement: carriers.alpha_family});
            const before = Number(root.querySelector("canvas").dataset.draws ?? 0);
            render("race");
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            return [before, Number(root.querySelector("canvas").dataset.draws ?? 0)];
        }"""
    )
    assert draws[1] > draws[0], draws
    kept = js_page.evaluate("[...window.__momentumViz.raw.keys()]")
    assert sorted(kept) == sorted(
        BLOBS[name][:16].decode() for name in ("surface", "gamma_family", "alpha_family")
    )


def test_an_unmounted_carrier_lets_its_blob_go(js_page):
    """A carrier's cleanup (unmount) drops its blob unless another carrier holds it; a
    superseded call's cleanup drops nothing."""
    held = js_page.evaluate(
        """() => {
            const twin = document.createElement("div");
            const first = carrier({data: bytes(blobs.surface), parentElement: twin});
            const second = carrier({data: bytes(blobs.surface), parentElement: twin});
            first();  // superseded: the twin still holds the surface
            const afterSuperseded = window.__momentumViz.raw.size;
            second();  // the twin unmounts; the surface's own carrier still holds it
            const afterTwin = window.__momentumViz.raw.size;
            return [afterSuperseded, afterTwin];
        }"""
    )
    assert held == [3, 3]
    # Every carrier unmounts: nothing is left.
    left = js_page.evaluate(
        """() => {
            for (const name of ["surface", "gamma_family", "alpha_family"]) {
                carrier({data: bytes(blobs[name]), parentElement: carriers[name]})();
            }
            return window.__momentumViz.raw.size;
        }"""
    )
    assert left == 0


def test_a_superseded_renders_cleanup_does_not_take_the_map_down(js_page):
    """BidiComponent runs a superseded call's cleanup at once, before or after the next
    call: either way one live map remains, and it still follows the thumb."""
    roots = "root.querySelectorAll('.mv-root').length"
    listeners = "window.__momentumViz.listeners.size"
    # The cleanup after the next call reused the map.
    js_page.evaluate("() => { window.c1 = render('race'); window.c2 = render('race'); c1(); }")
    assert js_page.evaluate(roots) == 1 and js_page.evaluate(listeners) == 1
    _set_thumb(js_page, "momentum", 0)
    assert _shown(js_page) == {"lr": LR, "momentum": MOMENTUM_STOPS[0]}
    # The cleanup before the next call: that map goes, with its DOM, and a new one comes.
    js_page.evaluate("() => { c2(); window.c3 = render('race'); }")
    assert js_page.evaluate(roots) == 1 and js_page.evaluate(listeners) == 1
    # Unmount: nothing stays behind.
    js_page.evaluate("() => c3()")
    assert js_page.evaluate(roots) == 0 and js_page.evaluate(listeners) == 0


def _playing(page) -> bool:
    return page.evaluate("() => root.__momentumVizMap.playing")


def test_play_on_open_starts_a_new_race_once(js_page):
    js_page.evaluate("() => { window.cleanup = render('race'); }")
    assert not _playing(js_page)  # off: the map waits for Play
    js_page.evaluate("() => { cleanup(); window.cleanup = render('race_autoplay'); }")
    assert _playing(js_page)
    assert js_page.locator("button.mv-play").get_attribute("aria-label") == "Pause"
    # Paused by the user, the same race sent again by a rerun does not start again.
    js_page.evaluate("() => root.__momentumVizMap.togglePlay()")
    js_page.evaluate("() => render('race_autoplay')")
    assert not _playing(js_page)


# --- The control contract (top of live_map.js): "mv-control" in, "mv-map-event" out ----

_LISTEN = """() => {
    window.events = [];
    window.addEventListener("mv-map-event", (e) => events.push(e.detail));
}"""


def _control(page, detail: dict) -> None:
    page.evaluate(
        "(detail) => window.dispatchEvent(new CustomEvent('mv-control', {detail}))", detail
    )


def _frame(page) -> int:
    return int(page.locator("input.mv-frame").input_value())


def test_mv_control_plays_pauses_steps_and_seeks(js_page):
    _render(js_page)
    js_page.evaluate(_LISTEN)
    play = js_page.locator("button.mv-play")
    _control(js_page, {"kind": "frame", "frame": 40})
    assert _frame(js_page) == 40
    _control(js_page, {"kind": "step", "delta": 1})
    _control(js_page, {"kind": "step", "delta": 1})
    _control(js_page, {"kind": "step", "delta": -1})
    assert _frame(js_page) == 41
    _control(js_page, {"kind": "frame", "frame": STEPS + 50})  # clamped to the last step
    assert _frame(js_page) == STEPS
    _control(js_page, {"kind": "play"})
    assert play.get_attribute("aria-label") == "Pause"
    js_page.wait_for_function(
        "Number(document.querySelector('div').shadowRoot.querySelector('input.mv-frame').value) > 0"
    )
    _control(js_page, {"kind": "play"})  # already playing: still playing
    assert play.get_attribute("aria-label") == "Pause"
    _control(js_page, {"kind": "pause"})
    assert play.get_attribute("aria-label") == "Play"
    _control(js_page, {"kind": "pause"})  # already paused: still paused
    assert play.get_attribute("aria-label") == "Play"
    _control(js_page, {"kind": "toggle"})
    assert play.get_attribute("aria-label") == "Pause"
    _control(js_page, {"kind": "toggle"})
    assert play.get_attribute("aria-label") == "Play"
    # What another tab asked is not reported back (a relay would loop).
    assert js_page.evaluate("window.events") == []


@pytest.mark.parametrize("parameter", ["momentum", "lr"])
def test_mv_control_slider_shows_that_stops_family_paths(js_page, parameter):
    """A stop sent by value draws exactly what a local drag to that stop draws."""
    _render(js_page)
    header, _ = decode(BLOBS[FAMILY[parameter]][16:])
    values = header["values"]
    index = 1 if values[1] != SETTLED[parameter] else 2
    _set_thumb(js_page, parameter, index)
    dragged = _drawn(js_page)
    _set_thumb(js_page, parameter, values.index(SETTLED[parameter]))
    assert _shown(js_page) == SETTLED
    _control(js_page, {"kind": "slider", "param": parameter, "value": values[index]})
    assert _shown(js_page) == {**SETTLED, parameter: values[index]}
    assert _drawn(js_page) == dragged
    # A value that is no stop, or a parameter the map has no family of, changes nothing.
    _control(js_page, {"kind": "slider", "param": parameter, "value": values[index] * 1.37})
    _control(js_page, {"kind": "slider", "param": "noise", "value": 0.1})
    assert _shown(js_page) == {**SETTLED, parameter: values[index]}
    # Back to the settled value: the settled runs again.
    _control(js_page, {"kind": "slider", "param": parameter, "value": SETTLED[parameter]})
    assert _shown(js_page) == SETTLED


def test_a_slider_stop_sent_before_its_family_is_shown_when_the_family_arrives(js_page):
    """A followed page may get the lecturer's stop while its γ family's carrier is still
    coming (a rerun's race first): the stop is shown once the family is there."""
    js_page.evaluate(
        """() => carrier({data: new Uint8Array([...new TextEncoder().encode("0".repeat(16)), 0]),
                          parentElement: carriers.gamma_family})"""
    )  # the carrier shows another blob: the race's γ family is not in the registry
    _render(js_page)
    values = decode(BLOBS["gamma_family"][16:])[0]["values"]
    stop = values[1] if values[1] != MOMENTUM else values[2]
    _control(js_page, {"kind": "slider", "param": "momentum", "value": stop})
    assert _shown(js_page) == SETTLED
    js_page.evaluate(
        "() => carrier({data: bytes(blobs.gamma_family), parentElement: carriers.gamma_family})"
    )
    assert _shown(js_page) == {**SETTLED, "momentum": stop}


def test_a_map_that_fills_the_screen_grows_when_what_is_above_it_goes(js_page):
    """Lecture mode: the map is as tall as the screen below its top. A banner above it
    that goes (on a first load, Streamlit's own spacing before the page's style sheet)
    moves its top with no resize of its own box: the map grows to the room it got."""
    js_page.set_viewport_size({"width": 1280, "height": 720})
    js_page.evaluate(
        """() => { const spacer = document.createElement("div");
                   spacer.id = "spacer"; spacer.style.height = "300px";
                   document.body.prepend(spacer);
                   window.cleanup = render("race_fill"); }"""
    )
    canvas = js_page.locator("canvas.mv-map")
    js_page.wait_for_timeout(100)
    small = canvas.bounding_box()["height"]
    js_page.evaluate("() => document.getElementById('spacer').remove()")
    js_page.wait_for_timeout(800)  # the map looks at its top every 0.5 s
    grown = canvas.bounding_box()
    assert grown["height"] >= small + 250, (small, grown)
    assert grown["y"] + grown["height"] <= 720


def test_the_local_users_moves_are_dispatched_as_mv_map_events(js_page):
    _render(js_page)
    js_page.evaluate(_LISTEN)
    js_page.locator("button.mv-back").click()
    js_page.locator("button.mv-forward").click()
    js_page.locator("input.mv-frame").fill("17")  # a seek: the range input's input event
    js_page.locator("button.mv-play").click()
    js_page.locator("button.mv-play").click()
    values = decode(BLOBS["gamma_family"][16:])[0]["values"]
    _set_thumb(js_page, "momentum", 0)  # the sidebar's thumb, dragged
    assert js_page.evaluate("window.events") == [
        {"kind": "step", "delta": -1},
        {"kind": "step", "delta": 1},
        {"kind": "frame", "frame": 17},
        {"kind": "play"},
        {"kind": "pause"},
        {"kind": "slider", "param": "momentum", "value": values[0]},
    ]


_LOAD_LATE = """async ([loaderJs, codeJs]) => {
    const load = (src) => import(URL.createObjectURL(new Blob([src], {type: "text/javascript"})));
    const element = () => {
        const host = document.createElement("div");
        host.style.width = "900px";
        document.body.append(host);
        return host.attachShadow({mode: "open"});
    };
    const drawn = (shadow) => shadow.querySelector("canvas.mv-map[data-draws]") !== null;
    const loader = (await load(loaderJs)).default;
    const early = element();
    loader({data: bytes(blobs.race), parentElement: early, setTriggerValue: () => {}});
    const before = drawn(early);
    await load(codeJs);  // the code's element runs its module
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = element();  // a map whose code is already here draws at once
    loader({data: bytes(blobs.race), parentElement: late, setTriggerValue: () => {}});
    await new Promise((resolve) => setTimeout(resolve, 100));  // its first frame
    return [before, drawn(early), drawn(late) && late.__momentumVizMap !== undefined];
}"""


def test_a_map_element_waits_for_its_code_and_then_draws(js_page):
    """The map's element holds only a loader (app/live_map.py): a map that arrives before
    the code's element has run draws once it has, and a later one draws too."""
    assert js_page.evaluate(_LOAD_LATE, [LOADER_JS, CODE_JS]) == [False, True, True]
