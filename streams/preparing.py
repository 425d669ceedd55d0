"""Making prepared results while the worker is idle: a copy of a customer's state advanced to
its wake, and to its next one too when that comes within :data:`streams.prepare.CHAIN_WITHIN`.
Why, and when such a result is the live release: :mod:`streams.prepare`."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

from engine import EngineContext, advance
from engine.state import CustomerState
from streams.agenda import EPOCH, Agendas
from streams.customers import Customers
from streams.emit import emit
from streams.prepare import CHAIN_WITHIN, Ahead, ModelToken, Prepared, copy_state, model_token
from streams.records import Batch


class Preparer:
    """Prepares the wakes :class:`streams.prepare.Ahead` hands out, from the decider's states
    (copied: nothing live changes), into that store."""

    def __init__(self, customers: Customers, ahead: Ahead, stats: Counter[str]) -> None:
        self.customers = customers
        self.ahead = ahead
        self.stats = stats

    def prepare(
        self, context: EngineContext, agendas: Agendas, limit: int, budget: float | None = None
    ) -> int:
        """Prepare up to ``limit`` of the next wakes under ``context`` (for ``budget`` seconds
        at most, one customer at least); how many were taken up."""
        done = 0
        token = model_token(context.policy)
        deadline = None if budget is None else time.perf_counter() + budget
        while done < limit:
            upcoming = self.ahead.next(agendas)
            if upcoming is None:
                break
            wake, partition, customer_id = upcoming
            self._prepare_one(context, wake, partition, customer_id, token)
            done += 1
            if deadline is not None and time.perf_counter() >= deadline:
                break
        return done

    def _prepare_one(
        self,
        context: EngineContext,
        wake: datetime,
        partition: int,
        customer_id: str,
        token: ModelToken,
    ) -> None:
        """Advance a copy of the customer's state to ``wake`` and keep the result, unless it
        could differ from the live release (see :mod:`streams.prepare`)."""
        copied = self.customers.copy_of(customer_id, partition)
        if copied is None:
            return
        copy, applied = copied
        if copy.next_wake() != wake or (copy.last_event_at or EPOCH) > wake:
            self.stats["prepared_refused"] += 1  # not a state the agenda knows: let it be
            return
        prepared = self._advance_copy(context, copy, wake, partition, customer_id, applied, token)
        if prepared is None:
            return
        after = prepared.after
        if after is not None and after - wake <= CHAIN_WITHIN:  # why: streams.prepare
            then = copy_state(prepared.state)
            prepared.then = self._advance_copy(
                context, then, after, partition, customer_id, dict(applied), token
            )
        self.ahead.keep(customer_id, prepared)

    def _advance_copy(
        self,
        context: EngineContext,
        copy: CustomerState,
        wake: datetime,
        partition: int,
        customer_id: str,
        applied: dict[str, int],
        token: ModelToken,
    ) -> Prepared | None:
        """``copy`` (consumed) advanced to ``wake`` as its release at that time would make
        it, or ``None`` if that release could differ from a live one."""
        result = advance(copy, wake, context)
        if result.notices or result.state is None:
            self.stats["prepared_refused"] += 1  # notices are stamped with the release's clock
            return None
        ready = Batch()
        emit(result, customer_id.encode(), ready, self.stats, wake)
        after = result.state.next_wake()
        return Prepared(wake, partition, result.state, applied, after, token, ready)
