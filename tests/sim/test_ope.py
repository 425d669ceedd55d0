"""Off-policy estimators on a synthetic contextual bandit whose true target value is known exactly.

Four contexts, three actions, Bernoulli rewards. The logging policy's propensities are known;
the target policy is a different, nearly greedy one. Its true value is
``sum_x P(x) sum_a pi(a|x) mu(x, a)``, computed exactly. Each statistical assertion runs over
``REPLICATES`` seeded samples, so it is deterministic, and its tolerance is a few standard errors
of the replicate mean (or of the coverage proportion) wide.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache

import numpy as np
import pytest

from schemas.outbound import Decision
from sim.ope import (
    Estimate,
    doubly_robust,
    effective_sample_size,
    importance_weights,
    ips,
    snips,
)
from sim.ope_data import arm_of, evaluate, logged_from_decisions

P_CONTEXT = np.array([0.4, 0.3, 0.2, 0.1])
MEAN_REWARD = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.4], [0.3, 0.3, 0.8], [0.1, 0.7, 0.2]])
LOGGING = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1], [0.3, 0.3, 0.4]])
TARGET = np.array([[0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]])
TRUE_VALUE = float(P_CONTEXT @ (TARGET * MEAN_REWARD).sum(axis=1))
# A reward model that is wrong in every cell (by up to 0.4), for DR's "either one right" property.
WRONG_MODEL = np.clip(
    MEAN_REWARD
    + np.array([[0.2, -0.2, 0.1], [-0.3, 0.2, 0.0], [0.1, 0.2, -0.4], [0.2, -0.3, 0.3]]),
    0.0,
    1.0,
)
SAMPLES = 400
REPLICATES = 400


def sample(seed: int, n: int = SAMPLES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contexts, logged actions and rewards of ``n`` decisions taken by the logging policy."""
    rng = np.random.default_rng(seed)
    x = rng.choice(len(P_CONTEXT), size=n, p=P_CONTEXT)
    a = (rng.random(n)[:, None] > LOGGING[x].cumsum(axis=1)).sum(axis=1)
    r = (rng.random(n) < MEAN_REWARD[x, a]).astype(float)
    return x, a, r


def dr_with(model: np.ndarray, x, a, r, propensities=None) -> Estimate:
    p = LOGGING[x, a] if propensities is None else propensities
    return doubly_robust(r, p, TARGET[x, a], model[x, a], (TARGET * model).sum(axis=1)[x])


@cache
def replicated() -> dict[str, list[Estimate]]:
    """Every estimator over the same REPLICATES samples (computed once, about 0.2 s)."""
    out: dict[str, list[Estimate]] = {
        k: [] for k in ("ips", "snips", "dr", "dr_wrong_model", "ips_bad_p", "dr_bad_p", "clip")
    }
    uniform = np.full(SAMPLES, 1 / 3)
    for seed in range(REPLICATES):
        x, a, r = sample(seed)
        p, t = LOGGING[x, a], TARGET[x, a]
        out["ips"].append(ips(r, p, t))
        out["snips"].append(snips(r, p, t))
        out["dr"].append(dr_with(MEAN_REWARD, x, a, r))
        out["dr_wrong_model"].append(dr_with(WRONG_MODEL, x, a, r))
        out["ips_bad_p"].append(ips(r, uniform, t))
        out["dr_bad_p"].append(dr_with(MEAN_REWARD, x, a, r, propensities=uniform))
        out["clip"].append(ips(r, p, t, clip=2.0))
    return out


def values(name: str) -> np.ndarray:
    return np.array([e.value for e in replicated()[name]])


def bias_in_standard_errors(name: str) -> float:
    v = values(name)
    return (v.mean() - TRUE_VALUE) / (v.std(ddof=1) / math.sqrt(len(v)))


def coverage(name: str) -> float:
    return float(np.mean([lo <= TRUE_VALUE <= hi for lo, hi in (e.ci for e in replicated()[name])]))


def test_the_true_value_is_the_exact_expectation():
    by_context = [0.02 + 0.40 + 0.03, 0.48 + 0.01 + 0.04, 0.03 + 0.03 + 0.64, 0.01 + 0.56 + 0.02]
    assert math.isclose(TRUE_VALUE, float(np.dot(P_CONTEXT, by_context)))
    assert math.isclose(TRUE_VALUE, 0.538)
    on_policy_logging = float(P_CONTEXT @ (LOGGING * MEAN_REWARD).sum(axis=1))
    assert abs(on_policy_logging - TRUE_VALUE) > 0.1, "the target must differ from the logger"


