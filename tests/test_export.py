"""Downloads: the CSV holds exactly the runs; the HTML plays offline."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from momentum_viz import simulate
from momentum_viz.views.export import CSV_COLUMNS, animation_html, trajectories_csv
from momentum_viz.views.race import trajectory_figure
from surfaces import SURFACES


@pytest.fixture(scope="module")
def runs():
    s = SURFACES["multiwell"]
    return {
        m: simulate(s, m, s.start, lr=s.lr, momentum=0.9, steps=40, noise=0.1, seed=3)
        for m in ("sgd", "momentum", "nesterov")
    }


def test_csv_round_trips_every_step_of_every_run(runs):
    rows = list(csv.DictReader(io.StringIO(trajectories_csv(runs))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 3 * 41
    for method, run in runs.items():
        mine = [r for r in rows if r["method"] == method]
        assert [int(r["step"]) for r in mine] == list(range(41))
        table = np.array([[float(r[c]) for c in ("x", "y", "loss", "vx", "vy")] for r in mine])
        # repr() of floats round-trips exactly
        np.testing.assert_array_equal(table[:, :2], run.positions)
        np.testing.assert_array_equal(table[:, 2], run.losses)
        np.testing.assert_array_equal(table[:, 3:], run.velocities)


def test_csv_rejects_batches():
    batch = simulate("rosenbrock", "sgd", np.zeros((2, 2)), lr=1e-3, steps=3)
    with pytest.raises(ValueError, match="single run"):
        trajectories_csv({"sgd": batch})


def test_html_is_standalone_and_animated(runs):
    s = SURFACES["multiwell"]
    fig = trajectory_figure(s, {m: r.positions for m, r in runs.items()})
    html = animation_html(fig, title="escape")
    assert html.lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<title>escape</title>" in html
    assert get_plotlyjs() in html  # the whole plotly.js bundle of the installed plotly
    assert "<script src=" not in html  # no external script: plotly.js is inline
    assert "addFrames" in html  # the frames travel with the file


@pytest.mark.parametrize("speed", [0.5, 1.0, 2.0])
def test_html_plays_at_the_chosen_speed(runs, speed):
    import re

    from momentum_viz.views.race import frame_duration, replay_frames

    paths = {m: r.positions for m, r in runs.items()}
    fig = trajectory_figure(
        SURFACES["multiwell"], paths, max_frames=replay_frames(speed, 200), speed=speed
    )
    html = animation_html(fig)
    # The only non-zero frame duration in the file is Play's (Pause and the slider jump).
    durations = {float(d) for d in re.findall(r'"frame":\s*\{"duration":\s*([0-9.]+)', html)}
    assert durations - {0.0} == {frame_duration(len(fig.frames), speed)}
    assert len(re.findall(r'"baseframe"|"name":\s*"\d+"', html)) >= len(fig.frames)
