"""A formula worker: a separate process that builds surfaces from formulas, one at a time.

Started by :mod:`.formula_pool` as ``python -m surfaces.formula_worker``. It reads one
job per line on stdin (JSON ``{"expr": ..., "bounds": ..., "cpu_limit": ...}``) and writes
one answer per line on stdout (JSON, see :func:`build_answer`): either a refusal or all
the server needs to make the :class:`~surfaces.Surface` without SymPy: three straight-line
programs (:mod:`.formula_program`), the LaTeX, the minima and the first view's defaults.

SymPy cannot be interrupted, so the worker is bounded by the kernel, not by checks
between stages: its address space is capped (:data:`MEMORY_LIMIT`, RLIMIT_AS: a
MemoryError becomes a refusal) and before each job its CPU-time limit (RLIMIT_CPU) is set
to what it has used so far plus :data:`CPU_LIMIT`, so a formula that runs over is killed
by SIGXCPU (the pool also kills it, measuring the same CPU time from outside). The worker
exits by itself when its stdin closes (the server went away) or after
:data:`IDLE_EXIT` seconds without a job.
"""

from __future__ import annotations

import json
import math
import resource
import select
import sys
from typing import Any

import numpy as np

from .formula_build import symbolic_programs
from .formula_fold import checked_tree
from .formula_latex import latex_of
from .formula_minima import GRID, default_lr, default_start, find_minima
from .formula_parser import ExpressionError, parse_checked
from .formula_program import broadcasting, load_program

#: CPU seconds one formula may cost its worker (SymPy's build and the minima search), at
#: most: the pool may ask for less. The slowest ordinary formulas take about 0.75 s on an
#: idle core; a hostile page is then refused after about 2 s.
CPU_LIMIT = 2.0
#: The worker's address space, in bytes: Python, NumPy and SymPy need about 0.35 GiB of
#: it; a formula whose expressions outgrow the rest fails with MemoryError, a refusal.
MEMORY_LIMIT = 768 * 2**20
#: Seconds an idle worker waits for a job before it exits (and frees its memory).
IDLE_EXIT = 300.0


def build_answer(expr: str, bounds: Any) -> dict[str, Any]:
    """The worker's answer for one formula on one box (a JSON-able dict).

    ``{"ok": True, "programs", "latex", "minima", "start", "lr", "log_scale"}`` for an
    accepted formula; ``{"ok": False, "column", "reason"}`` for a refused one.
    """
    try:
        return _build(expr, bounds)
    except ExpressionError as err:
        return {"ok": False, "column": err.column, "reason": err.reason}
    except MemoryError:
        reason = "building this surface needs more memory than the server allows"
        return {"ok": False, "column": 1, "reason": reason}
    except RecursionError:
        return {"ok": False, "column": 1, "reason": "the formula is nested too deeply to build"}
    except Exception as err:  # any failure of SymPy: a refusal, not a crash
        reason = f"this formula cannot be built ({type(err).__name__}); try another form"
        return {"ok": False, "column": 1, "reason": reason}


def _build(expr: str, bounds: Any) -> dict[str, Any]:
    latex = latex_of(parse_checked(expr))
    programs = symbolic_programs(checked_tree(expr))
    value_fn = broadcasting(load_program(programs["value"]), one=True)
    grad_fn = broadcasting(load_program(programs["grad"]), one=False)
    hessian_fn = broadcasting(load_program(programs["hessian"]), one=False)
    (xmin, xmax), (ymin, ymax) = bounds
    xs, ys = np.linspace(xmin, xmax, GRID), np.linspace(ymin, ymax, GRID)
    values = value_fn(*np.meshgrid(xs, ys))
    h = hessian_fn(*np.meshgrid(xs, ys))
    finite = values[np.isfinite(values)]
    if not finite.size:
        raise ExpressionError(1, "J(x, y) is not finite anywhere inside the bounds")
    with np.errstate(all="ignore"):
        minima = find_minima(value_fn, grad_fn, hessian_fn, bounds, xs, ys, values)
    j_min, q10 = float(finite.min()), float(np.quantile(finite, 0.1))
    return {
        "ok": True,
        "programs": programs,
        "latex": latex,
        "minima": [[*m.point, m.value, m.is_global] for m in minima],
        "start": list(default_start(xs, ys, values, minima)),
        "lr": default_lr(*h),
        # Log-spaced contours when the lowest tenth of the map is a thin sliver of the
        # range of J (a deep narrow valley); linear for wavy surfaces.
        "log_scale": bool(float(finite.max()) - j_min > 50.0 * (q10 - j_min)),
    }


def _limit_cpu_for_one_job(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + seconds) + 1  # whole seconds; the pool's watch is finer
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main() -> None:
    """Serve jobs from stdin until it closes or stays idle for :data:`IDLE_EXIT` seconds."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import sympy  # noqa: F401 - paid once, before the first job's CPU budget starts

    out = sys.stdout
    out.write('{"ready": true}\n')
    out.flush()
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], IDLE_EXIT)
        line = sys.stdin.readline() if readable else ""
        if not line:
            return
        job = json.loads(line)
        limit = job.get("cpu_limit", CPU_LIMIT)
        _limit_cpu_for_one_job(min(float(limit), CPU_LIMIT) if limit else CPU_LIMIT)
        answer = build_answer(job["expr"], job["bounds"])
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