@pytest.mark.parametrize("name", ["ips", "dr", "dr_wrong_model", "dr_bad_p"])
def test_ips_and_dr_are_unbiased(name):
    # DR is unbiased with right propensities and a wrong model, or a right model and wrong ones.
    assert abs(bias_in_standard_errors(name)) < 3.5


def test_ips_with_wrong_propensities_is_biased_where_dr_is_rescued_by_its_model():
    assert abs(values("ips_bad_p").mean() - TRUE_VALUE) > 0.1
    assert abs(bias_in_standard_errors("ips_bad_p")) > 20
    assert abs(values("dr_bad_p").mean() - TRUE_VALUE) < 0.01


def test_snips_is_close_to_the_truth_and_less_variable_than_ips():
    assert abs(values("snips").mean() - TRUE_VALUE) < 0.01
    assert values("snips").std() < 0.8 * values("ips").std()


def test_a_good_reward_model_makes_dr_less_variable_than_ips():
    assert values("dr").std() < 0.7 * values("ips").std()
    assert values("dr").std() < values("dr_wrong_model").std()


@pytest.mark.parametrize("name", ["ips", "snips", "dr", "dr_wrong_model"])
def test_normal_intervals_cover_the_truth_at_about_the_nominal_rate(name):
    # 95% nominal; over 400 replicates the coverage's own standard error is about 0.011.
    assert 0.91 <= coverage(name) <= 0.98


def test_bootstrap_intervals_cover_the_truth_at_about_the_nominal_rate():
    hits = []
    for seed in range(200):
        x, a, r = sample(10_000 + seed)
        est = ips(r, LOGGING[x, a], TARGET[x, a], n_bootstrap=300, seed=seed)
        assert est.bootstrap_ci is not None
        hits.append(est.bootstrap_ci[0] <= TRUE_VALUE <= est.bootstrap_ci[1])
    # Percentile intervals run a little narrow on skewed IPS terms at n=400.
    assert 0.87 <= np.mean(hits) <= 0.98


def test_bootstrap_is_reproducible_by_seed_and_agrees_with_the_normal_interval():
    x, a, r = sample(7, n=5000)
    args = (r, LOGGING[x, a], TARGET[x, a])
    for estimator in (ips, snips):
        first = estimator(*args, n_bootstrap=400, seed=3)
        assert first.bootstrap_ci == estimator(*args, n_bootstrap=400, seed=3).bootstrap_ci
        assert first.bootstrap_ci != estimator(*args, n_bootstrap=400, seed=4).bootstrap_ci
        low, high = first.bootstrap_ci
        assert low < first.value < high
        assert low == pytest.approx(first.ci[0], abs=0.01)
        assert high == pytest.approx(first.ci[1], abs=0.01)
    assert ips(*args).bootstrap_ci is None


def test_dr_with_a_perfect_model_and_noiseless_rewards_has_zero_variance():
    # One context, deterministic rewards: every weighted residual is 0, every term is the value.
    rng = np.random.default_rng(0)
    mean, logging, target = np.array([0.2, 0.5, 0.9]), np.array([0.5, 0.3, 0.2]), [0.1, 0.3, 0.6]
    a = rng.choice(3, size=1000, p=logging)
    truth = float(np.dot(target, mean))
    est = doubly_robust(
        mean[a], logging[a], np.take(target, a), mean[a], np.full(1000, truth), n_bootstrap=50
    )
    assert est.value == pytest.approx(truth, abs=1e-12)
    assert est.std_error == pytest.approx(0.0, abs=1e-12)
    assert est.ci == pytest.approx((truth, truth), abs=1e-12)
    assert est.bootstrap_ci == pytest.approx((truth, truth), abs=1e-12)
    assert ips(mean[a], logging[a], np.take(target, a)).std_error > 0.01


def test_dr_without_a_model_is_ips_and_without_overlap_is_the_direct_method():
    x, a, r = sample(1)
    p, t = LOGGING[x, a], TARGET[x, a]
    zeros = np.zeros(SAMPLES)
    assert doubly_robust(r, p, t, zeros, zeros).value == pytest.approx(ips(r, p, t).value)
    assert doubly_robust(r, p, zeros, zeros + 0.3, zeros + 0.4).value == pytest.approx(0.4)


def test_clipping_caps_weights_counts_them_and_trades_bias_for_variance():
    x, a, r = sample(2)
    p, t = LOGGING[x, a], TARGET[x, a]
    raw = importance_weights(p, t)
    assert raw.max() == pytest.approx(8.0)
    assert ips(r, p, t, clip=float(raw.max())) == ips(r, p, t)
    assert ips(r, p, t, clip=math.inf).value == ips(r, p, t).value
    clipped = ips(r, p, t, clip=2.0)
    assert clipped.n_clipped == int(np.sum(raw > 2.0)) > 0
    assert clipped.value == pytest.approx(np.mean(np.minimum(raw, 2.0) * r))
    assert clipped.value <= ips(r, p, t).value  # non-negative rewards: clipping only lowers
    assert clipped.ess > ips(r, p, t).ess
    assert values("clip").std() < 0.6 * values("ips").std()
    assert values("clip").mean() < TRUE_VALUE - 0.05  # and now biased
    assert snips(r, p, t, clip=2.0).n_clipped == clipped.n_clipped
    with pytest.raises(ValueError, match="clip"):
        ips(r, p, t, clip=0.0)


