"""``.micignore``: the files a scan leaves out (gitignore syntax)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

IGNORE_FILE = ".micignore"


class Ignore:
    """The ``.micignore`` at the root (gitignore syntax). ``.mic/`` and ``.git/`` are never
    scanned whatever it says."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        patterns = list(lines)
        self._spec: Any = None
        if any(p.strip() and not p.startswith("#") for p in patterns):
            import pathspec  # only with patterns: `mic status` without them starts faster

            self._spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    @classmethod
    def load(cls, root: Path) -> Ignore:
        try:
            text = (root / IGNORE_FILE).read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return cls()
        return cls(text.splitlines())

    def ignored(self, path: bytes, *, is_dir: bool = False) -> bool:
        if self._spec is None:
            return False
        text = os.fsdecode(path)
        return bool(self._spec.match_file(text + "/" if is_dir else text))
