"""Rules every decision stream must obey, checked against an independent model of the events.

The model here is deliberately naive and separate from ``engine``: it follows the events
(disputes, pauses, promises, opt-outs, bounces, vulnerability, time zones, cancellations) and
the decisions already made, and :func:`check_run` asserts for every decision what DOMAIN.md
demands, without asking the rule pack. A bug in the guardrails therefore fails here instead of
being replayed faithfully. Plans and the ledger are not modelled (see the property test's
shadow check, which asks ``engine.guardrails.evaluate`` about those).

Call it with the events in the order the engine saw them and each decision tagged with how many
of those events had been applied when it was made.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.guardrails import RulePack
from engine.guardrails.calendar import add_bank_days, is_holiday
from schemas import events as ev
from schemas.enums import Action, Channel, PaymentOption
from schemas.outbound import Decision

FORBEARANCE = {PaymentOption.PLAN, PaymentOption.DEFERRAL}
PAY_IN_FULL = frozenset({"swish", "card", "bank_giro", "direct_debit"})


def local(at: datetime, tz: str) -> datetime:
    """``at`` on the wall clock of ``tz``."""
    return at.astimezone(ZoneInfo(tz))


@dataclass
class InvoiceModel:
    """What the events say about one invoice."""

    due_date: date
    fee_agreed: bool
    methods: frozenset[str] = frozenset()
    cancelled: bool = False
    disputed: bool = False
    paused_until: date | None = None
    promised_until: date | None = None
    plan_accepted: bool = False


@dataclass
class CustomerModel:
    """What the events say about one customer."""

    tz: str = "Europe/Stockholm"
    vulnerable: bool = False
    reachable: set[Channel] | None = None
    opted_out: set[Channel] = field(default_factory=set)
    bounced: set[Channel] = field(default_factory=set)
    paused_until: date | None = None
    invoices: dict[str, InvoiceModel] = field(default_factory=dict)
    parked: dict[str, list[ev.EventBase]] = field(default_factory=lambda: defaultdict(list))
    seen: set[str] = field(default_factory=set)
    present: datetime | None = None
    made: set[str] = field(default_factory=set)
    bounced_decisions: set[str] = field(default_factory=set)
    delivered_decisions: set[str] = field(default_factory=set)


class World:
    """Every customer's model; :meth:`apply` feeds it one event."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.customers: dict[str, CustomerModel] = {}
        self.erasures: dict[str, tuple[datetime, set[str]]] = {}

    def apply(self, event: ev.EventBase) -> None:
        """Apply one event as the engine would see it: duplicates ignored; an erasure resets the
        customer but keeps the event ids seen, and events from no later than the erasure are
        ignored (the engine's tombstone, ``engine.reducer.apply_event``)."""
        cid = event.customer_id
        if isinstance(event, ev.CustomerErased):
            gone = self.customers.pop(cid, None)
            before = self.erasures.get(cid, (None, set()))[1]
            seen = (gone.seen if gone else set()) | before | {event.event_id}
            self.erasures[cid] = (event.occurred_at, seen)
            return
        erased_at, seen_before = self.erasures.get(cid, (None, set()))
        if event.event_id in seen_before or (erased_at and event.occurred_at <= erased_at):
            return
        customer = self.customers.setdefault(cid, CustomerModel())
        if event.event_id in customer.seen:
            return
        customer.seen.add(event.event_id)
        if customer.present is None or event.occurred_at > customer.present:
            customer.present = event.occurred_at
        self._apply(customer, event)

    def _apply(self, c: CustomerModel, e: ev.EventBase) -> None:
        invoice_id = getattr(e, "invoice_id", None)
        scoped = (
            ev.InvoiceAdjusted,
            ev.InvoiceCancelled,
            ev.DisputeOpened,
            ev.DisputeResolved,
            ev.PromiseToPayMade,
            ev.PaymentPlanAccepted,
        )
        if isinstance(e, ev.InvoiceIssued):
            if e.invoice_id not in c.invoices:
                methods = frozenset(m.value for m in e.payment_methods)
                c.invoices[e.invoice_id] = InvoiceModel(e.due_date, e.reminder_fee_agreed, methods)
                c.tz = e.timezone
                for held in c.parked.pop(e.invoice_id, []):
                    self._apply(c, held)
        elif isinstance(e, scoped) or (isinstance(e, ev.DunningPaused) and invoice_id):
            invoice = c.invoices.get(invoice_id)
            if invoice is None:
                c.parked[invoice_id].append(e)
            else:
                self._invoice_event(c, invoice, e)
        elif isinstance(e, ev.DunningPaused):
            c.paused_until = e.until
        elif isinstance(e, ev.CustomerUpdated):
            self._customer_updated(c, e)
        elif isinstance(e, ev.MessageBounced):
            if e.decision_id in c.made:  # news about a message not yet decided is not about it
                c.bounced_decisions.add(e.decision_id)
            if e.permanent:
                c.bounced.add(e.channel)
        elif isinstance(e, ev.MessageDelivered) and e.decision_id in c.made:
            c.delivered_decisions.add(e.decision_id)

    def _invoice_event(self, c: CustomerModel, invoice: InvoiceModel, e: ev.EventBase) -> None:
        if isinstance(e, ev.InvoiceCancelled):
            invoice.cancelled = True
        elif isinstance(e, ev.DisputeOpened):
            invoice.disputed = True
        elif isinstance(e, ev.DisputeResolved):
            invoice.disputed = False
            invoice.cancelled |= e.outcome == "claim_withdrawn"
        elif isinstance(e, ev.PromiseToPayMade):
            invoice.promised_until = e.promised_date + timedelta(days=self.pack.promise_grace_days)
        elif isinstance(e, ev.PaymentPlanAccepted):
            invoice.plan_accepted = True
        elif isinstance(e, ev.DunningPaused):
            invoice.paused_until = e.until

    @staticmethod
    def _customer_updated(c: CustomerModel, e: ev.CustomerUpdated) -> None:
        if e.reachable_channels is not None:
            c.reachable = set(e.reachable_channels)
            c.bounced -= c.reachable
        c.opted_out |= set(e.opted_out or ())
        c.opted_out -= set(e.opted_in or ())
        if e.timezone is not None:
            c.tz = e.timezone
        if e.vulnerable is not None:
            c.vulnerable = e.vulnerable


