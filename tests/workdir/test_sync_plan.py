"""The pure planning of ``mic sync``: which paths the target changed, the marker labels, the
order of the operations (deletions, moves aside, writes), and the marker test of resolve."""

from __future__ import annotations

from dataclasses import dataclass

from micelio.vocabulary import ConflictKind, FileMode
from micelio.workdir.conflicts import Version, merge_trees
from micelio.workdir.sync import labels, plan_ops, their_changes
from micelio.workdir.syncstate import OpKind, has_markers


@dataclass(frozen=True)
class Entry:
    path: bytes
    mode: int
    size: int
    sha256: str


def _tree(**files: str) -> dict[bytes, Entry]:
    return {k.encode(): Entry(k.encode(), FileMode.FILE, 1, sha) for k, sha in files.items()}


def test_their_changes_are_additions_modifications_deletions_and_mode_changes() -> None:
    base = _tree(a="1", b="2", c="3")
    target = _tree(a="1", b="9", d="4")
    target[b"a"] = Entry(b"a", FileMode.EXECUTABLE, 1, "1")
    changed = their_changes(base, target)
    assert sorted(changed) == [b"a", b"b", b"c", b"d"]
    assert changed[b"c"] is None and changed[b"d"] == target[b"d"]


def test_labels_name_the_session_and_positions() -> None:
    got = labels("ses_x", 3, 7, 7)
    assert (got.ours, got.theirs, got.base) == ("session ses_x (base @3)", "head @7", "base @3")
    assert labels(None, 3, 5, 7).theirs == "@5" and labels(None, 3, 5, 7).ours.startswith("local")


def test_operations_delete_then_move_aside_then_write() -> None:
    v = Version(FileMode.FILE, b"x\n")
    base = {b"f": v, b"g": v}
    # Theirs: f becomes a folder (f/x), g is deleted; ours: adds h.
    plan = merge_trees(
        base,
        {b"h": Version(FileMode.FILE, b"h\n")},
        {b"f": None, b"f/x": v, b"g": None},
        labels("s", 1, 2, 2),
    )
    ops, versions = plan_ops(plan, {b"junk": b"junk.mine"}, [b"f", b"g", b"h"])
    assert [(op.kind, op.path) for op in ops] == [
        (OpKind.DELETE, b"f"),
        (OpKind.DELETE, b"g"),
        (OpKind.MOVE, b"junk"),
        (OpKind.WRITE, b"f/x"),
    ]
    assert [op.backup for op in ops] == [True, True, False, False]
    assert versions == {3: v}


def test_a_file_folder_conflict_writes_its_side_file_and_backs_up_ours() -> None:
    plan = merge_trees(
        {},
        {b"d": Version(FileMode.FILE, b"mine\n")},
        {b"d/x": Version(FileMode.FILE, b"x\n")},
        labels("s", 1, 2, 2),
    )
    ops, versions = plan_ops(plan, {}, [b"d"])
    assert [(op.kind, op.path, op.backup) for op in ops] == [
        (OpKind.DELETE, b"d", True),
        (OpKind.WRITE, b"d.mine", False),
        (OpKind.WRITE, b"d/x", False),
    ]
    assert versions[1].data == b"mine\n"
    assert plan.conflicted[0].conflicts == (ConflictKind.FILE_FOLDER,)


def test_markers_count_only_at_a_line_start() -> None:
    assert has_markers(b"a\n<<<<<<< session s\nb\n")
    assert has_markers(b">>>>>>> head @2\n")
    assert not has_markers(b"a <<<<<<< b\n======= only\n")


def test_an_unedited_tracked_file_is_restored_from_the_base_not_backed_up() -> None:
    v = Version(FileMode.FILE, b"x\n")
    plan = merge_trees(
        {b"a": v, b"b": v},
        {b"b": Version(FileMode.FILE, b"edited\n")},
        {b"a": Version(FileMode.FILE, b"a2\n"), b"b": Version(FileMode.FILE, b"x\nb2\n")},
        labels("s", 1, 2, 2),
    )
    base = _tree(a="sha-a", b="sha-b")
    ops, _ = plan_ops(plan, {}, [b"a", b"b"], {b"a": base[b"a"]})
    assert [(op.path, op.backup, op.base_sha256) for op in ops] == [
        (b"a", False, "sha-a"),
        (b"b", True, ""),
    ]
