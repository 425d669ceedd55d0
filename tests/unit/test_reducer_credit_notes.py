"""The reducer, credit notes and cancellations: what they free, net and refuse.

Money rows are checked by :func:`tests.unit.reducer_helpers.check_money`.
"""

from __future__ import annotations

import pytest

from schemas.events import EventBase
from tests.builders import (
    invoice_adjusted,
    invoice_cancelled,
    payment_received,
)
from tests.unit.reducer_helpers import (
    I1,
    I2,
    MONEY_FIELDS,
    MoneyRow,
    check_money,
    money_params,
)

# (id, events, {invoice: (status, paid, credited)}, customer credit, notice kinds)


CREDIT_NOTES: list[MoneyRow] = [
    (
        "credit-note-reduces-what-is-owed",
        [I1, invoice_adjusted(amount=9900, at="2026-09-05T08:00")],
        {"i1": ("open", 0, 9900)},
        0,
        [],
    ),
    (
        "credit-note-pays-the-invoice",
        [I1, invoice_adjusted(amount=49900, at="2026-09-05T08:00")],
        {"i1": ("paid", 0, 49900)},
        0,
        [],
    ),
    (
        "credit-note-and-payment-together",
        [
            I1,
            invoice_adjusted(amount=9900, at="2026-09-05T08:00"),
            payment_received(amount=40000, invoice="i1", at="2026-10-02T08:00"),
        ],
        {"i1": ("paid", 40000, 9900)},
        0,
        [],
    ),
    (
        "credit-note-then-overpayment-is-credit",
        [
            I1,
            invoice_adjusted(amount=9900, at="2026-09-05T08:00"),
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
        ],
        {"i1": ("paid", 40000, 9900)},
        9900,
        ["credit_held"],
    ),
    (
        "credit-note-after-payment-frees-the-money-as-credit",
        [
            I1,
            payment_received(amount=49900, invoice="i1", at="2026-09-20T08:00"),
            invoice_adjusted(amount=9900, at="2026-09-25T08:00"),
        ],
        {"i1": ("paid", 40000, 9900)},
        9900,
        [],
    ),
    (
        "credit-note-after-payment-frees-the-money-for-another-invoice",
        [
            I1,
            I2,
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
            invoice_adjusted(invoice="i1", amount=9900, at="2026-10-03T08:00"),
        ],
        {"i1": ("paid", 40000, 9900), "i2": ("open", 9900, 0)},
        0,
        [],
    ),
    (
        "same-credit-note-twice-credited-once",
        [
            I1,
            invoice_adjusted(amount=9900, credit_note="cn7", at="2026-09-05T08:00"),
            invoice_adjusted(amount=9900, credit_note="cn7", at="2026-09-05T09:00"),
        ],
        {"i1": ("open", 0, 9900)},
        0,
        ["credit_note_repeated_ignored"],
    ),
    (
        "two-credit-notes-both-count",
        [
            I1,
            invoice_adjusted(amount=9900, credit_note="cn1", at="2026-09-05T08:00"),
            invoice_adjusted(amount=9900, credit_note="cn2", at="2026-09-05T09:00"),
        ],
        {"i1": ("open", 0, 19800)},
        0,
        [],
    ),
    (
        "credit-note-in-other-currency-refused",
        [I1, invoice_adjusted(amount=9900, currency="EUR", at="2026-09-05T08:00")],
        {"i1": ("open", 0, 0)},
        0,
        ["currency_mismatch"],
    ),
    (
        "cancellation-releases-money-to-other-invoices",
        [
            I1,
            I2,
            payment_received(amount=60000, at="2026-10-02T08:00"),
            invoice_cancelled(invoice="i1", at="2026-10-03T08:00"),
        ],
        {"i1": ("cancelled", 0, 0), "i2": ("paid", 49900, 0)},
        10100,
        [],
    ),
    (
        "cancelling-a-paid-invoice-turns-its-payment-into-credit",
        [
            I1,
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
            invoice_cancelled(invoice="i1", at="2026-10-03T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        49900,
        [],
    ),
    (
        "payment-naming-a-cancelled-invoice-goes-elsewhere",
        [
            I1,
            I2,
            invoice_cancelled(invoice="i1", at="2026-10-03T08:00"),
            payment_received(amount=49900, invoice="i1", at="2026-10-04T08:00"),
        ],
        {"i1": ("cancelled", 0, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
]


@pytest.mark.parametrize(MONEY_FIELDS, money_params(CREDIT_NOTES))
def test_money(
    events: list[EventBase], expected: dict[str, tuple[str, int, int]], credit: int, kinds: list
) -> None:
    check_money(events, expected, credit, kinds)
