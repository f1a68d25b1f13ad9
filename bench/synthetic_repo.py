"""Build a large synthetic Git repository with git fast-import (for the import benchmark).

usage: python bench/synthetic_repo.py DEST [--commits N] [--megabytes M]

Deterministic: the same arguments give the same commit ids. Every commit modifies or adds a
few files under a few hundred directories; about one commit in 150 writes a 1-3 MiB file, a
few delete or rename; a merge every 200 commits brings in a two-commit side branch.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

BLOCK = random.Random(7).randbytes(8 << 20)


def content(rng: random.Random, size: int, tag: str) -> bytes:
    start = rng.randrange(0, len(BLOCK) - size - 1)
    text = BLOCK[start : start + size].hex().encode()[:size]
    return f"{tag}\n".encode() + text


def build(dest: Path, commits: int, megabytes: int) -> None:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(dest)], check=True)
    rng = random.Random(42)
    budget = megabytes << 20
    per_commit = max(1, budget // commits)
    proc = subprocess.Popen(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    out = proc.stdin
    files: list[str] = []
    mark = 0
    t0 = 1_500_000_000
    main_mark = 0
    for i in range(commits):
        mark += 1
        ops: list[bytes] = []
        if i % 200 == 199:
            # A side branch of two commits merged back: topology for the grouping step.
            side_marks: list[int] = []
            for k in range(2):
                path = f"side/topic{i}/f{k}.txt"
                data = content(rng, 2000, f"side {i} {k}")
                out.write(f"commit refs/heads/side{i}\nmark :{mark}\n".encode())
                ident = f"Side Dev <side@example.com> {t0 + i * 600 + k} +0000\n"
                out.write(f"author {ident}committer {ident}".encode())
                msg = f"side change {k} for topic {i}\n".encode()
                out.write(f"data {len(msg)}\n".encode() + msg)
                out.write(f"from :{side_marks[-1] if side_marks else main_mark}\n".encode())
                out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
                side_marks.append(mark)
                mark += 1
            msg = f"Merge pull request #{i} from dev/topic{i}\n\nTopic {i}\n".encode()
            out.write(f"commit refs/heads/main\nmark :{mark}\n".encode())
            out.write(f"author Dev <dev@example.com> {t0 + i * 600 + 5} +0100\n".encode())
            out.write(f"committer Dev <dev@example.com> {t0 + i * 600 + 5} +0100\n".encode())
            out.write(f"data {len(msg)}\n".encode() + msg)
            out.write(f"from :{main_mark}\nmerge :{side_marks[-1]}\n".encode())
            for k in range(2):
                path = f"side/topic{i}/f{k}.txt"
                data = content(rng, 2000, f"side {i} {k}")
                out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
            out.write(b"\n")
            main_mark = mark
            continue
        n_files = rng.randint(1, 5)
        spent = 0
        for _ in range(n_files):
            if files and rng.random() < 0.7:
                path = rng.choice(files)
            else:
                path = f"src/d{rng.randrange(300)}/file{len(files)}.txt"
                files.append(path)
            size = max(1, int(rng.expovariate(1.0 / (per_commit / n_files))))
            size = min(size, 200_000)
            spent += size
            data = content(rng, size, f"{path} @ {i}")
            ops.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        if i % 150 == 75:
            path = f"assets/big{i}.bin"
            data = content(rng, rng.randint(1 << 20, 3 << 20), f"big {i}")
            ops.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        if i % 97 == 50 and len(files) > 10:
            victim = files.pop(rng.randrange(len(files)))
            ops.append(f"D {victim}\n".encode())
        if i % 89 == 44 and len(files) > 10:
            old = files.pop(rng.randrange(len(files)))
            new = old.replace("file", "renamed")
            files.append(new)
            ops.append(f"R {old} {new}\n".encode())
        msg = f"Change {i}: update {n_files} files\n".encode()
        out.write(f"commit refs/heads/main\nmark :{mark}\n".encode())
        out.write(f"author Dev{i % 7} <dev{i % 7}@example.com> {t0 + i * 600} +0200\n".encode())
        out.write(f"committer Dev{i % 7} <dev{i % 7}@example.com> {t0 + i * 600} +0200\n".encode())
        out.write(f"data {len(msg)}\n".encode() + msg)
        if main_mark:
            out.write(f"from :{main_mark}\n".encode())
        out.writelines(ops)
        out.write(b"\n")
        main_mark = mark
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        sys.exit("fast-import failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--megabytes", type=int, default=1024)
    args = parser.parse_args()
    build(args.dest, args.commits, args.megabytes)


if __name__ == "__main__":
    main()
