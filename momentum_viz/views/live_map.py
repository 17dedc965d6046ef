"""The live race map's data: compact binary blobs that the browser component draws.

The race map is drawn by a small canvas component in the browser (``app/live_map``),
not by plotly.js, so that it can redraw while the user drags α or γ, with no round trip
to the server. This module builds what that component needs, with NumPy only:

* :func:`surface_blob`: the surface as a PNG, its iso-lines, minima and colour bar. It
  changes only with the surface, so Streamlit's message cache sends it once per session.
* :func:`family_blob`: the finished paths for *every* stop of one slider (every γ at the
  current α, or every α at the current γ), thinned to what a screen can show. While the
  thumb moves, the browser switches between them. A γ move leaves the γ family unchanged
  (it depends on α, not γ), so again only a reference to it travels.
* :func:`race_blob`: the runs of the current settings at full resolution, the methods'
  styles and how to replay them.

The live map's element carries the race and the α family together (:func:`pack`): a γ
move changes both, and each element Streamlit sends costs the server work of its own.
The surface and the γ family travel on their own elements. Served by serve.py, the α family
does not travel with a γ move at all: the race names its address and its stops (header
"fetch") and the browser fetches it when the α thumb is first touched
(app/family_route.py).

One format for all three (:func:`encode`, mirrored by ``decode`` in the component's
JavaScript and by :func:`decode` here for the tests)::

    b"MVZ1" | uint32 LE: header length n | n bytes of UTF-8 JSON header | padding to 8 |
    padding to 8 | the arrays, each little-endian and 8-byte aligned, where
    header["arrays"] says (name → {"dtype", "shape", "offset"}, offset counted from the
    end of the header's padding)

Coordinates travel as uint16 over :func:`quantization_box` (the map's bounds widened by
one width on every side): 1/21,845 of the map's width, far below a pixel; a path's point
beyond the box is moved to the box's edge along its segment to a point inside
(:func:`quantize_path`, so a run that leaves the map leaves it in the right direction),
and :data:`MISSING` marks a point that is not finite (a diverged run), where the drawn
line breaks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from surfaces import Surface

from .style import (
    GLOBAL_MIN_COLOR,
    ISO_LINE_COLOR,
    MAP_COLORSCALE,
    TEXT_COLOR,
    THEMES,
    draw_rank,
    line_width,
    method_style,
)
from .surface_layer import color_transform, colorbar_ticks, iso_lines, surface_image

MAGIC = b"MVZ1"
PACK_MAGIC = b"MVP1"
MISSING = 65535
_LEVELS = 65534  # quantized coordinates run 0 … _LEVELS; MISSING lies beyond
_DTYPES = {"u1": np.uint8, "u2": np.uint16, "i4": np.int32, "f4": np.float32}
# The finished paths of a family are thinned to the points that move at least this share
# of the map's width (about half a pixel on a 450 px map), then to at most this many.
FAMILY_CELL = 1 / 900
FAMILY_MAX_POINTS = 240
# A whole replay at 1× lasts this long (ms), whatever the number of steps: a short run
# must not flash past and a long one must not outlast a lecturer's sentence.
REPLAY_MS = 7000


def encode(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    """Pack a JSON header and named arrays into one blob (format in the module docstring).

    >>> header, arrays = decode(encode({"a": 1}, {"x": np.arange(3, dtype=np.uint16)}))
    >>> header["a"], arrays["x"].tolist()
    (1, [0, 1, 2])
    """
    layout: dict[str, dict[str, Any]] = {}
    body = bytearray()
    for name, array in arrays.items():
        code = next((c for c, t in _DTYPES.items() if np.dtype(t) == array.dtype), None)
        if code is None:
            raise ValueError(f"array {name!r} has dtype {array.dtype}; allowed: {list(_DTYPES)}")
        little = np.ascontiguousarray(array, dtype=np.dtype(_DTYPES[code]).newbyteorder("<"))
        body.extend(b"\0" * (_align(len(body)) - len(body)))
        layout[name] = {"dtype": code, "shape": list(array.shape), "offset": len(body)}
        body.extend(little.tobytes())
    text = json.dumps({**header, "arrays": layout}, separators=(",", ":")).encode()
    head = MAGIC + struct.pack("<I", len(text)) + text
    return bytes(head.ljust(_align(len(head)), b" ") + body)


def decode(blob: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Unpack :func:`encode`'s blob: the header (without "arrays") and the arrays."""
    if blob[:4] != MAGIC:
        raise ValueError("not a momentum-viz blob")
    (length,) = struct.unpack("<I", blob[4:8])
    header = json.loads(blob[8 : 8 + length])
    body = _align(8 + length)
    arrays = {}
    for name, spec in header.pop("arrays").items():
        dtype = np.dtype(_DTYPES[spec["dtype"]]).newbyteorder("<")
        count = int(np.prod(spec["shape"], dtype=np.int64))
        flat = np.frombuffer(blob, dtype=dtype, count=count, offset=body + spec["offset"])
        arrays[name] = flat.reshape(spec["shape"])
    return header, arrays


