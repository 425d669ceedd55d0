"""The registry of :mod:`bench.experiments`: an experiment is a named patch of the running
process that returns its undo; ``@experiment`` registers one, ``patch``/``chain`` build undos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Undo = Callable[[], None]


@dataclass
class Experiment:
    """One prototype: what it changes, the code change it stands for, and how to apply it."""

    name: str
    summary: str
    apply: Callable[[], Undo]


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, summary: str) -> Callable[[Callable[[], Undo]], Callable[[], Undo]]:
    def register(fn: Callable[[], Undo]) -> Callable[[], Undo]:
        EXPERIMENTS[name] = Experiment(name, summary, fn)
        return fn

    return register


def patch(obj: Any, name: str, value: Any) -> Undo:
    """Set ``obj.name`` to ``value``; return the undo."""
    old = getattr(obj, name)
    setattr(obj, name, value)
    return lambda: setattr(obj, name, old)


def chain(*undos: Undo) -> Undo:
    def undo() -> None:
        for u in reversed(undos):
            u()

    return undo