@pytest.mark.parametrize(
    ("rewards", "propensities", "target", "expected_ips", "expected_snips", "expected_ess"),
    [
        ([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], 0.5, 0.5, 4.0),
        ([1, 0, 1, 1], [0.5, 0.5, 0.5, 0.5], [1, 1, 0, 1], 1.0, 2 / 3, 3.0),
        ([2, 4], [0.25, 1.0], [1.0, 0.5], 5.0, 10.0 / 4.5, 4.5**2 / 16.25),
        ([1, 1, 1], [0.1, 0.5, 1.0], [0.1, 0.5, 1.0], 1.0, 1.0, 3.0),
    ],
)
def test_known_values(rewards, propensities, target, expected_ips, expected_snips, expected_ess):
    assert ips(rewards, propensities, target).value == pytest.approx(expected_ips)
    assert snips(rewards, propensities, target).value == pytest.approx(expected_snips)
    assert ips(rewards, propensities, target).ess == pytest.approx(expected_ess)


def test_normal_interval_is_value_plus_minus_z_standard_errors():
    est = ips([1.0, 0.0, 1.0, 1.0], [0.5] * 4, [1.0, 1.0, 0.0, 1.0], alpha=0.1)
    terms = np.array([2.0, 0.0, 0.0, 2.0])
    assert est.std_error == pytest.approx(terms.std(ddof=1) / 2)
    assert est.ci == pytest.approx(
        (1.0 - 1.6448536 * est.std_error, 1.0 + 1.6448536 * est.std_error)
    )
    assert est.alpha == 0.1 and est.estimator == "ips" and est.n == 4
    wider = ips([1.0, 0.0, 1.0, 1.0], [0.5] * 4, [1.0, 1.0, 0.0, 1.0], alpha=0.01)
    assert wider.ci[0] < est.ci[0] and wider.ci[1] > est.ci[1]


def test_effective_sample_size():
    assert effective_sample_size([1.0] * 10) == 10.0
    assert effective_sample_size([3.0, 0.0, 0.0]) == 1.0
    assert effective_sample_size([0.0, 0.0]) == 0.0


@pytest.mark.parametrize(
    ("rewards", "propensities", "target", "message"),
    [
        ([], [], [], "empty"),
        ([1.0, 0.0], [0.5, 0.0], [0.5, 0.5], r"propensities must be in \(0, 1\]; index 1"),
        ([1.0], [1.5], [0.5], "propensities must be in"),
        ([1.0], [-0.1], [0.5], "propensities must be in"),
        ([1.0], [0.5], [1.2], r"target_probabilities must be in \[0, 1\]"),
        ([1.0], [0.5], [-0.2], "target_probabilities must be in"),
        ([1.0, 1.0], [0.5], [0.5], "entries"),
        ([1.0], [0.5, 0.5], [0.5, 0.5], "entries"),
        ([1.0], [0.5], [0.5, 0.5], "entries"),
        ([math.nan], [0.5], [0.5], "NaN"),
        ([1.0], [math.nan], [0.5], "NaN"),
        ([[1.0]], [[0.5]], [[0.5]], "one-dimensional"),
    ],
)
def test_invalid_inputs_raise_clear_errors(rewards, propensities, target, message):
    for estimator in (ips, snips):
        with pytest.raises(ValueError, match=message):
            estimator(rewards, propensities, target)
    with pytest.raises(ValueError, match=message):
        doubly_robust(rewards, propensities, target, rewards, rewards)


def test_other_invalid_arguments():
    with pytest.raises(ValueError, match="q_target has 1 entries, expected 2"):
        doubly_robust([1, 0], [0.5, 0.5], [1, 0], [0.5, 0.5], [0.5])
    with pytest.raises(ValueError, match="alpha"):
        ips([1.0, 0.0], [0.5, 0.5], [0.5, 0.5], alpha=1.0)
    with pytest.raises(ValueError, match="n_bootstrap"):
        ips([1.0, 0.0], [0.5, 0.5], [0.5, 0.5], n_bootstrap=-1)


