"""Write a file so that nobody sees half of it and nobody else can read it.

Every file nmr-xl writes (annotated copies, the batch summary, the state file, the JSON report)
goes through `private_file`: a private (0600) temporary file beside the destination, moved into
place in one step when it is complete. A run killed halfway leaves at most that hidden temporary
file, named TEMP_PREFIX + the writing process's id; the next run on the same output folder
removes it (nmr_xl.outdir.remove_leftovers), and so does the parent of a worker that died.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_PREFIX = ".nmr-xl-tmp-"


def temp_prefix(pid: int | None = None) -> str:
    """The start of the names of the temporary files process `pid` (this one) writes."""
    return f"{TEMP_PREFIX}{os.getpid() if pid is None else pid}-"


@contextmanager
def private_file(dest: Path) -> Iterator[Path]:
    """Yield a new, empty, private temporary file beside `dest` to write; when the block ends
    without an error it becomes `dest` (replacing any file there), else it is removed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=temp_prefix(), suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # the writer may have replaced the file with one of its own (a rewritten zip): private
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def quiet_failed_saves() -> Iterator[None]:
    """Around a save that may fail (a full disk): openpyxl then leaves its zip file open, and
    when that is garbage-collected its close fails too, which Python reports on stderr as
    "Exception ignored in: <function ZipFile.__del__>" with a traceback. Such a second OSError
    says nothing the caller's error does not; within the block it is dropped. With lxml
    installed, openpyxl writes through lxml's incremental writer, whose abandoned elements fail
    to close the same way (lxml's LxmlSyntaxError is a SyntaxError)."""
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, OSError | ValueError | SyntaxError):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        gc.collect()
        sys.unraisablehook = previous


def create_private(path: Path) -> int:
    """Create `path`, which must not exist, readable and writable by its owner only; returns
    its file descriptor (os.fdopen it). For files in a private work folder, which hold patient
    data too (extracted attachments) or findings."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                   0o600)
