"""Collect a batch's inputs: files, folders, saved e-mails (.eml, .msg, .mbox) and zip files -> one
`InboxItem` per distinct spreadsheet to check, or per input that cannot be checked.

Everything that arrives by e-mail or in a zip is untrusted. Attachments and zip members are
written into the caller's private work folder under sanitized, length-limited, unique names
(never their own names, which may hold path separators, `..`, control characters or reserved
Windows names); a zip is refused when it would unpack to more than `max_bytes` or holds a member
compressed more than 100:1 (a decompression bomb), and so is a workbook (its own parts, at more
than 250:1). A zip member whose name points elsewhere (absolute, `..`, a drive letter) is checked
under a safe name, saying so; one that is a link or a device, not a file, is an error
(`unsafe-name`). The same content arriving twice (two e-mails, or a file and an attachment) is
one item that lists every place it came from, and keeps the e-mail it came with.

Nothing here prints or logs, and nothing here raises for a bad input: every problem becomes an
item's `error`.

The modules: `driver` (items, where things were found, extraction), `folder` (inputs on disk),
one reader per container (`eml` for .eml and .mbox, `msg`, `archive` for zips, `winmail` for a
winmail.dat on its own), `wrappers` (what mailers wrap attachments in: winmail.dat, S/MIME,
uuencode), `formats` (which files are inputs, and the errors) and `names` (untrusted names made
safe).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nmr_xl.inbox.archive import read_zip
from nmr_xl.inbox.driver import DEFAULT_MAX_BYTES, Collector, InboxItem
from nmr_xl.inbox.eml import read_eml, read_mbox
from nmr_xl.inbox.folder import collect_path
from nmr_xl.inbox.formats import CONTAINER_EXTS, WINMAIL_EXT, input_ext
from nmr_xl.inbox.msg import read_msg
from nmr_xl.inbox.winmail import read_winmail

__all__ = ["CONTAINER_EXTS", "DEFAULT_MAX_BYTES", "InboxItem", "collect", "input_ext"]


def collect(paths: Iterable[Path], work_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
            exclude: Iterable[Path] = ()) -> list[InboxItem]:
    """Every input under `paths`, in a deterministic order (arguments in order; folders walked
    recursively in sorted order; attachments in message order; zip members by name).

    `work_dir` must be a private folder (mode 0700) the caller creates and removes; extracted
    attachments are written under it and nowhere else. Folders under `exclude` (the --out
    folder) are not searched. Never raises for a bad input.
    """
    collector = Collector(Path(work_dir), max_bytes, [Path(p) for p in exclude],
                          {".eml": read_eml, ".msg": read_msg, ".mbox": read_mbox,
                           ".zip": read_zip, WINMAIL_EXT: read_winmail})
    for path in paths:
        collect_path(collector, Path(path))
    return collector.items
