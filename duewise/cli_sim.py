"""CLI commands on the simulated world: ``simulate``, ``evaluate`` and ``demo``."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from duewise.evaluate import KNOWN_POLICIES, PolicyRun, holdout_membership, run_policy
from duewise.experiment import Comparison, comparison_rows, holdout_comparison, kpis_after
from duewise.gc_tuning import tune_gc
from duewise.kpi_table import kpi_rows
from duewise.settings import Settings
from schemas.codec import encode
from sim.clock import month_start
from sim.kpi import Kpis
from sim.world import WorldConfig

console = Console(highlight=False, soft_wrap=True, width=120)

Customers = Annotated[int, typer.Option(help="customers in the simulated biller")]
Months = Annotated[int, typer.Option(help="months of invoices")]
Seed = Annotated[int, typer.Option(help="seed of the world and of the engine")]
Rules = Annotated[str, typer.Option(help="rule pack name (se, us_strict) or TOML path")]


def _run_one(args: tuple[str, WorldConfig, Settings]) -> tuple[PolicyRun, float]:
    tune_gc()
    started = time.perf_counter()
    run = run_policy(*args)
    return run, time.perf_counter() - started


def run_all(
    names: list[str], config: WorldConfig, settings: Settings, jobs: int
) -> list[PolicyRun]:
    """Run the policies, ``jobs`` at a time in separate processes, reporting as each ends."""
    unknown = [n for n in names if n not in KNOWN_POLICIES]
    if unknown:
        raise typer.BadParameter(f"unknown policies {unknown}; known: {', '.join(KNOWN_POLICIES)}")
    work = [(name, config, settings) for name in names]
    runs: dict[str, PolicyRun] = {}
    with console.status("simulating...") as status:
        if jobs <= 1:
            results = map(_run_one, work)
        else:
            pool = ProcessPoolExecutor(max_workers=jobs)
            results = pool.map(_run_one, work)
        for run, seconds in results:
            runs[run.policy] = run
            console.print(
                f"  {run.policy}: {run.events:,} events, {len(run.decisions):,} "
                f"decision points, {seconds:.1f} s"
            )
            status.update(f"simulating... {len(runs)}/{len(names)} policies done")
        if jobs > 1:
            pool.shutdown()
    return [runs[name] for name in names]


def print_kpis(runs: list[PolicyRun], kpis: list[Kpis] | None = None, title: str = "") -> None:
    """The KPI comparison as a terminal table (``kpis`` default to the runs' own)."""
    table = Table(title=title or "KPIs per policy (same world, same draws)")
    table.add_column("KPI")
    for run in runs:
        table.add_column(run.policy, justify="right")
    for row in kpi_rows(kpis if kpis is not None else [r.kpis for r in runs]):
        table.add_row(*row)
    console.print(table)


def print_holdout(comparisons: list[Comparison]) -> None:
    """Learned vs holdout customers inside the learned run, with 95% intervals."""
    n_l, n_h = comparisons[0].n_learned, comparisons[0].n_holdout
    table = Table(title=f"learned ({n_l:,} customers) vs holdout on the ladder ({n_h:,})")
    for name in ("figure per customer", "learned", "holdout", "difference [95% CI]"):
        table.add_column(name, justify="left" if name.startswith("figure") else "right")
    for row in comparison_rows(comparisons):
        table.add_row(*row)
    console.print(table)


def learning_views(
    runs: list[PolicyRun], config: WorldConfig, settings: Settings, warmup: int
) -> tuple[date, list[Kpis] | None, list[Comparison] | None]:
    """KPIs on invoices issued after ``warmup`` months, and the holdout comparison."""
    start = month_start(config.start, warmup)
    after = None
    if 0 < warmup < config.months:
        after = [kpis_after(r.truth, r.decisions, start) for r in runs]
    learned = next((r for r in runs if r.policy == "learned"), None)
    holdout = None
    if learned is not None:
        holdout = holdout_comparison(learned.truth, learned.decisions, holdout_membership(settings))
    return start, after, holdout


def evaluate(
    policies: Annotated[str, typer.Option(help="comma-separated policies")] = (
        "ladder,no-action,random,oracle"
    ),
    customers: Customers = 2000,
    months: Months = 6,
    seed: Seed = 1,
    rules: Rules = "se",
    report: Annotated[Path, typer.Option(help="HTML report to write")] = Path("out/report.html"),
    jobs: Annotated[int, typer.Option(help="policies run in parallel (processes)")] = 2,
    warmup: Annotated[
        int,
        typer.Option(
            help="months of invoices the learned policy learns on, left out of the second table"
        ),
    ] = 2,
) -> None:
    """Run each policy on the same simulated world; print the KPIs and write an HTML report."""
    from duewise.report import render_report

    names = [p.strip() for p in policies.split(",") if p.strip()]
    config = WorldConfig(seed=seed, customers=customers, months=months)
    settings = Settings(seed=seed, rules=rules)
    runs = run_all(names, config, settings, jobs)
    print_kpis(runs)
    start, after, holdout = learning_views(runs, config, settings, warmup)
    if after is not None and "learned" in names:
        print_kpis(runs, after, f"KPIs on invoices issued from {start} (after the learning period)")
    if holdout is not None:
        print_holdout(holdout)
    report.parent.mkdir(parents=True, exist_ok=True)
    described = {"customers": customers, "months": months, "seed": seed, "rules": rules}
    page = render_report(runs, "duewise policy evaluation", described, start, after, holdout)
    report.write_text(page)
    console.print(f"report written to {report}")


def simulate(
    out: Annotated[Path, typer.Option(help="the world's event log (JSON Lines)")],
    policy: Annotated[str, typer.Option(help="policy the world answers to")] = "ladder",
    decisions: Annotated[Path | None, typer.Option(help="also write the decisions")] = None,
    customers: Customers = 500,
    months: Months = 3,
    seed: Seed = 1,
    rules: Rules = "se",
) -> None:
    """Write the event log a simulated biller produces under a policy (input for `replay`)."""
    config = WorldConfig(seed=seed, customers=customers, months=months)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as sink:
        run = run_policy(
            policy,
            config,
            Settings(seed=seed, rules=rules),
            on_event=lambda e: sink.write(encode(e) + b"\n"),
        )
    if decisions is not None:
        decisions.parent.mkdir(parents=True, exist_ok=True)
        with decisions.open("wb") as sink:
            for d in run.decisions:
                sink.write(encode(d) + b"\n")
    console.print(f"{run.events:,} events written to {out}; {len(run.decisions):,} decisions")


def ope_check(
    customers: Customers = 10000,
    seed: Seed = 2,
) -> None:
    """Off-policy estimates from random logs against each target's true value on the world."""
    from duewise.ope_check import check_ope, describe

    for line in describe(check_ope(customers=customers, seed=seed)):
        console.print(line)


def demo(
    customers: Customers = 3000,
    months: Months = 6,
    seed: Seed = 1,
    report: Annotated[Path, typer.Option(help="HTML report to write")] = Path("out/report.html"),
) -> None:
    """The main job: a mid-size biller under the ladder and the alternatives, compared."""
    console.print(
        f"duewise demo: a telecom biller with {customers:,} customers over {months} months, "
        "under the fixed ladder, the learned policy and the alternatives, on the same "
        "simulated world."
    )
    evaluate(
        policies="ladder,no-action,random,learned,oracle",
        customers=customers,
        months=months,
        seed=seed,
        report=report,
    )
