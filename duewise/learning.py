"""The learner loop: resolved outcomes in, a payment model and a churn model out, published to
the deciders' :class:`~engine.valuation.ModelHandle` under a deterministic version.

Learning is global, deciding is local (DESIGN.md): deciders emit outcomes, one learner consumes
them and publishes models. In embedded mode it is this object, fed by ``Engine.on_outcomes`` as
soon as the core emits outcomes, so a run on the same log with the same seed learns, publishes
and decides exactly the same.

What it learns. Two :class:`models.BootstrapUplift`, one per clock, each weighting an example
by the inverse of its logged propensity:

* ``pay``: the **share** of the amount due paid within the horizon. Invoices differ in amount
  (199 to over 1,000 SEK); a share is comparable across them and the policy multiplies it back
  by the amount due, which a linear model of SEK could only do with an interaction per feature.
* ``churn``: whether the customer left within the long window (0/1).

Decision points where only waiting was possible (a hold, every channel capped) are skipped:
they say nothing about a choice, and would teach the wait arm what holds look like.

Why early labels wait. An outcome resolves early when the invoice is paid or the customer
leaves; the rest of its cohort resolves only when the window closes. Learned at once, a young
model would see the quick payers of the last 14 days (or the leavers of the last 90) without
the others, and arms that work fast (or drive people away) would look better (or worse) than
they are. So an early label is learned when its window closes, with its cohort; it still leaves
the core early, for whoever else consumes outcomes.

Snapshots are versioned and checksummed (:mod:`models.snapshot`); a corrupt or incompatible one
is refused with :class:`models.SnapshotError` and the models in use are kept.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from engine.valuation import WAIT, ModelHandle
from models import BootstrapUplift, SnapshotError, dump_snapshot, load_snapshot
from models.rls import WeightedRidge
from schemas.outbound import Outcome

_KIND = "duewise-learner/1"


@dataclass(frozen=True)
class LearnerConfig:
    """Bootstrap members, weight clipping, seed; how often to publish; whether early labels
    wait for their cohort; the ridge penalties of the per-arm regressions."""

    n_members: int = 8
    max_weight: float = 20.0
    seed: int = 0
    publish_every: int = 1
    defer_early: bool = True
    l2: float = 1.0
    l2_intercept: float | None = None


class Learner:
    """Two online models, fed with resolved outcomes, published through ``handle``."""

    def __init__(self, config: LearnerConfig | None = None, handle: ModelHandle | None = None):
        self.config = config or LearnerConfig()
        self.handle = handle or ModelHandle()
        self.pay = self._model(0)
        self.churn = self._model(1)
        self.skipped = 0
        self._deferred: list[tuple[datetime, str, Outcome]] = []
        self._clock: datetime | None = None
        self._unpublished = 0
        self.publish()

    def _model(self, offset: int) -> BootstrapUplift:
        c = self.config
        ridge = partial(WeightedRidge, l2=c.l2, l2_intercept=c.l2_intercept)
        return BootstrapUplift(WAIT, c.n_members, c.max_weight, c.seed * 2 + offset, ridge)

    @property
    def version(self) -> str:
        """``p<payment examples>.c<churn examples>``: the same data, the same version."""
        return f"p{self.pay.n_seen}.c{self.churn.n_seen}"

    @property
    def pending(self) -> int:
        """Early labels waiting for their window to close."""
        return len(self._deferred)

    def learn(self, outcomes: Iterable[Outcome]) -> None:
        """Learn resolved outcomes (in the order given), then publish if it is time."""
        for outcome in outcomes:
            if self.config.defer_early and outcome.early:
                heapq.heappush(self._deferred, (outcome.window_end, outcome.outcome_id, outcome))
            else:
                self._learn_one(outcome)
            if self._clock is None or outcome.resolved_at > self._clock:
                self._clock = outcome.resolved_at
            while self._deferred and self._deferred[0][0] <= self._clock:
                self._learn_one(heapq.heappop(self._deferred)[2])
        if self._unpublished >= self.config.publish_every:
            self.publish()

    def _learn_one(self, o: Outcome) -> None:
        propensity = o.policy.propensity
        if len(o.arms) < 2:
            self.skipped += 1
            return
        if o.kind == "payment":
            if o.amount_due_minor <= 0:
                self.skipped += 1
                return
            share = min(max(o.reward * 100.0 / o.amount_due_minor, 0.0), 1.0)
            self.pay.learn_one(o.features, o.arm, share, propensity)
        else:
            self.churn.learn_one(o.features, o.arm, o.reward, propensity)
        self._unpublished += 1

    def publish(self) -> None:
        """Hand the current models to the deciders under the current version.

        Publishing every example (the default) shares the live models: nothing to copy. A
        slower cadence publishes copies, so deciders see a model only as it was published.
        """
        pay, churn = self.pay, self.churn
        if self.config.publish_every > 1:
            pay, churn = copy.deepcopy(pay), copy.deepcopy(churn)
        self.handle.swap(pay, churn, self.version)
        self._unpublished = 0

    # -- snapshots ----------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """All learner state (both models, labels waiting for their cohort) as one snapshot."""
        state = {
            "kind": _KIND,
            "pay": self.pay,
            "churn": self.churn,
            "deferred": list(self._deferred),
            "clock": self._clock,
            "skipped": self.skipped,
        }
        meta = {"payment_examples": self.pay.n_seen, "churn_examples": self.churn.n_seen}
        return dump_snapshot(state, self.version, meta)

    def restore(self, blob: bytes) -> str:
        """Load a snapshot made by :meth:`snapshot` and publish it; return its version.

        Raises :class:`models.SnapshotError` (and keeps the models in use) when the snapshot
        is corrupt, truncated, of another format, or not a learner's.
        """
        loaded = load_snapshot(blob)
        state: Any = loaded.model
        if not isinstance(state, dict) or state.get("kind") != _KIND:
            raise SnapshotError(f"snapshot {loaded.version} is not a duewise learner's")
        pay, churn = state.get("pay"), state.get("churn")
        if not isinstance(pay, BootstrapUplift) or not isinstance(churn, BootstrapUplift):
            raise SnapshotError(f"snapshot {loaded.version} lacks its models")
        self.pay, self.churn = pay, churn
        self._deferred = list(state.get("deferred", []))
        heapq.heapify(self._deferred)
        self._clock = state.get("clock")
        self.skipped = int(state.get("skipped", 0))
        self.publish()
        return loaded.version
