"""The 3-D tab: the same runs drawn on the surface itself, to turn and look at."""

from __future__ import annotations

import streamlit as st

from ...numerics.optimizer import Run
from ...views.style import themed
from ...views.surface3d import surface3d_figure
from ..chart_accessibility import SURFACE3D_CONFIG, method_list
from ..screens import viewer_theme
from ..settings import Settings, surface_of


def render(settings: Settings, runs: dict[str, Run]) -> None:
    """The surface in 3-D with every method's path on it."""
    surface = surface_of(settings)
    paths = {method: run.positions for method, run in runs.items()}
    st.plotly_chart(
        themed(surface3d_figure(surface, paths), viewer_theme()),
        key="surface3d",
        theme=None,
        config=SURFACE3D_CONFIG,
        alt=f"{surface.title} in 3-D"
        + (f", with the paths of {method_list(runs)}" if runs else ""),
    )
