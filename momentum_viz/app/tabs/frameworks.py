"""Under the race: the same run as a PyTorch, Keras 3 or optax script, and a table of
each framework's conventions next to this app's, so a student can carry the run over.

The scripts come from :func:`momentum_viz.numerics.snippets.framework_snippet`; this
module only lays them out. It is its own module so the race tab needs one call line.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ...numerics.optimizer import Run
from ...numerics.snippets import CONVENTIONS, EMA_NOTE, framework_snippet, frameworks_for
from ...views.style import METHOD_LABELS
from ...views.words import format_number
from ..compute import RunKey
from ..settings import Settings, surface_of

EXPANDER = "The same run in your framework"
FRAMEWORK_LABELS = {"pytorch": "PyTorch", "keras": "Keras 3", "optax": "optax"}
NOISE_NOTE = (
    "Noise-free runs only: these scripts reproduce a run without gradient noise. "
    "Set the noise to 0 to get the script of the run on screen."
)
LEAD = (
    "A self-contained script that runs what the map shows with the framework's own "
    "optimizer (float64) and prints the final point in this app's convention. For "
    "Nesterov it converts the framework's stored look-ahead point θ − γv back to θ."
)


# The expander's key: its open state is session state (tests open it through it).
EXPANDER_KEY = "frameworks"


def is_open() -> bool:
    """Whether the expander is open (its scripts show the current α and γ)."""
    return bool(st.session_state.get(EXPANDER_KEY, False))


def render(settings: Settings, runs_of: Callable[[], dict[str, Run]]) -> None:
    """The expander: a method picker (when several are on screen), a framework picker
    and that framework's script, and the table of conventions. ``runs_of`` gives the
    runs on screen (cached), asked for only while the expander is open."""
    # Lazy: a closed expander costs nothing (its scripts and table took ~4 ms of every
    # rerun, and a class moving γ together waits for the sum of everyone's reruns).
    with st.expander(EXPANDER, key=EXPANDER_KEY, on_change="rerun") as expander:
        if not expander.open:
            return
        st.caption(LEAD)
        runs = runs_of()
        if settings.noise > 0:
            st.info(NOISE_NOTE)
        elif not runs:
            st.caption("Pick a method in the sidebar to get its script.")
        else:
            _scripts(settings, runs)
        st.markdown("**Conventions** (∇J is the gradient, γ the momentum, α the step size)")
        st.table(list(CONVENTIONS), hide_index=True, border="horizontal")
        alpha_ema = settings.lr / (1.0 - settings.momentum)
        st.caption(
            f"{EMA_NOTE} Here: α_EMA = {format_number(settings.lr)} / "
            f"(1 − {settings.momentum:g}) = {format_number(alpha_ema)}."
        )


def _scripts(settings: Settings, runs: dict[str, Run]) -> None:
    methods = tuple(runs)
    method = methods[0]
    if len(methods) > 1:
        method = st.radio(
            "Method",
            methods,
            format_func=lambda m: METHOD_LABELS.get(m, m),
            horizontal=True,
            key="framework_method",
        )
    # A radio, not st.tabs: the page's own views are tabs, and nested tabs would mix
    # with them (and draw three scripts where one is read).
    framework = st.radio(
        "Framework",
        frameworks_for(surface_of(settings)),
        format_func=FRAMEWORK_LABELS.__getitem__,
        horizontal=True,
        key="framework",
    )
    code = framework_snippet(
        surface_of(settings),
        method,
        (settings.x0, settings.y0),
        lr=settings.lr,
        momentum=settings.momentum,
        steps=settings.steps,
        framework=framework,
        **RunKey.of(settings).batch_args(),  # a data surface's mini-batches, if any
        seed=settings.seed,
    )
    st.code(code, language="python")
    if runs[method].diverged_at >= 0:
        # The app stops a diverged run where it left the box; a framework does not stop.
        st.caption(
            f"This run diverges at step {runs[method].diverged_at}: the app stops it there, the "
            "script goes on and prints inf or nan."
        )
