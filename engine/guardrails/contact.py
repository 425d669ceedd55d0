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
from engine.state import ContactRecord, CustomerState, InvoiceState
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


def _cap_block(
    candidate: Candidate,
    contacts: Iterable[ContactRecord],
    cap: FrequencyCap,
    now: datetime,
    rule: str,
) -> Block | None:
    """Block when ``cap`` contacts already fall in the window; lift when the oldest leaves it."""
    window = timedelta(days=cap.window_days)
    in_window = sorted(c.send_at for c in contacts if c.send_at > now - window)
    if len(in_window) < cap.max_contacts:
        return None
    lift = in_window[len(in_window) - cap.max_contacts] + window if cap.max_contacts else None
    detail = f"{len(in_window)} contacts in {cap.window_days} days (cap {cap.max_contacts})"
    return Block(candidate, rule, detail, lift, cap.max_contacts > 0)


def frequency_block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    now: datetime,
    pack: RulePack,
) -> Block | None:
    """Temporary blocks from caps, minimum gaps and the no-call-after-conversation rule."""
    channel = candidate.channel
    if channel is None:
        return None
    if channel is Channel.PHONE and customer.last_conversation_at is not None:
        lift = customer.last_conversation_at + timedelta(days=pack.no_call_after_conversation_days)
        if now < lift:
            detail = "spoke with the debtor recently"
            return Block(candidate, "rule.call_after_conversation", detail, lift, True)
    # a human review reaches nobody: only contacts on a channel count
    sent = [c for c in customer.contacts if c.channel is not None]
    mine = [c for c in sent if c.invoice_id == invoice.invoice_id]
    if mine and pack.invoice_min_gap_days:
        lift = max(c.send_at for c in mine) + timedelta(days=pack.invoice_min_gap_days)
        if now < lift:
            detail = f"last contact on this invoice less than {pack.invoice_min_gap_days} days ago"
            return Block(candidate, "rule.invoice_min_gap", detail, lift, True)
    cap = pack.channel_caps.get(channel)
    if cap is not None:
        same = (c for c in sent if c.channel is channel)
        block = _cap_block(candidate, same, cap, now, "rule.channel_cap")
        if block is not None:
            return block
    return _cap_block(candidate, sent, pack.customer_cap, now, "rule.customer_cap")
