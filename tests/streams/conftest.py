"""Fixtures for tests against the real local Kafka broker (see ``scripts/kafka``).

``kafka_bootstrap`` makes sure the broker runs and returns its address. It never
skips: a test that needs a broker and cannot get one fails, with the script's own
explanation (missing java, port taken, the broker's log tail...).
Set ``DUEWISE_KAFKA_BOOTSTRAP`` to use a broker you run yourself (for instance
``docker compose up kafka``) instead of the one ``scripts/kafka`` manages.

``kafka_topic_factory`` creates uniquely named topics for one test and deletes
them afterwards, so tests never share a topic and can run against a long-lived
broker.

Every test that uses ``kafka_bootstrap`` (directly or through another fixture)
gets the ``broker`` marker, so ``pytest -m "not broker"`` runs everything else.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.topics import drop_topics
from tests.streams.harness import Deploy, Deployment

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = REPO_ROOT / "scripts" / "kafka"
PROBE = REPO_ROOT / "infra" / "kafka" / "probe.py"

# Cold start fetches ~46 MB of jars with Maven before the script's own 120 s
# readiness wait; leave room for both.
START_TIMEOUT_S = 300
TOPIC_READY_TIMEOUT_S = 30
UNKNOWN_TOPIC_OR_PARTITION = 3

TopicFactory = Callable[..., Awaitable[str]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the broker, whatever module it lives in."""
    for item in items:
        if "kafka_bootstrap" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.broker)


def _external_bootstrap(bootstrap: str) -> str:
    """Check that a user-provided broker answers a metadata request."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    probe = subprocess.run(
        [sys.executable, str(PROBE), host, port, "5"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.fail(
            f"DUEWISE_KAFKA_BOOTSTRAP={bootstrap} does not answer: {probe.stderr.strip()}",
            pytrace=False,
        )
    return bootstrap


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Address of a running, ready broker (``127.0.0.1:9092`` by default)."""
    external = os.environ.get("DUEWISE_KAFKA_BOOTSTRAP")
    if external:
        return _external_bootstrap(external)
    try:
        result = subprocess.run(
            [str(KAFKA_SCRIPT), "start"],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
            env={**os.environ, "DUEWISE_PYTHON": os.environ.get("DUEWISE_PYTHON", sys.executable)},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"could not run {KAFKA_SCRIPT} start: {exc}", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            f"{KAFKA_SCRIPT} start failed (exit {result.returncode}); these tests need the "
            f"real broker and are never skipped.\n{result.stderr}",
            pytrace=False,
        )
    lines = result.stdout.strip().splitlines()
    if not lines:
        pytest.fail(f"{KAFKA_SCRIPT} start printed no bootstrap address", pytrace=False)
    return lines[-1].strip()


async def _wait_until_led(admin: AIOKafkaAdminClient, topic: str, partitions: int) -> None:
    """Wait until the broker serves metadata with a leader for every partition.

    CreateTopics returns once the controller committed the topic; the broker's
    own metadata cache can lag by a few milliseconds, and a producer racing it
    would log spurious UNKNOWN_TOPIC_OR_PARTITION retries.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TOPIC_READY_TIMEOUT_S
    while True:
        (described,) = await admin.describe_topics([topic])
        parts = described["partitions"]
        if (
            described["error_code"] == 0
            and len(parts) == partitions
            and all(p["leader"] >= 0 for p in parts)
        ):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topic {topic} has no leaders after {TOPIC_READY_TIMEOUT_S}s")
        await asyncio.sleep(0.05)


@pytest.fixture
async def kafka_admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client on the test broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="duewise-tests")
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@pytest.fixture
async def kafka_topic_factory(kafka_admin: AIOKafkaAdminClient) -> AsyncIterator[TopicFactory]:
    """Create fresh topics for one test: ``await kafka_topic_factory("events", partitions=4)``.

    Names get a random suffix (``duewise-test-events-1a2b3c4d5e6f``); ``config``
    holds topic configs such as ``{"cleanup.policy": "compact"}``. All topics made
    by the test are deleted when it ends.
    """
    created: list[str] = []

    async def make(
        prefix: str = "topic", partitions: int = 4, config: dict[str, str] | None = None
    ) -> str:
        name = f"duewise-test-{prefix}-{uuid.uuid4().hex[:12]}"
        new_topic = NewTopic(
            name, num_partitions=partitions, replication_factor=1, topic_configs=config or {}
        )
        response = await kafka_admin.create_topics([new_topic])
        for topic, error_code, *rest in response.topic_errors:
            if error_code != 0:
                raise RuntimeError(f"creating topic {topic} failed: error {error_code} {rest}")
        created.append(name)
        await _wait_until_led(kafka_admin, name, partitions)
        return name

    yield make

    if created:
        response = await kafka_admin.delete_topics(created)
        failed = [
            (topic, code)
            for topic, code in response.topic_error_codes
            if code not in (0, UNKNOWN_TOPIC_OR_PARTITION)
        ]
        if failed:
            raise RuntimeError(f"deleting test topics failed: {failed}")


@pytest.fixture
def make_topic(kafka_topic_factory: TopicFactory) -> TopicFactory:
    """Short alias of :func:`kafka_topic_factory`."""
    return kafka_topic_factory


@pytest.fixture
async def deploy(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Deploy]:
    """Make isolated deployments on the test broker; stop their workers and drop their topics.

    ``deploy(policy="learned", learner=True)`` takes :class:`Deployment`'s keyword arguments.
    """
    made: list[Deployment] = []

    def make(**options: object) -> Deployment:
        state = tmp_path / f"state{len(made)}"
        made.append(Deployment(kafka_bootstrap, state, **options))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for d in made:
        d.stop_all()
        await drop_topics(d.settings)
