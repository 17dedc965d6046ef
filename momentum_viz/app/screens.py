"""What the page adds so it stays usable on every student's screen: high contrast (forced
colours) and a phone's scrolling code box.

Constant text only (no user data). The selectors are Streamlit 1.67's data-testid and ARIA
attributes (see streamlit_internals.py for the other places the app relies on its DOM);
tests/test_browser_a11y.py fails if an upgrade moves them.
"""

from __future__ import annotations

import streamlit as st

# Forced colours (Windows High Contrast; Chromium's forced-colors emulation): the browser
# replaces every background with the system's Canvas colour, and Streamlit draws a slider's
# track, its filled part and its thumb, and a selected pill or segment, with backgrounds
# only, so the α, γ, Steps and σ sliders vanished (only their numbers stayed) and a selected
# method looked unselected. These keep their own colours (forced-color-adjust: none) and
# take system colours the user chose: the track CanvasText (GrayText would be too faint on
# some themes), the thumb Highlight ringed in CanvasText, a selected choice Highlight with
# HighlightText and a border, so it differs from an unselected one by fill, not hue alone.
FORCED_COLORS_CSS = """
<style>
@media (forced-colors: active) {
  [data-testid="stSlider"] [role="group"] > [data-orientation] > div:first-child {
    forced-color-adjust: none; background: CanvasText !important;
  }
  [data-testid="stSlider"] [role="group"] > [data-orientation] > div:has(input[type="range"]) {
    forced-color-adjust: none; background: Highlight !important;
    border: 2px solid CanvasText !important;
  }
  [data-testid="stButtonGroup"] button:is([aria-pressed="true"], [aria-checked="true"]) {
    forced-color-adjust: none; background: Highlight !important; color: HighlightText !important;
    border: 3px solid CanvasText !important;
  }
  [data-testid="stButtonGroup"] button:is([aria-pressed="true"], [aria-checked="true"]) * {
    color: HighlightText !important;
  }
  /* The open tab: Streamlit marks it with a coloured bar (a background) only. */
  [data-testid="stTab"][aria-selected="true"] {
    forced-color-adjust: none; border-bottom: 4px solid Highlight !important;
  }
  /* A checkbox's box, a toggle's track, a radio option's circle: drawn with backgrounds
     too, so a ticked box, a toggle that is on and the chosen option looked like the
     others. Each is ringed in CanvasText on Canvas, and filled with Highlight when on. */
  [data-testid="stCheckbox"] label > span:has(input) + div,
  [data-testid="stRadioOption"] > div > div:first-child {
    forced-color-adjust: none; background: Canvas !important;
    box-shadow: inset 0 0 0 2px CanvasText !important;
  }
  [data-testid="stCheckbox"] label:has(input:checked) > span:has(input) + div,
  [data-testid="stRadioOption"]:has(input:checked) > div > div:first-child {
    background: Highlight !important;
  }
}
</style>
"""

# The dark theme's primary colour is a light blue (it is a text colour too: a selected pill,
# a slider's value; .streamlit/config.toml), and Streamlit writes a primary button's label
# in white on it (2.1:1): the label takes the page's near-black there (8.5:1). Its faint
# controls get a ring. light-dark() follows the color-scheme Streamlit sets for its theme.
# Not under forced colours, whose own rules (FORCED_COLORS_CSS) use the system's colours:
# a dark label there stood on the system's button colour (axe-core: color-contrast).
THEME_CSS = """
<style>
@media (forced-colors: none) {
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-primary"] * {
  color: light-dark(#ffffff, #14171c) !important;
}
/* The dark theme draws a slider's empty track, an empty checkbox and a toggle that is off
   in #464b54, 1.7:1 on the sidebar's #23272f: a ring of #9aa3b2 (5.9:1 there, 7.1:1 on the
   page) shows where each is, without covering a slider's filled part. */
[data-testid="stSlider"] [role="group"] > [data-orientation] > div:first-child {
  outline: 1px solid light-dark(transparent, #9aa3b2);
}
[data-testid="stCheckbox"] label > span:has(input) + div {
  box-shadow: inset 0 0 0 2px light-dark(transparent, #9aa3b2);
}
/* A selected pill (the methods) is filled with the primary colour, so it differs from the
   others by fill, not only by the hue of its text and border (the dark theme's tint was
   16 % of its pixels): white on #0b57d0 (6.4:1), #14171c on #8ab4f8 (8.5:1). */
[data-testid="stButtonGroup"] button:is([aria-pressed="true"], [aria-checked="true"]) {
  background: light-dark(#0b57d0, #8ab4f8) !important;
}
[data-testid="stButtonGroup"] button:is([aria-pressed="true"], [aria-checked="true"]) * {
  color: light-dark(#ffffff, #14171c) !important;
}
}
</style>
"""

