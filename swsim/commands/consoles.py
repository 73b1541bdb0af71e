"""The CLI's rich consoles: markup, no highlighting, and each line of text on one line when the output goes to a
pipe or a file (rich would otherwise wrap at 80 columns there, splitting lines that scripts grep). Tables are laid
out for people, at the terminal's width or 80 columns; scripts read the commands' ``--json`` output instead."""

from __future__ import annotations

from typing import Any

from rich.console import Console


class _Console(Console):
    def print(self, *objects: Any, soft_wrap: bool | None = None, **kwargs: Any) -> None:
        """Soft-wrapped unless the output is a terminal, decided at each print: where the output goes can change
        after the console is made (a test runner swaps ``sys.stdout``)."""
        super().print(*objects, soft_wrap=not self.is_terminal if soft_wrap is None else soft_wrap, **kwargs)


def console(stderr: bool = False) -> Console:
    return _Console(highlight=False, stderr=stderr)
