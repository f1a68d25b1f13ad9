"""Streaming the first-parent history of a ref as :class:`Commit` records, oldest first.

Two streams run side by side, both in first-parent order:

* one ``git log --raw -z`` lists each commit's changes against its first parent (against
  the empty tree for a root commit, ``--diff-merges=first-parent`` for merges);
* ``git rev-list | git cat-file --batch --buffer`` hands over each commit object as stored,
  which we parse ourselves: ``--format`` placeholders cannot say whether a commit carries a
  ``gpgsig`` header without running gpg (``%G?``, which also answers "N" for a signature it
  cannot check), rewrite time zones (``+051800`` comes out as ``+51800``, ``-0000`` as
  ``+0000``) and lose idents' exact bytes; the raw object has all of it. The pipeline
  costs about a quarter of ``git log``'s time and runs beside it: on 20,000 commits the
  whole walk takes about as long as ``git log`` alone on a 2-core machine
  (``bench/walk_speed.py``).

A merge's ``brought_in`` commits (reachable from its other parents, not from its first parent)
come from one ``git rev-list --parents`` of the history after the first merge's first parent:
every commit off the first-parent chain is brought in by exactly one merge, the first chain
commit that reaches it, so one backwards search per merge that stops at commits already seen
assigns them all.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Generator, Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, NamedTuple

from importers.git.blobs import BlobReader, read_body, read_header
from importers.git.gitcmd import (
    GitError,
    GitProcess,
    RepoPath,
    git_stream,
    run_git,
    split_nul,
)
from importers.history import Commit, RawChange, Signature, Tag

LOG_ARGS = (
    "log",
    "--first-parent",
    "--reverse",
    "--topo-order",
    "-z",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "--root",
    "--diff-merges=first-parent",
    "--encoding=none",
    # Settings a user may have that would change or hide entries of the raw diff.
    "--no-relative",
    "--ignore-submodules=none",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "--no-mailmap",
    "--format=%x01%H",  # \x01 cannot start a raw entry (":...") so it marks a commit
)
_COMMIT_MARK = 0x01
_SIGNATURE_HEADERS = (b"gpgsig", b"gpgsig-sha256")
_SIGNATURE_STARTS = (
    b"-----BEGIN PGP SIGNATURE-----",
    b"-----BEGIN PGP MESSAGE-----",
    b"-----BEGIN SSH SIGNATURE-----",
    b"-----BEGIN SIGNED MESSAGE-----",
)


# -- refs ----------------------------------------------------------------------------------


class ResolvedRef(NamedTuple):
    """What a revision names: ``name`` is the full ref name when it is a ref
    (``refs/heads/main``; ``HEAD`` when detached), else the revision as given."""

    name: str
    oid: str


def resolve_ref(repo: RepoPath, ref: str | None = None) -> ResolvedRef:
    """The commit a ref (branch, tag, id, any revision; default ``HEAD``) names.

    Works on bare and non-bare repositories; raises ``ValueError`` when there is no such
    commit (an unknown name, an unborn ``HEAD``, a tag of a tree) and :class:`GitError` when
    ``repo`` is not a repository.
    """
    name = ref or "HEAD"
    if "\n" in name or "\0" in name:
        raise ValueError(f"not a revision: {name!r}")
    args = ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"]
    try:
        oid = run_git(repo, args).decode("ascii").strip()
    except GitError as error:
        run_git(repo, ["rev-parse", "--git-dir"])  # not a repository: let git's words through
        raise ValueError(f"{name!r} names no commit in {repo}") from error
    full = b""
    if not name.startswith("-"):  # verified above, so no option; no ref name starts with "-"
        full = run_git(repo, ["rev-parse", "--symbolic-full-name", name]).strip()
    return ResolvedRef(full.decode("utf-8", "backslashreplace") or name, oid)


def first_parent_chain(repo: RepoPath, ref: str | None = None) -> list[str]:
    """The ids of the first-parent chain of ``ref``, oldest first."""
    tip = resolve_ref(repo, ref).oid
    out = run_git(repo, ["rev-list", "--first-parent", "--reverse", tip, "--"])
    return out.decode("ascii").split()


# -- the walk ------------------------------------------------------------------------------


def walk(
    repo: RepoPath,
    ref: str | None = None,
    since: str | None = None,
    *,
    brought_in: bool = True,
) -> Generator[Commit, None, None]:
    """The first-parent commits of ``ref`` (default ``HEAD``), oldest first, with changes.

    With ``since`` (a commit of that chain), only the commits after it. Merges carry their
    ``brought_in`` commits unless ``brought_in=False``. Raises ``ValueError`` if ``since`` is
    not on the chain.
    """
    tip = resolve_ref(repo, ref).oid
    base = resolve_ref(repo, since).oid if since else None
    revisions = [tip] if base is None else [tip, f"^{base}"]
    with ExitStack() as stack:
        log = stack.enter_context(git_stream(repo, [*LOG_ARGS, *revisions, "--"]))
        objects = stack.enter_context(_CommitObjects.open(repo, revisions))
        reader = stack.enter_context(BlobReader(repo))
        merges = _MergeGraph(repo, tip, reader) if brought_in else None
        first = True
        # Chain commits wait here until the brought-in commits of a whole window of them are
        # read in one pipelined request: one per merge cost a round trip to cat-file each.
        window: list[tuple[str, tuple[RawChange, ...], CommitFields, list[str]]] = []
        waiting = 0
        for oid, changes in _log_entries(log.stdout):
            fields = parse_commit(objects.next_body(oid))
            parents = fields.parents
            if first and base is not None and parents[:1] != (base,):
                raise ValueError(f"{since!r} is not on the first-parent chain of {tip}")
            first = False
            if merges is None:
                yield fields.commit(oid, changes, ())
                continue
            found = merges.brought_in_ids(oid, parents)
            window.append((oid, changes, fields, found))
            waiting += len(found)
            if len(window) >= _WINDOW_COMMITS or waiting >= _WINDOW_BROUGHT_IN:
                yield from merges.complete(window)
                window, waiting = [], 0
        if merges is not None:
            yield from merges.complete(window)
        _raise_if_failed(log)  # a log that died early looks like a shorter history
        objects.expect_end()
        if first and base is not None and base != tip:
            raise ValueError(f"{since!r} is not on the first-parent chain of {tip}")


def _log_entries(stream: IO[bytes]) -> Iterator[tuple[str, tuple[RawChange, ...]]]:
    """``(commit id, changes)`` from ``git log -z --raw --format=%x01%H``.

    Tokens come NUL-terminated: ``\\x01<oid>``, then per change ``[\\n]:<meta>`` and the path.
    A path may start with anything, so tokens are read as meta/path pairs, never guessed.
    """
    oid: str | None = None
    changes: list[RawChange] = []
    meta: bytes | None = None
    for token in split_nul(stream):
        if meta is not None:
            changes.append(_raw_change(meta, token))
            meta = None
        elif token and token[0] == _COMMIT_MARK:
            if oid is not None:
                yield oid, tuple(changes)
            oid, changes = token[1:].decode("ascii"), []
        elif token.startswith((b"\n:", b":")):
            meta = token
        elif token.strip():
            raise RuntimeError(f"unexpected git log output: {token[:80]!r}")
    if oid is not None:
        yield oid, tuple(changes)


def _raw_change(meta: bytes, path: bytes) -> RawChange:
    # ":<old mode> <new mode> <old oid> <new oid> <status>[score]"
    old_mode, new_mode, old_oid, new_oid, status = meta.lstrip(b"\n:").split(b" ")
    return RawChange(
        status=status[:1].decode("ascii"),
        path=path,
        old_mode=int(old_mode, 8),
        new_mode=int(new_mode, 8),
        old_oid=old_oid.decode("ascii"),
        new_oid=new_oid.decode("ascii"),
    )


class _CommitObjects:
    """The chain's commit objects as stored, in ``git log``'s order (rev-list | cat-file)."""

    def __init__(self, rev_list: GitProcess, cat_file: GitProcess) -> None:
        self.rev_list = rev_list
        self.cat_file = cat_file

    @classmethod
    @contextmanager
    def open(cls, repo: RepoPath, revisions: list[str]) -> Iterator[_CommitObjects]:
        with ExitStack() as stack:
            args = ["rev-list", "--first-parent", "--reverse", "--topo-order", *revisions, "--"]
            rev_list = stack.enter_context(git_stream(repo, args))
            cat_file = stack.enter_context(
                git_stream(repo, ["cat-file", "--batch", "--buffer"], stdin=rev_list.stdout)
            )
            rev_list.stdout.close()  # cat-file owns the pipe; rev-list gets SIGPIPE if it dies
            yield cls(rev_list, cat_file)

    def next_body(self, oid: str) -> bytes:
        header = read_header(self.cat_file.stdout)
        if header is None:  # the pipeline ended: say why if one of them failed
            _raise_if_failed(self.cat_file)
            _raise_if_failed(self.rev_list)
            raise RuntimeError(f"git rev-list ended before {oid}, which git log lists")
        body = read_body(self.cat_file.stdout, header.size)
        if header.oid != oid or header.type != "commit":
            raise RuntimeError(f"git log lists {oid} where git rev-list lists {header.oid}")
        return body

    def expect_end(self) -> None:
        if read_header(self.cat_file.stdout) is not None:
            raise RuntimeError("git rev-list lists more commits than git log")


def _raise_if_failed(process: GitProcess) -> None:
    """For a process whose output ended: wait for it, raise :class:`GitError` if it failed."""
    code = process.proc.wait(timeout=60)
    if code != 0:
        raise GitError(process.args, code, process.stderr_text())


_WINDOW_COMMITS = 512  # chain commits held back at most while their brought-in ones are read
_WINDOW_BROUGHT_IN = 4096  # brought-in commits read per request at most (bounds the memory)


class _MergeGraph:
    """Assigns every commit off the first-parent chain to the merge that brings it in."""

    def __init__(self, repo: RepoPath, tip: str, reader: BlobReader) -> None:
        self.repo = repo
        self.tip = tip
        self.reader = reader
        # oid -> (position in rev-list --topo-order, parents); entries leave once seen.
        self.unseen: dict[str, tuple[int, list[str]]] | None = None

    def brought_in_ids(self, oid: str, parents: tuple[str, ...]) -> list[str]:
        """The ids of the commits ``oid`` brings in, oldest first (chain commits in order)."""
        unseen = self.unseen
        if len(parents) < 2:
            if unseen is not None:
                unseen.pop(oid, None)
            return []
        if unseen is None:
            # Loaded at the first merge only: what its first parent reaches is seen already.
            unseen = self.unseen = self._load(parents[0])
        unseen.pop(oid, None)
        found: list[tuple[int, str]] = []
        pending = list(parents[1:])
        while pending:
            current = pending.pop()
            entry = unseen.pop(current, None)
            if entry is None:  # seen (chain or an earlier merge's), or before ``since``
                continue
            found.append((entry[0], current))
            pending.extend(entry[1])
        found.sort(reverse=True)  # rev-list --topo-order lists children first: oldest first
        return [o for _, o in found]

    def complete(
        self, window: list[tuple[str, tuple[RawChange, ...], CommitFields, list[str]]]
    ) -> Iterator[Commit]:
        """The window's chain commits with their brought-in commits, read in one request."""
        wanted = [o for *_, found in window for o in found]
        read: dict[str, Commit] = {}
        if wanted:
            for header, body in self.reader.read_objects(wanted):
                read[header.oid] = parse_commit(body).commit(header.oid, (), ())
        for oid, changes, fields, found in window:
            yield fields.commit(oid, changes, tuple(read[o] for o in found))

    def _load(self, first_parent: str) -> dict[str, tuple[int, list[str]]]:
        unseen: dict[str, tuple[int, list[str]]] = {}
        args = ["rev-list", "--parents", "--topo-order", self.tip, f"^{first_parent}", "--"]
        with git_stream(self.repo, args) as rev_list:
            for position, line in enumerate(rev_list.stdout):
                ids = line.decode("ascii").split()
                unseen[ids[0]] = (position, ids[1:])
        return unseen


