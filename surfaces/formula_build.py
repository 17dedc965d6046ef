"""The symbolic build of a checked formula: SymPy differentiates it, and the value, the
gradient and the Hessian come out as straight-line programs (see :mod:`.formula_program`).

This runs only inside a formula worker process (:mod:`.formula_worker`), whose CPU time
is limited: SymPy cannot be interrupted, and a formula whose derivatives grow without end
must cost that worker its time budget, never the server. Nothing here prints or compiles
code: each SymPy node becomes one instruction of a fixed whitelist, and a node outside it
refuses the formula.

>>> from surfaces.formula_fold import checked_tree
>>> programs = symbolic_programs(checked_tree("x**2 + 3*y"))
>>> programs["value"]
{'ops': [['t0', 'pow', ['x', 2.0]], ['t1', 'mul', [3.0, 'y']], ['t2', 'add', ['t0', 't1']]], 'outputs': ['t2']}
>>> programs["hessian"]
{'ops': [], 'outputs': [2.0, 0.0, 0.0]}
"""  # noqa: E501

from __future__ import annotations

import ast
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .formula_parser import MAX_CONSTANT, MAX_DECADES, ExpressionError, column_of, exponent_value

#: The programs a surface needs, by name, with the expressions each one returns.
PROGRAM_NAMES = ("value", "grad", "hessian")


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


def build_sympy(root: ast.expr, sp: Any, x: Any, y: Any) -> Any:
    """The SymPy expression of a checked, folded tree, built from whitelisted nodes only."""
    functions = _sympy_functions(sp)
    names = {"x": x, "y": y, "pi": sp.pi, "e": sp.E}
    bad = (sp.zoo, sp.oo, -sp.oo, sp.nan)

    def checked(node: ast.expr, value: Any) -> Any:
        # Each subexpression must be real and finite wherever it is defined: 1/(y - y) is
        # zoo, sqrt(-x**2 - 1) may be I. Say so where it happens.
        if value.has(*bad) or value.has(sp.I):
            what = "is not finite (division by zero?)" if value.has(*bad) else "is not real"
            raise ExpressionError(column_of(node), f"{ast.unparse(node)} {what}")
        if value.is_Number and abs(value) > MAX_CONSTANT:
            raise ExpressionError(
                column_of(node), f"a constant here is larger than 1e{MAX_DECADES}"
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
            return checked(node, functions[node.func.id](build(node.args[0])))  # type: ignore[attr-defined]
        assert isinstance(node, ast.BinOp)
        left = build(node.left)
        if isinstance(node.op, ast.Pow):
            exponent = exponent_value(node.right)
            if isinstance(exponent, Fraction):
                power = sp.Rational(exponent.numerator, exponent.denominator)
            else:
                power = sp.Float(exponent)
            return checked(node, sp.Pow(left, power))
        right = build(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise ExpressionError(column_of(node.right), "division by zero")
        if isinstance(node.op, ast.Sub):
            return checked(node, sp.Add(left, -right))
        if isinstance(node.op, ast.Div):
            return checked(node, sp.Mul(left, sp.Pow(right, -1)))
        op = sp.Add if isinstance(node.op, ast.Add) else sp.Mul
        return checked(node, op(left, right))

    return build(root)


def _almost_everywhere(sp: Any, expr: Any) -> Any:
    """``expr`` with the parts that vanish almost everywhere replaced by 0.

    DiracDelta (the second derivative of abs) and the derivative of a step (sign, arg,
    Heaviside: piecewise constant on the reals) are zero except on a set a grid never
    meets; NumPy has no such functions, and the drawing needs none.
    """
    steps = (sp.sign, sp.arg, sp.Heaviside, sp.DiracDelta)
    expr = expr.replace(
        lambda n: isinstance(n, sp.Derivative) and isinstance(n.expr, steps),
        lambda n: sp.Integer(0),
    )
    return expr.replace(sp.DiracDelta, lambda *args: sp.Integer(0))


class _Emitter:
    """Turns SymPy expressions into the instructions of one straight-line program."""

    def __init__(self, sp: Any, x: Any, y: Any) -> None:
        self.sp = sp
        self.names: dict[Any, Any] = {x: "x", y: "y"}
        self.ops: list[list[Any]] = []
        self.unary = {
            sp.sin: "sin",
            sp.cos: "cos",
            sp.tan: "tan",
            sp.exp: "exp",
            sp.log: "log",
            sp.Abs: "abs",
            sp.tanh: "tanh",
            sp.sinh: "sinh",
            sp.cosh: "cosh",
            sp.atan: "atan",
            sp.sign: "sign",
            sp.arg: "arg",
            sp.Heaviside: "heaviside",
        }

    def _new(self, op: str, args: list[Any]) -> str:
        target = f"t{len(self.ops)}"
        self.ops.append([target, op, args])
        return target

    def arg(self, e: Any) -> Any:
        """The token (a name or a float) that holds ``e``, emitting what it needs."""
        sp = self.sp
        if e in self.names:
            return self.names[e]
        if not e.free_symbols:
            value = complex(e)  # exact constants are small here: the parser folded them
            if value.imag:
                raise ExpressionError(1, f"a constant of the derivatives is not real: {value}")
            return value.real
        token = self._node(sp, e)
        self.names[e] = token
        return token

    def _node(self, sp: Any, e: Any) -> Any:
        if isinstance(e, sp.Add | sp.Mul):
            op = "add" if isinstance(e, sp.Add) else "mul"
            return self._new(op, [self.arg(a) for a in e.args])
        if isinstance(e, sp.Pow):
            base, power = e.args
            if power == sp.Rational(1, 2):
                return self._new("sqrt", [self.arg(base)])
            return self._new("pow", [self.arg(base), self.arg(power)])
        if isinstance(e, sp.re):
            return self.arg(e.args[0])  # every number the program meets is real
        if isinstance(e, sp.im):
            return 0.0
        if isinstance(e, sp.atan2):
            return self._new("atan2", [self.arg(a) for a in e.args])
        if e.func in self.unary and len(e.args) == 1:
            return self._new(self.unary[e.func], [self.arg(e.args[0])])
        raise ExpressionError(
            1, f"its derivatives use {e.func.__name__}, which this app cannot compute"
        )


def _program(sp: Any, x: Any, y: Any, exprs: list[Any]) -> dict[str, Any]:
    """One straight-line program computing ``exprs``, their common parts computed once."""
    exprs = [_almost_everywhere(sp, e) for e in exprs]
    replacements, reduced = sp.cse(exprs)
    emitter = _Emitter(sp, x, y)
    for symbol, sub in replacements:
        emitter.names[symbol] = emitter.arg(sub)
    return {"ops": emitter.ops, "outputs": [emitter.arg(e) for e in reduced]}


def symbolic_programs(tree: ast.expr) -> dict[str, dict[str, Any]]:
    """The programs of J, its gradient and its Hessian (hxx, hxy, hyy) for a folded tree.

    Raises:
        ExpressionError: for a part that is not real or finite, or derivatives that use a
            function outside the program's whitelist.
    """
    import sympy as sp  # imported by the worker only: the server never needs SymPy

    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    j = build_sympy(tree, sp, x, y)
    gx, gy = sp.diff(j, x), sp.diff(j, y)
    hxx, hxy, hyy = sp.diff(gx, x), sp.diff(gx, y), sp.diff(gy, y)
    groups = ([j], [gx, gy], [hxx, hxy, hyy])
    return {name: _program(sp, x, y, g) for name, g in zip(PROGRAM_NAMES, groups, strict=True)}
