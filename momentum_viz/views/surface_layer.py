"""The surface as the 2-D maps draw it: colour transform, background image, iso-lines, minima.

Why an image and not a ``go.Contour``: as soon as a Plotly animation starts, plotly.js
stops drawing every contour and heatmap trace of the figure (plotly.js #4491, plotly.py
#2151). So the race map paints the surface as a background image (``layout.images``, a PNG
made with Pillow) under iso-lines drawn as an ordinary scatter trace; both survive playback.

Everything here depends on the surface alone and is costly (a PNG, contour tracing with
Newton snapping), so it is cached per surface: surfaces compare and hash by ``(name,
params)``, and two bowls built with the same κ share the entries.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from functools import lru_cache

import contourpy
import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale

from surfaces import Surface

from .style import GLOBAL_MIN_MARKER, LOCAL_MIN_MARKER, MAP_COLORSCALE


@dataclass(frozen=True)
class ColorTransform:
    """Map J to the colour coordinate t = log10(J − J* + delta) (J* = global minimum value).

    With a small ``delta`` (``log_scale`` surfaces) this is the usual log colouring of a
    surface whose values span orders of magnitude; with a large ``delta`` (surfaces with
    negative values) it is a "soft log" that stays almost linear in the wells and
    compresses the high rim, so the wells keep most of the colour range.
    """

    j_min: float
    delta: float
    t_range: tuple[float, float]  # t over the plotted bounds, for the colour scale

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Return t for each J in ``values`` (J below J* by rounding counts as J*)."""
        gap = np.maximum(np.asarray(values, dtype=float) - self.j_min, 0.0)
        return np.log10(gap + self.delta)

    def inverse(self, t: np.ndarray) -> np.ndarray:
        """Return the J whose colour coordinate is ``t``."""
        return np.power(10.0, np.asarray(t, dtype=float)) - self.delta + self.j_min

    def unit(self, t: np.ndarray) -> np.ndarray:
        """Return t rescaled to [0, 1] over the plotted bounds (clipped outside)."""
        lo, hi = self.t_range
        return np.clip((np.asarray(t, dtype=float) - lo) / (hi - lo), 0.0, 1.0)


