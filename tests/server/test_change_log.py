"""A landing's change log: the same changes, in order, whether kept as objects or spilled."""

from __future__ import annotations

from pathlib import Path

import pytest

from micelio.service.ingest import ChangeLog, IncomingChange
from micelio.vocabulary import ChangeType, FileMode


def _change(n: int) -> IncomingChange:
    deleted = n % 3 == 0
    return IncomingChange(
        file_path=f"dir/f{n}.txt",
        raw_path=b"dir/\xff" if n == 4 else None,
        path_key=f"dir/f{n}.txt",
        change_type=ChangeType.DELETED if deleted else ChangeType.ADDED,
        mode=0 if deleted else FileMode.FILE,
        size=0 if deleted else n,
        client_metadata={"n": n} if n % 2 else None,
        sha256=None if deleted else f"{n:064x}",
        lines=n,
        spool_offset=-1 if deleted else n * 10,
    )


@pytest.mark.parametrize("in_memory", [0, 3, 10, 100], ids=lambda n: f"in_memory={n}")
def test_the_log_gives_back_what_it_was_given(tmp_path: Path, in_memory: int) -> None:
    changes = [_change(n) for n in range(10)]
    log = ChangeLog(tmp_path, in_memory=in_memory)
    try:
        for change in changes:
            log.append(change)
        assert len(log) == 10 and log.last == changes[-1]
        assert log.kinds == {ChangeType.DELETED: 4, ChangeType.ADDED: 6}
        assert list(log) == changes
        # Read back again, and nested (the commit reads a log while reading it).
        pairs = [(a.path_key, b.path_key) for a in log for b in log]
        assert len(pairs) == 100 and pairs[11] == ("dir/f1.txt", "dir/f1.txt")
    finally:
        log.close()
