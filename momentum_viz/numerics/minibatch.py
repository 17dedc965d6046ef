r"""Mini-batches on a data surface: which examples each step's gradient averages.

Two processes, both drawn from a seed and shared by every method and every run that uses
that seed (common random numbers, as the Gaussian noise is):

* ``"independent"`` (the default): every step draws b of the N examples *without
  replacement*, independently of every other step. This is the process the noise-floor
  theory assumes (:mod:`.noise_floor`): the mini-batch gradient is unbiased with
  covariance :math:`\frac{N-b}{b(N-1)}\,\Sigma` (Σ the per-example covariance).
* ``"epoch"``: the examples are shuffled once per epoch and dealt out in consecutive
  batches of b (the last N mod b examples of each shuffle are dropped, as PyTorch's
  ``DataLoader(drop_last=True)`` does), so the batches of an epoch are disjoint. Its noise
  floor is lower than the independent one; the theory's prediction is not claimed for it.

With b = N both are the full data; :func:`~.optimizer.simulate` then takes the full-batch
gradient itself, so its run equals ``batch_size=None`` bit for bit.

The draw: a random key per example (``numpy.random.default_rng((seed, BATCH_STREAM))``,
``random()``), the batch is the b examples with the smallest keys, in increasing key order
(epoch: all N in increasing key order, per epoch). The stream differs from the Gaussian
noise's (``default_rng(seed)``), so adding σ does not change the batches. Keys are drawn
for a slice of steps at a time, so memory is the (steps, b) index table plus a bounded
slice of keys, never a steps × N table.

>>> batch_indices(5, 2, steps=3, seed=0).tolist()
[[2, 0], [0, 1], [0, 3]]
>>> batch_indices(4, 2, steps=4, seed=0, batches="epoch").tolist()
[[2, 0], [1, 3], [1, 2], [3, 0]]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from surfaces import DataSurface, Surface

from .validation import check_steps, check_whole, reject

__all__ = ["BATCH_MODES", "BATCH_STREAM", "BatchMode", "batch_indices", "check_batching"]

BATCH_MODES = ("independent", "epoch")
BatchMode = Literal["independent", "epoch"]

#: The second word of the batch generator's seed, (seed, BATCH_STREAM): a stream apart
#: from the Gaussian noise's ``default_rng(seed)``.
BATCH_STREAM = 0xBA7C4

# Keys are drawn for at most this many (step, example) pairs at a time (8 MB).
_KEYS_PER_SLICE = 1 << 20


def check_batching(surface: Surface, batch_size: object, batches: object) -> int | None:
    """The batch size b to draw, or None for the full data (also for b = N).

    ValueError, naming the parameter, its value and the allowed range, for a batch size
    on a surface that has no data, one outside 1…N, or an unknown ``batches``.
    """
    if batches not in BATCH_MODES:
        raise reject("batches", f"one of {', '.join(BATCH_MODES)}", batches)
    if batch_size is None:
        return None
    if not isinstance(surface, DataSurface):
        raise reject(
            "batch_size", f"None on the surface {surface.name!r}, which has no data", batch_size
        )
    size = check_whole("batch_size", batch_size, 1, surface.n_examples)
    return None if size == surface.n_examples else size


def batch_indices(
    n_examples: int,
    batch_size: int,
    *,
    steps: int,
    seed: int,
    batches: BatchMode = "independent",
) -> np.ndarray:
    """The examples of every step's mini-batch: an int array of shape (steps, batch_size)."""
    n = check_whole("n_examples", n_examples, 1)
    b = check_whole("batch_size", batch_size, 1, n)
    steps = check_steps(steps)
    if batches not in BATCH_MODES:
        raise reject("batches", f"one of {', '.join(BATCH_MODES)}", batches)
    rng = np.random.default_rng((seed, BATCH_STREAM))
    dtype = np.int32 if n < 2**31 else np.int64
    if batches == "epoch":
        per_epoch = n // b
        epochs = -(-steps // per_epoch)
        table = np.empty((epochs * per_epoch, b), dtype=dtype)
        for epoch in range(epochs):
            order = np.argsort(rng.random(n), kind="stable")
            rows = slice(epoch * per_epoch, (epoch + 1) * per_epoch)
            table[rows] = order[: per_epoch * b].reshape(per_epoch, b)
        return table[:steps]
    table = np.empty((steps, b), dtype=dtype)
    per_slice = max(1, _KEYS_PER_SLICE // n)
    for lo in range(0, steps, per_slice):
        hi = min(steps, lo + per_slice)
        keys = rng.random((hi - lo, n))
        # The b smallest keys of each row (argpartition's set is unique), then in key order.
        smallest = (
            np.argpartition(keys, b - 1, axis=1)[:, :b] if b < n else np.argsort(keys, axis=1)
        )
        order = np.argsort(np.take_along_axis(keys, smallest, axis=1), axis=1, kind="stable")
        table[lo:hi] = np.take_along_axis(smallest, order, axis=1)
    return table