def pack(parts: Sequence[bytes]) -> bytes:
    """Several blobs as one: ``b"MVP1" | uint32 LE count | count × uint32 LE length |
    the parts, one after another`` (``unpack`` in live_map_core.mjs reads it).

    >>> unpack(pack([b"race", b"", b"family"]))
    [b'race', b'', b'family']
    """
    lengths = struct.pack(f"<{len(parts) + 1}I", len(parts), *(len(part) for part in parts))
    return PACK_MAGIC + lengths + b"".join(parts)


def unpack(packed: bytes) -> list[bytes]:
    """The parts of :func:`pack`'s bytes."""
    if packed[:4] != PACK_MAGIC:
        raise ValueError("not a momentum-viz pack")
    (count,) = struct.unpack_from("<I", packed, 4)
    lengths = struct.unpack_from(f"<{count}I", packed, 8)
    parts, at = [], 8 + 4 * count
    for length in lengths:
        parts.append(packed[at : at + length])
        at += length
    return parts


def blob_id(blob: bytes) -> str:
    """A short content hash: the race blob names the surface and family blobs it goes with."""
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def _align(n: int) -> int:
    return (n + 7) // 8 * 8


# --- Coordinates ------------------------------------------------------------------------


def quantization_box(surface: Surface) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1): the bounds widened by one width (height) on every side."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    w, h = xmax - xmin, ymax - ymin
    return (xmin - w, ymin - h, xmax + w, ymax + h)


