"""Helpers that start real services for the tests (PostgreSQL, SeaweedFS, mic servers) and talk
to them; see ``tests/conftest.py`` for the fixtures built on them."""
