"""Loss surfaces for momentum-viz: value, gradient and Hessian, written out analytically.

``SURFACES`` maps each name to its :class:`Surface`, in the order the app lists them;
:func:`get_surface` looks one up; :func:`quadratic` builds other quadratic bowls;
:func:`from_expression` builds one from a formula a user types (parsed safely, never run);
:func:`least_squares` and :func:`logistic` are the data surfaces (:class:`DataSurface`).
"""

from __future__ import annotations

from ._base import Minimum, Surface
from .classic import BEALE, HIMMELBLAU, ROSENBROCK, SIX_HUMP_CAMEL, STYBLINSKI_TANG
from .datasets import DataFileError, DataSurface, least_squares, logistic
from .expression import ExpressionError, from_expression
from .multiwell import MULTIWELL
from .quadratic import DEFAULT_KAPPA, KAPPA_RANGE, QUADRATIC_TITLE, quadratic

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        ROSENBROCK,
        MULTIWELL,
        quadratic(kappa=DEFAULT_KAPPA),
        HIMMELBLAU,
        SIX_HUMP_CAMEL,
        STYBLINSKI_TANG,
        BEALE,
        least_squares(),
        logistic(),
    )
}


def get_surface(name: str) -> Surface:
    """Return the registered surface called ``name``.

    >>> get_surface("rosenbrock").minima[0].point
    (1.0, 1.0)
    """
    try:
        return SURFACES[name]
    except (KeyError, TypeError):
        valid = ", ".join(SURFACES)
        raise ValueError(f"surface must be one of {valid}; got {name!r}") from None


__all__ = [
    "DEFAULT_KAPPA",
    "KAPPA_RANGE",
    "QUADRATIC_TITLE",
    "SURFACES",
    "DataFileError",
    "DataSurface",
    "ExpressionError",
    "Minimum",
    "Surface",
    "from_expression",
    "get_surface",
    "least_squares",
    "logistic",
    "quadratic",
]