def test_a_target_that_never_takes_a_logged_action():
    r, p, t = [1.0, 0.0, 1.0], [0.5, 0.5, 0.5], [0.0, 0.0, 0.0]
    nothing = ips(r, p, t)  # documented: 0 with a zero-width interval and ess 0
    assert (nothing.value, nothing.std_error, nothing.ci, nothing.ess) == (0.0, 0.0, (0, 0), 0.0)
    with pytest.raises(ValueError, match="zero probability to every logged action"):
        snips(r, p, t)


def test_a_single_sample_has_no_standard_error():
    est = ips([1.0], [0.5], [0.5])
    assert est.value == 1.0
    assert math.isnan(est.std_error) and all(math.isnan(b) for b in est.ci)


def test_snips_bootstrap_skips_resamples_without_weight():
    est = snips([1.0, 0.0], [0.5, 0.5], [1.0, 0.0], n_bootstrap=200, seed=1)
    assert est.value == 1.0
    assert est.bootstrap_ci == (1.0, 1.0)  # resamples of only the zero-weight row are left out


def decision(i: int, action: str, channel: str | None, propensity: float) -> Decision:
    return Decision(
        decision_id=f"d{i}",
        customer_id=f"c{i}",
        invoice_id=f"i{i}",
        decided_at=datetime(2026, 3, 1, tzinfo=UTC),
        action=action,
        channel=channel,
        step=1,
        amount_due_minor=50_000,
        currency="SEK",
        policy={"name": "explore", "arm": "explore", "propensity": propensity},
    )


def test_logged_from_decisions_builds_the_arrays_and_evaluates_them():
    logged = [
        decision(1, "remind", "sms", 0.25),
        decision(2, "wait", None, 0.5),
        decision(3, "remind", "email", 0.25),
        decision(4, "escalate", "letter", 0.1),
    ]
    rewards = {"d1": 1.0, "d2": 0.0, "d3": 1.0, "d4": 1.0, "other": 5.0}

    def target(d: Decision) -> dict[str, float]:
        return {"remind:sms": 0.5, "remind:email": 0.5, "wait": 0.0}

    model = {"remind:sms": 0.6, "remind:email": 0.4, "wait": 0.2, "escalate:letter": 0.9}
    data = logged_from_decisions(logged, rewards, target, reward_model=lambda d, arm: model[arm])
    assert data.decision_ids == ("d1", "d2", "d3", "d4")
    assert data.arms == ("remind:sms", "wait", "remind:email", "escalate:letter")
    assert data.rewards.tolist() == [1.0, 0.0, 1.0, 1.0]
    assert data.propensities.tolist() == [0.25, 0.5, 0.25, 0.1]
    assert data.target_probabilities.tolist() == [0.5, 0.0, 0.5, 0.0]
    assert data.q_logged.tolist() == [0.6, 0.2, 0.4, 0.9]
    assert data.q_target.tolist() == pytest.approx([0.5] * 4)
    estimates = evaluate(data)
    assert set(estimates) == {"ips", "snips", "dr"}
    assert estimates["ips"].value == pytest.approx((2 + 0 + 2 + 0) / 4)
    assert estimates["snips"].value == pytest.approx(1.0)
    assert estimates["dr"].value == pytest.approx(0.5 + (2 * 0.4 + 0 + 2 * 0.6 + 0) / 4)
    assert arm_of(logged[1]) == "wait"


def test_logged_from_decisions_refuses_what_it_cannot_use():
    logged = [decision(1, "remind", "sms", 0.5), decision(2, "wait", None, 0.5)]
    always_sms = lambda d: {"remind:sms": 1.0}  # noqa: E731
    with pytest.raises(KeyError, match="d2"):
        logged_from_decisions(logged, {"d1": 1.0}, always_sms)
    partial = logged_from_decisions(logged, {"d1": 1.0}, always_sms, skip_missing=True)
    assert partial.decision_ids == ("d1",) and partial.q_logged is None
    with pytest.raises(ValueError, match="nothing to evaluate"):
        logged_from_decisions(logged, {}, always_sms, skip_missing=True)
    for bad in ({"remind:sms": 0.7}, {"remind:sms": 1.2, "wait": -0.2}, {"wait": math.nan}):
        with pytest.raises(ValueError, match="invalid distribution for 'd1'"):
            logged_from_decisions(logged, {"d1": 1.0, "d2": 0.0}, lambda d, bad=bad: bad)


def test_evaluate_leaves_out_snips_when_the_target_never_overlaps():
    logged = [decision(1, "remind", "sms", 0.5), decision(2, "wait", None, 0.5)]
    data = logged_from_decisions(logged, {"d1": 1.0, "d2": 0.0}, lambda d: {"escalate:phone": 1})
    estimates = evaluate(data)
    assert set(estimates) == {"ips"} and estimates["ips"].ess == 0.0
