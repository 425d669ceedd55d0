"""Optimisation prototypes in the core (reducer, ledger, guardrails, state, evaluation, agenda),
registered in :data:`bench.exp_registry.EXPERIMENTS` on import.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from typing import Any

from bench.exp_registry import Undo, chain, experiment, patch
from duewise import embedded


@experiment("reschedule_skip_closed", "reschedule_all(): skip closed invoices (next_at None)")
def _reschedule_skip_closed() -> Undo:
    schedule = importlib.import_module("engine.schedule")
    step = importlib.import_module("engine.step")

    def reschedule_all(customer: Any, policy: Any, *args: Any, **kwargs: Any) -> None:
        reschedule = schedule.reschedule
        for invoice in customer.invoices.values():
            if invoice.next_at is None and invoice.closed:
                continue  # reschedule would set next_at = None again
            reschedule(customer, invoice, policy, *args, **kwargs)

    return chain(
        patch(schedule, "reschedule_all", reschedule_all),
        patch(step, "reschedule_all", reschedule_all),
    )


@experiment(
    "ledger_credit_check",
    "apply_credit()/allocate(): return early when no money is "
    "unallocated (no sort of every payment, no open_invoices() sort)",
)
def _ledger_credit_check() -> Undo:
    from engine import ledger

    apply_credit, allocate, allocate_to = ledger.apply_credit, ledger.allocate, ledger._allocate_to

    def fast_apply_credit(customer: Any, invoice: Any, at: datetime) -> None:
        if any(p.unallocated_minor > 0 for p in customer.payments.values()):
            apply_credit(customer, invoice, at)

    def fast_allocate(customer: Any, payment: Any, target: Any, at: datetime) -> None:
        if target is not None:
            allocate_to(payment, target, at)
        if payment.unallocated_minor > 0:
            allocate(customer, payment, None, at)

    return chain(
        patch(ledger, "apply_credit", fast_apply_credit), patch(ledger, "allocate", fast_allocate)
    )


@experiment("candidates_cached", "guardrails.candidates(pack): computed once per pack")
def _candidates_cached() -> Undo:
    from engine.guardrails import check

    original = check.candidates
    cache: dict[int, tuple[Any, ...]] = {}

    def candidates(pack: Any) -> tuple[Any, ...]:
        key = id(pack)
        found = cache.get(key)
        if found is None:
            found = cache[key] = original(pack)
        return found

    return patch(check, "candidates", candidates)


@experiment(
    "state_plain_setattr",
    "state models: plain attribute writes (object.__setattr__), a stand-in for slotted dataclasses",
)
def _state_plain_setattr() -> Undo:
    from engine import state

    undos = []
    for name in (
        "CustomerState",
        "InvoiceState",
        "PaymentRecord",
        "ContactRecord",
        "ParkedEvent",
        "Instalment",
    ):
        cls = getattr(state, name, None)
        if cls is not None:
            cls.__setattr__ = object.__setattr__
            undos.append(lambda cls=cls: delattr(cls, "__setattr__"))
    return chain(*undos)


class TieredDict(dict):  # type: ignore[type-arg]
    """A dict whose iteration sees only hot entries; lookups also see the archived (cold) ones.

    A stand-in for keeping closed invoices (and spent payments) out of the per-event loops.
    """

    __slots__ = ("cold",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cold: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            return self.cold[key]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        value = dict.get(self, key, self)
        if value is self:
            return self.cold.get(key, default)
        return value

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.cold

    def archive(self, key: str) -> None:
        self.cold[key] = dict.pop(self, key)


ARCHIVE_AFTER = timedelta(days=60)


def _sweep(state: Any, now: datetime) -> None:
    invoices = state.invoices
    if type(invoices) is dict:
        invoices = state.invoices = TieredDict(invoices)
    payments = state.payments
    if type(payments) is dict:
        payments = state.payments = TieredDict(payments)
    cutoff = now - ARCHIVE_AFTER
    old = [k for k, i in invoices.items() if i.closed and i.closed_at and i.closed_at < cutoff]
    for key in old:
        invoices.archive(key)
    spent = [
        k
        for k, p in payments.items()
        if p.received_at < cutoff
        and p.unallocated_minor <= 0
        and not any(dict.__contains__(invoices, a) for a in p.allocations)
    ]
    for key in spent:
        payments.archive(key)


@experiment(
    "tiered_state",
    "archive invoices closed > 60 days (and their spent payments) out "
    "of the dicts the per-event loops iterate; lookups still find them",
)
def _tiered_state() -> Undo:
    step, advance = embedded.step, embedded.advance
    sweeps: dict[str, int] = {}

    def tiered_step(state: Any, event: Any, ctx: Any) -> Any:
        result = step(state, event, ctx)
        if result.state is not None:
            month = event.occurred_at.month
            if sweeps.get(result.state.customer_id) != month:  # once a month per customer
                sweeps[result.state.customer_id] = month
                _sweep(result.state, event.occurred_at)
        return result

    return chain(patch(embedded, "step", tiered_step), patch(embedded, "advance", advance))


@experiment(
    "intern_blocked_policy",
    "decide: reuse identical frozen BlockedAction/PolicyInfo "
    "objects (lru_cache) instead of validating new ones per decision",
)
def _intern_blocked_policy() -> Undo:
    from functools import lru_cache

    decide = importlib.import_module("engine.decide")
    blocked_cls, policy_cls = decide.BlockedAction, decide.PolicyInfo

    @lru_cache(maxsize=65536)
    def blocked(action: Any, channel: Any, rule: str, detail: str) -> Any:
        return blocked_cls(action=action, channel=channel, rule=rule, detail=detail)

    @lru_cache(maxsize=1024)
    def policy(name: str, arm: str, propensity: float, model_version: Any) -> Any:
        return policy_cls(name=name, arm=arm, propensity=propensity, model_version=model_version)

    def blocked_action(*, action: Any, channel: Any = None, rule: str, detail: str = "") -> Any:
        return blocked(action, channel, rule, detail)

    def policy_info(*, name: str, arm: str, propensity: float, model_version: Any = None) -> Any:
        return policy(name, arm, propensity, model_version)

    return chain(
        patch(decide, "BlockedAction", blocked_action), patch(decide, "PolicyInfo", policy_info)
    )


@experiment(
    "evaluate_per_channel",
    "evaluate(): channel and frequency rules once per channel "
    "(5) instead of once per candidate (23)",
)
def _evaluate_per_channel() -> Undo:
    from dataclasses import replace

    check = importlib.import_module("engine.guardrails.check")
    decide = importlib.import_module("engine.decide")
    evaluate, channel_block, frequency_block = (
        check.evaluate,
        check.channel_block,
        check.frequency_block,
    )
    by_channel: dict[Any, Any] = {}
    by_freq: dict[Any, Any] = {}

    def cached_evaluate(*args: Any) -> Any:
        by_channel.clear()
        by_freq.clear()
        return evaluate(*args)

    def cached_channel(customer: Any, candidate: Any) -> Any:
        key = candidate.channel
        if key not in by_channel:
            by_channel[key] = channel_block(customer, candidate)
        block = by_channel[key]
        return (
            block
            if block is None or block.candidate == candidate
            else replace(block, candidate=candidate)
        )

    def cached_frequency(customer: Any, invoice: Any, candidate: Any, now: Any, pack: Any) -> Any:
        key = candidate.channel
        if key not in by_freq:
            by_freq[key] = frequency_block(customer, invoice, candidate, now, pack)
        block = by_freq[key]
        return (
            block
            if block is None or block.candidate == candidate
            else replace(block, candidate=candidate)
        )

    return chain(
        patch(decide, "evaluate", cached_evaluate),
        patch(check, "channel_block", cached_channel),
        patch(check, "frequency_block", cached_frequency),
    )


@experiment(
    "agenda_dedup",
    "Engine._keep(): push a customer on the agenda heap only when its "
    "wake time changed (not once per event)",
)
def _agenda_dedup() -> Undo:
    keep = embedded.Engine._keep
    dead = embedded.DEAD_LETTER_NOTICES

    def dedup_keep(self: Any, customer_id: str, result: Any) -> None:
        pushed = self.__dict__.setdefault("_bench_pushed", {})
        state = result.state
        if state is not None:
            wake = state.next_wake()
            if wake is not None and pushed.get(customer_id) == wake:
                for notice in result.notices:
                    self.notices[notice.kind] += 1
                    if notice.kind in dead:
                        self.dead_notices.append(notice)
                self.states[customer_id] = state
                return
            pushed[customer_id] = wake
        keep(self, customer_id, result)

    return patch(embedded.Engine, "_keep", dedup_keep)
