"""The vocabulary the rule pack answers in: candidate actions, blocks and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.enums import Action, Channel


@dataclass(frozen=True, slots=True)
class Candidate:
    """One thing a decision could do: an action on a channel (``None`` for human review)."""

    action: Action
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """Why a candidate is not allowed now.

    ``until`` is when a temporary block lifts, if known; ``None`` with ``temporary`` means it
    lifts on some future event (a dispute resolved), and ``temporary=False`` means it will not
    lift by waiting (an opted-out channel, a vulnerable customer).
    """

    candidate: Candidate
    rule: str
    detail: str = ""
    until: datetime | None = None
    temporary: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rule pack's answer for one invoice at one instant."""

    allowed: tuple[Candidate, ...]
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    hold: Block | None = None

    def is_allowed(self, candidate: Candidate) -> bool:
        """Whether exactly this action on this channel is allowed."""
        return candidate in self.allowed

    def blocks_for(self, action: Action) -> tuple[Block, ...]:
        """The blocks of every candidate with this action."""
        return tuple(b for b in self.blocks if b.candidate.action is action)

    def lift_time(self, action: Action) -> datetime | None:
        """The earliest time some block on ``action`` lifts by itself, if any will."""
        times = [b.until for b in self.blocks_for(action) if b.until is not None]
        return min(times) if times else None
