"""Process plumbing: free ports, waiting for conditions, stopping processes by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


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


def wait_until(
    check: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    alive: subprocess.Popen[Any] | None = None,
    log: Path | None = None,
) -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` (and the tail of
    ``log``) on timeout or when the ``alive`` process exits first."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {alive.returncode}{tail(log)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s{tail(log)}")
        time.sleep(interval)


def tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- " + str(log) + " ---\n" + "\n".join(text)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is dead for our purposes.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return False
    return True


def stop_pid(
    pid: int,
    *,
    timeout: float = 10.0,
    proc: subprocess.Popen[Any] | None = None,
    sig: signal.Signals = signal.SIGTERM,
) -> None:
    """``sig`` (SIGTERM), wait up to ``timeout``, then SIGKILL if the process lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    if not _wait_gone(pid, timeout, proc):
        kill_pid(pid, proc=proc)


def kill_pid(pid: int, *, proc: subprocess.Popen[Any] | None = None) -> None:
    """SIGKILL and reap."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, 10.0, proc)


def _wait_gone(pid: int, timeout: float, proc: subprocess.Popen[Any] | None) -> bool:
    if proc is not None:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
