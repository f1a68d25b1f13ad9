"""``merge_trees``: per-path actions, side files, and file/folder clashes."""

from __future__ import annotations

from micelio.vocabulary import ConflictKind, FileMode
from micelio.workdir.conflicts import (
    Action,
    PathPlan,
    SideFile,
    TreeMergePlan,
    Version,
    merge_trees,
)
from micelio.workdir.merge import Labels

LABELS = Labels("session ses_01 (base @3)", "head @5")


def v(data: bytes, mode: FileMode = FileMode.FILE) -> Version:
    return Version(mode, data)


BASE = {b"keep.txt": v(b"k\n"), b"a.txt": v(b"1\n2\n3\n4\n5\n"), b"dir/x": v(b"x\n")}


def plan_of(result: TreeMergePlan) -> dict[bytes, PathPlan]:
    return {p.path: p for p in result.paths}


def test_one_sided_changes_keep_or_apply() -> None:
    plan = merge_trees(
        BASE,
        {b"mine.txt": v(b"m\n"), b"dir/x": None},
        {b"new.txt": v(b"n\n"), b"keep.txt": None},
        LABELS,
    )
    assert plan.clean
    assert plan.paths == (
        PathPlan(b"dir/x", Action.KEEP),  # our deletion: already done here
        PathPlan(b"keep.txt", Action.DELETE),
        PathPlan(b"mine.txt", Action.KEEP),
        PathPlan(b"new.txt", Action.WRITE, v(b"n\n")),
    )


def test_both_changed_a_file() -> None:
    ours = {b"a.txt": v(b"ONE\n2\n3\n4\n5\n")}
    plan = merge_trees(BASE, ours, {b"a.txt": v(b"1\n2\n3\n4\nFIVE\n")}, LABELS)
    assert plan.paths == (PathPlan(b"a.txt", Action.WRITE, v(b"ONE\n2\n3\n4\nFIVE\n")),)
    plan = merge_trees(BASE, ours, {b"a.txt": v(b"uno\n2\n3\n4\n5\n")}, LABELS)
    [conflict] = plan.conflicted
    assert conflict.conflicts == (ConflictKind.CONTENT,)
    assert conflict.action == Action.WRITE and conflict.version is not None
    assert conflict.version.data.startswith(b"<<<<<<< session ses_01 (base @3)\nONE\n=======\nuno")


def test_binary_conflict_keeps_ours_and_writes_theirs_beside() -> None:
    base = {b"img.png": v(b"\0base")}
    plan = merge_trees(base, {b"img.png": v(b"\0ours")}, {b"img.png": v(b"\0theirs")}, LABELS)
    assert plan.paths == (
        PathPlan(
            b"img.png",
            Action.KEEP,
            conflicts=(ConflictKind.BINARY,),
            side_files=(SideFile(b"img.png.theirs", v(b"\0theirs")),),
        ),
    )


def test_a_side_file_name_never_takes_an_existing_path() -> None:
    base = {b"img": v(b"\0base"), b"img.theirs": v(b"someone's file\n")}
    plan = merge_trees(base, {b"img": v(b"\0ours")}, {b"img": v(b"\0theirs")}, LABELS)
    assert plan_of(plan)[b"img"].side_files == (SideFile(b"img.theirs~1", v(b"\0theirs")),)


def test_modify_delete_keeps_the_modified_file() -> None:
    modified = v(b"1\n2\n3\n4\n5\n6\n")
    plan = plan_of(merge_trees(BASE, {b"a.txt": modified}, {b"a.txt": None}, LABELS))
    assert plan[b"a.txt"] == PathPlan(
        b"a.txt", Action.KEEP, conflicts=(ConflictKind.MODIFY_DELETE,)
    )
    plan = plan_of(merge_trees(BASE, {b"a.txt": None}, {b"a.txt": modified}, LABELS))
    assert plan[b"a.txt"] == PathPlan(
        b"a.txt", Action.WRITE, modified, conflicts=(ConflictKind.DELETE_MODIFY,)
    )


def test_their_folder_where_our_file_is() -> None:
    # We edited the file a.txt; they made a.txt a folder.
    ours = {b"a.txt": v(b"mine\n")}
    theirs = {b"a.txt": None, b"a.txt/inner": v(b"inner\n")}
    plan = plan_of(merge_trees(BASE, ours, theirs, LABELS))
    assert plan[b"a.txt"] == PathPlan(
        b"a.txt",
        Action.DELETE,
        conflicts=(ConflictKind.MODIFY_DELETE, ConflictKind.FILE_FOLDER),
        side_files=(SideFile(b"a.txt.mine", v(b"mine\n")),),
    )
    assert plan[b"a.txt/inner"] == PathPlan(b"a.txt/inner", Action.WRITE, v(b"inner\n"))


def test_their_file_where_our_folder_is() -> None:
    ours = {b"dir/x": None, b"dir/y/z": v(b"z\n")}
    theirs = {b"dir/x": None, b"dir": v(b"a file now\n")}
    plan = plan_of(merge_trees(BASE, ours, theirs, LABELS))
    assert plan[b"dir"] == PathPlan(
        b"dir",
        Action.KEEP,
        conflicts=(ConflictKind.FILE_FOLDER,),
        side_files=(SideFile(b"dir.theirs", v(b"a file now\n")),),
    )
    assert plan[b"dir/y/z"] == PathPlan(b"dir/y/z", Action.KEEP)
    assert plan[b"dir/x"] == PathPlan(b"dir/x", Action.KEEP)


def test_a_file_and_a_folder_both_added() -> None:
    plan = plan_of(merge_trees(BASE, {b"new": v(b"file\n")}, {b"new/f": v(b"f\n")}, LABELS))
    assert plan[b"new"] == PathPlan(
        b"new",
        Action.DELETE,
        conflicts=(ConflictKind.FILE_FOLDER,),
        side_files=(SideFile(b"new.mine", v(b"file\n")),),
    )
    assert plan[b"new/f"].action == Action.WRITE


def test_a_folder_we_deleted_that_they_turned_into_a_file_is_clean() -> None:
    plan = merge_trees(BASE, {b"dir/x": None}, {b"dir/x": None, b"dir": v(b"d\n")}, LABELS)
    assert plan.clean
    assert plan_of(plan)[b"dir"] == PathPlan(b"dir", Action.WRITE, v(b"d\n"))


def test_a_symlink_conflict_keeps_their_target_beside() -> None:
    link = FileMode.SYMLINK
    base = {b"ln": v(b"t", link)}
    plan = merge_trees(base, {b"ln": v(b"mine", link)}, {b"ln": v(b"yours", link)}, LABELS)
    assert plan.paths == (
        PathPlan(
            b"ln",
            Action.KEEP,
            conflicts=(ConflictKind.SYMLINK,),
            side_files=(SideFile(b"ln.theirs", v(b"yours", link)),),
        ),
    )
