"""The view layer: Plotly figures of runs, surfaces and maps (pure functions, no Streamlit)."""
