"""Straight-line programs: how a formula's value, gradient and Hessian cross from the worker
process that built them (with SymPy) to the server, and how the server evaluates them.

A program is plain data (JSON): a list of instructions ``[target, op, args]`` and a list
of outputs. ``op`` is one of :data:`OPERATIONS` (NumPy functions); each argument is
``"x"``, ``"y"``, an earlier target ``"t<i>"`` or a float. The server checks a program
against this whitelist (:func:`load_program`) and runs it over NumPy arrays with a loop:
no code is generated, compiled or executed, and SymPy is never imported by the server.

>>> program = load_program({"ops": [["t0", "mul", [2.0, "x"]], ["t1", "add", ["t0", "y"]]],
...                         "outputs": ["t1", 1.0]})
>>> program(np.array([1.0, 2.0]), np.array([0.5, 0.5]))
[array([2.5, 4.5]), 1.0]
>>> load_program({"ops": [["t0", "system", ["x"]]], "outputs": ["t0"]})
Traceback (most recent call last):
  ...
ValueError: program: operation 'system' is not one of the allowed NumPy functions
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: Most instructions in one program. The Hessian of the costliest formula the parser
#: accepts needs a few thousand; beyond this, a program is refused, not run.
MAX_INSTRUCTIONS = 50_000


def _sum(*args: Any) -> Any:
    return functools.reduce(np.add, args)


def _product(*args: Any) -> Any:
    return functools.reduce(np.multiply, args)


#: A whole exponent up to this size is computed by repeated products (see :func:`_power`).
MAX_PRODUCT_EXPONENT = 10


def _power(base: Any, exponent: Any) -> Any:
    """np.power, except for a whole constant exponent e with 1 ≤ |e| ≤ 10: base · base · …
    left to right (then 1 / that for e < 0). NumPy's power differs from the C library's
    in the last bit for some arguments (its own SIMD code); plain products are the same
    bits everywhere, so the compiled evaluator of these programs (momentum_viz/numerics/
    kernel.py), which multiplies the same way, equals this one."""
    whole = isinstance(exponent, float) and exponent.is_integer()
    if not (whole and 1 <= abs(exponent) <= MAX_PRODUCT_EXPONENT):
        return np.power(base, exponent)
    result = base
    for _ in range(int(abs(exponent)) - 1):
        result = np.multiply(result, base)
    return np.divide(1.0, result) if exponent < 0 else result


#: Each operation a program may use, the NumPy function that computes it and its arity
#: (None: any number of arguments, at least one).
OPERATIONS: dict[str, tuple[Callable[..., Any], int | None]] = {
    "add": (_sum, None),
    "mul": (_product, None),
    "pow": (_power, 2),
    "sqrt": (np.sqrt, 1),
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "exp": (np.exp, 1),
    "log": (np.log, 1),
    "abs": (np.abs, 1),
    "tanh": (np.tanh, 1),
    "sinh": (np.sinh, 1),
    "cosh": (np.cosh, 1),
    "atan": (np.arctan, 1),
    "atan2": (np.arctan2, 2),
    "sign": (np.sign, 1),
    # The argument of a real number: pi for a negative one, 0 otherwise (nan stays nan).
    "arg": (np.angle, 1),
    "heaviside": (lambda v: np.heaviside(v, 0.5), 1),
}

# A compiled argument: ("x" | "y" | "t", index) or ("c", float).
_Arg = tuple[str, Any]


def _argument(token: Any, defined: int, where: str) -> _Arg:
    if isinstance(token, bool) or not isinstance(token, str | int | float):
        raise ValueError(f"program: {where}: argument {token!r} is not a name or a number")
    if isinstance(token, int | float):
        return ("c", float(token))
    if token in ("x", "y"):
        return (token, None)
    digits = token[1:]
    ok = token[:1] == "t" and 0 < len(digits) <= 6 and digits.isascii() and digits.isdigit()
    if not ok or int(digits) >= defined:
        raise ValueError(f"program: {where}: {token!r} is not an earlier result")
    return ("t", int(digits))


def _instruction(entry: Any, index: int) -> tuple[Callable[..., Any], list[_Arg]]:
    where = f"instruction {index}"
    if not (isinstance(entry, Sequence) and len(entry) == 3 and entry[0] == f"t{index}"):
        raise ValueError(f"program: {where} is not [t{index}, op, args]")
    _, op, args = entry
    if op not in OPERATIONS:
        raise ValueError(f"program: operation {op!r} is not one of the allowed NumPy functions")
    fn, arity = OPERATIONS[op]
    if not isinstance(args, list) or not args or (arity is not None and len(args) != arity):
        raise ValueError(f"program: {where}: {op} takes {arity or 'some'} arguments")
    return fn, [_argument(a, index, where) for a in args]


class Program:
    """A checked straight-line program; calling it with (x, y) returns its outputs."""

    def __init__(self, code: list[tuple[Callable[..., Any], list[_Arg]]], outputs: list[_Arg]):
        self._code = code
        self._outputs = outputs

    def __len__(self) -> int:
        """The number of instructions: the NumPy calls of one evaluation."""
        return len(self._code)

    def instructions(self) -> tuple[list[tuple[str, list[_Arg]]], list[_Arg]]:
        """The checked instructions as (operation name, arguments) and the outputs: what
        a compiled evaluator of the same program reads (momentum_viz/numerics/kernel.py)."""
        names = {fn: name for name, (fn, _) in OPERATIONS.items()}
        return [(names[fn], list(args)) for fn, args in self._code], list(self._outputs)

    def __call__(self, x: Any, y: Any) -> list[Any]:
        results: list[Any] = []
        coordinates = {"x": x, "y": y}

        def value(arg: _Arg) -> Any:
            kind, what = arg
            if kind == "c":
                return what
            return results[what] if kind == "t" else coordinates[kind]

        for fn, args in self._code:
            results.append(fn(*[value(a) for a in args]))
        return [value(a) for a in self._outputs]


def load_program(data: Any) -> Program:
    """The :class:`Program` of ``data`` after checking every instruction.

    Raises:
        ValueError: naming the first instruction outside the whitelist (an unknown
            operation, a wrong number of arguments, a name not computed before).
    """
    if not isinstance(data, dict) or set(data) != {"ops", "outputs"}:
        raise ValueError("program: expected {'ops': [...], 'outputs': [...]}")
    ops, outputs = data["ops"], data["outputs"]
    if not isinstance(ops, list) or not isinstance(outputs, list) or not outputs:
        raise ValueError("program: 'ops' and 'outputs' must be lists, with an output")
    if len(ops) > MAX_INSTRUCTIONS:
        raise ValueError(
            f"program: {len(ops)} instructions; at most {MAX_INSTRUCTIONS} are allowed"
        )
    code = [_instruction(entry, i) for i, entry in enumerate(ops)]
    return Program(code, [_argument(a, len(ops), "outputs") for a in outputs])


def broadcasting(program: Program, one: bool) -> Callable[..., Any]:
    """A surface function from a program: every output has the broadcast shape of x, y.

    A constant (or a zero derivative) comes out as a float; it is broadcast like the
    others. Overflow and invalid operations give inf and nan quietly, as the built-in
    surfaces do far from their minima.
    """

    def wrapped(x: Any, y: Any) -> Any:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            outs = program(x, y)
        arrays = []
        for out in outs:
            arr = np.empty(shape)
            arr[...] = out
            arrays.append(arr)
        return arrays[0] if one else tuple(arrays)

    wrapped.program = program  # type: ignore[attr-defined]  # read by the compiled kernel
    return wrapped
