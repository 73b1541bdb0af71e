"""The `swsim` script's entry point: loading the commands takes about half a second, and Ctrl-C meanwhile ends the
command quietly (status 130) rather than with a traceback from whichever module was loading."""

from __future__ import annotations


def main() -> None:
    try:
        from swsim.cli import main as run
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    run()
