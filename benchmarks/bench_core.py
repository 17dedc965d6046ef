"""Benchmark of the batched optimizer core (issue: optimizer core, speed target).

65,536 runs (a 256 × 256 grid of α in [1e-5, 2e-3] log-spaced × γ in [0, 0.99]) ×
1,000 steps of momentum on rosenbrock from (−1.5, 2), record="summary". Prints the
wall time, nanoseconds per point-step and the speed-up over the readable reference
loop (timed on a sample of runs and scaled).

Run: ``.venv/bin/python benchmarks/bench_core.py`` (``--repeat N``, ``--grid N``).

Target on the project's 2-core machine: ≤ 0.6 s (about 9 ns per point-step).
Measured there on 2026-11-26 (numpy 2.4.6, both cores, blocks of 8,192 runs, 8-step
chunks): best 0.45-0.50 s, median 0.50-0.73 s over repeated invocations (6.8-7.6 ns per
point-step at best); the machine's timings drift by up to 50 % between minutes. The
reference loop takes 14-23 µs per point-step: a speed-up of about 2,000-3,000×.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from momentum_viz import reference_run, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=256, help="grid side (runs = grid²)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (best kept)")
    parser.add_argument("--reference-runs", type=int, default=20)
    args = parser.parse_args()

    lrs = np.geomspace(1e-5, 2e-3, args.grid)
    momenta = np.linspace(0.0, 0.99, args.grid)
    lr_grid, mom_grid = (a.ravel() for a in np.meshgrid(lrs, momenta))
    n_runs = lr_grid.size
    start = (-1.5, 2.0)

    def batched():
        return simulate(
            "rosenbrock", "momentum", start, lr=lr_grid, momentum=mom_grid,
            steps=args.steps, record="summary",
        )  # fmt: skip

    batched()  # warm-up (page faults, thread pool start)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run = batched()
        times.append(time.perf_counter() - t0)
    best, median = min(times), float(np.median(times))
    point_steps = n_runs * args.steps

    rng = np.random.default_rng(0)
    sample = rng.choice(n_runs, size=args.reference_runs, replace=False)
    t0 = time.perf_counter()
    for i in sample:
        reference_run(
            "rosenbrock", "momentum", start, lr=float(lr_grid[i]),
            momentum=float(mom_grid[i]), steps=args.steps,
        )  # fmt: skip
    ref_per_point_step = (time.perf_counter() - t0) / (args.reference_runs * args.steps)

    print(f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}")
    print(f"work: {n_runs:,} runs × {args.steps:,} steps of momentum on rosenbrock")
    print(f"batched simulate: best {best:.3f} s, median {median:.3f} s of {args.repeat}")
    print(f"per point-step: {best / point_steps * 1e9:.2f} ns (best)")
    print(f"reference loop: {ref_per_point_step * 1e9:.0f} ns per point-step")
    print(f"speed-up over the reference loop: {ref_per_point_step * point_steps / best:,.0f}×")
    converged = int((run.converged_at >= 0).sum())
    diverged = int((run.diverged_at >= 0).sum())
    print(f"outcome: {converged:,} converged, {diverged:,} diverged, "
          f"{n_runs - converged - diverged:,} neither")  # fmt: skip


if __name__ == "__main__":
    main()