@dataclass
class InvoiceHistory:
    """The decisions made so far for one invoice."""

    decisions: list[Decision] = field(default_factory=list)

    @property
    def actions(self) -> list[Decision]:
        return [d for d in self.decisions if d.actionable]


def _where(d: Decision) -> str:
    return f"{d.decision_id} ({d.action.value} {d.channel or ''} at {d.decided_at.isoformat()})"


def check_run(
    events: list[ev.EventBase], tagged: list[tuple[int, Decision]], pack: RulePack
) -> None:
    """Assert every rule for every decision; ``tagged`` pairs each with its applied-event count."""
    world = World(pack)
    applied = 0
    seen_ids: set[str] = set()
    histories: dict[tuple[str, str], InvoiceHistory] = defaultdict(InvoiceHistory)
    for prefix, decision in tagged:
        assert prefix >= applied, f"decisions out of event order at {_where(decision)}"
        for event in events[applied:prefix]:
            world.apply(event)
            if isinstance(event, ev.CustomerErased):
                for key in [k for k in histories if k[0] == event.customer_id]:
                    histories[key] = InvoiceHistory()
        applied = prefix
        assert decision.decision_id not in seen_ids, f"duplicate decision id {_where(decision)}"
        seen_ids.add(decision.decision_id)
        history = histories[(decision.customer_id, decision.invoice_id)]
        _check_one(world, pack, decision, history)
        history.decisions.append(decision)
        world.customers[decision.customer_id].made.add(decision.decision_id)


def _check_one(world: World, pack: RulePack, d: Decision, history: InvoiceHistory) -> None:
    customer = world.customers.get(d.customer_id)
    assert customer is not None, f"decision for an unknown or erased customer: {_where(d)}"
    invoice = customer.invoices.get(d.invoice_id)
    assert invoice is not None, f"decision for an invoice the engine never saw: {_where(d)}"
    assert not invoice.cancelled, f"decision on a cancelled invoice: {_where(d)}"
    assert customer.present is not None and d.decided_at >= customer.present, (
        f"back-dated before the customer's latest event ({customer.present}): {_where(d)}"
    )
    if history.decisions:
        last = history.decisions[-1]
        assert d.decided_at >= last.decided_at, f"decided_at went back: {_where(d)}"
        assert last.action is not Action.HUMAN_REVIEW, f"decision after human review: {_where(d)}"
    step = len(history.actions) + (1 if d.actionable else 0)
    assert d.step == step, f"step {d.step}, expected {step}: {_where(d)}"
    if d.actionable:
        assert d.decision_id == f"{d.invoice_id}/{d.step}", f"actionable id: {_where(d)}"
        _check_action(customer, invoice, pack, d, history)
    else:
        assert d.decision_id.startswith(f"{d.invoice_id}/{d.step}/w"), f"wait id: {_where(d)}"
        assert d.channel is None and d.send_at is None and d.fee_minor == 0, _where(d)


def _check_action(
    c: CustomerModel, invoice: InvoiceModel, pack: RulePack, d: Decision, history: InvoiceHistory
) -> None:
    today = local(d.decided_at, c.tz).date()
    assert d.amount_due_minor > 0, f"action on an invoice that owes nothing: {_where(d)}"
    assert not invoice.disputed, f"action while a dispute is open: {_where(d)}"
    for until, what in (
        (invoice.paused_until, "an invoice pause"),
        (c.paused_until, "a customer pause"),
        (invoice.promised_until, "a promise to pay"),
    ):
        assert until is None or today > until, f"action during {what} to {until}: {_where(d)}"
    for earlier in history.actions:
        if earlier.action is Action.ESCALATE and earlier.respond_by is not None:
            assert today > earlier.respond_by, f"step before demand deadline: {_where(d)}"
    if d.action in (Action.REMIND, Action.ESCALATE) and invoice.methods & PAY_IN_FULL:
        offered = {o.value for o in d.payment_options}
        assert offered & PAY_IN_FULL, f"asks for money without a way to pay it: {_where(d)}"
    if d.channel is not None:
        _check_channel(c, pack, d)
    _check_fee(c, invoice, pack, d, history)
    if d.action is Action.ESCALATE:
        _check_escalation(c, invoice, pack, d, history, today)


