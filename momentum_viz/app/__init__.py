"""The app layer: the Streamlit page, its settings and links, scenarios and cached compute.

The only layer that imports Streamlit.
"""
