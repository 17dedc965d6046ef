"""The look shared by every figure: method colours and line styles, the map's colour scale,
marker shapes, font size and the trace names other code finds traces by.

One place, so the race map, the loss curves, the 3-D view and the (α, γ) and basin maps
cannot drift apart: a method is the same colour, dash and marker everywhere, and a minimum
looks the same on every map.
"""

from __future__ import annotations

from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio

# Okabe–Ito hues (distinguishable with the common colour-vision deficiencies): dark,
# saturated lines that keep ≥ 3:1 contrast (WCAG, graphics) against every colour of the
# map's scale below, also on a washed-out projector. Okabe–Ito's vermillion (#D55E00) is
# only 3.2:1 even on the map's cream and 1.5:1 on its old blue, so momentum takes a darker
# vermillion of the same hue.
METHOD_COLORS: dict[str, str] = {
    "sgd": "#1A1A1A",  # near-black: the plain baseline
    "momentum": "#B34700",  # dark vermillion
    "nesterov": "#0072B2",  # blue
}
METHOD_LABELS: dict[str, str] = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov"}
# Dash and marker shape differ too, so the runs stay apart in greyscale or for colour-blind
# eyes: no two methods share a dash or a marker.
METHOD_DASHES: dict[str, str] = {"sgd": "dot", "momentum": "solid", "nesterov": "dash"}
METHOD_SYMBOLS: dict[str, str] = {"sgd": "circle", "momentum": "diamond", "nesterov": "square"}
# The order the maps draw the paths in, bottom to top: the zig-zagging momentum line
# first, then SGD, then dashed Nesterov on top (where it runs along either, the other shows
# through its gaps). Methods not listed go on top.
METHOD_DRAW_ORDER: tuple[str, ...] = ("momentum", "sgd", "nesterov")


def draw_rank(method: str) -> int:
    """A method's place in :data:`METHOD_DRAW_ORDER` (sort key; unlisted ones last)."""
    if method in METHOD_DRAW_ORDER:
        return METHOD_DRAW_ORDER.index(method)
    return len(METHOD_DRAW_ORDER)


METHOD_LINE_WIDTHS: dict[str, float] = {"sgd": 4.0, "momentum": 3.5, "nesterov": 3.5}
DEFAULT_LINE_WIDTH = 3.0
# Methods without a style of their own (any name may be passed) cycle through the rest of
# the Okabe–Ito palette.
FALLBACK_COLORS = ("#CC79A7", "#E69F00", "#56B4E9", "#009E73")

# A pale scale, light blue (low) to cream (high): valleys still read as water, and every
# method colour above keeps ≥ 3:1 on every part of it (its darkest colour has relative
# luminance 0.62); the iso-lines carry the shape.
MAP_COLORSCALE: list[list[float | str]] = [
    [0.0, "#bad1e3"],
    [0.35, "#d3e2ec"],
    [0.7, "#ece9dc"],
    [1.0, "#f8f5ee"],
]
ISO_LINE_COLOR = "rgba(30, 40, 50, 0.45)"
# Chart text: 18 px is legible from the back of a lecture hall at 1280×720; lecture mode
# goes larger. Dark grey on white (14.8:1), as Streamlit's own text. The figures carry
# their own fonts and colours: the app draws them with ``theme=None`` (Streamlit's chart
# theme would replace them by 12–14 px #808495, 3.7:1).
FONT_SIZE = 18
LECTURE_FONT_SIZE = 22
TEXT_COLOR = "#262730"
# Borders of controls drawn inside a figure (Play/Pause): 5.7:1 on white.
CONTROL_BORDER_COLOR = "#5a6270"

# The page's two themes (.streamlit/config.toml, [theme.light] and [theme.dark]; the viewer
# picks one, by default the system's). What stands on the page takes the theme's colours:
# text, ticks, titles, legends, the colour bar's labels, the map's frame and its control
# borders. The data areas stay pale in both (the maps' colour scale, and "plot" behind the
# loss curves): the method colours, markers and scale above were chosen and checked against
# them (≥ 3:1), so a method keeps one colour everywhere and in either theme, and a dark room
# sees a dark page with a lit map on it. tests/test_theme_contrast.py computes each pair.
# Never part of a link, a slide or a class's state: the viewer's own preference.
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "page": "#ffffff",
        "text": TEXT_COLOR,
        "control_border": CONTROL_BORDER_COLOR,
        "plot": "#ffffff",
        "grid": "#e1e5ea",
    },
    "dark": {
        "page": "#14171c",  # config.toml's [theme.dark] backgroundColor
        "text": "#e8eaf0",  # 15:1 on the page
        "control_border": "#9aa3b2",  # 7.1:1
        "plot": "#eef1f5",
        "grid": "#c9d0d9",
    },
}
DEFAULT_THEME = "light"


