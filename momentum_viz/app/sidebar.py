"""The sidebar: every control of :class:`Settings`.

The widgets are keyed by the Settings field names, so :func:`state.current_settings`
can read them all at once; what happens when one changes is in :mod:`.state`.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from surfaces import KAPPA_RANGE, SURFACES
from surfaces.expression import FUNCTIONS, MAX_BOUND, MAX_LENGTH

from ..numerics.optimizer import METHODS
from ..numerics.ranges import SEED_RANGE
from ..views.style import METHOD_LABELS
from . import data_controls, state
from .notes import refused_formula_text
from .scenarios import SCENARIOS
from .settings import (
    CUSTOM,
    CUSTOM_FIELDS,
    DEFAULT_EXPRESSION,
    KAPPA_STOPS,
    LR_STOPS,
    MOMENTUM_STOPS,
    NOISE_STOPS,
    SPEEDS,
    STEPS_RANGE,
    stops_with,
    surface_of,
    surface_title,
)


def _scenario_and_surface() -> None:
    """The guided scenario (it sets every control), the surface and, for the bowl, κ."""
    sb = st.sidebar
    options = ["", *SCENARIOS]
    if state.value_of("scenario") not in options:
        st.session_state["scenario"] = ""
    sb.selectbox(
        "Scenario",
        options,
        key="scenario",
        format_func=lambda k: SCENARIOS[k].title if k else "Free exploration",
        on_change=state.on_scenario_change,
        help="A guided experiment: sets every control and says what to watch for.",
    )
    standardized = bool(state.value_of("standardize"))  # the least-squares surface's feature
    sb.selectbox(
        "Surface",
        [*SURFACES, CUSTOM],
        key="surface",
        format_func=lambda name: surface_title(name, standardize=standardized),
        on_change=state.on_surface_change,
    )
    if st.session_state["surface"] == CUSTOM:
        _custom_surface()
    data_controls.surface_controls()  # the least-squares surface's "standardize" switch
    if st.session_state["surface"] == "quadratic":
        sb.select_slider(
            "Condition number κ",
            stops_with(KAPPA_STOPS, state.value_of("kappa")),
            key="kappa",
            format_func=lambda k: f"{k:g}",
            help=f"λmax / λmin of the bowl, {KAPPA_RANGE[0]:g} … {KAPPA_RANGE[1]:g}.",
        )


def _custom_surface() -> None:
    """The formula J(x, y) and its plotted box, applied together with "Apply".

    The inputs are drafts: only a formula that :func:`surfaces.from_expression` accepts
    becomes the surface; a refused one is reported here, with its column and reason, and
    the surface stays as it was.
    """
    for name in CUSTOM_FIELDS:  # a form shown again starts from the applied values
        if state.DRAFT + name not in st.session_state:
            st.session_state[state.DRAFT + name] = state.value_of(name)
    form = st.sidebar.form("custom_surface", border=False)
    form.text_input(
        "J(x, y) =",
        key=state.DRAFT + "expr",
        max_chars=MAX_LENGTH,
        help=(
            f"For example `{DEFAULT_EXPRESSION}` or `(1 - x)**2 + 100*(y - x**2)**2`. "
            "Python syntax: `+ - * / **`, the numbers pi and e, and the functions "
            f"{', '.join(FUNCTIONS)}."
        ),
    )
    col_lo, col_hi = form.columns(2)
    for axis in ("x", "y"):
        for col, end in ((col_lo, "min"), (col_hi, "max")):
            col.number_input(
                f"{axis} {end}",
                -MAX_BOUND,
                MAX_BOUND,
                # No default: Streamlit resets a NaN the browser sends to the default,
                # which would be applied as -MAX_BOUND; None is refused by Apply.
                value=None,
                step=0.5,
                key=f"{state.DRAFT}{axis}{end}",
            )
    form.form_submit_button("Apply", on_click=state.on_apply_custom, width="stretch")
    reason = st.session_state.get(state.ERROR)
    if reason is not None:
        st.sidebar.error(refused_formula_text(reason), icon="⚠️")


def _optimizer_controls() -> DeltaGenerator:
    """The methods, a place for α and γ (:func:`rates`, drawn by the page's live part),
    steps and gradient noise."""
    sb = st.sidebar
    sb.pills(
        "Methods",
        list(METHODS),
        selection_mode="multi",
        key="methods",
        format_func=METHOD_LABELS.get,
    )
    rates_slot = sb.container()
    sb.slider("Steps", *STEPS_RANGE, step=10, key="steps")
    sb.select_slider(
        "Gradient noise σ",
        stops_with(NOISE_STOPS, state.value_of("noise")),
        key="noise",
        format_func=lambda v: f"{v:g}",
        help="Standard deviation of Gaussian noise added to every gradient; 0 = deterministic."
        + data_controls.noise_help(st.session_state["surface"]),
    )
    data_controls.batch_controls()  # on a data surface: the batch size and order
    return rates_slot


def rates() -> None:
    """The learning rate α and the momentum γ (in the place :func:`render` keeps for
    them: the page redraws them with the race on every move of either)."""
    st.select_slider(
        "Learning rate α",
        stops_with(LR_STOPS, state.value_of("lr")),
        key="lr",
        format_func=lambda v: f"{v:.3g}",
        help="Log scale, 1e-5 … 1.",
    )
    st.select_slider(
        "Momentum γ",
        stops_with(MOMENTUM_STOPS, state.value_of("momentum")),
        key="momentum",
        format_func=lambda v: f"{v:.4g}",
        help="0 is plain SGD; finer steps towards 1, where small changes matter.",
    )


def _start_point() -> None:
    """The start point (bounded by the surface), the noise seed and the reset button."""
    sb = st.sidebar
    surface = surface_of(state.current_settings())
    (xmin, xmax), (ymin, ymax) = surface.bounds
    col_x, col_y, col_seed = sb.columns(3)
    col_x.number_input("x₀", xmin, xmax, step=(xmax - xmin) / 100, key="x0", format="%.3f")
    col_y.number_input("y₀", ymin, ymax, step=(ymax - ymin) / 100, key="y0", format="%.3f")
    # Whole numbers in a float input: Streamlit's int input raises on a NaN the browser
    # sends, before any of the app's code runs; a float one resets it to its minimum, and
    # the settings' check rounds what it holds (state.current_settings).
    col_seed.number_input("Seed", 0.0, float(SEED_RANGE[1]), step=1.0, key="seed", format="%.0f")
    sb.button("Back to this surface's defaults", on_click=state.on_reset, width="stretch")
    sb.caption("Tip: click the map to start from that point.")
    sb.segmented_control(
        "Replay speed",
        SPEEDS,
        key="speed",
        required=True,  # never none selected
        format_func=lambda v: f"{v:g}×",
        help="How fast ▶ Play replays the run on the map: 1× takes about 7 s, "
        "whatever the number of steps.",
    )
    sb.checkbox(
        "Play on open",
        key="autoplay",
        help="Start the replay on the map by itself when the view opens.",
    )
    sb.toggle(
        "Lecture mode",
        key="lecture",
        help="For a projector: no title, the map as large as the screen allows, larger "
        "chart text. Close this sidebar (« at its top) to give the map the whole width.",
    )


def render() -> DeltaGenerator:
    """Draw the controls but α and γ; return the place kept for those (:func:`rates`)."""
    _scenario_and_surface()
    rates_slot = _optimizer_controls()
    _start_point()
    return rates_slot