def quantize(points: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """Points (..., 2) → uint16 (..., 2) over ``box``; non-finite points → :data:`MISSING`.

    >>> quantize(np.array([[0.0, 1.0], [np.nan, 0.5], [9.0, -9.0]]), (0, 0, 1, 1)).tolist()
    [[0, 65534], [65535, 65535], [65534, 0]]
    """
    x0, y0, x1, y1 = box
    points = np.asarray(points, dtype=float)
    unit = (points - np.array([x0, y0])) / np.array([x1 - x0, y1 - y0])
    finite = (np.isfinite(unit[..., 0]) & np.isfinite(unit[..., 1]))[..., None]
    codes = np.rint(np.clip(np.where(finite, unit, 0.0), 0.0, 1.0) * _LEVELS)
    return np.where(finite, codes, MISSING).astype(np.uint16)


def dequantize(codes: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The inverse of :func:`quantize` (MISSING → NaN), for the tests."""
    x0, y0, x1, y1 = box
    codes = np.asarray(codes)
    unit = codes.astype(float) / _LEVELS
    points = np.array([x0, y0]) + unit * np.array([x1 - x0, y1 - y0])
    missing = (codes == MISSING).any(axis=-1, keepdims=True)
    return np.where(missing, np.nan, points)


def quantize_path(path: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """A polyline (T, 2) → uint16 (T, 2) over ``box``, as :func:`quantize`, except that a
    point outside the box joined to one inside moves along that segment to the box's edge.

    :func:`quantize` clamps each coordinate on its own, which turns a segment that leaves
    the map: a first step of a diverging run from (−1.5, 2) to (153.5, 52) on Rosenbrock
    would be drawn towards the box's corner (6, 7), crossing the map's edge at x = 0
    instead of x = 1.6. Moved along its segment, the point keeps every pixel of the line
    inside the box where it was. A point with no neighbour inside the box is clamped as
    :func:`quantize` does (its segments lie beyond the box or cross it: drawn roughly).

    The step from (0.5, 0.5) to (10.5, 5.5) leaves the unit box at (1, 0.75):

    >>> quantize_path(np.array([[0.5, 0.5], [10.5, 5.5]]), (0, 0, 1, 1)).tolist()
    [[32767, 32767], [65534, 49150]]
    """
    points = np.array(path, dtype=float)
    return _quantize_polylines(points, np.zeros(len(points), bool), box)


def _quantize_polylines(points: np.ndarray, first: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """:func:`quantize_path` of several polylines at once: ``points`` (P, 2) is their
    points one after the other (modified in place) and ``first`` (P,) marks where each
    but the first begins, so no point's neighbour is taken from another polyline."""
    x0, y0, x1, y1 = box
    lo, hi = np.array([x0, y0]), np.array([x1, y1])
    # Column by column: NumPy's all() over an axis of 2 is several times slower.
    x, y = points[:, 0], points[:, 1]
    finite = np.isfinite(x) & np.isfinite(y)
    inside = finite & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    before = np.concatenate([[False], inside[:-1]]) & ~first  # the previous point is inside
    after = np.concatenate([inside[1:] & ~first[1:], [False]])  # the next point is inside
    outside = finite & ~inside
    for moved, step in ((outside & before, -1), (outside & ~before & after, 1)):
        index = np.flatnonzero(moved)
        a, b = points[index + step], points[index]  # a inside, b beyond the box
        with np.errstate(divide="ignore", invalid="ignore"):
            edge = np.where(b > hi, hi, lo)
            share = np.where((b > hi) | (b < lo), (edge - a) / (b - a), np.inf).min(axis=1)
        points[index] = np.clip(a + share[:, None] * (b - a), lo, hi)
    return quantize(points, box)


def thin(path: np.ndarray, cell: float, max_points: int) -> np.ndarray:
    """The indices of ``path`` (T, 2) worth drawing: the first and last point, and every
    point whose ``cell``-sized square differs from the previous point's, then at most
    ``max_points`` of those, evenly spread. Non-finite points are kept (they break the line).

    A run that has settled stays in one square and costs one point; a zig-zag wider than
    a square keeps its corners.

    >>> thin(np.array([[0, 0], [0.01, 0], [1, 0], [1, 0.01], [2, 2]]), 0.5, 10).tolist()
    [0, 2, 4]
    """
    squares = np.floor(np.nan_to_num(path / cell, nan=-1e18, posinf=1e18, neginf=-1e18))
    moved = np.any(squares[1:] != squares[:-1], axis=1)
    keep = np.flatnonzero(np.concatenate([[True], moved]))
    if keep[-1] != len(path) - 1:
        keep = np.append(keep, len(path) - 1)
    if len(keep) > max_points:
        keep = keep[np.unique(np.linspace(0, len(keep) - 1, max_points).round().astype(int))]
    return keep


def _thin_columns(batch: np.ndarray, cell: float, max_points: int) -> np.ndarray:
    """:func:`thin` of every path of a batch (T, N, 2) at once, as a mask (T, N) of the
    points kept: one pass of NumPy over the batch, not one per path (a family has ~30)."""
    squares = np.floor(np.nan_to_num(batch / cell, nan=-1e18, posinf=1e18, neginf=-1e18))
    keep = np.ones(batch.shape[:2], bool)
    moved = squares[1:] != squares[:-1]
    keep[1:] = moved[..., 0] | moved[..., 1]  # np.any over an axis of 2 was 5× slower
    keep[-1] = True
    for column in np.flatnonzero(keep.sum(axis=0) > max_points):
        kept = np.flatnonzero(keep[:, column])
        spread = np.unique(np.linspace(0, len(kept) - 1, max_points).round().astype(int))
        keep[:, column] = False
        keep[kept[spread], column] = True
    return keep


# --- The three blobs --------------------------------------------------------------------


def _png_bytes(surface: Surface) -> np.ndarray:
    uri = surface_image(surface)
    return np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), dtype=np.uint8)


