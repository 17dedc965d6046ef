"""The app's graphics in the viewer's theme (views/style.py THEMES, themed()): every colour
pair the dark theme draws is computed here, as the light theme's already are
(tests/test_figures.py): text ≥ 4.5:1 on what it stands on, lines and borders ≥ 3:1.

Luminances by WCAG 2.1's formula (written out below, not taken from the code under test);
the page colours cross-checked against .streamlit/config.toml, which Streamlit applies.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import surfaces
from momentum_viz.numerics.maps import basin_map, default_axes, parameter_map
from momentum_viz.numerics.optimizer import simulate
from momentum_viz.views.basin_map import basin_map_figure
from momentum_viz.views.curves import loss_figure
from momentum_viz.views.parameter_map import parameter_map_figure
from momentum_viz.views.style import (
    MAP_COLORSCALE,
    METHOD_COLORS,
    THEMES,
    theme_colors,
    themed,
)
from momentum_viz.views.surface3d import surface3d_figure

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#RRGGBB``."""
    channels = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_by_hand():
    # Black on white is 21:1; #777777 (luminance 0.1845, by hand) on white 4.48:1.
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(1.05 / 0.2345, rel=1e-3)


def test_the_themes_are_the_pages_streamlit_shows():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["theme"]
    for kind, colours in THEMES.items():
        assert colours["page"].lower() == config[kind]["backgroundColor"].lower(), kind
    assert theme_colors(None) is THEMES["light"]  # before the browser has said
    assert theme_colors("no such theme") is THEMES["light"]


@pytest.mark.parametrize("kind", list(THEMES))
def test_text_and_borders_stand_out_from_the_page(kind):
    colours = THEMES[kind]
    # The map's ticks, labels, colour-bar labels, legend text and the charts' text.
    assert contrast(colours["text"], colours["page"]) >= 4.5
    # The replay buttons' borders (WCAG 1.4.11, user-interface components).
    assert contrast(colours["control_border"], colours["page"]) >= 3.0


@pytest.mark.parametrize("kind", list(THEMES))
def test_paths_stand_out_from_what_they_cross(kind):
    colours = THEMES[kind]
    # The data areas are pale in both themes: the loss curves on "plot", the legend's keys
    # on it too, and the map's paths on every colour of its scale (monotone in luminance:
    # its stops bound it).
    grounds = [colours["plot"], *(str(stop) for _, stop in MAP_COLORSCALE)]
    for ground in grounds:
        for line in METHOD_COLORS.values():
            assert contrast(line, ground) >= 3.0, (kind, line, ground)


def _figures() -> dict[str, Any]:
    bowl = surfaces.get_surface("multiwell")
    runs = {
        method: simulate(bowl, method, bowl.start, lr=bowl.lr, momentum=0.9, steps=30)
        for method in METHOD_COLORS
    }
    lrs, momenta = default_axes(bowl, n_lr=6, n_mom=5)
    pmap = parameter_map(bowl, "momentum", bowl.start, lrs=lrs, momenta=momenta, steps=30)
    bmap = basin_map(bowl, "momentum", lr=bowl.lr, momentum=0.9, steps=30, resolution=12)
    return {
        "losses": lambda: loss_figure({m: r.losses for m, r in runs.items()}, offset=0.0),
        "parameter map": lambda: parameter_map_figure(pmap, current=(bowl.lr, 0.9)),
        "basin map": lambda: basin_map_figure(bmap, bowl, title="basins", start=bowl.start),
        "3-D": lambda: surface3d_figure(bowl, {m: r.positions for m, r in runs.items()}),
    }


def _page_text_colours(layout: dict, path: str = "") -> list[tuple[str, str]]:
    """Every colour of the layout that stands on the page: font colours (titles, ticks,
    legend, colour bars) and axis colours, with where they are; not the template (the
    layout's own values override it)."""
    found = []
    for key, value in layout.items():
        where = f"{path}.{key}"
        if key in ("template", "legend"):  # the legend has a box of its own (checked below)
            continue
        if isinstance(value, dict):
            found += _page_text_colours(value, where)
        elif key == "color" and ("font" in path or path.endswith("axis")):
            found.append((where, value))
    return found


def test_dark_figures_have_light_text_on_the_dark_page():
    page, text = THEMES["dark"]["page"], THEMES["dark"]["text"]
    for name, build in _figures().items():
        light = build()
        assert themed(light, "light") is light  # built for the light theme: as it is
        figure = themed(build(), "dark").to_plotly_json()
        layout = figure["layout"]
        assert layout["paper_bgcolor"] == page, name
        colours = _page_text_colours(layout)
        for trace in figure["data"]:
            colours += _page_text_colours({"colorbar": trace.get("colorbar", {})}, "trace")
        assert colours, name
        for where, colour in colours:
            assert contrast(colour, page) >= 4.5, (name, where, colour)
        assert layout["font"]["color"] == text
        # The legend: a pale box whose keys are the methods' lines, and text legible on it.
        legend = layout["legend"]
        assert contrast(legend["font"]["color"], legend["bgcolor"]) >= 4.5, name
        for line in METHOD_COLORS.values():
            assert contrast(line, legend["bgcolor"]) >= 3.0, (name, line)
        if "scene" in layout:
            for axis in ("xaxis", "yaxis", "zaxis"):
                assert contrast(layout["scene"][axis]["color"], page) >= 4.5, (name, axis)
