"""The pure decision core: ledger state, reducer, guardrails, policies and ``step``.

It imports only :mod:`schemas` (and pydantic); it never reads a clock, a file or a socket.
"""

from engine.archive import ArchiveConfig
from engine.step import EngineContext, StepResult, advance, step

__all__ = ["ArchiveConfig", "EngineContext", "StepResult", "advance", "step"]
