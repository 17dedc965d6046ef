"""What a typed formula may cost, and what the student sees of it.

The worker's CPU limit (a formula over it is refused, its worker killed, the refusal not
final), one shared build for concurrent requests, the program whitelist on the server's
side, the typed text and LaTeX kept whatever was folded, the colour bar of a surface whose
spread is lost in rounding, and one map budget per page.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np
import pytest

from momentum_viz.app import compute
from momentum_viz.views.surface_layer import color_transform, colorbar_ticks
from surfaces import ExpressionError, formula_pool, from_expression
from surfaces import expression as expression_module
from surfaces.formula_program import load_program

BOX = ((-2.0, 2.0), (-2.0, 2.0))
# SymPy needs far more than the worker's CPU limit for this one (about 18 s idle).
SLOW = "sin(cos(sinh(cosh(tanh((x-tan(y**2.5*e**{k})**-2)**2)))))"


def _my_workers() -> set[int]:
    """The formula workers this test process started that are still running."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat, open(f"/proc/{pid}/cmdline", "rb") as cmd:
                parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
                command = cmd.read()
        except OSError:
            continue
        if parent == os.getpid() and b"surfaces.formula_worker" in command:
            found.add(int(pid))
    return found


@pytest.fixture
def counted_builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    expression_module.clear_cache()
    builds: list[tuple[object, ...]] = []
    real = formula_pool.POOL.build

    def counting(*args: object) -> dict[str, object]:
        builds.append(args)
        return real(*args)

    monkeypatch.setattr(formula_pool.POOL, "build", counting)
    yield builds
    expression_module.clear_cache()


def test_a_formula_over_the_cpu_limit_is_refused_and_its_worker_killed(counted_builds, monkeypatch):
    # Half a second of CPU: SymPy needs 18 s for this one, so the limit, not the wall
    # clock, ends it even on a machine loaded many times over.
    monkeypatch.setattr(formula_pool, "CPU_LIMIT", 0.5)
    monkeypatch.setattr(formula_pool, "WALL_LIMIT", 300.0)  # a loaded machine: CPU decides
    expr = SLOW.format(k=5)
    with pytest.raises(ExpressionError, match=r"more than 0\.5 s of computing"):
        from_expression(expr, BOX)
    # The worker that ran over is gone: every worker still alive is an idle one.
    assert _my_workers() == set(formula_pool.POOL.pids())
    # Remembered for a while: reopened at once, no second build...
    with pytest.raises(ExpressionError, match="computing"):
        from_expression(expr, ((-3.0, 3.0), (-3.0, 3.0)))
    assert len(counted_builds) == 1
    # ...but not final: once the memory has passed, it is tried again.
    monkeypatch.setattr(expression_module, "TIME_REFUSAL_MEMORY", 0.0)
    with pytest.raises(ExpressionError, match="computing"):
        from_expression(expr, BOX)
    assert len(counted_builds) == 2


def test_concurrent_requests_for_one_formula_share_one_build(counted_builds):
    expr = "x**2 + 3*y**2 + sin(5*x)"
    surfaces = []

    def open_it() -> None:
        surfaces.append(from_expression(expr, BOX))

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(surfaces) == 8 and len({id(s) for s in surfaces}) == 1
    assert len(counted_builds) == 1


def test_folding_keeps_what_the_student_typed():
    expr = "2*pi*x**2 + exp(1)*y**2"
    s = from_expression(expr, BOX)
    assert s.title == f"J(x, y) = {expr}"
    assert s.latex == r"J(x, y) = 2 \pi x^{2} + e^{1} y^{2}"
    # The numbers are the folded floats: J = 2π x² + e y², by hand at (1, 1).
    assert float(s.value(np.array([1.0, 1.0]))) == pytest.approx(2 * math.pi + math.e, rel=1e-15)
    np.testing.assert_allclose(s.hessian([0.3, -0.2]), [[4 * math.pi, 0], [0, 2 * math.e]])


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ({"ops": [["t0", "system", ["x"]]], "outputs": ["t0"]}, "not one of the allowed"),
        ({"ops": [["t0", "sin", ["t1"]]], "outputs": ["t0"]}, "not an earlier result"),
        ({"ops": [["t0", "sin", ["__import__"]]], "outputs": ["t0"]}, "not an earlier"),
        ({"ops": [["t1", "sin", ["x"]]], "outputs": ["t1"]}, "is not \\[t0"),
        ({"ops": [["t0", "pow", ["x"]]], "outputs": ["t0"]}, "takes 2 arguments"),
        ({"ops": [["t0", "sin", [True]]], "outputs": ["t0"]}, "not a name or a number"),
        ({"ops": [], "outputs": ["t0"]}, "not an earlier result"),
        ({"ops": [], "outputs": [], "code": "x"}, "expected"),
    ],
)
def test_the_server_runs_only_whitelisted_programs(program, message):
    with pytest.raises(ValueError, match=message):
        load_program(program)


def test_a_colour_bar_whose_spread_is_lost_in_rounding_has_one_tick():
    # 1e18 + x**2 + y**2: the squares vanish in rounding at 1e18, so the map is flat and
    # a tick step computed from its spread is zero.
    s = from_expression("1e6**3+x**2+y**2", BOX)
    ticks = colorbar_ticks(s, color_transform(s))
    assert len(ticks) == 1 and np.isfinite(ticks).all()


def test_the_map_budget_is_the_pages(monkeypatch):
    s = from_expression("x**2 + y**2 + sin(3*x)", BOX)
    monkeypatch.setattr(compute, "_seconds_per_point_step", lambda surface: 1e-7)
    # budget / (cost × steps × maps): 2 / (1e-7 × 100) = 200,000 points for one map, a
    # side of 447 (capped at 120); with two maps on the page 100,000 points each, 316;
    # with 1,000 steps and two maps, 10,000 points: a side of 100.
    assert compute.map_side(s, 100, 120, maps_on_page=1) == 120
    assert compute.map_side(s, 1000, 500, maps_on_page=1) == math.isqrt(20_000) == 141
    assert compute.map_side(s, 1000, 500, maps_on_page=2) == 100


def test_an_idle_worker_that_exited_is_reaped_with_its_pipes_closed():
    # A worker ends by itself after its idle timeout; the next build must close its pipes
    # (an unclosed pipe is a ResourceWarning, an error in this suite, and a leaked fd).
    pool = formula_pool.FormulaPool(1)
    try:
        pool.build("x**2 + y**2", [[-3.0, 3.0], [-3.0, 3.0]])
        (exited,) = pool._idle
        exited.process.kill()
        exited.process.wait()
        pool.build("x**2 + y**4", [[-3.0, 3.0], [-3.0, 3.0]])
        assert exited.process.stdout is not None and exited.process.stdout.closed
        assert exited.process.stdin is not None and exited.process.stdin.closed
    finally:
        pool.close()
