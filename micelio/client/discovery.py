"""Where the server is and which token to use: options, then environment, then local server.

Order for the address: ``server`` argument, ``$MIC_SERVER``, ``fallback`` (e.g. the server a
working directory was checked out from), the local default server's ``DATA_DIR/server.json``.
Order for the token: ``token`` argument, ``$MIC_TOKEN``, then ``DATA_DIR/admin.token`` but only
when the address is that local server's: a local admin token is never sent anywhere else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from micelio import config
from micelio.client.errors import Unavailable

NO_SERVER = "no mic server: start one with `mic server start` or set MIC_SERVER"


@dataclass(frozen=True, slots=True)
class Endpoint:
    address: str
    token: str | None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def local_server(data_dir: Path) -> str | None:
    """The address in ``data_dir/server.json`` when its server process is still alive."""
    try:
        info = json.loads(config.server_info_path(data_dir).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("address"), str):
        return None
    pid = info.get("pid")
    if isinstance(pid, int) and pid > 0 and not _pid_alive(pid):
        return None  # left behind by a server that was killed
    address: str = info["address"]
    return address


def local_token(data_dir: Path) -> str | None:
    try:
        return config.admin_token_path(data_dir).read_text().strip() or None
    except OSError:
        return None


def resolve(
    server: str | None = None,
    token: str | None = None,
    *,
    fallback: str | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Endpoint:
    env = os.environ if environ is None else environ
    address = server or env.get("MIC_SERVER") or fallback
    token = token or env.get("MIC_TOKEN") or None
    if address and token:
        return Endpoint(address, token)
    directory = data_dir or config.default_data_dir()
    local = local_server(directory)
    if not address:
        if local is None:
            raise Unavailable(NO_SERVER)
        address = local
    if token is None and local is not None and _same(address, local):
        token = local_token(directory)
    return Endpoint(address, token)


def _same(a: str, b: str) -> bool:
    def norm(x: str) -> str:
        x = x.removeprefix("dns:///").removeprefix("ipv4:")
        return x.replace("localhost:", "127.0.0.1:")

    return norm(a) == norm(b)
