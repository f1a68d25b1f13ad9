"""Decisions stated in commit messages: a choice and the reason given for it.

Only text from the messages is used: a sentence with a reason marker ("because", "instead
of", ...) is split into its choice and its reason; a bullet of a merge body is a decision on
its own; "Reason:"/"Rationale:" trailers give the reason for their commit's subject.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from importers.history import Commit

from . import text
from .goals import story
from .sessions import Decision

CAP = 5  # decisions kept per session
_MAX_CHARS = 240

_MARKER = re.compile(
    r"\b(because|so that|instead of|rather than|to avoid|to prevent|in order to|due to)\b",
    re.IGNORECASE,
)
_MARKER_WORDS = (
    "because",
    "so that",
    "instead of",
    "rather than",
    "to avoid",
    "to prevent",
    "in order to",
    "due to",
)
# Compiled once: re.sub with a pattern string looks it up in re's cache on every call.
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_REASON_TRAILERS = frozenset({"reason", "rationale", "why", "motivation"})
_TRAILER_KEYS = tuple(f"{key}:" for key in (*_REASON_TRAILERS, "decision"))
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*\S)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")
# A clause that only points back ("This is needed", "It") or stops at its verb ("The error
# is") says nothing on its own: the commit's subject states the choice instead.
_VAGUE = re.compile(
    r"^(?:this|that|it|which|these|those)\b|\b(?:is|are|was|were|be|been)$", re.IGNORECASE
)


def _may_mark(s: str) -> bool:
    """False only when ``_MARKER`` cannot match: a substring test, far cheaper than the regex.

    Only for ASCII text, where IGNORECASE means ``lower()``; other text goes to the regex
    (its case folding also matches the long s (U+017F) to "s", for one).
    """
    if not s.isascii():
        return True
    low = s.lower()
    return any(w in low for w in _MARKER_WORDS)


def _may_decide(message: str) -> bool:
    """False only when a commit (not a merge body) states no decision: no reason marker in
    any of its sentences, no reason or decision trailer. Most messages; one cheap test.

    A sentence lies within a line or joins lines with one space, so it is a substring of the
    message with its whitespace runs made single spaces; a trailer line starts with its key.
    """
    if not message.isascii():
        return True
    low = " ".join(message.lower().split())
    return any(w in low for w in _MARKER_WORDS) or any(t in low for t in _TRAILER_KEYS)


def _clean(s: str) -> str:
    s = _SPACES.sub(" ", s).strip(" \t-*:;,")
    return s if len(s) <= _MAX_CHARS else s[: _MAX_CHARS - 1].rstrip() + "\u2026"


def _paragraphs(lines: Sequence[str]) -> Iterator[tuple[str, bool]]:
    """Prose paragraphs and bullets of a body: (text, is_bullet). Code, quotes and trailers
    are skipped."""
    buf: list[str] = []
    fenced = False
    for raw in lines:
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        stripped = line.strip()
        skip = (
            fenced
            or raw.startswith(("    ", "\t"))
            or stripped.startswith(">")
            or bool(text.TRAILER.match(stripped))
        )
        bullet = _BULLET.match(line)
        if not stripped or skip or bullet:
            if buf:
                yield " ".join(buf), False
                buf = []
            if bullet and not fenced:
                yield bullet.group(1), True
            continue
        buf.append(stripped)
    if buf:
        yield " ".join(buf), False


def split_reason(sentence: str, subject: str) -> Decision | None:
    """The choice and the reason of a sentence with a reason marker, or None."""
    m = _MARKER.search(sentence) if _may_mark(sentence) else None
    if not m:
        return None
    before = _clean(sentence[: m.start()])
    after = sentence[m.start() :].rstrip(" .")
    if not before:
        # "To avoid X, do Y" / "Because X, Y": the clause after the first comma is the choice.
        head, sep, tail = after.partition(",")
        if not sep or not tail.strip():
            return None
        before, after = _clean(tail), head
    if len(before.split()) < 2 or _VAGUE.search(before):
        before = _clean(subject)
    reason = _clean(after)
    if not before or not reason or before.lower() == reason.lower():
        return None
    return Decision(before.rstrip("."), reason)


def _from_commit(c: Commit, is_merge_body: bool) -> Iterator[Decision]:
    if not is_merge_body and not _may_decide(c.message):
        return
    subject = text.subject(c.message)
    if not is_merge_body:
        d = split_reason(subject, subject)
        if d:
            yield d
    for para, is_bullet in _paragraphs(text.body_lines(c.message)):
        if is_bullet and is_merge_body:
            if text.is_low_value(para):
                continue
            d = split_reason(para, para)
            yield d or Decision(_clean(para).rstrip("."), "")
            continue
        if not _may_mark(para) or not _MARKER.search(para):
            continue  # no sentence of it can have a marker: skip splitting (most prose)
        for sentence in _SENTENCE_END.split(para):
            d = split_reason(sentence, subject)
            if d:
                yield d
    for line in c.message.splitlines():
        m = text.TRAILER.match(line.strip())
        if m and m.group(1).lower() in _REASON_TRAILERS:
            yield Decision(_clean(text.strip_squash(subject)), _clean(m.group(2)))
        elif m and m.group(1).lower() == "decision":
            yield Decision(_clean(m.group(2)), "")


def _key(d: Decision) -> str:
    return _NOT_ALNUM.sub(" ", d.decision.lower()).strip()


def decisions_of(commits: Sequence[Commit], cap: int = CAP) -> tuple[Decision, ...]:
    """Deduplicated decisions of a session, in history order, at most ``cap``."""
    found: list[Decision] = []
    seen: set[str] = set()
    sources: list[tuple[Commit, bool]] = []
    for c in commits:
        if c.is_merge:
            sources.append((c, True))
            sources.extend((b, False) for b in story([c]))
        else:
            sources.append((c, False))
    for c, is_merge_body in sources:
        for d in _from_commit(c, is_merge_body):
            k = _key(d)
            if k and k not in seen:
                seen.add(k)
                found.append(d)
                if len(found) >= cap:
                    return tuple(found)
    return tuple(found)
