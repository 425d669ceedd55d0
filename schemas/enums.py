"""Closed vocabularies of the wire contract.

They are ``StrEnum`` so that they serialise as plain strings and compare equal to them, which
keeps producers in other languages free of any Python detail.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """A way to reach a debtor."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    DIGITAL_MAILBOX = "digital_mailbox"
    PHONE = "phone"


ELECTRONIC_CHANNELS: frozenset[Channel] = frozenset(
    {Channel.EMAIL, Channel.SMS, Channel.DIGITAL_MAILBOX}
)


class PaymentMethod(StrEnum):
    """How a payment actually arrived."""

    SWISH = "swish"
    CARD = "card"
    BANK_GIRO = "bank_giro"
    DIRECT_DEBIT = "direct_debit"
    OTHER = "other"


class PaymentOption(StrEnum):
    """What a decision offers the debtor as a way to pay."""

    SWISH = "swish"
    CARD = "card"
    BANK_GIRO = "bank_giro"
    DIRECT_DEBIT = "direct_debit"
    PLAN = "plan"
    DEFERRAL = "deferral"


class CallOutcome(StrEnum):
    """What came of a phone call."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    PROMISE_TO_PAY = "promise_to_pay"


class DisputeOutcome(StrEnum):
    """How a dispute ended: the claim stands, or it was withdrawn in the debtor's favour."""

    CLAIM_UPHELD = "claim_upheld"
    CLAIM_WITHDRAWN = "claim_withdrawn"


class PauseReason(StrEnum):
    """Why dunning is paused. A closed list: free text could carry personal data."""

    PAYDAY = "payday"
    HARDSHIP = "hardship"
    CUSTOMER_REQUEST = "customer_request"
    ILLNESS = "illness"
    BILLER_REQUEST = "biller_request"
    OTHER = "other"


class DebtorKind(StrEnum):
    """Consumer and business debts follow different fee and timing rules."""

    CONSUMER = "consumer"
    BUSINESS = "business"


class Action(StrEnum):
    """What a decision does. Imperative, as decisions are."""

    WAIT = "wait"
    REMIND = "remind"
    OFFER_PLAN = "offer_plan"
    OFFER_DEFERRAL = "offer_deferral"
    OFFER_DIRECT_DEBIT = "offer_direct_debit"
    ESCALATE = "escalate"
    HUMAN_REVIEW = "human_review"
