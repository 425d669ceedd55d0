"""Fees a decision may levy, capped by law (lag 1981:739 for SEK).

A reminder fee only when it was agreed when the debt arose, once per invoice and only for
consumers' agreed fees; a collection-demand fee with the demand. A currency without caps in the
pack levies nothing: the engine never charges a fee it cannot prove is lawful.
"""

from __future__ import annotations

from datetime import date

from engine.guardrails.pack import RulePack
from engine.state import InvoiceState
from schemas.enums import Action


def fee_for(
    action: Action, invoice: InvoiceState, pack: RulePack, sent_on: date | None = None
) -> int:
    """The fee in minor units that ``action`` may levy on ``invoice`` (0 when none).

    ``sent_on`` is the debtor's local day the message goes out: a reminder sent on or before
    the due date is no reminder of a late payment and levies nothing (lag 1981:739 allows the
    fee for a reminder sent after the due date).
    """
    caps = pack.fee_caps.get(invoice.currency)
    if caps is None:
        return 0
    if action is Action.REMIND:
        if sent_on is not None and sent_on <= invoice.due_date:
            return 0
        if invoice.reminder_fee_agreed and not invoice.reminder_fee_levied:
            return caps.reminder
        return 0
    if action is Action.ESCALATE:
        return caps.collection_demand
    return 0
