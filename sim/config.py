"""The world's parameters: its size and calendar, channels, churn, support, and prices.

Every default comes from a figure in ``shared/DOMAIN.md`` or, where there is none, was chosen so
that the default world under the baseline ladder reproduces the published aggregate figures
(18-24 of 100 invoices reminded, 4-6 escalated, 75-85% of escalations unnecessary, churn of
escalated customers about twice the others'; ``tests/sim/test_calibration.py``). The customer
mix and each kind's behaviour are in :mod:`sim.kinds`; every other value is documented at its
field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from schemas.enums import Channel
from sim.costs import CostConfig
from sim.kinds import Kind, KindParams, Range, default_kinds

__all__ = ["Kind", "KindParams", "WorldConfig"]


@dataclass(frozen=True)
class LiquidityParams:
    """Payday money. ``shortfall[s]`` is the chance an invoice waits for the ``s``-th payday
    after the last one before its due date (0: paid from the payday before due); what is left
    (5%) cannot be paid as a lump sum at all, only by instalments or under collection. A plan
    has ``instalments`` instalments on consecutive paydays; a deferral to payday is followed by
    payment on that day with ``pay_after_deferral`` (certainly when the money is there by then).
    [DOMAIN: salaries on the 25th, "a demand should arrive just then", temporary deferral]"""

    payday: int = 25
    shortfall: tuple[float, ...] = (0.55, 0.24, 0.10, 0.06)
    pay_after_deferral: float = 0.7
    instalments: int = 3


@dataclass(frozen=True)
class ReactionParams:
    """Details of reactions that are the same for every kind.

    A kept promise pays on its date; disputes end in ``dispute_days`` and the claim stands in
    ``dispute_upheld`` of them; a customer who would pay within ``pay_soon_days`` anyway does
    not bother with a plan or a deferral; a collection demand is read with at least
    ``escalation_read`` and paid ``escalation_pay_days`` later; a broken plan's remainder
    is paid ``remainder_days`` after the break, if the customer could pay it at all.
    """

    promise_keep: float = 0.8
    dispute_upheld: float = 0.6
    dispute_days: Range = (10.0, 40.0)
    pay_soon_days: float = 10.0
    plan_lead_days: int = 5
    plan_grace_days: int = 5
    escalation_read: float = 0.9
    escalation_pay_days: Range = (3.0, 20.0)
    remainder_days: Range = (7.0, 30.0)


@dataclass(frozen=True)
class ChannelParams:
    """One channel: how often an address exists, bounces, is read, and how fast it arrives.

    ``affinity`` is the range of a customer's chance to read (or answer, for the phone) a
    message on the channel; one channel per customer is ``preferred`` and read far more often
    (:attr:`WorldConfig.preferred_affinity`). ``opt_out`` is the chance per delivered message
    that the customer opts out of it. Defaults are assumptions, not published figures: a
    telecom knows an e-mail address for most customers and a postal address for all, about
    half use a digital mailbox (Kivra); SMS has the most opt-outs, letters take two days.
    """

    reach: float
    bounce: float
    affinity: Range
    delivery_hours: Range
    read_hours: Range
    opt_out: float
    tracks_open: bool


def _channels() -> dict[Channel, ChannelParams]:
    c = ChannelParams
    return {
        Channel.EMAIL: c(0.95, 0.04, (0.3, 0.8), (0.0, 0.1), (0.2, 30.0), 0.005, True),
        Channel.SMS: c(0.85, 0.02, (0.5, 0.9), (0.0, 0.05), (0.0, 4.0), 0.03, False),
        Channel.DIGITAL_MAILBOX: c(0.45, 0.0, (0.6, 0.95), (0.05, 0.5), (0.5, 30.0), 0.003, True),
        Channel.LETTER: c(1.0, 0.01, (0.5, 0.9), (40.0, 56.0), (2.0, 48.0), 0.0, False),
        Channel.PHONE: c(0.7, 0.0, (0.2, 0.6), (0.0, 0.0), (0.0, 0.0), 0.02, False),
    }


@dataclass(frozen=True)
class ChurnParams:
    """Churn as a hazard. A post-due contact multiplies it for ``reminder_days``, an escalation
    for ``escalation_days`` (the larger multiplier applies). DOMAIN's x2 and x5 are observational
    (they include who gets reminded); these causal multipliers are set so that the observed
    escalated/other churn ratio lands near 2 under the ladder (and the reminded/other ratio
    near 1.7). Direct debit halves the rate: in the kinds' base rates for autogiro customers,
    through ``dd_multiplier`` for those who move to it."""

    reminder_multiplier: float = 1.25
    reminder_days: float = 45.0
    escalation_multiplier: float = 2.0
    escalation_days: float = 180.0
    dd_multiplier: float = 0.5


@dataclass(frozen=True)
class SupportParams:
    """Support tickets (kept in the truth, not events): a baseline per customer-month and the
    chance a delivered contact makes the customer call (DOMAIN: more than half would call after
    a collection notice)."""

    monthly: float = 0.01
    reminder: float = 0.02
    call: float = 0.05
    escalation: float = 0.55


def _zones() -> tuple[tuple[str, str, float], ...]:
    return (
        ("Europe/Stockholm", "sv", 0.92),
        ("Europe/Helsinki", "fi", 0.03),
        ("Europe/Oslo", "nb", 0.02),
        ("Europe/London", "en-GB", 0.02),
        ("Europe/Berlin", "de", 0.01),
    )


def _prices() -> tuple[tuple[int, float], ...]:
    return tuple(
        zip(
            (199, 249, 299, 349, 399, 449, 499, 599, 699, 899),
            (0.08, 0.12, 0.14, 0.14, 0.13, 0.11, 0.1, 0.08, 0.06, 0.04),
            strict=True,
        )
    )


@dataclass(frozen=True)
class WorldConfig:
    """A whole world: its size, calendar, people and prices. Same config and seed, same world.

    Invoices are issued on the 1st of each of ``months`` months from ``start`` at
    ``issue_hour`` local time and fall due ``due_days`` later. The world goes on answering for
    ``run_out_days`` after the last due date, so the last invoices can walk the whole ladder.
    """

    seed: int = 0
    customers: int = 5000
    months: int = 6
    start: date = date(2026, 1, 1)
    due_days: int = 30
    issue_hour: float = 6.0
    run_out_days: int = 75
    horizon_days: int = 90
    """Horizon of "paid anyway" after an escalation and of :meth:`World.value_if`."""
    extra_usage: float = 0.2
    """Chance a month's invoice carries 0-150 SEK of extra usage on top of the plan price."""
    fatigue: float = 0.9
    """Each further contact on one invoice is this much less likely to be acted on."""
    consistency: float = 0.85
    """Chance a manual payer's invoice follows their own kind; otherwise that month goes like
    a random manual payer's (circumstances change; it also keeps a few customers from
    dominating the escalation counts)."""
    preferred_affinity: Range = (0.85, 0.98)
    """Read rate of each customer's preferred channel (one of those they can be reached on)."""
    kinds: dict[Kind, KindParams] = field(default_factory=default_kinds)
    liquidity: LiquidityParams = field(default_factory=LiquidityParams)
    reactions: ReactionParams = field(default_factory=ReactionParams)
    channels: dict[Channel, ChannelParams] = field(default_factory=_channels)
    churn: ChurnParams = field(default_factory=ChurnParams)
    support: SupportParams = field(default_factory=SupportParams)
    costs: CostConfig = field(default_factory=CostConfig)
    zones: tuple[tuple[str, str, float], ...] = field(default_factory=_zones)
    prices_sek: tuple[tuple[int, float], ...] = field(default_factory=_prices)
