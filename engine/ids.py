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


def seeded_rng(seed: int, *parts: object) -> random.Random:
    """A private RNG for one decision, independent of processing order."""
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))
