"""The live race map's blobs (momentum_viz/views/live_map.py) on the paths that are hard
to draw: diverged runs (NaN, inf), runs far off the map, runs that have settled."""

from __future__ import annotations

import json

import numpy as np
import pytest

from momentum_viz.numerics.optimizer import simulate
from momentum_viz.views.live_map import (
    FAMILY_CELL,
    FAMILY_MAX_POINTS,
    MISSING,
    decode,
    dequantize,
    encode,
    family_blob,
    quantization_box,
    quantize,
    quantize_path,
    race_blob,
    thin,
)
from surfaces import SURFACES

ROSENBROCK = SURFACES["rosenbrock"]
BOX = quantization_box(ROSENBROCK)
RESOLUTION = max(BOX[2] - BOX[0], BOX[3] - BOX[1]) / 65534


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def test_a_run_that_leaves_the_map_is_drawn_in_its_own_direction():
    """α = 1 on Rosenbrock: the first step goes from (−1.5, 2) to (153.5, 52). The drawn
    point must lie on that segment, on the box's edge (clamping each coordinate drew it
    towards the box's corner (6, 7), leaving the map at x = 0 instead of x = 1.6)."""
    run = simulate(ROSENBROCK, "sgd", ROSENBROCK.start, lr=1.0, momentum=0.0, steps=5)
    start, first = run.positions[0], run.positions[1]
    assert first[0] > BOX[2], "the test needs a first step beyond the box"
    drawn = dequantize(quantize_path(run.positions, BOX), BOX)
    direction = (first - start) / np.linalg.norm(first - start)
    offset = drawn[1] - start
    assert abs(_cross(direction, offset)) < 2 * RESOLUTION  # on the segment
    assert drawn[1][0] == pytest.approx(BOX[2])  # at the box's right edge


@pytest.mark.parametrize(
    "far",
    [[1e9, 3e8], [-1e300, 1e300], [1e308, -1e308], [0.0, 1e12]],
    ids=["large", "huge", "near-overflow", "vertical"],
)
def test_segments_into_and_out_of_the_box_keep_their_direction(far):
    """Out and back: both segments cross the box's edge where the real ones do."""
    inside = np.array([[0.5, 1.0], [-1.0, 2.0]])
    path = np.array([inside[0], far, inside[1]])
    drawn = dequantize(quantize_path(path, BOX), BOX)
    assert np.isfinite(drawn).all()
    direction = np.array(far) - inside[0]
    direction /= np.abs(direction).max()  # first: the norm of (1e308, 1e308) overflows
    direction /= np.linalg.norm(direction)
    assert abs(_cross(direction, drawn[1] - inside[0])) < 2 * RESOLUTION
    lo, hi = np.array(BOX[:2]), np.array(BOX[2:])
    on_edge = np.isclose(drawn[1], lo, atol=RESOLUTION) | np.isclose(drawn[1], hi, atol=RESOLUTION)
    assert on_edge.any(), drawn[1]


def test_points_inside_the_box_and_missing_points_are_quantized_as_before():
    path = np.array([[0.0, 1.0], [np.nan, 0.5], [np.inf, 0.0], [1.0, 1.0], [2.0, -1.0]])
    np.testing.assert_array_equal(quantize_path(path, BOX), quantize(path, BOX))
    assert (quantize_path(path, BOX)[1:3] == MISSING).all()


def test_a_point_with_no_neighbour_inside_is_clamped():
    path = np.array([[50.0, 60.0], [70.0, -80.0], [-90.0, 100.0]])
    np.testing.assert_array_equal(quantize_path(path, BOX), quantize(path, BOX))


@pytest.mark.parametrize(
    "path",
    [
        np.zeros((1, 2)),
        np.zeros((500, 2)),  # a settled run
        np.array([[0.0, 0.0], [np.nan, np.nan], [np.nan, np.nan], [1.0, 1.0]]),
        np.array([[0.0, 0.0], [np.inf, 0.0], [-np.inf, 1.0], [1.0, 1.0]]),
        np.cumsum(np.full((5000, 2), 0.01), axis=0),
    ],
    ids=["one point", "settled", "nan", "inf", "long"],
)
def test_thin_keeps_the_ends_and_every_break(path):
    keep = thin(path, 0.5, 240)
    assert keep[0] == 0 and keep[-1] == len(path) - 1
    assert np.all(np.diff(keep) > 0) and len(keep) <= 240
    # The line breaks where the run broke: the first point of every non-finite stretch.
    finite = np.isfinite(path).all(axis=1)
    breaks = np.flatnonzero(~finite & np.concatenate([[True], finite[:-1]]))
    assert set(breaks) <= set(keep)
    if np.ptp(path) == 0:
        assert len(keep) == min(2, len(path))  # a settled run costs its two ends


