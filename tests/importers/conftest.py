"""Shared fixtures: every fixture repository, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import build


@pytest.fixture(scope="session")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Name -> path of every repository ``fixtures/build.py all`` makes."""
    return build.build_all(tmp_path_factory.mktemp("git-fixtures"))
