"""Channel rules: who may be contacted on which channel, and how often.

Opted-out and permanently bounced channels are never used; unreachable channels are skipped;
frequency caps per customer, per channel and per invoice keep pressure within good collection
practice (and Regulation F's 7-in-7 call limit in the strict pack).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from engine.guardrails.pack import FrequencyCap, RulePack
from engine.guardrails.types import Block, Candidate
from engine.state import CustomerState, InvoiceState
from schemas.enums import Channel


def channel_block(customer: CustomerState, candidate: Candidate) -> Block | None:
    """Permanent channel blocks: opted out, bounced, not reachable."""
    channel = candidate.channel
    if channel is None:
        return None
    if channel in customer.opted_out:
        return Block(candidate, "rule.opted_out", f"customer opted out of {channel}")
    if channel in customer.bounced:
        return Block(candidate, "rule.bounced", f"{channel} bounced permanently")
    if customer.reachable is not None and channel not in customer.reachable:
        return Block(candidate, "rule.unreachable", f"no {channel} address known")
    return None


CapHit = tuple[str, datetime | None, bool]
"""A frequency cap that is full: its detail, when it lifts, and whether it lifts by itself."""


def _cap_hit(times: Iterable[datetime], cap: FrequencyCap, now: datetime) -> CapHit | None:
    """Full when ``cap`` contacts already fall in the window; lifts when the oldest leaves it."""
    window = timedelta(days=cap.window_days)
    in_window = sorted(t for t in times if t > now - window)
    if len(in_window) < cap.max_contacts:
        return None
    lift = in_window[len(in_window) - cap.max_contacts] + window if cap.max_contacts else None
    detail = f"{len(in_window)} contacts in {cap.window_days} days (cap {cap.max_contacts})"
    return detail, lift, cap.max_contacts > 0


class SentContacts:
    """What the frequency rules read of one customer's contacts for one invoice at one instant.

    Why. Every channel not blocked outright asks :func:`frequency_block`, and only its own
    channel cap depends on the channel: the contacts on a channel, the invoice's last contact
    and the customer-wide cap are the same for all of them, so :func:`engine.guardrails.evaluate`
    gathers them once per decision point instead of once per channel.
    """

    __slots__ = ("customer_cap", "last_on_invoice", "sent")

    def __init__(
        self, customer: CustomerState, invoice: InvoiceState, now: datetime, pack: RulePack
    ) -> None:
        # a human review reaches nobody: only contacts on a channel count
        self.sent = [c for c in customer.contacts if c.channel is not None]
        mine = [c.send_at for c in self.sent if c.invoice_id == invoice.invoice_id]
        self.last_on_invoice = max(mine) if mine else None
        self.customer_cap = _cap_hit((c.send_at for c in self.sent), pack.customer_cap, now)


def frequency_block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    now: datetime,
    pack: RulePack,
    sent: SentContacts | None = None,
) -> Block | None:
    """Temporary blocks from caps, minimum gaps and the no-call-after-conversation rule.

    ``sent`` is the customer's contacts gathered for this invoice and ``now`` (computed here
    when not given).
    """
    channel = candidate.channel
    if channel is None:
        return None
    if channel is Channel.PHONE and customer.last_conversation_at is not None:
        lift = customer.last_conversation_at + timedelta(days=pack.no_call_after_conversation_days)
        if now < lift:
            detail = "spoke with the debtor recently"
            return Block(candidate, "rule.call_after_conversation", detail, lift, True)
    if sent is None:
        sent = SentContacts(customer, invoice, now, pack)
    if sent.last_on_invoice is not None and pack.invoice_min_gap_days:
        lift = sent.last_on_invoice + timedelta(days=pack.invoice_min_gap_days)
        if now < lift:
            detail = f"last contact on this invoice less than {pack.invoice_min_gap_days} days ago"
            return Block(candidate, "rule.invoice_min_gap", detail, lift, True)
    cap = pack.channel_caps.get(channel)
    if cap is not None:
        hit = _cap_hit((c.send_at for c in sent.sent if c.channel is channel), cap, now)
        if hit is not None:
            return Block(candidate, "rule.channel_cap", *hit)
    if sent.customer_cap is not None:
        return Block(candidate, "rule.customer_cap", *sent.customer_cap)
    return None
