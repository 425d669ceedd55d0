"""Instruction counts of the replay under valgrind (callgrind), for each experiment.

Wall and CPU time are noisy when other work shares the 2 cores (±10-30 % between identical
runs was seen while test suites ran beside the benchmark). The number of instructions the
process executes is not: it is the same on every run of the same code and input, whatever else
the machine does. So this runner measures every prototype of :mod:`bench.experiments` as
instructions per event under ``valgrind --tool=callgrind``: the count of a run that only
starts up (imports, pydantic schema building) is subtracted, leaving the replay's own.

Instructions are a proxy for time, not time: cache misses and branch mispredictions are not
counted, and collections of a small heap are cheaper than of a large one (so the garbage
collector's share is understated on the small default log). It is ~50x slower than a native
run, hence the small default log (500 customers x 12 months, ~15 k events).

Usage::

    python bench/icount.py                          # every experiment, 2 at a time
    python bench/icount.py --only tiered_state --customers 1000
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.experiments import EXPERIMENTS, HashSink, chain  # noqa: E402
from bench.gen_log import generate  # noqa: E402

COLLECTED = re.compile(rb"Collected : (\d+)")


def child(log: Path, count: int, names: list[str]) -> None:
    """Inside valgrind: apply the experiments, replay the first ``count`` lines."""
    from duewise.bootstrap import build_engine
    from duewise.replay import ReplaySinks, replay_lines
    from duewise.validate import iter_lines

    lines = list(iter_lines(log))[:count]
    engine = build_engine()
    chain(*[EXPERIMENTS[n].apply() for n in names])
    replay_lines(engine, lines, ReplaySinks(HashSink(), HashSink(), HashSink()))  # type: ignore[arg-type]


def instructions(log: Path, count: int, names: list[str]) -> int:
    """Instructions executed by a whole child process (valgrind's 'Collected')."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        str(log),
        str(count),
        *names,
    ]
    out = subprocess.run(cmd, capture_output=True, cwd=ROOT, check=False)
    found = COLLECTED.search(out.stderr)
    if out.returncode != 0 or found is None:
        raise RuntimeError(f"{' '.join(names) or 'baseline'}: {out.stderr[-2000:].decode()}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
        return 0
    parser = argparse.ArgumentParser(description="Instructions per event for each experiment.")
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="experiment names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at a time")
    args = parser.parse_args(argv)
    log = ROOT / "bench" / "data" / f"log-{args.customers}c-{args.months}m-s{args.seed}.jsonl"
    if not log.exists():
        generate(log, args.customers, args.months, args.seed, date(2026, 1, 1))
    events = sum(1 for line in log.open("rb") if line.strip())
    names = args.only or list(EXPERIMENTS)
    runs: dict[str, tuple[int, list[str]]] = {"startup": (0, []), "baseline": (events, [])}
    runs.update({n: (events, [n]) for n in names})
    if len(names) > 1:
        runs["all together"] = (events, names)
    print(f"{events:,} events from {log.name}; {len(runs)} runs under callgrind ...", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {k: pool.submit(instructions, log, c, n) for k, (c, n) in runs.items()}
        counts = {k: f.result() for k, f in futures.items()}
    startup = counts.pop("startup")
    base = counts["baseline"] - startup
    print(
        f"\nstartup {startup / 1e9:.2f} G instructions; baseline replay {base / 1e9:.2f} G "
        f"= {base / events:,.0f} per event\n"
    )
    print(f"{'experiment':24} {'instr/event':>12} {'saved':>7}  change")
    for label, total in sorted(counts.items(), key=lambda kv: kv[1]):
        mine = total - startup
        summary = EXPERIMENTS[label].summary if label in EXPERIMENTS else ""
        print(f"{label:24} {mine / events:>12,.0f} {1 - mine / base:>+7.1%}  {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
