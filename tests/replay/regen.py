"""Regenerate the golden replay files from :mod:`tests.replay.scenarios`.

Run from the repository root after a deliberate change to the scenarios or the engine::

    .venv/bin/python -m tests.replay.regen

It writes ``golden/events.jsonl`` (every scenario's events merged in arrival order), replays it
with ``duewise replay`` (seed 0, clock advanced to :data:`UNTIL`) into ``golden/decisions.jsonl``
and ``golden/audit.jsonl``, and rewrites ``golden/README.md``. Read the diff of the decisions
before committing it: the golden files are the rules' documentation, not a snapshot to wave
through.
"""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from duewise.cli import app
from schemas.codec import encode_event

from .scenarios import SCENARIOS

GOLDEN = Path(__file__).parent / "golden"
EVENTS = GOLDEN / "events.jsonl"
DECISIONS = GOLDEN / "decisions.jsonl"
AUDIT = GOLDEN / "audit.jsonl"
README = GOLDEN / "README.md"
SEED = 0
UNTIL = "2027-02-01T00:00:00Z"
REGEN_COMMAND = ".venv/bin/python -m tests.replay.regen"


def replay_args(events: Path, out: Path, audit: Path, dlq: Path) -> list[str]:
    """The ``duewise replay`` arguments that produce the golden outputs."""
    return [
        "replay",
        str(events),
        "--out",
        str(out),
        "--audit",
        str(audit),
        "--dlq",
        str(dlq),
        "--seed",
        str(SEED),
        "--until",
        UNTIL,
        "--no-progress",
    ]


def event_log() -> bytes:
    """Every scenario's events, merged by arrival time (ties: scenario number, then order)."""
    keyed = [
        ((entry.arrives_at, scenario.number, entry.position), encode_event(entry.event))
        for scenario in SCENARIOS
        for entry in scenario.customer().entries
    ]
    keyed.sort(key=lambda pair: pair[0])
    return b"".join(line + b"\n" for _, line in keyed)


def readme() -> str:
    """The golden README: one line per scenario, from the scenarios' docstrings."""
    lines = [
        "# Golden replay",
        "",
        "Generated from `tests/replay/scenarios.py` by `python -m tests.replay.regen`; do not",
        "edit. One customer per scenario; the first paragraph of each scenario's docstring says",
        "what happens and which decision shows it. Reproduce the outputs by hand with",
        "",
        "```",
        "duewise replay tests/replay/golden/events.jsonl --out decisions.jsonl \\",
        f"  --audit audit.jsonl --seed {SEED} --until {UNTIL}",
        "```",
        "",
        "`decisions.jsonl` holds what a notifier acts on; `audit.jsonl` every decision point,",
        "waits included. `tests/replay/test_golden.py` checks both byte for byte and asserts",
        "each scenario's meaning on its own.",
        "",
        "| customer | what happens, and the decision that shows it |",
        "|---|---|",
    ]
    lines += [f"| `{s.customer_id}` | {s.summary} |" for s in SCENARIOS]
    return "\n".join(lines) + "\n"


def run_cli_replay(events: Path, out: Path, audit: Path, dlq: Path) -> None:
    """Run ``duewise replay`` in-process; raise with its output if it fails."""
    result = CliRunner().invoke(app, replay_args(events, out, audit, dlq))
    if result.exit_code != 0:
        raise RuntimeError(f"duewise replay failed ({result.exit_code}):\n{result.output}")


def main() -> int:
    """Write every golden file and report what changed."""
    GOLDEN.mkdir(exist_ok=True)
    before = {p: p.read_bytes() if p.exists() else None for p in (EVENTS, DECISIONS, AUDIT, README)}
    EVENTS.write_bytes(event_log())
    dlq = GOLDEN / "dlq.tmp.jsonl"
    try:
        run_cli_replay(EVENTS, DECISIONS, AUDIT, dlq)
        if dlq.read_bytes():
            raise RuntimeError(f"the golden log produced dead letters:\n{dlq.read_text()}")
    finally:
        dlq.unlink(missing_ok=True)
    README.write_text(readme(), encoding="utf-8")
    for path, old in before.items():
        state = "unchanged" if old == path.read_bytes() else "REWRITTEN"
        print(f"{state:10} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
