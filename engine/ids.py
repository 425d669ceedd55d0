"""Deterministic identities: decision ids, payment references, stable hashes and seeded RNGs.

A replayed event must reproduce the same decision id, and a payment must lead back to the
decision that asked for it; both are pure functions of the invoice and its dunning step. Random
draws are seeded per decision, so the result does not depend on which worker or in what order
customers were processed.
"""

from __future__ import annotations

import hashlib
import random

_WAIT_TAG = "w"


def decision_id(invoice_id: str, step: int, point: int, actionable: bool) -> str:
    """``INV/STEP`` for an action, ``INV/STEP/wPOINT`` for a wait at decision point ``POINT``.

    At most one action exists per dunning step, so an action's id depends on the step alone;
    waits are numbered by decision point so every one of them is recorded under its own id.
    """
    if actionable:
        return f"{invoice_id}/{step}"
    return f"{invoice_id}/{step}/{_WAIT_TAG}{point}"


def payment_reference(invoice_id: str, step: int) -> str:
    """The reference a debtor quotes when paying after the step-th action: ``INV.STEP``."""
    return f"{invoice_id}.{step}"


def parse_payment_reference(reference: str) -> tuple[str, int] | None:
    """``(invoice id, step)`` of a reference made by :func:`payment_reference`, else ``None``."""
    head, sep, tail = reference.rpartition(".")
    if sep and head and tail.isdigit():
        return head, int(tail)
    return None


def stable_unit(*parts: object) -> float:
    """A number in [0, 1) from a hash of ``parts``; the same on every machine and run."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class _SeededOnFirstDraw(random.Random):
    """A :class:`random.Random` that hashes its parts and seeds itself at its first draw.

    Why. Hashing the parts and seeding a Mersenne Twister cost ~6 us, a twentieth of a timer
    release, at every decision point, and the ladder never draws. Every draw of
    :class:`random.Random` goes through :meth:`random` or :meth:`getrandbits` (its
    ``_randbelow`` too), so the draws are exactly those of ``Random(seed)`` made at once.
    """

    def __init__(self, parts: tuple[object, ...]) -> None:
        # no super().__init__(): that is the seeding this defers
        self._parts: tuple[object, ...] | None = parts
        self.gauss_next = None

    def _seed_now(self) -> None:
        parts, self._parts = self._parts, None
        if parts is not None:
            digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8)
            super().seed(int.from_bytes(digest.digest(), "big"))

    def seed(
        self, a: int | float | str | bytes | bytearray | None = None, version: int = 2
    ) -> None:
        """Seed explicitly, as :meth:`random.Random.seed` (the deferred seed is dropped)."""
        self._parts = None
        super().seed(a, version)

    def random(self) -> float:
        """The next float in [0, 1)."""
        self._seed_now()
        return super().random()

    def getrandbits(self, k: int, /) -> int:
        """An int with ``k`` random bits."""
        self._seed_now()
        return super().getrandbits(k)

    def getstate(self) -> tuple[object, ...]:
        """The generator's state, seeded first."""
        self._seed_now()
        return super().getstate()

    def setstate(self, state: tuple[object, ...]) -> None:
        """Restore a state (the deferred seed is dropped)."""
        self._parts = None
        super().setstate(state)


def seeded_rng(seed: int, *parts: object) -> random.Random:
    """A private RNG for one decision, independent of processing order (seeded from a hash of
    ``seed`` and ``parts`` at its first draw)."""
    return _SeededOnFirstDraw((seed, *parts))
