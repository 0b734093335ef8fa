"""The `nmr-xl` console script. Importing the command takes a moment (openpyxl, lxml): a Ctrl-C
then, or while the arguments are read, ends the program with one line, never a traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from nmr_xl.cli import main as run

        return run()
    except KeyboardInterrupt:  # before nmr_xl.cli's own handling took over
        print("nmr-xl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
