"""The learned policy with hand-written fake models: exact propensities, fallback, holdout,
guardrails, explanations and the hot swap of its models."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime

import pytest

from engine.decide import decide
from engine.guardrails import RulePack, evaluate
from engine.policies.base import Choice, DecisionContext
from engine.policies.learned import LearnedConfig, LearnedPolicy
from engine.state import CustomerState
from engine.valuation import ModelHandle, ValueConfig
from schemas.enums import Action, Channel, PaymentOption
from tests.builders import customer, invoice, local

REASON = re.compile(r"^[a-z0-9_.]+$")
ARMS = ("remind:email", "remind:sms", "remind:letter", "escalate:letter")


class FakeModel:
    """Fixed estimates: ``members`` are the bootstrap draws, ``mean`` the point estimate."""

    def __init__(
        self,
        members: list[dict[str, float]],
        counts: int | dict[str, int] = 1000,
        slopes: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.members = members
        self.mean = {a: sum(m[a] for m in members) / len(members) for a in members[0]}
        self.counts = counts
        self.slopes = slopes or {}

    def predict_one(self, x: Mapping[str, float]) -> dict[str, float]:
        return dict(self.mean)

    def member_predictions(self, x: Mapping[str, float]) -> list[dict[str, float]]:
        return [dict(m) for m in self.members]

    def count(self, action: str) -> int:
        return self.counts if isinstance(self.counts, int) else self.counts.get(action, 0)

    def contributions(self, x: Mapping[str, float], action: str, baseline: str) -> dict[str, float]:
        a, b = self.slopes.get(action, {}), self.slopes.get(baseline, {})
        return {k: (a.get(k, 0.0) - b.get(k, 0.0)) * v for k, v in x.items()}


def _members(*winners: str) -> list[dict[str, float]]:
    """One member per winner: that arm pays 90% of the amount, the others nothing."""
    arms = ("wait", *ARMS)
    return [{a: 0.9 if a == w else 0.0 for a in arms} for w in winners]


def _customer(days_overdue: int = 8, **kw: object) -> tuple[CustomerState, datetime]:
    inv = invoice("i1", due="2026-09-30", amount=49900)
    state = customer("c1", inv, reachable=[Channel.EMAIL, Channel.SMS, Channel.LETTER], **kw)
    return state, local(f"2026-10-{days_overdue:02d}T06:00")  # due 2026-09-30


def _ctx(state: CustomerState, at: datetime, seed: int = 0) -> DecisionContext:
    inv = state.invoices["i1"]
    return DecisionContext(state, inv, at, evaluate(state, inv, at, RulePack()), RulePack(),
                           random.Random(seed))  # fmt: skip


def _policy(pay: FakeModel | None, **kw: object) -> LearnedPolicy:
    config = LearnedConfig(arms=ARMS, holdout_share=0.0, **kw)  # type: ignore[arg-type]
    return LearnedPolicy(ModelHandle(pay, None, "m7"), config)


def _law(policy: LearnedPolicy, state: CustomerState, at: datetime, n: int) -> dict[str, float]:
    """Empirical frequency of each arm over ``n`` seeds, checking the logged propensity."""
    logged: dict[str, float] = {}
    seen: Counter[str] = Counter()
    for seed in range(n):
        choice = policy.choose(_ctx(state, at, seed))
        arm = _arm(choice)
        assert logged.setdefault(arm, choice.propensity) == choice.propensity
        seen[arm] += 1
    total = sum(logged.values())
    assert total == pytest.approx(1.0) or len(logged) < len(choice.arms or ())
    return {a: seen[a] / n for a in seen} | {f"p:{a}": p for a, p in logged.items()}


def _arm(choice: Choice) -> str:
    c = choice.candidate
    if c is None:
        return "wait"
    return c.action.value if c.channel is None else f"{c.action.value}:{c.channel.value}"


def test_propensities_are_exact_and_sum_to_one() -> None:
    state, at = _customer()
    policy = _policy(FakeModel(_members("remind:sms", "remind:sms", "remind:sms", "wait")))
    choice = policy.choose(_ctx(state, at))
    arms = choice.arms
    assert arms == ("wait", "remind:email", "remind:sms", "remind:letter")  # escalation blocked
    eps, n = 0.1, 4
    expected = {a: (1 - eps) * {"remind:sms": 3, "wait": 1}.get(a, 0) / n + eps / len(arms)
                for a in arms}  # fmt: skip
    assert sum(expected.values()) == pytest.approx(1.0)
    law = _law(policy, state, at, 4000)
    for arm, p in expected.items():
        assert law[f"p:{arm}"] == pytest.approx(p)  # logged exactly
        assert law[arm] == pytest.approx(p, abs=0.025)  # and drawn with that probability


def test_the_draw_is_the_decisions_own_and_deterministic() -> None:
    state, at = _customer()
    policy = _policy(FakeModel(_members("remind:sms", "wait", "remind:email", "wait")))
    first = [policy.choose(_ctx(state, at, seed)) for seed in range(50)]
    again = [policy.choose(_ctx(state, at, seed)) for seed in range(50)]
    assert first == again
    assert len({_arm(c) for c in first}) > 1


def test_every_choice_records_version_scores_features_and_reasons() -> None:
    state, at = _customer()
    slopes = {"remind:sms": {"hist_late_share": 2.0, "overdue_months": 3.0, "reach_sms": 0.5}}
    policy = _policy(FakeModel(_members("remind:sms"), slopes=slopes), explore=0.0)
    state.invoices["i1"].amount_minor = 49900
    choice = policy.choose(_ctx(state, at))
    assert _arm(choice) == "remind:sms" and choice.propensity == 1.0
    assert choice.arm == "learned" and choice.model_version == "m7"
    assert choice.features is not None and choice.features["overdue_months"] == 8 / 30
    assert choice.scores is not None and set(choice.scores) == set(choice.arms or ())
    assert choice.scores["remind:sms"] == pytest.approx(
        0.9 * 499 - ValueConfig().cost("remind:sms")
    )
    assert choice.reasons[0] == "learned.thompson"
    assert [r for r in choice.reasons if r.startswith("explain.")] == [
        "explain.overdue_months",  # 3 x 8/30 months x 499 SEK
        "explain.reach_sms",
    ]  # hist_late_share is 0 here: it pushes nothing
    assert all(REASON.match(r) for r in choice.reasons)


def test_a_wait_is_explained_against_the_best_action() -> None:
    state, at = _customer()
    members = [{"wait": 0.5, "remind:email": 0.1, "remind:sms": 0.2, "remind:letter": 0.0}]
    slopes = {"remind:sms": {"overdue_months": -1.5}}
    policy = _policy(FakeModel(members, slopes=slopes), explore=0.0)
    choice = policy.choose(_ctx(state, at))
    assert choice.candidate is None and "explain.overdue_months" in choice.reasons


def test_fallback_follows_the_ladder_until_there_is_evidence() -> None:
    state, _ = _customer()
    few = FakeModel(_members("remind:sms"), counts={"wait": 10, "remind:sms": 10})
    policy = _policy(few, explore=0.0)
    on_rung = policy.choose(_ctx(state, local("2026-10-05T06:00")))  # due + 5: ladder's e-mail
    assert _arm(on_rung) == "remind:email" and on_rung.arm == "fallback"
    assert on_rung.reasons[0] == "fallback.ladder_level_1" and on_rung.propensity == 1.0
    off_rung = policy.choose(_ctx(state, local("2026-10-08T06:00")))  # due + 8: no rung
    assert off_rung.candidate is None and off_rung.reasons[0] == "fallback.wait"
    none = _policy(None, explore=0.0).choose(_ctx(state, local("2026-10-05T06:00")))
    assert _arm(none) == "remind:email"


def test_fallback_keeps_the_exploration_floor() -> None:
    state, _ = _customer()
    policy = _policy(None, explore=0.2)
    law = _law(policy, state, local("2026-10-05T06:00"), 3000)
    assert law["p:remind:email"] == pytest.approx(0.8 + 0.2 / 4)
    assert law["p:wait"] == pytest.approx(0.2 / 4)


def test_arms_without_evidence_only_get_the_floor() -> None:
    state, at = _customer()
    counts = {"wait": 100, "remind:email": 100, "remind:sms": 3, "remind:letter": 100}
    policy = _policy(FakeModel(_members("remind:sms"), counts=counts), explore=0.1)
    law = _law(policy, state, at, 3000)
    assert law["p:remind:sms"] == pytest.approx(0.1 / 4)
    choice = policy.choose(_ctx(state, at))
    assert "remind:sms" not in (choice.scores or {})


def test_a_hold_means_waiting_until_it_lifts() -> None:
    state, at = _customer()
    state.invoices["i1"].disputed = True
    choice = _policy(FakeModel(_members("remind:sms"))).choose(_ctx(state, at))
    assert choice.candidate is None and choice.propensity == 1.0 and not choice.advance
    assert choice.arms == ("wait",) and "rule.dispute_open" in choice.reasons


def test_never_an_arm_the_rule_pack_forbids() -> None:
    state, at = _customer(opted_out=[Channel.SMS])
    policy = _policy(FakeModel(_members("remind:sms", "escalate:letter")), explore=0.5)
    for seed in range(300):
        ctx = _ctx(state, at, seed)
        choice = policy.choose(ctx)
        assert choice.candidate is None or ctx.verdict.is_allowed(choice.candidate)
        assert "remind:sms" not in (choice.arms or ())


def test_decided_through_the_core_with_model_version_and_propensity() -> None:
    state, at = _customer()
    policy = _policy(FakeModel(_members("remind:letter")), explore=0.0)
    decision = decide(state, state.invoices["i1"], at, policy, RulePack(), 0)
    assert (decision.action, decision.channel) == (Action.REMIND, Channel.LETTER)
    assert decision.policy.model_version == "m7" and decision.policy.propensity == 1.0
    assert decision.features and decision.scores
    assert PaymentOption.DEFERRAL not in decision.payment_options  # before due + 14


def test_reminders_offer_a_deferral_from_day_14_not_a_plan() -> None:
    """A deferral has the whole sum paid on payday; a plan would spread it over three."""
    state, _ = _customer()
    policy = _policy(FakeModel(_members("remind:letter")), explore=0.0)
    at = local("2026-10-21T06:00")
    options = policy.choose(_ctx(state, at)).payment_options
    assert PaymentOption.DEFERRAL in options and PaymentOption.PLAN not in options
    early = policy.choose(_ctx(state, local("2026-10-12T06:00"))).payment_options
    assert PaymentOption.DEFERRAL not in early


def test_hot_swap_changes_the_next_decision() -> None:
    state, at = _customer()
    policy = _policy(FakeModel(_members("remind:letter")), explore=0.0)
    assert _arm(policy.choose(_ctx(state, at))) == "remind:letter"
    policy.handle.swap(FakeModel(_members("remind:email")), None, "m8")
    choice = policy.choose(_ctx(state, at))
    assert _arm(choice) == "remind:email" and choice.model_version == "m8"


def test_holdout_is_a_stable_share_on_the_ladder() -> None:
    policy = LearnedPolicy(ModelHandle(), LearnedConfig(seed=3))
    ids = [f"cust-{i:06d}" for i in range(20000)]
    members = [c for c in ids if policy.in_holdout(c)]
    assert 0.045 < len(members) / len(ids) < 0.055
    again = LearnedPolicy(ModelHandle(), LearnedConfig(seed=3))
    assert [c for c in ids if again.in_holdout(c)] == members
    other = LearnedPolicy(ModelHandle(), LearnedConfig(seed=4))
    assert [c for c in ids if other.in_holdout(c)] != members
    state, _ = _customer()
    state.customer_id = members[0]
    choice = policy.choose(_ctx(state, local("2026-10-05T06:00")))
    assert choice.arm == "holdout" and _arm(choice) == "remind:email"
    assert policy.next_point(state, state.invoices["i1"]) == local("2026-10-05T06:00")


def test_checkpoints_never_fire_twice_after_a_late_decision() -> None:
    state, _ = _customer()
    policy = _policy(None)
    inv = state.invoices["i1"]
    assert policy.next_point(state, inv) == local("2026-10-03T06:00")
    inv.last_point_at, inv.ladder_level = local("2026-10-16T10:00"), 1  # held until the 16th
    assert policy.next_point(state, inv) == local("2026-10-21T06:00")
    inv.last_point_at, inv.ladder_level = local("2026-11-29T06:00"), 8
    assert policy.next_point(state, inv) is None


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="explore"):
        LearnedConfig(explore=1.5)
    with pytest.raises(ValueError, match="increasing"):
        LearnedConfig(days=(5, 3))
