"""The reducer, customer facts: ``customer_updated``, invoice time zones and churn."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.enums import Channel
from tests.builders import (
    apply,
    at,
    customer_churned,
    customer_updated,
    invoice_issued,
)

# customer_updated: (id, updates, expected fields)
UPDATES: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("nothing-known-at-first", [{}], {"reachable": None, "opted_out": [], "vulnerable": False}),
    (
        "reachable-replaces",
        [{"reachable_channels": ["email", "sms"]}, {"reachable_channels": ["letter"]}],
        {"reachable": ["letter"]},
    ),
    (
        "none-leaves-reachable-unchanged",
        [{"reachable_channels": ["email"]}, {"language": "sv"}],
        {"reachable": ["email"], "language": "sv"},
    ),
    (
        "reachable-deduplicated",
        [{"reachable_channels": ["email", "email"]}],
        {"reachable": ["email"]},
    ),
    ("empty-reachable-means-none-reachable", [{"reachable_channels": []}], {"reachable": []}),
    (
        "opted-out-accumulates",
        [{"opted_out": ["email"]}, {"opted_out": ["sms"]}],
        {"opted_out": ["email", "sms"]},
    ),
    (
        "empty-opted-out-removes-nothing",
        [{"opted_out": ["email"]}, {"opted_out": []}],
        {"opted_out": ["email"]},
    ),
    (
        "opted-in-removes-an-opt-out",
        [{"opted_out": ["email", "sms"]}, {"opted_in": ["email"]}],
        {"opted_out": ["sms"]},
    ),
    ("reachable-clears-a-bounce", [{"reachable_channels": ["email"]}], {"bounced": []}),
    ("reachable-keeps-other-bounces", [{"reachable_channels": ["sms"]}], {"bounced": ["email"]}),
    (
        "flags-set-and-unset",
        [{"vulnerable": True, "direct_debit_active": True}, {"vulnerable": False}],
        {"vulnerable": False, "direct_debit_active": True},
    ),
    ("timezone-set", [{"timezone": "America/New_York"}], {"timezone": "America/New_York"}),
]


@pytest.mark.parametrize(
    ("updates", "expected"), [pytest.param(*case[1:], id=case[0]) for case in UPDATES]
)
def test_customer_updated(updates: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    state, _ = apply(customer_updated())
    assert state is not None
    state.bounced = [Channel.EMAIL]
    state, _ = apply(*(customer_updated(**u) for u in updates), state=state)
    assert state is not None
    for name, value in expected.items():
        assert getattr(state, name) == value, name


@pytest.mark.parametrize(
    ("stated", "zone"),
    [
        pytest.param({}, "America/New_York", id="invoice-without-zone-keeps-the-customers"),
        pytest.param({"timezone": "Europe/London"}, "Europe/London", id="invoice-zone-wins"),
    ],
)
def test_invoice_timezone(stated: dict[str, str], zone: str) -> None:
    state, _ = apply(
        customer_updated(timezone="America/New_York", at="2026-08-01T08:00"),
        invoice_issued(**stated),
    )
    assert state is not None and state.timezone == zone


def test_a_new_customers_zone_defaults_to_stockholm() -> None:
    state, _ = apply(invoice_issued())
    assert state is not None and state.timezone == "Europe/Stockholm"


def test_churn_keeps_the_first_time() -> None:
    state, _ = apply(
        customer_churned(at="2026-10-05T08:00"), customer_churned(at="2026-10-09T08:00")
    )
    assert state is not None and state.churned_at == at("2026-10-05T08:00")
