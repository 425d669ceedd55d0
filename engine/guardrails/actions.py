"""Rules about particular actions: escalation prerequisites and offer limits.

Escalation to collection is the decision with the most harm (churn doubles, GDPR Art. 22 applies),
so it has the most preconditions: a minimum amount and age, a forbearance offer first (Consumer
Credit Directive 2023/2225), a written notice whose respond-by date has passed (inkassolagen: 8
days from sending and 4 bank days from receipt), and never for a vulnerable customer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from engine.guardrails.calendar import add_bank_days, local_date, start_of_next_day
from engine.guardrails.pack import RulePack
from engine.guardrails.types import Block, Candidate
from engine.state import CustomerState, InvoiceState
from schemas.enums import Action, Channel


def respond_by(sent: date, channel: Channel | None, pack: RulePack) -> date:
    """The last day to pay or object after a written notice sent on ``sent``.

    At least ``notice_days`` after sending, and ``notice_bank_days_after_receipt`` bank days
    after it is received (a letter takes ``letter_delivery_bank_days`` to arrive).
    """
    rules = pack.escalation
    delivery = rules.letter_delivery_bank_days if channel is Channel.LETTER else 0
    return _respond_by(
        sent, delivery, rules.notice_days, rules.notice_bank_days_after_receipt, pack.holidays
    )


@lru_cache(maxsize=4096)
def _respond_by(sent: date, delivery: int, notice_days: int, after_receipt: int, cal: str) -> date:
    """Cached: counting bank days day by day cost a quarter of building a decision, and the
    answer depends on the day and a few numbers of the pack alone (decisions fall on few days)."""
    received = add_bank_days(sent, delivery, cal)
    return max(sent + timedelta(days=notice_days), add_bank_days(received, after_receipt, cal))


def _notice_block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    today: date,
    pack: RulePack,
) -> Block | None:
    rules = pack.escalation
    if not rules.require_written_notice:
        return None
    notices = [
        c.respond_by
        for c in customer.contacts
        if c.invoice_id == invoice.invoice_id
        and c.channel in rules.written_channels
        and c.action is not Action.ESCALATE
        and c.respond_by is not None
        and (c.delivered or not c.bounced)  # a notice that never arrived gave no deadline
    ]
    if not notices:
        detail = "no written notice with a deadline has been sent"
        return Block(candidate, "rule.no_written_notice", detail, None, True)
    # Every notice sent promised the debtor its own deadline; none may be cut short.
    last_deadline = max(notices)
    if today <= last_deadline:
        lift = start_of_next_day(last_deadline, customer.timezone)
        detail = f"written notice gives until {last_deadline} to pay"
        return Block(candidate, "rule.notice_period", detail, lift, True)
    return None


def escalation_block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    now: datetime,
    pack: RulePack,
) -> Block | None:
    """The first escalation precondition that fails, or ``None``."""
    rules = pack.escalation
    today = local_date(now, customer.timezone)
    if customer.vulnerable and pack.vulnerable_never_escalate:
        return Block(candidate, "rule.vulnerable", "vulnerable customers go to a human instead")
    minimum = rules.min_outstanding_minor.get(invoice.currency)
    if minimum is None:
        detail = f"no escalation threshold configured for {invoice.currency}"
        return Block(candidate, "rule.min_amount", detail)
    if invoice.outstanding_minor < minimum:
        detail = f"outstanding {invoice.outstanding_minor} below {minimum} {invoice.currency}"
        return Block(candidate, "rule.min_amount", detail)
    earliest = invoice.due_date + timedelta(days=rules.min_days_overdue)
    if today < earliest:
        lift = start_of_next_day(earliest - timedelta(days=1), customer.timezone)
        detail = f"not {rules.min_days_overdue} days overdue before {earliest}"
        return Block(candidate, "rule.min_days_overdue", detail, lift, True)
    if rules.require_forbearance_offer and not invoice.forbearance_offered:
        detail = "a plan or deferral must be offered before escalation"
        return Block(candidate, "rule.forbearance_first", detail, None, True)
    return _notice_block(customer, invoice, candidate, today, pack)


def offer_block(
    customer: CustomerState, invoice: InvoiceState, candidate: Candidate, pack: RulePack
) -> Block | None:
    """Offers that make no sense or exceed their limits.

    A kept payment plan needs no rule here: it is a hold, so nothing at all is allowed while it
    lasts; once it is missed or finished, a new plan may be offered.
    """
    action = candidate.action
    if action is Action.OFFER_DIRECT_DEBIT and customer.direct_debit_active:
        return Block(candidate, "rule.direct_debit_active", "direct debit is already active")
    if (
        action is Action.OFFER_DEFERRAL
        and invoice.deferrals_offered >= pack.max_deferrals_per_invoice
    ):
        detail = f"{invoice.deferrals_offered} deferral(s) already offered"
        return Block(candidate, "rule.deferral_limit", detail)
    return None
