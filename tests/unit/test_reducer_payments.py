"""The reducer, payments: allocation to invoices, references, currencies, decision ids.

Money rows are checked by :func:`tests.unit.reducer_helpers.check_money`.
"""

from __future__ import annotations

import pytest

from engine.ids import decision_id, parse_payment_reference, payment_reference
from schemas.events import EventBase
from tests.builders import (
    invoice_issued,
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


PAYMENTS: list[MoneyRow] = [
    (
        "full-payment-closes-the-invoice",
        [I1, payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "partial-payment-leaves-it-open",
        [I1, payment_received(amount=20000, invoice="i1", at="2026-10-02T08:00")],
        {"i1": ("open", 20000, 0)},
        0,
        [],
    ),
    (
        "two-partial-payments-close-it",
        [
            I1,
            payment_received(amount=20000, invoice="i1", at="2026-10-02T08:00"),
            payment_received(amount=29900, at="2026-10-03T08:00"),
        ],
        {"i1": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "overpayment-kept-as-credit",
        [I1, payment_received(amount=59900, invoice="i1", at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0)},
        10000,
        ["credit_held"],
    ),
    (
        "credit-netted-against-the-next-invoice",
        [I1, payment_received(amount=59900, invoice="i1", at="2026-09-20T08:00"), I2],
        {"i1": ("paid", 49900, 0), "i2": ("open", 10000, 0)},
        0,
        ["credit_held"],
    ),
    (
        "credit-can-pay-the-next-invoice-in-full",
        [I1, payment_received(amount=99800, at="2026-09-20T08:00"), I2],
        {"i1": ("paid", 49900, 0), "i2": ("paid", 49900, 0)},
        0,
        ["credit_held"],
    ),
    (
        "payment-with-no-invoice-at-all-is-credit",
        [payment_received(amount=5000, at="2026-09-20T08:00")],
        {},
        5000,
        ["credit_held"],
    ),
    (
        "fifo-oldest-due-first-without-reference",
        [I2, I1, payment_received(amount=60000, at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0), "i2": ("open", 10100, 0)},
        0,
        [],
    ),
    (
        "our-reference-inv-step-names-the-invoice",
        [I1, I2, payment_received(amount=49900, reference="i2.2", at="2026-10-02T08:00")],
        {"i1": ("open", 0, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "bare-invoice-number-as-reference",
        [I1, I2, payment_received(amount=49900, reference="i2", at="2026-10-02T08:00")],
        {"i1": ("open", 0, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "reference-first-then-oldest-for-the-rest",
        [I1, I2, payment_received(amount=60000, reference="i2.1", at="2026-10-02T08:00")],
        {"i1": ("open", 10100, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "invoice-number-with-dots-used-as-reference",
        [
            I1,
            invoice_issued(invoice="2026.10", due="2026-10-30", at="2026-10-01T08:00"),
            payment_received(amount=49900, reference="2026.10", at="2026-10-02T08:00"),
        ],
        {"i1": ("open", 0, 0), "2026.10": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "our-reference-to-an-invoice-number-with-dots",
        [
            I1,
            invoice_issued(invoice="2026.10", due="2026-10-30", at="2026-10-01T08:00"),
            payment_received(amount=49900, reference="2026.10.3", at="2026-10-02T08:00"),
        ],
        {"i1": ("open", 0, 0), "2026.10": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "reference-naming-no-known-invoice-goes-oldest-first",
        [I1, payment_received(amount=49900, reference="12345.6", at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "other-currency-is-not-allocated",
        [I1, payment_received(amount=49900, currency="EUR", at="2026-10-02T08:00")],
        {"i1": ("open", 0, 0)},
        49900,
        ["credit_held"],
    ),
    (
        "named-invoice-in-other-currency-skipped",
        [
            I1,
            invoice_issued(invoice="e1", currency="EUR", amount=100, at="2026-09-01T09:00"),
            payment_received(amount=100, currency="EUR", invoice="i1", at="2026-10-02T08:00"),
        ],
        {"i1": ("open", 0, 0), "e1": ("paid", 100, 0)},
        0,
        [],
    ),
]


@pytest.mark.parametrize(MONEY_FIELDS, money_params(PAYMENTS))
def test_money(
    events: list[EventBase], expected: dict[str, tuple[str, int, int]], credit: int, kinds: list
) -> None:
    check_money(events, expected, credit, kinds)


@pytest.mark.parametrize(
    ("reference", "parsed"),
    [
        pytest.param(payment_reference("i1", 2), ("i1", 2), id="ours-round-trips"),
        pytest.param(payment_reference("2026.10", 3), ("2026.10", 3), id="dots-in-invoice-id"),
        pytest.param("i1", None, id="bare-invoice-number"),
        pytest.param("i1.", None, id="no-step"),
        pytest.param(".3", None, id="no-invoice"),
        pytest.param("i1.x", None, id="step-not-a-number"),
    ],
)
def test_parse_payment_reference(reference: str, parsed: tuple[str, int] | None) -> None:
    assert parse_payment_reference(reference) == parsed


def test_decision_ids_name_invoice_and_step_and_waits_their_point() -> None:
    assert decision_id("i1", 2, 5, actionable=True) == "i1/2"
    assert decision_id("i1", 2, 5, actionable=False) == "i1/2/w5"
