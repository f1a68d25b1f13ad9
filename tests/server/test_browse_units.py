"""The read service's pure pieces: path globs (both matchers agree, in linear time) and the
author shown in listings."""

from __future__ import annotations

import re
import time

import pytest

from micelio.service import globs
from micelio.service.browse import author_of
from micelio.service.errors import InvalidArgument

CASES = [
    ("*.py", "a.py", True),
    ("*.py", "src/deep/a.py", True),
    ("*.py", "a.pyc", False),
    ("src/**", "src/a/b", True),
    ("docs/*.md", "docs/a.md", True),
    ("src/*.py", "src/a/b.py", False),
    ("src", "src/a.py", True),
    ("src/", "src/x/y", True),
    ("/src", "src/x", True),
    ("src", "srcx/a", False),
    ("src", "lib/src/a", True),
    ("src/app", "src/app/x/y.py", True),
    ("src/app", "src/application", False),
    ("src/app", "lib/src/app/x", False),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("a[bc]/x", "ab/x", True),
    ("a[!bc]/x", "ab/x", False),
    ("a[!bc]/x", "ad/x", True),
    ("[a-c].txt", "b.txt", True),
    ("[a-c].txt", "d.txt", False),
    ("?.py", "a.py", True),
    ("x?y", "x/y", False),
    ("a*b", "a/b", False),
    ("a**b", "a/q/b", True),
    ("Éclair/*.md", "Éclair/x.md", True),
    ("f+(1).txt", "f+(1).txt", True),
]


@pytest.mark.parametrize(("glob", "path", "expected"), CASES)
def test_glob_rules_and_both_matchers_agree(glob: str, path: str, expected: bool) -> None:
    parsed = globs.parse(glob)
    assert parsed.matches(path) is expected
    assert bool(re.search(parsed.regex(), path)) is expected


def test_glob_matching_takes_linear_time() -> None:
    path = "a" * 199 + "c"
    started = time.perf_counter()
    assert not globs.matches("**a**a**a**a**ab", path)
    assert not globs.matches("*a*a*a*a*a*a*a*ab", path)
    # Backtracking would take minutes; the automaton answers in about a millisecond.
    assert time.perf_counter() - started < 1.0


def test_literal_prefix_of_globs() -> None:
    assert globs.parse("src/*.py").literal_prefix() == "src/"
    assert globs.parse("/src/app/main.py").literal_prefix() == "src/app/main.py"
    assert globs.parse("src/a[bc]/x").literal_prefix() == "src/a"
    assert globs.parse("*.py").literal_prefix() == ""
    assert globs.parse("**/x/y").literal_prefix() == ""


@pytest.mark.parametrize("glob", ["", "/", "a[", "x" * 1001])
def test_bad_globs_are_invalid_arguments(glob: str) -> None:
    with pytest.raises(InvalidArgument):
        globs.parse(glob)


def test_author_of_imported_and_native_sessions() -> None:
    meta = {"commits": [{"author": {"name": "Ann", "email": "ann@x"}}]}
    assert author_of(meta) == "Ann <ann@x>"
    assert author_of({"author": "bob"}) == "bob"
    assert author_of({"commits": "garbage"}) == "" and author_of({}) == ""
