"""The live race map: Streamlit's side of the canvas component in ``live_map.js``.

Why a component of our own and not ``st.plotly_chart`` (measured in Chromium):
a γ move redrew a 600 KiB animated Plotly figure in 0.7–1.6 s, and Streamlit's sliders
send their value only on release, so nothing moved during a drag. The component draws
the map on a canvas from compact blobs (``views/live_map.py``): it replays the runs
itself, and while α's or γ's thumb is dragged it switches between paths computed in
advance for every stop of that slider, with no round trip; on release the rerun settles
the table, the loss chart and the link as before. There is still one control per
parameter: the sidebar's sliders, which the component watches (``watchSliders`` in the JS).

Four elements. Drawn by the page outside its live part (:func:`carry_surface`): the map's
code (``live_map.js``, sent once per page; the map's own element holds a small loader,
``live_map_loader.js``) and an invisible carrier of the surface. In the live part: a
carrier of the γ family, and the map, whose data packs the runs with the α family
(``views.live_map.pack``), or, served by serve.py, names the α family's address: the
browser fetches it when the α thumb is first touched (app/family_route.py). A γ move, the
app's subject, changes the runs and the α family: they travel together, since every
element costs the server work of its own; the γ family, unchanged, is sent as a reference
to the browser's copy (Streamlit's message cache), as are the code and the surface on a
whole page's run.
"""

from __future__ import annotations

from importlib.resources import files

import streamlit as st

from ..views.live_map import pack
from . import state
from .chart_accessibility import method_list
from .compute import LiveMapBlobs, live_map_blobs
from .family_route import family_urls
from .settings import Settings, title_of

_HERE = files(__package__)


def component_js(name: str) -> str:
    """The module text of a component: the shared helpers and blob registry
    (``live_map_core.mjs``; a component is one module and cannot import a file), then
    ``name`` (``live_map.js`` or ``live_map_blob.js``)."""
    parts = ("live_map_core.mjs", name)
    return "\n".join((_HERE / part).read_text(encoding="utf-8") for part in parts)


def component_css() -> str:
    """The map's style sheet."""
    return (_HERE / "live_map.css").read_text(encoding="utf-8")


# The map's code travels once per page, on an element outside the live part that draws
# nothing (live_map_loader.js says how the map finds it): sent with the map, it was 53 KB
# of every move's 98 KB, serialized, hashed and written again each time.
_INSTALL_CODE = """
{
  const code = (globalThis.__momentumVizLiveMapCode ??= {});
  code.ready ??= new Promise((resolve) => { code.resolve = resolve; });
  code.render = renderLiveMap;
  code.resolve(renderLiveMap);
}
"""
CODE_JS = component_js("live_map.js") + _INSTALL_CODE
LOADER_JS = (_HERE / "live_map_loader.js").read_text(encoding="utf-8")
_CODE = st.components.v2.component("momentum_viz.live_map_code", js=CODE_JS)
_MAP = st.components.v2.component("momentum_viz.live_map", js=LOADER_JS, css=component_css())
_CARRIER = st.components.v2.component(
    "momentum_viz.live_map_blob", js=component_js("live_map_blob.js")
)
# The carriers' keys (page.PAGE_CSS hides their empty element containers) and the map's.
CODE_KEY = "live_map_code"
SURFACE_KEY = "live_surface"
GAMMA_FAMILY_KEY = "live_gamma_family"
MAP_KEY = "race_map"


def map_label(settings: Settings) -> str:
    """The map's accessible name: what it shows, in one sentence."""
    runs = method_list(settings.methods) or "no method"
    if settings.anatomy:
        return (
            f"The step {settings.anatomy_step} of {runs} on the map, taken apart into "
            "arrows: the gradient step, the carried velocity and their sum, the move."
        )
    return (
        f"Race map on {title_of(settings)}: the paths of {runs} from "
        f"({settings.x0:.3g}, {settings.y0:.3g}) with α = {settings.lr:.3g} and "
        f"γ = {settings.momentum:.4g}, drawn over the surface's level lines. "
        "Press Play to replay them."
    )


def blobs_for(settings: Settings) -> LiveMapBlobs:
    """The live map's blobs for ``settings``, as this server sends them (the α family
    carried or fetched: app/family_route.py)."""
    return live_map_blobs(settings, map_label(settings), family_urls(settings))


def carry(blob: bytes, key: str) -> None:
    """One carrier element: ``blob`` (16 characters of id, then the blob) in the
    browser's registry, where the map finds it by its id."""
    _CARRIER(data=blob, key=key, height=0)


def carry_surface(settings: Settings) -> None:
    """The map's code and the surface's carrier, drawn by the page outside its live part
    (app/page.py): a move of α or γ leaves them as they are, so they are not sent, nor
    hashed, again. The code's element gets no data and draws nothing."""
    _CODE(key=CODE_KEY, height=0)
    carry(blobs_for(settings).carried[0], SURFACE_KEY)


def render(settings: Settings) -> None:
    """The γ family's carrier, then the map with its runs and the α family (a click on it
    sets the start point); the surface's carrier is above them (:func:`carry_surface`)."""
    blobs = blobs_for(settings)
    _surface, gamma_family, *alpha_family = blobs.carried  # none when fetched
    carry(gamma_family, GAMMA_FAMILY_KEY)
    _MAP(
        data=pack((blobs.race, *alpha_family)),
        key=MAP_KEY,
        on_click_change=state.on_live_map_click,
        on_slider_change=state.on_live_map_slider,  # α, γ under the map on a phone
        on_theme_change=_rerun_for_the_theme,
    )


def _rerun_for_the_theme() -> None:
    """The viewer switched light/dark: nothing to store (the theme is the viewer's, never
    the lesson's); the rerun this callback belongs to draws the charts in the new theme
    (the browser sends its theme with every run: screens.viewer_theme)."""
