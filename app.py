"""momentum-viz: `streamlit run app.py`. The page itself is built in momentum_viz.app."""

import streamlit as st

# First: a move right after a server restart is run, not dropped (see that module).
import momentum_viz.app.streamlit_internals  # noqa: F401
from momentum_viz.app.page import run_app

st.set_page_config(page_title="momentum-viz: momentum, made visible", page_icon="⚽", layout="wide")
run_app()
