"""mic: session-based version control. Git tracks what; mic tracks why."""

__version__ = "0.1.0"
