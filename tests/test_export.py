"""Downloads: the CSV holds exactly the runs after the settings they show; the HTML is
the live map's canvas component, self-contained, and says what it shows; the file names
carry the settings, so two downloads of different settings never collide."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import replace
from html import escape

import numpy as np
import pytest

from momentum_viz import simulate
from momentum_viz.app.compute import runs_for
from momentum_viz.app.deck import Deck, Slide
from momentum_viz.app.exports import (
    file_stem,
    offline_deck_file,
    offline_map_file,
    settings_line,
    settings_table,
    trajectories_file,
)
from momentum_viz.app.settings import CUSTOM, Settings, from_query_params
from momentum_viz.views.export import (
    CSV_COLUMNS,
    offline_deck_html,
    offline_map_html,
    trajectories_csv,
)
from momentum_viz.views.live_map import decode as decode_blob
from surfaces import SURFACES


@pytest.fixture(scope="module")
def runs():
    s = SURFACES["multiwell"]
    return {
        m: simulate(s, m, s.start, lr=s.lr, momentum=0.9, steps=40, noise=0.1, seed=3)
        for m in ("sgd", "momentum", "nesterov")
    }


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))


def test_csv_round_trips_every_step_of_every_run(runs):
    rows = _rows(trajectories_csv(runs, [("alpha", "0.3")]))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 3 * 41
    for method, run in runs.items():
        mine = [r for r in rows if r["method"] == method]
        assert [int(r["step"]) for r in mine] == list(range(41))
        table = np.array([[float(r[c]) for c in ("x", "y", "loss", "vx", "vy")] for r in mine])
        # repr() of floats round-trips exactly
        np.testing.assert_array_equal(table[:, :2], run.positions)
        np.testing.assert_array_equal(table[:, 2], run.losses)
        np.testing.assert_array_equal(table[:, 3:], run.velocities)


def test_csv_rejects_batches():
    batch = simulate("rosenbrock", "sgd", np.zeros((2, 2)), lr=1e-3, steps=3)
    with pytest.raises(ValueError, match="single run"):
        trajectories_csv({"sgd": batch})


NOISY = Settings(
    surface="multiwell", methods=("sgd", "momentum"), lr=0.3, momentum=0.9, steps=40,
    noise=0.1, seed=3, x0=-3.5, y0=2.5,
)  # fmt: skip


def test_csv_starts_with_the_settings_and_its_link_reopens_them():
    text = trajectories_file(NOISY, runs_for(NOISY))
    header = dict(
        line[2:].rstrip("\n").split(": ", 1) for line in io.StringIO(text) if line[0] == "#"
    )
    assert header["surface"] == SURFACES["multiwell"].title
    assert header["methods"] == "SGD and Momentum"
    assert (header["alpha"], header["gamma"], header["steps"]) == ("0.3", "0.9", "40")
    assert header["start"] == "-3.5, 2.5"
    assert (header["noise sigma"], header["seed"]) == ("0.1", "3")
    link = dict(pair.split("=") for pair in header["link"].lstrip("?").split("&"))
    link["methods"] = link["methods"].replace("%2C", ",")
    assert from_query_params(link)[0] == NOISY
    assert len(_rows(text)) == 2 * 41


def test_a_formula_with_line_breaks_stays_one_comment_line():
    text = trajectories_csv({}, [("formula", "x**2\n+ y**2\r\nmethod,step")])
    assert text.splitlines() == ["# formula: x**2 + y**2 method,step", ",".join(CSV_COLUMNS)]


@pytest.mark.parametrize(
    "change",
    [
        {"momentum": 0.95},
        {"lr": 0.2},
        {"steps": 50},
        {"x0": -3.0},
        {"y0": 2.0},
        {"methods": ("sgd",)},
        {"noise": 0.2},
        {"seed": 4},
        {"surface": "rosenbrock"},
    ],
)
def test_file_names_differ_when_a_key_setting_does(change):
    assert file_stem(replace(NOISY, **change)) != file_stem(NOISY)


def test_file_names_are_safe_and_tell_custom_formulas_apart():
    a = Settings(surface=CUSTOM, expr="x**2 + y**2", methods=("sgd",))
    b = replace(a, expr="x**2 + 2*y**2")
    for stem in (file_stem(a), file_stem(b), file_stem(NOISY)):
        assert re.fullmatch(r"[A-Za-z0-9._+-]+", stem), stem
    assert file_stem(a) != file_stem(b)
    assert file_stem(replace(a, xmax=2.0)) != file_stem(a)


def test_the_html_title_line_says_what_the_map_shows():
    line = settings_line(NOISY)
    for part in ("SGD and Momentum", "α = 0.3", "γ = 0.9", "40 steps", "(−3.5, 2.5)", "σ = 0.1"):
        assert part in line, (part, line)
    html = offline_map_file(NOISY)
    assert f'<h1 class="mv-title">Momentum race on {SURFACES["multiwell"].title}</h1>' in html
    assert line in html


def test_the_html_is_the_canvas_component_small_and_self_contained():
    html = offline_map_file(Settings())
    assert html.lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert len(html.encode()) < 1_000_000, len(html.encode())  # was 5.6 MB with plotly.js
    assert "plotly" not in html.lower()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "default-src 'none'" in html  # the page may not fetch anything
    assert "renderLiveMap" in html and "holdBlob" in html


def test_user_text_in_the_html_is_escaped():
    hostile = Settings(surface=CUSTOM, expr="x**2 + y**2", methods=("sgd",))
    html = offline_map_html(
        title="<img src=x onerror=alert(1)>",
        settings_line=settings_line(replace(hostile, expr="</p><script>alert(1)</script>")),
        carried=[],
        race=b"",
        module_js="",
        css="",
    )
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    with pytest.raises(ValueError, match="</script"):
        offline_map_html(
            title="t", settings_line="s", carried=[], race=b"", module_js="'</script>'", css=""
        )


def test_settings_table_names_the_formula_of_a_custom_surface():
    table = dict(settings_table(Settings(surface=CUSTOM, expr="x**2 + y**2")))
    assert table["formula"] == "x**2 + y**2"
    assert table["box"] == "x -3 … 3, y -3 … 3"


def _deck_data(html: str) -> dict:
    payload = re.search(r'<script type="application/json" id="mv-data">(.*?)</script>', html, re.S)
    return json.loads(payload.group(1))


def test_the_deck_html_holds_every_slide_race_and_each_surface_once():
    deck = Deck(
        "Two surfaces",
        (
            Slide("Valley", "Say: slow.", {"surface": "rosenbrock"}),
            Slide("Valley, momentum", "", {"surface": "rosenbrock", "momentum": "0.5"}),
            Slide("Wells", "", {"surface": "multiwell", "view": "theory"}),
        ),
    )
    html = offline_deck_file(deck)
    data = _deck_data(html)
    assert [s["title"] for s in data["slides"]] == ["Valley", "Valley, momentum", "Wells"]
    assert data["slides"][0]["note"] == "Say: slow."
    races = [decode_blob(base64.b64decode(s["race"]))[0] for s in data["slides"]]
    carried = [base64.b64decode(b64) for b64 in data["carried"]]
    # Each race names a surface the page carries, and the two Rosenbrock slides share one.
    assert sorted(blob[:16].decode() for blob in carried) == sorted(
        {race["surface"] for race in races}
    )
    assert len(carried) == 2
    for slide, race in zip(deck.slides, races, strict=True):
        settings = slide.settings()
        assert (race["lr"], race["momentum"]) == (settings.lr, settings.momentum)
        assert race["fill_screen"]  # the lecture layout: the map as tall as the screen
    assert data["slides"][1]["settings"] == settings_line(deck.slides[1].settings())
    assert "default-src 'none'" in html
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)


def test_user_text_in_the_deck_html_is_data_never_markup():
    hostile = "</script><script>alert(1)</script> **bold**"
    deck = Deck(hostile, (Slide(hostile, hostile, {"surface": "multiwell"}),))
    html = offline_deck_file(deck)
    assert "<script>alert" not in html
    data = _deck_data(html)  # the JSON round-trips the text exactly
    assert data["slides"][0]["title"] == data["slides"][0]["note"] == hostile
    assert f"<title>{escape(hostile)}</title>" in html
    with pytest.raises(ValueError, match="slides"):
        offline_deck_html(title="t", slides=[], carried=[], module_js="", css="")
