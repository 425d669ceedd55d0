"""Reading a learned run: KPIs after the learning period, and learned vs holdout.

Two questions a credit manager asks of a policy that learns:

* **How does it do once it has learned?** :func:`kpis_after` recomputes the KPIs on invoices
  issued from a date on (and on the customers still there then), so the months spent learning
  do not blur the comparison with the ladder.
* **Is it better than the ladder on the same customers, in the same months?** The holdout is
  a random share of customers (a stable hash of their id) that stays on the ladder: a
  randomized experiment inside the learned run. :func:`holdout_comparison` compares per-customer
  figures of the two groups with Welch 95% confidence intervals. It is small by design (5%), so
  its intervals are wide; the simulator's full comparison is the other run, not this one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from schemas.enums import Action
from schemas.outbound import Decision
from sim.kpi import Kpis, compute_kpis
from sim.truth import WorldTruth

Z95 = 1.959964


def kpis_after(truth: WorldTruth, decisions: list[Decision], start: date) -> Kpis:
    """KPIs of the invoices issued on or after ``start``, with the decisions on them, the
    customers who had not left by then, and the tickets from then on."""
    since = datetime.combine(start, time(0, 0), tzinfo=UTC)
    invoices = {k: v for k, v in truth.invoices.items() if v.issue_date >= start}
    customers = {
        k: c for k, c in truth.customers.items() if c.churned_at is None or c.churned_at >= since
    }
    tickets = tuple(t for t in truth.tickets if t.at >= since)
    later = replace(truth, invoices=invoices, customers=customers, tickets=tickets)
    return compute_kpis(later, [d for d in decisions if d.invoice_id in invoices])


@dataclass(frozen=True, slots=True)
class Comparison:
    """One figure in both groups: means, their difference and its 95% interval."""

    label: str
    digits: int
    learned: float
    holdout: float
    diff: float
    low: float
    high: float
    n_learned: int
    n_holdout: int


def _mean_var(xs: list[float]) -> tuple[float, float]:
    n = len(xs)
    mean = sum(xs) / n if n else 0.0
    var = sum((x - mean) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    return mean, var


def welch(label: str, a: list[float], b: list[float], digits: int = 1) -> Comparison:
    """Difference of means ``a - b`` with a normal-approximation Welch 95% interval.

    >>> c = welch("x", [1.0, 2.0, 3.0], [0.0, 1.0])
    >>> round(c.diff, 2), round(c.low, 2), round(c.high, 2)
    (1.5, 0.0, 3.0)
    """
    ma, va = _mean_var(a)
    mb, vb = _mean_var(b)
    se = math.sqrt((va / len(a) if a else 0.0) + (vb / len(b) if b else 0.0))
    diff = ma - mb
    low, high = diff - Z95 * se, diff + Z95 * se
    return Comparison(label, digits, ma, mb, diff, low, high, len(a), len(b))


def _per_customer(truth: WorldTruth, decisions: list[Decision]) -> dict[str, dict[str, float]]:
    costs = truth.costs
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for cid, c in truth.customers.items():
        row = rows[cid]
        row["invoices"] = len(c.invoice_ids)
        row["churned"] = float(c.churned_at is not None)
        row["net"] -= costs.churn(c.price_minor) if c.churned_at is not None else 0.0
    for inv in truth.invoices.values():
        row = rows[inv.customer_id]
        row["collected"] += inv.paid_minor / 100.0
        row["net"] += inv.paid_minor / 100.0
        row["escalated"] += float(inv.escalated)
        row["unnecessary"] += float(inv.escalation is not None and inv.escalation.unnecessary)
    for d in decisions:
        if d.action is Action.WAIT or d.invoice_id not in truth.invoices:
            continue
        cost = costs.action(d.action, d.channel)
        row = rows[d.customer_id]
        row["action_cost"] += cost
        row["net"] -= cost
    for ticket in truth.tickets:
        rows[ticket.customer_id]["net"] -= costs.support_ticket
    return rows


FIGURES: tuple[tuple[str, int, Callable[[dict[str, float]], float]], ...] = (
    ("net value per customer (SEK)", 1, lambda r: r["net"]),
    ("collected per customer (SEK)", 1, lambda r: r["collected"]),
    ("action cost per customer (SEK)", 1, lambda r: r["action_cost"]),
    ("churned (share of customers)", 3, lambda r: r["churned"]),
    ("escalations per 100 invoices", 2,
     lambda r: 100 * r["escalated"] / max(r["invoices"], 1)),
    ("unnecessary escalations per 100 invoices", 2,
     lambda r: 100 * r["unnecessary"] / max(r["invoices"], 1)),
)  # fmt: skip
"""Label, decimals and per-customer value of each figure compared."""


def holdout_comparison(
    truth: WorldTruth, decisions: list[Decision], in_holdout: Callable[[str], bool]
) -> list[Comparison]:
    """Learned customers vs holdout customers, figure by figure (learned minus holdout)."""
    rows = _per_customer(truth, decisions)
    groups: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for cid in sorted(truth.customers):
        groups[in_holdout(cid)].append(rows[cid])
    return [
        welch(label, [f(r) for r in groups[False]], [f(r) for r in groups[True]], digits)
        for label, digits, f in FIGURES
    ]


def comparison_rows(comparisons: list[Comparison]) -> list[list[str]]:
    """Text rows: figure, learned, holdout, difference [95% interval]."""
    out = []
    for c in comparisons:
        d = c.digits
        out.append(
            [
                c.label,
                f"{c.learned:,.{d}f}",
                f"{c.holdout:,.{d}f}",
                f"{c.diff:+,.{d}f} [{c.low:+,.{d}f}, {c.high:+,.{d}f}]",
            ]
        )
    return out
