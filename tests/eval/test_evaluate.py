"""The evaluation loop, the simulate command and the report, on a small world.

The key property: the event log the world wrote under a policy, replayed through
``duewise replay``, gives exactly the decisions the loop made. That is what makes a simulated
log a fair test input for the replay and, later, the streaming runtime.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from duewise.cli import app
from duewise.evaluate import run_policies, run_policy
from schemas.codec import decode_decision
from sim.world import WorldConfig

SMALL = WorldConfig(seed=5, customers=150, months=2)


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    names = ["ladder", "no-action", "random", "oracle"]
    return {r.policy: r for r in run_policies(names, SMALL)}


def test_every_policy_sees_the_same_invoices(runs: dict) -> None:
    billed = {name: run.kpis.billed_sek for name, run in runs.items()}
    assert len(set(billed.values())) == 1, billed


def test_no_action_never_contacts_and_ladder_does(runs: dict) -> None:
    assert runs["no-action"].kpis.contacts_per_invoice == 0
    assert runs["ladder"].kpis.reminded_per_100 > 10


def test_oracle_is_an_upper_bound_on_this_world(runs: dict) -> None:
    oracle = runs["oracle"].kpis.net_value_sek
    for name in ("ladder", "no-action", "random"):
        assert oracle >= runs[name].kpis.net_value_sek, name


def test_random_logs_propensities_below_one(runs: dict) -> None:
    props = [d.policy.propensity for d in runs["random"].decisions]
    assert props and all(0 < p <= 1 for p in props)
    assert min(props) < 1


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        run_policy("bogus", SMALL)


def test_simulated_log_replays_to_the_same_decisions(tmp_path: Path) -> None:
    cli = CliRunner()
    events, sim_decisions = tmp_path / "events.jsonl", tmp_path / "sim.jsonl"
    replayed, audit = tmp_path / "replayed.jsonl", tmp_path / "audit.jsonl"
    args = ["--customers", "120", "--months", "2", "--seed", "3"]
    result = cli.invoke(
        app, ["simulate", "--out", str(events), "--decisions", str(sim_decisions), *args]
    )
    assert result.exit_code == 0, result.output
    result = cli.invoke(
        app,
        ["replay", str(events), "--out", str(replayed), "--audit", str(audit), "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    from_loop = sorted(sim_decisions.read_bytes().splitlines())
    from_replay = audit.read_bytes().splitlines()
    # The loop runs on past the last event (the world's end); the replay stops at the last
    # event, so it may lack only the loop's trailing decisions, never differ on shared ones.
    assert from_replay, "replay made no decisions"
    last = max(decode_decision(line).decided_at for line in from_replay)
    shared = [line for line in from_loop if decode_decision(line).decided_at <= last]
    assert sorted(from_replay) == shared


def test_evaluate_writes_a_report_with_plots(tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    result = CliRunner().invoke(
        app,
        ["evaluate", "--policies", "ladder,no-action", "--customers", "80", "--months", "1",
         "--jobs", "1", "--report", str(report)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "net value (SEK)" in result.output
    page = report.read_text()
    assert page.count("data:image/png;base64,") == 3  # no scored policy: no Qini curve
    assert "<th>ladder</th>" in page and "<th>no-action</th>" in page


def test_scored_policy_gets_a_qini_curve(runs: dict) -> None:
    from duewise.report import render_report, uplift_curve

    curve = uplift_curve(runs["oracle"])
    assert curve is not None and curve[-1][0] == 1.0
    assert uplift_curve(runs["random"]) is None  # probabilities, not values
    page = render_report(list(runs.values()), "t", {})
    assert page.count("data:image/png;base64,") == 4
