"""How a setting is declared: one :func:`declare` call per :class:`~.settings.Settings` field.

Modelled on Streamlit's own options (``config._create_option``): each field of
``Settings`` is declared once, with its type (the annotation), default, allowed range or
choices, link name, whether it changes the runs or only the view, and what a refused
value's note says. Everything else is derived from these declarations: the link's parser
and writer (:mod:`.links`), the run-cache key (``compute.RunKey``), the view-only fields
(``settings.VIEW_FIELDS``) and the checks on values the browser sends (:mod:`.state`).

Pure Python: no Streamlit here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The kinds of value a field holds, each with one parser and one writer in .links:
NUMBER = "number"  # a float in a range (clamped, with a note)
WHOLE = "whole"  # an int in a range (clamped and rounded, with a note)
CHOICE = "choice"  # one of a few strings
NUMBER_CHOICE = "number-choice"  # one of a few numbers, written as "2", "0.5"
FLAG = "flag"  # on or off, "1" or "0"
METHODS = "methods"  # a comma-separated subset of the methods
NAME = "name"  # a surface, scenario or formula: parsed by its own rule (cross-field)
BATCH = "batch"  # a mini-batch size: a whole number in a range, or "all" (held as 0)

# When a field goes into a written link.
ALWAYS = "always"
UNLESS_DEFAULT = "unless-default"  # only when not the default: everyday links stay short

# The notes for a refused value of each kind ({name}: link name, {raw}: the value quoted,
# {choices}: the allowed values). Numbers have their own several notes (see .links).
REFUSALS: dict[str, str] = {
    CHOICE: "{name} = {raw} is not one of {choices}: ignored.",
    NUMBER_CHOICE: "{name} = {raw} is not one of {choices}: ignored.",
    FLAG: "{name} = {raw} is not 0 or 1: ignored.",
    BATCH: "{name} = {raw} is not a whole number or all: ignored.",
}

Range = tuple[float, float]


@dataclass(frozen=True)
class Declaration:
    """Everything about one setting but its type and default (those are the field's).

    Attributes:
        kind: how it is parsed and written (one of the kinds above).
        runs: True if it changes the runs (part of the run-cache key), False if it only
            changes what is shown.
        range: the allowed (lo, hi) of a number, or ``range_of`` when it depends on
            other settings (the start point on the surface's box, the anatomy's step).
        choices: the allowed values of a choice.
        link: its name in links (the field name unless said otherwise).
        in_link: ALWAYS, or UNLESS_DEFAULT.
        only_with: the one surface this field means something for ("" for every one).
        refuse: the note for a refused value (the kind's, unless said otherwise).
    """

    kind: str
    runs: bool
    range: Range | None = None
    range_of: Callable[[Any], Range] | None = None
    choices: tuple[Any, ...] = ()
    link: str = ""
    in_link: str = ALWAYS
    only_with: str = ""
    refuse: str = ""

    def allowed(self, settings: Any) -> Range:
        """The (lo, hi) a number may take with these other settings."""
        if self.range_of is not None:
            return self.range_of(settings)
        assert self.range is not None, "a number is declared with a range"
        return self.range

    def refusal(self, name: str, raw: str) -> str:
        """The note for a refused value, ``raw`` already quoted."""
        choices = ", ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in self.choices)
        template = self.refuse or REFUSALS[self.kind]
        return template.format(name=name, raw=raw, choices=choices)

    def accepts(self, value: object, settings: Any) -> bool:
        """Whether ``value`` (from a widget: anything a browser can send) is one this
        field may hold with these other settings: right type, finite, in range."""
        if self.kind in (NUMBER, WHOLE, BATCH):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            if not math.isfinite(value) or (self.kind != NUMBER and value != int(value)):
                return False
            if self.kind == BATCH and value == 0:  # "all": every surface takes it
                return True
            lo, hi = self.allowed(settings)
            return lo <= value <= hi
        if self.kind in (CHOICE, NUMBER_CHOICE):
            return isinstance(value, str | int | float) and value in self.choices
        if self.kind == FLAG:
            return isinstance(value, bool | int) and value in (0, 1)
        if self.kind == NAME:
            return isinstance(value, str)
        return True  # the methods: checked by their own rule


def declare(default: Any, kind: str, *, runs: bool, **declaration: Any) -> Any:
    """A :class:`Settings` field with its declaration (in the field's metadata)."""
    meta = {"declaration": Declaration(kind, runs, **declaration)}
    if isinstance(default, tuple | list):
        return dataclasses.field(default=tuple(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def declaration_of(field: dataclasses.Field) -> Declaration:
    """The declaration of a Settings field."""
    return field.metadata["declaration"]


def link_name(field: dataclasses.Field) -> str:
    """The field's name in links."""
    return declaration_of(field).link or field.name
