"""Every parameter range, defined once.

The core accepts any α > 0, γ in [0, 1) and up to ``MAX_STEPS`` steps. The app offers
less: the ``*_RANGE`` tuples are the ranges of its controls and links, and the (α, γ)
map's default axes span them, so a map cell is always a setting the sliders can reach.
"""

from __future__ import annotations

MAX_STEPS = 100_000  # per run, in the core
# A run has converged once it is within this distance of a listed minimum.
DEFAULT_TOL = 1e-3

LR_RANGE = (1e-5, 1.0)
MOMENTUM_RANGE = (0.0, 0.999)
STEPS_RANGE = (10, 2000)
NOISE_RANGE = (0.0, 50.0)
SEED_RANGE = (0, 2**31 - 1)
