"""Widget values a crafted websocket message can carry: the page ignores or replaces each,
with a visible note, and never raises.

The browser sends every widget's value as a ``WidgetState`` proto; a hand-written client
can put anything in it (a surface that is not offered, NaN for a number, a chart
selection that is not Plotly's shape). AppTest serialises its widgets the way the
frontend does, so each test here replaces one widget's proto by a raw one, as such a
client would, and reruns the page with it.
"""

from __future__ import annotations

import json
import math

import pytest
from _apptest import open_app
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from surfaces import SURFACES


def _rerun_with(at: AppTest, key: str, **raw: object) -> AppTest:
    """Rerun with the widget (or chart) whose key is ``key`` sending ``raw``, e.g.
    ``string_value="nonexistent"``, instead of what its frontend would send."""
    states = at._tree.get_widget_states()
    protos = [node.proto for node in at._tree if hasattr(node, "proto")]
    ids = {p.id for p in protos if isinstance(getattr(p, "id", None), str)}
    widget_id = next(i for i in ids if i.endswith(f"-{key}"))  # ids end with the key
    kept = [state for state in states.widgets if state.id != widget_id]
    crafted = WidgetState(id=widget_id)
    for field, value in raw.items():
        if field.endswith("_array_value"):
            getattr(crafted, field).data[:] = value
        else:
            setattr(crafted, field, value)
    del states.widgets[:]
    states.widgets.extend([*kept, crafted])
    at._run(states)
    assert not at.exception, [e.message for e in at.exception]
    return at


def _ignored(at: AppTest) -> list[str]:
    return [box.value for box in at.warning if box.value.startswith("Ignored:")]


def test_an_unknown_surface_falls_back_to_the_default_with_a_note():
    at = _rerun_with(open_app(surface="multiwell"), "surface", string_value="nonexistent")
    notes = _ignored(at)
    assert any("surface = 'nonexistent'" in n and "showing rosenbrock" in n for n in notes)
    assert at.selectbox(key="surface").value == "rosenbrock"
    assert at.slider(key="steps").value == SURFACES["rosenbrock"].steps
    at.run()  # repaired: the next rerun is clean
    assert not at.exception and not _ignored(at)


@pytest.mark.parametrize(("key", "raw"), [("seed", math.nan), ("seed", math.inf), ("x0", -1e300)])
def test_a_number_that_is_not_finite_or_in_range_is_replaced(key, raw):
    # Streamlit itself resets a float input's non-finite or out-of-range value to its
    # default; the seed is such an input (an int one raised on NaN before any app code).
    at = _rerun_with(open_app(surface="multiwell"), key, double_value=raw)
    value = at.number_input(key=key).value
    assert math.isfinite(value)
    at.run()
    assert not at.exception


def test_a_seed_that_is_not_whole_is_rounded_with_a_note():
    at = _rerun_with(open_app(), "seed", double_value=2.6)
    assert any("seed = 2.6 is not a whole number: using 3" in n for n in _ignored(at))
    at.run()
    assert at.number_input(key="seed").value == 3 and not _ignored(at)


def test_an_empty_replay_speed_gives_1x():
    at = _rerun_with(open_app(speed="2"), "speed", string_array_value=[])
    assert at.segmented_control(key="speed").value == 1.0
    assert any("speed = " in n for n in _ignored(at)), _ignored(at)


def test_an_anatomy_step_that_is_not_a_number_is_replaced():
    at = open_app(surface="quadratic", anatomy="1", anatomy_step="3")
    at = _rerun_with(at, "anatomy_step", double_value=math.nan)
    at.run()
    assert not at.exception and at.number_input(key="anatomy_step").value == 0


def _selection(points: object) -> str:
    return json.dumps(
        {"selection": {"points": points, "point_indices": [], "box": [], "lasso": []}}
    )


