"""How a contact reaches (or fails to reach) the customer: the notifier's side of the world.

Every message decision yields ``sent`` and then ``delivered`` or ``bounced``; a delivered
message is read with the customer's affinity for the channel (``opened`` where the channel can
tell); some deliveries make the customer opt out. A call is answered or not. What the customer
then does about it is :mod:`sim.behaviour`'s business.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.enums import Action, Channel
from sim.config import WorldConfig
from sim.population import CustomerLatent, InvoiceLatent
from sim.reactions import Contact, React, Reaction
from sim.rng import between, unit

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
RETURNED_MAIL = timedelta(days=4)
"""A letter to a wrong address comes back after a few days."""


def draw(config: WorldConfig, invoice: InvoiceLatent, contact: Contact, tag: str) -> float:
    """The customer's uniform for ``tag`` at this contact: keyed by (invoice, k, action,
    channel), so each possible treatment at each step has its own response."""
    return unit(config.seed, invoice.invoice_id, contact.k, contact.action, contact.channel, tag)


def deliver(
    config: WorldConfig,
    customer: CustomerLatent,
    invoice: InvoiceLatent,
    contact: Contact,
    out: list[Reaction],
) -> datetime | None:
    """Append the delivery reactions of ``contact``; return when the customer takes it in
    (reads the message, answers the call), or ``None`` when they never do."""
    channel = contact.channel
    if channel is None:
        return None
    params = config.channels[channel]
    k = contact.k

    def u(tag: str) -> float:
        return draw(config, invoice, contact, tag)

    def react(at: datetime, name: str, kind: React) -> None:
        out.append(Reaction(at, f"k{k}.{name}", kind, contact.decision_id, channel))

    if channel is Channel.PHONE:
        reachable = channel in customer.reachable and channel not in customer.bounced
        if not reachable or u("answer") >= customer.affinity[channel]:
            return None
        answered = contact.at + MINUTE
        if u("opt_out") < params.opt_out:
            react(answered + 10 * MINUTE, "opt_out", React.OPT_OUT)
        return answered
    react(contact.at, "sent", React.SENT)
    if channel in customer.bounced or channel not in customer.reachable:
        delay = RETURNED_MAIL if channel is Channel.LETTER else between(u("bounce"), 1, 20) * MINUTE
        react(contact.at + delay, "bounced", React.BOUNCED)
        return None
    delivered = contact.at + between(u("delivery"), *params.delivery_hours) * HOUR
    react(delivered, "delivered", React.DELIVERED)
    if u("opt_out") < params.opt_out:
        react(delivered + between(u("opt_out_at"), 0.1, 3.0) * HOUR, "opt_out", React.OPT_OUT)
    affinity = customer.affinity[channel]
    if contact.action is Action.ESCALATE:
        affinity = max(affinity, config.reactions.escalation_read)
    if u("read") >= affinity:
        return None
    read = delivered + between(u("read_at"), *params.read_hours) * HOUR
    if params.tracks_open:
        react(read, "opened", React.OPENED)
    return read
