"""Shared fixtures: real PostgreSQL, real SeaweedFS (S3) and real mic server processes.

- ``postgres_cluster`` (session): a PostgreSQL cluster on 127.0.0.1 (``tests.support.postgres``);
  ``postgres_cluster.create_database()`` returns the URL of a new empty database.
- ``postgres_url`` (session): the URL of one empty database (``postgresql+psycopg://...``).
- ``seaweed`` (session): a SeaweedFS ``weed mini`` with S3 on 127.0.0.1 (``tests.support.seaweed``).
- ``s3_storage_url`` (session): ``s3://BUCKET?endpoint=...&region=...`` of a fresh bucket;
  ``s3_env``: the AWS credentials a process needs for it (pass them in its environment).
- ``mic_server`` (session): a factory ``mic_server(db="sqlite"|"postgres",
  storage="file"|"s3", *, data_dir=None, inline_threshold=None) -> MicServer`` starting a
  server process (``python -m micelio.server start``). Each new data dir gets its own database
  and storage prefix; passing an earlier ``data_dir`` again reuses its database and storage
  (a restart after ``kill()``). A ``MicServer`` has ``.address``, ``.token`` (admin),
  ``.data_dir``, ``.pid``, ``.env`` (for CLI subprocesses: ``MIC_SERVER``, ``MIC_TOKEN``,
  ``MIC_DATA_DIR``, AWS credentials), ``.stop()`` (SIGTERM), ``.kill()`` (SIGKILL),
  ``.restart()``. Every server still running is stopped at the end of the test session.

PostgreSQL and SeaweedFS start only when a test asks for them, once per session. When they are
not installed the fixture FAILS (``scripts/setup --test`` installs them); it never skips.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from micelio.testing import STARTED, MicServer, start_mic_server
from tests.support.fixture_types import MicServerFactory
from tests.support.postgres import PostgresCluster
from tests.support.seaweed import SeaweedS3


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = PostgresCluster().start()
    except Exception as exc:
        pytest.fail(f"cannot start PostgreSQL for the tests: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    return postgres_cluster.create_database("mic_shared")


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedS3]:
    try:
        server = SeaweedS3().start()
    except Exception as exc:
        pytest.fail(f"cannot start SeaweedFS (S3) for the tests: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_bucket(seaweed: SeaweedS3) -> str:
    return seaweed.create_bucket()


@pytest.fixture(scope="session")
def s3_storage_url(seaweed: SeaweedS3, s3_bucket: str) -> str:
    return seaweed.storage_url(s3_bucket)


@pytest.fixture(scope="session")
def s3_env(seaweed: SeaweedS3) -> dict[str, str]:
    return seaweed.env()


@pytest.fixture(scope="session")
def mic_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MicServerFactory]:
    # data dir -> (db URL, storage URL, env): a restart on a data dir finds its data again.
    places: dict[Path, tuple[str | None, str | None, dict[str, str]]] = {}

    def factory(
        db: str = "sqlite",
        storage: str = "file",
        *,
        data_dir: Path | None = None,
        inline_threshold: int | None = None,
    ) -> MicServer:
        if db not in ("sqlite", "postgres"):
            raise ValueError(f"db must be 'sqlite' or 'postgres', not {db!r}")
        if storage not in ("file", "s3"):
            raise ValueError(f"storage must be 'file' or 's3', not {storage!r}")
        data_dir = Path(data_dir or tmp_path_factory.mktemp("mic-server")).resolve()
        if data_dir not in places:
            db_url = None
            if db == "postgres":
                cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
                db_url = cluster.create_database()
            storage_url, env = None, {}
            if storage == "s3":
                weed: SeaweedS3 = request.getfixturevalue("seaweed")
                bucket: str = request.getfixturevalue("s3_bucket")
                storage_url = weed.storage_url(bucket, prefix=uuid.uuid4().hex[:12])
                env = weed.env()
            places[data_dir] = (db_url, storage_url, env)
        db_url, storage_url, env = places[data_dir]
        server = start_mic_server(
            data_dir,
            db_url=db_url,
            storage_url=storage_url,
            extra_env=env,
            inline_threshold=inline_threshold,
        )
        return server

    yield factory
    for server in STARTED:
        if server.alive:
            server.stop()
