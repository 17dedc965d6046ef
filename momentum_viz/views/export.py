"""Downloads: the trajectories as CSV, the race map as one offline HTML file.

Both say what they show: the CSV starts with the settings as ``# name: value`` comment
lines (``pandas.read_csv(..., comment="#")`` skips them), the HTML page with a title line.

>>> from momentum_viz import simulate
>>> runs = {"sgd": simulate("quadratic", "sgd", (1.0, 1.0), lr=0.01, steps=2)}
>>> print(trajectories_csv(runs, [("alpha", "0.01")]).splitlines()[:2])
['# alpha: 0.01', 'method,step,x,y,loss,vx,vy']

The HTML page is the live map's own canvas component (its JavaScript and CSS inlined with
the surface's and the race's blobs): no plotly.js, nothing fetched, and its Content
Security Policy forbids any request, so it plays from ``file://`` with the network off.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from ..numerics.optimizer import Run

CSV_COLUMNS = ("method", "step", "x", "y", "loss", "vx", "vy")

# No request of any kind: scripts and styles only inline, images only from blob: URLs
# (the surface's PNG, unpacked from its blob).
OFFLINE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob:"
)

# The page around the map: the title line and the map on white, the map's own CSS for
# the rest (the live page's look).
_PAGE_CSS = """
body { margin: 1rem 1.2rem; background: #ffffff; color: #262730;
       font-family: "Source Sans Pro", "Source Sans 3", sans-serif; }
.mv-title { margin: 0 0 0.2rem; font-size: 1.35rem; font-weight: 600; }
.mv-settings { margin: 0 0 0.8rem; font-size: 1.05rem; }
"""

# After the component's module text: hand it the blobs as Streamlit would (the surface
# through the registry, the race as the component's data) and let it draw.
_BOOT_JS = """
const DATA = JSON.parse(document.getElementById("mv-data").textContent);
const asBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
for (const [index, b64] of DATA.carried.entries()) {
  const carried = splitCarried(asBytes(b64));
  holdBlob(sharedRegistry(window), `offline ${index}`, carried.id, carried.body);
}
renderLiveMap({ data: asBytes(DATA.race), parentElement: document.getElementById("mv-map"),
                setTriggerValue: null });
"""


# The offline deck: the slide's title, "3 / 10" and ◀ ▶ in one row, the note behind a
# disclosure (the lecturer's, optional), the slide's settings line, then the map. Text is
# filled in by _DECK_JS (textContent: a title is shown as written, never as HTML).
_DECK_BODY = """<header class="mv-deck-head">
<h1 class="mv-title mv-slide-title"></h1>
<p class="mv-slide-count" aria-live="polite"></p>
<button type="button" class="mv-prev" aria-label="Previous slide"
 title="Previous slide (PageUp, ←)">◀</button>
<button type="button" class="mv-next" aria-label="Next slide"
 title="Next slide (PageDown, →)">▶</button>
