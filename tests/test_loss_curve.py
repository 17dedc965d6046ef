"""The loss chart sent per γ move: cut to a few hundred points without losing its shape.

Checked against plain loops written here (not the vectorised code under test): every
bucket of consecutive steps keeps its lowest and highest loss, the first and last steps
are kept, an oscillating run keeps its band, a NaN keeps its gap, and the chart of three
2,000-step runs fits a byte budget (a γ move must stay ≤ 150 KiB).
"""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.io as pio
import pytest

from momentum_viz.views.curves import (
    LINE_TEMPLATE,
    LOSS_BUCKETS,
    encode_arrays,
    envelope_indices,
    loss_figure,
)
from momentum_viz.views.style import template


def _buckets(n: int, buckets: int) -> list[range]:
    size = math.ceil(n / buckets)
    return [range(start, min(start + size, n)) for start in range(0, n, size)]


@pytest.mark.parametrize("n", [403, 1000, 1999, 2001])
def test_every_bucket_keeps_its_min_and_max_and_the_ends(n):
    rng = np.random.default_rng(n)
    values = np.exp(rng.normal(size=n) * 3)  # positive, spanning many decades
    kept = envelope_indices(values)
    assert kept[0] == 0 and kept[-1] == n - 1
    assert np.all(np.diff(kept) > 0)  # sorted, no duplicates: drawn left to right
    assert len(kept) <= 2 * LOSS_BUCKETS + 2
    kept_set = set(kept.tolist())
    for bucket in _buckets(n, LOSS_BUCKETS):
        chunk = [values[i] for i in bucket]
        lowest = min(bucket, key=lambda i: values[i])
        highest = max(bucket, key=lambda i: values[i])
        assert lowest in kept_set and highest in kept_set, (bucket, min(chunk), max(chunk))


def test_short_curves_are_sent_whole():
    values = np.linspace(1.0, 0.0, 2 * LOSS_BUCKETS + 2)
    assert envelope_indices(values).tolist() == list(range(values.size))


def test_an_oscillating_run_keeps_its_band():
    # Momentum across a stiff valley: the loss jumps between a high and a low phase at
    # every step, a factor 19 apart, while both decay. Every k-th point (k even) would see
    # one phase only and draw a smooth line; the chart must show the band.
    steps = np.arange(2000)
    values = 10.0 ** (-steps / 400) * np.where(steps % 2 == 0, 1.9, 0.1)
    kept = envelope_indices(values)
    for bucket in _buckets(values.size, LOSS_BUCKETS):
        inside = [values[i] for i in kept if i in bucket]
        assert max(inside) / min(inside) > 15, (bucket, inside)


def test_a_gap_stays_a_gap():
    values = np.linspace(10.0, 1.0, 2000)
    values[1234:1240] = np.nan
    kept = envelope_indices(values)
    assert np.isnan(values[kept]).sum() >= 1
    assert np.all(np.isfinite(values[kept][~np.isnan(values[kept])]))
    # All-NaN buckets do not make the extremes of their neighbours point at NaN.
    values = np.linspace(10.0, 1.0, 2000)
    values[600:1000] = np.nan
    kept = envelope_indices(values)
    around = [i for i in kept if 590 <= i < 1010]
    assert any(np.isnan(values[i]) for i in around)
    assert all(np.isfinite(values[i]) for i in kept if i < 600 or i >= 1000)


def test_three_long_runs_fit_the_byte_budget_and_hover_the_true_values():
    steps = np.arange(2001)
    losses = {
        "sgd": 10.0 ** (-steps / 1000),
        "momentum": 10.0 ** (-steps / 300) * (1.5 + np.cos(steps)),
        "nesterov": 10.0 ** (-steps / 200),
    }
    fig = loss_figure(losses)
    for trace, values in zip(fig.data, losses.values(), strict=True):
        x = np.asarray(trace.x)
        assert len(x) <= 2 * LOSS_BUCKETS + 2
        np.testing.assert_array_equal(np.asarray(trace.y), values[x])
        assert trace.customdata is None  # nothing at the floor: the hover reads y
        assert "%{y:.4g}" in trace.hovertemplate
    # As st.plotly_chart sends it. Before: 3 × (x, y, customdata) of 2,001 points, 197 KB.
    assert len(pio.to_json(fig, validate=False)) < 30_000


def test_the_line_template_is_plotly_white_for_what_a_line_chart_reads():
    full = template("plotly_white")
    assert LINE_TEMPLATE["data"] == {"scatter": full["data"]["scatter"]}
    assert {"colorway", "font", "xaxis", "yaxis", "paper_bgcolor", "plot_bgcolor"} <= set(
        LINE_TEMPLATE["layout"]
    )
    for key, value in LINE_TEMPLATE["layout"].items():
        assert value == full["layout"][key], key
    fig = loss_figure({"sgd": np.array([1.0, 0.5]), "momentum": np.array([1.0, 0.1])})
    spec = json.loads(pio.to_json(fig, validate=False))
    # Only scatter traces on one pair of axes: the dropped defaults would draw nothing.
    assert {t["type"] for t in spec["data"]} == {"scatter"}
    assert not {"polar", "ternary", "scene", "geo", "coloraxis"} & set(spec["layout"])


def test_encoded_arrays_send_the_same_chart():
    """encode_arrays stores the traces' arrays as typed arrays: the chart plotly.js gets
    has the same numbers (NaN gaps and the floor's true values included) and layout."""
    values = np.array([4.0, 1.0, 0.0, -1e-18, np.nan, 0.5])  # a zero, rounding, a gap
    figure = loss_figure({"momentum": values, "sgd": values[::-1].copy()})
    sent = json.loads(pio.to_json(figure, validate=False))
    encoded = json.loads(pio.to_json(encode_arrays(loss_figure(
        {"momentum": values, "sgd": values[::-1].copy()})), validate=False))  # fmt: skip
    assert encoded["layout"] == sent["layout"]
    assert any("customdata" in trace for trace in sent["data"])  # the floor moved a value
    for before, after in zip(sent["data"], encoded["data"], strict=True):
        assert before.keys() == after.keys()
        for name in ("x", "y", "customdata"):
            if name in before:
                assert isinstance(after[name], dict)
                np.testing.assert_array_equal(_typed(after[name]), _typed(before[name]))


def _typed(values) -> np.ndarray:
    """A plotly.js array as JSON holds it: a list, or a typed array {"dtype", "bdata"}."""
    if isinstance(values, dict):
        import base64

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)
