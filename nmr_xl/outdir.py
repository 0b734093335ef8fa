"""The --out folder: one nmr-xl run writes to it at a time, and what an interrupted run left
there is cleaned up.

A run that writes to --out holds LOCK_FILE in it, an OS file lock (flock on Linux and macOS,
msvcrt.locking on Windows, through the filelock package) that the OS releases when the process
ends, however it ends: there is never a stale lock to delete. A second run on the same folder
waits up to LOCK_WAIT seconds for it and then refuses with one line, so two runs never
interleave their copies, summary and state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from nmr_xl.atomic import TEMP_PREFIX, temp_prefix
from nmr_xl.inputs import STATE_FILE

LOCK_FILE = ".nmr-xl.lock"
LOCK_WAIT = 10.0  # seconds a second run waits for the first before refusing
# Temporary files of earlier nmr-xl versions: copies, the state file, the batch summary
_OLD_TEMP_PREFIXES = (".nmr-xl-", ".batch-summary-")


class OutputBusy(Exception):
    """Another run holds the folder; the message is one line for the user."""


@contextmanager
def claim(out_dir: Path, *, wait: float | None = None,
          waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold `out_dir` for this run, waiting up to `wait` seconds (LOCK_WAIT) for another run
    (`waiting` is called when that starts). Raises OutputBusy when the other run keeps holding
    it, and OSError when the lock file cannot be created (the folder cannot be written)."""
    import filelock  # only runs that write need it

    lock = filelock.FileLock(str(out_dir / LOCK_FILE), mode=0o600)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if waiting is not None:
            waiting()
        try:
            lock.acquire(timeout=LOCK_WAIT if wait is None else wait)
        except filelock.Timeout:
            raise OutputBusy(f"{out_dir}: another nmr-xl run is writing to this folder; run "
                             "again when it has finished, or use another --out folder") from None
    try:
        yield
    finally:
        lock.release()


def remove_leftovers(folder: Path, *, pid: int | None = None) -> int:
    """Remove the temporary files an interrupted run left in `folder` and the folders just
    below it (where copies go); returns how many. With `pid`, only those of that process
    (a worker that died while other runs' workers may be writing). Call it while holding the
    folder (claim()) unless `pid` is given."""
    prefixes = (temp_prefix(pid),) if pid is not None else (TEMP_PREFIX, *_OLD_TEMP_PREFIXES)
    removed = 0
    for place in [folder, *(_subfolders(folder) if pid is None else [])]:
        try:
            names = os.listdir(place)
        except OSError:
            continue
        for name in names:
            if name.startswith(prefixes) and name != STATE_FILE:
                path = place / name
                try:
                    if path.is_file() or path.is_symlink():
                        path.unlink()
                        removed += 1
                except OSError:
                    pass  # still not writable: the next run tries again
    return removed


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder)
                if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []
