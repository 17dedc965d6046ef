"""The Streamlit page: widgets → :class:`Settings` → cached runs → figures.

This is the only module (with ``app.py``) that calls ``st.*``. The page is built by
:func:`run_app`; each ``*_ui`` function draws one part and returns what it read, so the
flow of data stays visible: ``settings = sidebar_ui()`` → ``runs = compute_runs(...)`` →
the views.

Widget state lives in ``st.session_state`` under the :class:`Settings` field names.
Values are written there only in callbacks (which run before the script) or before the
widgets are drawn, never after, as Streamlit requires.
"""

from __future__ import annotations

from dataclasses import asdict, fields

import streamlit as st

from surfaces import KAPPA_RANGE, SURFACES

from ..numerics.maps import (
    BasinMap,
    ParameterMap,
    basin_map,
    default_axes,
    parameter_map,
    stability_boundary,
)
from ..numerics.optimizer import METHODS, Run, simulate
from ..numerics.summary import format_number, summarize
from ..numerics.theory import analyse, critical_momentum, local_eigenvalues, measured_rate
from ..views.curves import loss_figure
from ..views.export import animation_html, trajectories_csv
from ..views.map_figures import basin_map_figure, parameter_map_figure
from ..views.plotly_internals import SerializedFigure
from ..views.race import trajectory_figure
from ..views.style import METHOD_LABELS
from ..views.surface3d import surface3d_figure
from .settings import (
    LR_STOPS,
    MOMENTUM_STOPS,
    STEPS_RANGE,
    Settings,
    defaults_for,
    from_query_params,
    surface_of,
    to_query_params,
)

_FIELDS = tuple(f.name for f in fields(Settings))
NOISE_STOPS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
KAPPA_STOPS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
MAX_FRAMES = 200


# --- state ---------------------------------------------------------------------------


def _scenarios() -> dict:
    """Guided scenarios, if the scenarios module is available (key → Scenario)."""
    try:
        from .scenarios import SCENARIOS
    except ImportError:  # the teaching layer is optional for the core page
        return {}
    return SCENARIOS


def _store(settings: Settings) -> None:
    """Write settings into the widgets' session state (callbacks and first run only)."""
    for name, value in asdict(settings).items():
        st.session_state[name] = list(value) if name == "methods" else value


def current_settings() -> Settings:
    """The settings the widgets hold now."""
    values = {name: st.session_state[name] for name in _FIELDS}
    values["methods"] = tuple(m for m in METHODS if m in (values["methods"] or ()))
    return Settings(**values)


def init_state() -> list[str]:
    """On a session's first run, load the settings from the address bar.

    Returns notes about link values that were clamped or dropped (shown once).
    """
    if "_initialized" in st.session_state:
        return st.session_state.pop("_link_notes", [])
    scenarios = {key: sc.settings for key, sc in _scenarios().items()}
    settings, notes = from_query_params(st.query_params.to_dict(), scenarios=scenarios)
    _store(settings)
    st.session_state["_initialized"] = True
    return notes


def _on_surface_change() -> None:
    s = current_settings()
    _store(defaults_for(s.surface, s.kappa, methods=s.methods, noise=s.noise, seed=s.seed))


def _on_reset() -> None:
    _on_surface_change()


def _on_scenario_change() -> None:
    key = st.session_state["scenario"]
    scenarios = _scenarios()
    if key in scenarios:
        _store(scenarios[key].settings)


def _on_map_select() -> None:
    """A click on the map sets the start point (the nearest click-grid marker)."""
    event = st.session_state.get("map")
    points = (event or {}).get("selection", {}).get("points", [])
    if not points:
        return
    point = points[-1]
    s = current_settings()
    (xmin, xmax), (ymin, ymax) = surface_of(s).bounds
    x, y = point.get("x"), point.get("y")
    if isinstance(x, int | float) and isinstance(y, int | float):
        st.session_state["x0"] = round(min(max(float(x), xmin), xmax), 4)
        st.session_state["y0"] = round(min(max(float(y), ymin), ymax), 4)


