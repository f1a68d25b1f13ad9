"""A throw-away PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl, as the ``postgres`` user
when running as root, since PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

from micelio.testing import stop_pid, tail, wait_until
from tests.support.procs import free_port


def find_bin_dir() -> Path | None:
    """Where initdb/pg_ctl live: $MIC_PG_BIN, else the newest /usr/lib/postgresql/*/bin,
    else the PATH."""
    explicit = os.environ.get("MIC_PG_BIN")
    if explicit:
        return Path(explicit)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresCluster:
    """``start()`` → a running cluster; ``create_database()`` → the URL of a new empty DB."""

    def __init__(self, base_dir: Path | None = None) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(
                "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on "
                "PATH; set MIC_PG_BIN): run scripts/setup --test"
            )
        self.bin_dir = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="mic-pg-", dir=base_dir))
        self.data = self.dir / "data"
        self.socket_dir = self.dir / "sock"
        self.log = self.dir / "postgres.log"
        self.port = 0
        self.pid: int | None = None
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    def start(self) -> PostgresCluster:
        self.socket_dir.mkdir(parents=True)
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            for path in (self.dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        done = self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        self.port = free_port()
        # fsync off and no synchronous commit: a test cluster trades durability for speed.
        options = (
            f"-k {self.socket_dir} -h 127.0.0.1 -p {self.port} -F "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        done = self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}{tail(self.log)}"
            )
        pid_file = self.data / "postmaster.pid"
        self.pid = wait_until(
            lambda: int(pid_file.read_text().split()[0]), timeout=30, what="postgres pid"
        )
        wait_until(self._accepts, timeout=30, what="postgres accepting connections", log=self.log)
        return self

    def _accepts(self) -> bool:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
            return True

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or "mic_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.pid is not None:
            # SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to leave;
            # SIGINT is its "fast" one. A lingering server still gets SIGKILL.
            stop_pid(self.pid, timeout=15, sig=signal.SIGINT)
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)
