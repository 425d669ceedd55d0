"""Running real ``duewise worker`` processes against the broker, and reading what they wrote.

Workers are separate processes started with the README's command, so a test can kill -9 one the
way an operator's machine would lose it. Each test gets its own topic prefix and consumer group.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duewise.settings import Settings
from streams.produce import ProduceSummary, produce_file
from streams.tail import read_values
from streams.topics import TopicNames, ensure_topics

REPO_ROOT = Path(__file__).resolve().parents[2]
DUEWISE = Path(sys.executable).with_name("duewise")
STOP_GRACE_S = 20
PR_SET_PDEATHSIG = 1


@dataclass
class Deployment:
    """One isolated deployment on the shared broker: its settings and its workers."""

    bootstrap: str
    state_root: Path
    clock: str = "event"
    policy: str = "ladder"
    seed: int = 0
    learner: bool = False
    name: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, index: int, web_port: int | None = None) -> dict[str, str]:
        """The ``DUEWISE_*`` variables of worker ``index``."""
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",  # a worker killed with -9 keeps its last log lines
            "DUEWISE_BROKER": f"kafka://{self.bootstrap}",
            "DUEWISE_TOPIC_PREFIX": f"{self.name}.",
            "DUEWISE_APP_ID": self.name,
            "DUEWISE_CLOCK": self.clock,
            "DUEWISE_POLICY": self.policy,
            "DUEWISE_SEED": str(self.seed),
            "DUEWISE_STATE_DIR": str(self.state_root / f"w{index}"),
            "DUEWISE_WEB_ENABLED": "true" if web_port else "false",
            "DUEWISE_WEB_PORT": str(web_port or 6066),
            "DUEWISE_LEARNER": "true" if self.learner else "false",
        }
        return env

    @property
    def settings(self) -> Settings:
        return Settings(
            broker=f"kafka://{self.bootstrap}", topic_prefix=f"{self.name}.", app_id=self.name
        )

    @property
    def topics(self) -> TopicNames:
        return TopicNames.of(self.settings)

    def start(self, index: int = 0, web_port: int | None = None) -> subprocess.Popen[bytes]:
        """Start worker ``index`` (logs under its state directory)."""
        log_dir = self.state_root / f"w{index}"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / "worker.log").open("ab")
        proc = subprocess.Popen(
            [str(DUEWISE), "worker", "--loglevel", "warning"],
            env=self.env(index, web_port),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        """SIGTERM every worker, SIGKILL what ignores it (a crashed Faust agent can)."""
        for proc in self.procs:
            stop(proc)

    async def produce(self, path: Path) -> ProduceSummary:
        """Create the topics and put ``path`` into the events topic, clock records included."""
        await ensure_topics(self.settings)
        return await produce_file(self.settings, path, self.topics.events)


Deploy = Callable[..., Deployment]
"""The ``deploy`` fixture: ``deploy(**Deployment options) -> Deployment``."""


def _die_with_parent() -> None:
    """In the child: be SIGKILLed when the test process dies, however it dies (Linux)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop ``proc`` with ``sig``; SIGKILL after a grace period."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def health(port: int) -> dict[str, Any]:
    """A worker's ``/health/`` view (empty if it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
            return dict(json.load(r))
    except OSError:
        return {}


def owned_partitions(port: int) -> list[int]:
    """The partitions a worker's ``/health/`` says it owns (none if it does not answer)."""
    return list(health(port).get("partitions", []))


async def read_topic(bootstrap: str, topic: str, partitions: int) -> list[bytes]:
    """Every value in ``topic`` now, partition by partition, in offset order."""
    return await read_values({"bootstrap_servers": bootstrap}, topic, partitions)


async def wait_until(
    check: Callable[[], object], timeout: float, what: str, every: float = 1.0
) -> None:
    """Poll the async or sync ``check`` until it is truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(every)