def _stops_with(stops: tuple[float, ...], value: float) -> list[float]:
    """Slider stops plus the current value, so exact values (links, theory) stay exact."""
    return sorted({*stops, float(value)})


# --- sidebar -------------------------------------------------------------------------


def sidebar_ui() -> Settings:
    """Draw the controls; return the settings they hold."""
    sb = st.sidebar
    scenarios = _scenarios()
    if scenarios:
        options = ["", *scenarios]
        if st.session_state.get("scenario") not in options:
            st.session_state["scenario"] = ""
        sb.selectbox(
            "Scenario",
            options,
            key="scenario",
            format_func=lambda k: scenarios[k].title if k else "Free exploration",
            on_change=_on_scenario_change,
            help="A guided experiment: sets every control and says what to watch for.",
        )
    sb.selectbox(
        "Surface",
        list(SURFACES),
        key="surface",
        format_func=lambda name: SURFACES[name].title,
        on_change=_on_surface_change,
    )
    if st.session_state["surface"] == "quadratic":
        sb.select_slider(
            "Condition number κ",
            _stops_with(KAPPA_STOPS, st.session_state["kappa"]),
            key="kappa",
            format_func=lambda k: f"{k:g}",
            help=f"λmax / λmin of the bowl, {KAPPA_RANGE[0]:g} … {KAPPA_RANGE[1]:g}.",
        )
    sb.pills(
        "Methods",
        list(METHODS),
        selection_mode="multi",
        key="methods",
        format_func=METHOD_LABELS.get,
    )
    sb.select_slider(
        "Learning rate α",
        _stops_with(LR_STOPS, st.session_state["lr"]),
        key="lr",
        format_func=lambda v: f"{v:.3g}",
        help="Log scale, 1e-5 … 1.",
    )
    sb.select_slider(
        "Momentum γ",
        _stops_with(MOMENTUM_STOPS, st.session_state["momentum"]),
        key="momentum",
        format_func=lambda v: f"{v:.4g}",
        help="0 is plain SGD; finer steps towards 1, where small changes matter.",
    )
    sb.slider("Steps", *STEPS_RANGE, step=10, key="steps")
    sb.select_slider(
        "Gradient noise σ",
        _stops_with(NOISE_STOPS, st.session_state["noise"]),
        key="noise",
        format_func=lambda v: f"{v:g}",
        help="Standard deviation of Gaussian noise added to every gradient; 0 = deterministic.",
    )
    surface = surface_of(current_settings())
    (xmin, xmax), (ymin, ymax) = surface.bounds
    col_x, col_y, col_seed = sb.columns(3)
    col_x.number_input("x₀", xmin, xmax, step=(xmax - xmin) / 100, key="x0", format="%.3f")
    col_y.number_input("y₀", ymin, ymax, step=(ymax - ymin) / 100, key="y0", format="%.3f")
    col_seed.number_input("Seed", 0, 2**31 - 1, step=1, key="seed")
    sb.button("Back to this surface's defaults", on_click=_on_reset, width="stretch")
    sb.caption("Tip: click the map to start from that point.")
    return current_settings()


# --- computation ---------------------------------------------------------------------


@st.cache_data(max_entries=256, show_spinner=False)
def compute_runs(
    surface: str,
    kappa: float,
    methods: tuple[str, ...],
    lr: float,
    momentum: float,
    steps: int,
    noise: float,
    seed: int,
    x0: float,
    y0: float,
) -> dict[str, Run]:
    """One run per method, all from the same start with the same noise (cached)."""
    settings = Settings(surface=surface, kappa=kappa, lr=lr, momentum=momentum, steps=steps)
    s = surface_of(settings)
    return {
        method: simulate(
            s, method, (x0, y0), lr=lr, momentum=momentum, steps=steps, noise=noise, seed=seed
        )
        for method in methods
    }


def _run_args(settings: Settings) -> dict:
    """The settings that determine the runs, as plain hashable cache arguments."""
    kwargs = asdict(settings)
    kwargs.pop("scenario")
    return kwargs