# -- parsing objects -----------------------------------------------------------------------


class CommitFields:
    """The parsed headers and message of a raw commit object."""

    __slots__ = ("author", "committer", "encoding", "message_raw", "parents", "signed", "tree")

    def __init__(self) -> None:
        self.tree = ""
        self.parents: tuple[str, ...] = ()
        self.author = b""
        self.committer = b""
        self.encoding: str | None = None
        self.signed = False
        self.message_raw = b""

    def commit(
        self, oid: str, changes: tuple[RawChange, ...], brought_in: tuple[Commit, ...]
    ) -> Commit:
        encoding = self.encoding
        return Commit(
            oid=oid,
            parents=self.parents,
            tree=self.tree,
            author=parse_signature(self.author, encoding),
            committer=parse_signature(self.committer, encoding),
            message=decode_text(self.message_raw, encoding),
            message_raw=self.message_raw,
            encoding=encoding,
            signed=self.signed,
            changes=changes,
            brought_in=brought_in,
        )


def parse_commit(data: bytes) -> CommitFields:
    """Headers and message of a commit object as ``git cat-file commit`` prints it."""
    fields = CommitFields()
    end = data.find(b"\n\n")
    if end < 0:  # no message at all (git allows it)
        head, fields.message_raw = data.rstrip(b"\n"), b""
    else:
        head, fields.message_raw = data[:end], data[end + 2 :]
    parents: list[str] = []
    for line in head.split(b"\n"):
        if line[:1] == b" ":  # continuation of a multi-line header (gpgsig, mergetag)
            continue
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value.decode("ascii"))
        elif key == b"tree":
            fields.tree = value.decode("ascii")
        elif key == b"author":
            fields.author = value
        elif key == b"committer":
            fields.committer = value
        elif key == b"encoding":
            fields.encoding = value.decode("ascii", "replace")
        elif key in _SIGNATURE_HEADERS:
            fields.signed = True
    fields.parents = tuple(parents)
    return fields


