"""The collector every container reader works for: one `InboxItem` per distinct content (the
same content arriving again only adds where it came from), where each thing was found, and the
extraction of an attachment or zip member into the private work folder under a safe name.

Containers are handed to the reader of their kind (`Reader`, one module each: nmr_xl.inbox.eml,
.msg, .archive), which hands what it finds back to `Collector.child`.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nmr_xl.atomic import create_private
from nmr_xl.errors import InputError
from nmr_xl.inbox.formats import (
    CONTAINER_EXTS,
    CSV_EXTS,
    OOXML_EXTS,
    WORKBOOK_EXTS,
    empty,
    has_unsupported_message,
    nested,
    no_spreadsheet_attachment,
    too_large,
    unsupported,
)
from nmr_xl.inbox.names import (
    MAX_NAME_CHARS,
    MAX_SUBDIR_CHARS,
    inside_folder,
    printable,
    safe_name,
    unique_name,
)
from nmr_xl.inputs import LABEL_SEP, EmailInfo
from nmr_xl.read.package import WORKBOOK_BOMB_RATIO, unpack_guard
from nmr_xl.read.sources import sniff

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # per input, per attachment and per zip's unpacked total
MAX_NESTING = 1  # containers (zip, e-mail) inside a container that are still opened
MAX_MEMBERS = 10_000  # spreadsheet members in one zip, messages in one mailbox
MAX_FORWARDS = 10  # messages attached (forwarded) inside each other, read with the message
CHUNK = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass
class InboxItem:
    """One distinct input: a spreadsheet to check, or something that cannot be checked."""

    path: Path  # the file to check: the original, or a copy extracted into the work dir.
    #             With `error` set it may be the input the item came from (never read it then).
    label: str  # how reports name it, e.g. "inbox/claims.eml \u203a March billing.xlsx"
    sources: list[str]  # every place the same content arrived from (labels), first one first
    email: EmailInfo | None  # the message it came from, when it came from one (any of them)
    out_subdir: str  # folder under --out for its annotated copy; "" for plain files
    sha256: str | None  # content hash (None when unreadable, empty or too large)
    error: InputError | None  # decided at collection: unsupported-format, corrupt, too-large...
    kind: str | None = None  # "workbook" (.xlsx/.xlsm, by name or content) or "csv" (.csv,
    #                           .tsv); None with an error
    warnings: list[str] = field(default_factory=list)  # about how it arrived, for its report
    origin: Path | None = None  # the input on disk it came from: the file, e-mail or zip


@dataclass
class Contents:
    """What one message held: how many spreadsheets (or things that look like one, nested
    messages included), and the extensions of its other attachments."""

    spreadsheets: int = 0
    others: list[str] = field(default_factory=list)


@dataclass
class Group:
    """Items that share an --out folder: one message's attachments, or one zip's members."""

    folder_name: str  # proposed out_subdir; "" for plain files
    email: EmailInfo | None
    out_subdir: str | None = None  # allocated with its first item
    work: Path | None = None  # its folder under work_dir, created with its first file
    stems: set[str] = field(default_factory=set)


@dataclass
class Where:
    """Where a thing was found: its label, group, nesting depth and the input on disk."""

    label: str
    group: Group
    depth: int
    origin: Path
    warnings: tuple[str, ...] = ()  # for the item found here (how it arrived)

    def child(self, name: str) -> Where:
        return Where(self.label + LABEL_SEP + name, self.group, self.depth + 1, self.origin)

    def inside(self, name: str) -> Where:
        """A part of this container read with it (a forwarded message, a mailbox's message):
        labelled as a child, at the same depth, since nothing more was opened."""
        return Where(self.label + LABEL_SEP + name, self.group, self.depth, self.origin)

    def named(self, name: str, container: str) -> Where:
        """The child for an attachment or member called `name` (untrusted). One whose name
        points outside its folder (zip-slip: absolute, `..`, a drive letter) is checked all
        the same, since extraction never uses a name; its report says so."""
        child = self.child(printable(name, 160))
        if not inside_folder(name):
            child.warnings = (f"Its name in the {container} ({printable(name, 120)}) is a "
                              "path leading out of its folder; it was checked under a safe "
                              "name.",)
        return child

    def grouped(self, group: Group) -> Where:
        """The same place, its finds going into `group`."""
        return Where(self.label, group, self.depth, self.origin)


# A container's reader: (collector, the container's bytes or file, its name, where it is)
Reader = Callable[["Collector", Path | bytes, str, Where], None]


class Collector:
    def __init__(self, work_dir: Path, max_bytes: int, exclude: Iterable[Path],
                 readers: Mapping[str, Reader]) -> None:
        self.work_dir = work_dir
        self.max_bytes = max_bytes
        self.exclude = {resolved(p) for p in exclude}
        self.readers = readers  # by extension: .eml, .msg, .zip
        self.items: list[InboxItem] = []
        self.plain = Group("", None)  # files on disk
        self.seen_paths: set[Path] = set()  # files on disk already collected
        self._by_sha: dict[str, InboxItem] = {}
        self._subdirs: set[str] = set()
        self._groups = 0

    # -- items

    def add(self, where: Where, path: Path, *, sha: str | None = None, kind: str | None = None,
            error: InputError | None = None) -> None:
        group = where.group
        if group.out_subdir is None:
            group.out_subdir = (unique_name(group.folder_name, self._subdirs, MAX_SUBDIR_CHARS)
                                if group.folder_name else "")
        item = InboxItem(path=path, label=where.label, sources=[where.label], email=group.email,
                         out_subdir=group.out_subdir, sha256=sha, error=error,
                         kind=None if error else kind, warnings=list(where.warnings),
                         origin=where.origin)
        self.items.append(item)
        if sha is not None:
            self._by_sha[sha] = item

    def seen(self, sha: str, where: Where) -> bool:
        """True when this content already is an item: the place is added to its sources, and
        the message it came with, when the item had none (a file that also arrived by e-mail
        keeps who sent it, whichever came first)."""
        item = self._by_sha.get(sha)
        if item is None:
            return False
        if where.label not in item.sources:
            item.sources.append(where.label)
        if item.email is None:
            item.email = where.group.email
        return True

    def fail(self, where: Where, error: InputError) -> None:
        self.add(where, where.origin, error=error)

    def nothing_attached(self, contents: Contents, info: EmailInfo, where: Where) -> None:
        """A message without a spreadsheet is an input of its own, with an error: the billing
        manager sees it, and who sent it, among what could not be checked."""
        if not contents.spreadsheets:
            # a group of its own, with no folder under --out: it will have no copies
            self.fail(where.grouped(Group("", info)),
                      no_spreadsheet_attachment(contents.others))

    # -- what a spreadsheet file is

    def file_on_disk(self, path: Path, ext: str, where: Where) -> None:
        """A spreadsheet file given or found on disk (never moved or renamed)."""
        sha = hash_file(path)
        if not self.seen(sha, where):
            kind, error, _ = self._classify(path, ext, owned=False)
            self.add(where, path, sha=sha, kind=kind, error=error)

    def _classify(self, path: Path, ext: str, *, owned: bool
                  ) -> tuple[str | None, InputError | None, Path]:
        """(kind, error, path) for a spreadsheet-looking file on disk. A workbook hiding behind
        a .csv or .xls name is found by its content (and an extracted copy renamed to match)."""
        if ext in OOXML_EXTS:  # .xls / .ods names are checked by content, as other names are
            return "workbook", self._workbook_bomb(path), path
        with path.open("rb") as handle:
            head = handle.read(8)
        if head == _OLE_MAGIC or head[:4] in _ZIP_MAGICS:
            try:
                real_kind = sniff(path)
            except InputError as exc:
                if exc.code == "unsupported-format" and has_unsupported_message(ext):
                    return None, unsupported(ext), path  # the name says best what to do
                return None, exc, path
            if real_kind == "csv":
                return "csv", None, path
            if owned:
                renamed = path.with_suffix("." + real_kind)
                path.rename(renamed)
                path = renamed
            return "workbook", self._workbook_bomb(path), path
        if ext in CSV_EXTS:
            return "csv", None, path
        if ext in WORKBOOK_EXTS:  # a CSV export saved as .xls (read), an HTML table (said so)
            try:
                return ("csv" if sniff(path) in ("csv", "html") else "workbook"), None, path
            except InputError as exc:
                return None, exc, path
        return None, unsupported(ext), path

    def _workbook_bomb(self, path: Path) -> InputError | None:
        """A workbook is a zip too: refuse one that would unpack to more than max_bytes or
        holds a part of padding (nmr_xl.read.package), from its directory alone."""
        try:
            with zipfile.ZipFile(path) as archive:
                return unpack_guard(archive.infolist(), what="workbook",
                                    max_bytes=self.max_bytes, ratio=WORKBOOK_BOMB_RATIO,
                                    advice="; it was not read")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return None  # not a zip, or a broken one: the reader says what it is

    # -- containers and extracted files

    def open(self, ext: str, source: Path | bytes, name: str, where: Where) -> None:
        """A container (.eml, .msg, .zip) to its reader."""
        self.readers[ext](self, source, name, where)

    def child(self, data: bytes, name: str, ext: str, where: Where) -> None:
        """An attachment or zip member, already in memory."""
        if ext not in CONTAINER_EXTS:
            self.leaf_bytes(data, name, ext, where)
        elif where.depth > MAX_NESTING:
            self.fail(where, nested())
        elif not data:
            self.fail(where, empty())
        elif len(data) > self.max_bytes:
            self.fail(where, too_large(len(data), self.max_bytes))
        else:
            self.open(ext, data, name, where)

    def destination(self, group: Group, name: str, ext: str) -> Path:
        """A new, unique file under the group's work folder, named after (never by) `name`."""
        if group.work is None:
            self._groups += 1
            group.work = self.work_dir / f"{self._groups:04d}"
            group.work.mkdir(mode=0o700, parents=True)
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
        stem = unique_name(safe_name(base, MAX_NAME_CHARS, "attachment"), group.stems,
                           MAX_NAME_CHARS)
        path = group.work / (stem + ext)
        if path.parent != group.work or not resolved(path).is_relative_to(
                resolved(self.work_dir)):
            raise AssertionError("an extracted name escaped the work folder")  # cannot happen
        return path

    def release(self, group: Group, path: Path) -> None:
        """Remove an extracted file that is not an item after all, and free its name."""
        path.unlink(missing_ok=True)
        group.stems.discard(path.stem.casefold())

    def leaf_bytes(self, data: bytes, name: str, ext: str, where: Where) -> None:
        """A spreadsheet in memory: an item, extracted, unless its content already is one."""
        if not data:
            self.fail(where, empty())
            return
        if len(data) > self.max_bytes:
            self.fail(where, too_large(len(data), self.max_bytes))
            return
        sha = hashlib.sha256(data).hexdigest()
        if self.seen(sha, where):
            return
        path = self.destination(where.group, name, ext)
        try:
            with os.fdopen(create_private(path), "wb") as out:
                out.write(data)
        except OSError as exc:
            self.release(where.group, path)
            self.fail(where, InputError("unreadable", f"cannot be extracted ({exc.strerror})"))
            return
        self.extracted(path, ext, sha, where)

    def extracted(self, path: Path, ext: str, sha: str, where: Where) -> None:
        """A spreadsheet extracted to `path` (content hash `sha`, not seen before): an item."""
        kind, error, path = self._classify(path, ext, owned=True)
        self.add(where, path, sha=sha, kind=kind, error=error)


def resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
