"""Optimisation prototypes in the shell (gc settings, the codec's encode and decode), registered
in :data:`bench.exp_registry.EXPERIMENTS` on import.
"""

from __future__ import annotations

import gc
from typing import Any

from bench.exp_registry import Undo, experiment, patch
from duewise import replay as replay_mod


@experiment("gc_threshold", "gc.freeze() + gc.set_threshold(100_000, 50, 100) in the shell")
def _gc_threshold() -> Undo:
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)

    def undo() -> None:
        gc.set_threshold(*old)
        gc.unfreeze()

    return undo


@experiment("encode_to_json", "encode(): model.__pydantic_serializer__.to_json(model)")
def _encode_to_json() -> Undo:
    def encode(model: Any) -> bytes:
        return model.__pydantic_serializer__.to_json(model)

    return patch(replay_mod, "encode", encode)


@experiment("decode_validate_json", "decode_event(): TypeAdapter.validate_json fast path")
def _decode_validate_json() -> Undo:
    from schemas import codec

    slow = codec.decode_event
    validate_json = codec._EVENT_ADAPTER.validate_json

    def decode_event(data: Any) -> Any:
        if isinstance(data, (bytes, str)):
            try:
                return validate_json(data)
            except Exception:
                pass
        return slow(data)

    return patch(replay_mod, "decode_event", decode_event)
