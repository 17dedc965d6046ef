r"""A :class:`Surface` from a formula a student types, e.g. ``(1 - x)**2 + 100*(y - x**2)**2``.

The text comes from the public classroom server, so it is treated as hostile:

* It is **never evaluated as Python**. No ``eval``, ``exec``, ``compile``-and-run,
  ``sympy.sympify`` or ``sympy.parse_expr`` (the last two call ``eval``). :func:`ast.parse`
  in ``"eval"`` mode only builds a syntax tree; nothing in it runs.
* The tree must use only a **whitelist**: int and float literals, the names ``x``, ``y``,
  ``pi`` and ``e``, the operators ``+ - * / **`` and unary ``+ -``, and one-argument calls
  of :data:`FUNCTIONS`. Anything else (attribute access, subscripts, lambdas,
  comprehensions, strings, keyword arguments, comparisons, unknown names, ...) is refused
  with its column and what it is. The SymPy expression is then built node by node from
  the whitelisted nodes only.
* **Everything is bounded** before SymPy sees it: the length (:data:`MAX_LENGTH`), the
  characters (printable ASCII: look-alike letters such as the Cyrillic 'х' are refused,
  and named), the tree's depth and size, the literals, and the exponents: an exponent
  must be a plain number, at most :data:`MAX_EXPONENT` in size, and the exact numbers
  powers of powers can build stay below 1e300 (:data:`MAX_DECADES`). So ``9**9**9`` is
  refused by the checker and SymPy's automatic evaluation never meets a number it cannot
  compute at once. The cost of differentiating is estimated and bounded in advance
  (:data:`MAX_HESSIAN_COST`), and the time to build a surface is checked between the
  stages (:data:`TIME_LIMIT`).

SymPy then differentiates the expression (gradient and Hessian) and
:func:`sympy.lambdify` turns the three into NumPy functions. ``lambdify`` runs code it
prints itself from the checked tree, whose only names are ``x``, ``y`` and NumPy
functions: the user's text never reaches it.

The minima inside the bounds are found numerically: the cells of a 60 × 60 grid lower
than their 8 neighbours are polished with Newton's method, and a point is listed only if
it is a minimum (see :func:`_is_minimum`); a surface without one (a constant, a plane, a
saddle, a surface unbounded below) is still a valid surface, with ``minima=()``.

>>> s = from_expression("(x - 1)**2 + 2*(y + 0.5)**2", bounds=((-2, 2), (-2, 2)))
>>> s.title, s.name
('J(x, y) = (x - 1)**2 + 2*(y + 0.5)**2', 'custom')
>>> [(round(m.point[0], 12), round(m.point[1], 12), m.is_global) for m in s.minima]
[(1.0, -0.5, True)]
>>> s.hessian([0.0, 0.0]).tolist()
[[2.0, 0.0], [0.0, 4.0]]
>>> from_expression("x.__class__")
Traceback (most recent call last):
  ...
surfaces.expression.ExpressionError: column 2: attribute access (.__class__) is not allowed
"""

from __future__ import annotations

import ast
import math
import time
import unicodedata
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import Bounds, Minimum, Surface
from .syntax_hints import syntax_hint

if TYPE_CHECKING:
    import sympy

#: Longest accepted expression, in characters. Checked before parsing, so a 10 KB paste
#: costs nothing; 300 characters are enough for every surface of the app written out.
MAX_LENGTH = 300
#: Deepest accepted syntax tree. Chains of + − (or of * /) count as one level, as SymPy
#: flattens them; depth is what makes differentiation grow (sin(sin(sin(...)))).
MAX_DEPTH = 30
#: Most syntax-tree nodes (numbers, names, operators, calls).
MAX_NODES = 200
#: Largest estimated size of the Hessian's formulas (see :func:`_hessian_cost`). SymPy
#: takes about 30 µs per unit here, so this is ~0.3 s: the build stays within
#: :data:`TIME_LIMIT` on a slower server, and a product of 30 factors is refused in
#: advance instead of running for seconds (SymPy cannot be interrupted).
MAX_HESSIAN_COST = 10_000
#: Largest literal number, in absolute value. Loss surfaces need no larger coefficients,
#: and with the exponent bounds it keeps every constant SymPy folds inside float range.
MAX_LITERAL = 1e6
#: Largest exponent of a power, in absolute value (x**10, x**-2, x**0.5, x**(1/3)).
MAX_EXPONENT = 10
#: Largest size, in decades, that exact numbers built from the literals can reach
#: (see :func:`_magnitude`): beyond 1e300, NumPy could not even convert them to floats,
#: and SymPy's exact arithmetic would grow without end (9**9**9 has 369 million digits).
MAX_DECADES = 300
#: Seconds allowed to build a surface; refused beyond (checked between stages).
TIME_LIMIT = 1.0
#: Bounds of the plotted box: each coordinate within ±MAX_BOUND.
MAX_BOUND = 1e4
#: Side of the grid whose lowest cells seed the search for minima.
GRID = 60
#: The defaults of a custom surface: momentum γ and the number of steps.
DEFAULT_MOMENTUM = 0.9
DEFAULT_STEPS = 500
DEFAULT_BOUNDS: Bounds = ((-3.0, 3.0), (-3.0, 3.0))

