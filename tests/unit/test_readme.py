"""The README's Python examples run and print what the README says they print.

Each ``python`` block is executed; a comment line right after a ``print(...)`` line states the
expected output (up to two spaces and a parenthesised remark), so the README cannot rot.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def _expected(block: str) -> list[str]:
    lines = block.splitlines()
    out = []
    for here, after in itertools.pairwise(lines):
        if here.lstrip().startswith("print(") and after.startswith("# "):
            out.append(after[2:].split("  (")[0].rstrip())
    return out


def test_readme_has_python_examples() -> None:
    assert _blocks(), "the README lost its embedded API example"


@pytest.mark.parametrize("block", _blocks())
def test_readme_python_block_prints_what_it_says(block: str) -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(block, str(README), "exec"), {})
    assert buffer.getvalue().splitlines() == _expected(block)
