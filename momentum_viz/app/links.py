"""A view's link: :class:`~.settings.Settings` ↔ address-bar parameters.

Both directions are derived from the fields' declarations (:mod:`.fields`): a field's
kind says how it is parsed and written, its range or choices what is allowed, and its
``in_link`` whether a default value is written. Only the cross-field rules are written out
here, in the order they apply: scenario → κ → surface → formula; then every other field
in the declaration order, the start point inside the surface's box and the anatomy's
step below the steps.

Pure Python: no Streamlit here.

>>> from .settings import Settings
>>> s = Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300, x0=-3.5, y0=2.5)
>>> from_query_params(to_query_params(s))[0] == s
True
>>> settings, notes = from_query_params({"momentum": "5", "steps": "many"})
>>> settings.momentum, notes[0]
(0.999, 'momentum = 5 is outside [0, 0.999]: using 0.999.')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import Field, fields, replace

from surfaces import DEFAULT_KAPPA, SURFACES, ExpressionError, from_expression
from surfaces.expression import DEFAULT_BOUNDS, MAX_BOUND

from ..numerics.optimizer import METHODS
from .fields import (
    ALWAYS,
    BATCH,
    CHOICE,
    FLAG,
    NAME,
    NUMBER,
    NUMBER_CHOICE,
    WHOLE,
    Declaration,
    declaration_of,
    link_name,
)
from .fields import METHODS as METHOD_SUBSET
from .settings import (
    ALL_DATA,
    BOUND_FIELDS,
    CUSTOM,
    DATA_SURFACES,
    DEFAULT_BOUND_VALUES,
    DEFAULT_EXPRESSION,
    ECHO_CHARS,
    FOLLOW_LINK_KEY,
    IGNORED_LINK,
    MAX_LINK_CHARS,
    MAX_LINK_FIELDS,
    STANDARDIZABLE,
    Settings,
    defaults_for,
    echo,
    echo_list,
)

Bounds = tuple[tuple[float, float], tuple[float, float]]
_FIELDS: tuple[Field, ...] = fields(Settings)
_BY_LINK = {link_name(f): f for f in _FIELDS}
# Fields parsed by the cross-field rules (a name, or meaningful on one surface only);
# every other field is parsed alone, in declaration order.
_ALONE = tuple(
    f for f in _FIELDS if declaration_of(f).kind != NAME and not declaration_of(f).only_with
)
# Fields that mean something on a data surface only (the mini-batches).
_DATA_ONLY = ("batch_size", "batches")


def last_value(raw: str | list[str]) -> str:
    """The value a link gives a parameter: the last, when it names it several times."""
    return raw[-1] if isinstance(raw, list) else raw


# --- writing -------------------------------------------------------------------------


def _written(declaration: Declaration, value: object) -> str:
    """One value as a link writes it: short, exact, human-readable."""
    if declaration.kind == METHOD_SUBSET:
        return ",".join(value)  # type: ignore[arg-type]
    if declaration.kind == FLAG:
        return "1" if value else "0"
    if declaration.kind == BATCH:
        return "all" if value == ALL_DATA else str(value)
    if declaration.kind == NUMBER_CHOICE:
        return f"{value:g}"
    if declaration.kind == NUMBER:
        return repr(value)
    return str(value)


def to_query_params(settings: Settings) -> dict[str, str]:
    """The settings as address-bar parameters (short, exact, human-readable)."""
    params = {}
    for f in _FIELDS:
        declaration, value = declaration_of(f), getattr(settings, f.name)
        if declaration.only_with and declaration.only_with != settings.surface:
            continue
        if declaration.in_link != ALWAYS and value == f.default:
            continue
        params[link_name(f)] = _written(declaration, value)
    return params


# --- reading: one value ----------------------------------------------------------------


def _fmt(value: float) -> str:
    """A bound or value as a reader types it: whole numbers exactly (2147483647, not 2.1e+09)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def _echo_number(raw: str) -> str:
    """A value that parsed as a number, quoted as typed (cut like :func:`echo`)."""
    return raw if len(raw) <= ECHO_CHARS else f"{raw[:ECHO_CHARS]}… ({len(raw):,} characters)"


def _parse_float(name: str, raw: str, lo: float, hi: float, notes: list[str]) -> float | None:
    # float() also reads other scripts' digits ("٠.٥" is 0.5) and "1_000"; a link is
    # written with ASCII digits, so anything else is refused rather than guessed.
    if not raw.isascii() or "_" in raw:
        notes.append(f"{name} = {echo(raw)} is not a number in ASCII digits: ignored.")
        return None
    try:
        value = float(raw)
    except ValueError:
        notes.append(f"{name} = {echo(raw)} is not a number: ignored.")
        return None
    if not math.isfinite(value):
        notes.append(f"{name} = {_echo_number(raw)} is not a finite number: ignored.")
        return None
    if not lo <= value <= hi:
        clamped = min(max(value, lo), hi)
        notes.append(
            f"{name} = {_echo_number(raw)} is outside [{_fmt(lo)}, "
            f"{_fmt(hi)}]: using {_fmt(clamped)}."
        )
        return clamped
    return value


