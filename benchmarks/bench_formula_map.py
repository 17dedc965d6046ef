"""Benchmark of a custom formula's (α, γ) map: the grid side the page's 2 s budget gives it
and the time to compute that map, on the NumPy path and through the compiled kernel (its
gradient program run by the kernel's evaluator), in one run.

For each formula (default: the README's example), with the kernel off and then on: the
side ``compute.map_side`` picks from its timed estimate (the built-in surfaces get 120),
then one ``parameter_map`` of that side, method "momentum", the formula's default start
and steps: wall and process CPU time. Prints the load average, since the machine may be
shared (wall time then measures the other jobs too).

Run: ``.venv/bin/python benchmarks/bench_formula_map.py ["formula" ...]``.
Target: the built-in resolution (120 × 120) within the 2 s budget for the README's example.
"""

from __future__ import annotations

import argparse
import os
import time

import momentum_viz.app.compute as compute
import momentum_viz.numerics.kernel as kernel
from momentum_viz.app.settings import DEFAULT_EXPRESSION
from momentum_viz.numerics.maps import DEFAULT_GRID, default_axes, parameter_map
from surfaces import from_expression


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("formulas", nargs="*", default=[DEFAULT_EXPRESSION])
    args = parser.parse_args()
    print(f"kernel warm-up {kernel.warm_up():.1f} s; load average {os.getloadavg()}")
    for expr in args.formulas:
        surface = from_expression(expr)
        print(f"{expr!r} ({surface.steps} steps, budget {compute.MAP_BUDGET_SECONDS} s):")
        for compiled in (False, True):
            kernel._STATE.enabled = compiled
            compute._seconds_per_point_step.cache_clear()
            side = compute.map_side(surface, surface.steps, DEFAULT_GRID)
            lrs, momenta = default_axes(surface, surface.lr, n_lr=side, n_mom=side)
            cpu, wall = time.process_time(), time.perf_counter()
            parameter_map(surface, "momentum", surface.start, lrs=lrs, momenta=momenta,
                          steps=surface.steps)  # fmt: skip
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            label = "kernel" if kernel.usable_for(surface) else "NumPy path"
            per_point_step = cpu / (side * side * surface.steps)
            print(f"  {label:10s} side {side:3d}: wall {wall:.2f} s, CPU {cpu:.2f} s, "
                  f"{per_point_step * 1e9:.0f} ns CPU per point-step")  # fmt: skip
    kernel._STATE.enabled = kernel.numba is not None


if __name__ == "__main__":
    main()
