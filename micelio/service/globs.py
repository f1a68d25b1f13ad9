"""Path globs of session listings (gRPC ``ListSessions``, ``mic session list --path``, the web).

Rules (git's pathspecs and ``.gitignore``):

- ``*`` matches within one folder, ``**`` across folders, ``?`` one character but ``/``,
  ``[abc]``/``[!abc]``/``[a-z]`` one character of (or not of) a set.
- A glob with a ``/`` inside is anchored at the project root; one without matches a name at
  any depth (``*.py`` matches ``src/a.py``). Leading and trailing ``/`` are ignored.
- A glob matching a folder matches everything under it: ``src`` and ``src/`` match
  ``src/app/main.py``.

One parse serves two matchers that agree: ``Glob.matches`` (Python, also registered as a SQLite
function) simulates the pattern as a nondeterministic automaton, O(len(glob) * len(path)) with no
backtracking; ``Glob.regex`` is the same pattern for PostgreSQL's ``~``, whose engine runs a
boolean match as a DFA (no backtracking either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from micelio.service.errors import InvalidArgument

MAX_GLOB = 1000
#: Cached DFA steps per glob: bounds the memory a hostile glob can make the cache take.
MAX_DFA_STEPS = 20_000

# Token kinds. A token is (kind, payload); payload is the literal character or the set.
_CHAR, _ONE, _SET, _STAR, _ANY, _DIRS = range(6)


@dataclass(frozen=True)
class _Set:
    members: frozenset[str]
    ranges: tuple[tuple[str, str], ...]
    negate: bool

    def __contains__(self, char: str) -> bool:
        hit = char in self.members or any(low <= char <= high for low, high in self.ranges)
        return hit != self.negate and char != "/"


_Token = tuple[int, "str | _Set"]
#: Tokens that may match nothing.
_SKIPPABLE = (_STAR, _ANY, _DIRS)


@dataclass(frozen=True)
class Glob:
    text: str
    anchored: bool
    tokens: tuple[_Token, ...]
    #: The lazy DFA: (state set, character) -> state set (see ``matches``).
    _steps: dict[tuple[frozenset[int], str], frozenset[int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def literal_prefix(self) -> str:
        """Fixed leading text every match starts with ("" when the glob is unanchored)."""
        prefix = []
        for kind, payload in self.tokens:
            if kind != _CHAR:
                break
            assert isinstance(payload, str)
            prefix.append(payload)
        return "".join(prefix)

    def matches(self, path: str) -> bool:
        """Whether ``path``, or a folder it is in, matches (time linear in ``path``).

        The automaton's states are token indexes (before that token) and, for a ``**/`` at
        index ``i``, ``~i``: inside it, waiting for the ``/`` that ends it. Its state sets are
        built into a DFA lazily: each (state set, character) step is computed once per glob
        and then looked up, so that a listing matching one glob against many paths pays
        O(len(glob)) per character only for the steps it has not seen (RE2's lazy DFA)."""
        final = len(self.tokens)
        steps = self._steps
        states = self._start
        for char in path:
            if char == "/" and final in states:
                return True  # a folder of the path matches: so does all it holds
            key = (states, char)
            after = steps.get(key)
            if after is None:
                after = self._step(states, char)
                if len(steps) < MAX_DFA_STEPS:  # beyond: correct still, just not cached
                    steps[key] = after
            if not after:
                return False
            states = after
        return final in states

    @cached_property
    def _start(self) -> frozenset[int]:
        return frozenset(self._closure({0}))

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        """The states after reading ``char`` in ``states`` (the NFA's step)."""
        tokens = self.tokens
        final = len(tokens)
        advanced: set[int] = set()
        for state in states:
            if state < 0:  # inside a "**/": anything, until a "/" ends it
                advanced.add(state)
                if char == "/":
                    advanced.add(~state + 1)
                continue
            if state == final:
                continue
            kind, payload = tokens[state]
            if kind == _CHAR:
                if char == payload:
                    advanced.add(state + 1)
            elif kind == _ONE:
                if char != "/":
                    advanced.add(state + 1)
            elif kind == _SET:
                assert isinstance(payload, _Set)
                if char in payload:
                    advanced.add(state + 1)
            elif kind == _STAR:
                if char != "/":
                    advanced.add(state)
            elif kind == _ANY:
                advanced.add(state)
            else:  # _DIRS: "**/", nothing (the closure) or anything ending with "/"
                advanced.add(~state)
                if char == "/":
                    advanced.add(state + 1)
        return frozenset(self._closure(advanced)) if advanced else frozenset()

    def _closure(self, states: set[int]) -> set[int]:
        """Add the states reachable without a character (stars may match nothing)."""
        todo = list(states)
        while todo:
            state = todo.pop()
            skippable = 0 <= state < len(self.tokens) and self.tokens[state][0] in _SKIPPABLE
            if skippable and state + 1 not in states:
                states.add(state + 1)
                todo.append(state + 1)
        return states

    def regex(self) -> str:
        """The same pattern as a regular expression (PostgreSQL's dialect, Python's too)."""
        out = ["^"]
        for kind, payload in self.tokens:
            if kind == _CHAR:
                assert isinstance(payload, str)
                out.append(_escape(payload))
            elif kind == _ONE:
                out.append("[^/]")
            elif kind == _SET:
                assert isinstance(payload, _Set)
                out.append(_set_regex(payload))
            elif kind == _STAR:
                out.append("[^/]*")
            elif kind == _ANY:
                out.append(".*")
            else:
                out.append("(?:.*/)?")
        out.append("(?:/.*)?$")
        return "".join(out)


@lru_cache(maxsize=256)
def parse(text: str) -> Glob:
    """The glob ``text``; ``InvalidArgument`` when empty, too long or malformed."""
    if not text.strip("/"):
        raise InvalidArgument("empty path glob")
    if len(text) > MAX_GLOB:
        raise InvalidArgument(f"path glob longer than {MAX_GLOB} characters")
    body = text.strip("/")
    anchored = "/" in body
    # Unanchored: as if the glob started with "**/".
    tokens: list[_Token] = [] if anchored else [(_DIRS, "")]
    i = 0
    while i < len(body):
        char = body[i]
        if body.startswith("**/", i):
            tokens.append((_DIRS, ""))
            i += 3
        elif body.startswith("**", i):
            tokens.append((_ANY, ""))
            i += 2
        elif char == "*":
            tokens.append((_STAR, ""))
            i += 1
        elif char == "?":
            tokens.append((_ONE, ""))
            i += 1
        elif char == "[":
            end = body.find("]", i + 2)
            if end < 0:
                raise InvalidArgument(f"unclosed '[' in path glob {text!r}")
            tokens.append((_SET, _parse_set(body[i + 1 : end])))
            i = end + 1
        else:
            tokens.append((_CHAR, char))
            i += 1
    return Glob(text, anchored, tuple(tokens))


def matches(glob: str, path: str) -> bool:
    """``parse(glob).matches(path)``: the SQLite function ``mic_glob(glob, path)``."""
    return parse(glob).matches(path)


def _parse_set(members: str) -> _Set:
    negate = members.startswith("!")
    if negate:
        members = members[1:]
    singles: set[str] = set()
    ranges: list[tuple[str, str]] = []
    i = 0
    while i < len(members):
        if i + 2 < len(members) and members[i + 1] == "-":
            ranges.append((members[i], members[i + 2]))
            i += 3
        else:
            singles.add(members[i])
            i += 1
    return _Set(frozenset(singles), tuple(ranges), negate)


def _set_regex(chars: _Set) -> str:
    parts = [_escape(c) for c in sorted(chars.members)]
    parts += [f"{_escape(low)}-{_escape(high)}" for low, high in chars.ranges]
    if chars.negate:
        return f"[^/{''.join(parts)}]"
    body = f"[{''.join(parts)}]"
    # A set never matches "/": where it names one, a lookahead rules it out.
    holds_slash = "/" in chars.members or any(lo <= "/" <= hi for lo, hi in chars.ranges)
    return f"(?:(?!/){body})" if holds_slash else body


def _escape(char: str) -> str:
    # A backslash before a non-alphanumeric character is a literal in both regex dialects;
    # before a letter or digit it would start an escape class, so those stay bare.
    return char if char.isalnum() else "\\" + char
