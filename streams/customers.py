"""The decider's customers in memory: decoded states of the recently seen ones, which of them
changed since their row was last written, and the input offsets each one's state holds.

Why a bounded cache in front of the table. Decoding a row costs about as much as applying an
event (~60 us for a year of history), and most events belong to customers seen moments before;
the table (RocksDB in production) holds every customer. The cache evicts the least recently
stored first, writing a changed customer's row as it leaves. A changed customer's row is
written once per flush however many of its events came in between (see
:meth:`streams.batch.PartitionedDecider.process` with ``rows=False``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from engine.state import CustomerState
from streams.prepare import copy_state
from streams.records import Batch
from streams.rows import applied_offsets, decode_row, encode_row


class Customers:
    """Cached states, dirty customers and applied offsets of one worker's partitions.

    ``load(customer_id, partition)`` reads a customer's row from the table (``None``: a new
    customer); ``size`` bounds the states kept decoded.
    """

    def __init__(self, load: Callable[[str, int], bytes | None], size: int) -> None:
        self.load = load
        self.size = size
        self._states: dict[str, CustomerState] = {}
        self._dirty: dict[str, int] = {}
        """Customers changed since their row was written, oldest change first -> partition."""
        self._erased: set[str] = set()
        """Dirty customers whose state is gone (not cached): their row is deleted at once."""
        self._applied: dict[str, dict[str, int]] = {}
        """Per cached customer, the offset of the last input record applied, per topic: written
        into its row, so that records read again after a crash are recognised exactly
        (:mod:`streams.rows`)."""

    def get(self, customer_id: str, partition: int) -> CustomerState | None:
        """A customer's current state (from the cache, else the table, then cached)."""
        state = self._states.get(customer_id)
        if state is None:
            row = self.load(customer_id, partition)
            if row is None:
                return None
            state = decode_row(row)
            self._states[customer_id] = state
            self._applied[customer_id] = applied_offsets(row)
        return state

    def cached(self, customer_id: str) -> CustomerState | None:
        """The customer's state if it is cached (the table is not read)."""
        return self._states.get(customer_id)

    def copy_of(
        self, customer_id: str, partition: int
    ) -> tuple[CustomerState, dict[str, int]] | None:
        """An independent copy of the customer's state and of the input offsets it holds,
        leaving the cache as it is."""
        state = self._states.get(customer_id)
        if state is not None:
            return copy_state(state), dict(self._applied.get(customer_id, {}))
        row = self.load(customer_id, partition)
        if row is None:
            return None
        return decode_row(row), applied_offsets(row)  # a fresh object already

    def applied(self, customer_id: str) -> dict[str, int]:
        """The offsets the customer's state holds, per input topic (to update in place); read
        with its state by :meth:`get`, so call that first."""
        applied = self._applied.get(customer_id)
        if applied is None:
            applied = self._applied[customer_id] = {}
        return applied

    def keep(
        self,
        partition: int,
        customer_id: str,
        state: CustomerState | None,
        applied: dict[str, int] | None = None,
    ) -> None:
        """Make ``state`` (``None``: erased) the customer's, dirty until its row is written;
        ``applied``: the input offsets it holds, when they are not those cached (a prepared
        state swapped in after the customer left the cache: its row would lose them)."""
        self._dirty[customer_id] = partition
        if state is None:
            self._states.pop(customer_id, None)
            self._applied.pop(customer_id, None)
            self._erased.add(customer_id)
            return
        self._erased.discard(customer_id)
        self._states.pop(customer_id, None)  # re-inserted last: the cache evicts in LRU order
        self._states[customer_id] = state
        if applied is not None:
            self._applied[customer_id] = applied

    @property
    def dirty(self) -> int:
        """Customers changed since their row was last written."""
        return len(self._dirty)

    def dirty_customers(self) -> list[str]:
        """The customers changed since their row was last written, oldest change first."""
        return list(self._dirty)

    def write(self, batch: Batch, customers: Iterable[str]) -> None:
        """Add the rows of those of ``customers`` still dirty to ``batch``."""
        self._write(batch, [c for c in customers if c in self._dirty])
        self._erased.difference_update(batch.rows)

    def finish(self, batch: Batch, rows: bool) -> None:
        """End a batch: add the rows of every dirty customer (``rows``), else only of those the
        cache lets go of and of the erased, then let the least recently stored go."""
        excess = len(self._states) - self.size
        # dicts keep insertion order: the least recently stored go first
        leaving = list(islice(self._states, excess)) if excess > 0 else []
        if rows:
            self._write(batch, list(self._dirty))
        else:
            self._write(batch, [c for c in leaving if c in self._dirty])
            self._write(batch, sorted(c for c in self._erased if c in self._dirty))
        self._erased.clear()
        for customer_id in leaving:
            del self._states[customer_id]
            self._applied.pop(customer_id, None)  # its row has them: written above, or before

    def clear(self) -> None:
        """Forget every customer (a rebalance); refuses while changes are unwritten, which
        would be lost."""
        if self._dirty:
            raise RuntimeError(f"{len(self._dirty)} changed customers were never written")
        self._states.clear()
        self._erased.clear()
        self._applied.clear()

    def _write(self, batch: Batch, customers: list[str]) -> None:
        """Move ``customers`` from dirty to ``batch.rows`` (``None``: erased, delete the row)."""
        for customer_id in customers:
            partition = self._dirty.pop(customer_id)
            state = self._states.get(customer_id)
            applied = self._applied.get(customer_id)
            row = None if state is None else encode_row(partition, state, applied)
            batch.rows[customer_id] = (partition, row)
