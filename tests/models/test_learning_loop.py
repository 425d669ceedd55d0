"""The learner loop: outcomes in, versioned models out through the handle, snapshots that
restore exactly and refuse corruption while keeping the models in use."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from duewise.learning import Learner, LearnerConfig
from engine.valuation import ArmModel
from models import SnapshotError, dump_snapshot
from schemas.outbound import Outcome, PolicyInfo

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
ARMS = ["wait", "remind:email", "remind:letter"]


def outcome(
    i: int,
    arm: str = "remind:email",
    reward: float = 499.0,
    kind: str = "payment",
    early: bool = False,
    arms: list[str] | None = None,
    propensity: float = 0.5,
    x: float = 1.0,
) -> Outcome:
    decided = T0 + timedelta(hours=i)
    window = decided + timedelta(days=14 if kind == "payment" else 90)
    return Outcome(
        outcome_id=f"inv-{i}/1#{kind}",
        kind=kind,  # type: ignore[arg-type]
        decision_id=f"inv-{i}/1",
        customer_id=f"c{i}",
        invoice_id=f"inv-{i}",
        decided_at=decided,
        resolved_at=decided + timedelta(days=2) if early else window,
        window_end=window,
        early=early,
        policy=PolicyInfo(name="learned", arm="learned", propensity=propensity),
        arm=arm,
        arms=ARMS if arms is None else arms,
        features={"x": x, "days_overdue": 5.0},
        amount_due_minor=49900,
        currency="SEK",
        reward=reward,
    )


def stream(n: int, seed: int = 0) -> list[Outcome]:
    """Reminding pays ~80% of the amount, waiting ~30%; a few churn labels."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        arm = rng.choice(ARMS[:2])
        share = (0.8 if arm != "wait" else 0.3) + rng.gauss(0, 0.05)
        out.append(outcome(i, arm, 499.0 * share, x=rng.random()))
        out.append(outcome(i, arm, float(rng.random() < 0.05), kind="churn", x=rng.random()))
    return out


def test_outcomes_train_two_models_and_publish_a_version() -> None:
    learner = Learner()
    assert learner.handle.version == "p0.c0" and learner.handle.pay is learner.pay
    learner.learn(stream(300))
    assert learner.version == "p300.c300" == learner.handle.version
    uplift = learner.pay.uplift_one({"x": 0.5, "days_overdue": 5.0})["remind:email"]
    assert uplift == pytest.approx(0.5, abs=0.05)  # shares, not SEK
    assert learner.churn.count("wait") + learner.churn.count("remind:email") == 300


def test_the_learners_models_are_what_the_engine_expects() -> None:
    """``models.BootstrapUplift`` satisfies the engine's ``ArmModel`` protocol structurally."""
    learner = Learner()
    assert isinstance(learner.pay, ArmModel) and isinstance(learner.churn, ArmModel)
    learner.learn(stream(80))
    x = {"x": 0.5, "days_overdue": 5.0}
    assert len(learner.pay.member_predictions(x)) == learner.config.n_members
    assert set(learner.pay.contributions(x, "remind:email", "wait")) == set(x)


def test_forced_waits_teach_nothing() -> None:
    learner = Learner()
    learner.learn([outcome(1, "wait", 0.0, arms=["wait"])])
    assert learner.version == "p0.c0" and learner.skipped == 1


def test_early_labels_wait_for_their_cohort() -> None:
    learner = Learner()
    learner.learn([outcome(0, early=True)])
    assert learner.pending == 1 and learner.pay.n_seen == 0
    learner.learn([outcome(1)])  # resolves at its window end, after the early one's window
    assert learner.pending == 0 and learner.pay.n_seen == 2
    eager = Learner(LearnerConfig(defer_early=False))
    eager.learn([outcome(0, early=True)])
    assert eager.pay.n_seen == 1


def test_same_outcomes_same_models() -> None:
    a, b = Learner(LearnerConfig(seed=4)), Learner(LearnerConfig(seed=4))
    a.learn(stream(200))
    b.learn(stream(200))
    x = {"x": 0.3, "days_overdue": 5.0}
    assert a.pay.member_predictions(x) == b.pay.member_predictions(x)


def test_slower_publishing_hands_out_copies() -> None:
    learner = Learner(LearnerConfig(publish_every=100))
    learner.learn(stream(30))
    assert learner.handle.version == "p0.c0"
    learner.learn(stream(30, seed=1))
    assert learner.handle.version == "p60.c60" and learner.handle.pay is not learner.pay


def test_snapshot_restores_identical_predictions() -> None:
    learner = Learner(LearnerConfig(seed=2))
    learner.learn(stream(200))
    learner.learn([outcome(5000, early=True)])  # its window ends after every other
    blob = learner.snapshot()
    restored = Learner(LearnerConfig(seed=2))
    assert restored.restore(blob) == learner.version == restored.handle.version
    x = {"x": 0.7, "days_overdue": 5.0}
    assert restored.pay.member_predictions(x) == learner.pay.member_predictions(x)
    assert restored.churn.predict_one(x) == learner.churn.predict_one(x)
    assert restored.pending == 1
    more = stream(20, seed=5)  # and they go on learning alike
    learner.learn(more)
    restored.learn(more)
    assert restored.pay.member_predictions(x) == learner.pay.member_predictions(x)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda b: b[:-5], "truncated"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum"),
        (lambda b: b.replace(b"duewise-snapshot/1", b"duewise-snapshot/2"), "incompatible"),
        (lambda b: dump_snapshot({"w": 1}, "v9"), "not a duewise learner"),
        (lambda b: dump_snapshot({"kind": "duewise-learner/1"}, "v9"), "lacks its models"),
    ],
)
def test_a_corrupt_snapshot_is_refused_and_the_models_kept(mangle, message: str) -> None:
    learner = Learner()
    learner.learn(stream(100))
    good = Learner()
    good.learn(stream(50, seed=3))
    x = {"x": 0.5, "days_overdue": 5.0}
    before, version = learner.pay.predict_one(x), learner.handle.version
    with pytest.raises(SnapshotError, match=message):
        learner.restore(mangle(good.snapshot()))
    assert learner.pay.predict_one(x) == before
    assert learner.handle.version == version and learner.handle.pay is learner.pay
