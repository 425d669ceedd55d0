"""Benchmark the learned policy with learning on: decisions/s, and where the time goes.

Two measurements, each against the ladder on the very same input:

1. ``replay``  a generated biller log (:mod:`bench.gen_log`) through ``duewise.replay`` exactly
               as ``duewise replay`` runs it, once with the ladder and once with
               ``policy=learned`` (features, two models valued per bootstrap member, Thompson
               votes, explanations, and every resolved outcome learned at once by both models).
               The log does not react to decisions, so this is the engine's own cost.
2. ``sim``     the simulated world of ``duewise evaluate`` (customers who react), learned vs
               ladder: the end-to-end cost including the world.

For the learned run it also times, with ``perf_counter_ns`` probes, the policy's ``choose``
(per decision: p50/p99) and the learner's ``learn`` (per outcome), so the report says whether
deciding or learning dominates. A JSON result goes to ``bench/results/``.

Usage::

    python bench/learned_bench.py                       # 2,000 customers x 12 months + sim
    python bench/learned_bench.py --customers 5000 --no-sim
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from array import array
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.gen_log import generate  # noqa: E402
from duewise.bootstrap import build_engine, build_learner  # noqa: E402
from duewise.gc_tuning import tune_gc  # noqa: E402
from duewise.learning import Learner  # noqa: E402
from duewise.replay import ReplaySinks, replay_lines  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"


def _pct(values: array, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000 if ordered else 0.0


def _timed(fn: Callable[..., Any], sink: array) -> Callable[..., Any]:
    def wrapper(*args: Any, **kw: Any) -> Any:
        t0 = time.perf_counter_ns()
        out = fn(*args, **kw)
        sink.append(time.perf_counter_ns() - t0)
        return out

    return wrapper


def replay(lines: list[tuple[int, bytes]], policy: str, probes: bool) -> dict[str, Any]:
    """One replay of ``lines``; with ``probes``, per-call timings of choose and learn."""
    settings = Settings(policy=policy)
    learner: Learner | None = build_learner(settings) if policy == "learned" else None
    engine = build_engine(settings, learner=learner)
    chooses, learns = array("q"), array("q")
    outcomes = 0
    if probes:
        policy_obj = engine.context.policy
        policy_obj.choose = _timed(policy_obj.choose, chooses)  # type: ignore[method-assign]
        if learner is not None:
            engine.on_outcomes = _timed(learner.learn, learns)
    sinks = ReplaySinks(decisions=io.BytesIO(), audit=io.BytesIO())
    t0, c0 = time.perf_counter(), time.process_time()
    summary = replay_lines(engine, lines, sinks)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    outcomes = engine.outcomes_resolved
    decisions = sum(summary.decisions.values())
    out: dict[str, Any] = {
        "policy": policy,
        "events": summary.events,
        "decisions": decisions,
        "actionable": summary.actionable,
        "outcomes": outcomes,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "events_per_s": round(summary.events / seconds),
        "decisions_per_s": round(decisions / seconds),
    }
    if learner is not None:
        out["model_version"] = learner.version
    if probes and chooses:
        out["choose_us"] = {"p50": _pct(chooses, 0.5), "p99": _pct(chooses, 0.99),
                            "mean": sum(chooses) / len(chooses) / 1000}  # fmt: skip
    if probes and learns:
        out["learn_us_per_outcome"] = round(sum(learns) / 1000 / max(outcomes, 1), 1)
        out["learn_share_of_time"] = round(sum(learns) / 1e9 / seconds, 3)
    return out


def sim(customers: int, months: int, seed: int) -> list[dict[str, Any]]:
    """The simulated world under the ladder and the learned policy, timed end to end."""
    from duewise.evaluate import run_policy
    from sim.world import WorldConfig

    rows = []
    for policy in ("ladder", "learned"):
        config = WorldConfig(seed=seed, customers=customers, months=months)
        t0 = time.perf_counter()
        run = run_policy(policy, config, Settings(seed=seed))
        seconds = time.perf_counter() - t0
        rows.append({
            "policy": policy, "customers": customers, "months": months, "seed": seed,
            "events": run.events, "decisions": len(run.decisions), "seconds": round(seconds, 2),
            "decisions_per_s": round(len(run.decisions) / seconds),
        })  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the learned policy, learning on.")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sim-customers", type=int, default=3000)
    parser.add_argument("--sim-months", type=int, default=6)
    parser.add_argument("--no-sim", action="store_true", help="skip the simulated world")
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON result")
    args = parser.parse_args(argv)
    tune_gc()
    log = DATA / f"log-{args.customers}c-{args.months}m-s{args.seed}.jsonl"
    if not log.exists():
        generate(log, args.customers, args.months, args.seed, date(2026, 1, 1))
    lines = list(iter_lines(log))
    print(f"{len(lines):,} events from {log.relative_to(ROOT)}", flush=True)
    rows = [replay(lines, "ladder", probes=False), replay(lines, "learned", probes=False)]
    probed = replay(lines, "learned", probes=True)
    rows[1].update({k: v for k, v in probed.items() if k.startswith(("choose", "learn"))})
    for row in rows:
        print(json.dumps(row), flush=True)
    sims = [] if args.no_sim else sim(args.sim_customers, args.sim_months, 1)
    for row in sims:
        print(json.dumps(row), flush=True)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y-%m-%d}-learned-{args.customers}c-{args.months}m.json"
        result = {"benchmark": "learned policy (bench/learned_bench.py)", "log": str(log.name),
                  "replay": rows, "sim": sims}  # fmt: skip
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
        print(f"saved bench/results/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