def test_encode_decode_round_trip_keeps_dtypes_shapes_and_alignment():
    arrays = {
        "a": np.arange(3, dtype=np.uint8),
        "b": np.array([[1, 65535]], dtype=np.uint16),
        "c": np.array([-1, 2**31 - 1], dtype=np.int32),
        "d": np.array([np.nan, np.inf, -0.5], dtype=np.float32),
        "e": np.empty((0, 2), dtype=np.uint16),
    }
    for pad in range(9):  # every header length modulo 8
        blob = encode({"pad": "x" * pad}, arrays)
        header, decoded = decode(blob)
        assert header == {"pad": "x" * pad}
        for name, array in arrays.items():
            assert decoded[name].dtype == array.dtype and decoded[name].shape == array.shape
            np.testing.assert_array_equal(decoded[name], array)
        # The browser views each array in place: its offset must suit every dtype.
        assert all(offset % 8 == 0 for offset in _offsets(blob))


def _offsets(blob: bytes) -> list[int]:
    (length,) = np.frombuffer(blob[4:8], dtype="<u4")
    return [spec["offset"] for spec in json.loads(blob[8 : 8 + int(length)])["arrays"].values()]


def test_encode_refuses_a_dtype_the_browser_cannot_read():
    with pytest.raises(ValueError, match="float64"):
        encode({}, {"x": np.zeros(2)})


def test_family_and_race_blobs_of_diverging_runs():
    """α from harmless to diverging at once: every stop has a path, offsets tile the
    points, and the race names the runs that leave the map."""
    values = [1e-4, 1e-3, 0.01, 1.0]
    paths = {
        method: simulate(
            ROSENBROCK, method, ROSENBROCK.start, lr=np.array(values), momentum=0.9, steps=300
        ).positions
        for method in ("sgd", "momentum")
    }
    header, arrays = decode(family_blob(ROSENBROCK, "lr", values, paths))
    offsets = arrays["offsets"]
    assert len(offsets) == 2 * len(values) + 1
    assert offsets[0] == 0 and offsets[-1] == len(arrays["points"])
    assert np.all(np.diff(offsets) >= 1)
    for m, method in enumerate(header["methods"]):
        for i in range(len(values)):
            k = m * len(values) + i
            drawn = dequantize(arrays["points"][offsets[k] : offsets[k + 1]], BOX)
            np.testing.assert_allclose(drawn[0], ROSENBROCK.start, atol=RESOLUTION)
            end = paths[method][-1, i]
            if np.isfinite(end).all() and np.all((end >= BOX[:2]) & (end <= BOX[2:])):
                np.testing.assert_allclose(drawn[-1], end, atol=RESOLUTION)
    race = {method: batch[:, -1] for method, batch in paths.items()}
    header, _ = decode(
        race_blob(
            ROSENBROCK,
            race,
            lr=1.0,
            momentum=0.9,
            start=ROSENBROCK.start,
            replay_ms=8000,
            drawing_height=452,
            font_size=18,
            surface_id="s",
            family_ids={"lr": "a", "momentum": "b"},
            label="",
            sliders={},
        )
    )
    assert header["off_map"] == ["SGD", "Momentum"]


def _family_path_by_path(values, paths):
    """The family's points and offsets as the map defines them, one path at a time:
    :func:`thin`, then :func:`quantize_path` of what is kept (the batched encoding must
    give the same bytes)."""
    (xmin, xmax), _ = ROSENBROCK.bounds
    cell = FAMILY_CELL * (xmax - xmin)
    pieces, offsets = [], [0]
    for batch in paths.values():
        for i in range(len(values)):
            path = batch[:, i]
            pieces.append(quantize_path(path[thin(path, cell, FAMILY_MAX_POINTS)], BOX))
            offsets.append(offsets[-1] + len(pieces[-1]))
    return np.concatenate(pieces), np.array(offsets)


def test_family_encoding_equals_thinning_and_quantizing_each_path():
    """All stops of a family are thinned and quantized in one pass; each path must come
    out exactly as on its own: a settled run, zig-zags longer than FAMILY_MAX_POINTS,
    runs that leave the box (their neighbours must not be taken from the next path),
    and diverged ones (NaN, inf)."""
    values = [1e-4, 1e-3, 2e-3, 0.01, 0.1, 1.0]
    paths = {
        method: simulate(
            ROSENBROCK, method, ROSENBROCK.start, lr=np.array(values), momentum=0.97, steps=1000
        ).positions.copy()
        for method in ("sgd", "momentum", "nesterov")
    }
    # A path that ends outside the box next to one that starts inside it.
    paths["momentum"][-1, 2] = (BOX[2] + 5.0, BOX[3] + 1.0)
    rng = np.random.default_rng(3)
    paths["nesterov"][:, 0] = rng.uniform(BOX[0] - 2, BOX[2] + 2, size=(1001, 2))
    points, offsets = _family_path_by_path(values, paths)
    assert np.diff(offsets).max() == FAMILY_MAX_POINTS  # the spreading is exercised
    _, arrays = decode(family_blob(ROSENBROCK, "lr", values, paths))
    np.testing.assert_array_equal(arrays["offsets"], offsets)
    np.testing.assert_array_equal(arrays["points"], points)
