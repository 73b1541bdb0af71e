"""The CLI's rich consoles: markup, no highlighting, and one line per line of output when it goes to a pipe or a
file (rich would otherwise wrap at 80 columns there, splitting lines that scripts grep)."""

from __future__ import annotations

import sys

from rich.console import Console


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(highlight=False, stderr=stderr, soft_wrap=not stream.isatty())
