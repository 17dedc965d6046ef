"""Links written by anyone: nothing they carry is rendered as Markdown, and notes stay short.

The links are the ones a reviewer crafted (a heading and a phishing link in a parameter name,
an external image in ``methods``) plus oversized ones. Each info box's body is parsed as
CommonMark (markdown-it-py, which Streamlit's own dependency rich brings) and must contain
no link, image, heading or HTML.
"""

from __future__ import annotations

import pytest
from _apptest import open_app
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from momentum_viz.app.settings import IGNORED_LINK, from_query_params

PHISHING = "\n\n# Class cancelled — submit your password at [this page](https://evil.example)\n\n"
HOSTILE: list[dict[str, str]] = [
    {PHISHING: "1"},
    {"methods": "![x](https://evil.example/track.png)"},
    {"surface": "<img src=https://evil.example/a.png>"},
    {"scenario": "[click](https://evil.example)", "lr": "**big**"},
    {"seed": "<b>1</b>", "steps": "`x`", "x0": ":red[alarm]"},
    {"lr": "1" * 100_000},  # a 100 KB value
    {f"p{i}": "x" for i in range(999)},  # 999 unknown names
]
FORBIDDEN_TOKENS = {"link_open", "image", "heading_open", "html_block", "html_inline"}


def _tokens(markdown: str) -> set[str]:
    types = set()
    for token in MarkdownIt("commonmark").parse(markdown):
        types.add(token.type)
        types.update(child.type for child in token.children or ())
    return types


def _run(query: dict[str, str]) -> AppTest:
    return open_app(**query)


def test_the_checker_sees_markdown():
    # The check below must be able to fail: raw link text does parse to these tokens.
    assert {"link_open", "heading_open"} <= _tokens(PHISHING.replace("\n\n", "\n", 1))
    assert "image" in _tokens("![x](https://evil.example/track.png)")


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_link_renders_no_markdown_and_stays_short(query):
    at = _run(query)
    notes = [box.value for box in at.info]
    assert notes, "a hostile link must be reported"
    assert len(notes) <= 8
    for body in notes:
        assert not _tokens(body) & FORBIDDEN_TOKENS, body
        assert len(body) <= 600, len(body)
    for element in at.markdown:
        assert "evil.example" not in element.value


def test_999_unknown_names_make_one_bounded_note():
    _, notes = from_query_params({f"p{i}": "x" for i in range(999)})
    assert len(notes) == 1
    assert "999 parameters" in notes[0] and "994 more" in notes[0]


def test_an_ignored_link_is_reported():
    # The server turns a link Streamlit would drop (over 1,000 parameters) into this one.
    _, notes = from_query_params({IGNORED_LINK: "1"})
    assert len(notes) == 1 and "ignored" in notes[0]
