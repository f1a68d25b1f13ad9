"""A local server for the duration of one command, when no server is configured."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from micelio import config


@contextlib.contextmanager
def local_server(data_dir: Path, timeout: float = 60.0) -> Iterator[str]:
    """Yield the address of a server on ``data_dir``: the running one, or one started here."""
    from micelio.client import MicError, discovery

    address = discovery.local_server(data_dir)
    if address:
        yield address
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "embedded-server.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "micelio.server",
                "start",
                "--data-dir",
                str(data_dir),
                "--listen",
                "127.0.0.1:0",
                "--web",
                "off",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # Ctrl-C reaches us first; we stop it in order
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-1:]
                raise MicError(
                    f"the embedded server did not start: {tail[0] if tail else 'no output'} "
                    f"(log: {log_path})"
                )
            try:
                info = json.loads(config.server_info_path(data_dir).read_text())
            except (OSError, ValueError):
                info = {}
            if info.get("pid") == proc.pid and info.get("address"):
                break
            if time.monotonic() > deadline:
                raise MicError(f"the embedded server did not start in {timeout:.0f} s")
            time.sleep(0.05)
        yield str(info["address"])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
