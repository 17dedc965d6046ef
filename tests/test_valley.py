"""A valley of minima (a line of points where J is lowest) is a minimum: a run that
reaches its floor has converged, and the table says so."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _apptest import open_app

from momentum_viz.app.settings import CUSTOM, defaults_for, surface_of
from momentum_viz.numerics.ranges import DEFAULT_TOL
from momentum_viz.numerics.valley import valley_floor

VALLEY = "(x - 2*y)**2"


def _settled_by_hand(x: float, y: float, lr: float, gamma: float, steps: int) -> int:
    """Heavy ball on J = (x − 2y)², gradient 2(x − 2y)·(1, −2) written out; the distance to
    the line x = 2y is |x − 2y|/√5. The first step after the last one farther than tol."""
    vx = vy = 0.0
    last_out = 0 if abs(x - 2 * y) / math.sqrt(5) > DEFAULT_TOL else -1
    for t in range(1, steps + 1):
        r = 2.0 * (x - 2.0 * y)
        vx, vy = gamma * vx + lr * r, gamma * vy - 2.0 * lr * r
        x, y = x - vx, y - vy
        if abs(x - 2 * y) / math.sqrt(5) > DEFAULT_TOL:
            last_out = t
    return last_out + 1


def test_the_valley_floor_and_its_curvature():
    # Hessian [[2, −4], [−4, 8]]: eigenvalues 0 (along the line) and 10 (across it).
    floor = valley_floor(surface_of(defaults_for(CUSTOM, expr=VALLEY)))
    assert floor is not None
    assert floor.value == 0.0 and floor.curvature == pytest.approx(10.0)
    for isolated in ("x**2 + y**2", "x + y", "-x**2 - y**2"):
        assert valley_floor(surface_of(defaults_for(CUSTOM, expr=isolated))) is None


def test_runs_that_reach_the_valley_floor_have_converged():
    # The table said "no minimum inside the bounds" and "not in 500 steps" while the final
    # loss was 0.
    settings = defaults_for(CUSTOM, expr=VALLEY)
    at = open_app(surface="custom", expr=VALLEY, methods="sgd,momentum")
    assert not at.exception
    rows = {row["method"]: row.to_dict() for _, row in at.table[0].value.iterrows()}
    # SGD at α = 0.1: across the valley the error is multiplied by 1 − 0.1·10 = 0.
    assert settings.lr == pytest.approx(0.1)
    expected = {
        "SGD": _settled_by_hand(settings.x0, settings.y0, settings.lr, 0.0, settings.steps),
        "Momentum": _settled_by_hand(
            settings.x0, settings.y0, settings.lr, settings.momentum, settings.steps
        ),
    }
    assert expected["SGD"] == 1
    for method, step in expected.items():
        row = rows[method]
        assert row["converged"] == f"step {step}", row
        assert row["reached"] == "the valley floor (J = 0)", row
        assert row["distance to nearest minimum"].endswith("(to the valley floor)")
        # The page writes a typographic minus (8.64e−15).
        distance = row["distance to nearest minimum"].split()[0].replace("−", "-")
        assert float(distance) <= DEFAULT_TOL
    assert np.isfinite(expected["Momentum"]) and expected["Momentum"] > 1
    assert any("a valley of minima" in e.label for e in at.expander)
