"""Simulated event logs for the streaming tests, and what ``duewise replay`` decides on them."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from typer.testing import CliRunner

from duewise.bootstrap import build_engine
from duewise.cli import app
from duewise.replay import ReplaySinks, replay_lines
from duewise.settings import Settings
from duewise.validate import iter_lines
from schemas.codec import decode_decision

BAD_LINES = [
    b"{not json at all",
    b'{"type": "invoice_teleported", "customer_id": "cust-000001"}',
    b'{"type": "payment_received", "customer_id": "cust-000002", "amount_minor": "lots"}',
]


def simulated_log(
    folder: Path, customers: int, months: int, seed: int, policy: str, bad: bool = False
) -> Path:
    """A simulated biller's log (``duewise simulate``), optionally with bad lines inside."""
    path = folder / f"sim-{customers}-{months}-{seed}-{policy}.jsonl"
    args = ["--customers", str(customers), "--months", str(months), "--seed", str(seed)]
    result = CliRunner().invoke(app, ["simulate", "--out", str(path), "--policy", policy, *args])
    assert result.exit_code == 0, result.output
    if bad:
        lines = path.read_bytes().splitlines()
        step = len(lines) // (len(BAD_LINES) + 1)
        for i, line in enumerate(BAD_LINES, 1):
            lines.insert(i * step + i - 1, line)
        path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def replayed(path: Path, policy: str, seed: int) -> dict[str, bytes]:
    """Every decision (waits included) the embedded replay makes on ``path``, by id."""
    engine = build_engine(Settings(policy=policy, seed=seed))
    audit = BytesIO()
    replay_lines(engine, iter_lines(path), ReplaySinks(decisions=BytesIO(), audit=audit))
    lines = audit.getvalue().splitlines()
    by_id = {decode_decision(line).decision_id: line for line in lines}
    assert len(by_id) == len(lines), "the replay itself made two decisions with one id"
    return by_id


def compare(expected: dict[str, bytes], got: list[bytes]) -> int:
    """Assert ``got`` holds exactly the expected decisions, any re-send byte-identical;
    return how many re-sends there were."""
    seen: dict[str, bytes] = {}
    resent = 0
    for line in got:
        decision_id = decode_decision(line).decision_id
        if decision_id in seen:
            assert seen[decision_id] == line, (
                f"two different decisions for {decision_id}:\nfirst    {seen[decision_id]!r}"
                f"\nthen     {line!r}\nexpected {expected.get(decision_id)!r}"
            )
            resent += 1
        seen[decision_id] = line
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    assert not missing, f"{len(missing)} decisions missing, e.g. {missing[:3]}"
    assert not extra, f"{len(extra)} decisions the replay did not make, e.g. {extra[:3]}"
    differ = [d for d in expected if expected[d] != seen[d]]
    assert not differ, f"{len(differ)} decisions differ from the replay, e.g. {differ[:3]}"
    return resent
