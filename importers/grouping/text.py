"""Small parsers of commit messages shared by identifiers, features, goals and decisions."""

from __future__ import annotations

import re

# Conventional Commits: "type(scope)!: subject".
_CONVENTIONAL = re.compile(r"^([a-z]+)(?:\(([^)\s]{1,40})\))?!?:\s+\S", re.IGNORECASE)
# A squash merge appends the pull request number to the subject: "Subject (#123)".
_SQUASH = re.compile(r"\s*\(#(\d+)\)\s*$")
_ISSUE = re.compile(r"(?<![\w&/])(?:#|GH-)(\d{1,7})\b", re.IGNORECASE)
_CLOSES = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+(?:[\w.-]+/[\w.-]+)?#(\d{1,7})\b",
    re.IGNORECASE,
)
# "Key: value" trailer lines (Signed-off-by, Change-Id, Co-authored-by, Refs, ...).
TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]{1,40}):\s+(\S.*)$")
_CHANGE_ID = re.compile(r"^Change-Id:\s*(I[0-9a-f]{8,40})\s*$", re.IGNORECASE | re.MULTILINE)
_WORD = re.compile(r"[a-z][a-z0-9]+")
# Subjects of follow-up work on a branch (review fixes, cleanups): plain developer English.
_FOLLOW_UP = re.compile(
    r"^\s*(?:fixup!|squash!|amend!|wip\b|typo|oops|minor\b|small\b|tweak|more\b|"
    r"fix(?:ed|es)?\s+(?:a\s+)?(?:typos?|tests?|lint|flake8|mypy|style|formatting|build|ci|"
    r"docs?|review)|address(?:ed)?\b|review\b|(?:apply|applied)\s+(?:review|suggestion)|"
    r"clean ?up\b|cleanup|lint\b|format(?:ting)?\b|pep ?8|flake8|black\b|isort\b|"
    r"update (?:changelog|changes|docs?|tests?)|add (?:changelog|tests?)|changelog|tests?\b|"
    r"docs?\b)",
    re.IGNORECASE,
)
# Subjects that name no topic of their own; a goal avoids them when a better one exists.
_LOW_VALUE = re.compile(
    r"^\s*(?:fixup!|squash!|amend!|wip\b|typo|fix(?:ed)?\s+(?:a\s+)?typos?|oops|minor\b|"
    r"clean ?up\b|cleanup\b|lint\b|format(?:ting)?\b|pep ?8|flake8|black\b|isort\b|review\b|"
    r"address(?:ed)?\s+(?:review|comments?|feedback)|apply\s+suggestions?|more\b|"
    r"update\s+\S+$|fix(?:es)?$|merge\b|\W*$)",
    re.IGNORECASE,
)
_RELEASE = re.compile(
    r"^\W*(?:release|bump|prepare|version|start)\b.*\d+\.\d+|^v?\d+\.\d+(?:\.\d+)?\W*$",
    re.IGNORECASE,
)
_BUMP = re.compile(
    r"^(?:\S+:\s+)?(?:bump|update|upgrade)\s+\S+\s+(?:requirement\s+)?from\s+\S+\s+to\s+\S+"
    r"|\bautoupdate\b",
    re.IGNORECASE,
)
_PR_MERGE = (
    re.compile(r"^Merge pull request #(\d+)\b"),  # GitHub
    re.compile(r"^Merged in \S+ \(pull request #(\d+)\)"),  # Bitbucket
)
_MR_TRAILER = re.compile(r"^See merge request \S*!(\d+)\s*$", re.MULTILINE)  # GitLab


def subject(message: str) -> str:
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return ""


def body_lines(message: str) -> list[str]:
    """Lines after the subject, stripped, blank ones kept (they separate paragraphs)."""
    lines = message.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            return [x.rstrip() for x in lines[i + 1 :]]
    return []


def conventional(subject_line: str) -> tuple[str, str]:
    """(type, scope) of a Conventional Commits subject, lower case; empty strings otherwise."""
    m = _CONVENTIONAL.match(subject_line)
    if not m:
        return "", ""
    return m.group(1).lower(), (m.group(2) or "").lower()


def squash_number(subject_line: str) -> int | None:
    """N of a squash-merged subject "Title (#N)"."""
    m = _SQUASH.search(subject_line)
    return int(m.group(1)) if m else None


def strip_squash(subject_line: str) -> str:
    return _SQUASH.sub("", subject_line).strip()


def pull_request_number(message: str) -> int | None:
    """N of a pull/merge request merge ("Merge pull request #N", "See merge request !N")."""
    first = subject(message)
    for rx in _PR_MERGE:
        m = rx.match(first)
        if m:
            return int(m.group(1))
    m = _MR_TRAILER.search(message)
    return int(m.group(1)) if m else None


def change_id(message: str) -> str | None:
    """The Gerrit ``Change-Id:`` trailer (the last one wins, as in Gerrit)."""
    found = _CHANGE_ID.findall(message)
    return found[-1] if found else None


def issue_numbers(message: str) -> frozenset[int]:
    """Every "#N" / "GH-N" reference in a message."""
    return frozenset(int(n) for n in _ISSUE.findall(message))


def closes_numbers(message: str) -> frozenset[int]:
    """Issues a message closes: "Closes #N", "Fixes #N", "resolves owner/repo#N"."""
    return frozenset(int(n) for n in _CLOSES.findall(message))


def is_follow_up(subject_line: str) -> bool:
    return bool(_FOLLOW_UP.match(subject_line))


def is_low_value(subject_line: str) -> bool:
    return bool(_LOW_VALUE.match(subject_line)) or len(subject_line) < 8


def is_release(subject_line: str) -> bool:
    return bool(_RELEASE.search(subject_line))


def is_dependency_bump(subject_line: str) -> bool:
    return bool(_BUMP.search(subject_line))


def prose(message: str) -> str:
    """The message without trailer lines, for bag-of-words features."""
    return "\n".join(line for line in message.splitlines() if not TRAILER.match(line.strip()))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())