@pytest.mark.parametrize(
    "customdata", ["abc", [[1]], ["x"], ["x", "y"], [1e-300, 0.5], [0.01, 1.5], [0.01, None]]
)
def test_a_crafted_parameter_map_click_is_ignored_with_a_note(customdata):
    at = open_app(surface="multiwell", view="parameter-map")
    before = (at.select_slider(key="lr").value, at.select_slider(key="momentum").value)
    point = {"x": 0.1, "y": 0.5, "customdata": customdata}
    at = _rerun_with(at, "parameter_map", string_value=_selection([point]))
    assert (at.select_slider(key="lr").value, at.select_slider(key="momentum").value) == before
    assert any("(α, γ) map click" in n for n in _ignored(at)), _ignored(at)


def test_a_parameter_map_click_inside_the_ranges_still_sets_alpha_and_gamma():
    at = open_app(surface="multiwell", view="parameter-map")
    point = {"x": 0.02, "y": 0.5, "customdata": [0.02, 0.5]}
    at = _rerun_with(at, "parameter_map", string_value=_selection([point]))
    assert (at.select_slider(key="lr").value, at.select_slider(key="momentum").value) == (
        0.02,
        0.5,
    )
    assert not _ignored(at)


# The anatomy's still map was a Plotly chart with its own selection; it is the canvas
# live map now, whose clicks go through state.on_live_map_click (checked by _set_start).
def test_selection_points_that_are_not_points_are_ignored_with_a_note():
    at = open_app(surface="quadratic", view="parameter-map")
    at = _rerun_with(at, "parameter_map", string_value=_selection([5]))
    assert any("map click = [5]" in n for n in _ignored(at)), _ignored(at)


@pytest.mark.parametrize("bound", [math.nan, math.inf])
def test_a_custom_bound_that_is_not_a_number_is_refused_on_apply(bound):
    at = open_app(surface="custom", expr="x**2 + y**2")
    at.button(key="FormSubmitter:custom_surface-Apply").click()
    at = _rerun_with(at, "draft_xmin", double_value=bound)
    errors = [box.value for box in at.error if box.value.startswith("Not applied")]
    assert errors and "xmin = None" in errors[0], errors
    assert at.session_state["xmin"] == -3.0  # the applied box is unchanged


def test_an_unknown_surface_keeps_the_view_settings():
    at = open_app(surface="multiwell", speed="2", methods="sgd,nesterov")
    at = _rerun_with(at, "surface", string_value="nonexistent")
    assert at.segmented_control(key="speed").value == 2.0
    assert at.pills(key="methods").value == ["sgd", "nesterov"]


def _click_live_map(at: AppTest, value: object) -> AppTest:
    """Rerun as a crafted client would after a click on the canvas race map: the
    component's trigger widget (its id + "__events") carrying ``[{"event": "click",
    "value": value}]``, where the map itself sends ``{"x": …, "y": …}``."""
    race_map = next(e for e in at.get("bidi_component") if e.proto.id.endswith("-race_map"))
    trigger_id = f"$$STREAMLIT_INTERNAL_KEY_{race_map.proto.id}__events"
    states = at._tree.get_widget_states()
    payload = json.dumps([{"event": "click", "value": value}], allow_nan=True)
    states.widgets.extend([WidgetState(id=trigger_id, json_trigger_value=payload)])
    at._run(states)
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize(
    "click",
    ["abc", [1, 2], {"x": "1", "y": 0.5}, {"x": math.nan, "y": 0.5}, {"y": 0.5}, {"x": True}],
)
def test_a_crafted_live_map_click_is_ignored_with_a_note(click):
    at = open_app(surface="multiwell")
    before = (at.session_state["x0"], at.session_state["y0"])
    at = _click_live_map(at, click)
    assert (at.session_state["x0"], at.session_state["y0"]) == before
    assert any("a map click = " in n for n in _ignored(at)), _ignored(at)


def test_a_live_map_click_outside_the_box_is_clamped_to_it():
    at = _click_live_map(open_app(surface="multiwell"), {"x": 1e308, "y": -0.25})
    (_, xmax), (ymin, ymax) = SURFACES["multiwell"].bounds
    assert (at.session_state["x0"], at.session_state["y0"]) == (xmax, -0.25)
    assert ymin <= -0.25 <= ymax and not _ignored(at)
