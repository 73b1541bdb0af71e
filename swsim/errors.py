"""The error for an exchange that cannot run as set up: a setting, a file, a folder or a port. The `swsim` command
says it in one line with exit status 2 (:func:`swsim.cli.main`), as it does a setting that does not parse."""

from __future__ import annotations


class SetupError(ValueError):
    """What is wrong and what to change, in one sentence."""
