"""The diff service in-process with small limits: where a call stops, and what it says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from micelio.database.engine import Database
from micelio.database.migrate import upgrade
from micelio.diffs import Cut, PathDiff
from micelio.service.auth import Principal
from micelio.service.content import ContentService
from micelio.service.diffs import DiffLimits, DiffService
from micelio.service.errors import InvalidArgument, NotFound
from micelio.service.ingest import ChangeHeaderIn
from micelio.service.landing import Lander, LandHeaderIn
from micelio.service.projects import ProjectService
from micelio.service.views import StartRequest
from micelio.storage.local import LocalStore

ADMIN = Principal(token_id=0, organization_id=None, organization=None, role="admin")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[Database, ContentService]]:
    db = Database(f"sqlite:///{tmp_path / 'mic.db'}")
    upgrade(db.engine)
    projects = ProjectService(db)
    projects.create_organization(ADMIN, "o")
    projects.create_project(ADMIN, "o", "p")
    store = LocalStore(tmp_path / "objects")
    lander = Lander(db, store, inline_threshold=100 * 1024)
    files = {f"f{i:02}.txt": b"%02d\n" % i * 5 for i in range(20)}  # 20 files, 15 bytes each
    items: list[Any] = [
        LandHeaderIn(create=StartRequest(organization="o", project="p", goal="g", session_id="s1"))
    ]
    for name, data in files.items():
        items += [ChangeHeaderIn(name, b"", "added", 0, len(data)), data]
    for _ in lander.land_many(ADMIN, iter(items)):
        pass
    yield db, ContentService(db, store)
    db.dispose()


def _run(service: DiffService, **kwargs: Any) -> list[PathDiff | Cut]:
    _, _, stream = service.diff(ADMIN, "o", "p", 0, 1, **kwargs)
    return list(stream)


def test_the_files_cap_ends_with_a_cut(services: tuple[Database, ContentService]) -> None:
    got = _run(DiffService(*services, DiffLimits(files=7)))
    assert [type(x) for x in got] == [PathDiff] * 7 + [Cut]
    assert got[-1] == Cut(13, "more than 7 files differ")


def test_the_bytes_cap_ends_with_a_cut(services: tuple[Database, ContentService]) -> None:
    # 50 bytes of contents per call, read 20 at a time: three files of 15 bytes, then the cut.
    got = _run(DiffService(*services, DiffLimits(call_bytes=50, batch_bytes=20)))
    assert [x.path for x in got if isinstance(x, PathDiff)] == [b"f00.txt", b"f01.txt", b"f02.txt"]
    assert got[-1] == Cut(17, "more than 50 bytes of contents to compare")


def test_a_file_over_its_cap_is_not_read(services: tuple[Database, ContentService]) -> None:
    got = _run(DiffService(*services, DiffLimits(file_bytes=14)))
    assert len(got) == 20
    assert all(isinstance(x, PathDiff) and x.compared.omitted for x in got)


def test_requests_beyond_the_bounds_are_refused(services: tuple[Database, ContentService]) -> None:
    service = DiffService(*services)
    with pytest.raises(InvalidArgument, match="too many paths"):
        service.diff(ADMIN, "o", "p", 0, 1, [(f"f{i}", b"") for i in range(1001)])
    with pytest.raises(InvalidArgument, match="too many pathspecs"):
        service.diff(ADMIN, "o", "p", 0, 1, (), ["*"] * 101)
    with pytest.raises(InvalidArgument, match="invalid path"):
        service.diff(ADMIN, "o", "p", 0, 1, [("../x", b"")])
    with pytest.raises(InvalidArgument, match="unclosed"):
        service.diff(ADMIN, "o", "p", 0, 1, (), ["[a"])
    with pytest.raises(NotFound, match="position 5"):
        service.diff(ADMIN, "o", "p", 5, 1)
