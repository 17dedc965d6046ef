"""momentum-viz: gradient descent with momentum, made visible.

The numerical core (:func:`simulate`, :class:`Run`) is pure NumPy; figures and the
Streamlit UI live in their own modules so that this package imports without Streamlit.
"""

from .core import METHODS, Run, reference_run, simulate

__all__ = ["METHODS", "Run", "reference_run", "simulate"]
