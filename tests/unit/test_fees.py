"""Fees a decision may levy (lag 1981:739 caps for SEK; nothing where no cap is known)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.guardrails import RulePack
from engine.guardrails.fees import fee_for
from engine.guardrails.pack import FeeCaps
from engine.policies import LadderPolicy
from engine.step import EngineContext
from schemas.enums import Action
from tests.builders import day, invoice, invoice_issued, run

PACK = RulePack()
NO_FEES = RulePack(fee_caps={})


@pytest.mark.parametrize(
    ("action", "fields", "pack", "fee"),
    [
        pytest.param(
            Action.REMIND,
            {"reminder_fee_agreed": True},
            PACK,
            6000,
            id="reminder-fee-60-sek-when-agreed",
        ),
        pytest.param(Action.REMIND, {}, PACK, 0, id="no-reminder-fee-unless-agreed"),
        pytest.param(
            Action.REMIND,
            {"reminder_fee_agreed": True, "reminder_fee_levied": True},
            PACK,
            0,
            id="reminder-fee-only-once",
        ),
        pytest.param(Action.ESCALATE, {}, PACK, 18000, id="collection-demand-fee-180-sek"),
        pytest.param(
            Action.ESCALATE,
            {"reminder_fee_levied": True},
            PACK,
            18000,
            id="demand-fee-after-a-reminder-fee",
        ),
        pytest.param(
            Action.REMIND,
            {"reminder_fee_agreed": True, "currency": "EUR"},
            PACK,
            0,
            id="unknown-currency-no-reminder-fee",
        ),
        pytest.param(
            Action.ESCALATE, {"currency": "EUR"}, PACK, 0, id="unknown-currency-no-demand-fee"
        ),
        pytest.param(Action.ESCALATE, {}, NO_FEES, 0, id="pack-without-caps-no-fee"),
        pytest.param(
            Action.OFFER_PLAN, {"reminder_fee_agreed": True}, PACK, 0, id="no-fee-for-a-plan-offer"
        ),
        pytest.param(Action.OFFER_DIRECT_DEBIT, {}, PACK, 0, id="no-fee-for-a-direct-debit-offer"),
        pytest.param(Action.HUMAN_REVIEW, {}, PACK, 0, id="no-fee-for-human-review"),
        pytest.param(Action.WAIT, {"reminder_fee_agreed": True}, PACK, 0, id="no-fee-for-waiting"),
        pytest.param(
            Action.REMIND,
            {"reminder_fee_agreed": True, "currency": "EUR"},
            RulePack(fee_caps={"EUR": FeeCaps(reminder=500)}),
            500,
            id="other-currency-cap-from-the-pack",
        ),
    ],
)
def test_fee(action: Action, fields: dict[str, Any], pack: RulePack, fee: int) -> None:
    assert fee_for(action, invoice("i1", **fields), pack) == fee


@pytest.mark.parametrize(
    ("sent_on", "fee"),
    [
        pytest.param("2026-09-25", 0, id="no-reminder-fee-before-the-due-date"),
        pytest.param("2026-09-30", 0, id="no-reminder-fee-on-the-due-date"),
        pytest.param("2026-10-01", 6000, id="reminder-fee-the-day-after"),
    ],
)
def test_reminder_fee_only_after_the_due_date(sent_on: str, fee: int) -> None:
    inv = invoice("i1", due="2026-09-30", reminder_fee_agreed=True)
    assert fee_for(Action.REMIND, inv, PACK, day(sent_on)) == fee


@pytest.mark.parametrize(
    ("agreed", "fees"),
    [
        pytest.param(True, [6000, 0, 18000], id="agreed-fee-levied-on-first-reminder-only"),
        pytest.param(False, [0, 0, 18000], id="no-agreement-no-reminder-fee"),
    ],
)
def test_fees_along_the_ladder(agreed: bool, fees: list[int]) -> None:
    done = run(invoice_issued(fee_agreed=agreed), until="2026-11-05T00:00")
    assert [(d.action.value, d.fee_minor) for d in done.actions] == list(
        zip(["remind", "remind", "escalate"], fees, strict=True)
    )
    assert done.state is not None
    assert done.state.invoices["i1"].reminder_fee_levied is agreed


def test_no_fee_along_the_ladder_when_the_pack_has_no_caps() -> None:
    done = run(
        invoice_issued(fee_agreed=True),
        until="2026-11-05T00:00",
        ctx=EngineContext(LadderPolicy(), NO_FEES),
    )
    assert [d.fee_minor for d in done.actions] == [0, 0, 0]
