"""Learning on a real broker: deciders emit outcomes, one learner learns each exactly once and
publishes versioned snapshots, every worker swaps them in, decisions carry the version.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime
from pathlib import Path

import orjson

from duewise.bootstrap import build_policy
from duewise.learning import Learner
from duewise.settings import Settings
from engine.policies.learned import LearnedPolicy
from models import load_snapshot
from schemas.codec import decode_decision, decode_outcome
from streams.follower import latest_snapshot
from streams.learner import OFFSET_HEADER
from tests.streams.harness import Deploy, Deployment, health, read_topic, stop, wait_until
from tests.streams.logs import simulated_log


async def test_learner_learns_every_outcome_once_across_a_crash_and_workers_swap_models(
    deploy: Deploy, tmp_path: Path
) -> None:
    log = simulated_log(tmp_path, customers=400, months=4, seed=2, policy="ladder")
    d = deploy(policy="learned", seed=2, learner=True)
    try:
        await d.produce(log)
        first = d.start()
        await wait_until(lambda: _snapshots(d, 1), 120, "a first model snapshot")
        stop(first, signal.SIGKILL)  # the learner dies between snapshots
        d.start()
        outcomes = await _wait_quiet(d)
    finally:
        d.stop_all()
    unique = {decode_outcome(raw).outcome_id: raw for raw in outcomes}
    assert len(unique) > 100
    # One learner, fed every distinct outcome once in topic order, is where the deployment's
    # learner must have ended: same number of examples in each model, same version.
    reference = Learner()
    seen: set[str] = set()
    for raw in outcomes:
        outcome = decode_outcome(raw)
        if outcome.outcome_id not in seen:
            seen.add(outcome.outcome_id)
            reference.learn([outcome])
    found = await latest_snapshot(d.settings)
    assert found is not None
    blob, headers = found
    assert dict(headers)[OFFSET_HEADER] == str(len(outcomes)).encode()
    assert load_snapshot(blob).version == reference.version
    versions = {
        decode_decision(raw).policy.model_version
        for raw in await read_topic(d.bootstrap, d.topics.audit, 4)
    }
    # Decisions moved on with the models: made with none, then with the learner's. Not two
    # learned versions: a version counts examples (p0.c0 is a model of nothing yet), labels
    # come in only as their windows close, and the worker decides this log in a second or two,
    # so a later version may arrive after its last decision (twice in CI, {None, 'p0.c0'}).
    assert None in versions and len(versions) >= 2, versions


async def _snapshots(d: Deployment, n: int) -> bool:
    return len(await read_topic(d.bootstrap, d.topics.models, 1)) >= n


async def _wait_quiet(d: Deployment) -> list[bytes]:
    """The outcomes once the learner has published a snapshot past the last of them."""
    for _ in range(240):
        outcomes = await read_topic(d.bootstrap, d.topics.outcomes, 1)
        found = await latest_snapshot(d.settings)
        if found and outcomes and dict(found[1])[OFFSET_HEADER] == str(len(outcomes)).encode():
            await asyncio.sleep(3)
            if len(await read_topic(d.bootstrap, d.topics.outcomes, 1)) == len(outcomes):
                return outcomes
        await asyncio.sleep(1)
    raise AssertionError("the learner never caught up with the outcomes")


async def test_decisions_after_a_learned_model_arrives_all_carry_a_learned_model(
    deploy: Deploy, tmp_path: Path
) -> None:
    """The stronger form of the swap: the log's first half is decided while the learner
    learns from its outcomes; once the worker reports a model learned from examples, the
    second half is produced, and every decision due in it names a learned model, never an
    older one than the worker had swapped in before."""
    log = simulated_log(tmp_path, customers=400, months=4, seed=2, policy="ladder")
    lines = log.read_bytes().splitlines()
    half = len(lines) // 2
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_bytes(b"\n".join(lines[:half]) + b"\n")
    second.write_bytes(b"\n".join(lines[half:]) + b"\n")
    split = datetime.fromisoformat(orjson.loads(lines[half])["occurred_at"])
    port = 6396  # the health view's
    d = deploy(policy="learned", seed=2, learner=True)
    try:
        await d.produce(first)
        d.start(web_port=port)
        await wait_until(lambda: _learned(_model_version(port)), 180, "a learned model swapped in")
        swapped = _model_version(port)
        await d.produce(second)
        await wait_until(_Settled(d, split), 180, "the second half decided")
    finally:
        d.stop_all()
    decisions = [decode_decision(raw) for raw in await read_topic(d.bootstrap, d.topics.audit, 4)]
    policy = build_policy(Settings(policy="learned", seed=2))
    assert isinstance(policy, LearnedPolicy)
    later = [
        x
        for x in decisions
        if x.decided_at >= split and not policy.in_holdout(x.customer_id)  # holdout: the ladder
    ]
    assert len(later) > 50
    versions = {x.policy.model_version for x in later}
    assert all(_learned(v) and _examples(v) >= _examples(swapped) for v in versions), (
        swapped,
        versions,
    )


def _model_version(port: int) -> str | None:
    version = health(port).get("model_version")
    return None if version is None else str(version)


def _examples(version: str | None) -> int:
    """Examples a model version counts (``p<pay examples>.c<churn examples>``)."""
    return sum(int(part[1:]) for part in (version or "").split(".") if part[1:].isdigit())


def _learned(version: str | None) -> bool:
    return version is not None and _examples(version) > 0


class _Settled:
    """Whether the decisions due in the second half exist and their number held still since
    the last poll."""

    def __init__(self, d: Deployment, split: datetime) -> None:
        self.d, self.split, self.count = d, split, -1

    async def __call__(self) -> bool:
        raws = await read_topic(self.d.bootstrap, self.d.topics.audit, 4)
        count = sum(1 for raw in raws if decode_decision(raw).decided_at >= self.split)
        held, self.count = count > 0 and count == self.count, count
        return held
