"""Policies: how a decision point picks among the actions the rule pack allows."""

from engine.policies.base import Choice, DecisionContext, Policy
from engine.policies.checkpoints import Checkpoints
from engine.policies.ladder import LadderConfig, LadderLevel, LadderPolicy
from engine.policies.simple import GreedyPolicy, NoActionPolicy, RandomPolicy, Scorer

__all__ = [
    "Checkpoints",
    "Choice",
    "DecisionContext",
    "GreedyPolicy",
    "LadderConfig",
    "LadderLevel",
    "LadderPolicy",
    "NoActionPolicy",
    "Policy",
    "RandomPolicy",
    "Scorer",
]
