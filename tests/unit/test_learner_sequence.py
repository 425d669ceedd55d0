"""The deployment's learner takes outcomes strictly in topic order from its snapshot's offset:
a stale fetch (records handed over during or after a take-over, from the old position) must
not be learned a second time (seen on the broker: a learner ahead of one pass over the
distinct outcomes)."""

from __future__ import annotations

from duewise.settings import Settings
from schemas.codec import encode
from streams.learner import LearnerService
from tests.models.test_learning_loop import stream


def test_only_the_next_outcome_is_learned_and_nothing_during_a_take_over() -> None:
    raws = [encode(o) for o in stream(20)]
    service = LearnerService(Settings(policy="learned"))
    assert [service.take(raw, i) for i, raw in enumerate(raws[:10])] == [True] * 10
    version = service.learner.version
    assert not service.take(raws[3], 3)  # re-read from an old position
    assert not service.take(raws[12], 12)  # a gap: 10 and 11 never came
    service._taking_over = True  # a snapshot is being restored: the position is about to move
    assert not service.take(raws[10], 10)
    service._taking_over = False
    assert service.learner.version == version and service.next_offset == 10
    assert service.stats["out_of_sequence"] == 3
    assert all(service.take(raw, i) for i, raw in enumerate(raws[10:], 10))
    assert service.stats["learned"] == len(raws)
