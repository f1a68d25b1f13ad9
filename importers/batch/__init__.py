"""Batch migrations (``mic migrate``): many repositories imported by many workers.

The job's state lives on the mic server (``JobService``); these modules are the client side,
one job each:

- ``manifest``: the TOML manifest: validation, normal form, digest and job id (pure).
- ``repository``: importing one repository with the Git importer's own functions.
- ``retry``: bounded exponential backoff for transient server errors.
- ``lease``: renewing a claim, with progress, while a repository imports.
- ``worker``: claim → import under lease → finish; the loop of a local worker.
- ``executor``: the local executor (worker processes on this machine).
- ``queue``: the rq executor (an rq job per repository, workers anywhere).
- ``progress``: the live view of a running job; ``report``: the report, JSON and text.
"""
