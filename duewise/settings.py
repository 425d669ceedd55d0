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
    """Which policy decides: ``ladder``, ``no-action``, ``random`` or ``learned``."""
    ladder: Path | None = None
    """Optional TOML file with the ladder's levels (default: email +5, letter +14, escalate +30)."""
    horizon_days: int = 14
    """Payment outcomes resolve this many days after the decision (or when the invoice closes)."""
    churn_window_days: int = 90
    """Churn outcomes resolve this many days after the decision (or when the customer leaves)."""
    explore: float = 0.1
    """The learned policy's exploration floor: this share of its choice is uniform over arms."""
    min_evidence: int = 50
    """Payment examples an arm needs before the learned policy may prefer it."""
    min_churn_evidence: int = 500
    """Churn examples an arm needs before its own churn estimate is used (else waiting's)."""
    holdout_share: float = 0.05
    """Share of customers the learned policy leaves on the ladder: the always-on experiment."""
    arms: str | None = None
    """Comma-separated arms the learned policy chooses among besides waiting, e.g.
    ``remind:email,offer_plan:letter`` (default: :data:`engine.policies.learned.DEFAULT_ARMS`)."""
    models: Path | None = None
    """A learner snapshot to start the learned policy from (default: learn from nothing)."""
