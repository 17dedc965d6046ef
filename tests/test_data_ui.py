"""The app side of the data surfaces: the batch size, the batch order and the standardize
switch as settings (links, clamping, notes), the runs the page computes with them, and the
page itself (the controls only on data surfaces, the notes that say what is shown)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from _apptest import open_app

from momentum_viz.app.compute import RunKey, compute_runs
from momentum_viz.app.data_controls import batch_stops
from momentum_viz.app.settings import (
    ALL_DATA,
    DATA_SURFACES,
    Settings,
    defaults_for,
    from_query_params,
    surface_of,
    to_query_params,
)
from momentum_viz.numerics.optimizer import simulate
from momentum_viz.views.words import format_number
from surfaces import SURFACES, least_squares

ENGEL_N = 235  # households in Engel's table (surfaces/data/engel.csv)


def test_the_data_surfaces_are_offered_with_their_size():
    assert DATA_SURFACES == ("engel", "iris")
    assert len(SURFACES["engel"].data[1]) == ENGEL_N


def test_batch_size_in_links_all_or_one_to_n_clamped_with_a_note():
    settings, notes = from_query_params({"surface": "engel", "b": "8", "order": "epoch"})
    assert (settings.batch_size, settings.batches, notes) == (8, "epoch", [])
    assert from_query_params({"surface": "engel", "b": "all"})[0].batch_size == ALL_DATA
    settings, notes = from_query_params({"surface": "engel", "b": "1000"})
    assert settings.batch_size == ENGEL_N
    assert notes == [f"b = 1000 is outside [1, {ENGEL_N}]: using {ENGEL_N}."]
    settings, notes = from_query_params({"surface": "engel", "b": "0"})
    assert settings.batch_size == 1 and notes == [f"b = 0 is outside [1, {ENGEL_N}]: using 1."]
    settings, notes = from_query_params({"surface": "engel", "b": "lots", "order": "random"})
    assert (settings.batch_size, settings.batches) == (ALL_DATA, "independent")
    assert notes == [
        "b = 'lots' is not a number: ignored.",
        "order = 'random' is not one of independent, epoch: ignored.",
    ]


def test_batch_size_off_the_data_surfaces_is_ignored_with_a_note():
    settings, notes = from_query_params({"surface": "rosenbrock", "b": "8", "order": "epoch"})
    assert (settings.batch_size, settings.batches) == (ALL_DATA, "independent")
    assert notes == [
        "b: used only with the data surfaces: ignored.",
        "order: used only with the data surfaces: ignored.",
    ]


def test_a_data_set_that_does_not_exist_falls_back_with_a_note():
    settings, notes = from_query_params({"surface": "titanic", "b": "8"})
    assert settings.surface == "rosenbrock" and settings.batch_size == ALL_DATA
    assert notes[0].startswith("surface = 'titanic' is not one of")
    assert "engel, iris" in notes[0]


def test_standardize_is_a_setting_like_kappa():
    settings, notes = from_query_params({"surface": "engel", "std": "1"})
    assert notes == [] and settings.standardize
    standardized = least_squares(standardize=True)
    assert surface_of(settings) == standardized
    # Its own defaults: the standardized valley's start and α, not the raw one's.
    assert (settings.x0, settings.y0, settings.lr) == (*standardized.start, standardized.lr)
    assert surface_of(replace(settings, standardize=False)) == SURFACES["engel"]
    assert surface_of(settings).kappa < 2 < 500 < SURFACES["engel"].kappa
    settings, notes = from_query_params({"surface": "iris", "std": "1"})
    assert not settings.standardize and notes == ["std: used only with surface = engel: ignored."]


@pytest.mark.parametrize(
    "settings",
    [
        replace(defaults_for("engel", standardize=True), batch_size=8, batches="epoch"),
        replace(defaults_for("iris"), batch_size=1),
        defaults_for("engel"),
    ],
)
def test_data_settings_survive_the_address_bar(settings):
    params = to_query_params(settings)
    assert from_query_params(params) == (settings, [])


def test_the_links_of_the_formula_surfaces_do_not_change():
    assert "b" not in to_query_params(Settings()) and "std" not in to_query_params(Settings())


def test_batch_stops_end_with_n_and_all():
    assert batch_stops(ENGEL_N, ALL_DATA) == [1, 2, 5, 10, 20, 50, 100, 200, ENGEL_N, ALL_DATA]
    assert batch_stops(ENGEL_N, 8) == [1, 2, 5, 8, 10, 20, 50, 100, 200, ENGEL_N, ALL_DATA]


def test_the_page_runs_the_mini_batches_every_method_sees():
    settings = replace(defaults_for("iris"), batch_size=4, seed=3, steps=50)
    runs = compute_runs(RunKey.of(settings))
    surface = SURFACES["iris"]
    for method, run in runs.items():
        expected = simulate(
            surface, method, surface.start, lr=settings.lr, momentum=settings.momentum,
            steps=50, seed=3, batch_size=4,
        )  # fmt: skip
        np.testing.assert_array_equal(run.positions, expected.positions)
    full = compute_runs(RunKey.of(replace(settings, batch_size=ALL_DATA)))
    assert not np.array_equal(full["momentum"].positions, runs["momentum"].positions)


def test_page_on_a_data_surface_with_mini_batches():
    at = open_app(surface="engel", b="8", order="epoch", steps="200")
    assert at.select_slider(key="batch_size").value == 8
    assert at.radio(key="batches").value == "epoch"
    captions = " ".join(c.value for c in at.caption)
    assert "Engel's food budgets" in captions and "Mini-batches of 8 of the 235" in captions
    assert "loss on all the data" in captions
    # Standardizing keeps the batch size (it fits the same data).
    at.toggle(key="standardize").set_value(True).run()
    assert not at.exception
    assert at.select_slider(key="batch_size").value == 8
    assert at.query_params["std"] == "1"
    # The surface box names the feature the race is fitted on, as the map's title does.
    assert (
        "Least squares: Engel's food budgets (standardized income)"
        in at.selectbox(key="surface").options
    )


def test_the_batch_size_control_is_on_data_surfaces_only():
    at = open_app(surface="rosenbrock")
    keys = {w.key for w in at.select_slider} | {w.key for w in at.toggle}
    assert "batch_size" not in keys and "standardize" not in keys
    at = open_app(surface="iris")
    assert at.select_slider(key="batch_size").value == ALL_DATA
    assert not [t for t in at.toggle if t.key == "standardize"]  # least squares only
    assert not [r for r in at.radio if r.key == "batches"]  # no order without batches


def test_the_parameter_map_says_it_is_computed_with_all_the_data():
    at = open_app(surface="engel", b="8", view="parameter-map", steps="100")
    infos = [i.value for i in at.info]
    assert any("computed with all 235 examples" in i for i in infos), infos
    at = open_app(surface="engel", view="parameter-map", steps="100")
    assert not any("computed with all" in i.value for i in at.info)


# --- the theory tab's noise floor ---------------------------------------------------------


def _loop_floor(settings: Settings, method: str, seeds: int, **overrides) -> float:
    """The measured floor by a plain loop: mean over seeds of the mean J − J* over the
    last half of each run."""
    surface = surface_of(settings)
    kwargs = {"lr": settings.lr, "momentum": settings.momentum, "steps": settings.steps}
    kwargs |= {"batch_size": settings.batch_size, "batches": settings.batches} | overrides
    late = [
        np.mean(
            simulate(surface, method, (settings.x0, settings.y0), seed=seed, **kwargs).losses[
                settings.steps // 2 :
            ]
            - surface.minima[0].value
        )
        for seed in range(settings.seed, settings.seed + seeds)
    ]
    return float(np.mean(late))


def test_theory_tab_noise_floor_predicted_beside_measured():
    from momentum_viz.app.scenarios import SCENARIOS
    from momentum_viz.app.tabs.noise_floor import lesson, predicted_floors
    from momentum_viz.numerics.measured_floor import MEASURE_SEEDS

    settings = SCENARIOS["noise-floor"].settings
    at = open_app(scenario="noise-floor", view="theory")
    texts = " ".join(m.value for m in at.markdown)
    predicted = predicted_floors(settings, settings.methods)
    assert predicted is not None
    for method, label in (("sgd", "SGD"), ("momentum", "Momentum")):
        measured = _loop_floor(settings, method, MEASURE_SEEDS)
        # The prediction (the noisy-quadratic model) within a quarter of the measurement.
        assert abs(predicted[method] - measured) < 0.25 * measured
        sentence = (
            f"{label}: predicted noise floor J − J* = {format_number(predicted[method], 3)}, "
            f"measured {format_number(measured, 3)} (mean over {MEASURE_SEEDS} seeds"
        )
        assert sentence in texts, (sentence, texts)
    # The lesson: γ = 0.9 raises the floor about 1/(1 − γ) = 10 times; momentum at
    # α(1 − γ) has about SGD's floor at α (both checked against simulate).
    text = lesson(settings)
    assert text is not None and text in texts
    ratio = predicted["momentum"] / predicted["sgd"]
    assert f"raises the predicted floor {format_number(ratio, 3)} times" in text
    assert abs(ratio - 10) < 0.5
    slowed = _loop_floor(settings, "momentum", MEASURE_SEEDS, lr=settings.lr * 0.1)
    assert abs(slowed - _loop_floor(settings, "sgd", MEASURE_SEEDS)) < 0.05 * slowed


def test_theory_tab_makes_no_prediction_for_epoch_batches_and_none_without_batches():
    at = open_app(scenario="noise-floor", view="theory", order="epoch")
    texts = " ".join(m.value for m in at.markdown)
    assert "measured" in texts and "predicted noise floor" not in texts
    assert any("No prediction with epoch order" in c.value for c in at.caption)
    assert "The noise floor of mini-batches" in [h.value for h in at.subheader]
    at = open_app(surface="engel", std="1", view="theory")
    assert not any("noise floor" in h.value for h in at.subheader)


def test_the_framework_script_draws_the_races_batches():
    from momentum_viz.app.tabs.frameworks import EXPANDER_KEY
    from momentum_viz.numerics.snippets import framework_snippet

    at = open_app(surface="iris", b="4", order="epoch", steps="50", seed="3")
    at.session_state[EXPANDER_KEY] = True
    at.run()
    assert not at.exception
    settings = replace(defaults_for("iris"), steps=50, seed=3, batch_size=4, batches="epoch")
    expected = framework_snippet(
        SURFACES["iris"], "sgd", (settings.x0, settings.y0), lr=settings.lr,
        momentum=settings.momentum, steps=50, framework="pytorch", batch_size=4, seed=3,
        batches="epoch",
    )  # fmt: skip
    assert [c.value.strip() for c in at.code] == [expected.strip()]


def test_leaving_a_data_scenario_names_what_changed_in_words():
    from momentum_viz.app.scenarios import SCENARIOS, changes_from

    floor = SCENARIOS["noise-floor"]
    changed = changes_from(floor, replace(floor.settings, batch_size=ALL_DATA, batches="epoch"))
    assert changed == ["batch size 1 → all", "batch order independent → epoch"]
    unscaled = SCENARIOS["unscaled-feature"]
    changed = changes_from(unscaled, replace(unscaled.settings, standardize=True))
    assert changed == ["standardize off → on"]
