"""The page's live part (app/page.py ``_live``): a move of γ reruns it alone.

Against a real ``streamlit run app.py``, with the browser's protocol (harness/st_client.py):
a γ move is a fragment run that redraws α, γ and the race and re-sends none of the
sidebar's other controls, and still writes the address bar; a move of a control outside
it (the steps) runs the whole page; a rerun of a fragment a session does not hold (a page
reconnecting to a restarted server) runs the whole page with the browser's values instead
of being dropped (app/streamlit_internals.py). What is drawn outside the live part but
shows α or γ (the title line while a scenario holds, the framework scripts while open)
is redrawn by a whole page's run when a γ move changes it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import pytest

from harness import st_client
from momentum_viz.app.tabs import frameworks

pytestmark = pytest.mark.server


def _in_thread(coroutine: object) -> object:
    # A fresh thread: Playwright's sync API may hold an event loop in the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=300)  # type: ignore[arg-type]


def _written(session: st_client.StreamlitSession, run: st_client.RunResult) -> set[str]:
    """The user keys of the widgets this run drew (a fragment run keeps the others)."""
    keys = set()
    for path, el in run.elements.items():
        kind = el.WhichOneof("type")
        wid = getattr(getattr(el, kind), "id", "") if kind else ""
        if wid and (not run.fragment_ids or run.fragment_of.get(path) in run.fragment_ids):
            keys.add(wid.rsplit("-", 1)[-1])
    return keys


def _latex(run: st_client.RunResult) -> str:
    return " ".join(el.markdown.body for el in run.elements.values() if el.HasField("markdown"))


async def _moves(url: str) -> dict[str, object]:
    async with st_client.StreamlitSession(url, timeout=60, run_timeout=120) as s:
        load = await s.rerun()
        assert load.ok and not load.fragment_ids, (load.status, load.exceptions)
        gamma = await s.set_widget("momentum", 0.5)
        query_after_gamma = parse_qs(s.query_string)
        steps = await s.set_widget("steps", 400)
        query_after_steps = parse_qs(s.query_string)
        return {
            "load": _written(s, load),
            "gamma": gamma,
            "gamma widgets": _written(s, gamma),
            "query after gamma": query_after_gamma,
            "steps": steps,
            "steps widgets": _written(s, steps),
            "query after steps": query_after_steps,
        }


def test_a_gamma_move_reruns_the_live_part_alone(streamlit_process) -> None:
    seen = _in_thread(_moves(streamlit_process.url + "/"))
    assert {"momentum", "lr", "steps", "x0", "surface"} <= seen["load"]
    gamma = seen["gamma"]
    assert gamma.ok and gamma.fragment_ids, (gamma.status, gamma.exceptions)
    # α and γ and the race are redrawn; the sidebar's other controls are not re-sent.
    assert {"momentum", "lr", "race_map"} <= seen["gamma widgets"], seen["gamma widgets"]
    assert not {"steps", "x0", "surface", "scenario"} & seen["gamma widgets"]
    assert r"\gamma = 0.5" in _latex(gamma)  # the update rule under the map
    assert seen["query after gamma"]["momentum"] == ["0.5"]
    # A control outside the live part: the whole page runs, with the new γ kept.
    steps = seen["steps"]
    assert steps.ok and not steps.fragment_ids, (steps.status, steps.exceptions)
    assert {"steps", "momentum"} <= seen["steps widgets"]
    assert seen["query after steps"]["steps"] == ["400"]
    assert seen["query after steps"]["momentum"] == ["0.5"]


async def _unknown_fragment(url: str) -> st_client.RunResult:
    async with st_client.StreamlitSession(url, timeout=60, run_timeout=120) as first:
        assert (await first.rerun()).ok  # the page has run in this server process
        fragment = next(iter(set(first.fragment_of.values()) - {""}))
        states = first.widget_states({"momentum": 0.5})
    # A new session (as after a restart) is asked to rerun that fragment, with the page's
    # widget values: it holds no fragment yet.
    async with st_client.StreamlitSession(url, timeout=60, run_timeout=60) as second:
        return await second.rerun(states, fragment_id=fragment)


def test_a_rerun_of_a_fragment_a_new_session_lacks_runs_the_whole_page(
    streamlit_process,
) -> None:
    run = _in_thread(_unknown_fragment(streamlit_process.url + "/"))
    assert run.ok and not run.fragment_ids, (run.status, run.exceptions)
    assert r"\gamma = 0.5" in _latex(run), "the browser's γ, not the address bar's"


def _alerts(session: st_client.StreamlitSession) -> list[str]:
    """The bodies of the page's alert boxes (as the browser holds the page now)."""
    return [el.alert.body for el in session.elements.values() if el.HasField("alert")]


