r"""The anatomy of one step: what the move from θ_t to θ_{t+1} is made of.

With the conventions of :mod:`.optimizer` (:math:`v_0 = 0`),

.. math::

    \underbrace{\theta_{t+1} - \theta_t}_{\text{move}} = -v_{t+1}
    = \underbrace{-\gamma v_t}_{\text{carried velocity}}
    + \underbrace{-\alpha \nabla J(g_t)}_{\text{gradient step}},

where :math:`g_t = \theta_t` for heavy ball and SGD (γ = 0, so nothing is carried) and
:math:`g_t = \theta_t - \gamma v_t`, the *look-ahead point*, for Nesterov: the carried
velocity takes θ_t to the look-ahead point, and the gradient step is taken from there.

:func:`step_anatomy` reads θ_t, v_t and v_{t+1} from a :class:`.optimizer.Run` and
evaluates the gradient itself, so the two parts are computed independently of the move
they add up to (the tests check the sum against the run). With gradient noise, or at the
step where a run left the divergence box (the runner then stops it), the parts do not add
up to the move: :attr:`StepAnatomy.rest` holds the difference.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surfaces import Surface

from .optimizer import Run
from .validation import Method, check_method, check_surface, reject

__all__ = ["StepAnatomy", "step_anatomy"]


class StepAnatomy(NamedTuple):
    """The parts of the step from θ_t to θ_{t+1} (each a float array of shape (2,)).

    Attributes:
        method: "sgd", "momentum" or "nesterov".
        step: t.
        point: θ_t, where the step starts.
        gradient_at: g_t, where the gradient is taken: θ_t, or the look-ahead point
            θ_t − γ v_t for Nesterov.
        gradient: ∇J(g_t).
        gradient_step: −α ∇J(g_t), a displacement.
        carried: −γ v_t, the velocity carried over from the last step, as a displacement
            (zero for SGD and at step 0).
        move: θ_{t+1} − θ_t = −v_{t+1}, as the run took it.
        rest: move − carried − gradient_step: zero (to rounding) for a noise-free run,
            the noise's share of the step otherwise, and the cancelled step where a run
            diverged.
    """

    method: str
    step: int
    point: np.ndarray
    gradient_at: np.ndarray
    gradient: np.ndarray
    gradient_step: np.ndarray
    carried: np.ndarray
    move: np.ndarray
    rest: np.ndarray

    @property
    def lookahead(self) -> np.ndarray | None:
        """The look-ahead point θ_t − γ v_t for Nesterov, None for the other methods."""
        return self.gradient_at if self.method == "nesterov" else None


def step_anatomy(
    surface: Surface | str,
    run: Run,
    method: Method,
    step: int,
    *,
    lr: float,
    momentum: float,
) -> StepAnatomy:
    """Split the step from θ_t to θ_{t+1} (t = ``step``) of a single ``run`` into its parts.

    ``run`` is an unbatched run recorded with record="path" of ``method`` with these
    ``lr`` and ``momentum`` (SGD ignores ``momentum``); ``step`` is 0 … run.steps − 1.

    >>> from momentum_viz.numerics.optimizer import simulate
    >>> run = simulate("quadratic", "nesterov", (2.0, 1.0), lr=0.1, momentum=0.9, steps=5)
    >>> a = step_anatomy("quadratic", run, "nesterov", 2, lr=0.1, momentum=0.9)
    >>> bool(np.allclose(a.carried + a.gradient_step, a.move))
    True
    >>> bool(np.allclose(a.move, run.positions[3] - run.positions[2]))
    True
    """
    surface = check_surface(surface)
    method = check_method(method)
    if run.positions.ndim != 2 or len(run.positions) != run.steps + 1:
        raise reject("run", "a single run recorded with record='path'", run.positions.shape)
    if isinstance(step, bool) or not isinstance(step, int | np.integer):
        raise reject("step", "an integer", step)
    if not 0 <= step < run.steps:
        raise reject("step", f"a step in [0, {run.steps - 1}]", step)
    gamma = 0.0 if method == "sgd" else float(momentum)
    theta = np.array(run.positions[step], dtype=float)
    velocity = np.array(run.velocities[step], dtype=float)
    carried = -gamma * velocity
    at = theta + carried if method == "nesterov" else theta.copy()
    with np.errstate(all="ignore"):  # a diverging run may overflow; its numbers say so
        gradient = np.asarray(surface.grad(at), dtype=float)
        gradient_step = -float(lr) * gradient
        move = -np.array(run.velocities[step + 1], dtype=float)
        rest = move - (carried + gradient_step)
    return StepAnatomy(
        method=method,
        step=int(step),
        point=theta,
        gradient_at=at,
        gradient=gradient,
        gradient_step=gradient_step,
        carried=carried,
        move=move,
        rest=rest,
    )
