"""The lander in-process (no gRPC): what happens when the caller stops listening."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from micelio.database.engine import Database
from micelio.database.migrate import upgrade
from micelio.service.auth import Principal
from micelio.service.errors import AlreadyExists
from micelio.service.ingest import ChangeHeaderIn
from micelio.service.landing import Lander, LandHeaderIn
from micelio.service.projects import ProjectService
from micelio.service.views import StartRequest
from micelio.storage.local import LocalStore

ADMIN = Principal(token_id=0, organization_id=None, organization=None, role="admin")
BIG = b"x" * 200_000  # above the inline threshold: object storage


@pytest.fixture
def lander(tmp_path: Path) -> Iterator[tuple[Lander, Path]]:
    db = Database(f"sqlite:///{tmp_path / 'mic.db'}")
    upgrade(db.engine)
    projects = ProjectService(db)
    projects.create_organization(ADMIN, "o")
    projects.create_project(ADMIN, "o", "p")
    objects = tmp_path / "objects"
    yield Lander(db, LocalStore(objects), inline_threshold=100 * 1024), objects
    db.dispose()


def _session(n: int, external_id: str) -> list[Any]:
    header = LandHeaderIn(
        create=StartRequest(organization="o", project="p", goal=f"s{n}", session_id=f"ses_{n}"),
        external_id=external_id,
    )
    return [header, ChangeHeaderIn(f"big{n}.bin", b"", "added", 0, len(BIG)), BIG]


def _wait_for_receivers() -> None:
    """The receiving threads clean up what they hold once the stream is done with."""
    for thread in threading.enumerate():
        if thread.name == "mic-land-receive":
            thread.join(timeout=30)
            assert not thread.is_alive()


def test_a_caller_that_stops_listening_mid_retry_leaves_nothing_behind(
    lander: tuple[Lander, Path],
) -> None:
    service, objects = lander
    # Session 3 takes session 0's external id: its group fails and is retried one at a time.
    items = [item for n in range(6) for item in _session(n, "taken" if n in (0, 3) else str(n))]
    answers = service.land_many(ADMIN, iter(items))
    first = next(answers)
    assert [r.landing_position for r in first] in ([1], [1, 2, 3])
    answers.close()  # the caller hangs up before hearing the rest
    _wait_for_receivers()
    stored = {p.parent.parent.name for p in objects.rglob("*.bin")}
    assert stored == {f"ses_{r.landing_position - 1}" for r in first}  # only what landed
    # Nothing is left marked as being landed: the sessions that did not land can land now.
    again = [item for n in range(len(first), 6) for item in _session(n, f"again {n}")]
    positions = [
        r.landing_position for results in service.land_many(ADMIN, iter(again)) for r in results
    ]
    assert positions == list(range(len(first) + 1, 7))


def test_the_failing_session_is_named_after_the_ones_before_it_land(
    lander: tuple[Lander, Path],
) -> None:
    service, objects = lander
    items = [item for n in range(6) for item in _session(n, "taken" if n in (0, 3) else str(n))]
    landed = []
    with pytest.raises(AlreadyExists, match="taken"):
        for results in service.land_many(ADMIN, iter(items)):
            landed += [r.landing_position for r in results]
    assert landed == [1, 2, 3]
    _wait_for_receivers()
    assert {p.parent.parent.name for p in objects.rglob("*.bin")} == {"ses_0", "ses_1", "ses_2"}
    again = [item for n in range(3, 6) for item in _session(n, f"again {n}")]
    positions = [
        r.landing_position for results in service.land_many(ADMIN, iter(again)) for r in results
    ]
    assert positions == [4, 5, 6]
