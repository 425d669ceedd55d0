"""Common random numbers: every latent draw is a pure function of the seed and what it is for.

A uniform is the hash of ``(seed, *key)``, not the next number of a shared generator. So the
draw that decides whether customer 17 answers an SMS at the second step of invoice X is the same
in every run with that seed, whatever the policy did to other customers or in what order the
world asked for it. That is what makes outcomes a deterministic function of the treatment
sequence, and counterfactuals ("the same history minus the escalation") exact.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_SCALE = 2.0**-64


def unit(seed: int, *key: object) -> float:
    """A uniform number in [0, 1) determined by ``seed`` and ``key`` alone.

    >>> unit(1, "cust-1", "churn") == unit(1, "cust-1", "churn")
    True
    >>> 0.0 <= unit(1, "x") < 1.0
    True
    """
    text = "\x1f".join(map(str, (seed, *key))).encode()
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return int.from_bytes(digest, "big") * _SCALE


def between(u: float, low: float, high: float) -> float:
    """Map a uniform onto ``[low, high)``."""
    return low + (high - low) * u


def exponential(u: float) -> float:
    """An Exp(1) variate from a uniform (the threshold a cumulative hazard must reach)."""
    return -math.log1p(-u)


def pick(u: float, weighted: Sequence[tuple[T, float]]) -> T:
    """The item a uniform falls on when the weights are laid end to end (weights need not sum
    to one: they are normalised)."""
    total = sum(w for _, w in weighted)
    mark = u * total
    for item, weight in weighted:
        mark -= weight
        if mark < 0:
            return item
    return weighted[-1][0]
