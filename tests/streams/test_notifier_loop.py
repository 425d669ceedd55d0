"""The loop closes live: the example notifier answers the worker's decisions with message
events on the contacts topic, and the worker takes them in (no dead letters)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from schemas.codec import decode_decision, decode_event
from tests.streams.harness import REPO_ROOT, Deploy, Deployment, read_topic, wait_until

NOTIFIER = REPO_ROOT / "examples" / "notifier.py"


async def test_example_notifier_closes_the_loop(deploy: Deploy) -> None:
    d = deploy()
    try:
        await d.produce(REPO_ROOT / "examples" / "events.jsonl")
        d.start()
        await wait_until(lambda: _count(d, d.topics.decisions, 1), 90, "decisions")
        notifier = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(NOTIFIER), "--idle", "5"],
            env=d.env(0),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert notifier.returncode == 0, notifier.stderr
        decisions = [
            decode_decision(v) for v in await read_topic(d.bootstrap, d.topics.decisions, 4)
        ]
        handovers = ("escalate", "human_review")
        messages = [c for c in decisions if c.channel and c.action.value not in handovers]
        assert messages, "the example log should make reminders"
        await wait_until(lambda: _count(d, d.topics.contacts, 2 * len(messages)), 30, "reports")
        await asyncio.sleep(3)  # the worker reads the reports
    finally:
        d.stop_all()
    reports = [decode_event(v) for v in await read_topic(d.bootstrap, d.topics.contacts, 4)]
    assert sorted({r.decision_id for r in reports}) == sorted(m.decision_id for m in messages)
    assert {r.type for r in reports} == {"message_sent", "message_delivered"}
    assert await read_topic(d.bootstrap, d.topics.dlq, 4) == []
    log = (d.state_root / "w0" / "worker.log").read_text()
    assert "Traceback" not in log


async def _count(d: Deployment, topic: str, n: int) -> bool:
    return len(await read_topic(d.bootstrap, topic, 4)) >= n