#: The functions a formula may call, each with exactly one positional argument.
FUNCTIONS = (
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "sqrt",
    "abs",
    "tanh",
    "sinh",
    "cosh",
    "atan",
)
_VARIABLES = ("x", "y")
_CONSTANTS = ("pi", "e")

# What each refused node is, in words a student recognises.
_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts ([...])",
    ast.Slice: "slices (a:b)",
    ast.Lambda: "lambda functions",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators (and, or)",
    ast.NamedExpr: "assignments (:=)",
    ast.IfExp: "conditional expressions (... if ... else ...)",
    ast.Tuple: "tuples (a, b)",
    ast.List: "lists [...]",
    ast.Set: "sets {...}",
    ast.Dict: "dicts {...}",
    ast.Starred: "starred arguments (*a)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_OPERATORS: dict[type[ast.operator], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^ (for powers write **)",
    ast.BitAnd: "&",
}


class ExpressionError(ValueError):
    """A formula refused, with the 1-based ``column`` where the problem is and the ``reason``.

    Problems of the whole formula (empty, too slow, no finite value) point at column 1.
    """

    def __init__(self, column: int, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"column {column}: {reason}")


class _Deadline:
    """The build's time budget, checked between stages (SymPy cannot be interrupted)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self, stage: str) -> None:
        if time.monotonic() > self.end:
            raise ExpressionError(
                1,
                f"building this surface took longer than {self.seconds:g} s ({stage}); "
                "try a shorter or simpler formula",
            )


# --- Reading the text ------------------------------------------------------------------


def _check_text(expr: str) -> None:
    """Refuse text that is too long, empty, or not printable ASCII, before parsing it."""
    if not isinstance(expr, str):
        raise ExpressionError(1, f"the formula must be text; got {type(expr).__name__}")
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(
            MAX_LENGTH + 1,
            f"the formula is {len(expr)} characters long; at most {MAX_LENGTH} are allowed",
        )
    if not expr.strip():
        raise ExpressionError(1, "the formula is empty; write J in x and y, e.g. x**2 + 3*y**2")
    for column, char in enumerate(expr, start=1):
        if char == "\\":
            raise ExpressionError(column, "the character '\\' is not allowed")
        if " " <= char <= "~":
            continue
        code = f"U+{ord(char):04X}"
        if ord(char) < 128 or unicodedata.category(char).startswith("C"):
            raise ExpressionError(column, f"control character {code} is not allowed")
        name = unicodedata.name(char, "unnamed character")
        hint = ""
        if char.isalpha():
            hint = "; it looks like a letter but only the ASCII letters x, y, ... are allowed"
        raise ExpressionError(column, f"'{char}' ({code} {name}) is not an ASCII character{hint}")


def _parse(expr: str) -> ast.expr:
    """The syntax tree of ``expr`` (only built, never compiled or run)."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(*syntax_hint(expr, err, FUNCTIONS)) from None
    except (ValueError, MemoryError, RecursionError, Warning) as err:  # pragma: no cover
        raise ExpressionError(1, f"cannot read the formula: {err}") from None
    return tree.body


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


def _refuse(node: ast.AST) -> ExpressionError:
    """The error for a node outside the whitelist, naming the construct."""
    if isinstance(node, ast.Attribute):
        # Point at the dot, just after the object.
        column = getattr(node.value, "end_col_offset", node.col_offset) + 1
        return ExpressionError(column, f"attribute access (.{node.attr}) is not allowed")
    if isinstance(node, ast.Constant):
        kinds = {str: "strings", bytes: "bytes", bool: "True and False", complex: "complex numbers"}
        what = kinds.get(type(node.value), f"constants such as {node.value!r}")
        return ExpressionError(_col(node), f"{what} are not allowed; numbers only")
    what = _CONSTRUCTS.get(type(node), type(node).__name__)
    return ExpressionError(_col(node), f"{what} are not allowed")


def _check_name(node: ast.Name) -> None:
    name = node.id
    if name in _VARIABLES or name in _CONSTANTS:
        return
    if name in FUNCTIONS:
        raise ExpressionError(_col(node), f"{name} is a function: call it, as in {name}(x)")
    if name.startswith("__") or name.endswith("__"):
        raise ExpressionError(_col(node), f"the name {name!r} is not allowed (dunder name)")
    raise ExpressionError(
        _col(node), f"unknown name {name!r}; use the variables x and y and the constants pi, e"
    )


def _check_literal(node: ast.Constant) -> None:
    if type(node.value) not in (int, float):
        raise _refuse(node)
    if not abs(node.value) <= MAX_LITERAL:  # also refuses inf (1e999)
        raise ExpressionError(
            _col(node), f"the number {node.value:.6g} is too large; at most {MAX_LITERAL:g}"
        )


