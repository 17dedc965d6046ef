"""benchmarks/bench_browser.py: its statistics and parsing, and its probes on the bare page.

Nothing here is timed: the probes must find what they measure (a γ key press moves γ and
changes the chart, the bytes of a move include at least the chart's new data, a drag
really moves the thumb and a Streamlit slider draws nothing before release), whatever the
figures are. The timings themselves are printed by the benchmark.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from _server import PROJECT_ROOT, start_streamlit


def load_benchmark_script(name: str) -> ModuleType:
    """The benchmark script under test, by path: benchmarks/ is a folder of scripts, not a
    package. Only this file does it (it tests those scripts); shared helpers live in
    harness/, which tests and benchmarks both import."""
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


bench = load_benchmark_script("bench_browser")
bare_page = load_benchmark_script("bare_page")


# -- statistics and parsing --------------------------------------------------------------
def test_spread_is_min_median_max():
    spread = bench.Spread.of([0.9, 0.1, 0.5, 0.3])
    assert (spread.low, spread.median, spread.high, spread.n) == (0.1, 0.4, 0.9, 4)
    assert spread.format() == "0.10–0.40–0.90 s"
    with pytest.raises(ValueError, match="no values"):
        bench.Spread.of([])


def test_ratio_is_of_medians_with_the_per_repeat_range():
    # Medians 2.0 and 0.5: 4×; pairs 1/0.5 = 2, 2/0.25 = 8, 3/1 = 3.
    assert bench.ratio_text([1.0, 2.0, 3.0], [0.5, 0.25, 1.0]) == "4.0× (per repeat 2.0–8.0×)"
    assert bench.ratio_text([1.0], [0.5]) == "2.0×"
    assert bench.ratio_text([], [1.0]) == "n/a"
    assert bench.ratio_text([1.0], [0.0]) == "n/a"


def test_parse_plot_reads_left_top_width_height():
    assert bench.parse_plot("12, 8.5,450,451") == (12.0, 8.5, 450.0, 451.0)
    for bad in ("1,2,3", "1,2,3,4,5", "a,b,c,d", "0,0,-5,10"):
        with pytest.raises(ValueError):
            bench.parse_plot(bad)


def test_drawing_area_offsets_the_canvas_box_by_data_plot():
    rect = {"left": 300.0, "top": 100.0, "width": 600.0, "height": 520.0}
    canvas = bench.drawing_area({"rect": rect, "plot": "40,10,500,480"})
    assert canvas == {"left": 340.0, "top": 110.0, "width": 500.0, "height": 480.0}
    plotly = bench.drawing_area({"rect": rect, "plot": None})  # FALLBACK: the box as it is
    assert plotly == rect


def test_on_screen_needs_the_whole_box_inside():
    inside = {"left": 0.0, "top": 160.0, "width": 450.0, "height": 450.0}
    assert bench.on_screen(inside, 1280, 720)
    assert not bench.on_screen({**inside, "top": 300.0}, 1280, 720)  # bottom 750 > 720
    assert not bench.on_screen({**inside, "left": -1.0}, 1280, 720)
    assert not bench.on_screen(None, 1280, 720)


def test_quick_is_one_short_repeat():
    args = bench.parse_args(["--quick"])
    assert (args.repeat, args.moves, args.drags) == (1, 1, 1)
    assert args.drag_moves >= 60 and args.sizes == ((1280, 720),)


def test_bare_page_computes_heavy_ball():
    # Independent of the page's loop: on J = θ²/2 heavy ball is the linear recurrence
    # θ_{k+1} = (1 + γ − α) θ_k − γ θ_{k−1}, with θ_1 = (1 − α) θ_0.
    gamma, lr = 0.9, 0.1
    theta = [1.0, 1.0 - lr]
    for _ in range(9):
        theta.append((1 + gamma - lr) * theta[-1] - gamma * theta[-2])
    assert bare_page.distances(gamma, steps=10, lr=lr) == pytest.approx([abs(t) for t in theta])


# -- the probes, in a real browser on the bare page ----------------------------------------
@pytest.fixture(scope="module")
def bare_server() -> Iterator[str]:
    with start_streamlit(script=bench.BARE_SCRIPT) as server:
        yield server.url


@pytest.mark.browser
@pytest.mark.server
def test_probes_find_what_they_measure_on_the_bare_page(page, browser, bare_server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.add_init_script(bench.PAGE_HELPERS_JS)
    target = bench.open_target(page, "bare", bare_server + "/")
    assert target.kind == "chart"

    move = bench.measure_move(target)
    assert move["gamma"] == "0.85"  # one stop left of 0.9
    assert 0 < move["paths"] and 0 < move["finished"], move
    # At least the new chart's 201 float64 values travelled (base64 makes them larger).
    assert move["bytes"] >= 201 * 8, move

    drag = bench.measure_drag(target, moves=60, seconds=0.6)
    assert drag["stops"] >= 2, drag  # the thumb was grabbed and moved
    # A Streamlit slider commits on release: no rerun and no new picture before mouseup.
    assert drag["pictures"] == 0 and not drag["rerun_before_up"], drag

    first = bench.measure_first_chart(browser, target, (1280, 720))
    assert first > 0
