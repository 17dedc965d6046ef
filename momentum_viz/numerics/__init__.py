"""The numerical layer: optimizer runs, convergence theory and maps over many runs.

Imports NumPy and :mod:`surfaces` only, never Plotly or Streamlit.
"""
