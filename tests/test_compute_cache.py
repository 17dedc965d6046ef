"""The page's caches (momentum_viz/app/compute.py) are keyed by the run key's repr, not by
Streamlit's field-by-field hash: keys one ulp apart must still get entries of their own."""

from __future__ import annotations

import math

import pytest
import streamlit as st

from momentum_viz.app.compute import RunKey, compute_runs
from momentum_viz.app.settings import Settings


@pytest.fixture(autouse=True)
def _empty_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_run_keys_one_ulp_apart_are_cached_apart():
    """The runs start where the key says: x₀ = 0.1 and the next float up after it."""
    key = RunKey.of(Settings())._replace(x0=0.1, steps=10)
    near = key._replace(x0=math.nextafter(0.1, 1.0))
    assert compute_runs(key)["momentum"].positions[0, 0] == 0.1
    assert compute_runs(near)["momentum"].positions[0, 0] == near.x0 != 0.1


def test_method_tuples_and_formulas_are_part_of_the_key():
    key = RunKey.of(Settings())._replace(steps=10, methods=("sgd",))
    assert list(compute_runs(key)) == ["sgd"]
    assert list(compute_runs(key._replace(methods=("sgd", "momentum")))) == ["sgd", "momentum"]