def _parse_whole(name: str, raw: str, lo: float, hi: float, notes: list[str]) -> int | None:
    value = _parse_float(name, raw, lo, hi, notes)
    if value is None:
        return None
    if value != int(value):
        notes.append(f"{name} = {_echo_number(raw)} is not a whole number: using {round(value)}.")
    return round(value)


def _parse_batch(name: str, raw: str, lo: float, hi: float, notes: list[str]) -> int | None:
    """A batch size: "all" (every example, held as 0) or a whole number in 1 … N."""
    if raw.lower() == "all":
        return ALL_DATA
    return _parse_whole(name, raw, lo, hi, notes)


def _parse_methods(raw: str, notes: list[str]) -> tuple[str, ...] | None:
    wanted = [m for m in raw.split(",") if m]
    unknown = [m for m in wanted if m not in METHODS]
    methods = tuple(m for m in METHODS if m in wanted)
    if unknown:
        notes.append(f"methods: {echo_list(unknown)} unknown (valid: {', '.join(METHODS)}).")
    if not methods:
        notes.append("methods: none valid, showing SGD and momentum.")
        return None
    return methods


def _parse_choice(declaration: Declaration, name: str, raw: str) -> object | None:
    if declaration.kind == CHOICE:
        return raw if raw in declaration.choices else None
    if declaration.kind == FLAG:
        return {"0": False, "1": True}.get(raw)
    # NUMBER_CHOICE: plain decimals only ("1e0" and "nan" are not a speed anyone writes).
    number = float(raw) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw) else None
    return number if number in declaration.choices else None


def _parse_one(f: Field, raw: str, settings: Settings, notes: list[str]) -> object | None:
    """The value of one field from its link text, or None (with a note) if refused."""
    declaration, name = declaration_of(f), link_name(f)
    if declaration.kind == METHOD_SUBSET:
        return _parse_methods(raw, notes)
    if declaration.kind in (NUMBER, WHOLE, BATCH):
        parse = {NUMBER: _parse_float, WHOLE: _parse_whole, BATCH: _parse_batch}[declaration.kind]
        return parse(name, raw, *declaration.allowed(settings), notes)
    value = _parse_choice(declaration, name, raw)
    if value is None:
        notes.append(declaration.refusal(name, echo(raw)))
    return value


# --- reading: the cross-field rules ---------------------------------------------------


def _scenario_base(
    get: Mapping[str, str], scenarios: Mapping[str, Settings] | None, notes: list[str]
) -> Settings | None:
    """The named scenario's settings, if a known one is named."""
    scenario = get.get("scenario", "")
    if not scenario:
        return None
    if scenarios is not None and scenario in scenarios:
        return scenarios[scenario]
    notes.append(f"scenario = {echo(scenario)} is not a known scenario: ignored.")
    return None


def _kappa(get: Mapping[str, str], base: Settings | None, notes: list[str]) -> float:
    """κ from the link (used by the bowl only: see :func:`_surface_rules`)."""
    kappa = DEFAULT_KAPPA if base is None else base.kappa
    if "kappa" in get:
        kappa_field = _BY_LINK["kappa"]
        lo, hi = declaration_of(kappa_field).allowed(None)
        parsed = _parse_float("kappa", get["kappa"], lo, hi, notes)
        kappa = kappa if parsed is None else parsed
    return kappa


def _surface_name(get: Mapping[str, str], base: Settings | None, notes: list[str]) -> str:
    surface = base.surface if base is not None else "rosenbrock"
    if "surface" in get:
        if get["surface"] in SURFACES or get["surface"] == CUSTOM:
            return get["surface"]
        notes.append(
            f"surface = {echo(get['surface'])} is not one of {', '.join(SURFACES)}, "
            f"{CUSTOM}: showing {surface}."
        )
    return surface


def _custom_bounds(get: Mapping[str, str], notes: list[str]) -> Bounds:
    """The custom surface's box from a link: a bound that is not a number is dropped, and
    a pair that is not increasing falls back to the default pair, each with a note."""
    values = list(DEFAULT_BOUND_VALUES)
    for i, name in enumerate(BOUND_FIELDS):
        if name in get:
            parsed = _parse_float(name, get[name], -MAX_BOUND, MAX_BOUND, notes)
            values[i] = values[i] if parsed is None else parsed
    for i, axis in ((0, "x"), (2, "y")):
        if not values[i] < values[i + 1]:
            lo, hi = DEFAULT_BOUND_VALUES[i : i + 2]
            notes.append(
                f"{axis}min = {_fmt(values[i])} is not below {axis}max = "
                f"{_fmt(values[i + 1])}: using {_fmt(lo)} … "
                f"{_fmt(hi)}."
            )
            values[i : i + 2] = lo, hi
    return ((values[0], values[1]), (values[2], values[3]))


