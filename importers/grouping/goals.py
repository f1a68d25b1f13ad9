"""A session's goal: the pull request title when the history has one, otherwise the subject
that speaks for most of the session's commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from importers.history import Commit

from . import text

# Words too common in subjects to say what a group is about.
_STOP = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "when",
        "not",
        "no",
        "use",
        "used",
        "add",
        "added",
        "adds",
        "fix",
        "fixed",
        "fixes",
        "update",
        "updated",
        "remove",
        "removed",
        "make",
        "made",
    )
)


def request_title(merge: Commit) -> str | None:
    """The request title in a merge's body: "Merge pull request #N from x", blank, title."""
    if text.pull_request_number(merge.message) is None:
        return None
    for line in text.body_lines(merge.message):
        line = line.strip()
        if not line or text.TRAILER.match(line) or line.lower().startswith("see merge request"):
            continue
        return line
    return None


def story(commits: Sequence[Commit]) -> list[Commit]:
    """The commits whose messages tell a session's story: merges stand for what they brought."""
    out: list[Commit] = []
    for c in commits:
        if c.is_merge:
            out.extend(b for b in c.brought_in if not b.is_merge)
        else:
            out.append(c)
    return out


def _terms(c: Commit) -> set[str]:
    words = text.words(text.prose(c.message)) + text.words(" ".join(c.paths).replace("_", " "))
    return {w for w in words if w not in _STOP and len(w) > 2}


def representative_subject(commits: Sequence[Commit]) -> str:
    """The subject whose words recur across most commits of the group (ties: the earliest).

    Follow-up subjects ("fix typo", "wip", "address review") are passed over when any other
    subject exists.
    """
    candidates = [c for c in commits if text.subject(c.message)]
    if not candidates:
        return ""
    good = [c for c in candidates if not text.is_low_value(text.subject(c.message))]
    pool = good or candidates
    if len(pool) == 1:
        return text.strip_squash(text.subject(pool[0].message))
    # How many of the group's commits mention each word, counted once per group: a subject's
    # coverage is then a few lookups, not a scan of every commit (merges bring in thousands).
    mentions: Counter[str] = Counter()
    for c in commits:
        mentions.update(_terms(c))
    count = len(commits)

    def coverage(c: Commit) -> float:
        words = {w for w in text.words(text.subject(c.message)) if w not in _STOP and len(w) > 2}
        if not words:
            return 0.0
        # Share of the group's commits that mention each subject word, summed and divided
        # by one more than the word count: a smoothed mean that prefers a subject of several
        # shared words to a one-word one, and penalizes words no other commit uses.
        return sum(mentions[w] for w in words) / (count * (len(words) + 1))

    _, _, best = max((coverage(c), -k, c) for k, c in enumerate(pool))
    return text.strip_squash(text.subject(best.message))


def goal_of(commits: Sequence[Commit]) -> str:
    """The goal of a session made of ``commits`` (first-parent commits, in order)."""
    for c in commits:
        if c.is_merge:
            title = request_title(c)
            if title:
                return title
    for c in commits:
        if not c.is_merge and text.squash_number(text.subject(c.message)) is not None:
            return text.strip_squash(text.subject(c.message))
    told = story(commits)
    if told:
        return representative_subject(told)
    # Only merges with nothing brought in: their own subjects are all there is.
    return representative_subject(commits) or text.subject(commits[0].message)
