"""Drawing the hidden truth: who each customer is and how each invoice would go untouched.

Everything here is drawn from :func:`sim.rng.unit` keyed by the customer or invoice id, up front
and independent of any decision. The latent invoice says when it would be paid with no action
at all (``natural``), from when the customer has the money for it (``money_from``) and whether
and when it would be disputed; :mod:`sim.behaviour` takes it from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from schemas.enums import Channel, PaymentMethod
from sim.clock import local_at, month_start, payday_after
from sim.config import Kind, WorldConfig
from sim.rng import between, exponential, pick, unit

_CHANNEL_ORDER = (
    Channel.EMAIL,
    Channel.SMS,
    Channel.DIGITAL_MAILBOX,
    Channel.LETTER,
    Channel.PHONE,
)
_READABLE = (Channel.EMAIL, Channel.SMS, Channel.DIGITAL_MAILBOX, Channel.LETTER)
_MANUAL_METHODS = (
    (PaymentMethod.BANK_GIRO, 0.4),
    (PaymentMethod.SWISH, 0.35),
    (PaymentMethod.CARD, 0.25),
)
DD_FAILURE = 0.01
"""Chance a direct-debit collection fails (DOMAIN: direct-debit payers need reminders ~1%)."""
DAYS_PER_MONTH = 30.44
_GOLDEN = (5**0.5 - 1) / 2


@dataclass(frozen=True, slots=True)
class CustomerLatent:
    """A customer as the world knows them; the engine sees only what events tell it."""

    customer_id: str
    kind: Kind
    timezone: str
    language: str
    reachable: tuple[Channel, ...]
    bounced: frozenset[Channel]
    affinity: dict[Channel, float]
    vulnerable: bool
    direct_debit: bool
    price_minor: int
    churn_threshold: float
    daily_hazard: float


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment of what is still owed that would happen at ``at``, and the decision that
    caused it (``None``: no decision did)."""

    at: datetime
    method: PaymentMethod
    reference: str | None = None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLatent:
    """One invoice's untouched course. ``behaviour`` is the kind it follows (a failed direct
    debit turns a direct-debit payer's invoice into a forgetful one)."""

    invoice_id: str
    customer_id: str
    month: int
    amount_minor: int
    issue_date: date
    due_date: date
    issued_at: datetime
    direct_debit: bool
    behaviour: Kind
    natural: Payment | None
    money_from: datetime | None
    dispute_at: datetime | None


def stratified(seed: int, index: int) -> float:
    """The ``index``-th point of a seeded golden-ratio sequence: uniform like a random draw, but
    any N customers in a row cover [0, 1) evenly, so each kind's count is its share of N within
    a customer or two. Rare kinds (a few customers who are escalated month after month) would
    otherwise swing the calibrated figures from seed to seed."""
    return (unit(seed, "kind_offset") + index * _GOLDEN) % 1.0


def customer_id(index: int) -> str:
    """The id of the ``index``-th customer."""
    return f"cust-{index:06d}"


def draw_customer(config: WorldConfig, index: int) -> CustomerLatent:
    """The ``index``-th customer of the world (a pure function of config and seed)."""
    cid = customer_id(index)
    seed = config.seed

    def u(*key: object) -> float:
        return unit(seed, cid, *key)

    kind = pick(stratified(seed, index), [(k, p.share) for k, p in config.kinds.items()])
    params = config.kinds[kind]
    zone, language = pick(u("zone"), [((z, lang), w) for z, lang, w in config.zones])
    reachable = tuple(
        c for c in _CHANNEL_ORDER if c is Channel.LETTER or u("reach", c) < config.channels[c].reach
    )
    bounced = frozenset(c for c in reachable if u("bounce", c) < config.channels[c].bounce)
    readable = [c for c in reachable if c in _READABLE]
    preferred = readable[int(u("preferred") * len(readable))]
    affinity = {}
    for channel in _CHANNEL_ORDER:
        low, high = config.channels[channel].affinity
        if channel is preferred:
            low, high = config.preferred_affinity
        affinity[channel] = between(u("affinity", channel), low, high)
    price = pick(u("price"), list(config.prices_sek)) * 100
    return CustomerLatent(
        customer_id=cid,
        kind=kind,
        timezone=zone,
        language=language,
        reachable=reachable,
        bounced=bounced,
        affinity=affinity,
        vulnerable=u("vulnerable") < params.vulnerable,
        direct_debit=kind is Kind.DIRECT_DEBIT,
        price_minor=price,
        churn_threshold=exponential(u("churn")),
        daily_hazard=-math.log1p(-params.monthly_churn) / DAYS_PER_MONTH,
    )


