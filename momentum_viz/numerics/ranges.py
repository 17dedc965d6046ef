"""The ranges of α, γ, steps, noise and seed that the app offers, defined once.

The core itself accepts more (any α > 0, γ in [0, 1), up to ``MAX_STEPS`` steps); these
are the ranges of the app's controls and links, and the (α, γ) map's default axes span
them, so a map cell is always a setting the sliders can reach.
"""

from __future__ import annotations

LR_RANGE = (1e-5, 1.0)
MOMENTUM_RANGE = (0.0, 0.999)
STEPS_RANGE = (10, 2000)
NOISE_RANGE = (0.0, 50.0)
SEED_RANGE = (0, 2**31 - 1)