def _exponent(node: ast.expr) -> Fraction | float:
    """The value of a power's exponent, which must be a plain number.

    Literals combined with + − * / are accepted (``x**(1/3)``, ``x**-2``) and computed
    here exactly; anything else (names, calls, powers as in ``9**9**9``) is refused.
    Returns a Fraction if only integers occur, else a float.
    """
    floats = False

    def value(n: ast.expr) -> Fraction:
        nonlocal floats
        if isinstance(n, ast.Constant) and type(n.value) in (int, float):
            _check_literal(n)
            floats = floats or isinstance(n.value, float)
            return Fraction(n.value)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            v = value(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            a, b = value(n.left), value(n.right)
            if isinstance(n.op, ast.Add):
                return a + b
            if isinstance(n.op, ast.Sub):
                return a - b
            if isinstance(n.op, ast.Mult):
                return a * b
            if b == 0:
                raise ExpressionError(_col(n.right), "division by zero in an exponent")
            return a / b
        raise ExpressionError(
            _col(node),
            f"an exponent must be a number (at most {MAX_EXPONENT} in size), "
            "not a formula in x, y, pi, e or another power; for e**x write exp(x)",
        )

    result = value(node)
    if abs(result) > MAX_EXPONENT:
        raise ExpressionError(
            _col(node),
            f"the exponent {float(result):g} is too large; at most {MAX_EXPONENT} in size",
        )
    return float(result) if floats else result


def _check_tree(root: ast.expr) -> None:
    """Walk the tree once: whitelist, depth, size, literal and exponent bounds.

    Nothing is built here, so a refused formula never reaches SymPy.
    """
    count = 0
    # (node, depth, family of the parent +/- or */ chain)
    stack: list[tuple[ast.expr, int, str]] = [(root, 1, "")]
    while stack:
        node, depth, family = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(
                _col(node), f"the formula has more than {MAX_NODES} parts; simplify it"
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                _col(node), f"the formula is nested more than {MAX_DEPTH} levels deep"
            )
        if isinstance(node, ast.Constant):
            _check_literal(node)
        elif isinstance(node, ast.Name):
            _check_name(node)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                op = "not" if isinstance(node.op, ast.Not) else "~"
                raise ExpressionError(_col(node), f"the operator {op!r} is not allowed")
            stack.append((node.operand, depth + 1, ""))
        elif isinstance(node, ast.BinOp):
            op = type(node.op)
            if op in _OPERATORS:
                column = getattr(node.left, "end_col_offset", node.col_offset) + 1
                raise ExpressionError(column, f"the operator {_OPERATORS[op]} is not allowed")
            if op is ast.Pow:
                _exponent(node.right)
                stack.append((node.left, depth + 1, ""))
                continue
            chain = "+" if op in (ast.Add, ast.Sub) else "*"
            level = depth if chain == family else depth + 1
            stack.append((node.left, level, chain))
            stack.append((node.right, level, chain))
        elif isinstance(node, ast.Call):
            _check_call(node)
            stack.append((node.args[0], depth + 1, ""))
        else:
            raise _refuse(node)


def _magnitude(node: ast.expr) -> float:
    """A bound, in decades, on the exact numbers SymPy can fold this subtree's literals into.

    SymPy evaluates numbers exactly as it builds: (10**6)**10 becomes a 61-digit integer,
    and a power multiplies the digits of its base by its exponent, so powers of powers
    grow without end. Bottom-up: a literal v counts |log10 v| decades (tiny numbers make
    huge denominators), sums and products add their parts' decades (an upper bound for
    both), a power multiplies its base's by the exponent, sqrt halves them; x and y count
    nothing. Only called on checked trees.

    >>> _magnitude(ast.parse("(1000000**10)**10", mode="eval").body)
    Traceback (most recent call last):
      ...
    surfaces.expression.ExpressionError: column 16: this power can build numbers of about 1e600; at most 1e300
    """  # noqa: E501
    if isinstance(node, ast.Constant):
        return abs(math.log10(abs(node.value))) if node.value else 0.0
    if isinstance(node, ast.Name):
        return 1.0 if node.id in _CONSTANTS else 0.0
    if isinstance(node, ast.UnaryOp):
        return _magnitude(node.operand)
    if isinstance(node, ast.Call):
        inner = _magnitude(node.args[0])
        return 0.5 * inner if node.func.id == "sqrt" else inner  # type: ignore[attr-defined]
    assert isinstance(node, ast.BinOp)
    if isinstance(node.op, ast.Pow):
        decades = _magnitude(node.left) * abs(float(_exponent(node.right)))
        if decades > MAX_DECADES:
            raise ExpressionError(
                _col(node.right),
                f"this power can build numbers of about 1e{decades:.0f}; at most 1e{MAX_DECADES}",
            )
        return decades
    decades = _magnitude(node.left) + _magnitude(node.right)
    if decades > MAX_DECADES:
        raise ExpressionError(
            _col(node.right),
            f"the numbers here reach about 1e{decades:.0f}; at most 1e{MAX_DECADES}",
        )
    return decades


def _hessian_cost(node: ast.expr) -> tuple[int, int, int]:
    """Estimated sizes (terms) of the formula, of one first and of one second derivative.

    The product rule makes a product of k factors of total size S have first derivatives
    of size ~kS and second ones of size ~k²S; each nested function or power repeats its
    argument in its derivative (sin(f)' = cos(f)·f'), so nesting n deep costs ~n³.
    SymPy's time to differentiate and lambdify follows the third number closely (about
    30 µs per unit here), which lets a too costly formula be refused before SymPy starts.
    Only called on checked trees (whitelisted nodes, bounded depth).

    >>> _hessian_cost(ast.parse("(1 - x)**2 + 100*(y - x**2)**2", mode="eval").body)
    (12, 37, 121)
    """
    if isinstance(node, ast.Constant | ast.Name):
        return 1, 1, 1
    if isinstance(node, ast.UnaryOp):
        return _hessian_cost(node.operand)
    if isinstance(node, ast.Call) or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
        inner = node.args[0] if isinstance(node, ast.Call) else node.left
        s, d, h = _hessian_cost(inner)
        return s + 1, 2 * s + d + 2, 3 * s + 2 * d + h + 4
    assert isinstance(node, ast.BinOp)
    family = (ast.Add, ast.Sub) if isinstance(node.op, ast.Add | ast.Sub) else (ast.Mult, ast.Div)
    parts: list[tuple[int, int, int]] = []
    stack: list[ast.expr] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, family):
            stack += [n.left, n.right]
        else:
            parts.append(_hessian_cost(n))
    s_sum, d_sum, h_sum = (sum(p[i] for p in parts) for i in range(3))
    if family[0] is ast.Add:
        return s_sum + 1, d_sum + 1, h_sum + 1
    k = len(parts) - 1
    d = d_sum + k * s_sum + 1
    return s_sum + 1, d, h_sum + k * s_sum + 2 * k * d_sum + (k + 1) * k * s_sum + 1


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        raise (
            _refuse(node.func)
            if isinstance(node.func, ast.Attribute)
            else ExpressionError(_col(node), "only the listed functions can be called")
        )
    name = node.func.id
    if name not in FUNCTIONS:
        dunder = " (dunder name)" if name.startswith("__") or name.endswith("__") else ""
        raise ExpressionError(
            _col(node),
            f"calls to {name!r}{dunder} are not allowed; functions: {', '.join(FUNCTIONS)}",
        )
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(arg)
    if node.keywords:
        keyword = node.keywords[0]
        label = f"{keyword.arg}=" if keyword.arg else "**"
        raise ExpressionError(
            _col(keyword), f"{name}() takes no keyword arguments (got {label}...)"
        )
    if len(node.args) != 1:
        raise ExpressionError(
            _col(node), f"{name}() takes exactly one argument (got {len(node.args)})"
        )


