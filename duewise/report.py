"""The HTML report of an evaluation: the KPI table and the plots a credit manager asks for.

Plots are rendered with matplotlib to PNG and embedded, so the report is one file that opens
anywhere without a server or internet access.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from duewise.evaluate import PolicyRun
from duewise.experiment import Comparison, comparison_rows
from duewise.kpi_table import kpi_rows
from sim.kpi import Kpis

_FUNNEL = ("overdue", "reminded", "escalated", "paid_after_escalation", "unnecessary")


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def net_value_plot(runs: Sequence[PolicyRun]) -> str:
    """Cumulative net value per policy over time, relative to doing nothing when available.

    Collections dwarf the differences between policies, so against the ``no-action`` run the
    plot shows what each policy adds (or destroys) day by day.
    """
    base = next((r for r in runs if r.policy == "no-action"), None)
    baseline = dict(base.kpis.series) if base is not None else {}
    fig, ax = plt.subplots(figsize=(8, 4))
    for run in runs:
        days = [d for d, _ in run.kpis.series]
        values = [(v - baseline.get(d, 0.0)) / 1e3 for d, v in run.kpis.series]
        ax.plot(days, values, label=run.policy)
    title = "Cumulative net value" + (" minus no-action" if base is not None else "")
    ax.set_title(title)
    ax.set_ylabel("thousand SEK")
    ax.axhline(0, color="#888", linewidth=0.8)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return _png(fig)


def funnel_plot(runs: Sequence[PolicyRun]) -> str:
    """The escalation funnel per 100 invoices, one group of bars per stage."""
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(runs))
    for i, run in enumerate(runs):
        funnel = run.kpis.funnel
        per_100 = 100 / max(1, funnel.invoices)
        values = [getattr(funnel, stage) * per_100 for stage in _FUNNEL]
        ax.bar([x + i * width for x in range(len(_FUNNEL))], values, width, label=run.policy)
    ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(_FUNNEL))])
    ax.set_xticklabels([s.replace("_after_", " after\n") for s in _FUNNEL])
    ax.set_title("Escalation funnel (per 100 invoices)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def channel_plot(runs: Sequence[PolicyRun]) -> str:
    """Contacts per 100 invoices by channel, stacked per policy."""
    channels = sorted({c for r in runs for c in r.kpis.reminders_per_100})
    fig, ax = plt.subplots(figsize=(8, 4))
    bottoms = [0.0] * len(runs)
    for channel in channels:
        values = [r.kpis.reminders_per_100.get(channel, 0.0) for r in runs]
        ax.bar([r.policy for r in runs], values, bottom=bottoms, label=channel)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_title("Channel mix (reminders and offers per 100 invoices)")
    if channels:
        ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


SCORED_ARMS = frozenset({"oracle", "learned"})
"""Arms whose decision scores are values in SEK (random's scores are probabilities)."""


def uplift_curve(run: PolicyRun) -> list[tuple[float, float]] | None:
    """Qini-style: decision points ranked by predicted uplift of the best action over waiting,
    against the cumulative uplift gained by acting on the top share (``None`` without scores)."""
    gains = []
    for d in run.decisions:
        if d.scores and d.policy.arm in SCORED_ARMS and "wait" in d.scores:
            best = max((v for k, v in d.scores.items() if k != "wait"), default=d.scores["wait"])
            gains.append(best - d.scores["wait"])
    if not gains:
        return None
    gains.sort(reverse=True)
    points, total = [(0.0, 0.0)], 0.0
    for i, gain in enumerate(gains, start=1):
        total += gain
        points.append((i / len(gains), total / 1e3))
    return points


def uplift_plot(runs: Sequence[PolicyRun]) -> str | None:
    """The Qini-style curve of every scored policy, or ``None`` when no policy has scores."""
    curves = [(r.policy, c) for r in runs if (c := uplift_curve(r)) is not None]
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(8, 4))
    for name, points in curves:
        ax.plot([x for x, _ in points], [y for _, y in points], label=name)
    ax.set_title("Qini-style curve: predicted gain of acting, best decision points first")
    ax.set_xlabel("share of decision points acted on")
    ax.set_ylabel("cumulative uplift over waiting, thousand SEK")
    ax.axhline(0, color="#888", linewidth=0.8)
    ax.legend()
    ax.grid(alpha=0.3)
    return _png(fig)


def _html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    top = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{top}</tr>{body}</table>"


def _table(runs: Sequence[PolicyRun], kpis: Sequence[Kpis] | None = None) -> str:
    chosen = kpis if kpis is not None else [r.kpis for r in runs]
    return _html_table(["KPI", *(r.policy for r in runs)], kpi_rows(chosen))


def _learning(
    runs: Sequence[PolicyRun],
    start: date | None,
    after: Sequence[Kpis] | None,
    holdout: Sequence[Comparison] | None,
) -> str:
    """The sections on the learned policy: after its learning period, and vs its holdout."""
    out = ""
    if after is not None and start is not None:
        out += (
            f"<h2>After the learning period</h2><p>The same KPIs on invoices issued from "
            f"{start} on (and the customers still there then).</p>{_table(runs, after)}"
        )
    if holdout:
        n_l, n_h = holdout[0].n_learned, holdout[0].n_holdout
        out += (
            "<h2>Learned vs holdout: the randomized experiment</h2><p>Inside the learned run, "
            f"a stable hash of the customer id kept {n_h:,} customers on the ladder "
            f"(the holdout) and {n_l:,} on the learned policy. Per-customer means over the "
            "whole run; the difference is learned minus holdout with a Welch 95% confidence "
            "interval.</p>"
            + _html_table(
                ["figure per customer", "learned", "holdout", "difference [95% CI]"],
                comparison_rows(list(holdout)),
            )
        )
    return out


def render_report(
    runs: Sequence[PolicyRun],
    title: str,
    settings: dict[str, object],
    start: date | None = None,
    after: Sequence[Kpis] | None = None,
    holdout: Sequence[Comparison] | None = None,
) -> str:
    """The whole report as one self-contained HTML page."""
    described = ", ".join(f"{k}={v}" for k, v in settings.items())
    plots = [
        ("Cumulative net value", net_value_plot(runs)),
        ("Escalation funnel", funnel_plot(runs)),
        ("Channel mix", channel_plot(runs)),
    ]
    qini = uplift_plot(runs)
    if qini is not None:
        plots.append(("Qini-style uplift curve", qini))
    figures = "".join(
        f'<h2>{name}</h2><img alt="{name}" src="data:image/png;base64,{data}">'
        for name, data in plots
    )
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}
td:first-child,th:first-child{{text-align:left}}img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{html.escape(described)}. Generated {made}.</p>
<p>Every policy ran on the same simulated customers with the same hidden draws, so the
differences are caused by the policies. <b>oracle</b> knows the hidden truth: an upper bound.
Net value = collected - action costs - churn cost (lost margin) - support tickets.</p>
{_table(runs)}{_learning(runs, start, after, holdout)}{figures}</body></html>"""