def theme_colors(theme: str | None) -> dict[str, str]:
    """The colours of ``theme`` ("light" or "dark"); an unknown or missing one (Streamlit
    does not know the viewer's theme before the browser has said it) is the light theme."""
    return THEMES.get(theme or DEFAULT_THEME, THEMES[DEFAULT_THEME])


def themed(figure: go.Figure, theme: str | None) -> go.Figure:
    """Give a figure built for the light theme the page colours of ``theme``, in place.

    The light theme's figure is returned as built (the figures are made for it). For the
    dark one: page-coloured paper, light text on every axis, title and colour bar, the pale
    plot area behind lines and a grid that shows on it; the legend keeps a pale box with
    the light theme's text, since its keys are the methods' lines (near-black SGD).
    """
    colours = theme_colors(theme)
    if colours is THEMES[DEFAULT_THEME]:
        return figure
    text = colours["text"]
    figure.update_layout(
        paper_bgcolor=colours["page"],
        plot_bgcolor=colours["plot"],
        font_color=text,
        title_font_color=text,
        legend_font_color=THEMES[DEFAULT_THEME]["text"],
        legend_bgcolor=colours["plot"],
    )
    figure.update_xaxes(color=text, gridcolor=colours["grid"])
    figure.update_yaxes(color=text, gridcolor=colours["grid"])
    axis = {"color": text, "backgroundcolor": colours["page"], "gridcolor": "#5a6270"}
    figure.update_scenes(xaxis=axis, yaxis=axis, zaxis=axis)
    for trace in figure.data:
        if "colorbar" in trace:
            trace.colorbar.update(tickfont_color=text, title_font_color=text)
    return figure


# Trace names that other code looks traces up by, so they are part of the figures' contract.
ISO_LINES_NAME = "iso-lines"
# Clickable markers: the race map's invisible grid is named exactly this; the (α, γ) map's
# cell traces are named "<CLICK_GRID_NAME>: <status>", one trace per status.
CLICK_GRID_NAME = "click-grid"

GLOBAL_MIN_COLOR = "#F0C419"
GLOBAL_MIN_MARKER = {
    "symbol": "star",
    "size": 22,
    "color": GLOBAL_MIN_COLOR,
    "line": {"color": "black", "width": 1.5},
}
LOCAL_MIN_MARKER = {
    "symbol": "x-thin",
    "size": 14,
    "color": "white",
    "line": {"color": "#222222", "width": 3},
}
START_MARKER = {  # the race map's start point
    "symbol": "circle",
    "size": 14,
    "color": "white",
    "line": {"color": "black", "width": 2.5},
}
# The basin map draws its start point one size smaller than the race map does.
BASIN_START_MARKER = {**START_MARKER, "size": 13}
CURRENT_PARAMETERS_MARKER = {  # the current (α, γ) on the parameter map
    "symbol": "circle-open",
    "size": 18,
    "color": "black",
    "line": {"color": "black", "width": 3},
}


def method_style(method: str, order: int) -> tuple[str, str, str, str]:
    """Return colour, label, dash and marker symbol of a method.

    ``order`` is the method's position among the runs drawn: a method without a style of its
    own takes the fallback colour at that position, so two unknown methods differ.
    """
    color = METHOD_COLORS.get(method, FALLBACK_COLORS[order % len(FALLBACK_COLORS)])
    label = METHOD_LABELS.get(method, method)
    return color, label, METHOD_DASHES.get(method, "dot"), METHOD_SYMBOLS.get(method, "x")


def line_width(method: str) -> float:
    """Return the line width of a method's path and loss curve."""
    return METHOD_LINE_WIDTHS.get(method, DEFAULT_LINE_WIDTH)


@lru_cache(maxsize=8)
def template(name: str) -> dict:
    """Return a registered plotly.py template as a plain dict.

    A layout that names a template makes plotly.py validate the whole template (~15 ms) on
    every figure; the figures built without validation take this dict instead. Shared:
    never mutate it (``go.Figure`` copies it).
    """
    return pio.templates[name].to_plotly_json()
