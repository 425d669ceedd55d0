"""The sink's order with separate producers: outputs as record batches through theirs, rows
through their own (or the app's), and rows sent only once every output before them is
acknowledged (the crash-safety argument of
``streams/sink.py``). Fakes stand in for the producers here; the kill -9 tests prove the same
on a broker."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from streams.records import Batch, Outbound
from streams.sink import Sink, settled


@dataclass
class Meta:
    partition: int
    offset: int


@dataclass
class Builder:
    keys: list[bytes] = field(default_factory=list)

    def append(self, *, key: bytes, value: bytes | None, timestamp: None) -> object:
        self.keys.append(key)
        return object()

    def close(self) -> None:
        pass


@dataclass
class Producer:
    """Records every send in ``log``; acknowledges a send when the test says so."""

    name: str
    log: list[str]
    pending: list[asyncio.Future[Meta]] = field(default_factory=list)
    started: bool = False
    stopped: bool = False

    def _future(self, what: str, partition: int) -> asyncio.Future[Meta]:
        self.log.append(f"{self.name}:{what}")
        future: asyncio.Future[Meta] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda _: self.log.append(f"{self.name}:acked {what}"))
        self.pending.append(future)
        return future

    async def send(self, topic: str, *args: Any, **kwargs: Any) -> asyncio.Future[Meta]:
        if "key" in kwargs:  # aiokafka's signature: the rows' producer
            return self._future(kwargs["key"].decode(), kwargs["partition"])
        key, _value, partition = args[0], args[1], args[2]
        return self._future(key.decode(), partition or 0)

    def create_batch(self) -> Builder:
        return Builder()

    async def send_batch(self, builder: Builder, topic: str, *, partition: int) -> Any:
        return self._future("+".join(key.decode() for key in builder.keys), partition)

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1}

    def ack_all(self) -> None:
        for n, future in enumerate(self.pending):
            if not future.done():
                future.set_result(Meta(0, n))

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True


class Store(dict[bytes, bytes]):
    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        self.persisted = (tp, offset)


@dataclass
class Table:
    data: Store = field(default_factory=Store)


@contextmanager
def no_scope(_partition: int) -> Any:
    yield


async def test_rows_go_through_their_own_producer_after_every_output_is_acknowledged(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr("streams.sink.partition_scope", no_scope)
    log: list[str] = []
    outputs, rows_producer = Producer("out", log), Producer("rows", log)
    app = type("App", (), {"producer": Producer("app", log)})()
    table = Table()
    sink = Sink(app, table, {"audit": "a"}, "changelog", lambda: outputs, lambda: rows_producer)
    batch = Batch(outputs=[Outbound("audit", b"d1", b"x")], rows={"c1": (0, b"row")})
    flushing = asyncio.ensure_future(sink.flush(batch))
    await asyncio.sleep(0.01)
    assert log == ["out:d1"]  # the row waits for the output's acknowledgement
    outputs.ack_all()
    await asyncio.sleep(0.01)
    assert log == ["out:d1", "out:acked d1", "rows:c1"] and rows_producer.started
    assert table.data == {}  # the store follows the changelog, never leads it
    rows_producer.ack_all()
    await flushing
    assert table.data == {b"c1": b"row"}
    await sink.stop()
    assert rows_producer.stopped and outputs.stopped


async def test_without_a_rows_producer_rows_use_the_apps(monkeypatch: Any) -> None:
    monkeypatch.setattr("streams.sink.partition_scope", no_scope)
    log: list[str] = []
    app_producer = Producer("app", log)
    app = type("App", (), {"producer": app_producer})()
    sink = Sink(app, Table(), {"audit": "a"}, "changelog", lambda: Producer("out", log))
    flushing = asyncio.ensure_future(sink.flush(Batch(rows={"c1": (2, None)})))
    await asyncio.sleep(0.01)
    app_producer.ack_all()
    await flushing
    assert log == ["app:c1", "app:acked c1"]
    await sink.stop()  # nothing to stop


async def test_settled_waits_for_every_future_and_raises_a_failure() -> None:
    loop = asyncio.get_running_loop()
    done, later = loop.create_future(), loop.create_future()
    done.set_result(1)
    loop.call_soon(later.set_result, 2)
    assert await settled([done, later]) == [1, 2]
    failed, slow = loop.create_future(), loop.create_future()
    failed.set_exception(RuntimeError("not acknowledged"))
    loop.call_soon(slow.set_result, 3)
    try:
        await settled([slow, failed])
    except RuntimeError as exc:
        assert "not acknowledged" in str(exc)
        assert slow.done()  # waited for the others first
    else:
        raise AssertionError("a failed acknowledgement was not raised")


async def test_delivered_waits_for_outputs_but_leaves_a_failure_to_wait_outputs() -> None:
    log: list[str] = []
    outputs = Producer("out", log)
    app = type("App", (), {"producer": Producer("app", log)})()
    sink = Sink(app, Table(), {"audit": "a"}, "changelog", lambda: outputs)
    await sink.send_outputs(Batch(outputs=[Outbound("audit", b"d1", b"x")]))
    waiting = asyncio.ensure_future(sink.delivered())
    await asyncio.sleep(0.01)
    assert not waiting.done()  # idle work waits while a decision is on its way
    outputs.pending[0].set_exception(RuntimeError("not acknowledged"))
    await waiting  # it does not raise: the failure is the batch's, raised below
    with pytest.raises(RuntimeError, match="not acknowledged"):
        await sink.wait_outputs()
