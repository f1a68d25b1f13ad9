"""A mic server as a separate process: the starter ships in the package (``micelio.testing``)
so that ``bench/`` needs nothing from ``tests``; these are its names for the test suite."""

from micelio.testing import CHANNEL_OPTIONS, START_TIMEOUT, STARTED, MicServer, start_mic_server

__all__ = ["CHANNEL_OPTIONS", "STARTED", "START_TIMEOUT", "MicServer", "start_mic_server"]
