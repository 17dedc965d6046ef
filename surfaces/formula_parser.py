r"""The whitelist parser of a formula a student types: text in, a checked, folded tree out.

The text comes from the public classroom server, so it is treated as hostile:

* It is **never evaluated as Python**. No ``eval``, ``exec``, ``compile``-and-run,
  ``sympy.sympify`` or ``sympy.parse_expr`` (the last two call ``eval``). :func:`ast.parse`
  in ``"eval"`` mode only builds a syntax tree; nothing in it runs.
* The tree must use only a **whitelist**: int and float literals, the names ``x``, ``y``,
  ``pi`` and ``e``, the operators ``+ - * / **`` and unary ``+ -``, and one-argument calls
  of :data:`FUNCTIONS`. Anything else (attribute access, subscripts, lambdas,
  comprehensions, strings, keyword arguments, comparisons, unknown names, ...) is refused
  with its column and what it is.
* **Everything is bounded**: the length (:data:`MAX_LENGTH`), the characters (printable
  ASCII: look-alike letters such as the Cyrillic 'х' are refused, and named), the tree's
  depth and size, the literals, and the exponents: an exponent must be a plain number, at
  most :data:`MAX_EXPONENT` in size, and the exact numbers powers of powers can build stay
  below 1e300 (:data:`MAX_DECADES`). The cost of differentiating is estimated in advance
  (:data:`MAX_HESSIAN_COST`).
* Constants are folded to floats by :mod:`.formula_fold` before SymPy sees the tree.

>>> ast.unparse(parse_checked("2*pi*x + exp(1)"))
'2 * pi * x + exp(1)'
>>> parse_checked("x.__class__")
Traceback (most recent call last):
  ...
surfaces.formula_parser.ExpressionError: column 2: attribute access (.__class__) is not allowed
"""

from __future__ import annotations

import ast
import math
import unicodedata
from fractions import Fraction
from typing import TypeVar

from .syntax_hints import syntax_hint

#: Longest accepted expression, in characters. Checked before parsing, so a 10 KB paste
#: costs nothing; 300 characters are enough for every surface of the app written out.
MAX_LENGTH = 300
#: Deepest accepted syntax tree. Chains of + − (or of * /) count as one level, as SymPy
#: flattens them; depth is what makes differentiation grow (sin(sin(sin(...)))).
MAX_DEPTH = 30
#: Most syntax-tree nodes (numbers, names, operators, calls).
MAX_NODES = 200
#: Largest estimated size of the Hessian's formulas (see :func:`hessian_cost`). SymPy
#: takes about 30 µs per unit here, so this is ~0.3 s: a product of 30 factors is refused
#: in advance instead of running into the worker's CPU limit.
MAX_HESSIAN_COST = 10_000
#: Largest literal number, in absolute value. Loss surfaces need no larger coefficients,
#: and with the exponent bounds it keeps every constant SymPy folds inside float range.
MAX_LITERAL = 1e6
#: Largest exponent of a power, in absolute value (x**10, x**-2, x**0.5, x**(1/3)).
MAX_EXPONENT = 10
#: Largest size, in decades, that numbers built from the literals can reach (see
#: :func:`_magnitude`): beyond 1e300, NumPy could not even convert them to floats, and
#: SymPy's exact arithmetic would grow without end (9**9**9 has 369 million digits).
MAX_DECADES = 300
#: Largest folded constant, in absolute value: the same 1e300 as :data:`MAX_DECADES`.
MAX_CONSTANT = 10.0**MAX_DECADES

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
VARIABLES = ("x", "y")
CONSTANTS = ("pi", "e")
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


_Number = TypeVar("_Number", Fraction, float)


class ExpressionError(ValueError):
    """A formula refused, with the 1-based ``column`` where the problem is and the ``reason``.

    Problems of the whole formula (empty, too slow, no finite value) point at column 1.
    """

    def __init__(self, column: int, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"column {column}: {reason}")


# --- Reading the text ------------------------------------------------------------------


def check_text(expr: str) -> None:
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


def column_of(node: ast.AST) -> int:
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
        return ExpressionError(column_of(node), f"{what} are not allowed; numbers only")
    what = _CONSTRUCTS.get(type(node), type(node).__name__)
    return ExpressionError(column_of(node), f"{what} are not allowed")


def _check_name(node: ast.Name) -> None:
    name = node.id
    if name in VARIABLES or name in CONSTANTS:
        return
    if name in FUNCTIONS:
        raise ExpressionError(column_of(node), f"{name} is a function: call it, as in {name}(x)")
    if name.startswith("__") or name.endswith("__"):
        raise ExpressionError(column_of(node), f"the name {name!r} is not allowed (dunder name)")
    raise ExpressionError(
        column_of(node), f"unknown name {name!r}; use the variables x and y and the constants pi, e"
    )


def _check_literal(node: ast.Constant) -> None:
    if type(node.value) not in (int, float):
        raise _refuse(node)
    if not abs(node.value) <= MAX_LITERAL:  # also refuses inf (1e999)
        raise ExpressionError(
            column_of(node), f"the number {node.value:.6g} is too large; at most {MAX_LITERAL:g}"
        )


