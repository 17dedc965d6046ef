"""The Streamlit app, driven headless with streamlit.testing.v1.AppTest."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pytest
from _apptest import live_map_blobs
from _apptest import open_app as _app
from streamlit.testing.v1 import AppTest

from momentum_viz import simulate
from momentum_viz.app.page import PAGE_CSS
from momentum_viz.app.tabs.race import DOWNLOADS_KEY
from momentum_viz.views.words import format_number
from surfaces import DEFAULT_KAPPA, SURFACES

TAB_LABELS = ("Race on the map", "3-D view", "Theory", "(α, γ) map", "Basin map")
METHOD_SETS = [
    list(c) for r in (1, 2, 3) for c in itertools.combinations(["sgd", "momentum", "nesterov"], r)
]


def _outcomes(at: AppTest) -> dict[str, dict[str, str]]:
    """The outcome table: method label → its row."""
    table = at.table[0].value
    return {row["method"]: row.to_dict() for _, row in table.iterrows()}


def _map_spec(at: AppTest) -> dict:
    """The open tab's first Plotly chart (the (α, γ) map, the basin map…)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _race(at: AppTest) -> dict:
    """The live race map's race header (methods, α, γ, …)."""
    return live_map_blobs(at)["race"][0]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_runs_without_exception(surface):
    at = _app(surface=surface)
    assert at.selectbox(key="surface").value == surface
    s = SURFACES[surface]
    assert at.number_input(key="x0").value == pytest.approx(s.start[0])
    assert set(live_map_blobs(at)) == {"surface", "gamma_family", "alpha_family", "race"}
    assert len(at.get("plotly_chart")) == 1  # the loss curves


@pytest.mark.parametrize("methods", METHOD_SETS, ids=lambda m: "+".join(m))
def test_every_combination_of_methods(methods):
    at = _app(methods=",".join(methods))
    drawn = [m["key"] for m in _race(at)["methods"]]
    assert drawn == methods


def test_no_method_selected_keeps_the_map():
    at = _app()
    at.pills(key="methods").set_value([]).run()
    assert not at.exception
    assert _race(at)["methods"] == [], "the map must stay, with no run on it"
    assert any("at least one method" in i.value for i in at.info)


def test_moving_gamma_changes_momentum_and_not_sgd():
    at = _app()
    before = _outcomes(at)
    at.select_slider(key="momentum").set_value(0.5).run()
    assert not at.exception
    after = _outcomes(at)
    assert set(before) == set(after) == {"SGD", "Momentum"}
    assert before["SGD"] == after["SGD"]
    assert before["Momentum"] != after["Momentum"]
    # The metric agrees with the core run at the new γ.
    s = SURFACES["rosenbrock"]
    run = simulate(s, "momentum", s.start, lr=s.lr, momentum=0.5, steps=s.steps)
    expected = f"step {run.converged_at}" if run.converged_at >= 0 else f"not in {s.steps} steps"
    assert after["Momentum"]["converged"] == expected
    assert at.query_params["momentum"] == "0.5"


def test_diverging_lr_shows_warning_not_exception():
    at = _app()
    at.select_slider(key="lr").set_value(0.1).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    # SGD at α = 0.1 on Rosenbrock: the advice names the α bound, with a number.
    assert any("SGD diverged at step" in e and "needs to be below" in e for e in errors), errors
    (xmin, xmax), (ymin, ymax) = SURFACES["rosenbrock"].bounds
    assert live_map_blobs(at)["surface"][0]["bounds"] == [xmin, xmax, ymin, ymax]
    assert "SGD" in _race(at)["off_map"]  # the diverged run is named on the map


