"""Helpers of the golden replay tests: comparing bytes with a readable diff, the replay horizon,
and reading one scenario's decisions out of the golden audit.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime, time
from functools import cache

import pytest

from duewise import Settings, build_engine
from schemas import events as ev
from schemas.codec import decode_decision
from schemas.outbound import Decision

from .builder import utc
from .drive import decode_lines, drive
from .invariants import local
from .regen import (
    AUDIT,
    REGEN_COMMAND,
    SEED,
    UNTIL,
)
from .scenarios import SCENARIOS, Scenario

STOCKHOLM = "Europe/Stockholm"


def assert_same(name: str, expected: bytes, actual: bytes) -> None:
    """Fail with a readable diff (first 60 lines) and the command that regenerates."""
    if expected == actual:
        return
    diff = difflib.unified_diff(
        expected.decode().splitlines(),
        actual.decode().splitlines(),
        f"checked-in {name}",
        f"produced {name}",
        lineterm="",
        n=1,
    )
    shown = "\n".join(list(diff)[:60])
    pytest.fail(
        f"{name} differs from the golden file.\n{shown}\n\n"
        f"If the change is deliberate, regenerate with `{REGEN_COMMAND}` and review the diff.",
        pytrace=False,
    )


def until() -> datetime:
    return utc(UNTIL)


@cache
def golden_audit() -> tuple[Decision, ...]:
    return tuple(decode_decision(line) for line in AUDIT.read_bytes().splitlines())


def nth(number: int) -> Scenario:
    return SCENARIOS[number - 1]


def audit_of(number: int) -> list[Decision]:
    """The golden audit records of one scenario's customer, in file order."""
    customer_id = nth(number).customer_id
    return [d for d in golden_audit() if d.customer_id == customer_id]


def acts(number: int) -> list[Decision]:
    """The actionable golden decisions of one scenario."""
    return [d for d in audit_of(number) if d.actionable]


def shape(decisions: list[Decision]) -> list[tuple[str, str | None]]:
    return [(d.action.value, d.channel.value if d.channel else None) for d in decisions]


def event_time(number: int, kind: type[ev.EventBase]) -> datetime:
    """When the (first) event of ``kind`` in a scenario occurred."""
    return next(
        e.event.occurred_at for e in nth(number).customer().entries if isinstance(e.event, kind)
    )


def local_day(d: Decision, attr: str = "decided_at", tz: str = STOCKHOLM) -> date:
    return local(getattr(d, attr), tz).date()


def local_clock(d: Decision, attr: str = "decided_at", tz: str = STOCKHOLM) -> time:
    return local(getattr(d, attr), tz).time()


def rules_blocked(d: Decision) -> set[str]:
    return {b.rule for b in d.blocked}


def run_alone(s: Scenario) -> tuple[list[tuple[int, Decision]], dict[str, int]]:
    """Replay one scenario on a fresh engine: its tagged decisions and the notices raised."""
    engine = build_engine(Settings(seed=SEED))
    events = decode_lines(b"\n".join(s.customer().lines()))
    tagged = drive(engine, events, until())
    return tagged, dict(engine.notices)


LADDER = [("remind", "email"), ("remind", "letter"), ("escalate", "letter")]
