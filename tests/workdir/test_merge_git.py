"""``merge_lines`` against real ``git merge-file -p`` on many generated edits, byte for byte.

The generated edits keep every line diff unique (each line of a file is distinct, and what both
sides insert at one place is in the same order), where git's output is defined by its rules
alone; see the module docstring of ``micelio.workdir.merge`` for where diffs are ambiguous.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from micelio.workdir.merge import Labels, Style, merge_lines

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

LABELS = Labels("session ses_1 (base @12)", "head @15", "base @12")


def git_merge_file(tmp: Path, base: bytes, ours: bytes, theirs: bytes, style: Style) -> bytes:
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp / name).write_bytes(data)
    args = ["git", "merge-file", "-p", "-L", LABELS.ours, "-L", LABELS.base, "-L", LABELS.theirs]
    if style == "diff3":
        args.append("--diff3")
    done = subprocess.run(
        [*args, str(tmp / "ours"), str(tmp / "base"), str(tmp / "theirs")],
        capture_output=True,
        check=False,
    )
    assert done.returncode >= 0, done.stderr
    return done.stdout


class Lines:
    """Fresh distinct lines: words, punctuation-only lines, blank-ish lines."""

    def __init__(self, rng: random.Random, eol: bytes) -> None:
        self.rng, self.eol, self.n = rng, eol, 0

    def fresh(self) -> bytes:
        self.n += 1
        shape = self.rng.random()
        if shape < 0.15:
            return b"}" * self.n + self.eol  # no letter or digit
        return b"line %d" % self.n + self.eol


def edit(rng: random.Random, base: list[bytes], lines: Lines, shared: list[bytes]) -> list[bytes]:
    """Delete, replace and insert a few ranges; insertions draw from ``shared`` (in order) or
    fresh lines, so two sides sometimes make the same or overlapping changes."""
    out: list[bytes] = []
    i = 0
    while i <= len(base):
        roll = rng.random()
        if roll < 0.12 and i < len(base):  # delete
            i += rng.randint(1, 2)
            continue
        if roll < 0.3:  # replace or insert
            k = rng.randint(0, min(3, len(shared)))
            start = rng.randint(0, len(shared) - k) if shared else 0
            picked = shared[start : start + k] if rng.random() < 0.6 else []
            picked += [lines.fresh() for _ in range(rng.randint(0 if picked else 1, 2))]
            out += picked
            if roll < 0.2 and i < len(base):
                i += 1
        if i < len(base):
            out.append(base[i])
        i += 1
    return out


def unique(lines: list[bytes]) -> bool:
    return len(set(lines)) == len(lines)


def case(seed: int) -> tuple[bytes, bytes, bytes]:
    rng = random.Random(seed)
    eol = b"\r\n" if seed % 7 == 0 else b"\n"
    lines = Lines(rng, eol)
    base = [lines.fresh() for _ in range(rng.randint(0, 12))]
    while True:
        shared = [lines.fresh() for _ in range(4)]
        ours, theirs = edit(rng, base, lines, shared), edit(rng, base, lines, shared)
        if unique(ours) and unique(theirs):
            break
    texts = [b"".join(part) for part in (base, ours, theirs)]
    for n in range(3):  # a missing final newline on some sides
        if texts[n] and rng.random() < 0.2:
            texts[n] = texts[n].rstrip(b"\r\n")
    return texts[0], texts[1], texts[2]


@pytest.mark.parametrize("style", ["merge", "diff3"])
def test_generated_edits_match_git_merge_file(tmp_path: Path, style: Style) -> None:
    mismatches = []
    conflicted = 0
    for seed in range(400):
        base, ours, theirs = case(seed)
        ours_l = ours.splitlines()
        theirs_l = theirs.splitlines()
        if not (unique(ours_l) and unique(theirs_l)):
            continue  # stripping an end made two lines equal: not a unique diff
        want = git_merge_file(tmp_path, base, ours, theirs, style)
        got = merge_lines(base, ours, theirs, LABELS, style)
        conflicted += not got.clean
        if got.data != want:
            mismatches.append((seed, base, ours, theirs, want, got.data))
    assert not mismatches, mismatches[:2]
    assert conflicted > 50  # the cases do exercise conflicts