def runs_for(settings: Settings) -> dict[str, Run]:
    """The cached runs for these settings."""
    return compute_runs(**_run_args(settings))


# A resource cache, not a data cache: the figure is shared read-only by every session
# (nothing mutates it; st.plotly_chart copies it with to_dict), so a class moving the same
# slider to the same value pays for building the animation once, and no session pays to
# unpickle a copy.
@st.cache_resource(max_entries=32, show_spinner=False)
def compute_race_figure(
    surface: str,
    kappa: float,
    methods: tuple[str, ...],
    lr: float,
    momentum: float,
    steps: int,
    noise: float,
    seed: int,
    x0: float,
    y0: float,
) -> SerializedFigure:
    """The animated map of the runs for these settings (cached, shared, serialized once)."""
    runs = compute_runs(surface, kappa, methods, lr, momentum, steps, noise, seed, x0, y0)
    s = surface_of(Settings(surface=surface, kappa=kappa))
    paths = {method: run.positions for method, run in runs.items()}
    return SerializedFigure(trajectory_figure(s, paths, max_frames=MAX_FRAMES, start=(x0, y0)))


# --- main views ----------------------------------------------------------------------


def update_rule_latex(lr: float, momentum: float) -> str:
    """The momentum update with the current α and γ filled in (two aligned lines)."""
    return (
        r"\begin{aligned}"
        rf"v_{{t+1}} &= \underbrace{{{momentum:.4g}}}_{{\gamma}}\,v_t"
        rf" + \underbrace{{{lr:.3g}}}_{{\alpha}}\,\nabla J(\theta_t) \\"
        r"\theta_{t+1} &= \theta_t - v_{t+1}"
        r"\end{aligned}"
    )


EXPLANATION = """
**What momentum does.** Plain gradient descent (SGD) steps straight downhill from
wherever it stands. Momentum keeps a *velocity* $v$: every step adds the new gradient to
what is left of the old ones, so the point keeps rolling through small bumps and shallow
dips, and speeds up along narrow valleys where the gradients agree. Because γ < 1, old
gradients fade: after $k$ steps a gradient counts only $γ^k$ as much. Too much momentum
(γ close to 1) overshoots and oscillates for a long time. Nesterov momentum looks ahead:
it takes the gradient at $θ - γv$, where the velocity is about to carry it, and so brakes
earlier.
"""


def outcome_table(settings: Settings, runs: dict[str, Run]) -> list[dict[str, str]]:
    """One row per method: final loss, distance to minimum, convergence, minimum reached."""
    surface = surface_of(settings)
    rows = []
    for method, run in runs.items():
        summary = summarize(surface, run)
        if summary.converged_at >= 0:
            converged = f"step {summary.converged_at}"
        elif summary.diverged_at >= 0:
            converged = f"diverged at step {summary.diverged_at}"
        else:
            converged = f"not in {summary.steps} steps"
        reached = "—"
        if summary.reached:
            value = surface.minima[run.minimum].value
            reached = f"{summary.reached} (J = {format_number(value)})"
        rows.append(
            {
                "method": METHOD_LABELS[method],
                "final loss": format_number(summary.final_loss),
                "distance to nearest minimum": format_number(summary.distance_to_minimum),
                "converged": converged,
                "reached": reached,
            }
        )
    return rows


def race_ui(settings: Settings, runs: dict[str, Run]) -> None:
    """The animated map, the loss curves and the per-method outcome."""
    surface = surface_of(settings)
    fig = compute_race_figure(**_run_args(settings))
    for method, run in runs.items():
        if run.diverged_at >= 0:
            st.error(
                f"{METHOD_LABELS[method]} diverged at step {run.diverged_at}: lower α or γ.",
                icon="⚠️",
            )
    map_col, side_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.plotly_chart(
            fig,
            key="map",
            on_select=_on_map_select,
            selection_mode="points",
            config={"displaylogo": False, "scrollZoom": False},
        )
    with side_col:
        if runs:
            offset = min(m.value for m in surface.minima)
            losses = {method: run.losses for method, run in runs.items()}
            st.plotly_chart(loss_figure(losses, offset=offset), key="losses")
        else:
            st.info("Pick at least one method in the sidebar to see it run.")
        st.latex(update_rule_latex(settings.lr, settings.momentum))
    if runs:
        st.table(outcome_table(settings, runs), hide_index=True, border="horizontal")
    st.markdown(EXPLANATION)
    export_ui(settings, runs, fig.figure)


