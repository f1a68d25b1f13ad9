"""The working directory's own error."""


class WorkdirError(Exception):
    """The working directory is not in a state the command can work with."""
