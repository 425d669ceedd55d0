"""The golden replay: the scenarios' events, replayed, must give exactly the checked-in decisions.

Three layers, so that the golden files cannot silently encode a bug:

1. byte-for-byte: ``events.jsonl`` is what the scenarios generate, and replaying it through the
   CLI and through the library gives exactly ``decisions.jsonl`` and ``audit.jsonl``;
2. every golden decision obeys the rules of :mod:`tests.replay.invariants` (an independent model
   of the events, not the rule pack);
3. each scenario's meaning, asserted on its own decisions (``test_gNN_...`` in
   ``test_golden_ledger.py`` and ``test_golden_rules.py``).

After a deliberate change, regenerate with ``python -m tests.replay.regen`` and read the diff.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duewise import Settings, build_engine
from duewise.cli import app
from duewise.replay import ReplaySinks, replay_file
from engine.guardrails import RulePack
from schemas.codec import decode_decision

from .drive import decode_lines, drive, lines
from .golden_helpers import (
    assert_same,
    audit_of,
    run_alone,
    until,
)
from .invariants import check_run
from .regen import (
    AUDIT,
    DECISIONS,
    EVENTS,
    README,
    SEED,
    event_log,
    readme,
    replay_args,
)
from .scenarios import SCENARIOS, Scenario

# --- layer 1: byte for byte ------------------------------------------------------------------


def test_events_are_what_the_scenarios_generate() -> None:
    assert_same("events.jsonl", EVENTS.read_bytes(), event_log())


def test_readme_lists_every_scenario() -> None:
    assert_same("README.md", README.read_bytes(), readme().encode())


def test_cli_replay_gives_the_golden_decisions(tmp_path: Path) -> None:
    out, audit, dlq = tmp_path / "d.jsonl", tmp_path / "a.jsonl", tmp_path / "dlq.jsonl"
    result = CliRunner().invoke(app, replay_args(EVENTS, out, audit, dlq))
    assert result.exit_code == 0, result.output
    assert_same("decisions.jsonl", DECISIONS.read_bytes(), out.read_bytes())
    assert_same("audit.jsonl", AUDIT.read_bytes(), audit.read_bytes())
    assert dlq.read_bytes() == b""
    assert "invalid lines: 0; dead letters: 0" in result.output


def test_library_replay_gives_the_golden_decisions() -> None:
    out, audit, dlq = io.BytesIO(), io.BytesIO(), io.BytesIO()
    summary = replay_file(
        build_engine(Settings(seed=SEED)), EVENTS, ReplaySinks(out, audit, dlq), until()
    )
    assert_same("decisions.jsonl", DECISIONS.read_bytes(), out.getvalue())
    assert_same("audit.jsonl", AUDIT.read_bytes(), audit.getvalue())
    assert (summary.invalid, summary.dead_letters, dlq.getvalue()) == (0, 0, b"")
    assert summary.events == len(EVENTS.read_bytes().splitlines())


def test_decisions_file_is_the_actionable_part_of_the_audit() -> None:
    audit = AUDIT.read_bytes().splitlines()
    actionable = [line for line in audit if decode_decision(line).actionable]
    assert DECISIONS.read_bytes().splitlines() == actionable
    assert len(actionable) < len(audit), "the golden log should contain waits too"


# --- layer 2: the rules hold for every golden decision ---------------------------------------


def test_every_golden_decision_obeys_the_rules() -> None:
    events = decode_lines(EVENTS.read_bytes())
    engine = build_engine(Settings(seed=SEED))
    tagged = drive(engine, events, until())
    assert lines(d for _, d in tagged) == AUDIT.read_bytes()
    assert engine.context.pack == RulePack(), "the golden files assume the Swedish defaults"
    check_run(events, tagged, engine.context.pack)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.customer_id)
def test_each_scenario_alone_decides_the_same(scenario: Scenario) -> None:
    """Customers are independent: a scenario replayed alone gives its slice of the audit."""
    alone = [d for _, d in run_alone(scenario)[0]]
    assert lines(alone) == lines(audit_of(scenario.number))


def test_scenarios_are_numbered_and_use_their_own_ids() -> None:
    assert [s.number for s in SCENARIOS] == list(range(1, len(SCENARIOS) + 1))
    for s in SCENARIOS:
        for entry in s.customer().entries:
            event = entry.event
            assert event.customer_id == s.customer_id
            assert event.event_id.startswith(f"{s.short}-e")
            for name in ("invoice_id", "payment_id"):
                value = getattr(event, name, None)
                assert value is None or value.startswith(f"{s.short}-"), (s.slug, value)
        assert s.summary, f"{s.customer_id} needs a docstring"
