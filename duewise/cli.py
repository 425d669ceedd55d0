"""The ``duewise`` command line: thin wrappers that read arguments and print results."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from duewise.replay import ReplaySummary
from duewise.validate import ValidationReport, validate_file

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="duewise: dunning decisions that learn which action causes payment.",
)
schemas_app = typer.Typer(no_args_is_help=True, help="The wire contract's JSON Schema files.")
app.add_typer(schemas_app, name="schemas")
console = Console(highlight=False, soft_wrap=True)


def _print_report(path: Path, report: ValidationReport) -> None:
    table = Table(title=f"{path}: {report.lines} events")
    table.add_column("type")
    table.add_column("count", justify="right")
    for kind, count in sorted(report.by_type.items()):
        table.add_row(kind, str(count))
    table.add_row("[bold]invalid[/bold]", str(report.invalid))
    console.print(table)
    if report.first_at and report.last_at:
        console.print(f"span: {report.first_at.isoformat()} .. {report.last_at.isoformat()}")
    if report.duplicate_ids:
        console.print(f"warning: {report.duplicate_ids} duplicate event ids (ignored by engine)")
    if report.out_of_order:
        console.print(f"warning: {report.out_of_order} events older than an event before them")
    for err in report.errors:
        console.print(f"line {err.line}: {err.reason}", markup=False)
    if report.invalid > len(report.errors):
        console.print(f"... and {report.invalid - len(report.errors)} more invalid lines")
    console.print("OK" if report.ok else f"INVALID: {report.invalid} of {report.lines} lines")


@app.command()
def validate(
    events: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines log")],
    max_errors: Annotated[int, typer.Option(help="how many errors to show")] = 20,
) -> None:
    """Check an event log line by line; exit 1 if any line is invalid."""
    report = validate_file(events, max_errors=max_errors)
    _print_report(events, report)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_replay(summary: ReplaySummary, out: Path) -> None:
    table = Table(title=f"{summary.events} events -> {summary.actionable} actionable decisions")
    table.add_column("action")
    table.add_column("channel")
    table.add_column("decisions", justify="right")
    for (action, channel), count in sorted(summary.decisions.items()):
        table.add_row(action, channel, str(count))
    console.print(table)
    if summary.blocked:
        blocked = Table(title="blocked by rule (per decision point and action)")
        blocked.add_column("rule")
        blocked.add_column("count", justify="right")
        for rule, count in summary.blocked.most_common():
            blocked.add_row(rule, str(count))
        console.print(blocked)
    notes = ", ".join(f"{k}={v}" for k, v in sorted(summary.notices.items()))
    console.print(f"notices: {notes or 'none'}")
    console.print(f"invalid lines: {summary.invalid}; dead letters: {summary.dead_letters}")
    console.print(f"decisions written to {out}")


@app.command()
def replay(
    events: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines log")],
    out: Annotated[Path, typer.Option(help="actionable decisions (JSON Lines)")],
    audit: Annotated[Path | None, typer.Option(help="every decision point, waits included")] = None,
    dlq: Annotated[Path | None, typer.Option(help="dead letters (default: OUT.dlq.jsonl)")] = None,
    rules: Annotated[str, typer.Option(help="rule pack name (se, us_strict) or TOML path")] = "se",
    policy: Annotated[str, typer.Option(help="ladder, learned, no-action, random")] = "ladder",
    ladder: Annotated[Path | None, typer.Option(help="TOML file with ladder levels")] = None,
    seed: Annotated[int, typer.Option(help="seed of every random draw")] = 0,
    until: Annotated[
        datetime | None, typer.Option(help="advance the clock to this UTC time at the end")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Replay a time-ordered event log through the embedded engine and write its decisions."""
    from duewise.gc_tuning import tune_gc

    tune_gc()
    from duewise.bootstrap import build_engine
    from duewise.replay import ReplaySinks, replay_file
    from duewise.rulepacks import RulePackError
    from duewise.settings import Settings

    try:
        engine = build_engine(Settings(rules=rules, policy=policy, ladder=ladder, seed=seed))
    except (RulePackError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False)
        raise typer.Exit(code=2) from None
    end = until.replace(tzinfo=until.tzinfo or UTC) if until else None
    dlq = dlq or out.with_suffix(".dlq.jsonl")
    for path in (out, audit, dlq):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        sinks = ReplaySinks(
            decisions=stack.enter_context(out.open("wb")),
            audit=stack.enter_context(audit.open("wb")) if audit else None,
            dlq=stack.enter_context(dlq.open("wb")),
        )
        bar = stack.enter_context(
            Progress(disable=not progress, console=Console(stderr=True), transient=True)
        )
        task = bar.add_task("replay", total=events.stat().st_size)
        summary = replay_file(engine, events, sinks, end, on_line=lambda n: bar.advance(task, n))
    _print_replay(summary, out)


@schemas_app.command("export")
def schemas_export(
    out: Annotated[Path | None, typer.Option(help="directory (default: schemas/json)")] = None,
) -> None:
    """Regenerate the JSON Schema files from the models."""
    from schemas.jsonschema import JSON_DIR, export

    for path in export(out or JSON_DIR):
        console.print(str(path))


def _register_simulation() -> None:
    from duewise import cli_sim

    app.command()(cli_sim.demo)
    app.command()(cli_sim.evaluate)
    app.command()(cli_sim.simulate)
    app.command("ope-check")(cli_sim.ope_check)


_register_simulation()


def _register_streaming() -> None:
    from streams.cli import register

    register(app)


_register_streaming()


def main() -> None:
    """Console-script entry point."""
    app()
