"""The latency floor's plan (``bench/stream_oracle.py``): each decision in its customer's input
partition, released in ``decided_at`` order, as the worker's per-partition clock would."""

from __future__ import annotations

from pathlib import Path

import orjson

from bench.stream_oracle import make_plan, read_plan, write_plan
from streams.outputs import partition_of


def _decision(customer: str, decided_at: str, n: int) -> bytes:
    doc = {"decision_id": f"{customer}/{n}", "customer_id": customer, "decided_at": decided_at}
    return orjson.dumps(doc)


AUDIT = [
    _decision("cust-1", "2026-03-02T05:00:00Z", 1),
    _decision("cust-2", "2026-03-01T05:00:00Z", 2),
    _decision("cust-1", "2026-03-01T05:00:00Z", 3),
    _decision("cust-3", "2026-03-01T05:00:00Z", 4),
    _decision("cust-2", "2026-03-01T05:00:00Z", 5),
]


def test_each_decision_goes_to_its_customers_partition_in_time_order() -> None:
    plan = make_plan(AUDIT, partitions=4)

    assert sum(len(part) for part in plan) == len(AUDIT)
    for partition, rows in enumerate(plan):
        assert all(partition_of(key, 4) == partition for _, key, _ in rows)
        times = [at for at, _, _ in rows]
        assert times == sorted(times)
    # equal times keep the replay's order (a customer's decisions stay in its own order)
    cust2 = [orjson.loads(v)["decision_id"] for part in plan for _, k, v in part if k == b"cust-2"]
    assert cust2 == ["cust-2/2", "cust-2/5"]


def test_a_saved_plan_reads_back_the_same(tmp_path: Path) -> None:
    plan = make_plan(AUDIT, partitions=4)
    path = tmp_path / "plan.json"

    write_plan(plan, path)

    assert read_plan(path) == plan