async def _leaving_a_scenario(url: str) -> dict[str, object]:
    async with st_client.StreamlitSession(
        url, query_string="scenario=escape-local-minimum", timeout=60, run_timeout=120
    ) as s:
        assert (await s.rerun()).ok
        before = _alerts(s)
        away = await s.set_widget("momentum", 0.5)  # the scenario's γ is 0.9
        after_away = _alerts(s)
        further = await s.set_widget("momentum", 0.6)
        return {"before": before, "away": away, "after away": after_away, "further": further}


def test_a_gamma_move_that_leaves_a_scenario_redraws_the_title_line(streamlit_process) -> None:
    """The title line is drawn outside the live part: the move that ends the scenario's
    settings runs the whole page, so the scenario's banner does not stay above a view it
    no longer describes; a move that changes nothing outside runs the live part alone."""
    seen = _in_thread(_leaving_a_scenario(streamlit_process.url + "/"))
    title = "Momentum escapes a local minimum"
    assert any(title in text for text in seen["before"]), seen["before"]
    away = seen["away"]
    assert away.ok and not away.fragment_ids, "leaving the scenario runs the whole page"
    assert not any(text.startswith(f"**{title}") for text in seen["after away"])
    assert any("You have changed γ 0.9 → 0.5" in text for text in seen["after away"])
    further = seen["further"]
    assert further.ok and further.fragment_ids, "still away from it: the live part alone"


async def _opening_a_clamped_link(url: str) -> dict[str, object]:
    async with st_client.StreamlitSession(
        url, query_string="surface=multiwell&lr=99", timeout=60, run_timeout=120
    ) as s:
        assert (await s.rerun()).ok
        before = _alerts(s)
        move = await s.set_widget("lr", 0.3)
        after = _alerts(s)
        next_move = await s.set_widget("momentum", 0.5)
        return {"before": before, "move": move, "after": after, "next": next_move}


def test_the_links_notes_go_at_the_first_move(streamlit_process) -> None:
    """A note about the opened link ("lr = 99 … using 1") is in the title line, drawn
    outside the live part: the first move runs the whole page, so the note does not stay
    above a map the user has moved to α = 0.3; the moves after it are the live part's."""
    seen = _in_thread(_opening_a_clamped_link(streamlit_process.url + "/"))
    assert any("lr = 99" in text for text in seen["before"]), seen["before"]
    move = seen["move"]
    assert move.ok and not move.fragment_ids, "the move that outdates the note: whole page"
    assert not any("lr = 99" in text for text in seen["after"]), seen["after"]
    assert seen["next"].ok and seen["next"].fragment_ids, "then the live part alone"


async def _with_the_scripts_open(url: str) -> dict[str, object]:
    async with st_client.StreamlitSession(url, timeout=60, run_timeout=120) as s:
        assert (await s.rerun()).ok
        opened = await s.set_expander(frameworks.EXPANDER, True)
        before = _texts(s)
        move = await s.set_widget("momentum", 0.5)
        return {"opened": opened, "before": before, "move": move, "after": _texts(s)}


def _texts(session: st_client.StreamlitSession) -> str:
    """The page's markdown, as the browser holds it now."""
    return " ".join(el.markdown.body for el in session.elements.values() if el.HasField("markdown"))


def test_a_gamma_move_with_the_framework_scripts_open_redraws_them(streamlit_process) -> None:
    """The scripts in other frameworks are drawn outside the live part, and their
    conventions' note shows γ: while they are open, a γ move runs the whole page, so the
    note never shows the γ of before."""
    seen = _in_thread(_with_the_scripts_open(streamlit_process.url + "/"))
    assert seen["opened"].ok and "(1 − 0.95)" in seen["before"]
    move = seen["move"]
    assert move.ok and not move.fragment_ids, "the scripts are redrawn by a whole page's run"
    assert "(1 − 0.5)" in seen["after"] and "(1 − 0.95)" not in seen["after"]
