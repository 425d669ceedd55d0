"""Property tests: random histories through the embedded engine, every decision checked.

For each generated history (see :mod:`tests.replay.histories`) the engine is driven event by
event (``advance`` to the event's time, then ``handle``) and then to 60 days after the last
event. Two independent checks apply to every decision:

* the rules of :mod:`tests.replay.invariants`, from a naive model of the events (never escalate
  a vulnerable customer, never use an opted-out, bounced or unreachable channel, no action during
  a dispute, pause or promise, escalation only after forbearance and a written notice whose
  deadline passed, ``send_at`` inside quiet hours and off weekends for SMS and phone, fees within
  their caps, ``decided_at`` monotonic per invoice, one action per dunning step, unique ids);
* the guardrails' own answer: a recording policy (a hand-written fake that wraps the ladder)
  keeps a copy of the state each decision point saw, and ``engine.guardrails.evaluate`` on that
  copy must allow the action taken and hold whatever a hold holds.

The determinism properties live in ``test_determinism.py``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from duewise import Settings, build_engine
from duewise.embedded import Engine
from engine import EngineContext
from engine.guardrails import Candidate, RulePack, evaluate
from engine.policies import LadderPolicy
from engine.policies.base import Choice, DecisionContext
from engine.state import CustomerState, InvoiceState
from schemas import events as ev
from schemas.enums import DebtorKind, PaymentMethod
from schemas.events import EventBase
from schemas.outbound import Decision

from .drive import Tagged, drive, lines
from .histories import START, histories
from .invariants import check_run

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class RecordingPolicy:
    """The ladder, plus a copy of what every decision point saw (customer state and choice)."""

    def __init__(self, inner: LadderPolicy) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: list[tuple[CustomerState, str, datetime, Choice]] = []

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        return self.inner.next_point(customer, invoice)

    def choose(self, ctx: DecisionContext) -> Choice:
        choice = self.inner.choose(ctx)
        snapshot = ctx.customer.model_copy(deep=True)
        self.seen.append((snapshot, ctx.invoice.invoice_id, ctx.at, choice))
        return choice


def end_of(events: list[EventBase]) -> datetime:
    """60 days after the last event: every ladder has run out by then."""
    return max((e.occurred_at for e in events), default=START) + timedelta(days=60)


def run_recorded(
    events: list[EventBase], settings: Settings | None = None
) -> tuple[Tagged, RecordingPolicy, RulePack]:
    """Drive the engine ``settings`` build, with the ladder wrapped in a recorder."""
    reference = build_engine(settings)
    assert isinstance(reference.context.policy, LadderPolicy)
    recorder = RecordingPolicy(reference.context.policy)
    pack = reference.context.pack
    engine = Engine(EngineContext(recorder, pack, reference.context.seed))
    tagged = drive(engine, events, end_of(events))
    plain = drive(build_engine(settings), events, end_of(events))
    assert lines(d for _, d in tagged) == lines(d for _, d in plain), "the recorder changed it"
    return tagged, recorder, pack


def check_against_guardrails(
    decisions: list[Decision], recorder: RecordingPolicy, pack: RulePack
) -> None:
    """Match each decision with the point the policy saw; re-ask the rule pack about it."""
    seen_by_invoice: dict[tuple[str, str], list] = defaultdict(list)
    for snapshot, invoice_id, at, choice in recorder.seen:
        seen_by_invoice[(snapshot.customer_id, invoice_id)].append((snapshot, at, choice))
    made: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for d in decisions:
        made[(d.customer_id, d.invoice_id)].append(d)
    assert made.keys() == seen_by_invoice.keys()
    for key, points in seen_by_invoice.items():
        assert len(points) == len(made[key]), f"{key}: decisions and decision points differ"
        for (snapshot, at, choice), d in zip(points, made[key], strict=True):
            assert d.decided_at == at, f"{d.decision_id} made at {d.decided_at}, point at {at}"
            assert "engine.overruled" not in d.reasons, f"the ladder proposed a forbidden {d}"
            verdict = evaluate(snapshot, snapshot.invoices[key[1]], at, pack)
            if d.actionable:
                candidate = Candidate(d.action, d.channel)
                assert verdict.is_allowed(candidate), f"{d.decision_id}: {candidate} not allowed"
                assert verdict.hold is None, f"{d.decision_id} acted through {verdict.hold}"
                assert choice.candidate == candidate
            else:
                assert choice.candidate is None


@PROPERTY_SETTINGS
@given(histories())
def test_every_decision_obeys_the_rules_and_the_guardrails(events: list[EventBase]) -> None:
    tagged, recorder, pack = run_recorded(events)
    check_run(events, tagged, pack)
    check_against_guardrails([d for _, d in tagged], recorder, pack)


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(histories(currency="USD"))
def test_the_strict_us_pack_holds_too(events: list[EventBase]) -> None:
    """The same checks under ``us_strict``: email counts as written, 30-day notices, no fees."""
    tagged, recorder, pack = run_recorded(events, Settings(rules="us_strict"))
    assert pack.name == "us_strict"
    check_run(events, tagged, pack)
    check_against_guardrails([d for _, d in tagged], recorder, pack)


PRE_DUE_LADDER = Path(__file__).with_name("ladder_pre_due.toml")


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(histories())
def test_a_ladder_that_reminds_before_the_due_date_holds_too(events: list[EventBase]) -> None:
    """A nudge three days before the due date: never a fee on it, never a rule broken."""
    tagged, recorder, pack = run_recorded(events, Settings(ladder=PRE_DUE_LADDER))
    assert len(recorder.inner.config.levels) == 4
    check_run(events, tagged, pack)
    check_against_guardrails([d for _, d in tagged], recorder, pack)


def test_an_event_at_the_instant_of_an_erasure_is_ignored_like_the_engine_does() -> None:
    """Found by the property above: a dispute stamped with the erasure's own time is dropped
    by the engine's tombstone, so a later invoice is dunned; the model must agree."""
    events: list[EventBase] = [
        ev.CustomerErased(
            event_id="p1-e18",
            occurred_at=datetime(2026, 11, 28, 6, 14, tzinfo=UTC),
            customer_id="p1",
            schema_version=1,
            source="prop",
            type="customer_erased",
        ),
        ev.DisputeOpened(
            event_id="p1-e19",
            occurred_at=datetime(2026, 11, 28, 6, 14, tzinfo=UTC),
            customer_id="p1",
            schema_version=1,
            source="prop",
            type="dispute_opened",
            invoice_id="p1-i2",
        ),
        ev.InvoiceIssued(
            event_id="p1-e26",
            occurred_at=datetime(2026, 11, 28, 6, 21, tzinfo=UTC),
            customer_id="p1",
            schema_version=1,
            source="prop",
            type="invoice_issued",
            invoice_id="p1-i2",
            amount_minor=150000,
            currency="SEK",
            issue_date=date(2026, 11, 28),
            due_date=date(2026, 11, 28),
            timezone="Europe/Stockholm",
            payment_methods=[PaymentMethod.SWISH, PaymentMethod.CARD, PaymentMethod.BANK_GIRO],
            debtor_kind=DebtorKind.CONSUMER,
            reminder_fee_agreed=False,
        ),
    ]
    tagged, _, pack = run_recorded(events)
    assert [d.action.value for _, d in tagged if d.actionable][:1] == ["remind"]
    check_run(events, tagged, pack)
