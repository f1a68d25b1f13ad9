"""Types of the shared fixtures in ``tests/conftest.py``, for the tests' annotations."""

from __future__ import annotations

from collections.abc import Callable

from micelio.testing import MicServer

# mic_server(db="sqlite"|"postgres", storage="file"|"s3", *, data_dir=None,
# inline_threshold=None) -> a started MicServer
MicServerFactory = Callable[..., MicServer]
