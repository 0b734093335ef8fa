"""Inputs on disk: the paths given (files and folders), and folders walked recursively in
sorted order. A file is collected once however often it is named; a container goes to its
reader."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nmr_xl.errors import InputError
from nmr_xl.inbox.driver import Collector, Where, resolved
from nmr_xl.inbox.formats import (
    CONTAINER_EXTS,
    INPUT_EXTS,
    empty,
    input_ext,
    internal,
    not_an_input,
    too_large,
    unsupported,
)
from nmr_xl.inbox.names import printable, skipped_in_folder
from nmr_xl.read.sources import not_a_file


def collect_path(collector: Collector, path: Path) -> None:
    """A path given on the command line: a file or a folder."""
    where = _on_disk(collector, path)
    try:
        if path.is_dir():
            if path.suffix.lower() == ".numbers":  # a macOS Numbers document is a folder
                collector.fail(where, unsupported(".numbers"))
            else:
                _folder(collector, path)
        elif path.exists():
            _file(collector, path, where, explicit=True)
        else:
            collector.fail(where, InputError("not-found", "no such file or folder"))
    except Exception as exc:  # a bug must not stop the batch
        collector.fail(where, internal(exc))


def _on_disk(collector: Collector, path: Path) -> Where:
    return Where(printable(str(path), 400), collector.plain, 0, path)


def _folder(collector: Collector, root: Path) -> None:
    found: list[Path] = []
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
        here = Path(dirpath)
        keep = []
        for name in dirnames:
            sub = here / name
            if skipped_in_folder(name) or resolved(sub) in collector.exclude:
                continue
            if name.lower().endswith(".numbers"):
                found.append(sub)
            else:
                keep.append(name)
        dirnames[:] = sorted(keep)
        found.extend(here / name for name in filenames if not skipped_in_folder(name))
    for path in sorted(found):
        where = _on_disk(collector, path)
        try:
            if path.is_dir():
                collector.fail(where, unsupported(".numbers"))
            else:
                _file(collector, path, where, explicit=False)
        except Exception as exc:
            collector.fail(where, internal(exc))
    for problem in unreadable:
        folder = Path(problem.filename) if problem.filename else root
        collector.fail(_on_disk(collector, folder),
                       InputError("unreadable", f"cannot open the folder ({problem.strerror})"))


def _file(collector: Collector, path: Path, where: Where, *, explicit: bool) -> None:
    """A file on disk; one found in a folder that is not an input is passed over, one named
    on the command line is an input with an error."""
    ext = input_ext(path.name)
    if ext not in INPUT_EXTS:
        if explicit:
            collector.fail(where, not_an_input())
        return
    real = resolved(path)
    if real in collector.seen_paths:  # named twice, or a folder and a file in it
        return
    collector.seen_paths.add(real)
    try:
        info = path.stat()
    except OSError as exc:
        collector.fail(where, InputError("unreadable", f"cannot open the file ({exc.strerror})"))
        return
    if not stat.S_ISREG(info.st_mode):  # reading a named pipe would wait for a writer forever
        collector.fail(where, not_a_file(info.st_mode))
        return
    size = info.st_size
    if size == 0:
        collector.fail(where, empty())
        return
    if size > collector.max_bytes:
        collector.fail(where, too_large(size, collector.max_bytes))
        return
    try:
        if ext in CONTAINER_EXTS:
            collector.open(ext, path, path.name, where)
        else:
            collector.file_on_disk(path, ext, where)
    except OSError as exc:
        collector.fail(where, InputError("unreadable", f"cannot read the file ({exc.strerror})"))

