"""The manifest of a batch migration (TOML): parsing, validation, normal form, job id.

::

    [job]                       # optional
    name = "acme-2026"          # the job id; default: derived from the repositories
    [defaults]                  # optional: strategy and ref for every repository
    strategy = "auto"
    [[repository]]
    source = "/srv/git/api.git" # a path (relative to the manifest's directory) or a URL
    project = "acme/api"
    ref = "main"                # optional (default HEAD)
    strategy = "commit"         # optional

Pure but for reading the file in ``load``. The normal form lists every repository with its
defaults applied and its source made absolute (URLs as written), in manifest order; its
sha256 is the job's digest, and without a ``[job] name`` the job id is ``m-`` + the digest's
first 16 hex digits: the same manifest, wherever it is run, continues the same job.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importers.grouping.sessions import STRATEGIES
from micelio.client import RepositorySpec

TOP_KEYS = ("job", "defaults", "repository")
JOB_KEYS = ("name",)
DEFAULT_KEYS = ("strategy", "ref")
REPOSITORY_KEYS = ("source", "project", "ref", "strategy")
# The server's rules for handles and job ids.
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# importers.git.source's notion of a URL: "scheme://..." or scp-like "user@host:path".
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[^/@:\s]+@[^/:\s]+:)")


class ManifestError(ValueError):
    """A manifest that cannot be used; the message is one line naming the place."""


@dataclass(frozen=True)
class Manifest:
    job_id: str
    named: bool  # the id comes from [job] name
    repositories: tuple[RepositorySpec, ...]
    digest: str


def load(path: Path) -> Manifest:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: not UTF-8 text") from None
    return parse(text, base_dir=path.resolve().parent, where=str(path))


def parse(text: str, *, base_dir: Path, where: str = "manifest") -> Manifest:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{where}: invalid TOML: {_one_line(str(exc))}") from None
    _only(data, TOP_KEYS, where)
    job = _table(data, "job", where)
    _only(job, JOB_KEYS, f"{where}: [job]")
    defaults = _table(data, "defaults", where)
    _only(defaults, DEFAULT_KEYS, f"{where}: [defaults]")
    default_strategy = _string(defaults, "strategy", f"{where}: [defaults]") or "auto"
    _check_strategy(default_strategy, f"{where}: [defaults]")
    default_ref = _string(defaults, "ref", f"{where}: [defaults]") or ""
    name = _string(job, "name", f"{where}: [job]")
    if name and not _HANDLE.match(name):
        raise ManifestError(
            f"{where}: [job] name {name!r}: use 1-100 of [A-Za-z0-9._-], starting with a letter "
            "or digit"
        )

    entries = data.get("repository", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ManifestError(f"{where}: 'repository' must be [[repository]] tables")
    if not entries:
        raise ManifestError(f"{where}: no [[repository]] entries")
    specs: list[RepositorySpec] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, 1):
        place = f"{where}: repository #{number}"
        project = _string(entry, "project", place)
        if project:  # name the entry by its project as soon as it has one
            place = f"{where}: repository #{number} ({project})"
        _only(entry, REPOSITORY_KEYS, place)
        source = _string(entry, "source", place)
        if not source:
            raise ManifestError(f"{place}: missing 'source'")
        if not project:
            raise ManifestError(f"{place}: missing 'project'")
        _check_project(project, place)
        strategy = _string(entry, "strategy", place) or default_strategy
        _check_strategy(strategy, place)
        if project in seen:
            raise ManifestError(
                f"{place}: duplicate project {project!r} (also repository #{seen[project]})"
            )
        seen[project] = number
        ref = _string(entry, "ref", place) or default_ref
        specs.append(RepositorySpec(normal_source(source, base_dir), project, ref, strategy))

    digest = hashlib.sha256(canonical(specs)).hexdigest()
    return Manifest(name or f"m-{digest[:16]}", bool(name), tuple(specs), digest)


def normal_source(source: str, base_dir: Path) -> str:
    """A URL as written; a path made absolute against ``base_dir`` (no file is read)."""
    if _URL.match(source):
        return source
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(source)))


def canonical(specs: list[RepositorySpec] | tuple[RepositorySpec, ...]) -> bytes:
    """The bytes the digest is taken of: sorted-key JSON of the normal form, in order."""
    rows = [
        {"source": s.source, "project": s.project, "ref": s.ref, "strategy": s.strategy}
        for s in specs
    ]
    return json.dumps(
        {"repositories": rows}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _only(table: Mapping[str, Any], allowed: tuple[str, ...], place: str) -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ManifestError(f"{place}: unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})")


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ManifestError(f"{where}: '{key}' must be a table ([{key}])")
    return value


def _string(table: Mapping[str, Any], key: str, place: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ManifestError(f"{place}: '{key}' must be a string")
    return value.strip()


def _check_project(project: str, place: str) -> None:
    org, sep, name = project.partition("/")
    if not sep or not _HANDLE.match(org) or not _HANDLE.match(name):
        raise ManifestError(
            f"{place}: project must be ORG/PROJECT (each 1-100 of [A-Za-z0-9._-], starting "
            f"with a letter or digit), got {project!r}"
        )


def _check_strategy(strategy: str, place: str) -> None:
    if strategy not in STRATEGIES:
        raise ManifestError(
            f"{place}: unknown strategy {strategy!r} (choose one of {', '.join(STRATEGIES)})"
        )


def _one_line(text: str) -> str:
    return " ".join(text.split())