def _day_time(day: date, offset_days: float, u_hour: float, tz: str) -> datetime:
    """Local time on ``day + offset_days`` (whole days) at an hour between 07 and 23."""
    return local_at(day + timedelta(days=math.floor(offset_days)), between(u_hour, 7.0, 23.0), tz)


def _liquidity(
    config: WorldConfig, c: CustomerLatent, iid: str, due: date
) -> tuple[Payment | None, datetime | None]:
    """Natural payment and money date of a payday-constrained invoice."""
    weights = list(config.liquidity.shortfall)
    weights.append(max(0.0, 1.0 - sum(weights)))
    short = pick(unit(config.seed, iid, "shortfall"), list(enumerate(weights)))
    if short >= len(config.liquidity.shortfall):
        return None, None
    money_day = payday_after(due, short, config.liquidity.payday)
    money_from = local_at(money_day, 7.0, c.timezone)
    low, high = config.kinds[Kind.LIQUIDITY].on_time_days
    offset = between(unit(config.seed, iid, "natural_day"), low, high)
    at = _day_time(money_day, offset, unit(config.seed, iid, "natural_hour"), c.timezone)
    method = pick(unit(config.seed, iid, "method"), list(_MANUAL_METHODS))
    return Payment(at, method), money_from


def _behaviour(config: WorldConfig, c: CustomerLatent, iid: str) -> Kind:
    """The kind this invoice follows: the customer's own, or (a month that goes differently)
    one drawn from the mix of manual payers."""
    if unit(config.seed, iid, "drift") < config.consistency:
        return c.kind
    mix = [(k, p.share) for k, p in config.kinds.items() if k is not Kind.DIRECT_DEBIT]
    return pick(unit(config.seed, iid, "drift_kind"), mix)


def _manual(
    config: WorldConfig, c: CustomerLatent, iid: str, behaviour: Kind, due: date, late: bool
) -> Payment | None:
    """Natural payment of an invoice paid by hand: on time, late, or (``None``) never."""
    params = config.kinds[behaviour]
    late = late or unit(config.seed, iid, "late") < params.p_late
    span = params.late_days if late else params.on_time_days
    if span is None or (late and unit(config.seed, iid, "lost") < params.lost):
        return None
    offset = between(unit(config.seed, iid, "natural_day"), *span)
    at = _day_time(due, offset, unit(config.seed, iid, "natural_hour"), c.timezone)
    return Payment(at, pick(unit(config.seed, iid, "method"), list(_MANUAL_METHODS)))


def draw_invoice(
    config: WorldConfig, c: CustomerLatent, month: int, direct_debit: bool
) -> InvoiceLatent:
    """The customer's invoice of the ``month``-th month, untouched by any decision."""
    issue = month_start(config.start, month)
    due = issue + timedelta(days=config.due_days)
    iid = f"inv-{c.customer_id}-{issue:%Y%m}"
    seed = config.seed
    issued_at = local_at(issue, config.issue_hour, c.timezone)
    amount = c.price_minor
    if unit(seed, iid, "extra") < config.extra_usage:
        amount += round(between(unit(seed, iid, "extra_sek"), 0, 150)) * 100
    behaviour = _behaviour(config, c, iid)
    natural: Payment | None
    money_from: datetime | None = issued_at
    if direct_debit and unit(seed, iid, "dd_fail") >= DD_FAILURE:
        natural = Payment(local_at(due, 6.0, c.timezone), PaymentMethod.DIRECT_DEBIT)
    elif behaviour is Kind.LIQUIDITY:
        natural, money_from = _liquidity(config, c, iid, due)
    else:
        failed_dd = behaviour is Kind.DIRECT_DEBIT
        if failed_dd:
            natural = _manual(config, c, iid, behaviour, due, late=True)
            behaviour = Kind.FORGETFUL
        else:
            natural = _manual(config, c, iid, behaviour, due, late=False)
        if natural is not None and natural.at < issued_at + timedelta(hours=2):
            natural = Payment(issued_at + timedelta(hours=2), natural.method)
        if behaviour is Kind.NEVER:
            money_from = None
    dispute_at = None
    if unit(seed, iid, "dispute") < config.kinds[behaviour].dispute:
        offset = between(unit(seed, iid, "dispute_day"), -10, 10)
        dispute_at = _day_time(due, offset, unit(seed, iid, "dispute_hour"), c.timezone)
    return InvoiceLatent(
        invoice_id=iid,
        customer_id=c.customer_id,
        month=month,
        amount_minor=amount,
        issue_date=issue,
        due_date=due,
        issued_at=issued_at,
        direct_debit=direct_debit,
        behaviour=behaviour,
        natural=natural,
        money_from=money_from,
        dispute_at=dispute_at,
    )