def parse_signature(raw: bytes, encoding: str | None = None) -> Signature:
    """An ident ``name <email> time tz`` split the way git splits it.

    ``raw`` is kept when the decoded parts would not give back the stored bytes (non-UTF-8
    names, odd spacing, a missing or malformed date).
    """
    lt = raw.find(b"<")
    gt = raw.find(b">", lt + 1) if lt >= 0 else -1
    if lt < 0 or gt < 0:
        name_b, email_b, date = raw.strip(), b"", b""
    else:
        name_b, email_b = raw[:lt].rstrip(b" "), raw[lt + 1 : gt]
        date = raw[raw.rfind(b">") + 1 :]
    parts = date.split()
    time = int(parts[0]) if parts and parts[0].isdigit() else 0
    tz = parts[1].decode("ascii", "replace") if len(parts) > 1 else ""
    name = decode_text(name_b, encoding)
    email = decode_text(email_b, encoding)
    rebuilt = b"%s <%s> %d %s" % (name.encode("utf-8"), email.encode("utf-8"), time, tz.encode())
    return Signature(name=name, email=email, time=time, tz=tz, raw=b"" if rebuilt == raw else raw)


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Bytes of a commit decoded the way git reads them: with the ``encoding`` header when
    there is one (and it fits), else UTF-8; undecodable bytes become ``\\xNN`` escapes."""
    codec = _codec(encoding) if encoding else None
    if codec is not None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace")


@functools.lru_cache(maxsize=64)
def _codec(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:  # a name Python does not know: read the bytes as UTF-8
        return None


# -- tags ----------------------------------------------------------------------------------


def tags_by_commit(repo: RepoPath) -> dict[str, list[Tag]]:
    """Every tag that leads to a commit, by commit id; each list sorted by name.

    Lightweight and annotated tags alike; nested tags are peeled to their commit. Tags of
    trees or blobs and tags whose target is missing are left out.
    """
    out = run_git(
        repo, ["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)", "refs/tags/"]
    )
    refs: list[tuple[str, str, bytes]] = []
    for line in out.splitlines():  # ref names cannot hold a newline
        oid_b, kind_b, refname_b = line.split(b" ", 2)
        refs.append((oid_b.decode("ascii"), kind_b.decode("ascii"), refname_b))
    tag_objects = _read_tag_objects(repo, [oid for oid, kind, _ in refs if kind == "tag"])
    result: dict[str, list[Tag]] = {}
    for oid, kind, refname in refs:
        name_b = refname.removeprefix(b"refs/tags/")
        name = decode_text(name_b)
        ref_raw = b"" if name.encode("utf-8") == name_b else refname
        if kind == "commit":
            result.setdefault(oid, []).append(Tag(name=name, commit=oid, ref_raw=ref_raw))
            continue
        if kind != "tag":
            continue
        chain, target = _peel(oid, tag_objects)
        if target is None:
            continue
        outer = tag_objects[oid]
        result.setdefault(target, []).append(
            Tag(
                name=name,
                commit=target,
                annotated=True,
                oid=oid,
                tagger=parse_signature(outer.tagger) if outer.tagger is not None else None,
                message=decode_text(outer.message),
                message_raw=outer.message_raw,
                chain=chain,
                signed=outer.signed,
                ref_raw=ref_raw,
            )
        )
    for tags in result.values():
        tags.sort(key=lambda tag: tag.name)
    return result


class _TagObject:
    __slots__ = ("message", "message_raw", "object", "signed", "tagger", "type")

    def __init__(self, data: bytes) -> None:
        end = data.find(b"\n\n")
        head, body = (data, b"") if end < 0 else (data[:end], data[end + 2 :])
        self.object = ""
        self.type = ""
        self.tagger: bytes | None = None
        self.signed = False
        for line in head.split(b"\n"):
            key, _, value = line.partition(b" ")
            if key == b"object":
                self.object = value.decode("ascii")
            elif key == b"type":
                self.type = value.decode("ascii")
            elif key == b"tagger":
                self.tagger = value
            elif key in _SIGNATURE_HEADERS:
                self.signed = True
        self.message_raw = body
        self.message = body
        # A tag's signature is appended to its message: keep it out of the readable text.
        for start in _SIGNATURE_STARTS:
            at = body.find(start)
            if at >= 0 and (at == 0 or body[at - 1 : at] == b"\n"):
                self.message = body[:at]
                self.signed = True
                break


def _read_tag_objects(repo: RepoPath, oids: list[str]) -> dict[str, _TagObject]:
    """Every tag object reachable from ``oids`` through tags of tags."""
    objects: dict[str, _TagObject] = {}
    wanted = sorted(set(oids))
    with BlobReader(repo) as reader:
        while wanted:
            for header, body in reader.read_objects(wanted, missing_ok=True):
                if header.type == "tag":
                    objects[header.oid] = _TagObject(body)
            wanted = sorted(
                {tag.object for tag in objects.values() if tag.type == "tag"} - set(objects)
            )
    return objects


def _peel(oid: str, objects: dict[str, _TagObject]) -> tuple[tuple[str, ...], str | None]:
    chain: list[str] = []
    while oid in objects and oid not in chain:
        chain.append(oid)
        tag = objects[oid]
        if tag.type != "tag":
            return tuple(chain), tag.object if tag.type == "commit" else None
        oid = tag.object
    return tuple(chain), None


__all__ = [
    "LOG_ARGS",
    "ResolvedRef",
    "first_parent_chain",
    "parse_commit",
    "parse_signature",
    "resolve_ref",
    "tags_by_commit",
    "walk",
]
