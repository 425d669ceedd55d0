"""The feature vector: stable keys and order, local dates, history from closed invoices."""

from __future__ import annotations

import math
from datetime import date

import pytest

from engine.features import FEATURE_KEYS, days_to_payday, features
from engine.state import InvoiceStatus
from schemas.enums import Channel
from tests.builders import at, contact, customer, invoice


def test_keys_are_stable_and_in_order() -> None:
    x = features(customer("c1", invoice()), invoice(), at("2026-10-05T04:00"))
    assert tuple(x) == FEATURE_KEYS
    assert all(isinstance(v, float) for v in x.values())
    assert all(k.replace("_", "").isalnum() and k.islower() for k in x)  # usable in reason codes


def test_same_state_same_vector() -> None:
    state = customer("c1", invoice())
    inv = state.invoices["i1"]
    when = at("2026-10-05T04:00")
    assert features(state, inv, when) == features(state, inv, when)


def test_days_overdue_uses_the_local_date() -> None:
    inv = invoice(due="2026-09-30")
    # 23:30 UTC on Oct 4 is already Oct 5 in Stockholm: 5 days overdue, not 4
    x = features(customer("c1", inv), inv, at("2026-10-04T23:30"))
    assert x["overdue_months"] == 5 / 30
    x = features(customer("c1", inv, timezone="America/New_York"), inv, at("2026-10-04T23:30"))
    assert x["overdue_months"] == 4 / 30


def test_amount_contacts_and_engagement() -> None:
    inv = invoice(amount=49900, paid_minor=10000)
    state = customer(
        "c1",
        inv,
        contacts=[
            contact("i1", "2026-10-05T06:00", "email", opened=True),
            contact("i1", "2026-10-10T06:00", "sms", step=2, clicked=True),
            contact("other", "2026-10-09T06:00", "letter"),
        ],
    )
    x = features(state, inv, at("2026-10-14T06:00"))
    assert x["log_amount"] == pytest.approx(math.log1p(3.99))
    assert x["contacts"] == 2.0
    assert x["since_contact_months"] == pytest.approx(4 / 30)
    assert (x["last_opened"], x["last_clicked"]) == (0.0, 1.0)  # the last one: the SMS
    assert x["partly_paid"] == 1.0


def test_no_contact_caps_days_since() -> None:
    inv = invoice()
    x = features(customer("c1", inv), inv, at("2026-10-05T04:00"))
    assert x["since_contact_months"] == 2.0


def test_history_from_paid_invoices_only() -> None:
    paid_late = invoice(
        "h1", due="2026-07-31", status=InvoiceStatus.PAID, closed_at=at("2026-08-10T10:00")
    )
    paid_on_time = invoice(
        "h2", due="2026-08-31", status=InvoiceStatus.PAID, closed_at=at("2026-08-30T10:00")
    )
    cancelled = invoice(
        "h3", due="2026-06-30", status=InvoiceStatus.CANCELLED, closed_at=at("2026-07-01T10:00")
    )
    inv = invoice("i1")
    state = customer(
        "c1", paid_late, paid_on_time, cancelled, inv, contacts=[contact("h1", "2026-08-05")]
    )
    x = features(state, inv, at("2026-10-05T04:00"))
    assert x["hist_years"] == 2 / 12
    assert x["hist_late_share"] == 0.5
    assert x["hist_late_months"] == 5 / 30  # (10 + 0) / 2 days
    assert x["hist_contacted_share"] == 0.5


def test_other_overdue_counts_open_invoices_past_due() -> None:
    older = invoice("i0", due="2026-08-31")
    inv = invoice("i1")
    x = features(customer("c1", older, inv), inv, at("2026-10-05T04:00"))
    assert x["other_overdue"] == 1.0


@pytest.mark.parametrize(
    ("today", "days"),
    [
        (date(2026, 3, 1), 24),
        (date(2026, 3, 25), 0),
        (date(2026, 3, 26), 30),
        (date(2026, 12, 31), 25),
    ],
)
def test_days_to_payday(today: date, days: int) -> None:
    assert days_to_payday(today) == days


def test_answered_channels_from_paid_invoices() -> None:
    paid = invoice("h1", due="2026-07-31", status=InvoiceStatus.PAID,
                   closed_at=at("2026-08-12T10:00"))  # fmt: skip
    unpaid = invoice("h2", due="2026-08-31")
    inv = invoice("i1")
    state = customer(
        "c1", paid, unpaid, inv,
        contacts=[contact("h1", "2026-08-05", "email"), contact("h1", "2026-08-10", "sms", step=2),
                  contact("h2", "2026-09-05", "sms")],
    )  # fmt: skip
    x = features(state, inv, at("2026-10-05T04:00"))
    assert x["answered_sms"] == 1.5 / 2  # paid two days after the SMS
    assert x["answered_email"] == 0.5 / 2  # a week after the e-mail: not answered
    assert x["answered_letter"] == 0.5  # never tried: unknown


def test_reach_flags() -> None:
    inv = invoice()
    state = customer(
        "c1",
        inv,
        reachable=[Channel.EMAIL, Channel.SMS, Channel.LETTER],
        opted_out=[Channel.SMS],
        bounced=[Channel.EMAIL],
    )
    x = features(state, inv, at("2026-10-05T04:00"))
    assert x["reach_email"] == 0.0  # bounced
    assert x["reach_sms"] == 0.0  # opted out
    assert x["reach_letter"] == 1.0
    assert x["reach_phone"] == 0.0  # not reachable
    unknown = customer("c2", invoice())
    assert features(unknown, unknown.invoices["i1"], at("2026-10-05T04:00"))["reach_phone"] == 1.0
