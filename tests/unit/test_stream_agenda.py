"""The partitions' agendas: due customers come out earliest first across partitions, stale
entries never do, and a release may stop or reschedule midway."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from streams.agenda import Agendas

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def agendas(seed: int) -> tuple[Agendas, dict[str, tuple[int, datetime]]]:
    """Random wakes over four partitions (some customers rescheduled: stale entries), random
    clocks; returns the agendas and each live customer's (partition, wake)."""
    rng = random.Random(seed)
    a = Agendas()
    live: dict[str, tuple[int, datetime]] = {}
    for n in range(300):
        customer = f"c{rng.randrange(150)}"
        partition = live[customer][0] if customer in live else n % 4
        wake = T0 + timedelta(hours=rng.randrange(48))
        a.schedule(partition, customer, wake)
        live[customer] = (partition, wake)
    for partition in range(4):
        a.move_clock(partition, T0 + timedelta(hours=rng.randrange(48)))
    return a, live


def expected(
    a: Agendas, live: dict[str, tuple[int, datetime]], until: dict[int, datetime] | None
) -> list[tuple[datetime, int, str]]:
    def due_by(partition: int) -> datetime:
        clock = a.clocks[partition]
        return clock if until is None else min(clock, until[partition])

    return sorted((w, p, c) for c, (p, w) in live.items() if w <= due_by(p))


def test_due_customers_come_earliest_first_across_partitions_each_once() -> None:
    for seed in range(30):
        a, live = agendas(seed)
        until = None if seed % 2 else {p: T0 + timedelta(hours=20) for p in range(4)}
        want = expected(a, live, until)
        assert list(a.due(until)) == want
        assert not a.has_due(until)
        left = {c for c, (p, w) in live.items() if (w, p, c) not in want}
        assert set(a.wakes) == left  # the not-due stay scheduled, the released do not


def test_a_release_may_stop_midway_and_reschedule_in_between() -> None:
    a, live = agendas(5)
    want = expected(a, live, None)
    assert len(want) > 10
    taken = []
    for n, (wake, partition, customer) in enumerate(a.due()):
        taken.append((wake, partition, customer))
        if n == 0:  # released, and due again at once: still the earliest, it comes again
            a.schedule(partition, customer, wake)
        if n == 1:  # released again, next wake far ahead: not due
            a.schedule(partition, customer, T0 + timedelta(days=30))
        if len(taken) == 8:
            break
    assert taken[:2] == [want[0], want[0]]
    assert taken[2:] == want[1:7]
    assert a.has_due()
    rest = list(a.due())
    assert rest == want[7:]
    assert a.wakes[want[0][2]] == T0 + timedelta(days=30)
