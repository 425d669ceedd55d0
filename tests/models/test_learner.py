"""The standalone learner: causal estimates under a biased logging policy, and snapshots."""

from __future__ import annotations

import random

import pytest

from models import BootstrapUplift, SnapshotError, dump_snapshot, load_snapshot
from models.rls import WeightedRidge


def confounded_log(n: int, seed: int) -> list[tuple[dict[str, float], str, float, float]]:
    """Customers with high ``risk`` pay less and are reminded more often (the ladder's bias).

    True effect of reminding: +0.2 for everyone. A naive comparison of reminded vs not
    reminded is biased by risk; weighting by 1 / propensity removes the bias.
    """
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        risk = rng.random()
        p_remind = 0.1 + 0.8 * risk
        action = "remind" if rng.random() < p_remind else "wait"
        propensity = p_remind if action == "remind" else 1 - p_remind
        reward = 0.9 - 0.6 * risk + (0.2 if action == "remind" else 0.0) + rng.gauss(0, 0.1)
        out.append(({"risk": risk}, action, reward, propensity))
    return out


def test_weighted_estimates_recover_the_true_effect_under_a_biased_logger() -> None:
    model = BootstrapUplift(n_members=4, seed=3)
    log = confounded_log(6000, seed=1)
    for x, action, reward, propensity in log:
        model.learn_one(x, action, reward, propensity)
    for risk in (0.1, 0.5, 0.9):
        assert model.uplift_one({"risk": risk})["remind"] == pytest.approx(0.2, abs=0.03)
    naive = {a: [r for _, act, r, _ in log if act == a] for a in ("remind", "wait")}
    naive_gap = sum(naive["remind"]) / len(naive["remind"]) - sum(naive["wait"]) / len(
        naive["wait"]
    )
    assert naive_gap < 0.1, "the log must be confounded, or this test proves nothing"


def test_uncertainty_shrinks_with_evidence() -> None:
    model = BootstrapUplift(n_members=8, seed=0)
    log = confounded_log(4000, seed=2)
    spreads = []
    for i, (x, action, reward, propensity) in enumerate(log, start=1):
        model.learn_one(x, action, reward, propensity)
        if i in (100, 4000):
            spreads.append(model.spread_one({"risk": 0.5})["remind"])
    assert spreads[1] < spreads[0] / 2


def test_thompson_draws_are_reproducible_and_vary() -> None:
    model = BootstrapUplift(n_members=8, seed=0)
    for x, action, reward, propensity in confounded_log(300, seed=4):
        model.learn_one(x, action, reward, propensity)
    draws = [model.sample_one({"risk": 0.5}, random.Random(s))["remind"] for s in range(20)]
    again = [model.sample_one({"risk": 0.5}, random.Random(s))["remind"] for s in range(20)]
    assert draws == again
    assert len(set(draws)) > 1


def test_propensity_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="propensity"):
        BootstrapUplift().learn_one({"a": 1.0}, "remind", 1.0, propensity=0.0)


def test_ridge_matches_batch_least_squares() -> None:
    import numpy as np

    rng = random.Random(5)
    rows = [({"a": rng.random(), "b": rng.random()}, rng.random(), rng.random() + 0.5)
            for _ in range(200)]  # fmt: skip
    model = WeightedRidge(l2=1.0)
    for x, y, w in rows:
        model.learn_one(x, y, w)
    design = np.array([[1.0, x["a"], x["b"]] for x, _, _ in rows])
    weights = np.array([w for _, _, w in rows])
    target = np.array([y for _, y, _ in rows])
    gram = design.T @ (weights[:, None] * design) + np.eye(3)
    coef = np.linalg.solve(gram, design.T @ (weights * target))
    assert model.predict_one({"a": 0.3, "b": 0.7}) == pytest.approx(
        float(coef @ [1.0, 0.3, 0.7]), rel=1e-9
    )


def test_snapshot_restores_identical_predictions_and_draws() -> None:
    model = BootstrapUplift(n_members=4, seed=9)
    for x, action, reward, propensity in confounded_log(500, seed=6):
        model.learn_one(x, action, reward, propensity)
    restored = load_snapshot(dump_snapshot(model, "v1", {"examples": 500}))
    assert restored.version == "v1" and restored.metadata == {"examples": 500}
    x = {"risk": 0.42}
    assert restored.model.predict_one(x) == model.predict_one(x)
    assert restored.model.sample_one(x, random.Random(1)) == model.sample_one(x, random.Random(1))


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda b: b[:-3], "truncated"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum"),
        (lambda b: b"garbage", "no header"),
        (lambda b: b.replace(b"duewise-snapshot/1", b"duewise-snapshot/9"), "incompatible"),
        (lambda b: b"{not json\n" + b, "unreadable header"),
    ],
)
def test_corrupt_or_incompatible_snapshots_are_refused(mangle, message: str) -> None:
    blob = dump_snapshot(BootstrapUplift(), "v2")
    with pytest.raises(SnapshotError, match=message):
        load_snapshot(mangle(blob))


def test_member_predictions_are_the_bootstrap_draws() -> None:
    model = BootstrapUplift(n_members=5, seed=1)
    for x, action, reward, propensity in confounded_log(400, seed=7):
        model.learn_one(x, action, reward, propensity)
    x = {"risk": 0.3}
    members = model.member_predictions(x)
    assert len(members) == 5 and all(set(m) == {"remind", "wait"} for m in members)
    assert members[2] == model._member_predict(3, x)
    draws = {model.sample_one(x, random.Random(s))["remind"] for s in range(40)}
    assert draws <= {m["remind"] for m in members}


def test_contributions_add_up_to_the_uplift_less_the_intercepts() -> None:
    model = BootstrapUplift(n_members=2, seed=1)
    for x, action, reward, propensity in confounded_log(400, seed=8):
        model.learn_one({**x, "one": 1.0}, action, reward, propensity)
    x = {"risk": 0.6, "one": 1.0}
    parts = model.contributions(x, "remind", "wait")
    assert set(parts) == {"risk", "one"}
    remind, wait = model._mean["remind"], model._mean["wait"]
    intercepts = remind.intercept - wait.intercept
    assert sum(parts.values()) + intercepts == pytest.approx(model.uplift_one(x)["remind"])
    assert model.contributions(x, "remind", "unknown") == {}
