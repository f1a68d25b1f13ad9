"""Assembling and running the gRPC server.

``serve(config)`` blocks until SIGTERM/SIGINT (or ``stop_event``), then stops gracefully.
Once serving it writes ``DATA_DIR/server.json`` (``{"address", "pid"}``, plus ``"web"`` when the
web viewer runs) and removes it on a clean stop; on first start it creates
``DATA_DIR/admin.token`` (mode 0600). ``start(config, web=HOST:PORT)`` also serves the read-only
web viewer (``micelio.web``) from a thread of this process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from micelio.config import ServerConfig, admin_token_path, server_info_path
from micelio.server.content_servicer import ContentServicer
from micelio.server.decoding import DecodingInterceptor
from micelio.server.interceptor import AuthInterceptor
from micelio.server.job_servicer import JobServicer
from micelio.server.project_servicer import ProjectServicer
from micelio.server.session_servicer import SessionServicer
from micelio.service import Services
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc
from micelio.web import WebServer, start_web

log = logging.getLogger("micelio.server")

#: Content chunks are at most 1 MiB, and a conversation message's content at most 1 MiB
#: (service/limits.py): 4 MiB leaves room for headers carrying a few such messages.
MAX_RECEIVE_BYTES = 4 * 1024 * 1024
#: A session's full conversation travels in one response; allow big ones out.
MAX_SEND_BYTES = 64 * 1024 * 1024
GRACE_SECONDS = 10.0

SERVICE_NAMES = tuple(
    pb.DESCRIPTOR.services_by_name[name].full_name
    for name in ("SessionService", "ProjectService", "ContentService", "JobService")
)


@dataclass
class RunningServer:
    server: grpc.Server
    services: Services
    health: health.HealthServicer
    address: str
    data_dir: Path
    web: WebServer | None = None

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        # Tell health checkers first, so that load balancers stop sending new calls.
        self.health.enter_graceful_shutdown()
        if self.web is not None:
            self.web.stop()
        self.server.stop(grace).wait()
        self.services.close()
        info = server_info_path(self.data_dir)
        with contextlib.suppress(FileNotFoundError):
            if json.loads(info.read_text()).get("pid") == os.getpid():
                info.unlink()


def start(
    config: ServerConfig, web: str | None = None, *, web_required: bool = True
) -> RunningServer:
    """Open the services (migrating the database), bind, start and announce the server.

    ``web``: HOST:PORT of the web viewer (None: none). When it cannot bind, the start fails if
    ``web_required``, else the gRPC server runs alone (a default port someone else holds must
    not keep ``mic`` commands from their embedded server).
    """
    services = Services.open(config)
    token_file = admin_token_path(config.data_dir)
    if services.tokens.ensure_admin_token(token_file):
        log.info("created the admin token in %s (mode 0600)", token_file)
    else:
        log.info("admin token: %s", token_file)

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.max_workers, thread_name_prefix="mic-rpc"),
        # Decoding first: an unparsable request is refused before authentication.
        interceptors=[DecodingInterceptor(), AuthInterceptor(services.tokens)],
        options=[
            ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
            ("grpc.max_send_message_length", MAX_SEND_BYTES),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=config.max_workers * 4,
    )
    rpc.add_SessionServiceServicer_to_server(SessionServicer(services), server)
    rpc.add_ProjectServiceServicer_to_server(ProjectServicer(services), server)
    rpc.add_ContentServiceServicer_to_server(ContentServicer(services), server)
    rpc.add_JobServiceServicer_to_server(JobServicer(services), server)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )

    host, _, _ = config.listen.rpartition(":")
    port = server.add_insecure_port(config.listen)
    if port == 0:
        services.close()
        raise OSError(f"cannot listen on {config.listen}")
    server.start()
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    address = f"{host or '127.0.0.1'}:{port}"
    viewer = None
    if web is not None:
        try:
            viewer = start_web(services, web)
        except OSError as exc:
            if web_required:
                server.stop(None)
                services.close()
                raise OSError(f"cannot serve the web viewer on {web}: {exc}") from exc
            log.warning("web viewer not started: cannot listen on %s (%s)", web, exc)
    _write_server_info(config.data_dir, address, viewer.address if viewer else None)
    log.info("mic server listening on %s (data in %s)", address, config.data_dir)
    if viewer is not None:
        log.info("web viewer on %s", viewer.url)
    return RunningServer(server, services, health_servicer, address, config.data_dir, viewer)


def serve(
    config: ServerConfig,
    stop_event: threading.Event | None = None,
    *,
    web: str | None = None,
    web_required: bool = True,
) -> None:
    """Run until SIGTERM/SIGINT or ``stop_event``; then stop gracefully."""
    stop = stop_event or threading.Event()
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    running = start(config, web, web_required=web_required)
    try:
        while not stop.wait(0.5):  # wakes up for signals on every platform
            pass
    finally:
        running.stop()
        log.info("mic server stopped")


def _write_server_info(data_dir: Path, address: str, web: str | None = None) -> None:
    path = server_info_path(data_dir)
    tmp = path.with_suffix(".json.tmp")
    info: dict[str, object] = {"address": address, "pid": os.getpid()}
    if web is not None:
        info["web"] = web  # HOST:PORT of the web viewer, like "address"
    tmp.write_text(json.dumps(info) + "\n")
    # Renamed into place: a reader never sees a half-written file.
    os.replace(tmp, path)
