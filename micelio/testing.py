"""A real mic server in a child process, for tests and benchmarks.

``start_mic_server(data_dir)`` runs ``python -m micelio.server start`` on loopback (free
ports for gRPC and the web viewer), waits until it answers health checks and returns a
``MicServer``; ``stop()`` ends it by PID. Nothing is faked: it is the server users run. Like
httpx's own test helpers, this ships in the package so that benchmarks need no ``tests``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc

T = TypeVar("T")

#: The directory that holds the ``micelio`` package: the child imports the same code.
ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
#: Every server this process started (restarts included), so that fixtures can stop them all.
STARTED: list[MicServer] = []

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 4 * 1024 * 1024),
]


@dataclass
class MicServer:
    """A running server. ``env`` is what a CLI subprocess needs to reach it (``MIC_SERVER``,
    ``MIC_TOKEN``, ``MIC_DATA_DIR`` and, for S3 storage, the AWS credentials). ``web`` is
    the HOST:PORT of its web viewer (``web_url`` the URL)."""

    address: str
    token: str
    data_dir: Path
    pid: int
    env: dict[str, str]
    db_url: str | None
    storage_url: str | None
    log: Path
    inline_threshold: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    web: str = ""

    @property
    def web_url(self) -> str:
        return f"http://{self.web}"

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL after 15 s."""
        stop_pid(self.pid, timeout=15, proc=self.proc)

    def kill(self) -> None:
        """SIGKILL: a crash."""
        kill_pid(self.pid, proc=self.proc)

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid) and (self.proc is None or self.proc.poll() is None)

    def restart(self) -> MicServer:
        """A new server process on the same data dir, database and storage."""
        if self.alive:
            self.stop()
        return start_mic_server(
            self.data_dir,
            db_url=self.db_url,
            storage_url=self.storage_url,
            extra_env=self.extra_env,
            inline_threshold=self.inline_threshold,
        )

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)


def start_mic_server(
    data_dir: Path,
    *,
    db_url: str | None = None,
    storage_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    inline_threshold: int | None = None,
) -> MicServer:
    """Start a server on 127.0.0.1 (free port) and wait until it is SERVING.

    Its output goes to ``<data_dir>.server.log`` beside the data dir.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    info = data_dir / "server.json"
    info.unlink(missing_ok=True)  # left by a killed server: never mistake it for ours
    args = [
        sys.executable,
        "-m",
        "micelio.server",
        "start",
        "--data-dir",
        str(data_dir),
        "--listen",
        "127.0.0.1:0",
        "--web",
        "127.0.0.1:0",
    ]
    if db_url:
        args += ["--db", db_url]
    if storage_url:
        args += ["--storage", storage_url]
    if inline_threshold is not None:
        args += ["--inline-threshold", str(inline_threshold)]
    extra = dict(extra_env or {})
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    log = data_dir.parent / f"{data_dir.name}.server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )

    def announced() -> dict[str, object] | None:
        data: dict[str, object] = json.loads(info.read_text())
        return data if data.get("pid") == proc.pid else None

    try:
        data = wait_until(
            announced, timeout=START_TIMEOUT, what="mic server.json", alive=proc, log=log
        )
        address = str(data["address"])
        wait_until(
            lambda: _serving(address),
            timeout=START_TIMEOUT,
            what="mic server health",
            alive=proc,
            log=log,
        )
    except BaseException:
        kill_pid(proc.pid, proc=proc)
        raise
    token = (data_dir / "admin.token").read_text().strip()
    client_env = {
        "MIC_SERVER": address,
        "MIC_TOKEN": token,
        "MIC_DATA_DIR": str(data_dir),
        **{k: v for k, v in extra.items() if k.startswith("AWS_")},
    }
    server = MicServer(
        address=address,
        token=token,
        data_dir=data_dir,
        pid=proc.pid,
        env=client_env,
        db_url=db_url,
        storage_url=storage_url,
        log=log,
        inline_threshold=inline_threshold,
        extra_env=extra,
        proc=proc,
        web=str(data.get("web") or ""),
    )
    STARTED.append(server)
    return server


def _serving(address: str) -> bool:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=2
        )
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


# --- processes --------------------------------------------------------------------------------


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
    """The last ``lines`` of a log, headed by its name, to append to an error message."""
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


def kill_pid(pid: int, *, proc: subprocess.Popen[bytes] | None = None) -> None:
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
