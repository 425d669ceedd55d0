"""What a worker counts, and the Prometheus text it serves at ``/metrics``."""

from __future__ import annotations

import bisect
import gc
import time
from collections import Counter
from collections.abc import Iterable, Mapping

from schemas.outbound import Decision

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; from the input record's timestamp to its batch's outputs handed to the producer."""
TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
"""Seconds a piece of work holds the worker's lock: what a record arriving meanwhile waits."""


class Histogram:
    """Cumulative buckets, a sum and a count, as Prometheus reads them."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.n = 0

    def observe(self, seconds: float) -> None:
        """Count one value."""
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds
        self.n += 1

    def render(self, name: str, labels: str = "") -> list[str]:
        """The exposition lines of ``name`` (``labels``: ``key="value"`` pairs, or empty)."""
        lead = f"{labels}," if labels else ""
        lines = []
        cumulative = 0
        for bound, count in zip(self.bounds, self.counts, strict=False):
            cumulative += count
            lines.append(f'{name}_bucket{{{lead}le="{bound}"}} {cumulative}')
        lines.append(f'{name}_bucket{{{lead}le="+Inf"}} {self.n}')
        tail = f"{{{labels}}}" if labels else ""
        lines.append(f"{name}_sum{tail} {self.sum:.6f}")
        lines.append(f"{name}_count{tail} {self.n}")
        return lines


class Metrics:
    """Counters, the records' decision latency and the lock's turns, updated by the runtime."""

    def __init__(self) -> None:
        self.batches = 0
        self.decisions: Counter[str] = Counter()
        self.latency = Histogram(LATENCY_BUCKETS)
        self.turns: dict[str, Histogram] = {}
        self.gc_seconds: Counter[int] = Counter()
        self.gc_longest = 0.0
        self._gc_started = 0.0

    def watch_gc(self) -> None:
        """Time the garbage collector's pauses (they stop the whole worker)."""
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_started
        self.gc_seconds[info.get("generation", 0)] += took
        self.gc_longest = max(self.gc_longest, took)

    def observe_batch(self, decisions: Iterable[Decision], latencies: Iterable[float]) -> None:
        """Count a batch's decisions by action and its records' decision latencies."""
        self.batches += 1
        for decision in decisions:
            self.decisions[decision.action.value] += 1
        for seconds in latencies:
            self.latency.observe(seconds)

    def observe_turn(self, work: str, seconds: float) -> None:
        """How long one piece of ``work`` (batch, release, flush, tick...) held the lock."""
        histogram = self.turns.get(work)
        if histogram is None:
            histogram = self.turns[work] = Histogram(TURN_BUCKETS)
        histogram.observe(seconds)

    def render(self, stats: Mapping[str, int], lag: Mapping[str, int]) -> str:
        """Prometheus exposition text of these metrics, the decider's ``stats`` and the lag.

        >>> m = Metrics()
        >>> m.observe_batch([], [0.003, 0.2])
        >>> m.observe_turn("flush", 0.004)
        >>> text = m.render({"events": 2, "dead_letters": 1}, {"duewise.events/0": 5})
        >>> 'duewise_events_total 2' in text, 'le="0.005"} 1' in text, 'le="+Inf"} 2' in text
        (True, True, True)
        >>> 'duewise_lock_turn_seconds_bucket{work="flush",le="0.005"} 1' in text
        True
        >>> 'duewise_lock_turn_seconds_count{work="flush"} 1' in text
        True
        """
        lines = [
            "# TYPE duewise_events_total counter",
            f"duewise_events_total {stats.get('events', 0)}",
            "# TYPE duewise_dead_letters_total counter",
            f"duewise_dead_letters_total {stats.get('dead_letters', 0)}",
            "# TYPE duewise_clock_records_total counter",
            f"duewise_clock_records_total {stats.get('clock_records', 0)}",
            "# TYPE duewise_batches_total counter",
            f"duewise_batches_total {self.batches}",
            "# TYPE duewise_decisions_total counter",
        ]
        for action, count in sorted(self.decisions.items()):
            lines.append(f'duewise_decisions_total{{action="{action}"}} {count}')
        lines.append("# TYPE duewise_redelivered_total counter")  # see streams/rows.py
        lines.append(f"duewise_redelivered_total {stats.get('redelivered', 0)}")
        lines.append("# TYPE duewise_offset_regressions_total counter")
        lines.append(f"duewise_offset_regressions_total {stats.get('offset_regressions', 0)}")
        lines.append("# TYPE duewise_released_total counter")
        lines.append(f"duewise_released_total {stats.get('released', 0)}")
        lines.append("# TYPE duewise_prepared_total counter")  # see streams/prepare.py
        for name, count in sorted(stats.items()):
            if name.startswith("prepared"):
                result = name.partition("_")[2] or "made"
                lines.append(f'duewise_prepared_total{{result="{result}"}} {count}')
        lines.append("# TYPE duewise_notices_total counter")
        for name, count in sorted(stats.items()):
            if name.startswith("notice:"):
                lines.append(f'duewise_notices_total{{kind="{name[7:]}"}} {count}')
        lines.append("# TYPE duewise_consumer_lag gauge")
        for tp, value in sorted(lag.items()):
            topic, _, partition = tp.rpartition("/")
            lines.append(f'duewise_consumer_lag{{topic="{topic}",partition="{partition}"}} {value}')
        lines.append("# TYPE duewise_decision_latency_seconds histogram")
        lines.extend(self.latency.render("duewise_decision_latency_seconds"))
        lines.append("# TYPE duewise_lock_turn_seconds histogram")
        for work, histogram in sorted(self.turns.items()):
            lines.extend(histogram.render("duewise_lock_turn_seconds", f'work="{work}"'))
        lines.append("# TYPE duewise_gc_seconds_total counter")
        for generation, seconds in sorted(self.gc_seconds.items()):
            lines.append(f'duewise_gc_seconds_total{{generation="{generation}"}} {seconds:.6f}')
        lines.append("# TYPE duewise_gc_longest_pause_seconds gauge")
        lines.append(f"duewise_gc_longest_pause_seconds {self.gc_longest:.6f}")
        return "\n".join(lines) + "\n"
