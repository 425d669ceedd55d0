"""Settings, read once at the edge from ``DUEWISE_*`` environment variables or arguments."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What a deployment chooses. Every field can be set as ``DUEWISE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DUEWISE_", extra="forbid")

    seed: int = 0
    """Seeds every random draw; the same log and seed give byte-identical decisions."""
    rules: str = "se"
    """A built-in rule pack name (``se``, ``us_strict``) or the path of a TOML rule pack."""
    policy: str = "ladder"
    """Which policy decides: ``ladder``, ``no-action`` or ``random``."""
    ladder: Path | None = None
    """Optional TOML file with the ladder's levels (default: email +5, letter +14, escalate +30)."""
