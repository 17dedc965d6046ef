"""Settings and shareable links: the round trip and every malformed case."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from momentum_viz.app.settings import (
    DATA_SURFACES,
    LR_RANGE,
    LR_STOPS,
    MAP_METHODS,
    MOMENTUM_RANGE,
    MOMENTUM_STOPS,
    SPEEDS,
    STEPS_RANGE,
    THEORY_POINTS,
    VIEWS,
    Settings,
    defaults_for,
    from_query_params,
    surface_of,
    to_query_params,
)
from surfaces import SURFACES

# Formulas a custom surface may carry in a link: with minima, without, with characters
# a URL encodes (spaces, +, *, /, parentheses).
CUSTOM_EXPRESSIONS = [
    "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "x + y",
    "-x**2 - y**2",
    "log(x) + y**2",
    "exp(-x/2) * (x**2 + y**2)",
]


@given(
    surface=st.sampled_from([*SURFACES, "custom"]),
    expr=st.sampled_from(CUSTOM_EXPRESSIONS),
    lows=st.tuples(st.sampled_from([-3.0, -2.5, 0.5]), st.sampled_from([-4.0, -1.0])),
    spans=st.tuples(st.sampled_from([4.0, 6.5]), st.sampled_from([2.0, 6.0])),
    kappa=st.floats(1, 1000),
    methods=st.lists(st.sampled_from(["sgd", "momentum", "nesterov"]), min_size=1, unique=True),
    lr=st.floats(*LR_RANGE),
    momentum=st.floats(*MOMENTUM_RANGE),
    steps=st.integers(*STEPS_RANGE),
    noise=st.floats(0, 50),
    seed=st.integers(0, 2**31 - 1),
    fx=st.floats(0, 1),
    fy=st.floats(0, 1),
    view=st.sampled_from(list(VIEWS)),
    map_method=st.sampled_from(MAP_METHODS),
    theory_point=st.sampled_from(list(THEORY_POINTS)),
    lecture=st.booleans(),
    speed=st.sampled_from(SPEEDS),
)
@hyp_settings(max_examples=60, deadline=None)
def test_query_params_round_trip(
    surface, expr, lows, spans, kappa, methods, lr, momentum, steps, noise, seed, fx, fy, view,
    map_method, theory_point, lecture, speed,
):  # fmt: skip
    order = ("sgd", "momentum", "nesterov")
    custom = {}
    if surface == "custom":
        (xmin, ymin), (dx, dy) = lows, spans
        xmax, ymax = xmin + dx, ymin + dy
        custom = {"expr": expr, "xmin": xmin, "xmax": xmax, "ymin": ymin, "ymax": ymax}
    else:
        (xmin, xmax), (ymin, ymax) = SURFACES[surface].bounds
    original = Settings(
        **custom,
        surface=surface,
        kappa=kappa if surface == "quadratic" else 50.0,
        methods=tuple(m for m in order if m in methods),
        lr=lr,
        momentum=momentum,
        steps=steps,
        noise=noise,
        seed=seed,
        x0=xmin + fx * (xmax - xmin),
        y0=ymin + fy * (ymax - ymin),
        view=view,
        map_method=map_method,
        theory_point=theory_point,
        lecture=lecture,
        speed=speed,
    )
    params = to_query_params(original)
    assert all(isinstance(v, str) for v in params.values())
    restored, notes = from_query_params(params)
    assert notes == []
    assert restored == original


def test_empty_link_gives_the_first_surface_defaults():
    settings, notes = from_query_params({})
    assert notes == []
    assert settings == defaults_for("rosenbrock")
    s = SURFACES["rosenbrock"]
    assert (settings.x0, settings.y0, settings.lr, settings.steps) == (*s.start, s.lr, s.steps)


def test_surface_only_link_loads_that_surface_defaults():
    settings, _ = from_query_params({"surface": "multiwell"})
    s = SURFACES["multiwell"]
    assert (settings.surface, settings.lr, settings.momentum) == ("multiwell", s.lr, s.momentum)


MALFORMED = [
    ({"momentum": "5"}, "momentum", 0.999),
    ({"momentum": "-1"}, "momentum", 0.0),
    ({"lr": "abc"}, "lr", SURFACES["rosenbrock"].lr),
    ({"lr": "0"}, "lr", 1e-5),
    ({"lr": "nan"}, "lr", SURFACES["rosenbrock"].lr),
    ({"lr": "inf"}, "lr", SURFACES["rosenbrock"].lr),
    ({"steps": "1000000000"}, "steps", 2000),
    ({"steps": "12.7"}, "steps", 13),
    ({"steps": "many"}, "steps", SURFACES["rosenbrock"].steps),
    ({"noise": "-3"}, "noise", 0.0),
    ({"seed": "-5"}, "seed", 0),
    ({"x0": "99"}, "x0", 2.0),
    ({"y0": "-1e300"}, "y0", -1.0),
    ({"kappa": "1e9", "surface": "quadratic"}, "kappa", 1000.0),
]


@pytest.mark.parametrize(("params", "name", "expected"), MALFORMED)
def test_malformed_values_are_clamped_or_dropped_with_a_note(params, name, expected):
    settings, notes = from_query_params(params)
    assert getattr(settings, name) == pytest.approx(expected)
    assert any(note.startswith(name) for note in notes), notes


def test_unknown_surface_method_and_parameter_are_reported():
    settings, notes = from_query_params(
        {"surface": "banana", "methods": "sgd,adam", "colour": "red", "scenario": "nope"}
    )
    assert settings.surface == "rosenbrock"
    assert settings.methods == ("sgd",)
    text = " ".join(notes)
    for word in ("banana", "adam", "colour", "nope"):
        assert word in text
    settings, notes = from_query_params({"methods": ",,"})
    assert settings.methods == ("sgd", "momentum") and notes


def test_lists_use_the_last_value_and_whitespace_is_ignored():
    settings, notes = from_query_params({"momentum": ["0.1", " 0.5 "]})
    assert settings.momentum == 0.5 and not notes


def test_scenario_supplies_the_base_and_link_values_override():
    scenario = Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300)
    scenarios = {"escape": scenario}
    settings, notes = from_query_params(
        {"scenario": "escape", "momentum": "0.5"}, scenarios=scenarios
    )
    assert not notes
    assert settings.surface == "multiwell" and settings.lr == 0.3 and settings.momentum == 0.5
    assert settings.steps == 300  # what the link does not name comes from the scenario
    # The override lands in the result only: the mapping still offers the scenario as
    # defined (an equal Settings built afresh, not the object the call returned).
    assert scenarios == {"escape": Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300)}


def test_quadratic_settings_build_the_bowl_with_kappa():
    bowl = surface_of(Settings(surface="quadratic", kappa=10.0))
    # The spectrum of the bowl's actual Hessian, not its stored eigenvalues field.
    eig = np.linalg.eigvalsh(bowl.hessian(np.array([0.7, -1.3])))
    np.testing.assert_allclose(eig, [1.0, 10.0], rtol=1e-12)


def test_slider_stops_cover_the_ranges_readably():
    assert LR_STOPS[0] == LR_RANGE[0] and LR_STOPS[-1] == LR_RANGE[1]
    assert all(a < b for a, b in itertools.pairwise(LR_STOPS))
    assert MOMENTUM_STOPS[0] == 0.0 and MOMENTUM_STOPS[-1] == 0.999
    # finer near 1: the gap below 0.999 is smaller than the gap above 0.5
    gaps = {b: b - a for a, b in itertools.pairwise(MOMENTUM_STOPS)}
    assert math.isclose(gaps[0.999], 0.001) and gaps[0.55] == pytest.approx(0.05)
    # Every default α is a stop, so the slider shows it exactly; the data surfaces' α is
    # 1/λmax of their data, which stops_with adds to the slider's stops.
    for name in SURFACES:
        assert SURFACES[name].lr in LR_STOPS or name == "quadratic" or name in DATA_SURFACES


@pytest.mark.parametrize("raw", ["٠.٥", "０.５", "1_0"])
def test_numbers_in_other_digits_are_refused_with_a_note(raw):
    # float() would read all of these (٠.٥ is 0.5); a link is written in ASCII digits.
    settings, notes = from_query_params({"momentum": raw})
    assert settings.momentum == SURFACES["rosenbrock"].momentum
    assert len(notes) == 1 and "ASCII digits" in notes[0], notes


def test_seed_note_gives_the_exact_bound():
    settings, notes = from_query_params({"seed": "1e12"})
    assert settings.seed == 2**31 - 1
    assert "2147483647" in notes[0] and "e+" not in notes[0], notes


def test_a_huge_value_is_quoted_short():
    _, notes = from_query_params({"surface": "x" * 100_000, "lr": "9" * 100_000})
    # The quote is cut; the rest of a note is the list of valid surfaces (~160 characters).
    assert len(notes) == 2 and all(len(note) < 250 for note in notes), notes
    assert "100,000 characters" in notes[0]


def test_view_choices_in_links_are_checked():
    settings, notes = from_query_params({"view": "theory", "map_method": "adam"})
    assert settings.view == "theory" and settings.map_method == "momentum"
    assert notes == ["map_method = 'adam' is not one of momentum, nesterov: ignored."]
    # Defaults stay out of the link, so everyday links stay short.
    assert not {"view", "map_method", "theory_point"} & set(to_query_params(Settings()))


def test_lecture_mode_in_links():
    assert from_query_params({"lecture": "1"})[0].lecture is True
    assert to_query_params(Settings(lecture=True))["lecture"] == "1"
    assert "lecture" not in to_query_params(Settings())  # off: not in the link
    settings, notes = from_query_params({"lecture": "yes"})
    assert settings.lecture is False
    assert notes == ["lecture = 'yes' is not 0 or 1: ignored."]


def test_replay_speed_in_links():
    for raw, speed in (("0.25", 0.25), ("0.5", 0.5), ("1", 1.0), ("2", 2.0), ("2.0", 2.0)):
        settings, notes = from_query_params({"speed": raw})
        assert (settings.speed, notes) == (speed, [])
    assert to_query_params(Settings(speed=0.5))["speed"] == "0.5"
    assert to_query_params(Settings(speed=0.25))["speed"] == "0.25"
    assert to_query_params(Settings(speed=2.0))["speed"] == "2"
    assert "speed" not in to_query_params(Settings())  # 1×: not in the link
    for raw in ("3", "0.1", ".25", "fast", "-1", "nan", "1e0", "٢"):
        settings, notes = from_query_params({"speed": raw})
        assert settings.speed == 1.0
        assert notes == [f"speed = {raw!r} is not one of 0.25, 0.5, 1, 2: ignored."]


def test_kappa_in_a_link_is_ignored_off_the_bowl():
    # A scenario on the three wells with κ = 5 in its link: κ means nothing there, and
    # taking it used to reset the scenario's α and γ to the surface's defaults.
    from momentum_viz.app.scenarios import SCENARIO_SETTINGS

    escape = SCENARIO_SETTINGS["escape-local-minimum"]
    settings, notes = from_query_params(
        {"scenario": "escape-local-minimum", "kappa": "5"}, scenarios=SCENARIO_SETTINGS
    )
    assert settings == escape
    assert notes == ["kappa: used only with surface = quadratic: ignored."]
