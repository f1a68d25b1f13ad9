"""`mic mcp --http` as a hostile web page or network peer would meet it: loopback only, and
requests naming another host (DNS rebinding) or coming from another origin are refused
before any tool runs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from micelio.mcp.server import loopback_address
from micelio.testing import MicServer
from tests.support.mcp import History, http_server

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "page", "version": "1"},
    },
}


def _post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(INITIALIZE).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **headers,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_requests_for_another_host_or_from_another_origin_are_refused(
    server: MicServer, history: History, checkout: Path
) -> None:
    with http_server(checkout, server.env) as url:
        assert _post(url, {}) == 200  # the loopback client itself
        assert _post(url, {"Host": "attacker.example:80"}) == 421
        assert _post(url, {"Origin": "http://attacker.example"}) == 403


def test_only_loopback_addresses_are_served() -> None:
    assert loopback_address("7430") == ("127.0.0.1", 7430)
    assert loopback_address("localhost:0") == ("localhost", 0)
    assert loopback_address("[::1]:7430") == ("::1", 7430)
    for bad in ("0.0.0.0:7430", "10.0.0.5:80", "example.com:80", "127.0.0.1:http", "1:99999"):
        with pytest.raises(ValueError):
            loopback_address(bad)
