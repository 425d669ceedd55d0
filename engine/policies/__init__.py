"""Policies: how a decision point picks among the actions the rule pack allows."""

from engine.policies.base import Choice, DecisionContext, Policy
from engine.policies.ladder import LadderConfig, LadderLevel, LadderPolicy

__all__ = ["Choice", "DecisionContext", "LadderConfig", "LadderLevel", "LadderPolicy", "Policy"]
