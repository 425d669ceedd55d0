"""The rule pack: hard legal and business guardrails applied before any policy chooses."""

from engine.guardrails.check import candidates, evaluate
from engine.guardrails.pack import RulePack
from engine.guardrails.types import Block, Candidate, Verdict

__all__ = ["Block", "Candidate", "RulePack", "Verdict", "candidates", "evaluate"]
