"""Benchmark of the optimizer core's sweep: this project against PyTorch and a C/OpenMP loop.

The work: 65,536 runs (a 256 × 256 grid of α in [1e-5, 2e-3] log-spaced × γ in [0, 0.99])
× 1,000 steps of momentum on rosenbrock from (−1.5, 2), record="summary" (the start and
the final state, divergence and settling per run). Measured in ONE run of this script, so
the machine's drift between minutes does not enter the ratios:

* ``simulate`` as the app runs it: the compiled kernel (momentum_viz/numerics/kernel.py);
* ``simulate`` on its NumPy path (the fallback without Numba, and the core before it);
* PyTorch's batched CPU path, the same update on (N,) tensors, where torch is installed;
* a C loop with OpenMP over the runs (the same update, box and tol tests), compiled here
  with ``cc -O3 -fopenmp``, skipped with a note where there is no compiler.

Every implementation uses both cores. Prints best-of-``--repeat`` wall and CPU times, CPU
nanoseconds per point-step and each one's ratios (wall / CPU) to the C loop (the issue's
target for this project: ≤ 2×).

Run: ``.venv/bin/python benchmarks/bench_core.py`` (``--repeat N``, ``--grid N``,
``--threads N``; PyTorch always uses every core).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import momentum_viz.numerics.kernel as kernel
from momentum_viz import simulate

START = (-1.5, 2.0)
# The divergence box of rosenbrock (bounds (−2, 2) × (−1, 3), 1000 times their size)
# and its minimum, for the C and PyTorch loops.
BOX = (0.0, 1.0, 2000.0, 2000.0)
MINIMUM = (1.0, 1.0)
TOL = 1e-3

C_SOURCE = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <time.h>
/* momentum on rosenbrock, N runs x STEPS steps, summary only: final point, divergence
   step, and the last step outside tol of the minimum (settling), as simulate keeps. */
int main(int argc, char **argv) {
    int grid = atoi(argv[1]), steps = atoi(argv[2]), repeat = atoi(argv[3]);
    long n = (long)grid * grid;
    double *lr = malloc(n * sizeof(double)), *mom = malloc(n * sizeof(double));
    double *fx = malloc(n * sizeof(double)), *fy = malloc(n * sizeof(double));
    long *div = malloc(n * sizeof(long)), *out = malloc(n * sizeof(long));
    for (long j = 0; j < grid; j++)
        for (long i = 0; i < grid; i++) {
            lr[j * grid + i] = 1e-5 * pow(2e-3 / 1e-5, (double)i / (grid - 1));
            mom[j * grid + i] = 0.99 * j / (grid - 1);
        }
    double best = 1e30, best_cpu = 1e30;
    for (int r = 0; r < repeat; r++) {
        double t0 = omp_get_wtime();
        clock_t c0 = clock();
        #pragma omp parallel for schedule(static)
        for (long k = 0; k < n; k++) {
            double x = -1.5, y = 2.0, vx = 0.0, vy = 0.0, a = lr[k], g = mom[k];
            long diverged = -1, last_out = 0;
            for (int t = 1; t <= steps; t++) {
                double d = y - x * x;
                double gx = -2.0 * (1.0 - x) - 400.0 * x * d, gy = 200.0 * d;
                vx = g * vx + a * gx; vy = g * vy + a * gy;
                double xn = x - vx, yn = y - vy;
                if (!(fabs(xn) <= 2000.0 && fabs(yn - 1.0) <= 2000.0)) { diverged = t; break; }
                x = xn; y = yn;
                double dx = x - 1.0, dy = y - 1.0;
                if (!(dx * dx + dy * dy <= 1e-6)) last_out = t;
            }
            fx[k] = x; fy[k] = y; div[k] = diverged; out[k] = last_out;
        }
        double dt = omp_get_wtime() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (dt < best) best = dt;
        if (cpu < best_cpu) best_cpu = cpu;
    }
    long converged = 0, diverged = 0;
    for (long k = 0; k < n; k++) {
        diverged += div[k] >= 0;
        converged += div[k] < 0 && out[k] < steps;
    }
    printf("%.6f %.6f %ld %ld\n", best, best_cpu, converged, diverged);
    return 0;
}
"""


def _grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    lrs = np.geomspace(1e-5, 2e-3, side)
    momenta = np.linspace(0.0, 0.99, side)
    lr_grid, mom_grid = (a.ravel() for a in np.meshgrid(lrs, momenta))
    return lr_grid, mom_grid


def _best_of(repeat: int, work: Callable[[], object]) -> tuple[float, float, object]:
    """Best wall time, best process CPU time (all threads) and the last result."""
    work()  # warm-up (compilation, page faults, thread pool start)
    times, cpu_times, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = work()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    return min(times), min(cpu_times), result


def _outcome(run) -> tuple[int, int]:
    return int((run.converged_at >= 0).sum()), int((run.diverged_at >= 0).sum())


def time_simulate(side: int, steps: int, repeat: int, compiled: bool, threads: int):
    lr_grid, mom_grid = _grid(side)
    kernel._STATE.enabled = compiled and kernel.usable_for(kernel.SURFACES["rosenbrock"])
    try:

        def work():
            return simulate("rosenbrock", "momentum", START, lr=lr_grid, momentum=mom_grid,
                            steps=steps, record="summary", workers=threads)  # fmt: skip

        seconds, cpu, run = _best_of(repeat, work)
    finally:
        kernel._STATE.enabled = kernel.numba is not None
    return seconds, cpu, _outcome(run)


