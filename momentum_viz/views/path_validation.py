"""The check every figure of runs makes of the paths it is given."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def check_paths(paths: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return the paths as float arrays, or raise ValueError if they cannot be drawn.

    Each path must have shape (T, 2) with T >= 1, all the same T (the race plays the runs
    in lock-step), and only finite positions.
    """
    arrays = {name: np.asarray(path, dtype=float) for name, path in paths.items()}
    lengths = set()
    for name, path in arrays.items():
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(f"path {name!r} must have shape (T, 2) with T >= 1, got {path.shape}")
        if not np.isfinite(path).all():
            # The core freezes a diverged run at its last finite point; a NaN here is a bug
            # upstream and would silently cut the line, so say so.
            raise ValueError(f"path {name!r} contains non-finite positions")
        lengths.add(len(path))
    if len(lengths) > 1:
        raise ValueError(f"all paths must have the same number of points, got {sorted(lengths)}")
    return arrays
