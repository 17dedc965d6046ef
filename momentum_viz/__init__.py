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

from .numerics.anatomy import StepAnatomy, step_anatomy
from .numerics.optimizer import METHODS, Run, reference_run, simulate
from .numerics.snippets import framework_snippet

__all__ = [
    "METHODS",
    "Run",
    "StepAnatomy",
    "framework_snippet",
    "reference_run",
    "simulate",
    "step_anatomy",
]
