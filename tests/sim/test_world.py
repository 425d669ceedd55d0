"""The world simulator: a deterministic, well-formed event stream and exact counterfactuals.

Most tests share one small ladder run (built once per module). The counterfactual and the
``value_if`` tests drive fresh worlds by hand, decision by decision, to check that what the
truth predicts is what the world then does.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from duewise.bootstrap import build_engine
from duewise.simloop import run_world
from schemas.codec import decode_event, encode
from schemas.enums import Action, Channel, PaymentOption
from schemas.events import (
    CustomerChurned,
    EventBase,
    InvoiceIssued,
    MessageBounced,
    MessageDelivered,
    MessageSent,
    PaymentReceived,
)
from schemas.outbound import Decision, PolicyInfo
from sim.config import WorldConfig
from sim.truth import WorldTruth
from sim.world import DEFAULT_OPTIONS, World

SMALL = WorldConfig(customers=300, months=4, seed=7)


def ladder_run(config: WorldConfig) -> tuple[World, list[EventBase], list[Decision]]:
    """Run the default engine (the baseline ladder) against a fresh world to its end."""
    world = World(config)
    events: list[EventBase] = []
    decisions: list[Decision] = []
    run_world(world, build_engine(), world.end, events.append, decisions.append)
    return world, events, decisions


@cache
def small_run() -> tuple[World, tuple[EventBase, ...], tuple[Decision, ...]]:
    world, events, decisions = ladder_run(SMALL)
    return world, tuple(events), tuple(decisions)


def make_decision(
    invoice_id: str,
    customer_id: str,
    action: Action,
    channel: Channel | None,
    at: datetime,
    step: int,
    options: frozenset[PaymentOption] = frozenset(),
) -> Decision:
    """A decision as the engine would send it, sent at the moment it is made."""
    return Decision(
        decision_id=f"{invoice_id}/{step}",
        customer_id=customer_id,
        invoice_id=invoice_id,
        decided_at=at,
        action=action,
        channel=channel,
        send_at=at,
        step=step,
        amount_due_minor=100,
        currency="SEK",
        payment_options=sorted(options),
        payment_reference=f"{invoice_id}.{step}",
        policy=PolicyInfo(name="test", arm="ladder", propensity=1.0),
    )


def drain(world: World, until: datetime) -> list[EventBase]:
    """Pop every event up to ``until`` (inclusive)."""
    out = []
    while (at := world.peek()) is not None and at <= until:
        out.append(world.pop())
    return out


def drive(world: World, decisions: list[Decision], until: datetime) -> list[EventBase]:
    """Feed ``decisions`` at their decision times (before any later event), then run on."""
    events: list[EventBase] = []
    for decision in sorted(decisions, key=lambda d: (d.decided_at, d.decision_id)):
        while (at := world.peek()) is not None and at < decision.decided_at:
            events.append(world.pop())
        world.observe(decision)
    return events + drain(world, until)


# -- the stream ------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_events_and_decisions() -> None:
    _, events, decisions = small_run()
    _, again, decided_again = ladder_run(SMALL)
    assert [encode(e) for e in again] == [encode(e) for e in events]
    assert [encode(d) for d in decided_again] == [encode(d) for d in decisions]


def test_another_seed_gives_another_world() -> None:
    _, events, _ = small_run()
    _, other, _ = ladder_run(WorldConfig(customers=300, months=4, seed=8))
    assert [encode(e) for e in other] != [encode(e) for e in events]


def test_events_are_ordered_unique_and_valid() -> None:
    _, events, _ = small_run()
    times = [e.occurred_at for e in events]
    assert times == sorted(times)
    assert len({e.event_id for e in events}) == len(events)
    for event in events:
        assert decode_event(encode(event)) == event


def test_every_message_decision_is_sent_and_delivered_or_bounced() -> None:
    _, events, decisions = small_run()
    seen: dict[tuple[str, str], set[type]] = {}
    for e in events:
        if isinstance(e, MessageSent | MessageDelivered | MessageBounced):
            seen.setdefault((e.decision_id, e.channel.value), set()).add(type(e))
    messages = [d for d in decisions if d.actionable and d.channel not in (None, Channel.PHONE)]
    assert messages
    for d in messages:
        kinds = seen.get((d.decision_id, d.channel.value), set())
        assert MessageSent in kinds
        assert (MessageDelivered in kinds) != (MessageBounced in kinds)


def test_caused_payments_quote_the_reference_of_an_earlier_decision() -> None:
    _, events, decisions = small_run()
    sent = {d.payment_reference: d for d in decisions if d.payment_reference}
    caused = [e for e in events if isinstance(e, PaymentReceived) and e.payment_reference]
    assert len(caused) > 50
    for payment in caused:
        decision = sent[payment.payment_reference]
        assert decision.invoice_id == payment.invoice_id
        assert decision.decided_at <= payment.occurred_at


def test_a_churned_customer_gets_no_more_invoices() -> None:
    _, events, _ = small_run()
    churned: dict[str, datetime] = {}
    for e in events:
        if isinstance(e, CustomerChurned):
            churned[e.customer_id] = e.occurred_at
        elif isinstance(e, InvoiceIssued):
            assert e.customer_id not in churned
    assert churned


def test_random_decisions_exercise_every_reaction() -> None:
    """Every action on every channel, at random: calls, promises, plans, pauses, opt-outs."""
    world = World(WorldConfig(customers=400, months=2, seed=3))
    rng = random.Random(5)
    menu = [(a, c) for a in DEFAULT_OPTIONS for c in Channel] + [(Action.HUMAN_REVIEW, None)]
    agenda: list[tuple[datetime, int, Decision]] = []
    order = itertools.count()
    events: list[EventBase] = []
    while (at := world.peek()) is not None and at <= world.end:
        if agenda and agenda[0][0] <= at:
            world.observe(heapq.heappop(agenda)[2])
            continue
        event = world.pop()
        events.append(event)
        if isinstance(event, InvoiceIssued):
            start = event.occurred_at + timedelta(days=rng.choice((20, 31, 36)))
            for step in (1, 2, 3):
                action, channel = rng.choice(menu)
                options = DEFAULT_OPTIONS.get(action, frozenset()) | {PaymentOption.DEFERRAL}
                when = start + timedelta(days=9 * step)
                d = make_decision(
                    event.invoice_id, event.customer_id, action, channel, when, step, options
                )
                heapq.heappush(agenda, (when, next(order), d))
    kinds = Counter(e.type for e in events)
    for wanted in (
        "call_completed",
        "promise_to_pay_made",
        "payment_plan_accepted",
        "dunning_paused",
        "dispute_opened",
        "dispute_resolved",
        "message_bounced",
        "message_opened",
        "message_clicked",
        "customer_churned",
    ):
        assert kinds[wanted] > 0, wanted
    updates = [e for e in events if e.type == "customer_updated" and e.event_id.startswith("inv")]
    assert any(e.opted_out for e in updates) and any(e.direct_debit_active for e in updates)
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    assert len({e.event_id for e in events}) == len(events)
    for event in events:
        assert decode_event(encode(event)) == event


# -- counterfactuals -------------------------------------------------------------------------


def test_paid_anyway_is_what_a_world_without_the_escalations_does() -> None:
    """Replay the ladder's decisions minus every escalation and all that followed it on that
    invoice: each escalated invoice then pays exactly when the truth said it would anyway."""
    world, _, decisions = small_run()
    truth = world.truth()
    escalations = {e.invoice_id: e for e in truth.escalations}
    assert len(escalations) >= 20
    cut = {i: e.escalated_at for i, e in escalations.items()}
    kept = [
        d
        for d in decisions
        if d.invoice_id not in cut or (d.send_at or d.decided_at) < cut[d.invoice_id]
    ]
    assert len(kept) < len(decisions)
    horizon = max(e.horizon_end for e in escalations.values())
    replay = World(SMALL)
    drive(replay, kept, horizon)
    without = replay.truth()
    unnecessary = 0
    for invoice_id, judged in escalations.items():
        paid_at = without.invoices[invoice_id].paid_at
        anyway = judged.paid_anyway_at
        assert paid_at == (anyway if anyway is not None and anyway <= horizon else None)
        assert (paid_at is not None and paid_at <= judged.horizon_end) == judged.unnecessary
        unnecessary += judged.unnecessary
    assert 0 < unnecessary < len(escalations)


def test_value_if_is_what_the_world_then_does() -> None:
    """Take one action now (on a different customer each), nothing more: the realised net value
    of each invoice over the horizon is exactly what ``value_if`` said beforehand."""
    config = WorldConfig(customers=200, months=2, seed=11)
    world = World(config)
    now = datetime(2026, 2, 6, 7, 0, tzinfo=UTC)
    drain(world, now - timedelta(seconds=1))
    truth = world.truth()
    open_invoices = [
        i for i in truth.invoices.values() if i.paid_at is None and i.due_date < now.date()
    ]
    menu = [
        (Action.WAIT, None),
        (Action.REMIND, Channel.EMAIL),
        (Action.REMIND, Channel.SMS),
        (Action.REMIND, Channel.LETTER),
        (Action.REMIND, Channel.PHONE),
        (Action.OFFER_PLAN, Channel.DIGITAL_MAILBOX),
        (Action.OFFER_DEFERRAL, Channel.SMS),
        (Action.ESCALATE, Channel.LETTER),
    ]
    assert len(open_invoices) >= 2 * len(menu)
    chosen = [(inv, *menu[n % len(menu)]) for n, inv in enumerate(open_invoices)]
    predicted = {inv.invoice_id: world.value_if(inv.invoice_id, a, c, now) for inv, a, c in chosen}
    decisions = [
        make_decision(inv.invoice_id, inv.customer_id, a, c, now, 1, DEFAULT_OPTIONS[a])
        for inv, a, c in chosen
        if a is not Action.WAIT
    ]
    horizon = now + timedelta(days=config.horizon_days)
    drive(world, decisions, horizon)
    after = world.truth()
    costs = config.costs
    for inv, action, channel in chosen:
        realised = after.invoices[inv.invoice_id]
        value = sum(a for t, a in realised.payments if t <= horizon) / 100.0
        value -= costs.action(action, channel)
        churned = after.customers[inv.customer_id].churned_at
        if churned is not None and churned <= horizon:
            value -= costs.churn(after.customers[inv.customer_id].price_minor)
        tickets = [t for t in after.tickets if t.decision_id == f"{inv.invoice_id}/1"]
        value -= costs.support_ticket * len(tickets)
        assert value == pytest.approx(predicted[inv.invoice_id], abs=1e-6), (inv, action)
    amounts = {
        round(v - i.amount_minor / 100.0, 2)
        for (i, _, _), v in zip(chosen, predicted.values(), strict=True)
    }
    assert len(amounts) > len(menu)  # the actions really lead to different values


# -- policies compared -----------------------------------------------------------------------


def collected(truth: WorldTruth) -> int:
    return sum(i.paid_minor for i in truth.invoices.values())


def test_doing_nothing_collects_less_than_the_ladder() -> None:
    world, _, _ = small_run()
    idle = World(SMALL)
    drain(idle, idle.end)
    assert collected(idle.truth()) < collected(world.truth())
