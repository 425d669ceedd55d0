"""The stage interface of the streaming benchmark, a subprocess stage, and the measurement.

A stage is anything that, once started, moves the events of an input topic into an output topic
until stopped. The harness (:func:`measure_stage`) owns the topics, the input and the clock, so
adding the duewise worker later means writing one small :class:`Stage` (usually a
:class:`SubprocessStage` with its command line), not another benchmark. Stages run in their own
process so each has its own event loop, its own CPU account and can be SIGKILLed if it hangs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from bench.paths import ROOT
from bench.stream_common import (
    PARTITIONS,
    Message,
    OutputCounter,
    cpu_seconds_of,
    create_topics,
    produce,
    scan_output,
)

POLL_S = 0.025
STOP_GRACE_S = 20.0
MIN_SPAN_MS = 250


def stage_parser(description: str) -> argparse.ArgumentParser:
    """The command line every stage process takes: the broker and its two topics."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    return parser


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: how a stage process is told to finish its batch and
    exit (:meth:`SubprocessStage.stop` sends SIGTERM). Call it inside the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


@dataclass(frozen=True)
class StageSpec:
    """What a stage is given. Topics exist already (``partitions`` each), input is written.

    Any topic, consumer group or app id the stage makes must start with ``prefix`` (the
    harness deletes topics by that prefix); ``workdir`` is a fresh directory for its state/logs.
    """

    bootstrap: str
    input_topic: str
    output_topic: str
    n: int
    partitions: int
    prefix: str
    workdir: Path


@runtime_checkable
class Stage(Protocol):
    """One contender. ``start`` returns once the stage is launched (not once it is done)."""

    name: str

    def expected_outputs(self, n: int) -> int:
        """How many output records N input events make; the run is done when the topic has them."""
        ...

    async def start(self, spec: StageSpec) -> None: ...

    def failure(self) -> str | None:
        """Why the stage died, if it did (checked while waiting), else None."""
        ...

    def cpu_seconds(self) -> float | None:
        """CPU seconds the stage used so far (read at completion, before stopping)."""
        ...

    async def stop(self) -> dict[str, Any]:
        """Stop and clean up; returns facts for the result (exit code, settings...)."""
        ...


class SubprocessStage:
    """A stage run as ``python -m module ...``: SIGTERM to stop, SIGKILL if it ignores it.

    Subclasses give ``name`` and :meth:`argv`; stdout/stderr go to ``workdir/<name>.log``.
    A Faust worker whose agent crashed may ignore SIGTERM, hence the escalation.
    """

    name = "subprocess"
    settings: dict[str, Any] = {}

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def argv(self, spec: StageSpec) -> list[str]:
        raise NotImplementedError

    def env(self, spec: StageSpec) -> dict[str, str]:
        """Extra environment of the process (the duewise worker is configured by DUEWISE_*)."""
        return {}

    def expected_outputs(self, n: int) -> int:
        return n

    async def start(self, spec: StageSpec) -> None:
        self._log = spec.workdir / f"{self.name}.log"
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, *self.argv(spec)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env(spec)},
            )

    def failure(self) -> str | None:
        if self._proc is None or self._proc.poll() is None:
            return None
        return f"{self.name} exited with {self._proc.returncode}:\n{self.log_tail()}"

    def cpu_seconds(self) -> float | None:
        return cpu_seconds_of(self._proc.pid if self._proc else None)

    def log_tail(self, lines: int = 25) -> str:
        if self._log is None or not self._log.exists():
            return ""
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    async def stop(self) -> dict[str, Any]:
        proc, killed = self._proc, False
        if proc is None:
            return {}
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_S
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            if proc.poll() is None:
                proc.kill()  # this pid only: the one we started
                killed = True
                proc.wait(timeout=10)
        return {
            "exit_code": proc.returncode,
            "sigkilled": killed,
            "settings": self.settings,
            "log_tail": self.log_tail(8) if killed or proc.returncode not in (0, -15) else "",
        }


