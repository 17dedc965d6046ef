"""What the (α, γ) map and the basin map share: categories told apart without colour.

A category must not be told by colour alone (greyscale print, a washed-out projector,
colour-vision deficiency): both maps draw a pattern of marker symbols over the cells of
each category (:func:`pattern_trace`), and pick fills that differ in lightness
(:func:`lightness`, CIE L*). Pure Plotly: no Streamlit.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# The patterns: a marker on a staggered subgrid of the map's cells, about this many along
# an axis; their traces are named "<PATTERN_NAME>: <category>".
PATTERN_MARKS = 16
PATTERN_NAME = "pattern"


def lightness(color: str) -> float:
    """CIE L* (0 black … 100 white) of a ``#rrggbb`` colour: how light it prints in grey."""
    channels = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    y = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return 116.0 * y ** (1 / 3) - 16.0 if y > 216 / 24389 else 24389 / 27 * y


def stroke_only(symbol: str) -> bool:
    """Whether a plotly marker symbol is drawn by its outline alone (no fill)."""
    return symbol.endswith("-open") or symbol.startswith("line-")


def symbol_marker(symbol: str, fill: str, ink: str, size: int) -> dict:
    """A marker of ``symbol`` that reads on ``fill``: filled with it and outlined in ``ink``
    (over a cell of that fill only the outline shows), or stroked in ``ink`` when the
    symbol has no fill."""
    if stroke_only(symbol):
        return {"symbol": symbol, "size": size, "color": ink, "line": {"color": ink, "width": 2}}
    return {"symbol": symbol, "size": size, "color": fill, "line": {"color": ink, "width": 1.5}}


def ink_for(fill: str) -> str:
    """Near-black on light fills, white on dark ones."""
    return "#1a1a1a" if lightness(fill) >= 55 else "#ffffff"


def pattern_cells(shape: tuple[int, int]) -> np.ndarray:
    """A staggered subgrid of a map's cells (every other row shifted by half a stride):
    where the pattern markers go, about :data:`PATTERN_MARKS` along each axis."""
    stride = max(1, round(max(shape) / PATTERN_MARKS))
    marks = np.zeros(shape, dtype=bool)
    for k, row in enumerate(range(stride // 2, shape[0], stride)):
        marks[row, (k % 2) * (stride // 2) + stride // 4 :: stride] = True
    return marks


def pattern_trace(
    x_grid: np.ndarray,
    y_grid: np.ndarray,
    mask: np.ndarray,
    marks: np.ndarray,
    symbol: str,
    fill: str,
    category: str,
    size: int = 9,
) -> go.Scatter | None:
    """The pattern of one category (its cells ``mask``): its symbol on the subgrid cells
    ``marks`` that are of the category, or None when it has no cell. A category too thin
    for the subgrid still gets a few markers, spread over its own cells."""
    cells = mask & marks
    if not cells.any():
        if not mask.any():
            return None
        share = max(1, round(marks.size / max(int(marks.sum()), 1)))
        flat = np.flatnonzero(mask)
        cells = np.zeros(mask.shape, dtype=bool)
        cells.flat[
            flat[share // 2 :: share] if flat.size > share else flat[flat.size // 2 :][:1]
        ] = True
    return go.Scatter(
        x=x_grid[cells].astype(np.float32),
        y=y_grid[cells].astype(np.float32),
        mode="markers",
        name=f"{PATTERN_NAME}: {category}",
        marker=symbol_marker(symbol, fill, ink_for(fill), size),
        hoverinfo="skip",
        showlegend=False,
    )