def _custom_from_link(get: Mapping[str, str], notes: list[str]) -> tuple[str, Bounds] | None:
    """A custom surface's formula and bounds from a link, or None (with a note saying
    why, as its last note) when the formula is refused. A missing formula is the default."""
    expr = get.get("expr", DEFAULT_EXPRESSION)
    bounds = _custom_bounds(get, notes)
    try:
        from_expression(expr, bounds)
    except ExpressionError as err:
        notes.append(f"expr = {echo(expr)} is refused: column {err.column}: {err.reason}.")
        return None
    except ValueError as err:  # the bounds (e.g. a box too narrow for where it sits)
        notes.append(f"the bounds are refused: {err}.")
        return None
    return expr, bounds


def _formula(
    get: Mapping[str, str], surface: str, base: Settings | None, notes: list[str]
) -> tuple[str, str, Bounds]:
    """The surface (back to the scenario's or the default one if its formula is
    refused), its formula and its box; formula fields off the custom surface get a note."""
    expr, bounds = DEFAULT_EXPRESSION, DEFAULT_BOUNDS
    only_custom = [link_name(f) for f in _FIELDS if declaration_of(f).only_with == CUSTOM]
    if surface == CUSTOM:
        custom = _custom_from_link(get, notes)
        if custom is None:
            surface = base.surface if base is not None else "rosenbrock"
            notes[-1] += f" Showing {surface}."
        else:
            expr, bounds = custom
    elif named := [name for name in only_custom if name in get]:
        notes.append(f"{', '.join(named)}: used only with surface = custom: ignored.")
    return surface, expr, bounds


def _standardize(
    get: Mapping[str, str], surface: str, base: Settings | None, notes: list[str]
) -> bool:
    """ "Standardize the feature" from the link: the least-squares surface's switch."""
    kept = base is not None and base.standardize and base.surface == surface
    if "std" not in get:
        return kept
    if surface not in STANDARDIZABLE:
        notes.append(f"std: used only with surface = {', '.join(STANDARDIZABLE)}: ignored.")
        return kept
    value = _parse_one(_BY_LINK["std"], get["std"], Settings(), notes)
    return kept if value is None else bool(value)


def _surface_rules(get: Mapping[str, str], base: Settings | None, notes: list[str]) -> Settings:
    """The settings the scenario, κ, surface, formula and standardize switch of a link
    give, before the fields that stand alone: the surface's defaults unless they are the
    scenario's."""
    kappa = _kappa(get, base, notes)
    surface, expr, bounds = _formula(get, _surface_name(get, base, notes), base, notes)
    if surface != "quadratic" and "kappa" in get:
        # κ belongs to the bowl only; taking it elsewhere would reset a scenario's view.
        kappa = DEFAULT_KAPPA if base is None else base.kappa
        notes.append("kappa: used only with surface = quadratic: ignored.")
    standardize = _standardize(get, surface, base, notes)
    if (
        base is not None
        and (base.surface, base.kappa, base.standardize) == (surface, kappa, standardize)
        and (surface != CUSTOM or (base.expr, base.bounds) == (expr, bounds))
    ):
        return base
    keep = {} if base is None else {"methods": base.methods, "noise": base.noise}
    return replace(
        defaults_for(surface, kappa, expr=expr, bounds=bounds, standardize=standardize, **keep),
        scenario=base.scenario if base else "",
    )


def _link_notes(get: Mapping[str, str], notes: list[str]) -> None:
    """Notes on parameters no field declares, and on a link the server refused."""
    unknown = [
        name for name in get if name not in _BY_LINK and name not in (IGNORED_LINK, FOLLOW_LINK_KEY)
    ]
    if unknown:
        noun = "parameter" if len(unknown) == 1 else f"{len(unknown):,} parameters"
        notes.append(f"unknown link {noun} ignored: {echo_list(unknown)}.")
    if IGNORED_LINK in get:
        notes.append(
            "the link carried more parameters or characters than a link may "
            f"({_fmt(MAX_LINK_FIELDS)} parameters, "
            f"{_fmt(MAX_LINK_CHARS)} characters): it was ignored, showing the "
            "defaults."
        )


def from_query_params(
    params: Mapping[str, str | list[str]],
    *,
    scenarios: Mapping[str, Settings] | None = None,
) -> tuple[Settings, list[str]]:
    """Settings from the address bar, and one note per value that was clamped or dropped.

    Missing values come from the surface's defaults (or the scenario's, when a known
    scenario is named). Nothing here raises: the worst a link can do is be ignored.
    """
    notes: list[str] = []
    get = {name: last_value(raw).strip() for name, raw in params.items()}
    settings = _surface_rules(get, _scenario_base(get, scenarios, notes), notes)
    for f in _ALONE:  # in declaration order: the anatomy's step after the steps
        name = link_name(f)
        if name in get and f.name in _DATA_ONLY and settings.surface not in DATA_SURFACES:
            notes.append(f"{name}: used only with the data surfaces: ignored.")
        elif name in get:
            value = _parse_one(f, get[name], settings, notes)
            if value is not None:
                settings = replace(settings, **{f.name: value})
    _link_notes(get, notes)
    return settings, notes
