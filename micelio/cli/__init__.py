"""The ``mic`` command line."""
