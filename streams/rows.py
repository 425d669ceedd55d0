"""One row of the customer table: a small header, then the customer's state as JSON.

The header holds the partition the customer lives in and the customer's next wake-up time.
Why. After a rebalance a worker rebuilds, for each partition it now owns, the agenda of
customers due for a decision. Faust's stores do not say which partition a key came from
(recomputing it would assume every upstream producer used Kafka's default partitioner), and
decoding every state of a large table to ask it for its next wake-up would make each rebalance
slow. Ten bytes in front of the JSON make the row self-describing and the agenda cheap to build.

Fields at their defaults are left out of the JSON (they come back as defaults on reading): a
customer's closed invoices are mostly defaults, and rows are about 40% smaller for it (13.8 KB
to 8.0 KB on average after a simulated year), which is changelog traffic and recovery time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.state import CustomerState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEADER = 10
_NO_WAKE = -1


def _micros(at: datetime | None) -> int:
    if at is None:
        return _NO_WAKE
    return (at - _EPOCH) // timedelta(microseconds=1)


def encode_row(partition: int, state: CustomerState) -> bytes:
    """The table value for ``state``, which lives in ``partition``.

    >>> row = encode_row(3, CustomerState(customer_id="c1"))
    >>> read_header(row), decode_row(row).customer_id
    ((3, None), 'c1')
    """
    head = partition.to_bytes(2, "big") + _micros(state.next_wake()).to_bytes(8, "big", signed=True)
    return head + state.model_dump_json(exclude_defaults=True).encode()


def read_header(row: bytes) -> tuple[int, datetime | None]:
    """The partition and the next wake-up of a row, without decoding the state."""
    micros = int.from_bytes(row[2:_HEADER], "big", signed=True)
    wake = None if micros == _NO_WAKE else _EPOCH + timedelta(microseconds=micros)
    return int.from_bytes(row[:2], "big"), wake


def decode_row(row: bytes) -> CustomerState:
    """The state of a table value written by :func:`encode_row`."""
    return CustomerState.model_validate_json(row[_HEADER:])
