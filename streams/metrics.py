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


class Metrics:
    """Counters and one latency histogram, updated by the decider after each batch."""

    def __init__(self) -> None:
        self.batches = 0
        self.decisions: Counter[str] = Counter()
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_n = 0
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
            self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
            self.latency_sum += seconds
            self.latency_n += 1

    def render(self, stats: Mapping[str, int], lag: Mapping[str, int]) -> str:
        """Prometheus exposition text of these metrics, the decider's ``stats`` and the lag.

        >>> m = Metrics()
        >>> m.observe_batch([], [0.003, 0.2])
        >>> text = m.render({"events": 2, "dead_letters": 1}, {"duewise.events/0": 5})
        >>> 'duewise_events_total 2' in text, 'le="0.005"} 1' in text, 'le="+Inf"} 2' in text
        (True, True, True)
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
        lines.append("# TYPE duewise_notices_total counter")
        for name, count in sorted(stats.items()):
            if name.startswith("notice:"):
                lines.append(f'duewise_notices_total{{kind="{name[7:]}"}} {count}')
        lines.append("# TYPE duewise_consumer_lag gauge")
        for tp, value in sorted(lag.items()):
            topic, _, partition = tp.rpartition("/")
            lines.append(f'duewise_consumer_lag{{topic="{topic}",partition="{partition}"}} {value}')
        lines.append("# TYPE duewise_decision_latency_seconds histogram")
        cumulative = 0
        for bound, count in zip(LATENCY_BUCKETS, self.latency_counts, strict=False):
            cumulative += count
            lines.append(f'duewise_decision_latency_seconds_bucket{{le="{bound}"}} {cumulative}')
        lines.append(f'duewise_decision_latency_seconds_bucket{{le="+Inf"}} {self.latency_n}')
        lines.append(f"duewise_decision_latency_seconds_sum {self.latency_sum:.6f}")
        lines.append(f"duewise_decision_latency_seconds_count {self.latency_n}")
        lines.append("# TYPE duewise_gc_seconds_total counter")
        for generation, seconds in sorted(self.gc_seconds.items()):
            lines.append(f'duewise_gc_seconds_total{{generation="{generation}"}} {seconds:.6f}')
        lines.append("# TYPE duewise_gc_longest_pause_seconds gauge")
        lines.append(f"duewise_gc_longest_pause_seconds {self.gc_longest:.6f}")
        return "\n".join(lines) + "\n"