def export_ui(settings: Settings, runs: dict[str, Run], fig) -> None:
    """CSV of the trajectories and the animation as an offline HTML file."""
    if not runs:
        return
    name = f"momentum-viz-{settings.surface}"
    col_csv, col_html = st.columns(2)
    col_csv.download_button(
        "Download trajectories (CSV)",
        data=lambda: trajectories_csv(runs),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    col_html.download_button(
        "Download animation (HTML, plays offline)",
        data=lambda: animation_html(fig, title=name),
        file_name=f"{name}.html",
        mime="text/html",
        on_click="ignore",
    )


def surface3d_ui(settings: Settings, runs: dict[str, Run]) -> None:
    surface = surface_of(settings)
    paths = {method: run.positions for method, run in runs.items()}
    st.plotly_chart(surface3d_figure(surface, paths), key="surface3d")


# --- theory --------------------------------------------------------------------------


def _on_use_optimal(lr: float, momentum: float) -> None:
    st.session_state["lr"] = lr
    st.session_state["momentum"] = round(momentum, 6)


def _theory_point(settings: Settings, runs: dict[str, Run]) -> tuple[str, tuple[float, float]]:
    """Where the local quadratic model is taken, and a sentence saying so."""
    surface = surface_of(settings)
    choice = st.radio(
        "Local quadratic model at",
        ["the minimum nearest to where the run ends", "the start point"],
        horizontal=True,
        key="theory_point",
    )
    if choice == "the start point" or not runs:
        return "at the start point", (settings.x0, settings.y0)
    run = runs.get("momentum") or next(iter(runs.values()))
    summary = summarize(surface, run)
    minimum = surface.minima[summary.nearest_minimum]
    kind = "global" if minimum.is_global else "local"
    return f"at the {kind} minimum ({minimum.point[0]:.3g}, {minimum.point[1]:.3g})", minimum.point


def theory_ui(settings: Settings, runs: dict[str, Run]) -> None:
    """Convergence theory next to the live run: rates, regimes, stability, optimum."""
    surface = surface_of(settings)
    if surface.eigenvalues is not None:
        eigenvalues = surface.eigenvalues
        where = "exact for this quadratic bowl (eigenvalues of A)"
        model_loss_min = 0.0
    else:
        where, point = _theory_point(settings, runs)
        eigenvalues = local_eigenvalues(surface.hessian(point))
        where = f"local quadratic model {where} (eigenvalues of the Hessian there)"
        model_loss_min = float(surface.value(point))
    report = analyse(settings.lr, settings.momentum, eigenvalues)
    st.markdown(
        f"On a quadratic, every eigen-direction with curvature λ evolves on its own: SGD "
        f"multiplies the error by $1 - αλ$ per step; momentum's error follows "
        f"$e_{{t+1}} = (1 + γ - αλ)e_t - γe_{{t-1}}$, whose rate is the largest |σ| among "
        f"the roots of $σ^2 - (1 + γ - αλ)σ + γ = 0$. Here: {where}."
    )
    for warning in report.warnings:
        st.warning(warning, icon="⚠️")
    rows = [
        {
            "λ": d.lam,
            "SGD rate |1 − αλ|": d.sgd_rate,
            "SGD regime": d.sgd_regime,
            "momentum rate max|σ|": d.momentum_rate,
            "momentum regime": d.momentum_regime,
            "critical γ = (1 − √(αλ))²": float(critical_momentum(settings.lr, d.lam)),
        }
        for d in report.directions
    ]
    st.dataframe(rows, hide_index=True, width="stretch")

    cols = st.columns(3)
    cols[0].metric("α·λmax", format_number(settings.lr * report.lam_max))
    cols[1].metric("SGD stable if α <", format_number(report.sgd_max_lr), help="α·λmax < 2")
    cols[2].metric(
        "momentum stable if α <", format_number(report.momentum_max_lr), help="α·λmax < 2 + 2γ"
    )

    if report.optimal_lr is not None and report.optimal_momentum is not None:
        st.markdown(
            f"**Optimal settings** for condition number κ = {report.condition_number:.4g}: "
            f"α* = (2 / (√λmin + √λmax))² = **{report.optimal_lr:.4g}**, "
            f"γ* = ((√κ − 1)/(√κ + 1))² = **{report.optimal_momentum:.4g}**. "
            f"They give the rate (√κ − 1)/(√κ + 1) = **{report.optimal_momentum_rate:.4g}** "
            f"per step, against (κ − 1)/(κ + 1) = **{report.optimal_sgd_rate:.4g}** for the "
            f"best plain SGD step α = 2/(λmin + λmax) = {report.optimal_sgd_lr:.4g}."
        )
        st.button(
            "Use optimal α, γ",
            on_click=_on_use_optimal,
            args=(report.optimal_lr, report.optimal_momentum),
            type="primary",
        )

    st.markdown("**Predicted rate beside the rate measured from the run's loss curve**")
    predicted = {"sgd": report.sgd_rate, "momentum": report.momentum_rate}
    measured_rows = []
    for method, run in runs.items():
        rate = measured_rate(run.losses, loss_min=model_loss_min)
        measured_rows.append(
            {
                "method": METHOD_LABELS[method],
                "predicted ρ": predicted.get(method, float("nan")),
                "measured ρ": rate,
            }
        )
    if measured_rows:
        st.dataframe(measured_rows, hide_index=True, width="stretch")
        st.caption(
            "ρ is the factor by which the error shrinks per step (loss shrinks by ρ²). "
            "Measured ρ fits the loss curve's decay; it is blank when the run did not settle "
            "(too few steps, diverged, or converged into another minimum). The theory is "
            "for heavy-ball momentum; Nesterov has no predicted value here."
        )


# --- maps ----------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner="Computing the (α, γ) map…")
def compute_parameter_map(
    surface: str,
    kappa: float,
    method: str,
    x0: float,
    y0: float,
    steps: int,
    noise: float,
    seed: int,
) -> ParameterMap:
    """One batched run per (α, γ) cell from the current start (cached)."""
    s = surface_of(Settings(surface=surface, kappa=kappa))
    lrs, momenta = default_axes(s)
    return parameter_map(
        s, method, (x0, y0), lrs=lrs, momenta=momenta, steps=steps, noise=noise, seed=seed
    )


@st.cache_data(max_entries=16, show_spinner="Computing the basin map…")
def compute_basin_map(
    surface: str,
    kappa: float,
    method: str,
    lr: float,
    momentum: float,
    steps: int,
    noise: float,
    seed: int,
) -> BasinMap:
    """One batched run per start point of a grid over the surface (cached)."""
    s = surface_of(Settings(surface=surface, kappa=kappa))
    return basin_map(s, method, lr=lr, momentum=momentum, steps=steps, noise=noise, seed=seed)


def _on_parameter_map_select() -> None:
    """A click on a map cell sets α and γ (the cell's customdata holds them)."""
    event = st.session_state.get("parameter_map")
    points = (event or {}).get("selection", {}).get("points", [])
    data = points[-1].get("customdata") if points else None
    # customdata arrives as a list, or as {"0": α, "1": γ, …} when plotly sent it as a
    # typed array (it does for NumPy customdata).
    if isinstance(data, dict):
        data = [data.get(str(i)) for i in range(len(data))]
    if isinstance(data, list | tuple) and len(data) >= 2 and None not in data[:2]:
        lr, momentum = float(data[0]), float(data[1])
        if 0 < lr <= 1 and 0 <= momentum < 1:
            st.session_state["lr"] = lr
            st.session_state["momentum"] = momentum


def parameter_map_ui(settings: Settings, runs: dict[str, Run]) -> None:
    """Steps to converge over the whole (α, γ) plane, from the current start."""
    method = st.radio(
        "Method",
        ["momentum", "nesterov"],
        format_func=METHOD_LABELS.get,
        horizontal=True,
        key="map_method",
    )
    surface = surface_of(settings)
    pmap = compute_parameter_map(
        settings.surface, settings.kappa, method, settings.x0, settings.y0,
        settings.steps, settings.noise, settings.seed,
    )  # fmt: skip
    boundary = None
    if surface.eigenvalues is not None and method == "momentum":
        boundary = stability_boundary(max(surface.eigenvalues), pmap.momenta)
    fig = parameter_map_figure(pmap, current=(settings.lr, settings.momentum), boundary=boundary)
    st.plotly_chart(
        fig,
        key="parameter_map",
        on_select=_on_parameter_map_select,
        selection_mode="points",
        config={"displaylogo": False},
    )
    st.caption(
        f"Every cell is one run of {settings.steps} steps from ({settings.x0:.3g}, "
        f"{settings.y0:.3g}): its colour is the step at which it converged. The bottom row "
        "(γ = 0) is plain SGD. Click a cell to use its α and γ."
        + (" The dashed line is the theoretical stability limit α = (2 + 2γ)/λmax." if boundary
           is not None else "")
    )  # fmt: skip


def basin_map_ui(settings: Settings, runs: dict[str, Run]) -> None:
    """Which minimum each start point reaches, SGD beside momentum."""
    surface = surface_of(settings)
    if len(surface.minima) < 2:
        st.info(
            "This surface has a single minimum, so every start that converges ends there. "
            "Pick the three wells, Himmelblau, six-hump camel or Styblinski–Tang."
        )
        return
    cols = st.columns(2)
    for col, method in zip(cols, ("sgd", "momentum"), strict=True):
        bmap = compute_basin_map(
            settings.surface, settings.kappa, method, settings.lr, settings.momentum,
            settings.steps, settings.noise, settings.seed,
        )  # fmt: skip
        label = METHOD_LABELS[method]
        title = f"{label} (α = {settings.lr:.3g}" + (
            f", γ = {settings.momentum:.4g})" if method != "sgd" else ")"
        )
        with col:
            st.plotly_chart(
                basin_map_figure(bmap, surface, title=title, start=(settings.x0, settings.y0)),
                key=f"basins_{method}",
            )
            global_share = sum(
                share
                for code, share in bmap.fractions().items()
                if code >= 0 and surface.minima[code].is_global
            )
            st.metric(f"{label}: starts reaching a global minimum", f"{global_share:.0%}")


def header_ui(settings: Settings, notes: list[str]) -> None:
    surface = surface_of(settings)
    st.title("Momentum, made visible")
    st.caption(
        "Gradient descent with and without momentum, side by side. Press ▶ Play on the map;"
        " move α and γ in the sidebar and watch the race change."
    )
    for note in notes:
        st.info(f"Link: {note}", icon="🔗")
    scenarios = _scenarios()
    if settings.scenario in scenarios:
        st.success(
            f"**{scenarios[settings.scenario].title}.** {scenarios[settings.scenario].watch}"
        )
    with st.expander(f"**{surface.title}** — {surface.description}"):
        st.latex(surface.latex)


def run_app() -> None:
    """Build the whole page (the entry point ``app.py`` calls this)."""
    notes = init_state()
    settings = sidebar_ui()
    # The address bar always holds a link that reopens exactly this view.
    params = to_query_params(settings)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    runs = runs_for(settings)
    header_ui(settings, notes)
    views = {
        "Race on the map": race_ui,
        "3-D view": surface3d_ui,
        "Theory": theory_ui,
        "(α, γ) map": parameter_map_ui,
        "Basin map": basin_map_ui,
    }
    # Lazy tabs: only the open one runs, so the heavier views cost nothing until opened.
    tabs = st.tabs(list(views), key="view", on_change="rerun")
    for tab, view in zip(tabs, views.values(), strict=True):
        if tab.open:
            with tab:
                view(settings, runs)


__all__ = ["compute_runs", "current_settings", "run_app", "update_rule_latex"]
