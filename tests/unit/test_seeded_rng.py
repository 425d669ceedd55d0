"""A decision's RNG seeds itself at its first draw: the draws must be those of seeding at once."""

from __future__ import annotations

import hashlib
import random

from engine.ids import seeded_rng


def _eager(seed: int, *parts: object) -> random.Random:
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode(), digest_size=8)
    return random.Random(int.from_bytes(digest.digest(), "big"))


def test_lazy_draws_equal_eager_draws() -> None:
    for point in range(1, 6):
        lazy, eager = seeded_rng(7, "INV-1", point), _eager(7, "INV-1", point)
        for rng in (lazy, eager):
            assert isinstance(rng, random.Random)
        draws = [
            (r.random(), r.randrange(9), r.choice("abcdefg"), r.gauss(0, 1), r.getrandbits(70))
            for r in (lazy, eager)
        ]
        assert draws[0] == draws[1]
        items_lazy, items_eager = list(range(20)), list(range(20))
        lazy.shuffle(items_lazy)
        eager.shuffle(items_eager)
        assert items_lazy == items_eager
        assert lazy.getstate() == eager.getstate()


def test_first_draw_of_each_kind_seeds() -> None:
    assert seeded_rng(0, "a", 1).choice(range(1000)) == _eager(0, "a", 1).choice(range(1000))
    assert seeded_rng(0, "a", 1).getstate() == _eager(0, "a", 1).getstate()
    assert seeded_rng(0, "a", 2).uniform(1, 2) == _eager(0, "a", 2).uniform(1, 2)


def test_an_explicit_seed_wins() -> None:
    rng = seeded_rng(0, "a", 1)
    rng.seed(42)
    assert rng.random() == random.Random(42).random()
