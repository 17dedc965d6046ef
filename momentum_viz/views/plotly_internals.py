"""Every use of private or undocumented Plotly and Streamlit behaviour, in one place.

Two speed-ups of the animated race map lean on behaviour that is not public API. Keeping
both here means an upgrade of plotly or streamlit has one module to check (the tests in
tests/test_figures.py rebuild each figure with full validation and compare):

* :func:`unvalidated_figure` sets ``go.Figure._frame_objs``, because plotly.py validates
  frames even with ``_validate=False`` (plotly.py #3416 tracks the cost of validation).
  Validating ~5,000 frame entries took most of a rerun.
* :class:`SerializedFigure` relies on ``st.plotly_chart`` calling ``figure.to_dict()`` and
  nothing else (streamlit/elements/plotly_chart.py): it returns a dict serialised once, so
  a figure shared by every session is not deep-copied on every rerun.

Neither imports Streamlit: the first is plotly.py, the second a ``go.Figure`` subclass.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio


def unvalidated_figure(data: list[dict], layout: dict, frames: list[dict]) -> go.Figure:
    """Return a ``go.Figure`` of JSON-ready dicts, skipping plotly.py's validation.

    Validation adds nothing here: the dicts are the exact output of validated objects
    (tests/test_figures.py rebuilds figures with validation and compares).
    ``_validate=False`` covers data and layout; plotly.py validates frames regardless (the
    ``frames`` argument and setter ignore it), so unvalidated ``go.Frame`` objects are
    handed over directly. Their ``.data`` cannot be read back as objects (a plotly.py
    limitation); ``to_dict()`` works as usual.
    """
    fig = go.Figure(data=data, layout=layout, _validate=False)
    fig._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in frames)
    return fig


class SerializedFigure(go.Figure):
    """A finished figure whose ``to_dict()`` is computed once and reused.

    ``st.plotly_chart`` calls ``to_dict()`` (a deep copy) on every rerun of every session;
    for the animated map that copy cost more than building the figure. This stand-in holds
    the figure's dict with its arrays already base64-encoded, so each rerun only has to
    dump strings. It is empty as a plotly object: use :attr:`figure` for anything else.
    """

    def __init__(self, figure: go.Figure) -> None:
        super().__init__()
        self._figure = figure
        self._encoded = json.loads(pio.to_json(figure, validate=False))

    @property
    def figure(self) -> go.Figure:
        """The original figure (for exports)."""
        return self._figure

    def to_dict(self) -> dict:
        return self._encoded