@dataclass
class StageResult:
    """One stage's measurement. ``events_per_s`` is the headline: start → N outputs stored."""

    stage: str
    label: str
    n: int
    outputs: int
    produce_per_s: float
    wall_s: float
    events_per_s: float
    startup_s: float | None
    steady_s: float | None
    steady_events_per_s: float | None
    cpu_s: float | None
    broker_cpu_s: float | None
    check: dict[str, Any]
    stop: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def measure_stage(
    stage: Stage,
    messages: list[Message],
    *,
    bootstrap: str,
    prefix: str,
    workdir: Path,
    timeout_s: float,
    broker_pid: int | None = None,
    label: str | None = None,
    order: dict[str, int] | None = None,
) -> StageResult:
    """Fresh topics, the input written, then the stage timed until the output holds its N.

    The clock starts just before ``stage.start`` (process start, imports and group join count:
    that is end to end) and stops at the first poll that sees the expected output count.
    ``steady`` is first → last output by the broker's LogAppendTime stamps: the rate once
    running, which is what the brief asks of Faust, whose start-up alone takes seconds.
    When outputs are not one per event (duewise: decisions), the output rate is scaled by
    events per output, which assumes outputs spread evenly over the input.

    Optional stage hooks (the duewise worker uses them): ``topics(prefix)`` names its own
    (input, output) topics; ``input_written(spec, messages)`` runs after the input is written and
    before the clock starts (its other topics, clock records, the replay's expectation);
    ``verify(spec)`` checks the output after the stop and its dict joins ``check`` (with ``ok``).
    ``order`` maps event ids to input positions when the values carry no ``seq``.
    """
    n = len(messages)
    label = label or stage.name  # unique within the run: topics and groups are named after it
    named = getattr(stage, "topics", None)
    in_topic, out_topic = (
        named(f"{prefix}.{label}") if named else (f"{prefix}.{label}.in", f"{prefix}.{label}.out")
    )
    await create_topics(bootstrap, [in_topic])
    await create_topics(bootstrap, [out_topic], config={"message.timestamp.type": "LogAppendTime"})
    produce_rate = await produce(bootstrap, in_topic, messages)
    spec = StageSpec(bootstrap, in_topic, out_topic, n, PARTITIONS, f"{prefix}.{label}", workdir)
    written = getattr(stage, "input_written", None)
    if written:
        await written(spec, messages)
    expected = stage.expected_outputs(n)
    counter = OutputCounter(bootstrap, out_topic)
    await counter.start()
    cpu_s = broker_cpu = None
    broker_cpu0 = cpu_seconds_of(broker_pid)
    try:
        start_ms = time.time() * 1000
        await stage.start(spec)
        deadline = time.monotonic() + timeout_s
        while True:
            await asyncio.sleep(POLL_S)
            if await counter.count() >= expected:
                done_ms = time.time() * 1000
                cpu_s = stage.cpu_seconds()
                break
            reason = stage.failure()
            if reason:
                raise RuntimeError(reason)
            if time.monotonic() > deadline:
                got = await counter.count()
                raise TimeoutError(f"{label}: {got}/{expected} outputs after {timeout_s:.0f}s")
        if broker_cpu0 is not None:
            broker_cpu = (cpu_seconds_of(broker_pid) or broker_cpu0) - broker_cpu0
    finally:
        await counter.stop()
        stopped = await stage.stop()
    check = await scan_output(bootstrap, out_topic, order=order)
    verify = getattr(stage, "verify", None)
    if verify:
        check.update(await verify(spec))
    wall_s = (done_ms - start_ms) / 1000
    first, last = check["first_ts_ms"], check["last_ts_ms"]
    # The broker stamps a whole produce batch with one time: a span this short means nothing.
    steady_s = (last - first) / 1000 if first is not None and last - first >= MIN_SPAN_MS else None
    return StageResult(
        stage=stage.name,
        label=label,
        n=n,
        outputs=check["count"],
        produce_per_s=round(produce_rate),
        wall_s=round(wall_s, 3),
        events_per_s=round(n / wall_s),
        startup_s=round((first - start_ms) / 1000, 3) if first is not None else None,
        steady_s=round(steady_s, 3) if steady_s else None,
        steady_events_per_s=round((expected - 1) / steady_s * n / expected) if steady_s else None,
        cpu_s=round(cpu_s, 2) if cpu_s is not None else None,
        broker_cpu_s=round(broker_cpu, 2) if broker_cpu is not None else None,
        check=check,
        stop=stopped,
    )
