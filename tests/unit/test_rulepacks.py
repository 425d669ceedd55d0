"""Rule packs: the shipped TOML files, and the errors a bad file gives."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from duewise.rulepacks import BUILTIN, RulePackError, load_rule_pack
from engine.guardrails import RulePack
from engine.guardrails.pack import FrequencyCap
from schemas.enums import Channel


def test_the_swedish_file_documents_exactly_the_defaults() -> None:
    assert load_rule_pack("se") == RulePack()


def test_the_swedish_defaults_are_the_legal_figures() -> None:
    pack = RulePack()
    assert (pack.quiet_hours.start, pack.quiet_hours.end) == (time(8, 0), time(21, 0))
    assert pack.fee_caps["SEK"].reminder == 6000
    assert pack.fee_caps["SEK"].collection_demand == 18000
    assert pack.fee_caps["SEK"].payment_plan == 17000
    assert (pack.escalation.notice_days, pack.escalation.notice_bank_days_after_receipt) == (8, 4)
    assert pack.channel_caps[Channel.PHONE] == FrequencyCap(window_days=7, max_contacts=7)
    assert pack.no_call_after_conversation_days == 7
    assert pack.vulnerable_never_escalate
    assert pack.escalation.require_forbearance_offer


def test_the_strict_us_pack_loads() -> None:
    pack = load_rule_pack("us_strict")
    assert pack.name == "us_strict"
    assert pack.holidays == "US"
    assert pack.fee_caps == {}
    assert pack.quiet_hours.weekend_channels == []
    assert pack.channel_caps[Channel.SMS] == FrequencyCap(window_days=7, max_contacts=3)
    assert pack.escalation.min_outstanding_minor == {"USD": 5000}
    assert pack.escalation.notice_days == 30
    assert Channel.EMAIL in pack.escalation.written_channels


def test_every_builtin_pack_loads_by_name_and_by_path() -> None:
    assert set(BUILTIN) >= {"se", "us_strict"}
    for name, path in BUILTIN.items():
        assert load_rule_pack(name) == load_rule_pack(path) == load_rule_pack(str(path))
        assert load_rule_pack(name).name == name


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pack.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_partial_file_keeps_the_defaults_for_the_rest(tmp_path: Path) -> None:
    pack = load_rule_pack(_write(tmp_path, 'name = "mine"\ninvoice_min_gap_days = 9\n'))
    assert pack == RulePack(name="mine", invoice_min_gap_days=9)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param("name = \n", "not valid TOML", id="broken-toml"),
        pytest.param("invoice_min_gap = 5\n", "invoice_min_gap", id="unknown-field-named"),
        pytest.param("invoice_min_gap_days = -1\n", "invoice_min_gap_days", id="negative-gap"),
        pytest.param('invoice_min_gap_days = "five"\n', "invoice_min_gap_days", id="wrong-type"),
        pytest.param(
            "[customer_cap]\nwindow_days = 0\nmax_contacts = 3\n",
            "customer_cap.window_days",
            id="zero-window",
        ),
        pytest.param(
            "[customer_cap]\nwindow_days = 7\n", "customer_cap.max_contacts", id="missing-field"
        ),
        pytest.param(
            "[channel_caps.pigeon]\nwindow_days = 7\nmax_contacts = 1\n",
            "pigeon",
            id="unknown-channel",
        ),
        pytest.param('[quiet_hours]\nstart = "eight"\n', "quiet_hours.start", id="unreadable-time"),
        pytest.param(
            "[escalation]\nnotice_dayz = 8\n", "escalation.notice_dayz", id="typo-in-a-table"
        ),
        pytest.param('holidays = "SWE"\n', "holidays", id="unknown-holiday-calendar"),
        pytest.param(
            '[quiet_hours]\nstart = "21:00:00"\nend = "08:00:00"\n',
            "contact window must end after it starts",
            id="empty-contact-window",
        ),
        pytest.param(
            "[fee_caps.SEK]\nreminder = -100\n", "fee_caps.SEK.reminder", id="negative-fee"
        ),
    ],
)
def test_a_bad_file_names_the_problem(tmp_path: Path, text: str, named: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RulePackError) as caught:
        load_rule_pack(path)
    message = str(caught.value)
    assert named in message
    assert str(path) in message


def test_an_unknown_pack_lists_the_builtin_ones() -> None:
    with pytest.raises(RulePackError, match=r"no rule pack 'nope' \(built in: se, us_strict"):
        load_rule_pack("nope")


def test_a_rule_pack_error_is_a_value_error() -> None:
    assert issubclass(RulePackError, ValueError)
