r"""The LaTeX of a formula as the student typed it (before any constant is folded).

Printed from the checked syntax tree, in the order it was written: ``exp(1)`` stays
:math:`e^{1}` and ``2*pi*x`` stays :math:`2 \pi x`, not the floats the build uses.

>>> from surfaces.formula_parser import parse_checked
>>> latex_of(parse_checked("(1 - x)**2 + 100*(y - x**2)**2"))
'\\left(1 - x\\right)^{2} + 100 \\left(y - x^{2}\\right)^{2}'
>>> latex_of(parse_checked("sin(x)/sqrt(abs(y) + 1) - -e**2"))
'\\frac{\\sin{\\left(x \\right)}}{\\sqrt{\\left|y\\right| + 1}} - \\left(- e^{2}\\right)'
"""

from __future__ import annotations

import ast

# Binding strength of each kind of node: a child weaker than its place is parenthesized.
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = range(5)

_NAMED = {"sin", "cos", "tan", "log", "tanh", "sinh", "cosh"}


def _number(value: float) -> str:
    text = repr(value)
    short = f"{value:g}"
    if float(short) == value:  # 1e6 reads 10^{6}, not 1000000.0
        text = short
    if "e" in text:
        mantissa, exponent = text.split("e")
        head = "" if mantissa == "1" else f"{mantissa} \\cdot "
        return f"{head}10^{{{int(exponent)}}}"
    return text


def _strength(node: ast.expr) -> int:
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub):
            return _SUM
        if isinstance(node.op, ast.Div):
            return _ATOM  # \frac{...}{...} delimits itself
        return _POWER if isinstance(node.op, ast.Pow) else _PRODUCT
    if isinstance(node, ast.UnaryOp):
        return _UNARY
    if isinstance(node, ast.Constant) and node.value < 0:
        return _UNARY
    return _ATOM


def _wrapped(node: ast.expr, weakest: int) -> str:
    text = latex_of(node)
    return f"\\left({text}\\right)" if _strength(node) < weakest else text


def _call(name: str, inner: str) -> str:
    if name == "sqrt":
        return f"\\sqrt{{{inner}}}"
    if name == "abs":
        return f"\\left|{inner}\\right|"
    if name == "exp":
        return f"e^{{{inner}}}"
    command = f"\\{name}" if name in _NAMED else f"\\operatorname{{{name}}}"
    return f"{command}{{\\left({inner} \\right)}}"


def latex_of(node: ast.expr) -> str:
    """LaTeX of a checked tree (whitelisted nodes only: numbers, names, + - * / **, calls)."""
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.Name):
        return "\\pi" if node.id == "pi" else node.id
    if isinstance(node, ast.UnaryOp):
        sign = "- " if isinstance(node.op, ast.USub) else "+ "
        return sign + _wrapped(node.operand, _UNARY)
    if isinstance(node, ast.Call):
        return _call(node.func.id, latex_of(node.args[0]))  # type: ignore[attr-defined]
    assert isinstance(node, ast.BinOp)
    if isinstance(node.op, ast.Div):
        return f"\\frac{{{latex_of(node.left)}}}{{{latex_of(node.right)}}}"
    if isinstance(node.op, ast.Pow):
        base = node.left
        # Any base but a name or a plain number is parenthesized: sin(x)**2 reads
        # (sin x)^2, and (a/b)**2 must not read as a / b^2.
        text = latex_of(base)
        if _strength(base) < _ATOM or isinstance(base, ast.Call | ast.BinOp):
            text = f"\\left({text}\\right)"
        return f"{text}^{{{latex_of(node.right)}}}"
    if isinstance(node.op, ast.Mult):
        left, right = _wrapped(node.left, _PRODUCT), _wrapped(node.right, _UNARY + 1)
        # A number times something reads as juxtaposition (2 x); two numbers need a dot.
        dot = " \\cdot " if isinstance(node.right, ast.Constant) else " "
        return left + dot + right
    sign = " + " if isinstance(node.op, ast.Add) else " - "
    right_weakest = _SUM if isinstance(node.op, ast.Add) else _PRODUCT
    if isinstance(node.right, ast.UnaryOp):
        right_weakest = _UNARY + 1  # x - (-y), never x - - y
    return _wrapped(node.left, _SUM) + sign + _wrapped(node.right, right_weakest)