def test_live_map_carries_the_runs_and_a_path_for_every_slider_stop():
    """The blobs against independent runs: the race holds each method's run, and each
    family holds, for every stop of its slider in the slider's order, the run with that
    value (SGD is left out of the γ family: γ does not change it)."""
    from momentum_viz.app.settings import LR_STOPS, MOMENTUM_STOPS
    from momentum_viz.views.live_map import dequantize

    at = _app(methods="sgd,momentum,nesterov", steps="2000")
    blobs = live_map_blobs(at)
    s = SURFACES["rosenbrock"]
    (xmin, xmax), (ymin, ymax) = s.bounds
    assert blobs["surface"][0]["bounds"] == [xmin, xmax, ymin, ymax]
    header, arrays = blobs["race"]
    assert (header["lr"], header["momentum"], header["steps"]) == (s.lr, s.momentum, 2000)
    resolution = 3 * max(xmax - xmin, ymax - ymin) / 65534
    for i, method in enumerate(("sgd", "momentum", "nesterov")):
        run = simulate(s, method, s.start, lr=s.lr, momentum=s.momentum, steps=2000)
        drawn = dequantize(arrays["paths"][i], header["box"])
        np.testing.assert_allclose(drawn, run.positions, atol=resolution)
    assert at.select_slider(key="momentum").options == [f"{v:.4g}" for v in MOMENTUM_STOPS]
    families = {"momentum": "gamma_family", "lr": "alpha_family"}
    for parameter, stops in (("momentum", MOMENTUM_STOPS), ("lr", LR_STOPS)):
        family, arrays = blobs[families[parameter]]
        assert family["values"] == list(stops)
        expected = (
            ["momentum", "nesterov"] if parameter == "momentum" else ["sgd", "momentum", "nesterov"]
        )
        assert family["methods"] == expected
        offsets = arrays["offsets"]
        for m, method in enumerate(family["methods"]):
            for i in (0, len(stops) // 2, len(stops) - 1):
                values = {"lr": s.lr, "momentum": s.momentum, parameter: stops[i]}
                run = simulate(s, method, s.start, steps=2000, **values)
                k = m * len(stops) + i
                path = dequantize(arrays["points"][offsets[k] : offsets[k + 1]], family["box"])
                ends = run.positions[[0, -1]]
                finite = np.isfinite(ends).all(axis=1)
                np.testing.assert_allclose(
                    path[[0, -1]][finite], np.clip(ends[finite], *_box(family)), atol=resolution
                )
    sizes = {name: len(element.proto.bytes) for name, element in _bidi(at).items()}
    # What a γ move re-sends of the map: the map's element, the race with the α family
    # (the γ family and the surface are unchanged, so Streamlit sends a reference to them).
    assert sizes["race_map"] <= 80_000, sizes


def _box(header: dict) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = header["box"]
    return np.array([x0, y0]), np.array([x1, y1])


def _bidi(at: AppTest) -> dict:
    return {e.proto.id.rsplit("-", 1)[-1]: e for e in at.get("bidi_component")}


def test_link_with_bad_values_is_clamped_with_a_note():
    at = _app(momentum="5", steps="1000000000", surface="banana", lr="fast")
    notes = " ".join(i.value for i in at.info)
    for name in ("momentum", "steps", "surface", "lr"):
        assert name in notes
    assert at.select_slider(key="momentum").value == 0.999
    assert at.slider(key="steps").value == 2000


def test_surface_change_loads_its_defaults():
    at = _app()
    at.selectbox(key="surface").set_value("multiwell").run()
    s = SURFACES["multiwell"]
    assert at.select_slider(key="lr").value == s.lr
    assert at.number_input(key="y0").value == pytest.approx(s.start[1])
    assert at.query_params["surface"] == "multiwell"


def test_theory_tab_and_optimal_button_on_the_quadratic():
    at = _app(surface="quadratic")
    labels = [t.label for t in at.tabs]
    assert labels == list(TAB_LABELS)
    at.session_state["view"] = "Theory"
    at.run()
    assert not at.exception
    # Lazy tabs: only the open one is drawn, and the button is in it.
    assert [bool(t.children) for t in at.tabs] == [label == "Theory" for label in labels]
    theory = at.tabs[labels.index("Theory")]
    buttons = [b for b in theory.button if b.label == "Use Momentum's optimal α, γ"]
    assert buttons, [b.label for b in at.button]
    buttons[0].click().run()
    assert not at.exception
    # κ = DEFAULT_KAPPA (λ = 1 … κ): α* = (2 / (1 + √κ))², γ* = ((√κ − 1)/(√κ + 1))², by hand,
    # stored exactly (not rounded), so the slow direction reads as critically damped (the
    # fast one sits on the sign-flip side of its boundary: αλmax > 1 there).
    root = DEFAULT_KAPPA**0.5
    assert at.select_slider(key="lr").value == pytest.approx((2 / (1 + root)) ** 2, rel=1e-12)
    assert at.select_slider(key="momentum").value == pytest.approx(
        ((root - 1) / (root + 1)) ** 2, rel=1e-12
    )
    table = at.table[0].value
    (heavy_ball,) = [row for _, row in table.iterrows() if row["method"] == "Momentum"]
    slow = heavy_ball[f"λ = {format_number(1.0)}"]
    assert slow.endswith("critically damped"), slow


@pytest.mark.parametrize("surface", ["multiwell", "quadratic", "rosenbrock"])
def test_parameter_and_basin_map_tabs(surface):
    at = _app(surface=surface)
    at.session_state["view"] = "(α, γ) map"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(t.get("type") == "heatmap" for t in spec["data"])
    at.session_state["view"] = "Basin map"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    if len(SURFACES[surface].minima) > 1:
        assert len(at.get("plotly_chart")) == 2  # SGD beside momentum
        shares = [m for m in at.metric if "global minimum" in m.label]
        assert len(shares) == 2
    else:
        assert any("single minimum" in i.value for i in at.info)


def test_scenario_sets_every_control_and_explains():
    from momentum_viz.app.scenarios import SCENARIOS

    at = _app()
    for key, scenario in SCENARIOS.items():
        at.selectbox(key="scenario").set_value(key).run()
        assert not at.exception, key
        assert at.selectbox(key="surface").value == scenario.settings.surface
        assert at.select_slider(key="momentum").value == pytest.approx(scenario.settings.momentum)
        assert at.select_slider(key="lr").value == pytest.approx(scenario.settings.lr)
        assert at.slider(key="steps").value == scenario.settings.steps
        assert any(scenario.lead in s.value for s in at.success)
        assert any(scenario.watch[:40] in m.value for m in at.markdown)  # in the expander
        assert at.query_params["scenario"] == key


def test_scenario_text_goes_away_once_its_settings_are_left():
    # Escape scenario at γ = 0.6: momentum stays in the shallow well, so the banner that
    # says it reaches the global one must not stay on screen.
    from momentum_viz.app.scenarios import SCENARIOS

    scenario = SCENARIOS["escape-local-minimum"]
    at = _app(scenario=scenario.key)
    assert any(scenario.lead in s.value for s in at.success)
    at.select_slider(key="momentum").set_value(0.6).run()
    assert _outcomes(at)["Momentum"]["reached"].startswith("local minimum")
    assert not any(scenario.lead in s.value for s in at.success)
    assert not any(scenario.watch[:40] in m.value for m in at.markdown)
    assert any("γ 0.9 → 0.6" in i.value for i in at.info)
    (back,) = [b for b in at.button if b.label == "Back to the scenario"]
    back.click().run()
    assert at.select_slider(key="momentum").value == pytest.approx(0.9)
    assert any(scenario.lead in s.value for s in at.success)


def test_scenario_link_reopens_the_scenario():
    from momentum_viz.app.scenarios import SCENARIOS

    key, scenario = next(iter(SCENARIOS.items()))
    at = _app(scenario=key)
    assert at.selectbox(key="scenario").value == key
    assert at.selectbox(key="surface").value == scenario.settings.surface


# --- divergence advice ------------------------------------------------------------------


def _diverging(surface_name: str, method: str, lr: float, momentum: float):
    from momentum_viz.app.settings import Settings, surface_of
    from momentum_viz.app.tabs.race import divergence_note

    settings = Settings(surface=surface_name, lr=lr, momentum=momentum)
    surface = surface_of(settings)
    settings = replace(settings, x0=surface.start[0], y0=surface.start[1], steps=surface.steps)
    run = simulate(surface, method, surface.start, lr=lr, momentum=momentum, steps=surface.steps)
    assert run.diverged_at > 0
    return divergence_note(method, run, surface, settings), surface, settings


def _settles(surface, settings, method, **change) -> bool:
    kwargs = dict(lr=settings.lr, momentum=settings.momentum, steps=settings.steps) | change
    run = simulate(surface, method, (settings.x0, settings.y0), **kwargs)
    return run.diverged_at < 0 and run.converged_at >= 0


def test_heavy_ball_step_size_divergence_is_not_told_to_lower_gamma():
    # κ = 50 bowl, α = 0.05, γ = 0.1: heavy ball needs α < (2 + 2γ)/λmax = 0.044, which
    # grows with γ: γ > αλmax/2 − 1 = 0.25 is stable. Lowering γ would not help.
    note, surface, settings = _diverging("quadratic", "momentum", 0.05, 0.1)
    assert "lower α or γ" not in note and "Try a lower γ" not in note
    assert "needs to be below 0.044" in note and "raise γ above 0.25" in note
    # The advice holds against the runs themselves:
    assert _settles(surface, settings, "momentum", momentum=0.3)
    assert _settles(surface, settings, "momentum", lr=0.043)
    assert not _settles(surface, settings, "momentum", momentum=0.0)


def test_overshoot_on_a_curved_valley_is_told_to_lower_gamma():
    # Rosenbrock, α = 1e-3: γ = 0.995 diverges although α is within the local bound at
    # every point the run crossed; γ = 0.99 settles at the minimum (step 1,543), 0.95
    # within the default 1,000 steps.
    note, surface, settings = _diverging("rosenbrock", "momentum", 1e-3, 0.995)
    assert "is stable here" in note and "Try a lower γ" in note
    assert _settles(surface, settings, "momentum", momentum=0.99, steps=2000)
    assert _settles(surface, settings, "momentum", momentum=0.95)


def test_nesterov_limit_is_below_heavy_balls():
    # Same bowl and α: Nesterov's bound (2 + 2γ)/((1 + 2γ)λmax) falls with γ.
    note, surface, settings = _diverging("quadratic", "nesterov", 0.03, 0.9)
    assert "needs to be below 0.0271" in note and "lower γ below 0.5" in note
    assert _settles(surface, settings, "nesterov", momentum=0.45)
    assert _settles(surface, settings, "momentum")  # heavy ball is fine at these values


# --- the optimum is offered where it holds --------------------------------------------------


def _theory(**query) -> AppTest:
    at = _app(**query)
    at.session_state["view"] = "Theory"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _click_and_race(at: AppTest, label: str) -> dict[str, dict[str, str]]:
    (button,) = [b for b in at.button if b.label == label]
    button.click().run()
    at.session_state["view"] = "Race on the map"
    at.run()
    assert not at.exception
    return _outcomes(at)


@pytest.mark.parametrize("surface", ["rosenbrock", "beale"])
def test_optimum_of_a_minimums_model_is_demonstrated_near_that_minimum(surface):
    # From the default start, heavy ball's α*, γ* (from the Hessian at the minimum)
    # diverge on these surfaces; the button therefore moves the start near the minimum,
    # says so, and the run it sets up settles there.
    s = SURFACES[surface]
    lam_min, lam_max = np.linalg.eigvalsh(s.hessian(np.array(s.global_minimum.point)))
    root_min, root_max = lam_min**0.5, lam_max**0.5
    lr_star = (2 / (root_min + root_max)) ** 2
    gamma_star = ((root_max - root_min) / (root_max + root_min)) ** 2
    from_default = simulate(s, "momentum", s.start, lr=lr_star, momentum=gamma_star, steps=s.steps)
    assert from_default.diverged_at > 0  # the reason for moving the start
    at = _theory(surface=surface, methods="momentum")
    labels = [b.label for b in at.button]
    assert "Use Momentum's optimal α, γ" not in labels
    texts = " ".join(c.value for c in at.caption)
    assert "near the minimum" in texts and "do not settle there" in texts
    rows = _click_and_race(at, "Use Momentum's optimal α, γ near the minimum")
    assert at.select_slider(key="lr").value == pytest.approx(lr_star, rel=1e-9)
    assert rows["Momentum"]["converged"].startswith("step ")
    assert rows["Momentum"]["reached"].startswith("global minimum")


def test_heavy_ball_optimum_warns_that_nesterov_diverges_with_it():
    # κ = 50 bowl: heavy ball's α* = 0.0614, γ* = 0.566 make Nesterov diverge (its limit
    # (2 + 2γ)/((1 + 2γ)λmax) ≈ 0.029 < α*); the warning says so before the
    # button, and Nesterov's own optimum gets its own button, which settles.
    at = _theory(surface="quadratic", methods="momentum,nesterov")
    warnings = [w.value for w in at.warning]
    assert any("Nesterov diverges at step" in w for w in warnings), warnings
    rows = _click_and_race(at, "Use Nesterov's optimal α, γ")
    lr = at.select_slider(key="lr").value
    assert lr == pytest.approx(4 / (3 * DEFAULT_KAPPA + 1), rel=1e-12)  # 4/(3λmax + λmin)
    assert rows["Nesterov"]["converged"].startswith("step ")


def test_measured_rate_is_blank_when_the_run_is_noisy():
    at = _theory(scenario="noisy-gradients")
    table = at.table[-1].value
    assert set(table["measured ρ"]) == {"—"}, table
    assert "None" not in table.to_string()


def test_nesterov_parameter_map_draws_nesterovs_own_limit():
    # κ = 50 bowl: Nesterov is stable for α < (2 + 2γ)/((1 + 2γ)λmax), e.g. 0.02714 at
    # γ = 0.9, far below heavy ball's (2 + 2γ)/λmax = 0.076 there. The dashed line must be
    # Nesterov's, and the title names the surface as the sidebar does.
    at = _app(surface="quadratic", view="parameter-map", map_method="nesterov")
    spec = _map_spec(at)
    (line,) = [t for t in spec["data"] if t.get("name") == "stability limit"]
    assert "(1 + 2γ)" in line["hovertemplate"]
    # The y axis holds γ via momentum_coordinate, x holds log10 α: check one row by hand.
    from momentum_viz.views.parameter_map import lr_coordinate, momentum_coordinate

    xs, ys = _decoded(line["x"]), _decoded(line["y"])
    row = int(np.argmin(np.abs(ys - momentum_coordinate(0.9))))
    gamma = 1 - 10 ** (-ys[row]) if ys[row] > 0 else 0.0
    assert xs[row] == pytest.approx(float(lr_coordinate((2 + 2 * gamma) / ((1 + 2 * gamma) * 50))))
    assert "Rotated quadratic bowl" in spec["layout"]["title"]["text"]
    assert "(1 + 2γ)" in " ".join(c.value for c in at.caption)


def _decoded(values) -> np.ndarray:
    """A plotly.js array as sent: a list, or a typed array {"dtype", "bdata"}."""
    if isinstance(values, dict):
        import base64

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def test_update_rule_shows_the_methods_on_screen():
    from momentum_viz.app.tabs.race import update_rule_latex

    look_ahead = r"\nabla J(\theta - \gamma v)"
    both = update_rule_latex(0.05, 0.9, ("momentum", "nesterov"))
    assert look_ahead in both and r"\gamma = 0.9" in both and r"\alpha = 0.05" in both
    assert look_ahead not in update_rule_latex(0.05, 0.9, ("sgd", "momentum"))
    at = _app(methods="sgd,nesterov")
    (latex,) = [m.value for m in at.latex if r"\leftarrow" in m.value]
    assert look_ahead in latex and r"\text{Momentum: }" not in latex


# --- links reopen the view -----------------------------------------------------------------


def test_link_reopens_tab_map_method_and_theory_point():
    at = _app(surface="multiwell", view="parameter-map", map_method="nesterov")
    assert [bool(t.children) for t in at.tabs] == [label == "(α, γ) map" for label in TAB_LABELS]
    assert at.radio(key="map_method").value == "nesterov"
    assert _map_spec(at)["layout"]["title"]["text"].startswith("Nesterov on")
    at = _app(surface="multiwell", view="theory", theory_point="start")
    assert at.radio(key="theory_point").value == "start"
    assert any("at the start point" in c.value for c in at.caption)


def test_view_choices_follow_the_user_into_the_address_bar():
    at = _app(surface="multiwell")
    at.session_state["view"] = "(α, γ) map"
    at.run()
    at.radio(key="map_method").set_value("nesterov").run()
    assert at.query_params["view"] == "parameter-map"
    assert at.query_params["map_method"] == "nesterov"
    # The map's radio is not drawn on another tab, but its choice stays in the link and
    # comes back with the tab.
    at.session_state["view"] = "Race on the map"
    at.run()
    assert "view" not in at.query_params and at.query_params["map_method"] == "nesterov"
    at.session_state["view"] = "(α, γ) map"
    at.run()
    assert at.radio(key="map_method").value == "nesterov"


def test_replay_speed_changes_play_and_is_kept_in_the_link():
    from momentum_viz.views.live_map import REPLAY_MS

    at = _app(steps="1000")
    assert at.segmented_control(key="speed").value == 1.0
    assert _race(at)["replay_ms"] == REPLAY_MS  # the whole run, whatever its steps
    assert "speed" not in at.query_params
    at.segmented_control(key="speed").set_value(2.0).run()
    assert not at.exception
    assert _race(at)["replay_ms"] == REPLAY_MS / 2  # twice as fast
    assert at.query_params["speed"] == "2"
    at.segmented_control(key="speed").set_value(0.5).run()
    assert at.query_params["speed"] == "0.5" and _race(at)["replay_ms"] == REPLAY_MS * 2
    at.segmented_control(key="speed").set_value(0.25).run()  # slowest: step by step
    assert at.query_params["speed"] == "0.25" and _race(at)["replay_ms"] == REPLAY_MS * 4
    at.segmented_control(key="speed").set_value(0.5).run()
    # A new surface keeps the speed; the link reopens it.
    at.selectbox(key="surface").set_value("multiwell").run()
    assert at.segmented_control(key="speed").value == 0.5
    assert _app(speed="2").segmented_control(key="speed").value == 2.0


def _himmelblau_gentlest_lam_max() -> float:
    """λmax at Himmelblau's least curved minimum, from its Hessian written out by hand:
    J = (x² + y − 11)² + (x + y² − 7)², J_xx = 12x² + 4y − 42, J_yy = 12y² + 4x − 26,
    J_xy = 4x + 4y, at the four minima listed in the literature."""
    lams = []
    for x, y in [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]:
        a, c, b = 12 * x * x + 4 * y - 42, 12 * y * y + 4 * x - 26, 4 * x + 4 * y
        lams.append(0.5 * (a + c) + np.hypot(0.5 * (a - c), b))
    return min(lams)


def test_a_run_off_himmelblau_is_told_the_step_size_its_minima_need():
    # SGD from the default start at α = 0.15 runs off the map in two steps over ground
    # that curves downwards; the note said "no choice of α or γ changes that", yet at
    # α = 0.015 the same run settles. Any minimum needs α < 2/λmax there: 0.02483 at the
    # least curved one (λmax = 80.55).
    limit = 2 / _himmelblau_gentlest_lam_max()
    assert limit == pytest.approx(0.02483, abs=1e-5)
    note, surface, settings = _diverging("himmelblau", "sgd", 0.15, 0.8)
    assert "no choice of α or γ" not in note
    assert f"needs α below {format_number(limit)}" in note and "lower α" in note
    assert _settles(surface, settings, "sgd", lr=0.9 * limit)
    assert _settles(surface, settings, "sgd", lr=0.015)
    assert not _settles(surface, settings, "sgd", lr=1.05 * limit)


def test_no_diverging_run_on_himmelblau_is_told_that_nothing_helps():
    from momentum_viz.app.settings import LR_STOPS, MOMENTUM_STOPS, Settings
    from momentum_viz.app.tabs.race import divergence_note

    surface = SURFACES["himmelblau"]
    downhill = 0
    for lr, gamma, method in itertools.product(
        LR_STOPS, MOMENTUM_STOPS[::4], ("sgd", "momentum", "nesterov")
    ):
        run = simulate(surface, method, surface.start, lr=lr, momentum=gamma, steps=300)
        if run.diverged_at < 0:
            continue
        settings = Settings(surface="himmelblau", lr=lr, momentum=gamma)
        note = divergence_note(method, run, surface, settings)
        assert "no choice of α or γ" not in note, (method, lr, gamma, note)
        downhill += "To settle in a minimum" in note
    assert downhill >= 10


def test_divergence_from_noise_names_the_noise():
    # Rosenbrock at its default α, γ is stable without noise (momentum settles at step
    # 503); with σ = 50 momentum leaves the map. The note must not blame γ.
    from momentum_viz.app.settings import Settings, surface_of
    from momentum_viz.app.tabs.race import divergence_note

    settings = Settings(noise=50.0)
    surface = surface_of(settings)
    kwargs = dict(lr=settings.lr, momentum=settings.momentum, steps=settings.steps)
    assert simulate(surface, "momentum", surface.start, **kwargs).diverged_at == -1
    run = simulate(surface, "momentum", surface.start, noise=50.0, **kwargs)
    assert run.diverged_at > 0
    note = divergence_note("momentum", run, surface, settings)
    assert "gradient noise (σ = 50)" in note and "Try a lower γ" not in note


def test_the_current_alpha_is_on_the_parameter_map_even_far_below_the_default():
    # On the three wells (default α 0.3) the α axis started at 0.3 / 1e3 = 3e-4, so at
    # α = 2e-5 the map's "current" ring was silently dropped (review finding).
    at = _app(surface="multiwell", lr="2e-5", view="parameter-map")
    spec = _map_spec(at)
    assert any(t.get("name") == "current (α, γ)" for t in spec["data"])


def test_page_css_survives_the_html_sanitizer():
    # st.html passes its text through DOMPurify, which drops a whole <style> whose text
    # holds "<" before a letter or "/": a comment that named an HTML tag once removed
    # every rule of the page, focus rings and phone tables with them, without an error.
    from momentum_viz.app.screens import FORCED_COLORS_CSS, PHONE_CSS, THEME_CSS

    for css in (PAGE_CSS, FORCED_COLORS_CSS, PHONE_CSS, THEME_CSS):
        body = css.strip().removeprefix("<style>").removesuffix("</style>")
        assert "<" not in body


def test_play_on_open_is_a_view_setting_kept_in_the_link():
    from momentum_viz.app.compute import RunKey
    from momentum_viz.app.settings import VIEW_FIELDS

    at = _app()
    assert at.checkbox(key="autoplay").value is False
    assert _race(at)["autoplay"] is False and "autoplay" not in at.query_params
    at.checkbox(key="autoplay").check().run()
    assert not at.exception
    assert _race(at)["autoplay"] is True and at.query_params["autoplay"] == "1"
    # A new surface keeps it; the link reopens it; it only changes the view.
    at.selectbox(key="surface").set_value("multiwell").run()
    assert at.checkbox(key="autoplay").value is True
    assert _app(autoplay="1").checkbox(key="autoplay").value is True
    assert "autoplay" in VIEW_FIELDS and "autoplay" not in RunKey._fields


def test_a_run_inside_the_tolerance_only_at_its_last_step_is_not_called_converged():
    # κ = 50 bowl, heavy ball α 0.02, γ 0.99, 1,096 steps: the table said "step 1096";
    # the run leaves the tolerance at step 1,097 and settles at 1,620.
    at = _app(surface="quadratic", methods="momentum", lr="0.02", momentum="0.99", steps="1096")
    assert not at.exception
    assert _outcomes(at)["Momentum"]["converged"] == (
        "inside the tolerance at the last step, not yet settled (run on, it settles at step 1620)"
    )
    at = _app(surface="quadratic", methods="momentum", lr="0.02", momentum="0.99", steps="1700")
    assert _outcomes(at)["Momentum"]["converged"] == "step 1620"


def test_labels_name_the_bowl_on_screen_not_the_default_one():
    # On the round-bowl scenario (κ = 1) the surface box and the map's accessible name
    # said "κ = 50" and the surface note "(κ = 1) — A long, narrow, tilted bowl".
    from momentum_viz.app.live_map import map_label
    from momentum_viz.app.scenarios import SCENARIOS

    for key, kappa in (("momentum-slower-round-bowl", 1.0), ("noisy-gradients", 2.0)):
        at = _app(scenario=key)
        assert not at.exception
        assert at.select_slider(key="kappa").value == kappa
        options = at.selectbox(key="surface").options
        assert not any("κ" in option for option in options), options
        assert f"(κ = {kappa:g})" in map_label(SCENARIOS[key].settings)
        (note,) = [e.label for e in at.expander if "Rotated quadratic bowl" in e.label]
        assert f"(κ = {kappa:g})" in note and "long, narrow" not in note, note
        # The bowl's contours have axes in the ratio √κ : 1: round at 1, nearly at 2.
        assert ("round bowl" in note) == (kappa == 1.0)
    bowl = _app(surface="quadratic")
    (note,) = [e.label for e in bowl.expander if "Rotated quadratic bowl" in e.label]
    assert "(κ = 50)" in note and "long, narrow" in note


def test_a_minimum_value_at_rounding_level_is_shown_as_zero():
    # Himmelblau's polished minimum keeps J* = 7.89e-31, the last bit of its terms (≈ 11):
    # the table showed "global minimum (J = 7.89e-31)" where a student expects 0.
    s = SURFACES["himmelblau"]
    run = simulate(s, "sgd", s.start, lr=s.lr, steps=s.steps)
    assert 0 < s.minima[run.minimum].value < 1e-29
    at = _app(surface="himmelblau")
    rows = _outcomes(at)
    assert rows["SGD"]["reached"] == "global minimum (J = 0)", rows
    # A minimum well above rounding keeps its value (the three wells: J = −2.048).
    rows = _outcomes(_app(surface="multiwell", x0="2.87", y0="-0.2"))
    assert rows["SGD"]["reached"] == "global minimum (J = −2.048)", rows


def test_the_downloads_are_built_once_their_expander_is_opened():
    """Closed, the downloads' expander is one element (each element costs every γ move
    of a class); opened, it holds both downloads, and keeps them across a γ move."""
    at = _app()
    assert not at.get("download_button")
    at.session_state[DOWNLOADS_KEY] = True
    at.run()
    labels = ["Download trajectories (CSV)", "Download animation (HTML, plays offline)"]
    assert [b.proto.label for b in at.get("download_button")] == labels
    at.select_slider(key="momentum").set_value(0.5).run()
    assert [b.proto.label for b in at.get("download_button")] == labels