def arithmetic(node: ast.BinOp, left: _Number, right: _Number, zero_division: str) -> _Number:
    """``left <op> right`` for the node's + − * /, exact on Fractions and plain on floats.

    The one place both the exponent check (exact) and the constant folder (floats) do
    arithmetic; a zero divisor is refused at the divisor's column with ``zero_division``.
    """
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if right == 0:
        raise ExpressionError(column_of(node.right), zero_division)
    return left / right


def exponent_value(node: ast.expr) -> Fraction | float:
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
            return arithmetic(n, value(n.left), value(n.right), "division by zero in an exponent")
        raise ExpressionError(
            column_of(node),
            f"an exponent must be a number (at most {MAX_EXPONENT} in size), "
            "not a formula in x, y, pi, e or another power; for e**x write exp(x)",
        )

    result = value(node)
    if abs(result) > MAX_EXPONENT:
        raise ExpressionError(
            column_of(node),
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
                column_of(node), f"the formula has more than {MAX_NODES} parts; simplify it"
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                column_of(node), f"the formula is nested more than {MAX_DEPTH} levels deep"
            )
        if isinstance(node, ast.Constant):
            _check_literal(node)
        elif isinstance(node, ast.Name):
            _check_name(node)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                op = "not" if isinstance(node.op, ast.Not) else "~"
                raise ExpressionError(column_of(node), f"the operator {op!r} is not allowed")
            stack.append((node.operand, depth + 1, ""))
        elif isinstance(node, ast.BinOp):
            op = type(node.op)
            if op in _OPERATORS:
                column = getattr(node.left, "end_col_offset", node.col_offset) + 1
                raise ExpressionError(column, f"the operator {_OPERATORS[op]} is not allowed")
            if op is ast.Pow:
                exponent_value(node.right)
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
    surfaces.formula_parser.ExpressionError: column 16: this power can build numbers of about 1e600; at most 1e300
    """  # noqa: E501
    if isinstance(node, ast.Constant):
        return abs(math.log10(abs(node.value))) if node.value else 0.0
    if isinstance(node, ast.Name):
        return 1.0 if node.id in CONSTANTS else 0.0
    if isinstance(node, ast.UnaryOp):
        return _magnitude(node.operand)
    if isinstance(node, ast.Call):
        inner = _magnitude(node.args[0])
        return 0.5 * inner if node.func.id == "sqrt" else inner  # type: ignore[attr-defined]
    assert isinstance(node, ast.BinOp)
    if isinstance(node.op, ast.Pow):
        decades = _magnitude(node.left) * abs(float(exponent_value(node.right)))
        if decades > MAX_DECADES:
            raise ExpressionError(
                column_of(node.right),
                f"this power can build numbers of about 1e{decades:.0f}; at most 1e{MAX_DECADES}",
            )
        return decades
    decades = _magnitude(node.left) + _magnitude(node.right)
    if decades > MAX_DECADES:
        raise ExpressionError(
            column_of(node.right),
            f"the numbers here reach about 1e{decades:.0f}; at most 1e{MAX_DECADES}",
        )
    return decades


def hessian_cost(node: ast.expr) -> tuple[int, int, int]:
    """Estimated sizes (terms) of the formula, of one first and of one second derivative.

    The product rule makes a product of k factors of total size S have first derivatives
    of size ~kS and second ones of size ~k²S; each nested function or power repeats its
    argument in its derivative (sin(f)' = cos(f)·f'), so nesting n deep costs ~n³.
    SymPy's time to differentiate and lambdify follows the third number closely (about
    30 µs per unit here), which lets a too costly formula be refused before SymPy starts.
    Only called on checked trees (whitelisted nodes, bounded depth).

    >>> hessian_cost(ast.parse("(1 - x)**2 + 100*(y - x**2)**2", mode="eval").body)
    (12, 37, 121)
    """
    if isinstance(node, ast.Constant | ast.Name):
        return 1, 1, 1
    if isinstance(node, ast.UnaryOp):
        return hessian_cost(node.operand)
    if isinstance(node, ast.Call) or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
        inner = node.args[0] if isinstance(node, ast.Call) else node.left
        s, d, h = hessian_cost(inner)
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
            parts.append(hessian_cost(n))
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
            else ExpressionError(column_of(node), "only the listed functions can be called")
        )
    name = node.func.id
    if name not in FUNCTIONS:
        dunder = " (dunder name)" if name.startswith("__") or name.endswith("__") else ""
        raise ExpressionError(
            column_of(node),
            f"calls to {name!r}{dunder} are not allowed; functions: {', '.join(FUNCTIONS)}",
        )
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(arg)
    if node.keywords:
        keyword = node.keywords[0]
        label = f"{keyword.arg}=" if keyword.arg else "**"
        raise ExpressionError(
            column_of(keyword), f"{name}() takes no keyword arguments (got {label}...)"
        )
    if len(node.args) != 1:
        raise ExpressionError(
            column_of(node), f"{name}() takes exactly one argument (got {len(node.args)})"
        )


# --- The public entry -------------------------------------------------------------------


def parse_checked(expr: str) -> ast.expr:
    """The syntax tree of ``expr`` as typed, checked against every bound (nothing folded).

    Raises:
        ExpressionError: for text outside the whitelist or its bounds.
    """
    check_text(expr)
    tree = _parse(expr)
    _check_tree(tree)
    _magnitude(tree)
    return tree