</header>
<p class="mv-settings"></p>
<details class="mv-note"><summary>Note (N)</summary><p class="mv-note-text"></p></details>
<div id="mv-map"></div>
<p class="mv-deck-keys">{title}, {count} slides. Keys: PageDown / PageUp or → / ←
next / previous slide, Home / End first / last, Space or K play / pause, , and . one step,
F full screen, N note.</p>"""

_DECK_CSS = """
body { margin: 0.6rem 1.2rem; }
.mv-deck-head { display: flex; align-items: center; gap: 0.8rem; }
.mv-deck-head .mv-slide-title { flex: 1; margin: 0; }
.mv-slide-count { margin: 0; font-size: 1.25rem; white-space: nowrap; }
.mv-deck-head button { font-size: 1.1rem; min-width: 2.6rem; min-height: 2.2rem; }
.mv-settings { margin: 0.1rem 0 0.2rem; font-size: 0.95rem; }
.mv-note { margin: 0 0 0.3rem; font-size: 0.95rem; }
.mv-note-text { white-space: pre-wrap; margin: 0.2rem 0; }
.mv-deck-keys { font-size: 0.85rem; color: #555; margin-top: 1rem; }
"""

# The deck's boot: every surface into the registry, then one map that shows the slide
# asked for (the same map object, new race data, as in the app); the present mode's keys
# (app/present_keys.js), left to a focused slider, field or button as there. The slide
# shown is in the address's #N, so a reload stays on it.
_DECK_JS = """
const DATA = JSON.parse(document.getElementById("mv-data").textContent);
const asBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
for (const [index, b64] of DATA.carried.entries()) {
  const carried = splitCarried(asBytes(b64));
  holdBlob(sharedRegistry(window), `offline ${index}`, carried.id, carried.body);
}
const $ = (selector) => document.querySelector(selector);
const LAST = DATA.slides.length - 1;
let shown = -1;

function show(index) {
  index = Math.min(Math.max(Math.round(index) || 0, 0), LAST);
  if (index === shown) return;
  shown = index;
  const slide = DATA.slides[index];
  $(".mv-slide-title").textContent = slide.title;
  $(".mv-slide-count").textContent = `${index + 1} / ${LAST + 1}`;
  $(".mv-slide-count").setAttribute("aria-label", `slide ${index + 1} of ${LAST + 1}`);
  $(".mv-settings").textContent = slide.settings;
  $(".mv-note-text").textContent = slide.note || "(no note)";
  $(".mv-prev").disabled = index === 0;
  $(".mv-next").disabled = index === LAST;
  renderLiveMap({ data: asBytes(slide.race), parentElement: document.getElementById("mv-map"),
                  setTriggerValue: null });
  try { history.replaceState(null, "", `#${index + 1}`); } catch (error) { /* file: may refuse */ }
}

function focusKind(event) {
  const target = event.composedPath()[0];
  if (!(target instanceof Element)) return "page";
  if (target.closest('input[type="range"], [role="slider"]')) return "slider";
  if (target.closest("input, textarea, select")) return "field";
  if (target.closest("button, a, summary")) return "button";
  return "page";
}

const control = (detail) => window.dispatchEvent(new CustomEvent("mv-control", { detail }));

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

// What a key does on this page: a function, or null (the key is left to the browser).
function action(key, kind) {
  const free = kind === "page" || kind === "button";
  const notTyping = kind !== "slider" && kind !== "field";
  if (key === "PageDown" && notTyping) return () => show(shown + 1);
  if (key === "PageUp" && notTyping) return () => show(shown - 1);
  if (key === "ArrowRight" && free) return () => show(shown + 1);
  if (key === "ArrowLeft" && free) return () => show(shown - 1);
  if (key === "Home" && free) return () => show(0);
  if (key === "End" && free) return () => show(LAST);
  if ((key === " " || key === "k") && kind === "page") return () => control({ kind: "toggle" });
  if ((key === "," || key === ".") && kind !== "field") {
    return () => control({ kind: "step", delta: key === "," ? -1 : 1 });
  }
  if (key === "f" && kind !== "field") return toggleFullscreen;
  if (key === "n" && kind !== "field") return () => ($(".mv-note").open = !$(".mv-note").open);
  return null;
}

window.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const run = action(key, focusKind(event));
  if (!run) return;
  event.preventDefault(); // never the page's scroll
  run();
}, { capture: true });
$(".mv-prev").addEventListener("click", () => show(shown - 1));
$(".mv-next").addEventListener("click", () => show(shown + 1));
show(Number(location.hash.slice(1)) - 1);
"""


def _comment(text: str) -> str:
    """One comment line: a line break in user text must not end the comment."""
    return "# " + " ".join(str(text).split()) + "\n"


def trajectories_csv(runs: Mapping[str, Run], settings: Iterable[tuple[str, str]] = ()) -> str:
    """Every recorded step of every (single) run: method, step, x, y, loss, vx, vy,
    after one ``# name: value`` line per entry of ``settings``."""
    out = io.StringIO()
    for name, value in settings:
        out.write(_comment(f"{name}: {value}"))
    out.write(",".join(CSV_COLUMNS) + "\n")
    for method, run in runs.items():
        if run.positions.ndim != 2:
            raise ValueError(f"runs[{method!r}] must be a single run, not a batch")
        steps = np.arange(run.positions.shape[0])
        table = np.column_stack([steps, run.positions, run.losses, run.velocities])
        for row in table:
            out.write(method + "," + str(int(row[0])) + ",")
            out.write(",".join(repr(float(v)) for v in row[1:]) + "\n")
    return out.getvalue()