# A phone (below 640 px, where Streamlit's sidebar becomes a drawer over the page): the
# title took 47 % of the first screen at 390×844 (Streamlit's 6rem above the content and a
# 2.75rem heading over two lines). Compact: the space of the header bar's buttons above it,
# one smaller line, narrower side margins, so the map comes first and takes the width.
# The server does not know the width: the browser decides, by this media query (and the
# live map shows α and γ under itself at the same width, live_map.css).
PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] {
    padding-top: 3.6rem; padding-left: 0.6rem; padding-right: 0.6rem;
  }
  [data-testid="stMainBlockContainer"] h1 {
    font-size: 1.35rem; line-height: 1.3; padding: 0 0 0.2rem 0;
  }
  [data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] { font-size: 0.8rem; }
  /* The (α, γ) map keeps 560 px and its box scrolls sideways (page.PAGE_CSS): say so above
     it, where the eye is, and keep the cue in view while the box scrolls. */
  .st-key-parameter_map_box::before {
    content: "⇆ Swipe sideways for the whole map"; display: block; position: sticky; left: 0;
    width: max-content; font-size: 0.85rem; padding: 0 0 0.2rem 0;
  }
}
</style>
"""

# A code box or a table wider than a phone's column scrolls sideways, and its scrolling
# element (the <pre> inside Streamlit's stCode box; the conventions table's wrapper) could
# not be reached by keyboard, so its right-hand side was out of reach without a mouse
# (axe-core: scrollable-region-focusable). Each one that scrolls gets a tab stop and a name,
# and loses them when it no longer scrolls (no needless tab stop on a wide screen); checked
# whenever Streamlit draws something and when the window changes size. Ours, constant text.
SCROLL_BOX_SCRIPT = """
<script>
(() => {
  if (window.momentumVizScrollBoxes) return;
  window.momentumVizScrollBoxes = true;
  const boxes = {
    '[data-testid="stCode"] pre': "Script (scrolls sideways)",
    '[data-testid="stTable"] > div': "Table (scrolls sideways)",
  };
  const reach = (box, name) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1
      || box.scrollHeight > box.clientHeight + 1;
    const ours = box.hasAttribute("data-mv-scroll");
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name);
      box.setAttribute("data-mv-scroll", "");
    } else if (!scrolls && ours) {
      for (const a of ["tabindex", "role", "aria-label", "data-mv-scroll"]) box.removeAttribute(a);
    }
  };
  const all = () => {
    for (const [selector, name] of Object.entries(boxes)) {
      document.querySelectorAll(selector).forEach((box) => reach(box, name));
    }
  };
  new MutationObserver(all).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", all);
  all();
})();
</script>
"""


def viewer_theme() -> str | None:
    """The viewer's theme, "light" or "dark" (Streamlit's light/dark choice, by default the
    system's prefers-color-scheme), as the browser last reported it; None before it has.

    The figures take it (views.style.themed); it is read per session and never written to
    a link, a slide or a class's state: it is the viewer's preference, not the lesson's.
    """
    kind = st.context.theme.type
    return kind if kind in ("light", "dark") else None
