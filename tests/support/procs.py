"""Free loopback ports for the servers the tests start (waiting, stopping: micelio.testing)."""

from __future__ import annotations

import socket


def free_port(*, also_free: int | None = None) -> int:
    """A TCP port free on 127.0.0.1 now; with ``also_free=N``, port+N is free too (SeaweedFS
    derives its gRPC ports as HTTP port + 10000)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if also_free is None:
            return port
        other = port + also_free
        if other < 65536 and _is_free(other):
            return port
    raise RuntimeError("no free port pair found")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
