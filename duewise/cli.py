"""The ``duewise`` command line: thin wrappers that read arguments and print results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from duewise.validate import ValidationReport, validate_file

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
schemas_app = typer.Typer(no_args_is_help=True, help="The wire contract's JSON Schema files.")
app.add_typer(schemas_app, name="schemas")
console = Console(stderr=False, highlight=False)


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
        console.print(f"warning: {report.out_of_order} events older than the one before them")
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


@schemas_app.command("export")
def schemas_export(
    out: Annotated[Path | None, typer.Option(help="directory (default: schemas/json)")] = None,
) -> None:
    """Regenerate the JSON Schema files from the models."""
    from schemas.jsonschema import JSON_DIR, export

    for path in export(out or JSON_DIR):
        console.print(str(path))


def main() -> None:
    """Console-script entry point."""
    app()
