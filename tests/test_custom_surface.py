"""A surface the user types works everywhere a built-in one does.

The app side: the sidebar's formula and Apply, links, every tab, and the surfaces that
list no minimum or are undefined in parts of their bounds.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from _apptest import open_app as _app
from PIL import Image
from streamlit.testing.v1 import AppTest

from momentum_viz import simulate
from momentum_viz.app.settings import (
    DEFAULT_EXPRESSION,
    Settings,
    code_span,
    defaults_for,
    from_query_params,
    to_query_params,
)
from momentum_viz.app.tabs import race, theory
from momentum_viz.numerics.optimizer import reference_run
from momentum_viz.numerics.summary import summarize
from momentum_viz.views.surface_layer import UNDEFINED_RGB, color_transform, surface_image
from surfaces import SURFACES, ExpressionError, from_expression

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
VIEWS = ("race", "3d", "theory", "parameter-map", "basin-map")
# (formula, extra link values): one with minima, two with none (a plane, a surface
# unbounded below), one undefined for x < 0 (NaN J), one whose gradient is NaN there too.
# The two without a minimum take α = 1, so that their runs leave the map (their first α
# keeps a run on the map for half its steps).
CUSTOM = {
    "minima": (DEFAULT_EXPRESSION, {}),
    "plane": ("x + y", {"lr": "1"}),
    "unbounded": ("-x**2 - y**2", {"lr": "1"}),
    "nan-j": ("log(x) + y**2", {"xmin": "-2"}),
    "nan-grad": ("sqrt(x) + y**2", {"xmin": "-2", "x0": "0.5", "y0": "1", "lr": "0.5"}),
}
HOSTILE = ["__import__('os').system('echo hi')", "9**9**9", "[x](https://evil.example) **y**"]


def _outcomes(at: AppTest) -> list[dict[str, str]]:
    return [row.to_dict() for _, row in at.table[0].value.iterrows()]


def _apply(at: AppTest, expr: str) -> AppTest:
    at.text_input(key="draft_expr").set_value(expr)
    next(b for b in at.button if b.label == "Apply").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_custom_rosenbrock_races_like_the_built_in_one():
    built_in = SURFACES["rosenbrock"]
    (xmin, xmax), (ymin, ymax) = built_in.bounds
    common = {
        "methods": "sgd,momentum,nesterov",
        "lr": repr(built_in.lr),
        "momentum": repr(built_in.momentum),
        "steps": str(built_in.steps),
        "x0": repr(built_in.start[0]),
        "y0": repr(built_in.start[1]),
    }
    custom = _app(
        surface="custom", expr=ROSENBROCK, xmin=repr(xmin), xmax=repr(xmax),
        ymin=repr(ymin), ymax=repr(ymax), **common,
    )  # fmt: skip
    reference = _app(surface="rosenbrock", **common)
    assert not custom.info, [i.value for i in custom.info]  # the link was taken as it is
    rows = _outcomes(custom)
    assert rows == _outcomes(reference)
    assert any(row["reached"].startswith("global minimum") for row in rows), rows


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("case", list(CUSTOM))
def test_every_tab_runs_for_custom_surfaces(case, view):
    expr, extra = CUSTOM[case]
    at = _app(surface="custom", expr=expr, view=view, **extra)
    assert not [i.value for i in at.info if i.value.startswith("Link")]
    assert at.selectbox(key="surface").value == "custom"
    if view == "race" and case != "minima":
        rows = _outcomes(at)
        assert all(row["distance to nearest minimum"] == race.NO_MINIMUM for row in rows)
    if view == "basin-map" and case != "minima":
        assert any("no minimum inside its bounds" in i.value for i in at.info)


@pytest.mark.parametrize("case", ["plane", "unbounded", "nan-grad"])
def test_runs_on_surfaces_without_a_minimum_diverge_with_a_true_reason(case):
    expr, extra = CUSTOM[case]
    at = _app(surface="custom", expr=expr, **extra)
    notes = [e.value for e in at.error]
    assert notes, "these runs leave the map or reach undefined J"
    expected = "not a finite number" if case == "nan-grad" else "curve upwards"
    assert all(expected in note for note in notes), notes


def test_theory_tab_says_there_is_no_minimum_and_models_the_start():
    at = _app(surface="custom", expr="x**2 - y**2", view="theory")
    assert [i.value for i in at.info] == [theory.NO_MINIMUM]
    assert any("at the start point" in c.value for c in at.caption)
    assert any("has none inside its bounds" in c.value for c in at.caption)
    at = _app(surface="custom", expr=DEFAULT_EXPRESSION, view="theory")
    assert theory.NO_MINIMUM not in [i.value for i in at.info]


def test_theory_tab_where_the_hessian_is_undefined_at_the_start():
    at = _app(surface="custom", expr="sqrt(x) + y**2", xmin="-2", x0="-1", view="theory",
              theory_point="start")  # fmt: skip
    assert any("not a finite number at the start point" in i.value for i in at.info)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_refused_formula_shows_its_column_and_keeps_the_surface(hostile):
    at = _app(surface="custom")
    before = (at.session_state["expr"], at.number_input(key="x0").value, _outcomes(at))
    _apply(at, hostile)
    with pytest.raises(ExpressionError) as refusal:
        from_expression(hostile)
    reason = f"column {refusal.value.column}: {refusal.value.reason}"
    (error,) = at.error
    # Exactly this text: the reason (which may quote the formula) only inside a code
    # span, so nothing of it becomes a link, bold text or a heading.
    assert error.value == (
        f"Not applied: {code_span(reason)}. The surface stays "
        f"{code_span('J(x, y) = ' + DEFAULT_EXPRESSION)}."
    )
    assert f"column {refusal.value.column}" in error.value
    assert (at.session_state["expr"], at.number_input(key="x0").value, _outcomes(at)) == before
    assert at.text_input(key="draft_expr").value == hostile  # kept, to be corrected


def test_a_refused_formula_is_also_said_above_the_map_it_did_not_change():
    # The map keeps the old surface; a note only in the sidebar went unseen. The race tab
    # says it too, above the map, in the student's words (write 2*x).
    at = _apply(_app(surface="custom"), "2x + y**2")
    (warning,) = [w.value for w in at.warning if "Not applied" in w.value]
    assert "write 2*x for 2 times x" in warning
    assert warning == at.error[0].value
    _apply(at, "2*x**2 + y**2")
    assert not [w for w in at.warning if "Not applied" in w.value]


def test_an_accepted_formula_loads_its_defaults_and_clears_the_error():
    at = _apply(_app(surface="custom"), "9**9**9")
    assert at.error
    _apply(at, "(x - 1)**2 + 2*(y + 0.5)**2")
    assert not at.error
    surface = from_expression("(x - 1)**2 + 2*(y + 0.5)**2")
    assert at.number_input(key="x0").value == pytest.approx(surface.start[0])
    assert at.select_slider(key="lr").value == pytest.approx(surface.lr)
    assert at.slider(key="steps").value == surface.steps
    assert at.query_params["expr"] == "(x - 1)**2 + 2*(y + 0.5)**2"
    # The formula is shown as typed, in a code span (its * would otherwise be emphasis).
    assert any(e.label.startswith(code_span(surface.title)) for e in at.expander)


def test_bounds_that_do_not_increase_are_refused():
    at = _app(surface="custom")
    at.number_input(key="draft_xmin").set_value(2.0)
    at.number_input(key="draft_xmax").set_value(1.0)
    next(b for b in at.button if b.label == "Apply").click()
    at.run()
    assert "x min (2) must be below x max (1)" in at.error[0].value
    assert at.session_state["xmin"] == -3.0


def test_custom_formula_comes_back_after_another_surface():
    at = _apply(_app(surface="custom"), "x**2 + 3*y**2")
    at.selectbox(key="surface").set_value("multiwell").run()
    assert "expr" not in at.query_params
    at.selectbox(key="surface").set_value("custom").run()
    assert at.session_state["expr"] == "x**2 + 3*y**2"
    assert at.text_input(key="draft_expr").value == "x**2 + 3*y**2"


def test_a_link_with_a_refused_formula_falls_back_with_a_quoted_note():
    settings, notes = from_query_params({"surface": "custom", "expr": HOSTILE[0]})
    assert settings == defaults_for("rosenbrock")
    assert notes == [
        "expr = \"__import__('os').system('echo hi')\" is refused: column 17: attribute "
        "access (.system) is not allowed. Showing rosenbrock."
    ]
    at = _app(surface="custom", expr=HOSTILE[2])
    assert at.selectbox(key="surface").value == "rosenbrock"
    (note,) = at.info
    assert note.value.startswith("Link: `") and "column" in note.value


def test_custom_links_are_short_and_round_trip():
    s = defaults_for("custom", expr="x**2 + y**2", bounds=((-1.0, 2.0), (-3.0, 3.0)))
    params = to_query_params(s)
    assert params["expr"] == "x**2 + y**2"
    assert {"xmin", "xmax"} <= set(params) and not {"ymin", "ymax"} & set(params)
    assert from_query_params(params) == (s, [])
    # A formula in a link for a built-in surface is reported, not silently dropped.
    settings, notes = from_query_params({"surface": "beale", "expr": "x"})
    assert settings.expr == "" and notes == ["expr: used only with surface = custom: ignored."]
    assert "expr" not in to_query_params(Settings())


# --- below the app -------------------------------------------------------------------


def test_summary_of_a_run_on_a_surface_without_minima():
    s = from_expression("x + y")
    summary = summarize(s, simulate(s, "sgd", (0.0, 0.0), lr=0.01, steps=5))
    assert summary.nearest_minimum == -1 and np.isnan(summary.distance_to_minimum)
    assert summary.reached == ""


@pytest.mark.parametrize("method", ["sgd", "momentum", "nesterov"])
def test_a_run_frozen_where_the_gradient_is_nan_stays_finite(method):
    # sqrt(x): the run jumps to x < 0, where ∇J is NaN; frozen there, 0·NaN must not
    # move it (the batched runner once filled the rest of the path with NaN).
    s = from_expression("sqrt(x) + y**2", bounds=((-2, 3), (-3, 3)))
    run = simulate(s, method, (0.5, 1.0), lr=0.5, momentum=0.9, steps=100)
    ref = reference_run(s, method, (0.5, 1.0), lr=0.5, momentum=0.9, steps=100)
    assert run.diverged_at == ref.diverged_at > 0
    assert np.isfinite(run.positions).all() and np.isfinite(run.velocities).all()
    np.testing.assert_array_equal(run.positions, ref.positions)


def test_colour_map_paints_undefined_cells_grey_and_scales_without_minima():
    s = from_expression("log(x) + y**2", bounds=((-2, 2), (-2, 2)))
    transform = color_transform(s)
    assert np.isfinite(transform.j_min) and np.isfinite(transform.t_range).all()
    png = base64.b64decode(surface_image(s, resolution=40).split(",", 1)[1])
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    grey = (rgb == UNDEFINED_RGB).all(axis=-1)
    # Pixel centres at x < 0 (the left half) are undefined; x > 0 are coloured.
    assert grey[:, :20].all() and not grey[:, 20:].any()


def test_a_box_too_narrow_for_its_place_is_refused_with_a_note():
    # x in [-1000, -999.9]: one ordinary step would leave a box 1000× that size, so
    # "diverged" would mean nothing there (review finding); the link falls back.
    at = _app(surface="custom", expr="x**2 + y**2", xmin="-1000", xmax="-999.9")
    assert at.selectbox(key="surface").value == "rosenbrock"
    assert any("bounds are refused" in i.value and "wide" in i.value for i in at.info)


def test_maps_of_a_costly_formula_stay_within_the_servers_budget(monkeypatch):
    # With no time to spare, a custom surface's maps fall to the coarsest grid, and the
    # tab says why; the built-in surfaces keep their full grid whatever the budget.
    from momentum_viz.app import compute
    from momentum_viz.numerics.maps import DEFAULT_BASIN_RESOLUTION, DEFAULT_GRID

    monkeypatch.setattr(compute, "MAP_BUDGET_SECONDS", 1e-9)
    expr = "sin(2*x) * cos(2*y) + 0.2*(x**2 + y**2)"  # a formula no other test maps
    at = _app(surface="custom", expr=expr, view="parameter-map")
    custom = Settings(surface="custom", x0=0.5, y0=0.5, steps=50, expr=expr)
    pmap = compute.compute_parameter_map(compute.parameter_map_key(custom), "momentum")
    assert pmap.shape == (compute.MIN_MAP_SIDE, compute.MIN_MAP_SIDE) < (DEFAULT_GRID,) * 2
    assert any("coarser grid" in c.value for c in at.caption)
    custom = Settings(surface="custom", lr=0.01, momentum=0.0, steps=50, expr=expr)
    bmap = compute.compute_basin_map(compute.basin_map_key(custom), "sgd")
    assert bmap.shape[0] == compute.MIN_MAP_SIDE < DEFAULT_BASIN_RESOLUTION
    himmelblau = Settings(surface="himmelblau", x0=0.5, y0=0.5, steps=50)
    builtin = compute.compute_parameter_map(compute.parameter_map_key(himmelblau), "momentum")
    assert builtin.shape == (DEFAULT_GRID, DEFAULT_GRID)