def sample_grid(surface: Surface, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return x (nx,), y (ny,) and J (ny, nx) on a regular grid spanning the bounds.

    Rows run along y, as plotly's ``z`` of a heatmap, contour or 3-D surface expects.
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    xs = np.linspace(xmin, xmax, nx)
    ys = np.linspace(ymin, ymax, ny)
    xy = np.stack(np.meshgrid(xs, ys), axis=-1)
    return xs, ys, surface.value(xy)


@lru_cache(maxsize=32)
def color_transform(surface: Surface) -> ColorTransform:
    """Return the J → colour-coordinate transform shared by the map, iso-lines and 3-D view.

    J* is the global minimum's value, or the lowest J sampled on the bounds for a surface
    that lists no minimum (a custom one); only finite samples count (a custom J may be
    undefined or infinite in parts of the bounds).
    """
    _, _, values = sample_grid(surface, 201, 201)
    values = values[np.isfinite(values)]
    if values.size == 0:  # from_expression refuses such a surface; stay drawable anyway
        values = np.zeros(1)
    if surface.minima:
        j_min = min(m.value for m in surface.minima if m.is_global)
    else:
        j_min = float(values.min())
    typical = float(np.median(values - j_min))
    # log_scale: delta far below typical values, so decades of J get equal colour room.
    # Otherwise delta ~ a quarter of the typical height: near-linear in the wells.
    delta = max(typical * (1e-4 if surface.log_scale else 0.25), 1e-12)
    transform = ColorTransform(j_min, delta, (0.0, 1.0))
    t = transform(values)
    lo, hi = float(t.min()), float(t.max())
    return ColorTransform(j_min, delta, (lo, hi if hi > lo else lo + 1.0))


# --- Background image -------------------------------------------------------------------

#: The colour of the map where J is not a number (NaN): a neutral grey, outside the scale.
UNDEFINED_RGB = (200, 200, 200)


def _colorscale_lut(colorscale: list[list[float | str]], n: int = 256) -> np.ndarray:
    """Return an (n, 3) uint8 table of the colour scale sampled at n even points."""
    colors = sample_colorscale(colorscale, np.linspace(0.0, 1.0, n).tolist(), colortype="tuple")
    # sample_colorscale returns 0–1 floats for colortype="tuple".
    return np.rint(np.asarray(colors, dtype=float) * 255.0).astype(np.uint8)


@lru_cache(maxsize=32)
def _surface_image(surface: Surface, resolution: int) -> str:
    transform = color_transform(surface)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    # Sample at pixel centres; PNG row 0 is the top of the image, i.e. y = ymax.
    centres = (np.arange(resolution) + 0.5) / resolution
    xs = xmin + centres * (xmax - xmin)
    ys = ymax - centres * (ymax - ymin)
    values = surface.value(np.stack(np.meshgrid(xs, ys), axis=-1))
    unit = transform.unit(transform(values))
    defined = ~np.isnan(unit)  # J = ±inf is the end of the scale; NaN has no colour
    levels = np.rint(np.where(defined, unit, 0.0) * 255.0).astype(np.intp)
    rgb = _colorscale_lut(MAP_COLORSCALE)[levels]
    rgb[~defined] = UNDEFINED_RGB
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def surface_image(surface: Surface, resolution: int = 300) -> str:
    """Return the surface painted as a ``resolution``² PNG, as a ``data:image/png`` URI.

    Pixel colours follow :func:`color_transform` through :data:`MAP_COLORSCALE`, and
    :data:`UNDEFINED_RGB` where J is not a number (a custom log(x) at x < 0); the image
    covers ``surface.bounds`` exactly (row 0 at y max) and is meant to be stretched onto them.
    """
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    return _surface_image(surface, int(resolution))


def colorbar_ticks(surface: Surface, transform: ColorTransform) -> np.ndarray:
    """Return round J values for the colour bar, at least 10 % of its length apart.

    An image has no colour bar of its own, so the race map borrows one whose ticks must be
    labelled in J although the scale runs in t: powers of ten above J* on log-scaled
    surfaces, round linear steps otherwise.
    """
    lo, hi = transform.t_range
    j_lo, j_hi = (float(v) for v in transform.inverse(np.array([lo, hi])))
    if surface.log_scale:
        gaps = np.clip([j_lo - transform.j_min, j_hi - transform.j_min], 1e-300, None)
        powers = np.arange(math.ceil(math.log10(gaps[0])), math.floor(math.log10(gaps[1])) + 1)
        candidates = transform.j_min + 10.0**powers
    else:
        raw_step = (j_hi - j_lo) / 6
        # A flat map, or one whose spread is lost in rounding (1e18 + x**2): one tick.
        if not (math.isfinite(raw_step) and raw_step > 1e-12 * max(abs(j_lo), abs(j_hi))):
            return np.array([j_lo])
        magnitude = 10.0 ** math.floor(math.log10(raw_step))
        step = magnitude * min((1, 2, 5, 10), key=lambda m: abs(m * magnitude - raw_step))
        candidates = np.arange(math.ceil(j_lo / step), math.floor(j_hi / step) + 1) * step
    ticks, last = [], -np.inf
    for value in candidates:
        position = float(transform.unit(transform(value)))
        if position - last >= 0.1:
            ticks.append(float(value))
            last = position
    return np.array(ticks)


# --- Iso-lines --------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _contour_levels(surface: Surface, n_levels: int) -> np.ndarray:
    transform = color_transform(surface)
    lo, hi = transform.t_range
    # Evenly spaced in t, so log-spaced in J where values span decades; the extremes
    # are left out (a level at the grid minimum or maximum is a point, not a line).
    return transform.inverse(np.linspace(lo, hi, n_levels + 2)[1:-1])


def contour_levels(surface: Surface, n_levels: int = 18) -> np.ndarray:
    """Return the ``n_levels`` J values (increasing) that :func:`iso_lines` draws."""
    if n_levels < 1:
        raise ValueError(f"n_levels must be at least 1, got {n_levels}")
    # A copy: the cached array is shared by every caller.
    return _contour_levels(surface, int(n_levels)).copy()


def _snap_to_levels(
    surface: Surface, points: np.ndarray, targets: np.ndarray, max_step: float
) -> np.ndarray:
    """Move each point along ∇J onto its target level (Newton steps on J(p) = target).

    contourpy interpolates J linearly inside each grid cell, which misplaces the lines
    where J curves strongly (the floor of the Rosenbrock valley, small rings around a
    minimum); Newton steps with the analytic gradient put them back on the level set.
    Steps are capped at ``max_step`` (a grid cell) so a point near a critical point,
    where ∇J ≈ 0, cannot jump away; a point exactly on one stays put. Points where a line
    meets the edge of the bounds move along that edge only, so lines end on the edge.
    """
    points = points.copy()
    (xmin, xmax), (ymin, ymax) = surface.bounds
    # Which gradient components may move each point: 0 across an edge it lies on.
    free = np.ones_like(points)
    free[np.isclose(points[:, 0], xmin) | np.isclose(points[:, 0], xmax), 0] = 0.0
    free[np.isclose(points[:, 1], ymin) | np.isclose(points[:, 1], ymax), 1] = 0.0
    for _ in range(8):
        residual = surface.value(points) - targets
        grad = surface.grad(points) * free
        norm2 = np.sum(grad * grad, axis=-1)
        moving = norm2 > 0
        step = np.zeros_like(points)
        step[moving] = grad[moving] * (residual[moving] / norm2[moving])[:, None]
        length = np.hypot(step[:, 0], step[:, 1])
        too_long = length > max_step
        step[too_long] *= (max_step / length[too_long])[:, None]
        points -= step
        if np.all(np.abs(residual) <= 1e-12 * np.maximum(np.abs(targets), 1.0)):
            break
    return points


@lru_cache(maxsize=32)
def _iso_lines(surface: Surface, n_levels: int, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys, values = sample_grid(surface, resolution, resolution)
    generator = contourpy.contour_generator(xs, ys, values, line_type="ChunkCombinedNan")
    cell = math.hypot(xs[1] - xs[0], ys[1] - ys[0])
    pieces = []
    for level in _contour_levels(surface, n_levels):
        (chunk,) = generator.lines(level)[0]
        if chunk is None or len(chunk) == 0:
            continue
        finite = np.isfinite(chunk[:, 0])
        chunk = chunk.copy()
        chunk[finite] = _snap_to_levels(
            surface, chunk[finite], np.full(finite.sum(), level), max_step=cell
        )
        pieces.extend([chunk, np.full((1, 2), np.nan)])
    if not pieces:
        return np.empty(0), np.empty(0)
    lines = np.concatenate(pieces[:-1])
    return lines[:, 0], lines[:, 1]


def iso_lines(
    surface: Surface, n_levels: int = 18, resolution: int = 120
) -> tuple[np.ndarray, np.ndarray]:
    """Return x and y of the iso-lines at :func:`contour_levels`, lines separated by NaN.

    Lines are traced by contourpy on a ``resolution``² grid, then snapped onto the exact
    level set with the analytic gradient.
    """
    if resolution < 3:
        raise ValueError(f"resolution must be at least 3, got {resolution}")
    x, y = _iso_lines(surface, int(n_levels), int(resolution))
    return x.copy(), y.copy()


# --- Minima -----------------------------------------------------------------------------


def minima_traces(surface: Surface) -> list[go.Scatter]:
    """Marker traces for the listed minima: one "global minimum", one "local minimum".

    Shared by the race map and the basin maps so minima look (and hover) the same.
    """
    markers = []
    for is_global in (True, False):
        minima = [m for m in surface.minima if m.is_global == is_global]
        if not minima:
            continue
        points = np.array([m.point for m in minima])
        kind = "global minimum" if is_global else "local minimum"
        markers.append(
            go.Scatter(
                x=points[:, 0],
                y=points[:, 1],
                mode="markers",
                name=kind,
                customdata=np.array([m.value for m in minima]),
                hovertemplate=f"{kind}<br>(%{{x:.3f}}, %{{y:.3f}})<br>J = %{{customdata:.4g}}"
                "<extra></extra>",
                marker=GLOBAL_MIN_MARKER if is_global else LOCAL_MIN_MARKER,
            )
        )
    return markers
