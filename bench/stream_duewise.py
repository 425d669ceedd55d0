"""The duewise worker as a streaming-benchmark stage, and helpers to run workers by hand.

The stage is ``duewise worker`` exactly as an operator starts it (engine, changelogged state and
every output: decisions, audit, dead letters, outcomes), configured by ``DUEWISE_*`` variables
under the run's prefix so cleanup deletes its topics, changelog included. It reads
``<prefix>events``; it is done when ``<prefix>audit`` holds as many decisions as the embedded
replay makes on the same log (the audit carries every decision, waits too, so it is the count
that cannot be reached by skipping work). Clock records end its input, as ``duewise produce``
ends a log, so an event-clock worker releases the last decisions. Afterwards the audit is
compared with the replay, byte for byte.

Usage::

    .venv/bin/python -m bench.stream_bench --stages raw,faust,duewise
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from bench.paths import ROOT
from bench.stream_common import Message
from bench.stream_input import (
    DUEWISE,
    compare_audit,
    event_time,
    read_values,
    replay_decisions,
    send_clock,
)
from bench.stream_stage import StageSpec, SubprocessStage

STOP_GRACE_S = 20.0

#: What the stage sets; everything else is the worker's default (batch 1000 within 10 ms).
SETTINGS: dict[str, Any] = {
    "DUEWISE_CLOCK": "event",
    "DUEWISE_POLICY": "ladder",
    "DUEWISE_SEED": "0",
    "DUEWISE_LEARNER": "false",
    "DUEWISE_STORE": "memory://",
}


def worker_env(
    bootstrap: str,
    prefix: str,
    state_dir: Path,
    clock: str = "event",
    web_port: int | None = None,
) -> dict[str, str]:
    """``DUEWISE_*`` of one worker: topics ``<prefix>.<kind>``, group ``<prefix>.app``."""
    return {
        **SETTINGS,
        "DUEWISE_BROKER": f"kafka://{bootstrap}",
        "DUEWISE_TOPIC_PREFIX": f"{prefix}.",
        "DUEWISE_APP_ID": f"{prefix}.app",
        "DUEWISE_CLOCK": clock,
        "DUEWISE_STATE_DIR": str(state_dir),
        "DUEWISE_WEB_ENABLED": "true" if web_port else "false",
        "DUEWISE_WEB_PORT": str(web_port or 6066),
    }


def settings_of(env: dict[str, str]) -> Any:
    """The worker's :class:`duewise.settings.Settings`, to create topics the way it does."""
    from duewise.settings import Settings

    fields = {k.removeprefix("DUEWISE_").lower(): v for k, v in env.items()}
    return Settings(**fields)


def start_worker(env: dict[str, str], log: Path, argv: list[str] | None = None) -> Any:
    """``duewise worker`` as a process (``argv`` replaces the command: cProfile, the oracle)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            argv or [str(DUEWISE), "worker", "--loglevel", "warning"],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(proc: Any) -> bool:
    """SIGTERM, then SIGKILL (this pid only) after 20 s; returns whether it had to be killed."""
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE_S)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        return True


def rss_mb(pid: int) -> float | None:
    """Resident memory of a live process, MB, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def http_get(port: int, path: str, timeout: float = 5.0) -> bytes | None:
    """GET a worker's web view (None while it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return bytes(r.read())
    except OSError:
        return None


def metric(text: bytes, name: str) -> float | None:
    """One unlabelled sample of Prometheus text."""
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def lag_of(metrics: bytes | None) -> int | None:
    """The worker's total consumer lag from its /metrics/ text (None: no answer)."""
    if metrics is None:
        return None
    rows = [r for r in metrics.decode().splitlines() if r.startswith("duewise_consumer_lag{")]
    return sum(int(float(r.rsplit(" ", 1)[1])) for r in rows)


def free_port() -> int:
    """A port nobody listens on now, for a worker's web views."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(port: int, proc: Any, timeout: float = 90) -> float:
    """Seconds until the worker's /health/ answers 200 (group joined, not rebalancing)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}")
        body = await asyncio.to_thread(http_get, port, "/health/", 2.0)
        if body and orjson.loads(body).get("status") == "ok":
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise TimeoutError("worker not healthy")


async def wait_split(ports: list[int], partitions: int, timeout: float = 120) -> None:
    """Until every worker's ``/health/`` names partitions of its own and together they are
    all of them: the group has settled, so no rebalance falls into a measured run."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        owned: list[list[int]] = []
        for port in ports:
            body = await asyncio.to_thread(http_get, port, "/health/", 2.0)
            owned.append((orjson.loads(body).get("partitions") or []) if body else [])
        if all(owned) and sorted(p for mine in owned for p in mine) == list(range(partitions)):
            return
        await asyncio.sleep(1)
    raise TimeoutError("the workers did not split the partitions")


async def prepare_topics(env: dict[str, str], audit_log_append: bool = True) -> None:
    """The worker's topics, the audit with ``LogAppendTime`` (the broker stamps receipt)."""
    from bench.stream_common import create_topics
    from streams.topics import TopicNames, ensure_topics

    settings = settings_of(env)
    names = TopicNames.of(settings)
    if audit_log_append:
        await create_topics(
            settings.bootstrap_servers,
            [names.audit],
            config={"message.timestamp.type": "LogAppendTime"},
        )
    await ensure_topics(settings)


class DuewiseStage(SubprocessStage):
    """``duewise worker`` (event clock) as a stage; done when the audit holds the replay's N."""

    name = "duewise"
    settings = SETTINGS

    def __init__(self) -> None:
        super().__init__()
        self._expected: dict[str, bytes] = {}
        self._replay_s = 0.0

    def topics(self, prefix: str) -> tuple[str, str]:
        return f"{prefix}.events", f"{prefix}.audit"

    def env(self, spec: StageSpec) -> dict[str, str]:
        return worker_env(spec.bootstrap, spec.prefix, spec.workdir / "state")

    def argv(self, spec: StageSpec) -> list[str]:
        return [str(DUEWISE), "worker", "--loglevel", "warning"]

    async def input_written(self, spec: StageSpec, messages: list[Message]) -> None:
        """The worker's other topics, a clock record per partition, the replay's decisions."""
        await prepare_topics(self.env(spec), audit_log_append=False)  # the harness made both
        last = max(event_time(v) for _, v in messages)
        await send_clock(spec.bootstrap, spec.input_topic, last)
        started = time.perf_counter()
        self._expected = await asyncio.to_thread(replay_decisions, [v for _, v in messages])
        self._replay_s = time.perf_counter() - started
        if not self._expected:
            raise RuntimeError("the replay makes no decision on this input: use a simulator log")

    def expected_outputs(self, n: int) -> int:
        return len(self._expected)

    async def verify(self, spec: StageSpec) -> dict[str, Any]:
        """The audit against the replay (ids and bytes); ``ok`` only if identical."""
        got = await read_values(spec.bootstrap, spec.output_topic)
        result = compare_audit(self._expected, got)
        result["replay_s"] = round(self._replay_s, 2)
        return result
