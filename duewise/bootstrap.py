"""Build an engine from settings: the one place that turns configuration into objects."""

from __future__ import annotations

import tomllib
from datetime import timedelta

from duewise.embedded import Engine
from duewise.learning import Learner, LearnerConfig
from duewise.rulepacks import load_rule_pack
from duewise.settings import Settings
from engine import EngineContext
from engine.outcomes import OutcomeConfig
from engine.policies import (
    LadderConfig,
    LadderPolicy,
    NoActionPolicy,
    Policy,
    RandomPolicy,
)
from engine.policies.learned import DEFAULT_ARMS, LearnedConfig, LearnedPolicy
from engine.valuation import ModelHandle

POLICIES = ("ladder", "no-action", "random", "learned")
"""Policies that need nothing but settings (``oracle`` needs a simulated world)."""


def _ladder_config(settings: Settings) -> LadderConfig:
    if settings.ladder is None:
        return LadderConfig()
    return LadderConfig.model_validate(tomllib.loads(settings.ladder.read_text()))


def learned_config(settings: Settings) -> LearnedConfig:
    """The learned policy's knobs from settings (its holdout gets the settings' ladder)."""
    arms = DEFAULT_ARMS
    if settings.arms is not None:
        arms = tuple(a.strip() for a in settings.arms.split(",") if a.strip())
    return LearnedConfig(
        arms=arms,
        explore=settings.explore,
        min_evidence=settings.min_evidence,
        min_churn_evidence=settings.min_churn_evidence,
        holdout_share=settings.holdout_share,
        seed=settings.seed,
        ladder=_ladder_config(settings),
    )


def build_learner(settings: Settings) -> Learner:
    """A learner seeded by the settings, restored from ``settings.models`` when given."""
    learner = Learner(LearnerConfig(seed=settings.seed))
    if settings.models is not None:
        learner.restore(settings.models.read_bytes())
    return learner


def build_policy(settings: Settings, handle: ModelHandle | None = None) -> Policy:
    """The policy the settings name; ``learned`` reads its models through ``handle``."""
    if settings.policy == "ladder":
        return LadderPolicy(_ladder_config(settings))
    if settings.policy == "no-action":
        return NoActionPolicy()
    if settings.policy == "random":
        return RandomPolicy()
    if settings.policy == "learned":
        return LearnedPolicy(handle or ModelHandle(), learned_config(settings))
    raise ValueError(f"unknown policy {settings.policy!r}; known: {', '.join(POLICIES)}")


def build_context(settings: Settings, policy: Policy | None = None) -> EngineContext:
    """The engine's fixed context: policy (from settings unless given), rule pack, seed and
    the clocks of the outcomes."""
    return EngineContext(
        policy=policy or build_policy(settings),
        pack=load_rule_pack(settings.rules),
        seed=settings.seed,
        outcomes=OutcomeConfig(
            horizon=timedelta(days=settings.horizon_days),
            churn_window=timedelta(days=settings.churn_window_days),
        ),
    )


def build_engine(
    settings: Settings | None = None,
    policy: Policy | None = None,
    learner: Learner | None = None,
) -> Engine:
    """An embedded engine for ``settings`` (defaults: Swedish rules, the ladder, seed 0).

    ``policy`` overrides the one the settings name; the simulator's oracle is passed this way.
    For ``learned``, the engine's outcomes feed ``learner`` (a new one unless given) and the
    policy reads the learner's models: learning and deciding in one process.
    """
    settings = settings or Settings()
    if policy is None and settings.policy == "learned":
        learner = learner or build_learner(settings)
        policy = build_policy(settings, learner.handle)
    on_outcomes = learner.learn if learner is not None else None
    return Engine(build_context(settings, policy), on_outcomes=on_outcomes)
