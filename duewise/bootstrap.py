"""Build an engine from settings: the one place that turns configuration into objects."""

from __future__ import annotations

import tomllib

from duewise.embedded import Engine
from duewise.rulepacks import load_rule_pack
from duewise.settings import Settings
from engine import EngineContext
from engine.policies import (
    LadderConfig,
    LadderPolicy,
    NoActionPolicy,
    Policy,
    RandomPolicy,
)

POLICIES = ("ladder", "no-action", "random")
"""Policies that need nothing but settings (``oracle`` needs a simulated world)."""


def build_policy(settings: Settings) -> Policy:
    """The policy the settings name."""
    if settings.policy == "ladder":
        config = LadderConfig()
        if settings.ladder is not None:
            config = LadderConfig.model_validate(tomllib.loads(settings.ladder.read_text()))
        return LadderPolicy(config)
    if settings.policy == "no-action":
        return NoActionPolicy()
    if settings.policy == "random":
        return RandomPolicy()
    raise ValueError(f"unknown policy {settings.policy!r}; known: {', '.join(POLICIES)}")


def build_context(settings: Settings, policy: Policy | None = None) -> EngineContext:
    """The engine's fixed context: policy (from settings unless given), rule pack and seed."""
    return EngineContext(
        policy=policy or build_policy(settings),
        pack=load_rule_pack(settings.rules),
        seed=settings.seed,
    )


def build_engine(settings: Settings | None = None, policy: Policy | None = None) -> Engine:
    """An embedded engine for ``settings`` (defaults: Swedish rules, the ladder, seed 0).

    ``policy`` overrides the one the settings name; the simulator's oracle is passed this way.
    """
    return Engine(build_context(settings or Settings(), policy))
