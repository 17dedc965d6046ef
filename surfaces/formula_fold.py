r"""Constants folded: every part of a checked formula without x and y becomes one float.

SymPy computes exact constants to arbitrary precision and cannot be interrupted:
``sin(exp(999999))`` or ``sqrt(sin(exp(exp(exp(3)))))`` hang it for minutes. So before
SymPy sees a tree, each subtree without x and y, such as ``exp(exp(exp(3)))`` or
``pi**3 - sin(2)``, is computed here with :mod:`math` (microseconds) and refused, with its
column, when it is undefined, not real, not finite or beyond 1e300. After folding, the
only numbers left are floats, small integer literals and the exact exponents.

>>> ast.unparse(checked_tree("2*pi*x + exp(1)"))
'6.283185307179586 * x + 2.718281828459045'
>>> checked_tree("sin(exp(999999)) + x")
Traceback (most recent call last):
  ...
surfaces.formula_parser.ExpressionError: column 5: exp(999999) is too large to compute (beyond 1e300)
"""  # noqa: E501

from __future__ import annotations

import ast
import math
from collections.abc import Callable

from .formula_parser import (
    CONSTANTS,
    MAX_CONSTANT,
    MAX_DECADES,
    MAX_HESSIAN_COST,
    VARIABLES,
    ExpressionError,
    arithmetic,
    column_of,
    exponent_value,
    hessian_cost,
    parse_checked,
)

# Each function with the plain float it folds to. math raises ValueError outside the
# domain (log(0), sqrt(-1)) and OverflowError beyond float range (exp(1000)).
_MATH: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "atan": math.atan,
}


def _has_variable(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Name) and n.id in VARIABLES for n in ast.walk(node))


def _constant_value(node: ast.expr) -> float:
    """The float value of a checked subtree without x and y, computed with :mod:`math`.

    Raises an :class:`ExpressionError` at the first part that is undefined, not real,
    not finite or beyond :data:`MAX_CONSTANT`, in words a student reads.
    """
    text = ast.unparse(node)
    try:
        value = _constant_step(node)
    except ZeroDivisionError:
        raise ExpressionError(column_of(node), f"{text}: division by zero") from None
    except OverflowError:
        raise ExpressionError(
            column_of(node), f"{text} is too large to compute (beyond 1e{MAX_DECADES})"
        ) from None
    except ValueError as err:
        if isinstance(err, ExpressionError):
            raise
        raise ExpressionError(column_of(node), f"{text} is not real (outside its domain)") from None
    if not math.isfinite(value) or abs(value) > MAX_CONSTANT:
        raise ExpressionError(
            column_of(node), f"{text} is too large to compute (beyond 1e{MAX_DECADES})"
        )
    return value


def _constant_step(node: ast.expr) -> float:
    """One node of :func:`_constant_value`; each part is checked by its caller's caller."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return math.pi if node.id == "pi" else math.e
    if isinstance(node, ast.UnaryOp):
        inner = _constant_value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        inner = _constant_value(node.args[0])
        if name == "log" and inner == 0.0:
            raise ExpressionError(column_of(node), f"{ast.unparse(node)} is not finite (log of 0)")
        return _MATH[name](inner)
    assert isinstance(node, ast.BinOp)
    left = _constant_value(node.left)
    if isinstance(node.op, ast.Pow):
        exponent = float(exponent_value(node.right))
        if left == 0.0 and exponent < 0:
            raise ZeroDivisionError
        return math.pow(left, exponent)
    return arithmetic(node, left, _constant_value(node.right), "division by zero")


def fold_constants(node: ast.expr) -> ast.expr:
    """A copy of a checked tree whose subtrees without x and y are float literals.

    A literal stays as it is (``2`` stays an exact integer for SymPy) and so do the
    exponents of powers (``x**(1/3)`` keeps its exact third); every other constant
    subtree becomes :func:`_constant_value`. Only called on checked trees.
    """
    if isinstance(node, ast.Constant | ast.Name) and not (
        isinstance(node, ast.Name) and node.id in CONSTANTS
    ):
        return node
    if not _has_variable(node):
        folded = ast.Constant(_constant_value(node))
        return ast.copy_location(folded, node)
    if isinstance(node, ast.UnaryOp):
        return ast.copy_location(ast.UnaryOp(node.op, fold_constants(node.operand)), node)
    if isinstance(node, ast.Call):
        call = ast.Call(node.func, [fold_constants(node.args[0])], [])
        return ast.copy_location(call, node)
    assert isinstance(node, ast.BinOp)
    right = node.right if isinstance(node.op, ast.Pow) else fold_constants(node.right)
    return ast.copy_location(ast.BinOp(fold_constants(node.left), node.op, right), node)


def checked_tree(expr: str) -> ast.expr:
    """The checked tree of ``expr`` with its constants folded, ready for SymPy.

    Raises:
        ExpressionError: for a formula refused by :func:`parse_checked`, a constant that
            is undefined or too large, or a formula too costly to differentiate.
    """
    tree = fold_constants(parse_checked(expr))
    cost = hessian_cost(tree)[2]
    if cost > MAX_HESSIAN_COST:
        raise ExpressionError(
            1,
            f"the formula is too costly to differentiate on this server (estimated {cost:,} "
            f"terms in its Hessian; at most {MAX_HESSIAN_COST:,}): use fewer factors or "
            "less nesting",
        )
    return tree
