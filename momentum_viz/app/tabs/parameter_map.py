"""The (α, γ) map tab: how fast every setting converges, from the current start.

Each cell of the map is one run; a click on a cell moves the sliders there, so the map
is also a way to choose α and γ.
"""

from __future__ import annotations

import math

import streamlit as st

from ...numerics.maps import DEFAULT_GRID, stability_boundary
from ...numerics.optimizer import Run
from ...views.parameter_map import STABILITY_LIMITS, parameter_map_figure
from ...views.style import METHOD_LABELS, themed
from .. import state
from ..chart_accessibility import MAP_CONFIG
from ..compute import compute_parameter_map, map_job, parameter_map_key
from ..data_controls import full_batch_map_note
from ..screens import viewer_theme
from ..settings import MAP_METHODS, Settings, surface_of


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """Steps to converge over the whole (α, γ) plane, from the current start."""
    method = st.radio(
        "Method",
        list(MAP_METHODS),
        format_func=METHOD_LABELS.get,
        horizontal=True,
        **state.lasting("map_method"),
    )
    full_batch_map_note(settings)
    surface = surface_of(settings)
    with map_job():
        pmap = compute_parameter_map(
            parameter_map_key(settings), method, lr_decade=math.floor(math.log10(settings.lr))
        )
    boundary = None
    if surface.eigenvalues is not None:  # exact on the bowl; a local model elsewhere
        boundary = stability_boundary(max(surface.eigenvalues), pmap.momenta, method=method)
    fig = parameter_map_figure(
        pmap,
        current=(settings.lr, settings.momentum),
        boundary=boundary,
        title=f"{METHOD_LABELS[method]} on {surface.title}",
    )
    # In a box of its own, which scrolls sideways on a phone (page.PAGE_CSS).
    st.container(key="parameter_map_box").plotly_chart(
        themed(fig, viewer_theme()),
        key="parameter_map",
        theme=None,
        on_select=state.on_parameter_map_select,
        selection_mode="points",
        config=MAP_CONFIG,
        alt=f"(α, γ) map of {METHOD_LABELS[method]} on {surface.title}: the step at which "
        f"each α and γ converges from ({settings.x0:.3g}, {settings.y0:.3g}); a ring marks "
        f"the current α = {settings.lr:.3g}, γ = {settings.momentum:.4g}",
    )
    st.caption(
        f"Every cell is one run of {settings.steps} steps from ({settings.x0:.3g}, "
        f"{settings.y0:.3g}): its colour is the step at which it converged. The bottom row "
        "(γ = 0) is plain SGD. Click a cell to use its α and γ."
        + (f" The dashed line is the theoretical stability limit {STABILITY_LIMITS[method]}."
           if boundary is not None else "")
        + (f" A coarser grid ({pmap.shape[1]} × {pmap.shape[0]}): this surface is costly "
           "to evaluate, and the server computes every student's maps."
           if pmap.shape[1] < DEFAULT_GRID else "")
    )  # fmt: skip
