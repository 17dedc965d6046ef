"""What a student can do about a formula Python's parser refused, and where.

Python's own messages speak of Python ("invalid decimal literal") and point at column 1
when the text ends too early. The three slips students make most, and what to say:

* the formula stops in the middle (``x**2 + 10*y**``): point at its end, say what it
  ends with;
* a number written against a name (``2x``): "write 2*x";
* a function without parentheses (``sin x``): "write sin(x)"; two terms side by side
  (``x y``): "write x*y".

Only the text is looked at (never run): the parser's error and a few regular expressions.

>>> import ast
>>> def hint(text):
...     try:
...         ast.parse(text, mode="eval")
...     except SyntaxError as err:
...         return syntax_hint(text, err, ("sin", "cos"))
>>> hint("2x + y**2")
(1, 'write 2*x for 2 times x: a number cannot run into a name')
>>> hint("sin x")
(1, 'write sin(x): a function takes its argument in parentheses')
>>> hint("x**2 + 10*y**")
(13, "the formula ends too early, after '**': something is missing at the end")
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["syntax_hint"]

# A number (1, 2.5, .5, 1e3) running straight into a name (x, y, sin, pi).
_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)([A-Za-z_]\w*)")
# The formula's last token: an operator (** first), a word or number, or one character.
_LAST_TOKEN = re.compile(r"(\*\*|[A-Za-z_]\w*|\d+\.?\d*|\S)\s*$")
# The last word or number before a position, and what follows the whitespace after it.
_WORD_BEFORE = re.compile(r"([A-Za-z_]\w*|\d+\.?\d*|\))\s+$")


def syntax_hint(expr: str, err: SyntaxError, functions: Sequence[str]) -> tuple[int, str]:
    """(1-based column, reason) for the ``SyntaxError`` Python raised on ``expr``.

    ``functions`` are the names a formula may call (for "write sin(x)").
    """
    offset = err.offset or 0
    stripped = expr.rstrip()
    # Python points at column 0 (or past the end) when the text stops mid-formula.
    if offset < 1 or offset > len(stripped) or err.msg.startswith("unexpected EOF"):
        if "was never closed" not in err.msg:
            tail = _LAST_TOKEN.search(stripped)
            last = tail.group(1) if tail else stripped
            return len(stripped), (
                f"the formula ends too early, after '{last}': something is missing at the end"
            )
    if "decimal literal" in err.msg:
        match = _NUMBER_THEN_NAME.search(expr, max(0, offset - 12))
        if match:
            number, name = match.groups()
            return match.start() + 1, (
                f"write {number}*{name} for {number} times {name}: a number cannot run into a name"
            )
    if err.msg.startswith("invalid syntax") and 1 <= offset <= len(expr):
        before = _WORD_BEFORE.search(expr[: offset - 1])
        after = re.match(r"[A-Za-z_]\w*|\d+\.?\d*|\(", expr[offset - 1 :])
        if before and after:
            word, nxt = before.group(1), after.group(0)
            if word in functions:
                inner = nxt if nxt != "(" else "..."
                return before.start() + 1, (
                    f"write {word}({inner}): a function takes its argument in parentheses"
                )
            if word == ")":
                return offset, f"two terms side by side: put * before {nxt} for a product"
            return offset, f"two terms side by side: write {word}*{nxt} for a product"
    reason = err.msg
    if "(" in reason and reason.startswith("invalid syntax"):
        reason = "invalid syntax"
    return max(offset, 1), f"syntax error: {reason}"
