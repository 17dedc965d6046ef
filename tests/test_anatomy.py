"""The anatomy of a step: its parts against simulate's own arrays."""

from __future__ import annotations

import numpy as np
import pytest

from momentum_viz import simulate
from momentum_viz.numerics.anatomy import step_anatomy
from surfaces import SURFACES

METHODS = ("sgd", "momentum", "nesterov")
# (surface, start, α, γ, steps): a bowl, a curved valley and a bumpy surface.
CASES = [
    ("quadratic", (2.5, 2.0), 0.02, 0.8, 40),
    ("rosenbrock", SURFACES["rosenbrock"].start, 1e-3, 0.9, 60),
    ("multiwell", SURFACES["multiwell"].start, 0.05, 0.7, 40),
]


def _anatomies(surface, method, start, lr, momentum, steps):
    run = simulate(surface, method, start, lr=lr, momentum=momentum, steps=steps)
    return run, [
        step_anatomy(surface, run, method, t, lr=lr, momentum=momentum) for t in range(steps)
    ]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("surface", "start", "lr", "momentum", "steps"), CASES)
def test_the_move_is_the_runs_step_and_the_parts_add_up_to_it(
    surface, start, lr, momentum, steps, method
):
    run, parts = _anatomies(surface, method, start, lr, momentum, steps)
    for t, a in enumerate(parts):
        assert a.step == t
        np.testing.assert_array_equal(a.point, run.positions[t])
        # θ_{t+1} − θ_t = −v_{t+1}
        np.testing.assert_allclose(a.move, run.positions[t + 1] - run.positions[t], atol=1e-12)
        np.testing.assert_array_equal(a.move, -run.velocities[t + 1])
        # gradient part + momentum part = the move
        np.testing.assert_allclose(a.gradient_step + a.carried, a.move, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.rest, 0.0, atol=1e-12)
        gamma = 0.0 if method == "sgd" else momentum
        np.testing.assert_allclose(a.carried, -gamma * run.velocities[t], rtol=0, atol=0)
        np.testing.assert_allclose(a.gradient_step, -lr * a.gradient, rtol=0, atol=0)


@pytest.mark.parametrize(("surface", "start", "lr", "momentum", "steps"), CASES)
def test_nesterov_takes_its_gradient_at_the_look_ahead_point(surface, start, lr, momentum, steps):
    run, parts = _anatomies(surface, "nesterov", start, lr, momentum, steps)
    s = SURFACES[surface]
    for t, a in enumerate(parts):
        lookahead = run.positions[t] - momentum * run.velocities[t]
        np.testing.assert_array_equal(a.lookahead, lookahead)
        np.testing.assert_array_equal(a.gradient_at, a.point + a.carried)
        np.testing.assert_allclose(a.gradient, s.grad(lookahead), rtol=0, atol=0)
    # ... which is not the point itself once there is a velocity to carry: the test above
    # would not tell heavy ball's gradient from Nesterov's otherwise.
    assert any(np.linalg.norm(a.point - a.gradient_at) > 1e-6 for a in parts[1:])


@pytest.mark.parametrize(("surface", "start", "lr", "momentum", "steps"), CASES)
def test_heavy_ball_and_sgd_take_the_gradient_where_they_stand(surface, start, lr, momentum, steps):
    s = SURFACES[surface]
    for method in ("sgd", "momentum"):
        _, parts = _anatomies(surface, method, start, lr, momentum, steps)
        for a in parts:
            assert a.lookahead is None
            np.testing.assert_array_equal(a.gradient_at, a.point)
            np.testing.assert_allclose(a.gradient, s.grad(a.point), rtol=0, atol=0)


@pytest.mark.parametrize(("surface", "start", "lr", "momentum", "steps"), CASES)
def test_sgd_carries_nothing_and_step_zero_carries_nothing(surface, start, lr, momentum, steps):
    _, parts = _anatomies(surface, "sgd", start, lr, momentum, steps)
    for a in parts:
        np.testing.assert_array_equal(a.carried, [0.0, 0.0])
        np.testing.assert_allclose(a.gradient_step, a.move, rtol=0, atol=1e-12)
    for method in ("momentum", "nesterov"):
        _, parts = _anatomies(surface, method, start, lr, momentum, steps)
        np.testing.assert_array_equal(parts[0].carried, [0.0, 0.0])
        assert np.linalg.norm(parts[1].carried) > 0


def test_noise_is_what_the_parts_leave_over():
    run = simulate("quadratic", "momentum", (2.0, 1.0), lr=0.02, momentum=0.8, steps=10, noise=1.0)
    noise = 1.0 * np.random.default_rng(0).standard_normal((10, 2))
    for t in range(10):
        a = step_anatomy("quadratic", run, "momentum", t, lr=0.02, momentum=0.8)
        np.testing.assert_allclose(a.rest, -0.02 * noise[t], atol=1e-12)