# --- Building the SymPy expression ------------------------------------------------------


def _sympy_functions(sp: Any) -> dict[str, Callable[[Any], Any]]:
    return {
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "exp": sp.exp,
        "log": sp.log,
        "sqrt": sp.sqrt,
        "abs": sp.Abs,
        "tanh": sp.tanh,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "atan": sp.atan,
    }


def _build(root: ast.expr, sp: Any, x: Any, y: Any) -> sympy.Expr:
    """The SymPy expression of a checked tree, built from the whitelisted nodes only."""
    functions = _sympy_functions(sp)
    names = {"x": x, "y": y, "pi": sp.pi, "e": sp.E}
    bad = (sp.zoo, sp.oo, -sp.oo, sp.nan)

    def checked(node: ast.expr, value: Any) -> Any:
        # Each subexpression must be real and finite wherever it is defined: 1/0 is zoo,
        # sqrt(-1) is I, log(0) is -oo. Say so where it happens.
        if value.has(*bad) or value.has(sp.I):
            what = "is not finite (division by zero?)" if value.has(*bad) else "is not real"
            text = ast.unparse(node)
            raise ExpressionError(_col(node), f"{text} {what}")
        if value.is_Number and abs(value) > 10.0**MAX_DECADES:
            raise ExpressionError(
                _col(node),
                f"a constant here is about {float(sp.log(abs(value), 10)):.0f} "
                f"decades large; at most {10.0**MAX_DECADES:g}",
            )
        return value

    def build(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            v = node.value
            return sp.Integer(v) if isinstance(v, int) else sp.Float(v)
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = build(node.operand)
            return checked(node, -operand if isinstance(node.op, ast.USub) else operand)
        if isinstance(node, ast.Call):
            return checked(node, functions[node.func.id](build(node.args[0])))
        assert isinstance(node, ast.BinOp)
        left = build(node.left)
        if isinstance(node.op, ast.Pow):
            exponent = _exponent(node.right)
            if isinstance(exponent, Fraction):
                power = sp.Rational(exponent.numerator, exponent.denominator)
            else:
                power = sp.Float(exponent)
            return checked(node, sp.Pow(left, power))
        right = build(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise ExpressionError(_col(node.right), "division by zero")
        op = {ast.Add: sp.Add, ast.Mult: sp.Mul}
        if isinstance(node.op, ast.Sub):
            return checked(node, sp.Add(left, -right))
        if isinstance(node.op, ast.Div):
            return checked(node, sp.Mul(left, sp.Pow(right, -1)))
        return checked(node, op[type(node.op)](left, right))

    return build(root)


# --- Numerics ---------------------------------------------------------------------------


def _numpy_function(sp: Any, x: Any, y: Any, exprs: list[Any]) -> Callable[..., list[Any]]:
    """``lambdify`` the expressions to one NumPy function returning a list of arrays.

    DiracDelta (the second derivative of abs) is zero almost everywhere, and NumPy has
    none: it is replaced by 0. Exact numbers beyond 2**53 become floats: printed as Python
    ints, NumPy would make object arrays of them (sin(17**20) fails).
    """
    exprs = [e.replace(sp.DiracDelta, lambda *args: sp.Integer(0)) for e in exprs]
    exprs = [
        e.xreplace(
            {n: sp.Float(n) for n in e.atoms(sp.Rational) if max(abs(n.p), abs(n.q)) > 2**53}
        )
        for e in exprs
    ]
    return sp.lambdify([x, y], exprs, modules="numpy", cse=True)


def _broadcasting(fn: Callable[..., list[Any]], one: bool) -> Callable[..., Any]:
    """Wrap a lambdified function so every output has the broadcast shape of x and y.

    A constant (or a zero derivative) comes out of lambdify as a Python number; it is
    broadcast like the others. Overflow and invalid operations give inf and nan quietly,
    as the built-in surfaces do far from their minima.
    """

    def wrapped(x: Any, y: Any) -> Any:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            outs = fn(x, y)
        arrays = []
        for out in outs:
            arr = np.empty(shape)
            arr[...] = np.real_if_close(np.asarray(out)) if np.iscomplexobj(out) else out
            arrays.append(arr)
        return arrays[0] if one else tuple(arrays)

    return wrapped


def _eigen_max(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    return 0.5 * (hxx + hyy) + np.hypot(0.5 * (hxx - hyy), hxy)


def _eigen_min(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    return 0.5 * (hxx + hyy) - np.hypot(0.5 * (hxx - hyy), hxy)


def _local_minima_of_grid(values: np.ndarray) -> np.ndarray:
    """Indices (row, col) of grid cells no higher than their 8 neighbours, and lower than one.

    Ties are kept because a symmetric minimum between grid points (x**4 + y**4 on a grid
    without 0) leaves several equal cells around it; a flat plateau (a constant) is not.
    Non-finite cells count as +inf. The grid is padded with +inf, so a cell on the edge
    can qualify: the minimum may be just inside the bounds (Newton decides).
    """
    v = np.where(np.isfinite(values), values, np.inf)
    padded = np.pad(v, 1, constant_values=np.inf)
    lowest = np.isfinite(v)
    below_one = np.zeros(v.shape, dtype=bool)
    n, m = v.shape
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                neighbour = padded[1 + di : 1 + di + n, 1 + dj : 1 + dj + m]
                lowest &= v <= neighbour
                below_one |= v < neighbour
    return np.argwhere(lowest & below_one)


def _find_minima(
    value_fn: Callable[..., Any],
    grad_fn: Callable[..., Any],
    hessian_fn: Callable[..., Any],
    bounds: Bounds,
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    deadline: _Deadline,
) -> tuple[Minimum, ...]:
    """Polish the grid's local minima with Newton (all at once) and keep the true minima.

    Unlike :func:`surfaces._base.polish_minima`, which is given guesses known to be good,
    these guesses come from an unknown formula: one that does not converge, leaves the
    bounds or lands on a saddle or a maximum is dropped, not an error.
    """
    cells = _local_minima_of_grid(values)
    if len(cells) == 0:
        return ()
    order = np.argsort(values[cells[:, 0], cells[:, 1]], kind="stable")[:200]
    cells = cells[order]
    px, py = xs[cells[:, 1]].copy(), ys[cells[:, 0]].copy()
    (xmin, xmax), (ymin, ymax) = bounds
    size = max(xmax - xmin, ymax - ymin)
    active = np.ones(px.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(100):
            gx, gy = grad_fn(px, py)
            hxx, hxy, hyy = hessian_fn(px, py)
            det = hxx * hyy - hxy * hxy
            sx = (hyy * gx - hxy * gy) / det
            sy = (hxx * gy - hxy * gx) / det
            ok = active & np.isfinite(sx) & np.isfinite(sy)
            sx, sy = np.where(ok, sx, 0.0), np.where(ok, sy, 0.0)
            px, py = px - sx, py - sy
            far = (np.abs(px - 0.5 * (xmin + xmax)) > size) | (
                np.abs(py - 0.5 * (ymin + ymax)) > size
            )
            active = ok & ~far & (np.maximum(np.abs(sx), np.abs(sy)) > 1e-15 * size)
            if not active.any():
                break
        deadline.check("Newton's method")
        keep = _is_minimum(value_fn, grad_fn, hessian_fn, bounds, px, py, values)
        # Newton cannot find a minimum at a kink or a cusp (abs(x) + abs(y), a cone): the
        # Hessian is zero or undefined there. Those guesses get a derivative-free search
        # and count as minima if a ring around the point is higher.
        rest = ~keep
        if rest.any():
            spacing = float(min(xs[1] - xs[0], ys[1] - ys[0]))
            kx, ky = _compass_search(
                value_fn, xs[cells[rest, 1]], ys[cells[rest, 0]], spacing, size
            )
            deadline.check("the search for minima at kinks")
            kink = _higher_all_around(value_fn, bounds, kx, ky, values)
            px, py = np.concatenate([px[keep], kx[kink]]), np.concatenate([py[keep], ky[kink]])
            keep = np.ones(px.shape, dtype=bool)
    found: list[tuple[float, float, float]] = []
    for qx, qy in zip(px[keep], py[keep], strict=True):
        if all(math.hypot(qx - fx, qy - fy) > 1e-6 * size for fx, fy, _ in found):
            found.append((float(qx), float(qy), float(value_fn(qx, qy))))
    if not found:
        return ()
    found.sort(key=lambda f: (f[2], f[0], f[1]))
    lowest = found[0][2]
    return tuple(
        Minimum((fx, fy), fv, bool(fv - lowest <= 1e-9 * max(1.0, abs(lowest))))
        for fx, fy, fv in found
    )


def _compass_search(
    value_fn: Callable[..., Any],
    px: np.ndarray,
    py: np.ndarray,
    step: float,
    size: float,
    iterations: int = 120,
) -> tuple[np.ndarray, np.ndarray]:
    """Walk each point downhill over 8 compass directions, halving the step when none is
    lower, until the step is below 1e-12 of the box: a minimum without derivatives."""
    px, py = px.astype(float), py.astype(float)
    h = np.full(px.shape, step)
    directions = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    here = np.asarray(value_fn(px, py), dtype=float) + np.zeros(px.shape)
    for _ in range(iterations):
        best, bx, by = here.copy(), px.copy(), py.copy()
        for dx, dy in directions:
            cx, cy = px + dx * h, py + dy * h
            v = np.asarray(value_fn(cx, cy), dtype=float) + np.zeros(px.shape)
            better = np.isfinite(v) & (v < best)
            best, bx, by = (
                np.where(better, v, best),
                np.where(better, cx, bx),
                np.where(better, cy, by),
            )
        moved = best < here
        px, py, here = bx, by, best
        h = np.where(moved, h, 0.5 * h)
        if (h < 1e-12 * size).all():
            break
    return px, py


def _higher_all_around(
    value_fn: Callable[..., Any],
    bounds: Bounds,
    px: np.ndarray,
    py: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """Points inside the bounds where J is finite and every point of a small ring around
    them is clearly higher: a minimum that need not be smooth.

    The lowest point of the ring is located by refining the angle (golden section), so a
    flat valley ((x - 2*y)**2), whose ring is only higher where it misses the valley's
    exact direction, is not taken for a minimum.
    """
    (xmin, xmax), (ymin, ymax) = bounds
    size = max(xmax - xmin, ymax - ymin)
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    inside = (px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax)
    here = np.asarray(value_fn(px, py), dtype=float) + np.zeros(px.shape)
    r = 1e-3 * size

    def rise(theta: np.ndarray) -> np.ndarray:
        ring = value_fn(px + r * np.cos(theta), py + r * np.sin(theta))
        return np.asarray(ring, dtype=float) + np.zeros(px.shape) - here

    angles = np.linspace(0.0, 2.0 * np.pi, 64, endpoint=False)
    rises = np.stack([rise(np.full(px.shape, a)) for a in angles])
    lowest = angles[np.nanargmin(np.where(np.isfinite(rises), rises, np.inf), axis=0)]
    lo, hi = lowest - 2.0 * np.pi / 64, lowest + 2.0 * np.pi / 64
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(40):  # the interval shrinks to 1e-9 of its width
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        left = rise(a) < rise(b)
        lo, hi = np.where(left, lo, a), np.where(left, b, hi)
    least = np.minimum(rises.min(axis=0), rise(0.5 * (lo + hi)))
    return inside & np.isfinite(here) & (least > 1e-9 * max(spread, 1e-300))


def _is_minimum(
    value_fn: Callable[..., Any],
    grad_fn: Callable[..., Any],
    hessian_fn: Callable[..., Any],
    bounds: Bounds,
    px: np.ndarray,
    py: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """Which Newton end points are (isolated) local minima inside the bounds.

    A point qualifies if it is inside the (closed) bounds, finite, has a vanishing
    gradient and either a positive definite Hessian (a strict minimum) or, where the
    Hessian is degenerate (x**4 + y**4 at 0), every point of a small ring around it is
    clearly higher. The ring test rejects the points of a flat valley ((x - y)**2).
    """
    (xmin, xmax), (ymin, ymax) = bounds
    size = max(xmax - xmin, ymax - ymin)
    tol = 1e-9 * size
    inside = (
        np.isfinite(px)
        & np.isfinite(py)
        & (px >= xmin - tol)
        & (px <= xmax + tol)
        & (py >= ymin - tol)
        & (py <= ymax + tol)
    )
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    gx, gy = grad_fn(px, py)
    hxx, hxy, hyy = hessian_fn(px, py)
    lam_max = np.abs(_eigen_max(hxx, hxy, hyy))
    lam_min = _eigen_min(hxx, hxy, hyy)
    # A vanishing gradient: tiny against the slope the grid shows, spread / size.
    flat = np.hypot(gx, gy) <= 1e-8 * max(spread / size, 1e-300)
    strict = lam_min > 1e-8 * np.maximum(lam_max, 1e-300)
    here = value_fn(px, py)
    angles = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
    r = 1e-3 * size
    ring = np.stack([value_fn(px + r * np.cos(a), py + r * np.sin(a)) for a in angles])
    higher = np.all(ring - here > 1e-12 * max(spread, 1e-300), axis=0)
    return inside & np.isfinite(here) & flat & (strict | higher)


def _default_start(
    xs: np.ndarray, ys: np.ndarray, values: np.ndarray, minima: tuple[Minimum, ...]
) -> tuple[float, float]:
    """A grid point well inside the bounds, far from every minimum, fairly high up.

    Among the points of the inner 80 % of the box that are finite and at least a third
    of the diagonal from every minimum (or the farthest third, if none is that far), the
    one whose J is nearest the 75th percentile: high enough for a visible descent, not a
    far corner where the gradient is huge.
    """
    gx, gy = np.meshgrid(xs, ys)
    span_x, span_y = xs[-1] - xs[0], ys[-1] - ys[0]
    inner = (
        (gx >= xs[0] + 0.1 * span_x)
        & (gx <= xs[-1] - 0.1 * span_x)
        & (gy >= ys[0] + 0.1 * span_y)
        & (gy <= ys[-1] - 0.1 * span_y)
        & np.isfinite(values)
    )
    if not inner.any():
        return (float(xs[len(xs) // 4]), float(ys[len(ys) // 4]))
    if minima:
        points = np.array([m.point for m in minima])
        dist = np.min(np.hypot(gx[..., None] - points[:, 0], gy[..., None] - points[:, 1]), -1)
        far = inner & (dist >= np.hypot(span_x, span_y) / 3)
        if not far.any():
            far = inner & (dist >= np.quantile(dist[inner], 2 / 3))
    else:
        far = inner
    candidates = np.argwhere(far)
    j = values[far]
    target = np.quantile(j, 0.75)
    row, col = candidates[int(np.argmin(np.abs(j - target)))]
    return (float(xs[col]), float(ys[row]))


def _default_lr(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> float:
    """α = 1/λmax, the largest Hessian eigenvalue over the grid, clipped to [1e-5, 1].

    Below 2/λmax plain gradient descent is stable everywhere on the map, so the default
    run does not diverge; with momentum γ = 0.9 the limit is 3.8/λmax, a safe margin.
    """
    lam = _eigen_max(hxx, hxy, hyy)
    lam = lam[np.isfinite(lam)]
    lam_max = float(lam.max()) if lam.size else 0.0
    if lam_max <= 0.0:
        return 1.0
    return float(np.clip(1.0 / lam_max, 1e-5, 1.0))


# --- The public entry -------------------------------------------------------------------


MIN_RELATIVE_WIDTH = 1e-3


def _checked_bounds(bounds: Any) -> Bounds:
    try:
        (xmin, xmax), (ymin, ymax) = bounds
        xmin, xmax, ymin, ymax = (float(v) for v in (xmin, xmax, ymin, ymax))
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be ((xmin, xmax), (ymin, ymax)) of numbers; got {bounds!r}"
        ) from None
    # Rounded to 6 significant digits: links that differ in the last bits of a bound are
    # the same box, and must not each cost a fresh build (the cache is keyed on bounds).
    xmin, xmax, ymin, ymax = (float(f"{v:.6g}") for v in (xmin, xmax, ymin, ymax))
    for lo, hi, axis in ((xmin, xmax, "x"), (ymin, ymax, "y")):
        if not (-MAX_BOUND <= lo < hi <= MAX_BOUND):
            raise ValueError(
                f"bounds of {axis} must satisfy -{MAX_BOUND:g} <= min < max <= {MAX_BOUND:g}; "
                f"got ({lo:g}, {hi:g})"
            )
        # A box far narrower than where it sits makes "left a box 1000× the bounds" mean
        # nothing (one ordinary step leaves it): the box must be wide for its place.
        if hi - lo < MIN_RELATIVE_WIDTH * max(1.0, abs(lo), abs(hi)):
            raise ValueError(
                f"bounds of {axis} must be at least {MIN_RELATIVE_WIDTH:g} × max(1, |min|, |max|) "
                f"wide; got ({lo:g}, {hi:g})"
            )
    return ((xmin, xmax), (ymin, ymax))


def from_expression(expr: str, bounds: Bounds = DEFAULT_BOUNDS) -> Surface:
    """The :class:`Surface` J(x, y) = ``expr`` on the plotted box ``bounds``.

    ``expr`` uses x, y, numbers, ``+ - * / **``, pi, e and the :data:`FUNCTIONS`, in
    Python syntax (``**`` for powers). The result is cached by ``(expr, bounds)``: the
    app can rebuild it on every rerun for free. Its ``key`` is
    ``("custom", (("expr", expr), ("bounds", bounds)))``, so equal formulas on equal
    bounds are equal surfaces.

    Raises:
        ExpressionError: (a ValueError) for a formula that is refused: its ``column`` and
            ``reason`` say where and why. Refusals are cached too, so a formula that
            takes too long costs the server its time budget only once.
        ValueError: for bounds that are not two finite (min, max) pairs with min < max.

    >>> from_expression("9**9**9")
    Traceback (most recent call last):
      ...
    surfaces.expression.ExpressionError: column 4: an exponent must be a number (at most 10 in size), not a formula in x, y, pi, e or another power; for e**x write exp(x)
    """  # noqa: E501
    outcome = _cached(expr, _checked_bounds(bounds))
    if isinstance(outcome, ExpressionError):
        # A fresh exception each time: re-raising the cached one would grow its traceback.
        raise ExpressionError(outcome.column, outcome.reason)
    return outcome


@lru_cache(maxsize=128)
def _cached(expr: str, bounds: Bounds) -> Surface | ExpressionError:
    try:
        return _surface(expr, bounds)
    except ExpressionError as err:
        err.__traceback__ = None
        return err


def _surface(expr: str, bounds: Bounds) -> Surface:
    _check_text(expr)
    tree = _parse(expr)
    _check_tree(tree)
    _magnitude(tree)
    cost = _hessian_cost(tree)[2]
    if cost > MAX_HESSIAN_COST:
        raise ExpressionError(
            1,
            f"the formula is too costly to differentiate on this server (estimated {cost:,} "
            f"terms in its Hessian; at most {MAX_HESSIAN_COST:,}): use fewer factors or "
            "less nesting",
        )

    import sympy as sp  # imported on first use: most runs of the app never need it

    deadline = _Deadline(TIME_LIMIT)  # after the import, which is paid once per process
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    j = _build(tree, sp, x, y)
    deadline.check("building the formula")
    gx, gy = sp.diff(j, x), sp.diff(j, y)
    deadline.check("the gradient")
    hxx = sp.diff(gx, x)
    deadline.check("the Hessian")
    hxy = sp.diff(gx, y)
    deadline.check("the Hessian")
    hyy = sp.diff(gy, y)
    deadline.check("the Hessian")
    value_fn = _broadcasting(_numpy_function(sp, x, y, [j]), one=True)
    grad_fn = _broadcasting(_numpy_function(sp, x, y, [gx, gy]), one=False)
    hessian_fn = _broadcasting(_numpy_function(sp, x, y, [hxx, hxy, hyy]), one=False)
    deadline.check("compiling to NumPy")

    (xmin, xmax), (ymin, ymax) = bounds
    xs, ys = np.linspace(xmin, xmax, GRID), np.linspace(ymin, ymax, GRID)
    grid_x, grid_y = np.meshgrid(xs, ys)
    try:
        values = value_fn(grid_x, grid_y)
        h = hessian_fn(grid_x, grid_y)
    except (OverflowError, ZeroDivisionError, TypeError) as err:  # pragma: no cover
        raise ExpressionError(1, f"the formula cannot be evaluated with floats: {err}") from None
    if not np.isfinite(values).any():
        raise ExpressionError(1, "J(x, y) is not finite anywhere inside the bounds")
    deadline.check("evaluating the formula")
    minima = _find_minima(value_fn, grad_fn, hessian_fn, bounds, xs, ys, values, deadline)
    deadline.check("locating the minima")

    finite = values[np.isfinite(values)]
    j_min, q10 = float(finite.min()), float(np.quantile(finite, 0.1))
    count = {0: "no minimum", 1: "one minimum"}.get(len(minima), f"{len(minima)} minima")
    return Surface(
        name="custom",
        title=f"J(x, y) = {expr.strip()}",
        latex=f"J(x, y) = {sp.latex(j)}",
        bounds=bounds,
        minima=minima,
        start=_default_start(xs, ys, values, minima),
        lr=_default_lr(*h),
        momentum=DEFAULT_MOMENTUM,
        steps=DEFAULT_STEPS,
        value_fn=value_fn,
        grad_fn=grad_fn,
        hessian_fn=hessian_fn,
        description=f"Your own surface: {count} inside the bounds.",
        # Log-spaced contours when the lowest tenth of the map is a thin sliver of the
        # range of J (a deep narrow valley); linear for wavy surfaces.
        log_scale=bool(float(finite.max()) - j_min > 50.0 * (q10 - j_min)),
        params=(("expr", expr), ("bounds", bounds)),
    )
