"""The model follower swaps good snapshots in and refuses corrupt or unsigned ones."""

from __future__ import annotations

from pydantic import SecretStr

from duewise.learning import Learner
from duewise.settings import Settings
from engine.valuation import ModelHandle
from streams.follower import SIGNATURE_HEADER, ModelFollower, sign


def test_good_snapshot_is_swapped_in_and_corrupt_one_keeps_the_models() -> None:
    handle = ModelHandle()
    follower = ModelFollower(Settings(), handle)
    blob = Learner().snapshot()
    assert follower.apply(blob, [])
    assert handle.version == "p0.c0"
    models = handle.pay
    assert not follower.apply(blob[:-10] + b"0123456789", [])
    assert handle.pay is models and follower.stats["models_refused"] == 1


def test_with_a_signing_key_only_signed_snapshots_are_accepted() -> None:
    settings = Settings(model_signing_key=SecretStr("k1"))
    follower = ModelFollower(settings, ModelHandle())
    blob = Learner().snapshot()
    assert not follower.apply(blob, [])
    forged = sign(Settings(model_signing_key=SecretStr("other")), blob)
    assert not follower.apply(blob, [(SIGNATURE_HEADER, forged)])
    assert follower.apply(blob, [(SIGNATURE_HEADER, sign(settings, blob))])
    assert follower.stats == {"models_refused": 2, "models_loaded": 1}
