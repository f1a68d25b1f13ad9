"""Helpers shared by the tests (fixtures stay in the conftest.py files, built on these).

Services started for real: PostgreSQL (``postgres``), SeaweedFS (``seaweed``), mic servers (the
package's own ``micelio.testing``, shared with ``bench/``), on free ports (``procs``). Talking
to them: the CLI (``cli``), the gRPC stubs (``rpc``), the web viewer (``web``), a server's rows
and objects (``inspect``), a project's state (``projects``), migration jobs (``migrations``).
Inputs: git repositories and commands (``gitrepo``), hand-built commits (``git_changes``,
``history``), refused paths (``bad_paths``). Test modules import from here, never from each
other or from a conftest.
"""