@pytest.mark.parametrize(
    ("step", "message"), [(-1, "step"), (5, "step"), (1.0, "integer"), (True, "integer")]
)
def test_bad_steps_are_refused(step, message):
    run = simulate("quadratic", "sgd", (2.0, 1.0), lr=0.05, steps=5)
    with pytest.raises(ValueError, match=message):
        step_anatomy("quadratic", run, "sgd", step, lr=0.05, momentum=0.0)


# --- the view ----------------------------------------------------------------------------


def _figure(step=3, surface="quadratic", steps=20):
    from momentum_viz.views.anatomy import anatomy_figure

    s = SURFACES[surface]
    runs = {m: simulate(s, m, s.start, lr=s.lr, momentum=s.momentum, steps=steps) for m in METHODS}
    parts = {m: step_anatomy(s, r, m, step, lr=s.lr, momentum=s.momentum) for m, r in runs.items()}
    fig = anatomy_figure(s, {m: r.positions for m, r in runs.items()}, parts, step)
    return fig.to_dict(), parts


def _arrows(spec):
    return {
        (t["meta"]["method"], t["meta"]["part"]): t
        for t in spec["data"]
        if isinstance(t.get("meta"), dict) and t["meta"].get("role") == "anatomy"
    }


def test_figure_draws_each_part_of_each_method_with_a_head_at_its_tip():
    from momentum_viz.views.anatomy import min_arrow_length

    spec, parts = _figure()
    arrows = _arrows(spec)
    heads = {a["name"]: a for a in spec["layout"]["annotations"] if "name" in a}
    expected = {(m, p) for m in METHODS for p in ("gradient", "carried", "move")}
    expected.discard(("sgd", "carried"))  # SGD carries nothing: no arrow
    expected.add(("nesterov", "lookahead"))
    assert set(arrows) == expected
    assert not spec.get("frames") and not spec["layout"].get("sliders")  # a still map
    box = (tuple(spec["layout"]["xaxis"]["range"]), tuple(spec["layout"]["yaxis"]["range"]))
    floor = min_arrow_length(box)
    for (method, part), trace in arrows.items():
        a = parts[method]
        if part == "lookahead":
            np.testing.assert_allclose([trace["x"][0], trace["y"][0]], a.lookahead)
            continue
        vector = {"gradient": a.gradient_step, "carried": a.carried, "move": a.move}[part]
        tail = a.gradient_at if part == "gradient" else a.point
        xy = np.column_stack([trace["x"], trace["y"]])
        drawn = xy[-1] - xy[0]
        true = float(np.hypot(*vector))
        np.testing.assert_allclose(xy[0], tail)
        assert trace["meta"]["length"] == pytest.approx(true, rel=1e-12)
        # Same direction; the true length, or the minimum length for a short arrow.
        np.testing.assert_allclose(drawn / np.hypot(*drawn), vector / true, atol=1e-12)
        assert np.hypot(*drawn) == pytest.approx(max(true, floor), rel=1e-12)
        assert f"{true:.4g}" in trace["hovertemplate"]
        head = heads[f"anatomy: {method} {part}"]
        np.testing.assert_allclose([head["x"], head["y"]], xy[-1])
        assert head["showarrow"] and head["arrowcolor"] == trace["line"]["color"]
    # The move arrow ends on θ_{t+1} and the Nesterov gradient on it too (when not
    # lengthened): the parts are drawn at the map's own scale.
    for method in METHODS:
        xy = np.column_stack([arrows[(method, "move")]["x"], arrows[(method, "move")]["y"]])
        if np.hypot(*parts[method].move) >= floor:
            np.testing.assert_allclose(xy[-1], parts[method].point + parts[method].move)


def test_a_tiny_step_is_drawn_at_the_minimum_length_with_its_true_length_in_the_hover():
    from momentum_viz.views.anatomy import min_arrow_length

    spec, parts = _figure(step=190, steps=200)
    box = (tuple(spec["layout"]["xaxis"]["range"]), tuple(spec["layout"]["yaxis"]["range"]))
    arrows = _arrows(spec)
    trace = arrows[("sgd", "move")]
    true = float(np.hypot(*parts["sgd"].move))
    xy = np.column_stack([trace["x"], trace["y"]])
    assert true < min_arrow_length(box) / 10
    assert np.hypot(*(xy[-1] - xy[0])) == pytest.approx(min_arrow_length(box))
    assert "drawn longer" in trace["hovertemplate"]
    assert f"length {true:.4g}" in trace["hovertemplate"]


def test_the_figure_is_valid_plotly():
    import plotly.graph_objects as go

    spec, _ = _figure()
    go.Figure(spec)  # validates every property
