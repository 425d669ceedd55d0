"""Decision points on fixed days after the due date, for policies that are not a ladder.

A policy that chooses freely (random, oracle, learned) still needs to know *when* to look at an
invoice. Checkpoints give every such policy the same moments, so comparisons between policies
differ in what they do, not in how often they look.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from engine.guardrails.calendar import local_instant
from engine.state import CustomerState, InvoiceState

DEFAULT_DAYS: tuple[int, ...] = (3, 5, 8, 14, 21, 30, 45, 60)


class Checkpoints:
    """``days`` after the due date at ``decision_time`` local time; one stage per checkpoint."""

    def __init__(self, days: tuple[int, ...] = DEFAULT_DAYS, decision_time: time = time(6, 0)):
        if list(days) != sorted(set(days)):
            raise ValueError("checkpoint days must be strictly increasing")
        self.days = days
        self.decision_time = decision_time

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        """The checkpoint of the invoice's current stage, ``None`` after the last one."""
        if invoice.ladder_level >= len(self.days):
            return None
        day = invoice.due_date + timedelta(days=self.days[invoice.ladder_level])
        return local_instant(day, self.decision_time, customer.timezone)
