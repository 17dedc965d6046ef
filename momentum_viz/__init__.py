"""momentum-viz: gradient descent with momentum, made visible.

The package is built in three layers, each importing only the ones below it (an
import-linter contract in ``pyproject.toml`` checks this):

* :mod:`momentum_viz.numerics`: the optimizer runs, convergence theory and maps (NumPy only);
* :mod:`momentum_viz.views`: Plotly figures of those results (no Streamlit);
* :mod:`momentum_viz.app`: the Streamlit page, its settings, links and scenarios.

The public API is the numerical core: :func:`simulate`, :func:`reference_run`, :class:`Run`,
:func:`step_anatomy` (what one step is made of) and :func:`framework_snippet` (the same run
as a PyTorch, Keras or optax script).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .numerics.anatomy import StepAnatomy, step_anatomy
    from .numerics.optimizer import METHODS, Run, reference_run, simulate
    from .numerics.snippets import framework_snippet

# Where each name of the public API lives. They are imported when first used (PEP 562):
# ``import momentum_viz.app.streamlit_internals``, the first thing the page does on a
# restarted server, must not wait for NumPy and the compiled kernel.
_PUBLIC = {
    "StepAnatomy": ".numerics.anatomy",
    "step_anatomy": ".numerics.anatomy",
    "METHODS": ".numerics.optimizer",
    "Run": ".numerics.optimizer",
    "reference_run": ".numerics.optimizer",
    "simulate": ".numerics.optimizer",
    "framework_snippet": ".numerics.snippets",
}


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name], __name__), name)


__all__ = [
    "METHODS",
    "Run",
    "StepAnatomy",
    "framework_snippet",
    "reference_run",
    "simulate",
    "step_anatomy",
]
