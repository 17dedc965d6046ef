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
from collections.abc import Iterable, Mapping
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
    if "</script" in module_js.lower():
        raise ValueError("module_js must not contain '</script': it would end the element")
    data = {
        "carried": [base64.b64encode(blob).decode("ascii") for blob in carried],
        "race": base64.b64encode(race).decode("ascii"),
    }
    # JSON of base64 strings: no "<" can end the script element early.
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
<h1 class="mv-title">{escape(title)}</h1>
<p class="mv-settings">{escape(settings_line)}</p>
<div id="mv-map"></div>
<script type="application/json" id="mv-data">{json.dumps(data)}</script>
<script type="module">
{module_js}
{_BOOT_JS}
</script>
</body>
</html>
"""
