"""The KPI comparison as rows of text: shared by the terminal table and the HTML report."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sim.kpi import Kpis


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


ROWS: tuple[tuple[str, Callable[[Kpis], str]], ...] = (
    ("collected share of billed", lambda k: _pct(k.collected_share)),
    ("mean days to pay (from due)", lambda k: _num(k.mean_days_to_pay)),
    ("invoices reminded per 100", lambda k: _num(k.reminded_per_100)),
    ("escalations per 100 invoices", lambda k: _num(k.escalations_per_100, 2)),
    ("unnecessary escalations", lambda k: _pct(k.unnecessary_share)),
    ("churn (all customers)", lambda k: _pct(k.churn_rate)),
    ("churn escalated / not", lambda k: f"{_pct(k.churn_escalated)} / {_pct(k.churn_others)}"),
    ("churn ratio escalated vs not", lambda k: _ratio(k.churn_ratio)),
    ("support tickets per 100 customers", lambda k: _num(k.tickets_per_100_customers)),
    ("contacts per invoice", lambda k: _num(k.contacts_per_invoice, 3)),
    ("action cost (SEK)", lambda k: _num(k.action_cost_sek, 0)),
    ("churn cost (SEK)", lambda k: _num(k.churn_cost_sek, 0)),
    ("net value (SEK)", lambda k: _num(k.net_value_sek, 0)),
)
"""Label and formatter of each KPI row, in the order a credit manager reads them."""


def kpi_rows(kpis: Sequence[Kpis]) -> list[list[str]]:
    """One row per KPI (label, then one cell per policy); contacts by channel after row 3."""
    rows = [[label, *(fmt(k) for k in kpis)] for label, fmt in ROWS]
    channels = sorted({c for k in kpis for c in k.reminders_per_100})
    by_channel = [
        [f"  contacts by {c} per 100", *(_num(k.reminders_per_100.get(c, 0.0)) for k in kpis)]
        for c in channels
    ]
    return rows[:3] + by_channel + rows[3:]
