"""Settings, read once at the edge from ``DUEWISE_*`` environment variables or arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What a deployment chooses. Every field can be set as ``DUEWISE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DUEWISE_", extra="forbid")

    seed: int = 0
    """Seeds every random draw; the same log and seed give byte-identical decisions."""
    rules: str = "se"
    """A built-in rule pack name (``se``, ``us_strict``) or the path of a TOML rule pack."""
    policy: str = "ladder"
    """Which policy decides: ``ladder``, ``no-action``, ``random`` or ``learned``."""
    ladder: Path | None = None
    """Optional TOML file with the ladder's levels (default: email +5, letter +14, escalate +30)."""
    horizon_days: int = 14
    """Payment outcomes resolve this many days after the decision (or when the invoice closes)."""
    churn_window_days: int = 90
    """Churn outcomes resolve this many days after the decision (or when the customer leaves)."""
    explore: float = 0.1
    """The learned policy's exploration floor: this share of its choice is uniform over arms."""
    min_evidence: int = 50
    """Payment examples an arm needs before the learned policy may prefer it."""
    min_churn_evidence: int = 500
    """Churn examples an arm needs before its own churn estimate is used (else waiting's)."""
    holdout_share: float = 0.05
    """Share of customers the learned policy leaves on the ladder: the always-on experiment."""
    arms: str | None = None
    """Comma-separated arms the learned policy chooses among besides waiting, e.g.
    ``remind:email,offer_plan:letter`` (default: :data:`engine.policies.learned.DEFAULT_ARMS`)."""
    models: Path | None = None
    """A learner snapshot to start the learned policy from (default: learn from nothing)."""

    # --- the streaming runtime (``duewise worker``, ``produce``, ``tail``) -------------------
    broker: str = "kafka://127.0.0.1:9092"
    """Kafka bootstrap servers, comma-separated, ``kafka://`` optional."""
    topic_prefix: str = "duewise."
    """Prefix of every topic the runtime reads or writes (one prefix per environment)."""
    partitions: int = 4
    """Partitions of every keyed topic: inputs, outputs and the table's changelog alike."""
    replication_factor: int = 1
    """Replication of the topics the runtime creates (3 on a production cluster)."""
    app_id: str = "duewise"
    """Consumer group and changelog name of the workers; workers with one id share the work."""
    store: str = "memory://"
    """Table store: ``memory://`` (tests, small runs) or ``rocksdb://`` (production, on disk)."""
    state_dir: Path = Path(".duewise-state")
    """Where a worker keeps its table store and Faust's data directory."""
    clock: Literal["wall", "event"] = "wall"
    """``wall``: time is the worker's clock (live). ``event``: time is the events' own
    ``occurred_at`` per partition, moved on by clock records (replays into Kafka)."""
    tick_seconds: float = 1.0
    """How often a ``wall`` worker releases the decisions that fell due with no new event."""
    ingest: Literal["bulk", "stream"] = "bulk"
    """How input records reach the decider: ``bulk``, whole fetches from Faust's consumer
    (fast; see ``streams/ingest.py``), or ``stream``, a Faust agent's ``take_events``."""
    batch_max: int = 1000
    """Most events the decider takes per batch (rows: see ``row_flush_seconds``)."""
    batch_within: float = 0.01
    """Seconds the decider waits to fill a batch: the latency it trades for throughput."""
    row_flush_seconds: float = 2.0
    """With bulk ingestion, how often changed customers' rows are written to the changelog
    (and their events' offsets become committable). Decisions are sent at once whatever
    this is; a customer busy in many batches is encoded once per flush, not per batch. A crash
    redoes up to this much work (byte-identical re-sends). ``0`` writes rows every batch, as
    the ``learned`` policy always does (its redo is identical only for a fixed model)."""
    state_cache: int = 20_000
    """Customer states a worker keeps decoded in memory (the table holds them all). A decoded
    state of a customer with a year of history takes about 30 KB: 20,000 are about 600 MB."""
    prepare_ahead: int = 4000
    """Scheduled releases a worker prepares ahead of their time while idle (``0``: none), so
    that a 06:00 burst is sent at once instead of taking ~0.2-0.7 ms a customer (see
    ``streams/prepare.py``). Each prepared customer holds about 48 KB (a year of history):
    4,000 are about 200 MB. With 2,000 (and 120 h), 8% of the releases of a replay at 1,000
    events/s were made live, most of them in one or two bursts a minute: p99 180-320 ms
    against 100 ms (``bench/README.md``)."""
    prepare_horizon_hours: float = 240.0
    """How far ahead of a partition's next release wakes are prepared. A customer with an
    event before its wake makes its prepared release worthless; measured in ``event`` mode at
    1,000 events/s, preparing the next 2,000 wakes whatever their time made 13 preparations per
    release used and saturated the worker. A replayed log's clock does not move evenly: it
    stands still for seconds while a billing run's thousands of invoices (one instant) go by,
    then leaps days in a fraction of a second (at 1,000 events/s, nine days in 1.6 s: five
    days of horizon were 0.9 s to prepare ~650 customers, and a burst went out live). Ten
    days: 96-97% of releases served prepared, 4.5 preparations made per one used, about a
    quarter of a core that was idle. Live, they cover any weekend or holiday."""
    switch_interval_ms: float = 0.5
    """How often (ms) a thread busy in Python hands the interpreter lock to a waiting one
    (``sys.setswitchinterval``; CPython's default is 5). Faust's consumer fetches in a thread
    of its own that needs the lock dozens of times per fetch: while the worker computed (a
    06:00 burst, a row flush, preparing ahead), records reached it up to 167 ms after they
    were sent (p99) at 5 ms, 54 ms at 0.5 ms. Throughput is unchanged (within noise)."""
    web_enabled: bool = True
    """Serve health, Prometheus metrics and explanations over HTTP."""
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    learner: bool = True
    """Run the learner agent (outcomes in, model snapshots out) in this worker's group."""
    model_signing_key: SecretStr | None = None
    """When set, the learner signs its snapshots (HMAC-SHA256) and workers refuse others."""
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """``PLAINTEXT``, ``SSL``, ``SASL_PLAINTEXT`` or ``SASL_SSL``."""
    sasl_mechanism: str = "PLAIN"
    """``PLAIN``, ``SCRAM-SHA-256`` or ``SCRAM-SHA-512`` when the protocol is SASL."""
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    """CA bundle that signs the brokers' certificates (SSL and SASL_SSL)."""

    @property
    def bootstrap_servers(self) -> str:
        """The broker list without a ``kafka://`` scheme, as aiokafka wants it."""
        return ",".join(s.removeprefix("kafka://") for s in self.broker.split(","))
