"""Pages stay fast at scale: 100,000 sessions in a project and a session of 10,000 changes.

The rows are written straight into a fresh (migrated) SQLite database, which a real server
process then serves: landing that many sessions through gRPC would take minutes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import insert, update

from micelio.config import default_db_url
from micelio.database.engine import Database
from micelio.database.migrate import upgrade
from micelio.database.models import Base, Organization, Project
from micelio.testing import MicServer
from tests.support.web import Answer, Site

SESSIONS = 100_000
BIG = 10_000
NEEDLE_AT = 31_337
#: A bound on one page of the viewer, in seconds. The target is well under 1 s; this bound is
#: ten times that so a loaded CI never flakes, and still catches what it is for: a page that
#: pages by OFFSET, counts or filters row by row, or loads every row of 100,000 sessions or
#: 10,000 changes (minutes, not seconds).
FAST = 10.0
BATCH = 5_000


def _sessions(project_id: int, start: datetime) -> Iterator[tuple[dict[str, Any], int]]:
    """Rows of the bulk sessions and their landing positions (0: not landed)."""
    position = 0
    for i in range(1, SESSIONS + 1):
        status = "active" if i % 20 == 0 else "abandoned" if i % 20 == 10 else "landed"
        at = start + timedelta(minutes=i)
        landed = status == "landed"
        position += landed
        content = "the zebra-quokka needle" if i == NEEDLE_AT else f"message {i}"
        yield (
            {
                "session_id": f"bulk-{i:06d}",
                "project_id": project_id,
                "goal": f"bulk session {i}",
                "_message": content,  # a row of session_messages (flush writes it)
                "message_count": 1,
                "decision_count": 0,
                "conversation_bytes": 0,
                "metadata": {},
                "status": status,
                "started_at": at,
                "landed_at": at if landed else None,
                "abandoned_at": at if status == "abandoned" else None,
                "base_position": max(0, position - 1),
                "landing_position": position if landed else None,
            },
            position if landed else 0,
        )


def build(data_dir: Path) -> dict[str, Any]:
    db = Database(default_db_url(data_dir))
    upgrade(db.engine)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    sessions, changes = Base.metadata.tables["sessions"], Base.metadata.tables["session_changes"]
    messages = Base.metadata.tables["session_messages"]
    with db.engine.begin() as conn:
        org_id = conn.execute(
            insert(Organization).values(handle="bulk").returning(Organization.id)
        ).scalar_one()
        project_id = conn.execute(
            insert(Project)
            .values(organization_id=org_id, handle="big", name="big", head_position=0)
            .returning(Project.id)
        ).scalar_one()
        batch: list[dict[str, Any]] = []
        positions: list[int] = []
        head = 0

        def flush() -> None:
            said = [row.pop("_message") for row in batch]
            conn.execute(insert(sessions), batch)
            first = int(
                conn.exec_driver_sql(
                    "SELECT id FROM sessions WHERE session_id = ?", (batch[0]["session_id"],)
                ).scalar_one()
            )
            conn.execute(
                insert(messages),
                [
                    {
                        "session_pk": first + n,
                        "role": "human",
                        "content": content,
                        "author": "",
                        "reference": "",
                        "at": row["started_at"],
                    }
                    for n, (row, content) in enumerate(zip(batch, said, strict=True))
                ],
            )
            rows = [
                {
                    "session_pk": first + n,
                    "project_id": project_id,
                    "landing_position": pos,
                    "file_path": (path := f"src/m{(first + n) % 100:02d}/f{(first + n) % 7}.py"),
                    "path_key": path,  # plain UTF-8 without "%": the key is the path
                    "change_type": "modified",
                    "content": b"x",
                    "size": 1,
                    "mode": 0o100644,
                    "metadata": {},
                }
                for n, pos in enumerate(positions)
                if pos
            ]
            conn.execute(insert(changes), rows)
            batch.clear()
            positions.clear()

        for row, position in _sessions(project_id, start):
            batch.append(row)
            positions.append(position)
            head = max(head, position)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        head += 1
        big_at = start + timedelta(minutes=SESSIONS + 1)
        big_pk = conn.execute(
            insert(sessions)
            .values(
                session_id="bulk-big",
                project_id=project_id,
                goal="ten thousand files",
                message_count=0,
                decision_count=0,
                conversation_bytes=0,
                metadata={},
                status="landed",
                started_at=big_at,
                landed_at=big_at,
                base_position=head - 1,
                landing_position=head,
            )
            .returning(sessions.c.id)
        ).scalar_one()
        conn.execute(
            insert(changes),
            [
                {
                    "session_pk": big_pk,
                    "project_id": project_id,
                    "landing_position": head,
                    "file_path": f"big/{j:05d}.txt",
                    "path_key": f"big/{j:05d}.txt",
                    "change_type": "added",
                    "content": b"y",
                    "size": 1,
                    "mode": 0o100644,
                    "metadata": {},
                }
                for j in range(BIG)
            ],
        )
        conn.execute(update(Project).where(Project.id == project_id).values(head_position=head))
    db.dispose()
    return {"head": head}


@pytest.fixture(scope="module")
def big_site(mic_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Site:
    data_dir = tmp_path_factory.mktemp("web-scale")
    build(data_dir)
    server: MicServer = mic_server(data_dir=data_dir)
    return Site(server, server.token, "", "")


def timed(site: Site, path: str) -> tuple[Answer, float]:
    started = time.perf_counter()
    answer = site.get(path)
    elapsed = time.perf_counter() - started
    assert answer.status == 200, (path, answer.status, answer.body[:500])
    return answer, elapsed


def rows(answer: Answer) -> list[str]:
    return re.findall(r'<a href="/s/(bulk-[^"]+)">', answer.body)


def next_link(answer: Answer) -> str:
    found = re.search(r'<a rel="next" href="([^"]+)"', answer.body)
    assert found, "a next page"
    return found.group(1).replace("&amp;", "&")


def test_listing_100000_sessions_is_fast_at_both_ends(big_site: Site) -> None:
    base = "/o/bulk/big"
    first, elapsed = timed(big_site, base)
    assert elapsed < FAST, elapsed
    assert "100,001 sessions" in first.body
    assert rows(first)[:2] == ["bulk-big", "bulk-100000"]
    second, elapsed = timed(big_site, next_link(first))
    assert elapsed < FAST, elapsed
    assert rows(second)[0] == "bulk-099951"
    # The far end: the key, not an offset, says where a page starts.
    deep, elapsed = timed(big_site, f"{base}?after=bulk-000060")
    assert elapsed < FAST, elapsed
    assert rows(deep) == [f"bulk-{i:06d}" for i in range(59, 9, -1)]
    oldest, elapsed = timed(big_site, f"{base}?sort=oldest&status=abandoned&after=bulk-099910")
    assert elapsed < FAST, elapsed
    assert rows(oldest) == ["bulk-099930", "bulk-099950", "bulk-099970", "bulk-099990"]
    previous, elapsed = timed(big_site, f"{base}?before=bulk-000060")
    assert elapsed < FAST, elapsed
    assert rows(previous)[-1] == "bulk-000061" and len(rows(previous)) == 50


def test_searching_and_path_filters_on_100000_sessions(big_site: Site) -> None:
    found, elapsed = timed(big_site, "/o/bulk/big?" + urlencode({"q": "Zebra-Quokka"}))
    assert elapsed < FAST, elapsed
    assert rows(found) == [f"bulk-{NEEDLE_AT:06d}"]
    by_path, elapsed = timed(big_site, "/o/bulk/big?" + urlencode({"path": "src/m07/*.py"}))
    assert elapsed < FAST, elapsed
    assert len(rows(by_path)) == 50 and "sessions matching" in by_path.body
    landed, elapsed = timed(big_site, "/o/bulk/big?status=landed&sort=oldest")
    assert elapsed < FAST, elapsed
    assert rows(landed)[0] == "bulk-000001"


def test_a_session_with_10000_changes_shows_its_first_page_fast(big_site: Site) -> None:
    page, elapsed = timed(big_site, "/s/bulk-big")
    assert elapsed < FAST, elapsed
    paths = re.findall(r'<span class="path">(big/\d+\.txt)</span>', page.body)
    assert paths == [f"big/{j:05d}.txt" for j in range(200)]
    assert "10,000" in page.body
    _, elapsed = timed(big_site, next_link(page))
    assert elapsed < FAST, elapsed


def test_timeline_and_history_at_scale(big_site: Site) -> None:
    timeline, elapsed = timed(big_site, "/o/bulk/big/timeline")
    assert elapsed < FAST, elapsed
    assert timeline.body.count("<circle") == 500
    query = urlencode({"path": "src/m07/f0.py"})
    history, elapsed = timed(big_site, f"/o/bulk/big/history?{query}")
    assert elapsed < FAST, elapsed
    assert history.body.count("<tr>") == 101  # the header and a page of 100


def test_the_folder_browser_over_105000_changes_and_a_folder_of_10000_files(
    big_site: Site,
) -> None:
    root, elapsed = timed(big_site, "/o/bulk/big/tree")
    assert elapsed < FAST, elapsed
    assert "2 folders, 0 files" in root.body  # big/ and src/, each version counted once
    assert re.findall(r'class="folder" href="[^"]*">([^<]+)</a>', root.body) == ["big/", "src/"]
    folder, elapsed = timed(big_site, "/o/bulk/big/tree?path=big")
    assert elapsed < FAST, elapsed
    assert "0 folders, 10,000 files" in folder.body
    names = re.findall(r'<td class="name"><a href="[^"]*">([^<]+)</a>', folder.body)
    assert names == [f"{j:05d}.txt" for j in range(200)]
    deep, elapsed = timed(big_site, "/o/bulk/big/tree?path=big&after=f:09899.txt")
    assert elapsed < FAST, elapsed
    names = re.findall(r'<td class="name"><a href="[^"]*">([^<]+)</a>', deep.body)
    assert names == [f"{j:05d}.txt" for j in range(9900, 10_000)]
    assert 'rel="next"' not in deep.body
    src, elapsed = timed(big_site, "/o/bulk/big/tree?path=src/m07")
    assert elapsed < FAST, elapsed
    assert "0 folders, 7 files" in src.body
