"""The basin map tab: which minimum each start point reaches, SGD beside momentum.

It makes the claim "momentum escapes shallow minima" measurable: the share of starts
that reach a global minimum, for each method at the current α and γ.
"""

from __future__ import annotations

import streamlit as st

from ...numerics.maps import DEFAULT_BASIN_RESOLUTION
from ...numerics.optimizer import Run
from ...views.basin_map import basin_map_figure
from ...views.style import METHOD_LABELS, themed
from ..chart_accessibility import MAP_CONFIG
from ..compute import basin_map_key, compute_basin_map, map_job
from ..screens import viewer_theme
from ..settings import Settings, surface_of


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """Which minimum each start point reaches, SGD beside momentum."""
    surface = surface_of(settings)
    if not surface.minima:
        st.info(
            "This surface has no minimum inside its bounds, so no start point ends at one: "
            "there are no basins to map."
        )
        return
    if len(surface.minima) < 2:
        st.info(
            "This surface has a single minimum, so every start that converges ends there. "
            "Pick the three wells, Himmelblau, six-hump camel or Styblinski–Tang."
        )
        return
    cols = st.columns(2)
    for col, method in zip(cols, ("sgd", "momentum"), strict=True):
        with map_job():
            bmap = compute_basin_map(basin_map_key(settings), method, maps_on_page=len(cols))
        label = METHOD_LABELS[method]
        title = f"{label} (α = {settings.lr:.3g}" + (
            f", γ = {settings.momentum:.4g})" if method != "sgd" else ")"
        )
        with col:
            st.plotly_chart(
                themed(
                    basin_map_figure(bmap, surface, title=title, start=(settings.x0, settings.y0)),
                    viewer_theme(),
                ),
                key=f"basins_{method}",
                theme=None,
                config=MAP_CONFIG,
                alt=f"Basin map of {title} on {surface.title}: which minimum the run from "
                "each start point reaches",
            )
            global_share = sum(
                share
                for code, share in bmap.fractions().items()
                if code >= 0 and surface.minima[code].is_global
            )
            st.metric(f"{label}: starts reaching a global minimum", f"{global_share:.0%}")
            if bmap.shape[0] < DEFAULT_BASIN_RESOLUTION:
                st.caption(
                    f"A coarser grid ({bmap.shape[1]} × {bmap.shape[0]} starts): this formula "
                    "is costly to evaluate, and the server computes every student's maps."
                )
