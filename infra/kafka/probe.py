"""Readiness probe for the local Kafka broker, used by ``scripts/kafka``.

Sends one Metadata request (v4, which both Kafka 3.x and 4.x accept) over a
plain socket and prints the cluster id of the broker that answered.  Stdlib
only, so it runs with any ``python3`` (no venv, no aiokafka) in ~50 ms,
instead of a JVM-based admin tool that takes a second or more per try.

"Ready" means more than an open port: a KRaft broker accepts connections
before it has caught up with the metadata log, but it lists itself among the
alive brokers in a Metadata response only once it is unfenced and can serve
produce/fetch/admin requests.

Usage: python3 probe.py HOST PORT [TIMEOUT_SECONDS]
Exit 0 and print the cluster id when ready; exit 1 (reason on stderr) if not.
"""

from __future__ import annotations

import socket
import struct
import sys

METADATA_API_KEY = 3
METADATA_VERSION = 4  # non-flexible encoding, still supported by Kafka 4.x
CORRELATION_ID = 0x0D0E
CLIENT_ID = b"duewise-probe"


def _metadata_request() -> bytes:
    header = (
        struct.pack(">hhih", METADATA_API_KEY, METADATA_VERSION, CORRELATION_ID, len(CLIENT_ID))
        + CLIENT_ID
    )
    # topics: empty array (= no topics, we only want brokers);
    # allow_auto_topic_creation: false.
    body = struct.pack(">i?", 0, False)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        buf += chunk
    return bytes(buf)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value[0]

    def string(self) -> str | None:
        size = self.take(">h")
        if size < 0:
            return None
        raw = self.data[self.pos : self.pos + size]
        self.pos += size
        return raw.decode()


def probe(host: str, port: int, timeout: float) -> tuple[list[int], str | None]:
    """Return (alive broker ids, cluster id) from one Metadata round trip."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(_metadata_request())
        (size,) = struct.unpack(">i", _recv_exactly(sock, 4))
        reader = _Reader(_recv_exactly(sock, size))
    if reader.take(">i") != CORRELATION_ID:
        raise ValueError("unexpected correlation id")
    reader.take(">i")  # throttle_time_ms
    brokers = []
    for _ in range(reader.take(">i")):
        brokers.append(reader.take(">i"))  # node_id
        reader.string()  # host
        reader.take(">i")  # port
        reader.string()  # rack
    cluster_id = reader.string()
    return brokers, cluster_id


def main(argv: list[str]) -> int:
    host, port = argv[1], int(argv[2])
    timeout = float(argv[3]) if len(argv) > 3 else 2.0
    try:
        brokers, cluster_id = probe(host, port, timeout)
    except (OSError, ValueError, struct.error) as exc:
        print(f"not ready: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    if not brokers:
        print("not ready: no alive broker in the metadata yet", file=sys.stderr)
        return 1
    print(cluster_id or "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
