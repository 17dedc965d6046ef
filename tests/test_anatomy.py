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


def _header(step=3, surface="quadratic", steps=20):
    """The anatomy the live map is sent (views/anatomy.anatomy_header) and the anatomies."""
    from momentum_viz.views.anatomy import anatomy_header

    s = SURFACES[surface]
    runs = {m: simulate(s, m, s.start, lr=s.lr, momentum=s.momentum, steps=steps) for m in METHODS}
    parts = {m: step_anatomy(s, r, m, step, lr=s.lr, momentum=s.momentum) for m, r in runs.items()}
    order = {m: i for i, m in enumerate(METHODS)}
    return anatomy_header(s.bounds, parts, step, order), parts


def _arrows(header):
    arrows = {(a["method"], a["part"]): a for a in header["arrows"]}
    arrows.update({(look["method"], "lookahead"): look for look in header["lookaheads"]})
    return arrows


def _box(header):
    x0, x1, y0, y1 = header["box"]
    return ((x0, x1), (y0, y1))


def test_each_part_of_each_method_is_an_arrow_at_the_maps_scale():
    from momentum_viz.views.anatomy import min_arrow_length

    header, parts = _header()
    arrows = _arrows(header)
    expected = {(m, p) for m in METHODS for p in ("gradient", "carried", "move")}
    expected.discard(("sgd", "carried"))  # SGD carries nothing: no arrow
    expected.add(("nesterov", "lookahead"))
    assert set(arrows) == expected
    assert header["step"] == 3
    # Drawn in the parts' order, the move on top.
    assert [a["part"] for a in header["arrows"]][-3:] == ["move"] * 3
    floor = min_arrow_length(_box(header))
    for (method, part), entry in arrows.items():
        a = parts[method]
        if part == "lookahead":
            np.testing.assert_allclose(entry["point"], a.lookahead)
            assert f"{a.lookahead[0]:.4g}" in entry["hover"]
            continue
        vector = {"gradient": a.gradient_step, "carried": a.carried, "move": a.move}[part]
        tail = a.gradient_at if part == "gradient" else a.point
        drawn = np.asarray(entry["drawn"])
        true = float(np.hypot(*vector))
        np.testing.assert_allclose(entry["tail"], tail)
        assert entry["length"] == pytest.approx(true, rel=1e-12)
        # Same direction; the true length, or the minimum length for a short arrow.
        np.testing.assert_allclose(drawn / np.hypot(*drawn), vector / true, atol=1e-12)
        assert np.hypot(*drawn) == pytest.approx(max(true, floor), rel=1e-12)
        assert f"{true:.4g}" in entry["hover"]
    # The move arrow ends on θ_{t+1} (when not lengthened): the parts are drawn at the
    # map's own scale.
    for method in METHODS:
        move = arrows[(method, "move")]
        if np.hypot(*parts[method].move) >= floor:
            tip = np.add(move["tail"], move["drawn"])
            np.testing.assert_allclose(tip, parts[method].point + parts[method].move)


def test_a_tiny_step_is_drawn_at_the_minimum_length_with_its_true_length_in_the_hover():
    from momentum_viz.views.anatomy import min_arrow_length

    header, parts = _header(step=190, steps=200)
    entry = _arrows(header)[("sgd", "move")]
    true = float(np.hypot(*parts["sgd"].move))
    assert true < min_arrow_length(_box(header)) / 10
    assert np.hypot(*entry["drawn"]) == pytest.approx(min_arrow_length(_box(header)))
    assert "drawn longer" in entry["hover"]
    assert f"length {true:.4g}" in entry["hover"]


def test_the_race_blob_carries_the_anatomy_and_the_zoom_keeps_the_maps_aspect():
    from momentum_viz.views.live_map import decode, race_blob

    header, _ = _header()
    s = SURFACES["quadratic"]
    blob = race_blob(
        s, {"sgd": np.zeros((21, 2))}, lr=0.1, momentum=0.5, start=(0.0, 0.0), replay_ms=7000,
        drawing_height=400, font_size=18, surface_id="s" * 16, family_ids={}, label="l",
        sliders={}, anatomy=header,
    )  # fmt: skip
    assert decode(blob)[0]["anatomy"] == header  # JSON, exactly as built
    (xmin, xmax), (ymin, ymax) = s.bounds
    x0, x1, y0, y1 = header["box"]
    assert (x1 - x0) / (y1 - y0) == pytest.approx((xmax - xmin) / (ymax - ymin))
    assert xmin <= x0 < x1 <= xmax and ymin <= y0 < y1 <= ymax