def _check_channel(c: CustomerModel, pack: RulePack, d: Decision) -> None:
    channel = d.channel
    assert channel is not None
    assert channel not in c.opted_out, f"opted-out channel used: {_where(d)}"
    assert channel not in c.bounced, f"bounced channel used: {_where(d)}"
    assert c.reachable is None or channel in c.reachable, f"unreachable channel: {_where(d)}"
    assert d.send_at is not None and d.send_at >= d.decided_at, f"send_at before: {_where(d)}"
    sent = local(d.send_at, c.tz)
    quiet = pack.quiet_hours
    assert quiet.start <= sent.time() < quiet.end, f"send_at in quiet hours {sent}: {_where(d)}"
    if channel in quiet.weekend_channels:
        assert sent.weekday() < 5, f"{channel} on a weekend ({sent:%a %F}): {_where(d)}"
    if channel in quiet.holiday_channels:
        assert not is_holiday(sent.date(), pack.holidays), f"{channel} on a holiday: {_where(d)}"
    if channel in pack.escalation.written_channels:
        rules = pack.escalation
        assert d.respond_by is not None, f"written notice without respond_by: {_where(d)}"
        delivery = rules.letter_delivery_bank_days if channel is Channel.LETTER else 0
        received = add_bank_days(sent.date(), delivery, pack.holidays)
        floor = add_bank_days(received, rules.notice_bank_days_after_receipt, pack.holidays)
        assert d.respond_by >= sent.date() + timedelta(days=rules.notice_days), _where(d)
        assert d.respond_by >= floor, f"respond_by before 4 bank days after receipt: {_where(d)}"


def _check_fee(
    c: CustomerModel, invoice: InvoiceModel, pack: RulePack, d: Decision, history: InvoiceHistory
) -> None:
    caps = pack.fee_caps.get(d.currency)
    if d.action is Action.REMIND and d.fee_minor:
        assert caps is not None and d.fee_minor <= caps.reminder, f"fee above cap: {_where(d)}"
        assert invoice.fee_agreed, f"reminder fee that was never agreed: {_where(d)}"
        sent = local(d.send_at or d.decided_at, c.tz).date()
        assert sent > invoice.due_date, f"reminder fee before the due date: {_where(d)}"
        earlier = [x for x in history.actions if x.action is Action.REMIND and x.fee_minor]
        assert not earlier, f"second reminder fee on one invoice: {_where(d)}"
    elif d.action is Action.ESCALATE:
        cap = caps.collection_demand if caps is not None else 0
        assert d.fee_minor <= cap, f"collection fee above cap: {_where(d)}"
    else:
        assert d.fee_minor == 0, f"fee on {d.action.value}: {_where(d)}"


def _check_escalation(
    c: CustomerModel,
    invoice: InvoiceModel,
    pack: RulePack,
    d: Decision,
    history: InvoiceHistory,
    today: date,
) -> None:
    rules = pack.escalation
    assert not c.vulnerable, f"escalated a vulnerable customer: {_where(d)}"
    assert d.channel in rules.written_channels, f"collection demand not in writing: {_where(d)}"
    minimum = rules.min_outstanding_minor.get(d.currency)
    assert minimum is not None and d.amount_due_minor >= minimum, f"below minimum: {_where(d)}"
    earliest = invoice.due_date + timedelta(days=rules.min_days_overdue)
    assert today >= earliest, f"escalated before {earliest}: {_where(d)}"
    offered = invoice.plan_accepted or any(
        x.action in (Action.OFFER_PLAN, Action.OFFER_DEFERRAL)
        or FORBEARANCE & set(x.payment_options)
        for x in history.actions
    )
    assert offered or not rules.require_forbearance_offer, f"no forbearance first: {_where(d)}"
    notices = [
        x.respond_by
        for x in history.actions
        if x.channel in rules.written_channels
        and x.action is not Action.ESCALATE
        and x.respond_by is not None
        and (x.decision_id in c.delivered_decisions or x.decision_id not in c.bounced_decisions)
    ]
    if rules.require_written_notice:
        # Stricter than "the first notice's deadline passed": no written deadline the debtor
        # was given may still be running (inkassolagen: no further step before it).
        assert notices, f"escalated without a written notice: {_where(d)}"
        assert today > max(notices), f"escalated before a notice's deadline: {_where(d)}"
    assert d.respond_by is not None, f"collection demand without a deadline: {_where(d)}"


def local_time_is(d: Decision, tz: str, expected: time, attr: str = "decided_at") -> bool:
    """Whether ``d``'s ``attr`` falls at ``expected`` on the wall clock of ``tz``."""
    return local(getattr(d, attr), tz).time() == expected
