"""momentum-viz as a server: ``streamlit run serve.py`` (what the Docker image runs).

The same page as ``streamlit run app.py``, wrapped in Streamlit's ASGI ``st.App`` so the
server warms up before its first visitor and sends security headers, and serves the
live map's α family on demand (momentum_viz/app/family_route.py). See momentum_viz/app/server.py.
"""

import streamlit as st
from starlette.middleware import Middleware

from momentum_viz.app import family_route
from momentum_viz.app.classroom import ROUTES as CLASS_ROUTES
from momentum_viz.app.server import SecurityHeaders, lifespan

app = st.App(
    "app.py",
    lifespan=lifespan,
    middleware=[Middleware(SecurityHeaders)],
    routes=[
        *CLASS_ROUTES,  # follow the lecturer: momentum_viz/app/classroom.py
        *family_route.routes(),  # the α family when the thumb is touched: family_route.py
    ],
)
