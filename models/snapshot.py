"""Versioned, checksummed snapshots of learner state, so deciders can hot-swap models safely.

A snapshot is a small JSON header line (format, model version, checksum, size, metadata)
followed by the pickled model. Loading checks the format and the checksum before unpickling: a
corrupt or incompatible snapshot raises :class:`SnapshotError` and the caller keeps the model it
has. Pickle is used because River models are Python objects; snapshots must only ever be read
from a topic or store that duewise's own learner writes.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, field
from typing import Any

FORMAT = "duewise-snapshot/1"


class SnapshotError(ValueError):
    """A snapshot that must not be loaded: corrupt, truncated or of another format."""


@dataclass(frozen=True)
class Snapshot:
    """A loaded snapshot: the model, its version and what the learner said about it."""

    model: Any
    version: str
    metadata: dict[str, Any] = field(default_factory=dict)


def dump_snapshot(model: Any, version: str, metadata: dict[str, Any] | None = None) -> bytes:
    """Serialise ``model`` with its version and a SHA-256 of the payload.

    Examples
    --------
    >>> blob = dump_snapshot({"w": 1.5}, "v7", {"examples": 10})
    >>> load_snapshot(blob).version, load_snapshot(blob).model
    ('v7', {'w': 1.5})
    >>> load_snapshot(blob[:-1])
    Traceback (most recent call last):
    ...
    models.snapshot.SnapshotError: snapshot v7 is truncated: 27 of 28 payload bytes
    """
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "format": FORMAT,
        "version": version,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
        "metadata": metadata or {},
    }
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def load_snapshot(blob: bytes) -> Snapshot:
    """Check and load a snapshot made by :func:`dump_snapshot`."""
    head, sep, payload = blob.partition(b"\n")
    if not sep:
        raise SnapshotError("not a duewise snapshot: no header line")
    try:
        header = json.loads(head)
    except ValueError:
        raise SnapshotError("not a duewise snapshot: unreadable header") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise SnapshotError(f"incompatible snapshot format {found!r}; this build reads {FORMAT}")
    version = header.get("version", "?")
    if len(payload) != header.get("size"):
        size = header.get("size")
        raise SnapshotError(
            f"snapshot {version} is truncated: {len(payload)} of {size} payload bytes"
        )
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise SnapshotError(f"snapshot {version} fails its checksum")
    try:
        model = pickle.loads(payload)  # only our own learner writes snapshots
    except Exception as exc:
        raise SnapshotError(f"snapshot {version} cannot be loaded: {exc}") from None
    return Snapshot(model=model, version=version, metadata=header.get("metadata", {}))
