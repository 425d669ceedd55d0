"""Rule packs shipped with duewise, and the loader that reads one from a TOML file.

Loading happens here, at the edge; the engine receives a validated :class:`RulePack` object.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from engine.guardrails import RulePack

PACK_DIR = Path(__file__).parent
BUILTIN = {p.stem: p for p in PACK_DIR.glob("*.toml")}


class RulePackError(ValueError):
    """A rule pack that cannot be read or does not validate."""


def load_rule_pack(name_or_path: str | Path) -> RulePack:
    """Load a built-in pack by name (``se``, ``us_strict``) or any TOML file by path."""
    path = BUILTIN.get(str(name_or_path)) or Path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(sorted(BUILTIN))
        raise RulePackError(f"no rule pack {name_or_path!r} (built in: {known})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError(f"{path}: not valid TOML: {exc}") from None
    try:
        return RulePack.model_validate(data)
    except ValidationError as exc:
        raise RulePackError(f"{path}: {exc}") from None