def time_torch(side: int, steps: int, repeat: int):
    """The same update, box and tol tests on (N,) float64 tensors; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    lr_grid, mom_grid = (torch.from_numpy(a) for a in _grid(side))

    @torch.no_grad()
    def work():
        n = lr_grid.shape[0]
        x = torch.full((n,), START[0], dtype=torch.float64)
        y = torch.full((n,), START[1], dtype=torch.float64)
        vx, vy = torch.zeros_like(x), torch.zeros_like(x)
        alive = torch.ones(n, dtype=torch.bool)
        diverged = torch.full((n,), -1, dtype=torch.int64)
        last_out = torch.zeros(n, dtype=torch.int64)
        a, g = lr_grid.clone(), mom_grid.clone()
        for t in range(1, steps + 1):
            d = y - x * x
            vx = g * vx + a * (-2.0 * (1.0 - x) - 400.0 * x * d)
            vy = g * vy + a * (200.0 * d)
            xn, yn = x - vx, y - vy
            inside = ((xn - BOX[0]).abs() <= BOX[2]) & ((yn - BOX[1]).abs() <= BOX[3])
            left = alive & ~inside
            diverged[left] = t
            alive &= inside
            a[left], g[left] = 0.0, 0.0  # frozen, as the NumPy path does
            vx, vy = torch.where(alive, vx, 0.0), torch.where(alive, vy, 0.0)
            x, y = torch.where(alive, xn, x), torch.where(alive, yn, y)
            far = (x - MINIMUM[0]) ** 2 + (y - MINIMUM[1]) ** 2 > TOL * TOL
            last_out = torch.where(far, t, last_out)
        return int(((last_out < steps) & (diverged < 0)).sum()), int((diverged >= 0).sum())

    torch.set_num_threads(os.cpu_count() or 1)
    seconds, cpu, outcome = _best_of(repeat, work)
    return seconds, cpu, outcome


def time_c(side: int, steps: int, repeat: int, threads: int):
    """The C/OpenMP loop's best time and outcome; None (and the reason) without a compiler."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return None, "no C compiler (cc) on PATH"
    with tempfile.TemporaryDirectory() as tmp:
        source, binary = Path(tmp, "sweep.c"), Path(tmp, "sweep")
        source.write_text(C_SOURCE)
        build = subprocess.run(
            [compiler, "-O3", "-fopenmp", str(source), "-o", str(binary), "-lm"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if build.returncode != 0:
            return None, f"cc -O3 -fopenmp failed: {build.stderr.strip()[:200]}"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        output = subprocess.run(
            [str(binary), str(side), str(steps), str(repeat)],
            capture_output=True, text=True, check=True, env=env,
        ).stdout.split()  # fmt: skip
    return (float(output[0]), float(output[1]), (int(output[2]), int(output[3]))), None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=256, help="grid side (runs = grid²)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (best kept)")
    threads_help = "threads of simulate and the C loop (default: one per CPU)"
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help=threads_help)
    args = parser.parse_args()
    point_steps = args.grid**2 * args.steps
    print(f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}, "
          f"numba {kernel.numba.__version__ if kernel.numba else 'not installed'}")  # fmt: skip
    print(f"work: {args.grid**2:,} runs × {args.steps:,} steps of momentum on rosenbrock, "
          f"summary only; best of {args.repeat}")  # fmt: skip

    results: dict[str, tuple[float, float, tuple[int, int]]] = {}
    c_result, c_note = time_c(args.grid, args.steps, args.repeat, args.threads)
    if c_result is not None:
        results["C/OpenMP loop (cc -O3 -fopenmp)"] = c_result
    if kernel.numba is not None:
        results["simulate, compiled kernel (Numba)"] = time_simulate(
            args.grid, args.steps, args.repeat, compiled=True, threads=args.threads
        )
    results["simulate, NumPy path"] = time_simulate(
        args.grid, args.steps, args.repeat, compiled=False, threads=args.threads
    )
    torch_result = time_torch(args.grid, args.steps, args.repeat)
    if torch_result is not None:
        results["PyTorch batched CPU"] = torch_result

    # CPU time (all threads) beside the wall time: on a shared machine the wall time also
    # measures the other jobs, the CPU time far less.
    ref_wall, ref_cpu = (c_result[0], c_result[1]) if c_result is not None else (None, None)
    for name, (seconds, cpu, (converged, diverged)) in results.items():
        ratio = f"{seconds / ref_wall:5.2f}× / {cpu / ref_cpu:5.2f}× the C loop" if ref_wall else ""
        print(f"{name:34s} wall {seconds:6.3f} s, CPU {cpu:6.3f} s "
              f"({cpu / point_steps * 1e9:6.2f} ns/point-step)  {ratio}  "
              f"({converged:,} converged, {diverged:,} diverged)")  # fmt: skip
    if c_note:
        print(f"C/OpenMP loop: skipped, {c_note}")
    if torch_result is None:
        print("PyTorch batched CPU: skipped, torch is not installed")


if __name__ == "__main__":
    main()
