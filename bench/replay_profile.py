"""The benchmark's optional profiled pass (cProfile or pyinstrument) and its by-area summary."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from bench.paths import DATA
from bench.replay_measure import (
    null_sinks,
)
from duewise.bootstrap import build_engine
from duewise.replay import replay_lines
from duewise.settings import Settings


def profile_pass(
    lines: list[tuple[int, bytes]], settings: Settings, how: str, top: int, tag: str
) -> str:
    """Replay once under a profiler; return a text report (and save the raw profile)."""
    engine = build_engine(settings)
    sinks, handles = null_sinks()
    DATA.mkdir(parents=True, exist_ok=True)
    if how == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        replay_lines(engine, lines, sinks)
        profiler.stop()
        (DATA / f"profile-{tag}.html").write_text(profiler.output_html())
        text = profiler.output_text(unicode=False, color=False, show_all=False)
    else:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        replay_lines(engine, lines, sinks)
        prof.disable()
        prof.dump_stats(DATA / f"profile-{tag}.prof")
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
        text = out.getvalue() + "\n" + by_area(stats)
    for h in handles:
        h.close()
    return text


def _area(filename: str, func: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("/engine/", "/schemas/", "/duewise/", "/bench/"):
        if marker in path and "site-packages" not in path:
            return marker.strip("/") + "/" + path.rsplit(marker, 1)[1]
    if "pydantic" in path:
        return "pydantic (python side)"
    if filename == "~":  # "<method 'validate_python' of '...SchemaValidator' objects>"
        parts = func.strip("<>").split("'")
        name = parts[1] if len(parts) > 1 else func
        owner = parts[3].rsplit(".", 1)[-1] if len(parts) > 3 else ""
        return f"builtins: {name}" + (f" ({owner})" if owner else "")
    return "stdlib: " + Path(path).name


def by_area(stats: Any) -> str:
    """Self time grouped by source file (engine/*, schemas/*, builtins, ...)."""
    areas: Counter[str] = Counter()
    total = 0.0
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        areas[_area(filename, func)] += tt
        total += tt
    lines = [f"self time by area (total {total:.2f} s under the profiler):"]
    for area, tt in areas.most_common(40):
        lines.append(f"  {tt:8.3f} s  {tt / total:6.1%}  {area}")
    return "\n".join(lines)
