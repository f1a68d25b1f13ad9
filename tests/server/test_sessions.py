"""The core suite (SQLite and PostgreSQL): sessions, listing, landing rules, trees, conflicts."""

from __future__ import annotations

import time
from typing import Any

import grpc
from google.protobuf import struct_pb2, timestamp_pb2

from micelio.v1 import micelio_pb2 as pb
from tests.support.rpc import (
    ADDED,
    DELETED,
    MODIFIED,
    Api,
    Change,
    expect_error,
    land_requests,
    trailer,
    trailers,
)


def _meta(**values: Any) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def test_start_get_note_decide(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    session = api.start(
        org,
        proj,
        "Add rate limiting",
        session_id="my-session-1",
        conversation=[pb.ConversationMessage(role="human", content="please", author="ana")],
        metadata=_meta(agent="claude", tags=["a", "b"]),
    )
    assert session.session_id == "my-session-1"
    assert session.status == pb.SESSION_STATUS_ACTIVE
    assert session.base_position == 0
    api.sessions.AddMessage(
        pb.AddMessageRequest(
            session_id="my-session-1",
            message=pb.ConversationMessage(role="agent", content="on it", reference="x:1"),
        )
    )
    got = api.sessions.AddDecision(
        pb.AddDecisionRequest(
            session_id="my-session-1",
            decision=pb.Decision(decision="token bucket", reasoning="bursty clients"),
        )
    )
    assert [m.content for m in got.conversation] == ["please", "on it"]
    assert got.conversation[0].author == "ana"
    assert got.conversation[1].reference == "x:1"
    assert got.conversation[1].at.seconds > 0
    assert got.decisions[0].reasoning == "bursty clients"
    fetched = api.sessions.GetSession(pb.GetSessionRequest(session_id="my-session-1"))
    assert fetched.metadata["agent"] == "claude"
    assert list(fetched.metadata["tags"]) == ["a", "b"]
    assert fetched.organization == org and fetched.project == proj
    with expect_error(grpc.StatusCode.ALREADY_EXISTS):
        api.start(org, proj, "again", session_id="my-session-1")


def test_generated_ids_are_unique(api: Api, project: tuple[str, str]) -> None:
    ids = {api.start(*project, f"s{i}").session_id for i in range(5)}
    assert len(ids) == 5


def test_land_metadata_and_header_fields(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    session = api.start(org, proj, "goal")
    landed_at = timestamp_pb2.Timestamp(seconds=1_600_000_000)
    header = pb.LandHeader(
        session_id=session.session_id,
        conversation=[pb.ConversationMessage(role="agent", content="done")],
        decisions=[pb.Decision(decision="ship it")],
        metadata=_meta(reviewed=True),
        landed_at=landed_at,
        external_id="ext:1",
    )
    changes = [
        Change("a.txt", ADDED, b"one\ntwo\n"),
        Change("bin/tool", ADDED, b"#!/bin/sh\n", mode=0o100755),
        Change("link", ADDED, b"a.txt", mode=0o120000),
        Change("vendor/lib", ADDED, b"a" * 40, mode=0o160000),
        Change("blob.bin", ADDED, b"\x00\x01\x02", metadata={"renamed_from": "old.bin"}),
    ]
    result = api.land(land_requests(header, changes))
    assert result.landing_position == 1
    assert result.session.landed_at.seconds == 1_600_000_000
    assert result.session.external_id == "ext:1"
    assert result.session.metadata["reviewed"] is True
    assert [m.content for m in result.session.conversation] == ["done"]
    assert result.session.stats.total == 5 and result.session.stats.added == 5
    listed = api.sessions.ListSessionChanges(
        pb.ListSessionChangesRequest(session_id=session.session_id)
    ).changes
    by_path = {c.file_path: c for c in listed}
    assert by_path["a.txt"].mode == 0o100644
    assert by_path["a.txt"].metadata["lines_added"] == 2
    assert by_path["a.txt"].metadata["binary"] is False
    assert by_path["bin/tool"].mode == 0o100755
    assert by_path["link"].mode == 0o120000
    assert by_path["vendor/lib"].mode == 0o160000
    assert by_path["blob.bin"].metadata["binary"] is True
    assert by_path["blob.bin"].metadata["renamed_from"] == "old.bin"
    found = api.sessions.FindSession(
        pb.FindSessionRequest(organization=org, project=proj, external_id="ext:1")
    )
    assert found.session_id == session.session_id
    latest = api.sessions.FindSession(
        pb.FindSessionRequest(organization=org, project=proj, latest=True)
    )
    assert latest.session_id == session.session_id
    with expect_error(grpc.StatusCode.NOT_FOUND):
        api.sessions.FindSession(
            pb.FindSessionRequest(organization=org, project=proj, external_id="nope")
        )


def test_create_and_land_is_idempotent_by_external_id(api: Api, project: tuple[str, str]) -> None:
    org, proj = project

    def header() -> pb.LandHeader:
        return pb.LandHeader(
            create=pb.StartSessionRequest(organization=org, project=proj, goal="import"),
            external_id="git:abc",
            started_at=timestamp_pb2.Timestamp(seconds=1_500_000_000),
        )

    first = api.land(land_requests(header(), [Change("f", ADDED, b"x")]))
    assert first.landing_position == 1
    assert first.session.started_at.seconds == 1_500_000_000
    with expect_error(grpc.StatusCode.ALREADY_EXISTS) as caught:
        api.land(land_requests(header(), [Change("f", ADDED, b"x")]))
    assert trailer(caught[0], "mic-session-id") == first.session.session_id
    assert first.session.session_id in (caught[0].details() or "")
    project_now = api.projects.GetProject(pb.GetProjectRequest(organization=org, handle=proj))
    assert project_now.head_position == 1


def test_positions_and_tree_at_positions(api: Api, project: tuple[str, str]) -> None:
    org, proj = project

    def land(changes: list[Change]) -> int:
        session = api.start(org, proj, "step")
        header = pb.LandHeader(session_id=session.session_id)
        return api.land(land_requests(header, changes)).landing_position

    assert land([Change("a", ADDED, b"1"), Change("d/b", ADDED, b"2")]) == 1
    assert land([Change("a", MODIFIED, b"11"), Change("d/c", ADDED, b"3")]) == 2
    assert land([Change("d/b", DELETED)]) == 3
    assert land([Change("d/b", ADDED, b"again")]) == 4
    assert set(api.tree(org, proj, 0)) == set()
    assert set(api.tree(org, proj, 1)) == {"a", "d/b"}
    assert set(api.tree(org, proj, 2)) == {"a", "d/b", "d/c"}
    assert set(api.tree(org, proj, 3)) == {"a", "d/c"}
    head = api.tree(org, proj)
    assert set(head) == {"a", "d/b", "d/c"}
    assert head["d/b"].landing_position == 4 and head["a"].landing_position == 2
    assert set(api.tree(org, proj, 4, prefix="d")) == {"d/b", "d/c"}
    assert api.read_file(org, proj, "a", 1) == b"1"
    assert api.read_file(org, proj, "a") == b"11"
    assert api.read_file(org, proj, "d/b") == b"again"
    with expect_error(grpc.StatusCode.NOT_FOUND):
        api.read_file(org, proj, "d/b", 3)
    with expect_error(grpc.StatusCode.NOT_FOUND, "position 9"):
        api.tree(org, proj, 9)


def test_line_counts_against_previous_version(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    first = api.start(org, proj, "one")
    api.land_files(first.session_id, {"t.txt": b"a\nb\nc\n"})
    second = api.start(org, proj, "two")
    api.land(
        land_requests(
            pb.LandHeader(session_id=second.session_id),
            [Change("t.txt", MODIFIED, b"a\nB\nc\nd\n")],
        )
    )
    (change,) = api.sessions.ListSessionChanges(
        pb.ListSessionChangesRequest(session_id=second.session_id)
    ).changes
    assert change.metadata["lines_added"] == 2
    assert change.metadata["lines_deleted"] == 1
    third = api.start(org, proj, "three")
    api.land_files(third.session_id, {"t.txt": None})
    (deletion,) = api.sessions.ListSessionChanges(
        pb.ListSessionChangesRequest(session_id=third.session_id)
    ).changes
    assert deletion.change_type == DELETED and deletion.mode == 0 and deletion.size == 0
    assert deletion.metadata["lines_deleted"] == 4


def test_conflict_names_the_paths(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    api.land_files(api.start(org, proj, "base").session_id, {"shared.txt": b"0", "x": b"0"})
    first = api.start(org, proj, "first")
    second = api.start(org, proj, "second")
    assert first.base_position == second.base_position == 1
    api.land(
        land_requests(
            pb.LandHeader(session_id=first.session_id),
            [Change("shared.txt", MODIFIED, b"1"), Change("y", ADDED, b"")],
        )
    )
    with expect_error(grpc.StatusCode.ABORTED, "shared.txt") as caught:
        api.land(
            land_requests(
                pb.LandHeader(session_id=second.session_id),
                [Change("shared.txt", MODIFIED, b"2"), Change("z", ADDED, b"")],
            )
        )
    assert trailer(caught[0], "mic-conflicting-paths") == "shared.txt"
    still = api.sessions.GetSession(pb.GetSessionRequest(session_id=second.session_id))
    assert still.status == pb.SESSION_STATUS_ACTIVE and still.stats.total == 0
    # Disjoint paths land fine although the base is behind.
    third = api.start(org, proj, "third", has_base_position=True, base_position=1)
    result = api.land(
        land_requests(pb.LandHeader(session_id=third.session_id), [Change("other", ADDED, b"")])
    )
    assert result.landing_position == 3


def test_status_rules(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    landed = api.start(org, proj, "landed")
    api.land_files(landed.session_id, {"a": b"1"})
    with expect_error(grpc.StatusCode.FAILED_PRECONDITION, "landed"):
        api.land_files(landed.session_id, {"b": b"1"})
    with expect_error(grpc.StatusCode.FAILED_PRECONDITION):
        api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=landed.session_id, message=pb.ConversationMessage(role="h", content="x")
            )
        )
    with expect_error(grpc.StatusCode.FAILED_PRECONDITION):
        api.sessions.AbandonSession(pb.AbandonSessionRequest(session_id=landed.session_id))
    dropped = api.start(org, proj, "dropped")
    gone = api.sessions.AbandonSession(
        pb.AbandonSessionRequest(session_id=dropped.session_id, reason="wrong approach")
    )
    assert gone.status == pb.SESSION_STATUS_ABANDONED and gone.abandoned_at.seconds > 0
    assert gone.metadata["abandon_reason"] == "wrong approach"
    with expect_error(grpc.StatusCode.FAILED_PRECONDITION, "abandoned"):
        api.land_files(dropped.session_id, {"c": b"1"})
    with expect_error(grpc.StatusCode.FAILED_PRECONDITION):
        api.sessions.AddDecision(
            pb.AddDecisionRequest(session_id=dropped.session_id, decision=pb.Decision(decision="d"))
        )
    with expect_error(grpc.StatusCode.NOT_FOUND):
        api.sessions.GetSession(pb.GetSessionRequest(session_id="no-such-session"))
    with expect_error(grpc.StatusCode.NOT_FOUND):
        api.start(org, "no-such-project", "x")


def test_list_sessions_filters_and_pages(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    made = []
    for i in range(7):
        session = api.start(org, proj, f"Goal number {i} {'RATE limit' if i % 2 else ''}")
        made.append(session.session_id)
    api.land_files(made[0], {"src/app/main.py": b"x"})
    api.land_files(made[1], {"docs/readme.md": b"x"})
    api.sessions.AbandonSession(pb.AbandonSessionRequest(session_id=made[2]))

    def listing(**kwargs: Any) -> pb.ListSessionsResponse:
        request = pb.ListSessionsRequest(organization=org, project=proj, **kwargs)
        response: pb.ListSessionsResponse = api.sessions.ListSessions(request)
        return response

    everything = listing()
    assert everything.total == 7
    assert [s.session_id for s in everything.sessions] == made[::-1]
    assert [s.session_id for s in listing(oldest_first=True).sessions] == made
    assert {s.session_id for s in listing(status=pb.SESSION_STATUS_LANDED).sessions} == set(
        made[:2]
    )
    assert listing(status=pb.SESSION_STATUS_ABANDONED).sessions[0].session_id == made[2]
    assert listing(status=pb.SESSION_STATUS_ACTIVE).total == 4
    assert [s.session_id for s in listing(text="rate LIMIT").sessions] == [
        made[5],
        made[3],
        made[1],
    ]
    assert [s.session_id for s in listing(path_glob="*.py").sessions] == [made[0]]
    assert [s.session_id for s in listing(path_glob="src/**").sessions] == [made[0]]
    assert [s.session_id for s in listing(path_glob="docs/*.md").sessions] == [made[1]]
    assert listing(path_glob="src/*.py").total == 0
    seen: list[str] = []
    token = ""
    while True:
        page = listing(page_size=3, page_token=token)
        assert page.total == 7
        seen += [s.session_id for s in page.sessions]
        token = page.next_page_token
        if not token:
            break
    assert seen == made[::-1]
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "page token"):
        listing(page_size=3, page_token="garbage!")
    first = listing(page_size=3)
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "page token"):
        listing(page_size=3, page_token=first.next_page_token, text="other filter")
    assert listing(page_size=3).sessions[0].stats.total == 0
    assert [s.stats.total for s in listing(oldest_first=True, page_size=2).sessions] == [1, 1]


def test_list_sessions_searches_any_script_and_the_conversation(
    api: Api, project: tuple[str, str]
) -> None:
    """Text ignores case for every script on both databases, in the goal and the messages;
    a folder glob covers what the folder holds, and a glob costs time linear in the path."""
    org, proj = project
    goals = ["Éclair au café", "ΣΟΦΙΑ", "Привет мир", "Straße bauen", "plain"]
    made = [api.start(org, proj, goal).session_id for goal in goals]
    talk = pb.ConversationMessage(role="human", content="Please fix the ÜBER-Parser")
    made.append(api.start(org, proj, "quiet goal", conversation=[talk]).session_id)
    api.land_files(made[4], {"src/app/main.py": b"x", "a" * 150 + "/b.txt": b"y"})

    def found(**kwargs: Any) -> list[str]:
        request = pb.ListSessionsRequest(organization=org, project=proj, **kwargs)
        return [s.session_id for s in api.sessions.ListSessions(request).sessions]

    assert found(text="éCLAIR") == [made[0]]
    assert found(text="σοφια") == [made[1]]
    assert found(text="ПРИВЕТ") == [made[2]]
    assert found(text="STRASSE") == found(text="straße") == [made[3]]
    assert found(text="über-parser") == [made[5]]
    assert found(text="100%") == []
    assert found(path_glob="src") == found(path_glob="src/") == [made[4]]
    assert found(path_glob="app") == [made[4]]  # no "/": a folder name at any depth
    assert found(path_glob="sr") == []
    started = time.perf_counter()
    assert found(path_glob="**a**a**a**a**ab") == []
    assert time.perf_counter() - started < 5  # backtracking would take minutes


def test_list_changes_pages_and_stats(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    base = api.start(org, proj, "base")
    api.land_files(base.session_id, {f"old{i}": b"x" for i in range(3)})
    session = api.start(org, proj, "many")
    changes = [Change(f"f{i:03}", ADDED, b"%d" % i) for i in range(25)]
    changes += [Change("old0", MODIFIED, b"y"), Change("old1", DELETED)]
    api.land(land_requests(pb.LandHeader(session_id=session.session_id), changes))
    stats = api.sessions.GetSessionChangeStats(pb.GetSessionRequest(session_id=session.session_id))
    assert (stats.total, stats.added, stats.modified, stats.deleted) == (27, 25, 1, 1)
    paths: list[str] = []
    token = ""
    while True:
        page = api.sessions.ListSessionChanges(
            pb.ListSessionChangesRequest(
                session_id=session.session_id, page_size=10, page_token=token
            )
        )
        paths += [c.file_path for c in page.changes]
        token = page.next_page_token
        if not token:
            break
    assert paths == sorted(c.path for c in changes)
    deleted = api.sessions.ListSessionChanges(
        pb.ListSessionChangesRequest(session_id=session.session_id, change_type=DELETED)
    ).changes
    assert [c.file_path for c in deleted] == ["old1"]


def test_non_utf8_raw_paths(api: Api, project: tuple[str, str]) -> None:
    org, proj = project
    session = api.start(org, proj, "bytes")
    raw = b"caf\xe9/na\xefve.txt"
    display = raw.decode("utf-8", "backslashreplace")
    api.land(
        land_requests(
            pb.LandHeader(session_id=session.session_id),
            [Change(display, ADDED, b"latin-1 path", raw_path=raw)],
        )
    )
    entry = api.tree(org, proj)[display]
    assert entry.raw_path == raw
    chunks = api.content.ReadFile(
        pb.ReadFileRequest(organization=org, project=proj, file_path=display, raw_path=raw)
    )
    assert b"".join(c.data for c in chunks) == b"latin-1 path"


def test_projects_and_organizations(api: Api, names: tuple[str, str]) -> None:
    org, proj = names
    api.projects.CreateOrganization(pb.CreateOrganizationRequest(handle=org))
    with expect_error(grpc.StatusCode.ALREADY_EXISTS):
        api.projects.CreateOrganization(pb.CreateOrganizationRequest(handle=org))
    created = api.projects.CreateProject(
        pb.CreateProjectRequest(organization=org, handle=proj, name="The API")
    )
    assert created.name == "The API" and created.head_position == 0
    with expect_error(grpc.StatusCode.ALREADY_EXISTS):
        api.projects.CreateProject(pb.CreateProjectRequest(organization=org, handle=proj))
    again = api.projects.CreateProject(
        pb.CreateProjectRequest(organization=org, handle=proj, exist_ok=True)
    )
    assert again.name == "The API"
    listed = api.projects.ListProjects(pb.ListProjectsRequest(organization=org)).projects
    assert [p.handle for p in listed] == [proj]
    orgs = api.projects.ListOrganizations(pb.ListOrganizationsRequest()).organizations
    assert org in {o.handle for o in orgs}
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "handle"):
        api.projects.CreateOrganization(pb.CreateOrganizationRequest(handle="bad handle/"))
    with expect_error(grpc.StatusCode.NOT_FOUND):
        api.projects.GetProject(pb.GetProjectRequest(organization=org, handle="nope"))


def test_conflict_on_many_paths_stays_within_metadata_limits(
    api: Api, project: tuple[str, str]
) -> None:
    org, proj = project
    paths = [f"dir/{'long-name-' * 8}{i:04}.txt" for i in range(400)]
    api.land_files(api.start(org, proj, "base").session_id, dict.fromkeys(paths, b"0"))
    first = api.start(org, proj, "first")
    second = api.start(org, proj, "second")
    api.land_files(first.session_id, dict.fromkeys(paths, None))
    with expect_error(grpc.StatusCode.ABORTED, paths[2]) as caught:
        api.land_files(second.session_id, dict.fromkeys([*paths[:3], "new"], None))
    assert "more" not in (caught[0].details() or "")
    assert trailers(caught[0], "mic-conflicting-paths") == paths[:3]
    with expect_error(grpc.StatusCode.ABORTED, "more") as caught:
        api.land(
            land_requests(
                pb.LandHeader(session_id=second.session_id),
                [Change(p, MODIFIED, b"2") for p in paths],
            )
        )
    listed = trailers(caught[0], "mic-conflicting-paths")
    assert listed == paths[: len(listed)] and 10 < len(listed) < 400
