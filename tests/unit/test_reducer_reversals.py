"""The reducer, reversals, repeated payments, withdrawn claims and reissued invoices.

Money rows are checked by :func:`tests.unit.reducer_helpers.check_money`.
"""

from __future__ import annotations

import pytest

from engine.state import InvoiceStatus
from schemas.events import EventBase
from tests.builders import (
    apply,
    dispute_opened,
    dispute_resolved,
    invoice_issued,
    payment_received,
    payment_reversed,
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


REVERSALS: list[MoneyRow] = [
    (
        "reversal-reopens-a-paid-invoice",
        [
            I1,
            payment_received(amount=49900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        [],
    ),
    (
        "reversal-undoes-exactly-that-payment",
        [
            I1,
            payment_received(amount=20000, payment="p1", at="2026-10-02T08:00"),
            payment_received(amount=29900, payment="p2", at="2026-10-03T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 29900, 0)},
        0,
        [],
    ),
    (
        "reversal-of-a-payment-split-over-two-invoices",
        [
            I1,
            I2,
            payment_received(amount=60000, payment="p1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0), "i2": ("open", 0, 0)},
        0,
        [],
    ),
    (
        "reversal-of-credit-removes-the-credit",
        [
            I1,
            payment_received(amount=59900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        ["credit_held"],
    ),
    (
        "reversal-nets-credit-from-another-payment",
        [
            I1,
            payment_received(amount=49900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            payment_received(amount=49900, payment="p2", at="2026-10-03T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("paid", 49900, 0)},
        0,
        ["credit_held"],
    ),
    (
        "reversal-of-unknown-payment-noticed",
        [I1, payment_reversed(payment="nope", at="2026-10-04T08:00")],
        {"i1": ("open", 0, 0)},
        0,
        ["reversal_unmatched"],
    ),
    (
        "second-reversal-noticed",
        [
            I1,
            payment_received(amount=49900, payment="p1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
            payment_reversed(payment="p1", at="2026-10-05T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        ["reversal_unmatched"],
    ),
    (
        "same-payment-id-twice-counted-once",
        [
            I1,
            payment_received(amount=20000, payment="p1", at="2026-10-02T08:00"),
            payment_received(amount=20000, payment="p1", at="2026-10-02T08:05"),
        ],
        {"i1": ("open", 20000, 0)},
        0,
        ["payment_repeated_ignored"],
    ),
    (
        "dispute-withdrawn-cancels-and-frees-the-money",
        [
            I1,
            payment_received(amount=10000, invoice="i1", at="2026-10-02T08:00"),
            dispute_opened(at="2026-10-03T08:00"),
            dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        10000,
        [],
    ),
    (
        "dispute-upheld-keeps-the-claim",
        [
            I1,
            dispute_opened(at="2026-10-03T08:00"),
            dispute_resolved(outcome="claim_upheld", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        [],
    ),
    (
        "dispute-withdrawn-after-payment-cancels-and-credits-the-money",
        [
            I1,
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
            dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        49900,
        [],
    ),
    (
        "withdrawn-claim-stays-closed-when-its-payment-is-reversed",
        [
            I1,
            payment_received(amount=49900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"),
            payment_reversed(payment="p1", at="2026-10-05T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        0,
        [],
    ),
    (
        "reissued-invoice-ignored",
        [I1, invoice_issued(invoice="i1", amount=1, at="2026-09-02T08:00")],
        {"i1": ("open", 0, 0)},
        0,
        ["invoice_reissued_ignored"],
    ),
]


@pytest.mark.parametrize(MONEY_FIELDS, money_params(REVERSALS))
def test_money(
    events: list[EventBase], expected: dict[str, tuple[str, int, int]], credit: int, kinds: list
) -> None:
    check_money(events, expected, credit, kinds)


def test_reversal_reopens_to_the_dunning_status_it_had() -> None:
    state, _ = apply(I1)
    assert state is not None
    state.invoices["i1"].step = 2
    state, _ = apply(
        payment_received(amount=49900, payment="p1", at="2026-10-20T08:00"),
        payment_reversed(payment="p1", at="2026-10-22T08:00"),
        state=state,
    )
    assert state is not None
    inv = state.invoices["i1"]
    assert (inv.status, inv.closed_at) == (InvoiceStatus.IN_DUNNING, None)