# The widths over heights a data surface's map may take. Its two parameters are in
# different units (a slope and an intercept, two weights of differently scaled features),
# so one unit on each axis need not be the same length: an unscaled feature's box,
# 2 wide and 18 tall, drawn to scale was a column too narrow to read. The formula
# surfaces keep one scale for both axes (None), so a round bowl looks round.
DATA_ASPECT_RANGE = (0.75, 1.5)


def aspect_range(surface: Surface) -> tuple[float, float] | None:
    """The widths over heights the map of ``surface`` may take (None: to scale)."""
    return DATA_ASPECT_RANGE if getattr(surface, "data", None) is not None else None


def drawing_aspect(surface: Surface) -> float:
    """The drawing area's width over its height: the box's, clamped to
    :func:`aspect_range` (``layout`` in live_map.js does the same).

    >>> from surfaces import SURFACES
    >>> drawing_aspect(SURFACES["rosenbrock"]), drawing_aspect(SURFACES["engel"])
    (1.0, 0.75)
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    aspect = (xmax - xmin) / (ymax - ymin)
    limits = aspect_range(surface)
    return aspect if limits is None else min(max(aspect, limits[0]), limits[1])


def surface_blob(surface: Surface) -> bytes:
    """The map under the runs: PNG, iso-lines (float32, NaN between lines), minima and the
    colour bar (its scale's stops, and tick positions in [0, 1] with their labels in J)."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    iso_x, iso_y = iso_lines(surface)
    transform = color_transform(surface)
    ticks = colorbar_ticks(surface, transform)
    header = {
        "kind": "surface",
        "title": surface.title,
        "bounds": [xmin, xmax, ymin, ymax],
        "aspect_range": aspect_range(surface),
        "minima": [
            {"x": float(m.point[0]), "y": float(m.point[1]), "global": bool(m.is_global)}
            for m in surface.minima
        ],
        "colorscale": MAP_COLORSCALE,
        "colorbar": {
            "positions": [float(p) for p in transform.unit(transform(ticks))],
            "labels": [f"{v:.4g}" for v in np.round(ticks, 12)],
        },
        "colors": {"iso": ISO_LINE_COLOR, "text": TEXT_COLOR, "global_min": GLOBAL_MIN_COLOR},
    }
    iso = np.stack([iso_x, iso_y], axis=-1).astype(np.float32)
    return encode(header, {"png": _png_bytes(surface), "iso": iso})


def family_blob(
    surface: Surface, parameter: str, values: Sequence[float], paths: Mapping[str, np.ndarray]
) -> bytes:
    """The finished paths of every stop of one slider.

    ``parameter`` is "lr" or "momentum"; ``values`` are the slider's stops in its order;
    ``paths`` maps each method to its positions (T, len(values), 2) as :func:`simulate`
    returns them for a batch. Paths are thinned (:func:`thin`) and concatenated: the
    path of method m at stop i is ``points[offsets[k]:offsets[k + 1]]`` with
    ``k = m * len(values) + i`` (methods in the header's order).
    """
    if parameter not in ("lr", "momentum"):
        raise ValueError(f"parameter must be 'lr' or 'momentum'; got {parameter!r}")
    (xmin, xmax), _ = surface.bounds
    cell = FAMILY_CELL * (xmax - xmin)
    pieces, counts = [], []
    for method, batch in paths.items():
        if batch.shape[1:] != (len(values), 2):
            raise ValueError(
                f"paths[{method!r}] must have shape (T, {len(values)}, 2); got {batch.shape}"
            )
        keep = _thin_columns(batch, cell, FAMILY_MAX_POINTS)
        # Stop by stop, each stop's kept points in time order.
        pieces.append(np.asarray(batch.transpose(1, 0, 2)[keep.T], dtype=float))
        counts.append(keep.sum(axis=0))
    offsets = np.concatenate([[0], np.cumsum(np.concatenate(counts))]) if counts else [0]
    points = np.concatenate(pieces) if pieces else np.empty((0, 2))
    first = np.zeros(len(points), bool)
    first[np.asarray(offsets[:-1], dtype=np.intp)] = True
    box = quantization_box(surface)
    points = _quantize_polylines(points, first, box)
    header = {
        "kind": "family",
        "parameter": parameter,
        "values": [float(v) for v in values],
        "methods": list(paths),
        "box": list(box),
    }
    return encode(header, {"points": points, "offsets": np.asarray(offsets, dtype=np.int32)})


def _method_styles(paths: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """Each method's key, label and line style, in the race's order."""
    methods = []
    for order, method in enumerate(paths):
        color, name, dash, symbol = method_style(method, order)
        methods.append(
            {
                "key": method,
                "label": name,
                "color": color,
                "dash": dash,
                "symbol": symbol,
                "width": line_width(method),
            }
        )
    return methods


def race_blob(
    surface: Surface,
    paths: Mapping[str, np.ndarray],
    *,
    lr: float,
    momentum: float,
    start: tuple[float, float],
    replay_ms: float,
    drawing_height: int,
    font_size: int,
    fill_screen: bool = False,
    autoplay: bool = False,
    surface_id: str,
    family_ids: Mapping[str, str],
    family_urls: Mapping[str, tuple[str, Sequence[float]]] | None = None,
    label: str,
    sliders: Mapping[str, str],
    anatomy: Mapping[str, Any] | None = None,
) -> bytes:
    """The runs of the current settings (each (T, 2), full resolution) and how to draw them.

    ``surface_id`` and ``family_ids`` ("lr", "momentum") are the :func:`blob_id` of the
    blobs drawn with it; a family the browser fetches is in ``family_urls`` instead, as its
    address (relative to the page) and its slider's stops (the values its paths will have:
    the map's own sliders need them before it arrives); ``drawing_height`` is the map's
    height in px, or with ``fill_screen`` (lecture mode) the least of it: the browser then
    grows the map to the screen's height below it; ``autoplay`` starts the replay when a new
    race is first drawn; ``label`` is the map's accessible name; ``sliders`` maps "lr" and
    "momentum" to the CSS selectors of the inputs the browser follows during a drag.
    ``anatomy`` (:func:`.anatomy.anatomy_header`), when given, freezes the map at its step,
    zoomed on its box, with the step's arrows drawn and no replay.
    """
    methods = _method_styles(paths)
    lengths = {len(path) for path in paths.values()}
    if len(lengths) > 1:
        raise ValueError(f"all paths must have the same length; got {sorted(lengths)}")
    steps = lengths.pop() - 1 if lengths else 0
    box = quantization_box(surface)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    off_map = [
        m["label"]
        for m, path in zip(methods, paths.values(), strict=True)
        if np.any(~np.isfinite(path))
        or np.any(
            (path[:, 0] < xmin) | (path[:, 0] > xmax) | (path[:, 1] < ymin) | (path[:, 1] > ymax)
        )
    ]
    header = {
        "kind": "race",
        "lr": float(lr),
        "momentum": float(momentum),
        "start": [float(start[0]), float(start[1])],
        "steps": steps,
        "methods": methods,
        "draw_order": sorted(paths, key=draw_rank),  # bottom to top
        "box": list(box),
        "replay_ms": float(replay_ms),
        "drawing_height": int(drawing_height),
        "fill_screen": bool(fill_screen),
        "autoplay": bool(autoplay),
        "font_size": int(font_size),
        "surface": surface_id,
        "families": dict(family_ids),
        "fetch": {
            name: {"url": url, "values": [float(v) for v in values]}
            for name, (url, values) in (family_urls or {}).items()
        },
        "off_map": off_map,
        "label": label,
        "sliders": dict(sliders),
        "anatomy": dict(anatomy) if anatomy is not None else None,
        # The page colours of each theme; the browser picks the viewer's (live_map.js).
        "themes": THEMES,
    }
    stacked = (
        np.stack([quantize_path(path, box) for path in paths.values()])
        if paths
        else np.empty((0, 1, 2), np.uint16)
    )
    return encode(header, {"paths": stacked})