def _blob_data(carried: Iterable[bytes]) -> list[str]:
    return [base64.b64encode(blob).decode("ascii") for blob in carried]


def _page(*, title: str, css: str, body: str, data: object, module_js: str, boot_js: str) -> str:
    """One self-contained page: ``body`` (trusted HTML), ``data`` as inline JSON, the
    component's module text and ``boot_js`` after it, in one module script."""
    if "</script" in module_js.lower():
        raise ValueError("module_js must not contain '</script': it would end the element")
    # JSON with "<" escaped: no user text (a slide's title) can end the script element.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{OFFLINE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_PAGE_CSS}{css}</style>
</head>
<body>
{body}
<script type="application/json" id="mv-data">{payload}</script>
<script type="module">
{module_js}
{boot_js}
</script>
</body>
</html>
"""


def offline_map_html(
    *,
    title: str,
    settings_line: str,
    carried: Iterable[bytes],
    race: bytes,
    module_js: str,
    css: str,
) -> str:
    """The race map as one self-contained page.

    ``title`` and ``settings_line`` are plain text (escaped here); ``carried`` are the
    blobs the race names, each with its 16-character id in front (as the carriers send
    them); ``race`` is the race blob; ``module_js`` is the map component's module text,
    whose default export is named ``renderLiveMap``; ``css`` its style sheet.
    """
    body = (
        f'<h1 class="mv-title">{escape(title)}</h1>\n'
        f'<p class="mv-settings">{escape(settings_line)}</p>\n<div id="mv-map"></div>'
    )
    data = {"carried": _blob_data(carried), "race": base64.b64encode(race).decode("ascii")}
    return _page(title=title, css=css, body=body, data=data, module_js=module_js, boot_js=_BOOT_JS)


@dataclass(frozen=True)
class OfflineSlide:
    """One slide of an offline deck: its title and note (plain text), the line saying
    its settings, and its race blob (whose surface is among the deck's carried blobs)."""

    title: str
    note: str
    settings_line: str
    race: bytes


def offline_deck_html(
    *,
    title: str,
    slides: Sequence[OfflineSlide],
    carried: Iterable[bytes],
    module_js: str,
    css: str,
) -> str:
    """A whole deck as one self-contained page: one live map that shows each slide's race
    in turn, stepped with the present mode's keys (``_DECK_JS``), the slide's title and
    "3 / 10" above it, its note behind a disclosure. Arguments as :func:`offline_map_html`;
    ``carried`` holds every blob the slides' races name (each once)."""
    if not slides:
        raise ValueError("slides must hold at least one slide, got none")
    body = _DECK_BODY.format(title=escape(title), count=len(slides))
    data = {
        "carried": _blob_data(carried),
        "slides": [
            {
                "title": slide.title,
                "note": slide.note,
                "settings": slide.settings_line,
                "race": base64.b64encode(slide.race).decode("ascii"),
            }
            for slide in slides
        ],
    }
    return _page(
        title=title, css=css + _DECK_CSS, body=body, data=data, module_js=module_js,
        boot_js=_DECK_JS,
    )  # fmt: skip
