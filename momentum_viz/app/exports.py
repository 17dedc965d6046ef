"""What the race tab's downloads hold and are called: the settings they show, in words
(the HTML's title line, the CSV's comment header) and in the file name, so that two
downloads of different settings never overwrite each other.

>>> from .settings import Settings
>>> file_stem(Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300, x0=-3.5, y0=2.5))
'momentum-viz_multiwell_sgd-momentum_a0.3_g0.9_300steps_x-3.5_y2.5'
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from urllib.parse import urlencode

from ..numerics.optimizer import Run
from ..views.export import OfflineSlide, offline_deck_html, offline_map_html, trajectories_csv
from .chart_accessibility import method_list
from .compute import live_map_blobs
from .deck import Deck
from .live_map import component_css, component_js, map_label
from .settings import CUSTOM, Settings, title_of, to_query_params


def _number(value: float) -> str:
    """A setting as the file name and the title print it: up to 6 significant digits."""
    return f"{value:.6g}"


def _shown(value: float) -> str:
    """A number in the page's text: as :func:`_number`, with a true minus sign."""
    return _number(value).replace("-", "−")


def settings_table(settings: Settings) -> list[tuple[str, str]]:
    """The settings the race shows, as (name, value) pairs: the CSV's header lines."""
    rows = [("surface", title_of(settings))]
    if settings.surface == CUSTOM:
        rows.append(("formula", settings.expr))
        rows.append(("box", f"x {settings.xmin:g} … {settings.xmax:g}, y {settings.ymin:g} … "
                            f"{settings.ymax:g}"))  # fmt: skip
    rows += [
        ("methods", method_list(settings.methods)),
        ("alpha", _number(settings.lr)),
        ("gamma", _number(settings.momentum)),
        ("steps", str(settings.steps)),
        ("start", f"{_number(settings.x0)}, {_number(settings.y0)}"),
        ("noise sigma", _number(settings.noise)),
        ("seed", str(settings.seed)),
        ("link", "?" + urlencode(to_query_params(settings))),
    ]
    return rows


def settings_line(settings: Settings) -> str:
    """The HTML's title line under the surface: methods, α, γ, steps, start (and σ)."""
    line = (
        f"{method_list(settings.methods)}: α = {_shown(settings.lr)}, "
        f"γ = {_shown(settings.momentum)}, {settings.steps} steps from "
        f"({_shown(settings.x0)}, {_shown(settings.y0)})"
    )
    if settings.noise > 0:
        line += f", gradient noise σ = {_shown(settings.noise)} (seed {settings.seed})"
    if settings.surface == CUSTOM:
        line += f"; J(x, y) = {settings.expr}"
    return line


def file_stem(settings: Settings) -> str:
    """The downloads' name without extension: surface, methods, α, γ, steps, start (and
    σ, seed; a custom formula by a short hash of it), in characters every system takes."""
    surface = settings.surface
    if surface == "quadratic":
        surface += f"-k{_number(settings.kappa)}"
    elif surface == CUSTOM:
        formula = f"{settings.expr}|{settings.bounds}".encode()
        surface += "-" + hashlib.blake2b(formula, digest_size=4).hexdigest()
    parts = [
        "momentum-viz",
        surface,
        "-".join(settings.methods) or "none",
        f"a{_number(settings.lr)}",
        f"g{_number(settings.momentum)}",
        f"{settings.steps}steps",
        f"x{_number(settings.x0)}",
        f"y{_number(settings.y0)}",
    ]
    if settings.noise > 0:
        parts += [f"noise{_number(settings.noise)}", f"seed{settings.seed}"]
    return re.sub(r"[^A-Za-z0-9._+-]", "-", "_".join(parts))


def trajectories_file(settings: Settings, runs: dict[str, Run]) -> str:
    """The CSV download: the settings as comment lines, then every step of every run."""
    return trajectories_csv(runs, settings_table(settings))


def offline_map_file(settings: Settings) -> str:
    """The HTML download: the live map's component with this race, playable offline."""
    blobs = live_map_blobs(settings, map_label(settings))
    return offline_map_html(
        title=f"Momentum race on {title_of(settings)}",
        settings_line=settings_line(settings),
        carried=blobs.carried[:1],  # the surface; the slider families need the sidebar
        race=blobs.race,
        module_js=component_js("live_map.js"),
        css=component_css(),
    )


def offline_deck_file(deck: Deck) -> str:
    """The deck's HTML download: every slide's race on the live map, in the lecture
    layout, stepped with the present mode's keys, playable offline.

    A slide that opens on another tab (the (α, γ) map, the basin map, theory) shows its
    race here: the offline page holds the canvas map only. Each surface is carried once.
    """
    carried: dict[bytes, bytes] = {}
    slides = []
    for slide in deck.slides:
        settings = replace(slide.settings(), lecture=True)
        blobs = live_map_blobs(settings, map_label(settings))
        surface = blobs.carried[0]  # the slider families need the sidebar: left out
        carried.setdefault(surface[:16], surface)
        slides.append(OfflineSlide(slide.title, slide.note, settings_line(settings), blobs.race))
    return offline_deck_html(
        title=deck.title,
        slides=slides,
        carried=carried.values(),
        module_js=component_js("live_map.js"),
        css=component_css(),
    )
