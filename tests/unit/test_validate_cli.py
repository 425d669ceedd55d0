"""``duewise validate`` and ``duewise schemas export``, and the line validator behind them."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duewise.cli import app
from duewise.validate import LineError, iter_lines, validate_file, validate_lines
from schemas.codec import DecodeError, decode_event
from schemas.jsonschema import build_schemas, render

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOOD_LOG = EXAMPLES / "events.jsonl"
BAD_LOG = EXAMPLES / "events-with-errors.jsonl"

# The three broken lines of events-with-errors.jsonl: line number, field, words of the reason.
BROKEN = {
    4: ("amount_minor", "valid integer"),  # 899.00: kronor sent as a float
    8: ("occurred_at", "timezone"),  # a naive local timestamp
    11: ("type", "unknown event type 'invoice_paid'"),
}

runner = CliRunner()

_ROW = re.compile(r"^[│|┃]\s*([a-z_]+)\s*[│|┃]\s*(\d+)\s*[│|┃]\s*$", re.MULTILINE)


def _rows(output: str) -> dict[str, int]:
    """The type/count rows of the table the validate command prints."""
    return {kind: int(count) for kind, count in _ROW.findall(output)}


def _line(event_id: str, at: str, kind: str = "customer_churned") -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "type": kind,
            "occurred_at": at,
            "customer_id": "cust-1",
            "schema_version": 1,
            "source": "crm",
        }
    ).encode()


BAD = b'{"event_id": "evt-x", "type": "customer_churned"}'  # schema_version missing


# --- duewise validate ------------------------------------------------------------------------


def test_valid_log_passes_with_counts_per_type() -> None:
    result = runner.invoke(app, ["validate", str(GOOD_LOG)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-1] == "OK"
    records = [json.loads(line) for line in GOOD_LOG.read_text(encoding="utf-8").splitlines()]
    assert len(records) > 12
    assert _rows(result.output) == {**Counter(r["type"] for r in records), "invalid": 0}
    first = records[0]["occurred_at"].replace("Z", "+00:00")
    latest = max(r["occurred_at"] for r in records).replace("Z", "+00:00")  # all in Z
    assert f"span: {first} .. {latest}" in result.output
    assert "line " not in result.output
    assert "warning" not in result.output


def test_example_with_errors_is_broken_exactly_where_it_claims() -> None:
    lines = BAD_LOG.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12
    records = [json.loads(line) for line in lines]  # every line is JSON; the content is wrong
    assert len({r["event_id"] for r in records}) == len(records), "no duplicate warnings"
    for number, line in enumerate(lines, start=1):
        try:
            decode_event(line)
        except DecodeError as exc:
            assert number in BROKEN, f"line {number} is broken: {exc}"
            assert exc.field == BROKEN[number][0]
        else:
            assert number not in BROKEN, f"line {number} should be broken"


def test_log_with_errors_fails_naming_lines_and_fields() -> None:
    result = runner.invoke(app, ["validate", str(BAD_LOG)])
    assert result.exit_code == 1, result.output
    output = result.output
    reported = [int(n) for n in re.findall(r"^line (\d+): ", output, re.MULTILINE)]
    assert reported == sorted(BROKEN)
    flat = " ".join(output.split())  # rich wraps long lines
    for number, (field, reason) in BROKEN.items():
        assert f"line {number}: {field}: " in flat
        assert reason in flat
    assert output.rstrip().splitlines()[-1] == "INVALID: 3 of 12 lines"
    assert _rows(output)["invalid"] == 3
    assert sum(_rows(output).values()) == 12


def test_log_with_errors_report() -> None:
    report = validate_file(BAD_LOG)
    assert (report.lines, report.valid, report.invalid) == (12, 9, 3)
    assert not report.ok
    assert [(e.line, e.field) for e in report.errors] == [(n, f) for n, (f, _) in BROKEN.items()]
    for error in report.errors:
        assert BROKEN[error.line][1] in error.reason


def test_max_errors_option_caps_what_is_shown() -> None:
    result = runner.invoke(app, ["validate", str(BAD_LOG), "--max-errors", "1"])
    assert result.exit_code == 1
    assert re.findall(r"^line (\d+): ", result.output, re.MULTILINE) == ["4"]
    assert "... and 2 more invalid lines" in result.output
    assert "INVALID: 3 of 12 lines" in result.output


def test_warnings_do_not_fail_the_command(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(
        b"\n".join(
            [
                _line("evt-1", "2026-09-01T10:00:00Z"),
                _line("evt-2", "2026-09-01T09:00:00Z"),  # older than the one before
                _line("evt-1", "2026-09-01T11:00:00Z"),  # duplicate id
            ]
        )
    )
    result = runner.invoke(app, ["validate", str(log)])
    assert result.exit_code == 0, result.output
    assert "warning: 1 duplicate event ids" in result.output
    assert "warning: 1 events older than an event before them" in result.output
    assert result.output.rstrip().splitlines()[-1] == "OK"


def test_error_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\n\n" + _line("evt-1", "2026-09-01T10:00:00Z") + b"\r\n   \n" + BAD + b"\n")
    result = runner.invoke(app, ["validate", str(log)])
    assert result.exit_code == 1
    assert "line 5: schema_version: missing" in result.output
    assert "INVALID: 1 of 2 lines" in result.output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["validate", str(EXAMPLES / "no-such-file.jsonl")], 2),
        (["validate", str(EXAMPLES)], 2),  # a directory
        (["validate"], 2),
        (["validate", str(GOOD_LOG), "--max-errors", "many"], 2),
    ],
    ids=["missing-file", "directory", "no-argument", "bad-option"],
)
def test_usage_errors(args: list[str], code: int) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code


# --- validate_lines ----------------------------------------------------------------------------

T0 = "2026-09-01T10:00:00Z"
T1 = "2026-09-01T11:00:00Z"
T2 = "2026-09-01T12:00:00Z"

# (lines as (id, time) pairs or raw bytes, expected counters)
CASES = [
    pytest.param([("a", T0), ("b", T1), ("c", T2)],
                 {"valid": 3, "duplicate_ids": 0, "out_of_order": 0}, id="clean"),
    pytest.param([("a", T0), ("a", T1)],
                 {"valid": 2, "duplicate_ids": 1, "out_of_order": 0}, id="duplicate-id"),
    pytest.param([("a", T0), ("a", T0), ("a", T0)],
                 {"valid": 3, "duplicate_ids": 2, "out_of_order": 0}, id="triplicate"),
    pytest.param([("a", T1), ("b", T0)],
                 {"valid": 2, "duplicate_ids": 0, "out_of_order": 1}, id="out-of-order"),
    pytest.param([("a", T0), ("b", T0)],
                 {"valid": 2, "duplicate_ids": 0, "out_of_order": 0}, id="same-instant"),
    # Compared with the latest event so far, not the line before: T2, T0, T1 counts twice.
    pytest.param([("a", T2), ("b", T0), ("c", T1)],
                 {"valid": 3, "duplicate_ids": 0, "out_of_order": 2}, id="behind-the-latest"),
    pytest.param([("a", T1), BAD, ("a", T0)],
                 {"valid": 2, "invalid": 1, "duplicate_ids": 1, "out_of_order": 1},
                 id="both-warnings-and-an-error"),
    pytest.param([BAD, b"[]", b"not json"],
                 {"valid": 0, "invalid": 3, "duplicate_ids": 0, "out_of_order": 0},
                 id="all-invalid"),
    pytest.param([b""], {"valid": 0, "invalid": 1}, id="blank-is-iter_lines-job"),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "expected"), CASES)
def test_validate_lines_counts(lines: list, expected: dict[str, int]) -> None:
    numbered = [
        (n, item if isinstance(item, bytes) else _line(*item)) for n, item in enumerate(lines, 1)
    ]
    report = validate_lines(numbered)
    expected = {"invalid": 0, **expected}
    assert {key: getattr(report, key) for key in expected} == expected
    assert report.lines == len(lines)
    assert report.ok is (expected["invalid"] == 0), "warnings never make a log invalid"
    assert len(report.errors) == expected["invalid"]
    assert sum(report.by_type.values()) == report.valid


def test_span_is_first_and_latest() -> None:
    report = validate_lines([(1, _line("a", T1)), (2, _line("b", T2)), (3, _line("c", T0))])
    assert report.first_at == datetime(2026, 9, 1, 11, tzinfo=UTC)
    assert report.last_at == datetime(2026, 9, 1, 12, tzinfo=UTC)


def test_empty_input() -> None:
    report = validate_lines([])
    assert (report.lines, report.valid, report.invalid) == (0, 0, 0)
    assert report.ok
    assert report.first_at is None
    assert report.last_at is None


def test_by_type_counts() -> None:
    lines = [
        _line("a", T0, "customer_churned"),
        _line("b", T0, "customer_erased"),
        _line("c", T1, "customer_erased"),
    ]
    report = validate_lines(enumerate(lines, 1))
    assert report.by_type == Counter({"customer_erased": 2, "customer_churned": 1})


@pytest.mark.parametrize(("max_errors", "shown"), [(0, []), (2, [2, 4]), (5, [2, 4, 5, 7, 8])])
def test_max_errors_caps_the_list_but_not_the_count(max_errors: int, shown: list[int]) -> None:
    good = {1: _line("a", T0), 3: _line("b", T1), 6: _line("c", T2)}
    lines = [(n, good.get(n, BAD)) for n in range(1, 9)]
    report = validate_lines(lines, max_errors=max_errors)
    assert report.invalid == 5
    assert report.valid == 3
    assert [e.line for e in report.errors] == shown
    assert all(e == LineError(e.line, "schema_version", "schema_version: missing")
               for e in report.errors)  # fmt: skip
    assert not report.ok


def test_iter_lines_skips_blank_lines_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n   \n" + _line("a", T0) + b"\r\n\t\n\n" + _line("b", T1) + b"  \n \r\n")
    assert list(iter_lines(path)) == [(3, _line("a", T0)), (6, _line("b", T1))]
    report = validate_file(path)
    assert (report.lines, report.valid, report.invalid) == (2, 2, 0)


def test_iter_lines_handles_a_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(_line("a", T0) + b"\n" + _line("b", T1))
    assert [n for n, _ in iter_lines(path)] == [1, 2]


# --- duewise schemas export --------------------------------------------------------------------


def test_schemas_export_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "json"
    out.mkdir(parents=True)
    (out / "retired_event.schema.json").write_text("{}", encoding="utf-8")
    (out / "README.md").write_text("keep me", encoding="utf-8")

    result = runner.invoke(app, ["schemas", "export", "--out", str(out)])

    assert result.exit_code == 0, result.output
    expected = build_schemas()
    written = {p.name for p in out.glob("*.schema.json")}
    assert written == set(expected), "stale schema files are removed, all current ones written"
    for name, schema in expected.items():
        assert (out / name).read_text(encoding="utf-8") == render(schema)
    assert (out / "README.md").read_text(encoding="utf-8") == "keep me"
    printed = "".join(result.output.split())  # rich folds long paths at the console width
    for name in expected:
        assert str(out / name) in printed
    assert printed.count(".schema.json") == len(expected)


def test_schemas_export_creates_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    result = runner.invoke(app, ["schemas", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.schema.json"))) == len(build_schemas())


def test_exported_files_equal_the_committed_ones(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schemas", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    committed = REPO / "schemas" / "json"
    for path in sorted(tmp_path.glob("*.schema.json")):
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"{path.name} differs; run `duewise schemas export`"
        )
