"""A new formula's first picture teaches something, and a formula with kinks says that the
curvature-based theory does not apply at them.

The measures (on the map for how long, the motion wasted at the end) are computed here
from the positions, independently of momentum_viz.numerics.first_run.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from momentum_viz import simulate
from momentum_viz.app.settings import CUSTOM, Settings, defaults_for, surface_of
from momentum_viz.numerics.first_run import formula_has_kinks


def _picture(settings: Settings, method: str) -> tuple[float, float]:
    """(share of the steps on the map before first leaving it, motion wasted over the last
    quarter of that stretch as a share of the map's diagonal) of one run."""
    surface = surface_of(settings)
    run = simulate(
        surface, method, (settings.x0, settings.y0), lr=settings.lr,
        momentum=settings.momentum, steps=settings.steps,
    )  # fmt: skip
    (xmin, xmax), (ymin, ymax) = surface.bounds
    stretch = []
    for x, y in run.positions:
        if not (xmin <= x <= xmax and ymin <= y <= ymax):
            break
        stretch.append((x, y))
    points = np.array(stretch)
    tail = points[3 * len(points) // 4 :]
    length = sum(float(np.hypot(*(b - a))) for a, b in itertools.pairwise(tail))
    wasted = length - float(np.hypot(*(tail[-1] - tail[0])))
    return len(points) / len(run.positions), wasted / float(np.hypot(xmax - xmin, ymax - ymin))


@pytest.mark.parametrize("expr", ["sin(x)*cos(y)", "abs(x) + abs(y)"])
def test_a_new_formulas_first_alpha_gives_a_picture_not_chaos(expr):
    # With α = 1/λmax over the grid (clipped at 1; 1 where nothing curves upwards) the
    # first picture was chaos: on sin(x)*cos(y) momentum leaves the map at once, on
    # abs(x) + abs(y) (a Hessian of 0) both methods scribble around the kink.
    settings = defaults_for(CUSTOM, expr=expr)
    surface = surface_of(settings)
    old = Settings(**{**settings.__dict__, "lr": surface.lr})
    before = [_picture(old, m) for m in ("sgd", "momentum")]
    assert any(share < 0.5 or wasted > 0.05 for share, wasted in before), before
    after = [_picture(settings, m) for m in ("sgd", "momentum")]
    assert all(share >= 0.5 and wasted <= 0.05 for share, wasted in after), after
    assert settings.lr < surface.lr


def test_a_smooth_formula_keeps_the_curvature_bound():
    # J = x² + 3y²: Hessian diag(2, 6), λmax = 6 everywhere, α = 1/6 already teaches.
    settings = defaults_for(CUSTOM, expr="x**2 + 3*y**2")
    assert settings.lr == pytest.approx(1 / 6)


def test_a_run_diverging_over_kinks_is_not_blamed_on_the_curved_surface():
    # abs(x*y) + 0.1(x−1)² + 0.1(y−1)²: the symbolic Hessian drops the kinks along the
    # axes; momentum at the old default (α = 1/λmax = 0.833, γ = 0.9) diverges at step 382
    # and the note blamed "the curved surface".
    from momentum_viz.app.tabs.race import divergence_note

    expr = "abs(x*y) + 0.1*(x-1)**2 + 0.1*(y-1)**2"
    settings = defaults_for(CUSTOM, expr=expr)
    surface = surface_of(settings)
    assert formula_has_kinks(surface) and surface.lr == pytest.approx(1 / 1.2)
    old = Settings(**{**settings.__dict__, "lr": surface.lr})
    start = (old.x0, old.y0)
    run = simulate(surface, "momentum", start, lr=old.lr, momentum=0.9, steps=old.steps)
    assert run.diverged_at == 382
    note = divergence_note("momentum", run, surface, old)
    assert "kinks" in note and "does not apply" in note and "curved surface" not in note
    # The new first α keeps every method on the map.
    for method in ("sgd", "momentum", "nesterov"):
        run = simulate(surface, method, start, lr=settings.lr, momentum=0.9, steps=settings.steps)
        assert run.diverged_at == -1, method
    assert not formula_has_kinks(surface_of(defaults_for(CUSTOM, expr="x**2 + y**2")))


def test_the_theory_tab_says_it_does_not_apply_at_a_kink():
    from _apptest import open_app

    at = open_app(surface="custom", expr="abs(x) + abs(y)", view="theory")
    assert not at.exception
    assert any("kinks" in w.value and "does not apply" in w.value for w in at.warning)
    at = open_app(surface="custom", expr="x**2 + 3*y**2", view="theory")
    assert not any("kinks" in w.value for w in at.warning)


def test_the_first_alpha_trial_of_a_costly_formula_is_bounded():
    # The trial runs the formula's gradient program on the server while the page waits:
    # its cost, counted in program instructions, stays within TRIAL_OPERATIONS however
    # long the program. Counted here by wrapping the gradient: one call per step.
    from dataclasses import replace

    from momentum_viz.numerics.first_run import (
        MIN_TRIAL_STEPS,
        TRIAL_OPERATIONS,
        first_lr,
        trial_steps,
    )
    from surfaces import from_expression

    surface = from_expression("sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)")
    assert 0 < surface.grad_operations < 50 and trial_steps(surface) == surface.steps

    def counted(operations: int) -> tuple[float, int]:
        calls = []

        def grad_fn(x, y):
            calls.append(1)
            return surface.grad_fn(x, y)

        costly = replace(surface, grad_fn=grad_fn, grad_operations=operations)
        return first_lr.__wrapped__(costly, costly.momentum), len(calls)

    lr, calls = counted(surface.grad_operations)
    assert lr == first_lr(surface, surface.momentum) and calls == 2 * surface.steps
    lr, calls = counted(400)  # 2 × 500 steps × 400 instructions would be 400,000
    assert 0 < calls * 400 <= TRIAL_OPERATIONS and calls // 2 >= MIN_TRIAL_STEPS
    assert lr <= surface.lr
    lr, calls = counted(5_000)  # not even MIN_TRIAL_STEPS fit: the curvature bound, untried
    assert (lr, calls) == (surface.lr, 0)
