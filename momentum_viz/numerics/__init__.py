"""The numerical layer: optimizer runs, convergence theory and maps over many runs.

Imports NumPy, Numba (the compiled kernel, optional) and :mod:`surfaces` only, never
Plotly or Streamlit.
"""
