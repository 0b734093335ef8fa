"""The `nmr-xl` console script. Importing the command takes a moment (openpyxl, lxml): a Ctrl-C
then, or while the arguments are read, ends the program with one line, never a traceback."""

from __future__ import annotations

import contextlib
import os
import sys


def main() -> int:
    try:
        from nmr_xl.cli import main as run

        code = run()
    except KeyboardInterrupt:  # before nmr_xl.cli's own handling took over
        print("nmr-xl: interrupted", file=sys.stderr)
        code = 130
    if code > 128:
        _leave_now(code)
    return code


def _leave_now(code: int) -> None:
    """The run was stopped (Ctrl-C, a signal) and has cleaned up: leave without finalizing the
    interpreter, in which openpyxl's and lxml's writers left half-closed by the stop would
    print "Exception ignored in ..." tracebacks after the one line that says it stopped."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
