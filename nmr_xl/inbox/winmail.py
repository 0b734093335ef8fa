"""A winmail.dat on its own: the file Outlook wraps a rich-text message's attachments in (TNEF),
as a mail program that cannot read it (Gmail, Apple Mail) shows it and a biller saves it, alone
or in a Gmail "Download all" zip. Its spreadsheets are checked as a zip's members are; a
winmail.dat on disk gets a folder of its own under --out. (In a saved e-mail, the e-mail reader
unwraps it in place: its files are that message's attachments.)"""

from __future__ import annotations

from pathlib import Path

from nmr_xl.inbox.driver import Collector, Group, Where
from nmr_xl.inbox.formats import INPUT_EXTS, input_ext, no_spreadsheet_in_winmail, tnef_damaged
from nmr_xl.inbox.names import MAX_SUBDIR_CHARS, safe_name
from nmr_xl.inbox.wrappers import tnef_files


def read_winmail(collector: Collector, source: Path | bytes, name: str, where: Where) -> None:
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        found = tnef_files(data)
    except ValueError:
        collector.fail(where, tnef_damaged())
        return
    here = where
    if where.group is collector.plain:  # on disk: a folder of its own, as a zip's
        stem = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        here = where.grouped(Group(safe_name(stem, MAX_SUBDIR_CHARS, "winmail"), None))
    others: list[str] = []
    spreadsheets = 0
    for wrapped in found:
        ext = input_ext(wrapped.name)
        if ext not in INPUT_EXTS:
            others.append(ext)
            continue
        spreadsheets += 1
        child = here.named(wrapped.name, "winmail.dat")
        if wrapped.data is None:
            collector.fail(child, tnef_damaged())
        else:
            collector.child(wrapped.data, wrapped.name, ext, child)
    if not spreadsheets:
        collector.fail(where, no_spreadsheet_in_winmail(others))
