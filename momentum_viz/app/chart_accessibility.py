"""What each Plotly chart offers the keyboard and a screen reader (the page must be usable
without a mouse).

**Toolbar.** Plotly's toolbar (the "modebar") puts every button in the page's tab order:
eight per chart in Streamlit 1.67 (download, zoom, pan, zoom in and out, autoscale, reset,
and Streamlit's fullscreen), so a keyboard user tabbed through 16 of them on the race tab
and the basin maps before reaching the next control. Each chart keeps what a lecturer
uses from the toolbar; mouse and touch zoom (drag a box, double-click to reset) need none:

* the (α, γ) map and the basin maps: download as PNG (for slides) and fullscreen (to
  project one map large): 2 tab stops each;
* the 3-D view: the same, and "reset camera", the way back after turning it: 3;
* the loss chart: no toolbar (it sits beside the race map; nothing in it is for slides
  on its own): 0.

Button names are plotly.js's (src/components/modebar/buttons.js); Streamlit adds its
fullscreen button through ``modeBarButtonsToAdd``, so these lists remove buttons rather
than name the ones to keep (``modeBarButtons`` would drop fullscreen too).

**Accessible name.** ``st.plotly_chart(..., alt=...)`` (Streamlit ≥ 1.67) gives the chart
``role="figure"`` and ``aria-label``: the tabs pass a short description built from what
is on screen, so a screen reader says what the chart shows rather than nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..views.style import METHOD_LABELS

_ZOOM_2D = ["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "resetScale2d"]
_CAMERA_3D = ["zoom3d", "pan3d", "orbitRotation", "tableRotation", "resetCameraLastSave3d"]

MAP_CONFIG: dict[str, Any] = {"displaylogo": False, "modeBarButtonsToRemove": _ZOOM_2D}
SURFACE3D_CONFIG: dict[str, Any] = {"displaylogo": False, "modeBarButtonsToRemove": _CAMERA_3D}
LOSS_CONFIG: dict[str, Any] = {"displayModeBar": False}


def method_list(methods: Iterable[str]) -> str:
    """The methods as a reader would say them: "SGD, Momentum and Nesterov".

    >>> method_list(["sgd", "momentum"])
    'SGD and Momentum'
    """
    labels = [METHOD_LABELS.get(m, m) for m in methods]
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]
