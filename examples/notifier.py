"""An example notification consumer: it reads duewise's decisions, "sends" them, and answers
with message events, so the loop closes live.

Run it beside a worker (same ``DUEWISE_*`` settings)::

    .venv/bin/python examples/notifier.py            # follow the decisions topic
    .venv/bin/python examples/notifier.py --idle 10  # stop after 10 s without a decision

What a real notifier must do, and this one shows:

* **Dedupe by ``decision_id``.** The runtime promises no two different decisions for one
  dunning step, but after a crash it may re-send the same one. Send each id once.
* **Send at ``send_at``.** It respects quiet hours in the customer's time zone. This example
  does not sleep: it stamps its events with ``send_at``, which keeps replays in event time.
* **Report back** on the contacts topic, keyed by ``customer_id`` (the same partitioning as the
  events topic): ``message_sent`` then ``message_delivered``, each with a deterministic
  ``event_id`` derived from the decision id, so the engine ignores a repeated report too.
* **Log ids, never personal data.** Decisions carry ids only; keep it that way in logs.
* **Commit after producing.** Offsets are committed only once the reports are acknowledged:
  a crash re-reads, the dedupe and the event ids make that harmless.

Escalations and human reviews are hand-overs to people or agencies, not messages: they are
counted and acknowledged here, not answered.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections import Counter, OrderedDict

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duewise.settings import Settings
from schemas.codec import DecodeError, decode_decision, encode_event
from schemas.enums import Action
from schemas.events import MessageDelivered, MessageSent
from schemas.outbound import Decision
from streams.kafka import client_options
from streams.topics import TopicNames

log = logging.getLogger("notifier")
HANDOVERS = {Action.ESCALATE, Action.HUMAN_REVIEW}
SEEN_KEPT = 1_000_000


def reports(decision: Decision) -> list[bytes]:
    """The message events a notifier sends back for one decision (none for hand-overs)."""
    if decision.action in HANDOVERS or decision.channel is None:
        return []
    at = decision.send_at or decision.decided_at
    common = {
        "occurred_at": at,
        "customer_id": decision.customer_id,
        "source": "example-notifier",
        "decision_id": decision.decision_id,
        "channel": decision.channel,
    }
    sent = MessageSent(event_id=f"{decision.decision_id}#sent", **common)
    delivered = MessageDelivered(event_id=f"{decision.decision_id}#delivered", **common)
    return [encode_event(sent), encode_event(delivered)]


async def run(settings: Settings, idle: float | None) -> Counter[str]:
    """Consume decisions until ``idle`` seconds pass without one (``None``: forever)."""
    topics = TopicNames.of(settings)
    options = client_options(settings)
    consumer = AIOKafkaConsumer(
        topics.decisions,
        group_id=f"{settings.app_id}-notifier",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **options,
    )
    producer = AIOKafkaProducer(acks="all", linger_ms=5, **options)
    await consumer.start()
    await producer.start()
    seen: OrderedDict[str, None] = OrderedDict()
    counts: Counter[str] = Counter()
    try:
        while True:
            got = await consumer.getmany(timeout_ms=int((idle or 1) * 1000), max_records=500)
            if not got and idle is not None:
                return counts
            pending = []
            for records in got.values():
                for record in records:
                    try:
                        decision = decode_decision(record.value or b"")
                    except DecodeError as exc:
                        log.error("unreadable decision at offset %d: %s", record.offset, exc)
                        counts["unreadable"] += 1
                        continue
                    if decision.decision_id in seen:
                        counts["duplicates"] += 1
                        continue
                    seen[decision.decision_id] = None
                    if len(seen) > SEEN_KEPT:
                        seen.popitem(last=False)
                    answers = reports(decision)
                    counts["handed_over" if not answers else "sent"] += 1
                    key = decision.customer_id.encode()
                    for value in answers:
                        pending.append(await producer.send(topics.contacts, value, key=key))
                    log.info("%s %s %s", decision.decision_id, decision.action, decision.channel)
            if pending:
                await asyncio.gather(*pending)
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    """Command line: ``--idle SECONDS`` to stop when the decisions dry up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=None, help="stop after this many idle s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    counts = asyncio.run(run(Settings(), args.idle))
    print(dict(counts))


if __name__ == "__main__":
    main()
