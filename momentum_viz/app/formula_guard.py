"""A custom formula that fails while the page is drawn becomes a refusal with a note.

The formula worker refuses what it cannot build, but a surface it accepts may still fail
in a picture (a value NumPy cannot place, a figure library's edge case). Such a failure
must not replace a student's page with a traceback on every rerun: the formula is
refused from then on (on its text, as the worker's refusals are), and the page reruns on
the default surface with a note that quotes the formula as code.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from surfaces.expression import refuse_formula

from . import state
from .settings import CUSTOM, Settings, echo

# The note for the next run, left by a run whose drawing failed.
_FAILED = "_formula_failed"
# The surface shown instead (the address bar's own fallback for a refused formula).
FALLBACK_SURFACE = "rosenbrock"


def recover_from_failed_formula() -> list[str]:
    """Before any widget: after a run that could not draw its formula, switch to the
    fallback surface. Returns the note to show (none on an ordinary run)."""
    note = st.session_state.pop(_FAILED, None)
    if note is None:
        return []
    state.fall_back_to(FALLBACK_SURFACE)
    return [note]


def draw_or_refuse(settings: Settings, draw: Callable[[], None]) -> None:
    """Run ``draw``; if it raises while a custom formula is shown, refuse the formula
    and rerun (Streamlit's own rerun and stop signals are not exceptions and pass)."""
    try:
        draw()
    except Exception as err:
        if settings.surface != CUSTOM:
            raise
        reason = f"it could not be drawn ({type(err).__name__}); try another form"
        refuse_formula(settings.expr, reason)
        st.session_state[state.ERROR] = f"column 1: {reason}"
        st.session_state[_FAILED] = (
            f"expr = {echo(settings.expr)} is refused: column 1: {reason}. "
            f"Showing {FALLBACK_SURFACE}."
        )
        st.rerun()
