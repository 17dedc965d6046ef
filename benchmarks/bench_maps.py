"""Benchmark of the maps: server-side time of the default 120 × 120 (α, γ) map per surface.

For every registered surface: the default axes (:func:`default_axes`, 14,400 cells),
method "momentum", the surface's default start and steps, one batched
``parameter_map`` call (record="summary"). Also timed: building the Plotly figure and
serialising it to JSON (what Streamlit sends), and the 80 × 80 basin maps of SGD and
momentum shown side by side. Prints best and median of ``--repeat`` runs and the load
average, since the machine may be shared.

Run: ``.venv/bin/python benchmarks/bench_maps.py`` (``--repeat N``, ``--grid N``,
``--method nesterov``).

Target: map computation ≤ 1 s per surface on the project's 2-core machine.

Measured on the project's 2-core machine on 2026-11-30 (load average 2.6–2.9 on 2 cores:
other test runs were going). Seconds, best / median of 5, method "momentum"::

    surface           steps  map best  median   figure+json  JSON kB  basins (2 × 80²)
    rosenbrock         1000     0.09    0.10        0.02        861      0.06
    multiwell           300     0.07    0.07        0.02        845      0.05
    quadratic           200     0.03    0.03        0.02        870      0.02
    himmelblau          300     0.05    0.06        0.02        849      0.03
    six_hump_camel      500     0.09    0.13        0.02        837      0.05
    styblinski_tang     400     0.09    0.09        0.02        832      0.03
    beale              1000     0.16    0.24        0.02        863      0.13

Every surface meets the 1 s target. Beale (no in-place gradient kernel, 1,000 steps) is the
slowest; over three alternating runs of this commit and the one before the package-layout
change, rosenbrock gave 0.09–0.13 s for both and beale 0.16–0.26 s for both. Styblinski–Tang
was the slowest surface until its gradient was written with products instead of ``x**3``
(≈ 5 µs against ≈ 16 µs per 4,096-element call); it is now among the fastest.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from momentum_viz.numerics.maps import (
    basin_map,
    default_axes,
    parameter_map,
    stability_boundary,
)
from momentum_viz.views.basin_map import basin_map_figure
from momentum_viz.views.parameter_map import parameter_map_figure
from surfaces import SURFACES

TARGET_S = 1.0


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=120, help="map side (cells = grid²)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions")
    parser.add_argument("--method", default="momentum", choices=("sgd", "momentum", "nesterov"))
    parser.add_argument("--basin-resolution", type=int, default=80)
    args = parser.parse_args()

    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()}")
    print(
        f"{'surface':16s} {'steps':>6s} {'map best':>9s} {'median':>7s} {'figure+json':>12s}"
        f" {'JSON kB':>8s} {'basins':>7s}  target ≤ {TARGET_S:g} s"
    )
    misses = []
    for name, surface in SURFACES.items():
        lrs, momenta = default_axes(surface, n_lr=args.grid, n_mom=args.grid)

        def compute(surface=surface, lrs=lrs, momenta=momenta):
            return parameter_map(
                surface, args.method, surface.start, lrs=lrs, momenta=momenta,
                steps=surface.steps,
            )  # fmt: skip

        compute()  # warm-up (thread pool, page faults)
        best, median, pmap = _timed(compute, args.repeat)
        boundary = None
        if surface.eigenvalues is not None:
            boundary = stability_boundary(surface.eigenvalues[1], momenta)

        def figure(pmap=pmap, surface=surface, boundary=boundary):
            fig = parameter_map_figure(
                pmap, current=(surface.lr, surface.momentum), boundary=boundary
            )
            return fig.to_json()

        fig_best, _, payload = _timed(figure, max(1, args.repeat // 2))

        def basins(surface=surface):
            return [
                basin_map(
                    surface,
                    method,
                    lr=surface.lr,
                    momentum=surface.momentum,
                    steps=surface.steps,
                    resolution=args.basin_resolution,
                )
                for method in ("sgd", "momentum")
            ]

        basin_best, _, maps = _timed(basins, max(1, args.repeat // 2))
        for bmap in maps:
            basin_map_figure(bmap, surface, title=bmap.method).to_json()
        flag = "" if best <= TARGET_S else f"  MISSED by {best - TARGET_S:.2f} s"
        if flag:
            misses.append(name)
        print(
            f"{name:16s} {surface.steps:6d} {best:9.3f} {median:7.3f} {fig_best:12.3f}"
            f" {len(payload) / 1e3:8.0f} {basin_best:7.3f}{flag}"
        )
    print(f"load average after: {os.getloadavg()}")
    print("all surfaces within target" if not misses else f"target missed: {', '.join(misses)}")


if __name__ == "__main__":
    main()
