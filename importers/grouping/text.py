"""Small parsers of commit messages shared by features, identifiers, goals and decisions."""

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
_WORD = re.compile(r"[a-z][a-z0-9]+")
# Subjects of follow-up work on a branch (review fixes, cleanups); plain developer English.
_FOLLOW_UP = re.compile(
    r"^\s*(?:fixup!|squash!|amend!|wip\b|typo|fix(?:ed|es)?\s+(?:a\s+)?(?:typos?|tests?|lint|"
    r"flake8|mypy|style|formatting|build|ci|docs?|review)|address(?:ed)?\b|review\b|"
    r"(?:apply|applied)\s+(?:review|suggestion)|clean ?up\b|cleanup|lint\b|format(?:ting)?\b|"
    r"pep ?8|flake8|black\b|isort\b|more\b|oops|minor\b|small\b|tweak|update (?:changelog|"
    r"changes|docs?|tests?)|add (?:changelog|tests?)|changelog|tests?\b|docs?\b)",
    re.IGNORECASE,
)
# Subjects that carry no topic of their own, skipped when choosing a goal.
_LOW_VALUE = re.compile(
    r"^\s*(?:fixup!|squash!|amend!|wip\b|typo|fix(?:ed)?\s+typos?|oops|minor\b|cleanup\b|"
    r"clean ?up\b|lint\b|formatting\b|format\b|pep ?8|flake8|black\b|isort\b|review\b|"
    r"address(?:ed)?\s+(?:review|comments?|feedback)|apply\s+suggestions?|update\s+\S+$|"
    r"merge\b|revert\b|\.+$|[\w.-]+$)",
    re.IGNORECASE,
)


def subject(message: str) -> str:
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return ""


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


def prose(message: str) -> str:
    """The message without trailer lines, for bag-of-words features."""
    return "\n".join(line for line in message.splitlines() if not TRAILER.match(line.strip()))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())
