"""Benchmark of one run at N = 1: simulate's scalar fast path against its batched path.

What the app computes on every slider move: one run per method, one start, scalar α and
γ. For every registered surface and method, from the surface's default start with its
default α and γ, ``--steps`` (1,000) steps, no noise, record="path", this times in the
same process, interleaved repeat by repeat:

* fast: ``simulate(surface, method, start, ...)``, which dispatches one unbatched run to
  the scalar loop on Python floats;
* batched: the same run as a batch of one (``start`` of shape (1, 2)), which forces the
  batched integrator (blocks of runs, 8-step chunks, in-place ufuncs).

It prints best and median of ``--repeat`` calls per path in milliseconds and the ratios
batched / fast of the bests and of the medians, checks that both give the same outcome, and whether
every rosenbrock method meets the target.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_single.py`` (``--repeat N``,
``--steps N``). ``PYTHONPATH=.`` only matters in a git worktree whose .venv belongs to
another checkout; the script prints which ``momentum_viz`` it imported.

Target (a slider move must feel immediate): ≤ 3 ms per method per 1,000 steps on rosenbrock.

Measured on the project's 2-core development machine (AMD EPYC under KVM, Linux, Python
3.11, numpy 2.4.6) on 2026-11-30, three invocations of the command above, 20 s apart, while
other work shared the machine (load average 2.9-4.5 on 2 cores: the medians, the batched
ones above all, carry that noise; the bests are the steadier figure). Milliseconds per
1,000 steps, best / median of 21 per method; ranges over the three methods and the three
invocations::

    surface          fast best  fast median  batched best  batched median  batched / fast
    rosenbrock       0.51-0.69   0.62-0.73     10.6-21.2      13.3-35.7     18-34× (bests)
    multiwell        2.06-2.11   2.19-5.05     22.7-44.2      31.6-91.5     11-22×
    quadratic        0.45-0.63   0.50-0.71      9.7-12.1       9.9-29.8     17-23×
    himmelblau       0.48-0.68   0.53-0.74     12.8-14.0      12.9-31.4     20-27×
    six_hump_camel   0.60-0.71   0.69-0.76     14.0-18.2      14.2-29.2     20-28×
    styblinski_tang  0.57-0.68   0.61-0.80     12.3-21.0      12.4-25.4     19-33×
    beale            0.76-0.86   0.82-0.91     15.2-20.2      15.4-32.9     19-25×

Rosenbrock meets the 3 ms target with about 4× to spare; so does every surface at its
best. Multiwell is the slowest: its gradient calls ``np.exp`` three times per step and
does its arithmetic on NumPy scalars (≈ 1.5 µs per gradient on floats). ``math.exp``
would be faster but differs from NumPy's exp in the last bit for about 5 % of arguments
(checked on this machine), and the fast path is built to equal ``reference_run`` bit for
bit, so the cost is accepted. The fixed cost around the loop is small: a 1-step
rosenbrock run takes 0.03 ms (checking the arguments, the losses, the settled step, the
Run), against 0.37 ms for 1,000 steps in the same quiet minute.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

import momentum_viz
from momentum_viz import METHODS, simulate
from surfaces import SURFACES

TARGET_MS = 3.0


def _time_ms(call: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=21, help="timed calls per path")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}, load {os.getloadavg()}")
    print(f"momentum_viz from {os.path.dirname(momentum_viz.__file__)}")
    print(f"one run of {args.steps:,} steps, ms: best / median of {args.repeat}")
    print(f"{'surface':16s} {'method':9s} {'fast':>15s} {'batched':>15s} {'batched / fast':>15s}")
    met = True
    for surface in SURFACES.values():
        for method in METHODS:
            kwargs = dict(lr=surface.lr, momentum=surface.momentum, steps=args.steps)

            def fast(method=method, kwargs=kwargs, surface=surface):
                return simulate(surface, method, surface.start, **kwargs)

            def batched(method=method, kwargs=kwargs, surface=surface):
                return simulate(surface, method, [surface.start], **kwargs)

            one, many = fast(), batched()  # warm-up, and the two paths agree on the outcome
            assert (one.converged_at, one.diverged_at, one.minimum) == (
                many.converged_at[0],
                many.diverged_at[0],
                many.minimum[0],
            )
            times: dict[str, list[float]] = {"fast": [], "batched": []}
            for _ in range(args.repeat):  # interleaved, so drift hits both alike
                times["fast"].append(_time_ms(fast))
                times["batched"].append(_time_ms(batched))
            best = {k: min(v) for k, v in times.items()}
            median = {k: float(np.median(v)) for k, v in times.items()}
            ratio = {k: v["batched"] / v["fast"] for k, v in (("best", best), ("median", median))}
            print(
                f"{surface.name:16s} {method:9s} "
                f"{best['fast']:6.2f} / {median['fast']:6.2f} "
                f"{best['batched']:6.2f} / {median['batched']:6.2f} "
                f"{ratio['best']:5.1f}× / {ratio['median']:5.1f}×"
            )
            if surface.name == "rosenbrock":
                met = met and median["fast"] * 1000 / args.steps <= TARGET_MS
    verdict = "met" if met else "NOT met"
    print(f"target ≤ {TARGET_MS:g} ms per method per 1,000 steps on rosenbrock (median): {verdict}")


if __name__ == "__main__":
    main()
