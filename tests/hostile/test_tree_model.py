"""A LandSessions stream checks tree shapes against its own model of the tree, moved to the
head now and then: what other clients land meanwhile must still be caught at the commit, and
the model must agree with the tree it stands for."""

from __future__ import annotations

import queue
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from micelio.service.tree_shape import Landed, Shape, TreeModel, parents
from micelio.testing import MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from micelio.vocabulary import ChangeType
from tests.support.rpc import ADDED, Api, Change, land_requests

END = object()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicServer]:
    running = start_mic_server(Path(tmp_path_factory.mktemp("tree-model")) / "data")
    yield running
    running.stop()


def test_a_file_landed_by_another_client_behind_the_model_is_refused(server: MicServer) -> None:
    """The stream's model is loaded after its first session; another client then lands the
    file ``x``; the stream's next session adds ``x/y``: its model does not know ``x`` yet,
    so the commit's check of what landed since the model's position refuses it."""
    tag = uuid.uuid4().hex[:8]
    org, proj = f"org-{tag}", "p"
    with Api(server.address, server.token) as api:
        api.project(org, proj)

        def create(goal: str) -> pb.LandHeader:
            return pb.LandHeader(
                create=pb.StartSessionRequest(organization=org, project=proj, goal=goal)
            )

        outbox: queue.Queue[object] = queue.Queue()

        def requests() -> Iterator[pb.LandSessionRequest]:
            while (items := outbox.get(timeout=30)) is not END:
                yield pb.LandSessionRequest(items=items)  # type: ignore[arg-type]

        outbox.put(list(land_requests(create("first"), [Change("a", ADDED, b"1")])))
        # A second session ends the first (its header arrives); it waits for its own end.
        outbox.put(list(land_requests(create("second"), [Change("b", ADDED, b"2")])))
        responses = api.sessions.LandSessions(requests())
        assert [r.session.goal for r in next(responses).landed] == ["first"]
        # Another client lands the file x while the stream is open.
        other = api.start(org, proj)
        api.land(
            land_requests(pb.LandHeader(session_id=other.session_id), [Change("x", ADDED, b"x")])
        )
        outbox.put(list(land_requests(create("third"), [Change("x/y", ADDED, b"3")])))
        outbox.put(END)
        landed: list[str] = []
        with pytest.raises(grpc.RpcError) as info:
            for response in responses:
                landed.extend(r.session.goal for r in response.landed)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "duplicateEntries" in (info.value.details() or "")
        assert landed == ["second"]
        assert set(api.tree(org, proj)) == {"a", "b", "x"}


def test_a_stream_s_own_file_from_an_earlier_group_is_refused_as_a_folder(
    server: MicServer,
) -> None:
    """The stream lands ``x`` in one group commit, then sends ``x/y``: its model (loaded
    before ``x`` landed) and its commit's carried-over changes must still see ``x``."""
    tag = uuid.uuid4().hex[:8]
    org, proj = f"org-{tag}", "p"
    with Api(server.address, server.token) as api:
        api.project(org, proj)

        def create(goal: str) -> pb.LandHeader:
            return pb.LandHeader(
                create=pb.StartSessionRequest(organization=org, project=proj, goal=goal)
            )

        outbox: queue.Queue[object] = queue.Queue()

        def requests() -> Iterator[pb.LandSessionRequest]:
            while (items := outbox.get(timeout=30)) is not END:
                yield pb.LandSessionRequest(items=items)  # type: ignore[arg-type]

        outbox.put(list(land_requests(create("a"), [Change("a", ADDED, b"1")])))
        outbox.put(list(land_requests(create("x"), [Change("x", ADDED, b"2")])))
        responses = api.sessions.LandSessions(requests())
        assert [r.session.goal for r in next(responses).landed] == ["a"]
        outbox.put(list(land_requests(create("b"), [Change("b", ADDED, b"3")])))
        assert [r.session.goal for r in next(responses).landed] == ["x"]
        outbox.put(list(land_requests(create("x/y"), [Change("x/y", ADDED, b"4")])))
        outbox.put(END)
        landed: list[str] = []
        with pytest.raises(grpc.RpcError) as info:
            for response in responses:
                landed.extend(r.session.goal for r in response.landed)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert landed == ["b"]
        assert set(api.tree(org, proj)) == {"a", "b", "x"}


def _reference(tree: set[str], shape: Shape) -> bool:
    """The rule, by brute force: after the session, one of its entries lies under an entry,
    or has one under it."""
    after = (tree - shape.deleted) | set(shape.entries())
    return any(folder in after for entry in shape.entries() for folder in parents(entry)) or any(
        path.startswith(entry + "/") for entry in shape.entries() for path in after
    )


def test_the_model_agrees_with_the_rule_on_random_trees() -> None:
    rng = random.Random(14)
    names = ["a", "b", "a/b", "a/c", "b/a", "a/b/c", "a/b/d", "c", "c/a/b"]
    for _ in range(3000):
        tree: set[str] = set()
        for name in rng.sample(names, rng.randint(0, 5)):
            if not any(f in tree for f in parents(name)) and not any(
                t.startswith(name + "/") for t in tree
            ):
                tree.add(name)
        model = TreeModel(position=1)
        model.apply((path, ChangeType.ADDED) for path in sorted(tree))
        changes = [
            (path, ChangeType.DELETED if path in tree and rng.random() < 0.5 else ChangeType.ADDED)
            for path in rng.sample(names, rng.randint(1, 3))
        ]
        shape = Shape.of(changes)
        within = any(shape.is_entry(f) for p in shape.entries() for f in parents(p))
        if within:
            continue  # refused before any tree is asked
        expected = _reference(tree, shape)
        assert model.clashes(shape) == expected, (tree, changes)
        # The commit's check of what landed since agrees, and names both sides.
        landed = Landed()
        landed.apply((path, ChangeType.ADDED) for path in sorted(tree))
        pairs = landed.clashes(shape)
        assert bool(pairs) == expected, (tree, changes)
        assert all(under.startswith(entry + "/") for entry, under in pairs)
    # Deleting and re-adding keep the counts: an emptied folder no longer counts.
    model = TreeModel(position=1)
    model.apply([("x/y", ChangeType.ADDED), ("x/y", ChangeType.DELETED)])
    assert not model.clashes(Shape.of([("x", ChangeType.ADDED)]))
