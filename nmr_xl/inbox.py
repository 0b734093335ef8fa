"""Collect a batch's inputs: files, folders, saved e-mails (.eml, .msg) and zip files -> one
`InboxItem` per distinct spreadsheet to check, or per input that cannot be checked.

Everything that arrives by e-mail or in a zip is untrusted. Attachments and zip members are
written into the caller's private work folder under sanitized, length-limited, unique names
(never their own names, which may hold path separators, `..`, control characters or reserved
Windows names); a zip is refused when it would unpack to more than `max_bytes` or holds a member
compressed more than 100:1 (a decompression bomb), and so is a workbook (its own parts, at more
than 250:1). A zip member whose name points elsewhere (absolute, `..`, a drive letter) is checked
under a safe name, saying so; one that is a link or a device, not a file, is an error
(`unsafe-name`). The same content arriving twice (two e-mails, or a file and an attachment) is
one item that lists every place it came from.

Nothing here prints or logs, and nothing here raises for a bad input: every problem becomes an
item's `error`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

from nmr_xl.atomic import create_private
from nmr_xl.errors import InputError
from nmr_xl.read.csv_source import CSV_SUFFIXES
from nmr_xl.read.package import WORKBOOK_BOMB_RATIO, megabytes, unpack_guard
from nmr_xl.read.sources import sniff

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # per input, per attachment and per zip's unpacked total
BOMB_RATIO = 100  # a zip member compressed more than this (and over 10 MB unpacked) is refused
MAX_MEMBERS = 10_000  # spreadsheet members in one zip
MAX_NESTING = 1  # containers (zip, e-mail) inside a container that are still opened
MAX_NAME_CHARS = 80  # stem of an extracted file's name
MAX_SUBDIR_CHARS = 60  # an e-mail's or zip's folder under --out
LABEL_SEP = " \u203a "  # single right angle quote: between an e-mail or zip and its contents

STATE_FILE = ".nmr-xl-state.json"
SUMMARY_FILE = "batch-summary.xlsx"

WORKBOOK_EXTS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})  # .xls / .ods: copied as .xlsx
_OOXML_EXTS = frozenset({".xlsx", ".xlsm"})
CSV_EXTS = CSV_SUFFIXES  # .csv and .tsv: the CSV reader detects delimiter and encoding
CONTAINER_EXTS = frozenset({".eml", ".msg", ".zip"})
_UNSUPPORTED_MESSAGES = {
    ".xlt": "this is an old Excel 97-2003 template (.xlt); open it in Excel and save it as .xlsx",
    ".xlsb": "this is an Excel binary (.xlsb) workbook; save it as .xlsx",
    ".numbers": "this is an Apple Numbers file; export it as Excel (.xlsx)",
}
# Names that look like a spreadsheet nmr-xl cannot read: reported, never silently dropped.
SPREADSHEET_LIKE_EXTS = frozenset(_UNSUPPORTED_MESSAGES) | {
    ".xltx", ".xltm", ".xlw", ".xlam", ".ots", ".fods", ".tab", ".wk1", ".wks", ".123", ".slk",
    ".dif", ".qpw", ".gsheet",
} - CSV_EXTS
_MIME_EXTS = {  # for attachments whose name says nothing
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": ".xlsb",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.apple.numbers": ".numbers",
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/x-zip": ".zip",
    "application/vnd.ms-outlook": ".msg",
}
_EMAIL_HEADERS = frozenset({"from", "to", "cc", "subject", "date", "message-id", "mime-version",
                            "received", "return-path", "reply-to", "sender", "delivered-to"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_FORBIDDEN_IN_NAMES = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                               *(f"lpt{i}" for i in range(10))})
_CHUNK = 1024 * 1024
_MAX_MIME_DEPTH = 50


@dataclass(frozen=True)
class EmailInfo:
    """The message an item came from, from its headers (printable text, or None)."""

    sender: str | None
    subject: str | None
    date: str | None  # ISO 8601 date-time, with the sender's UTC offset when the header had one


@dataclass
class InboxItem:
    """One distinct input: a spreadsheet to check, or something that cannot be checked."""

    path: Path  # the file to check: the original, or a copy extracted into the work dir.
    #             With `error` set it may be the input the item came from (never read it then).
    label: str  # how reports name it, e.g. "inbox/claims.eml \u203a March billing.xlsx"
    sources: list[str]  # every place the same content arrived from (labels), first one first
    email: EmailInfo | None  # the message it came from, when it came from one
    out_subdir: str  # folder under --out for its annotated copy; "" for plain files
    sha256: str | None  # content hash (None when unreadable, empty or too large)
    error: InputError | None  # decided at collection: unsupported-format, corrupt, too-large...
    kind: str | None = None  # "workbook" (.xlsx/.xlsm, by name or content) or "csv" (.csv,
    #                           .tsv); None with an error
    warnings: list[str] = field(default_factory=list)  # about how it arrived, for its report


def collect(paths: Iterable[Path], work_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
            exclude: Iterable[Path] = ()) -> list[InboxItem]:
    """Every input under `paths`, in a deterministic order (arguments in order; folders walked
    recursively in sorted order; attachments in message order; zip members by name).

    `work_dir` must be a private folder (mode 0700) the caller creates and removes; extracted
    attachments are written under it and nowhere else. Folders under `exclude` (the --out
    folder) are not searched. Never raises for a bad input.
    """
    collector = _Collector(Path(work_dir), max_bytes, [Path(p) for p in exclude])
    for path in paths:
        collector.top(Path(path))
    return collector.items


# --- names -----------------------------------------------------------------------------------


def printable(text: str, limit: int = 200) -> str:
    """`text` safe to show: control and format characters dropped, whitespace collapsed,
    at most `limit` characters (cut with an ellipsis)."""
    chars: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Zl", "Zp"):
            chars.append(" ")
        elif not category.startswith("C"):  # Cc control, Cf format (bidi), Cs surrogate, ...
            chars.append(ch)
    result = " ".join("".join(chars).split())
    if len(result) > limit:
        result = result[: limit - 1].rstrip() + "…"
    return result


def safe_name(text: str, limit: int, fallback: str) -> str:
    """One path component made from untrusted text: printable, no separators or characters
    Windows forbids, no leading dots, no trailing dots or spaces, not a reserved device name,
    at most `limit` characters and 200 bytes of UTF-8."""
    cleaned = "".join(" " if ch in _FORBIDDEN_IN_NAMES else ch for ch in printable(text, 10_000))
    cleaned = " ".join(cleaned.split()).strip(" .")[:limit]
    while len(cleaned.encode("utf-8")) > 200:
        cleaned = cleaned[:-1]
    cleaned = cleaned.strip(" .") or fallback
    if cleaned.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def unique_name(name: str, used: set[str], limit: int) -> str:
    """`name`, or `name (2)`, `name (3)` ... not yet in `used` (compared case-insensitively, as
    Windows and macOS do); records the result in `used`."""
    candidate, number = name, 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[: limit - len(suffix)].rstrip(" .") + suffix
    used.add(candidate.casefold())
    return candidate


def _ext(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def _skipped_in_folder(name: str) -> bool:
    """Hidden files, Excel's lock files and our own outputs, never inputs in a folder or zip."""
    lower = name.lower()
    return (name.startswith((".", "~$")) or ".checked." in lower
            or lower in (SUMMARY_FILE, STATE_FILE, "__macosx"))


# --- e-mail headers --------------------------------------------------------------------------


def _header(message: Message, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:  # a malformed header may fail to parse; it is only metadata
        return None
    if value is None:
        return None
    return printable(str(value), 300) or None


def _iso_date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and value.strip():
        try:
            return parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            try:
                return dt.datetime.fromisoformat(value.strip()).isoformat()
            except ValueError:
                return None
    return None


def _eml_info(message: Message) -> EmailInfo:
    return EmailInfo(sender=_header(message, "From"), subject=_header(message, "Subject"),
                     date=_iso_date(_header(message, "Date")))


def _msg_attr(message: Any, name: str) -> Any:
    try:
        return getattr(message, name, None)
    except Exception:  # extract-msg computes these lazily and may fail on odd files
        return None


def _msg_text(message: Any, name: str) -> str | None:
    value = _msg_attr(message, name)
    return (printable(value, 300) or None) if isinstance(value, str) else None


def _msg_info(message: Any) -> EmailInfo:
    return EmailInfo(sender=_msg_text(message, "sender"), subject=_msg_text(message, "subject"),
                     date=_iso_date(_msg_attr(message, "date")))


def _message_folder(info: EmailInfo) -> str:
    subject = safe_name(info.subject or "", MAX_SUBDIR_CHARS, "message")
    text = f"{info.date[:10]} {subject}" if info.date else subject
    return safe_name(text, MAX_SUBDIR_CHARS, "message")


# --- errors ----------------------------------------------------------------------------------


def _too_large(size: int, limit: int) -> InputError:
    return InputError("too-large", f"the file is {megabytes(size)}, over the {megabytes(limit)} "
                                   "limit for one input; split it or check it on its own")


def _unsupported(ext: str) -> InputError:
    message = _UNSUPPORTED_MESSAGES.get(ext) or (
        f"nmr-xl cannot read {ext or 'these'} files; save it as .xlsx (or .csv) and check that")
    return InputError("unsupported-format", message)


def _not_an_input() -> InputError:
    return InputError("unsupported-format", "this is not a file nmr-xl checks: give it .xlsx, "
                                            ".xlsm, .xls, .ods or .csv files, saved e-mails "
                                            "(.eml, .msg) or .zip files")


def _nested() -> InputError:
    return InputError("unsupported-format", "nested archive: this is an archive or message "
                                            "inside another one inside a third; unpack it and "
                                            "check the spreadsheets directly")


def _empty() -> InputError:
    return InputError("empty", "the file is empty (0 bytes)")


def _corrupt_zip() -> InputError:
    return InputError("corrupt", "the zip file is damaged (was it cut short while downloading?); "
                                 "download or save it again")


def _no_spreadsheet_attachment(others: list[str]) -> InputError:
    if not others:
        return InputError("no-spreadsheet", "the e-mail has no attachments: nothing to check "
                                            "(was the billing workbook left off?)")
    return InputError("no-spreadsheet", "the e-mail has no spreadsheet attachment, "
                                        f"{_only(others, 'attachment')}: nothing to check "
                                        "(was the billing workbook left off?)")


def _no_spreadsheet_member(others: list[str]) -> InputError:
    if not others:
        return InputError("no-spreadsheet", "the zip file holds no files: nothing to check")
    return InputError("no-spreadsheet", "the zip file holds no spreadsheet, "
                                        f"{_only(others, 'file')}: nothing to check")


def _only(exts: list[str], noun: str) -> str:
    """What else came, by kind only: "only one attachment (.pdf)". Never the names, which
    may name a patient; an extension is untrusted text too."""
    kinds = ", ".join(sorted({printable(ext, 12) or "no extension" for ext in exts}))
    if len(exts) == 1:
        return f"only one {noun} ({kinds})"
    return f"only {len(exts)} other {noun}s ({kinds})"


# --- the collector ---------------------------------------------------------------------------


@dataclass
class _Contents:
    """What one message held: how many spreadsheets (or things that look like one, nested
    messages included), and the extensions of its other attachments."""

    spreadsheets: int = 0
    others: list[str] = field(default_factory=list)


@dataclass
class _Group:
    """Items that share an --out folder: one message's attachments, or one zip's members."""

    folder_name: str  # proposed out_subdir; "" for plain files
    email: EmailInfo | None
    out_subdir: str | None = None  # allocated with its first item
    work: Path | None = None  # its folder under work_dir, created with its first file
    stems: set[str] = field(default_factory=set)


@dataclass
class _Where:
    """Where a thing was found: its label, group, nesting depth and the input on disk."""

    label: str
    group: _Group
    depth: int
    origin: Path
    warnings: tuple[str, ...] = ()  # for the item found here (how it arrived)

    def child(self, name: str) -> _Where:
        return _Where(self.label + LABEL_SEP + name, self.group, self.depth + 1, self.origin)

    def named(self, name: str, container: str) -> _Where:
        """The child for an attachment or member called `name` (untrusted). One whose name
        points outside its folder (zip-slip: absolute, `..`, a drive letter) is checked all
        the same, since extraction never uses a name; its report says so."""
        child = self.child(printable(name, 160))
        if not _inside_folder(name):
            child.warnings = (f"Its name in the {container} ({printable(name, 120)}) is a "
                              "path leading out of its folder; it was checked under a safe "
                              "name.",)
        return child


class _Collector:
    def __init__(self, work_dir: Path, max_bytes: int, exclude: list[Path]) -> None:
        self.work_dir = work_dir
        self.max_bytes = max_bytes
        self.exclude = {_resolved(p) for p in exclude}
        self.items: list[InboxItem] = []
        self._by_sha: dict[str, InboxItem] = {}
        self._seen_paths: set[Path] = set()
        self._subdirs: set[str] = set()
        self._groups = 0
        self._plain = _Group("", None)

    # -- items

    def _add(self, where: _Where, path: Path, *, sha: str | None = None, kind: str | None = None,
             error: InputError | None = None) -> None:
        group = where.group
        if group.out_subdir is None:
            group.out_subdir = (unique_name(group.folder_name, self._subdirs, MAX_SUBDIR_CHARS)
                                if group.folder_name else "")
        item = InboxItem(path=path, label=where.label, sources=[where.label], email=group.email,
                         out_subdir=group.out_subdir, sha256=sha, error=error,
                         kind=None if error else kind, warnings=list(where.warnings))
        self.items.append(item)
        if sha is not None:
            self._by_sha[sha] = item

    def _seen(self, sha: str, label: str) -> bool:
        """True (and the label recorded) when this content already is an item."""
        item = self._by_sha.get(sha)
        if item is None:
            return False
        if label not in item.sources:
            item.sources.append(label)
        return True

    def _fail(self, where: _Where, error: InputError) -> None:
        self._add(where, where.origin, error=error)

    # -- inputs on disk

    def top(self, path: Path) -> None:
        where = _Where(printable(str(path), 400), self._plain, 0, path)
        try:
            if path.is_dir():
                if path.suffix.lower() == ".numbers":  # a macOS Numbers document is a folder
                    self._fail(where, _unsupported(".numbers"))
                else:
                    self._folder(path)
            elif path.exists():
                self._file(path, where, explicit=True)
            else:
                self._fail(where, InputError("not-found", "no such file or folder"))
        except Exception as exc:  # a bug must not stop the batch
            self._fail(where, _internal(exc))

    def _folder(self, root: Path) -> None:
        found: list[Path] = []
        unreadable: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
            here = Path(dirpath)
            keep = []
            for name in dirnames:
                sub = here / name
                if _skipped_in_folder(name) or _resolved(sub) in self.exclude:
                    continue
                if name.lower().endswith(".numbers"):
                    found.append(sub)
                else:
                    keep.append(name)
            dirnames[:] = sorted(keep)
            found.extend(here / name for name in filenames if not _skipped_in_folder(name))
        for path in sorted(found):
            where = _Where(printable(str(path), 400), self._plain, 0, path)
            try:
                if path.is_dir():
                    self._fail(where, _unsupported(".numbers"))
                else:
                    self._file(path, where, explicit=False)
            except Exception as exc:
                self._fail(where, _internal(exc))
        for exc in unreadable:
            folder = Path(exc.filename) if exc.filename else root
            self._fail(_Where(printable(str(folder), 400), self._plain, 0, folder),
                       InputError("unreadable", f"cannot open the folder ({exc.strerror})"))

    def _file(self, path: Path, where: _Where, *, explicit: bool) -> None:
        ext = path.suffix.lower()
        if ext not in WORKBOOK_EXTS | CSV_EXTS | CONTAINER_EXTS | SPREADSHEET_LIKE_EXTS:
            if explicit:
                self._fail(where, _not_an_input())
            return
        real = _resolved(path)
        if real in self._seen_paths:  # named twice, or a folder and a file in it
            return
        self._seen_paths.add(real)
        try:
            size = path.stat().st_size
        except OSError as exc:
            self._fail(where, InputError("unreadable", f"cannot open the file ({exc.strerror})"))
            return
        if size == 0:
            self._fail(where, _empty())
            return
        if size > self.max_bytes:
            self._fail(where, _too_large(size, self.max_bytes))
            return
        try:
            if ext == ".eml":
                self._eml(path.read_bytes(), where)
            elif ext == ".msg":
                self._msg(path, where)
            elif ext == ".zip":
                self._zip(path, path.name, where, group=None)
            else:
                sha = _hash_file(path)
                if not self._seen(sha, where.label):
                    kind, error, _ = self._classify(path, ext, owned=False)
                    self._add(where, path, sha=sha, kind=kind, error=error)
        except OSError as exc:
            self._fail(where, InputError("unreadable", f"cannot read the file ({exc.strerror})"))

    # -- what a spreadsheet file is

    def _classify(self, path: Path, ext: str, *, owned: bool
                  ) -> tuple[str | None, InputError | None, Path]:
        """(kind, error, path) for a spreadsheet-looking file on disk. A workbook hiding behind
        a .csv or .xls name is found by its content (and an extracted copy renamed to match)."""
        if ext in _OOXML_EXTS:  # .xls / .ods names are checked by content, as other names are
            return "workbook", self._workbook_bomb(path), path
        with path.open("rb") as handle:
            head = handle.read(8)
        if head == _OLE_MAGIC or head[:4] in _ZIP_MAGICS:
            try:
                real_kind = sniff(path)
            except InputError as exc:
                if exc.code == "unsupported-format" and ext in _UNSUPPORTED_MESSAGES:
                    return None, _unsupported(ext), path  # the name says best what to do
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
        return None, _unsupported(ext), path

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

    # -- extracted files

    def _destination(self, group: _Group, name: str, ext: str) -> Path:
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
        if path.parent != group.work or not _resolved(path).is_relative_to(
                _resolved(self.work_dir)):
            raise AssertionError("an extracted name escaped the work folder")  # cannot happen
        return path

    def _release(self, group: _Group, path: Path) -> None:
        path.unlink(missing_ok=True)
        group.stems.discard(path.stem.casefold())

    def _leaf_bytes(self, data: bytes, name: str, ext: str, where: _Where) -> None:
        if not data:
            self._fail(where, _empty())
            return
        if len(data) > self.max_bytes:
            self._fail(where, _too_large(len(data), self.max_bytes))
            return
        sha = hashlib.sha256(data).hexdigest()
        if self._seen(sha, where.label):
            return
        path = self._destination(where.group, name, ext)
        try:
            with os.fdopen(create_private(path), "wb") as out:
                out.write(data)
        except OSError as exc:
            self._release(where.group, path)
            self._fail(where, InputError("unreadable", f"cannot be extracted ({exc.strerror})"))
            return
        self._finish(path, ext, sha, where)

    def _finish(self, path: Path, ext: str, sha: str, where: _Where) -> None:
        kind, error, path = self._classify(path, ext, owned=True)
        self._add(where, path, sha=sha, kind=kind, error=error)

    def _child(self, data: bytes, name: str, ext: str, where: _Where) -> None:
        """An attachment or zip member, already in memory."""
        if ext not in CONTAINER_EXTS:
            self._leaf_bytes(data, name, ext, where)
        elif where.depth > MAX_NESTING:
            self._fail(where, _nested())
        elif not data:
            self._fail(where, _empty())
        elif len(data) > self.max_bytes:
            self._fail(where, _too_large(len(data), self.max_bytes))
        elif ext == ".eml":
            self._eml(data, where)
        elif ext == ".msg":
            self._msg(data, where)
        else:
            self._zip(data, name, where, group=where.group)

    # -- e-mail

    def _eml(self, data: bytes, where: _Where) -> None:
        try:
            message = BytesParser(policy=policy.default).parsebytes(data)
            headers = {key.lower() for key in message}
        except Exception:
            headers = set()
        if not headers & _EMAIL_HEADERS:
            self._fail(where, InputError("corrupt", "this is not a saved e-mail, or it is "
                                                    "damaged (it has no message headers); save "
                                                    "the message again from the mail program"))
            return
        self._eml_message(message, where)

    def _eml_message(self, message: Message, where: _Where) -> None:
        info = _eml_info(message)
        group = _Group(_message_folder(info), info)
        contents = _Contents()
        try:
            self._eml_parts(message, _Where(where.label, group, where.depth, where.origin), 0,
                            contents)
        except RecursionError:
            self._fail(where, InputError("corrupt", "the e-mail's structure is nested too "
                                                    "deeply to read"))
            return
        self._nothing_attached(contents, info, where)

    def _nothing_attached(self, contents: _Contents, info: EmailInfo, where: _Where) -> None:
        """A message without a spreadsheet is an input of its own, with an error: the billing
        manager sees it, and who sent it, among what could not be checked."""
        if not contents.spreadsheets:
            # a group of its own, with no folder under --out: it will have no copies
            self._fail(_Where(where.label, _Group("", info), where.depth, where.origin),
                       _no_spreadsheet_attachment(contents.others))

    def _eml_parts(self, part: Message, where: _Where, level: int, contents: _Contents
                   ) -> None:
        if level > _MAX_MIME_DEPTH:
            return
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and level > 0:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                contents.spreadsheets += 1  # a forwarded message: its own disposition
                subject = _header(inner, "Subject") or "message"
                name = _filename(part) or f"{subject}.eml"
                child = where.child(printable(name, 160))
                if child.depth > MAX_NESTING:
                    self._fail(child, _nested())
                else:
                    self._eml_message(inner, child)
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                self._eml_parts(sub, where, level + 1, contents)
            return
        name = _filename(part)
        ext = _ext(name) if name else ""
        if ext not in WORKBOOK_EXTS | CSV_EXTS | CONTAINER_EXTS | SPREADSHEET_LIKE_EXTS:
            mime_ext = _MIME_EXTS.get(ctype, "")
            if not mime_ext:  # a body, an image, a PDF, a signature: not ours
                if name or part.get_content_disposition() == "attachment":
                    contents.others.append(ext)
                return
            ext = mime_ext
        contents.spreadsheets += 1
        name = name or f"attachment{ext}"
        child = where.named(name, "e-mail")
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if not isinstance(data, bytes):
            self._fail(child, InputError("corrupt", "the attachment cannot be decoded from "
                                                    "the e-mail"))
            return
        self._child(data, name, ext, child)

    def _msg(self, source: Path | bytes, where: _Where) -> None:
        try:
            import extract_msg  # only .msg inputs need it
        except ImportError:
            self._fail(where, InputError("unsupported-format", "reading Outlook .msg files "
                                         "needs the optional extract-msg package (GPL-3.0): "
                                         "pip install 'nmr-xl[msg]', or save the message as "
                                         ".eml"))
            return
        _quiet("extract_msg")
        _quiet("olefile")
        options: dict[str, Any] = {}
        behaviour = getattr(getattr(extract_msg, "enums", None), "ErrorBehavior", None)
        if behaviour is not None:  # one odd attachment must not make the whole message unreadable
            options["errorBehavior"] = behaviour.ATTACH_SUPPRESS_ALL
        try:  # bytes go in a file object: olefile reads short bytes as a file *name*
            message = extract_msg.openMsg(
                io.BytesIO(source) if isinstance(source, bytes) else str(source), **options)
        except Exception:
            self._fail(where, _corrupt_msg())
            return
        try:
            self._msg_message(message, where)
        finally:
            with contextlib.suppress(Exception):
                message.close()

    def _msg_message(self, message: Any, where: _Where) -> None:
        info = _msg_info(message)
        group = _Group(_message_folder(info), info)
        here = _Where(where.label, group, where.depth, where.origin)
        try:
            attachments = list(message.attachments or [])
        except Exception:
            self._fail(where, _corrupt_msg())
            return
        contents = _Contents()
        for attachment in attachments:
            name = None
            for attr in ("longFilename", "shortFilename", "name"):
                value = _msg_attr(attachment, attr)
                if isinstance(value, str) and value.strip():
                    name = value
                    break
            data = _msg_attr(attachment, "data")
            if hasattr(data, "attachments") and not isinstance(data, bytes | bytearray):
                subject = _msg_attr(data, "subject")
                label = name or f"{subject if isinstance(subject, str) else 'message'}.msg"
                contents.spreadsheets += 1  # a forwarded message: its own disposition
                child = here.child(printable(label, 160))
                if child.depth > MAX_NESTING:
                    self._fail(child, _nested())
                else:
                    self._msg_message(data, child)
                continue
            ext = _ext(name) if name else ""
            if ext not in WORKBOOK_EXTS | CSV_EXTS | CONTAINER_EXTS | SPREADSHEET_LIKE_EXTS:
                contents.others.append(ext)
                continue
            contents.spreadsheets += 1
            child = here.named(name or "attachment", "message")
            if not isinstance(data, bytes | bytearray):
                self._fail(child, InputError("corrupt", "the attachment cannot be read from "
                                                        "the message"))
                continue
            self._child(bytes(data), name or f"attachment{ext}", ext, child)
        self._nothing_attached(contents, info, where)

    # -- zip

    def _zip(self, source: Path | bytes, name: str, where: _Where, *, group: _Group | None
             ) -> None:
        """A zip's spreadsheets (and one level of zips and e-mails in it). A plain zip file's
        members get a folder of their own under --out; a zip from a message shares the
        message's."""
        if group is None:
            stem = name.replace("\\", "/").rsplit("/", 1)[-1]
            stem = stem[:-4] if stem.lower().endswith(".zip") else stem
            group = _Group(safe_name(stem, MAX_SUBDIR_CHARS, "archive"), None)
        here = _Where(where.label, group, where.depth, where.origin)
        try:
            handle: BinaryIO | Path = io.BytesIO(source) if isinstance(source, bytes) else source
            with zipfile.ZipFile(handle) as archive:
                self._zip_members(archive, source, name, here)
        except (zipfile.BadZipFile, EOFError, ValueError, zlib.error):
            self._fail(where, _corrupt_zip())

    def _zip_members(self, archive: zipfile.ZipFile, source: Path | bytes, name: str,
                     where: _Where) -> None:
        infos = archive.infolist()
        lowered = {info.filename.lower().replace("\\", "/") for info in infos}
        if "[content_types].xml" in lowered and ("xl/workbook.xml" in lowered
                                                 or "xl/workbook.bin" in lowered):
            self._zip_is_workbook(source, name, where)  # a workbook someone renamed to .zip
            return
        members = []
        others: list[str] = []
        for info in sorted(infos, key=lambda i: i.filename):
            member = info.filename.replace("\\", "/")
            if info.is_dir() or member.endswith("/"):
                continue
            parts = [p for p in member.split("/") if p not in ("", ".", "..")]
            if not parts or any(_skipped_in_folder(p) for p in parts):
                continue
            ext = _ext(member)
            if ext in WORKBOOK_EXTS | CSV_EXTS | CONTAINER_EXTS | SPREADSHEET_LIKE_EXTS:
                members.append((info, ext))
            else:
                others.append(ext)
        if not members:
            self._fail(where, _no_spreadsheet_member(others))
            return
        if len(members) > MAX_MEMBERS:
            self._fail(where, InputError("too-large", f"the zip file holds {len(members):,} "
                                                      "spreadsheets; unzip it and check them "
                                                      "in smaller batches"))
            return
        guard = unpack_guard([info for info, _ in members], what="zip file",
                             max_bytes=self.max_bytes, ratio=BOMB_RATIO,
                             advice="; unzip it yourself and check the files directly")
        if guard is not None:
            self._fail(where, guard)
            return
        for info, ext in members:
            child = where.named(info.filename, "zip")
            if not _regular_member(info):
                self._fail(child, InputError("unsafe-name", "this entry in the zip is a link "
                                                            "(or device), not a file; nmr-xl "
                                                            "does not follow links in zip "
                                                            "files; unzip it and check the "
                                                            "file it points to"))
            elif info.flag_bits & 0x1:
                self._fail(child, InputError("encrypted", "this file in the zip is "
                                                          "password-protected; unzip it with "
                                                          "the password and check the file"))
            elif info.file_size == 0:
                self._fail(child, _empty())
            elif ext in CONTAINER_EXTS:
                data = self._read_member(archive, info, child)
                if data is not None:
                    self._child(data, info.filename, ext, child)
            else:
                self._extract_member(archive, info, ext, child)

    def _zip_is_workbook(self, source: Path | bytes, name: str, where: _Where) -> None:
        if isinstance(source, Path):
            sha = _hash_file(source)
            if not self._seen(sha, where.label):
                kind, error, _ = self._classify(source, ".zip", owned=False)
                self._add(where, source, sha=sha, kind=kind, error=error)
        else:
            self._leaf_bytes(source, name, ".zip", where)

    def _open_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: _Where
                     ) -> BinaryIO | None:
        try:
            return archive.open(info)
        except NotImplementedError:
            self._fail(where, InputError("unsupported-format", "this file in the zip uses a "
                                         "compression method nmr-xl cannot read; unzip it and "
                                         "check the file directly"))
        except RuntimeError:  # zipfile's "encrypted, password required"
            self._fail(where, InputError("encrypted", "this file in the zip is "
                                                      "password-protected"))
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error):
            self._fail(where, _corrupt_member())
        return None

    def _read_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: _Where
                     ) -> bytes | None:
        stream = self._open_member(archive, info, where)
        if stream is None:
            return None
        try:
            with stream:
                data = stream.read(min(info.file_size, self.max_bytes) + 1)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error):
            self._fail(where, _corrupt_member())
            return None
        if len(data) > min(info.file_size, self.max_bytes):
            self._fail(where, _too_large(len(data), self.max_bytes))
            return None
        return data

    def _extract_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, ext: str,
                        where: _Where) -> None:
        stream = self._open_member(archive, info, where)
        if stream is None:
            return
        limit = min(info.file_size, self.max_bytes)
        path = self._destination(where.group, info.filename, ext)
        digest = hashlib.sha256()
        written = 0
        error: InputError | None = None
        try:
            with stream, os.fdopen(create_private(path), "wb") as out:
                while chunk := stream.read(_CHUNK):
                    written += len(chunk)
                    if written > limit:  # more than the zip said: never trust the directory
                        error = _too_large(written, self.max_bytes)
                        break
                    digest.update(chunk)
                    out.write(chunk)
        except (zipfile.BadZipFile, EOFError, ValueError, zlib.error):
            error = _corrupt_member()
        except OSError as exc:
            error = InputError("unreadable", f"cannot be extracted ({exc.strerror})")
        if error is not None:
            self._release(where.group, path)
            self._fail(where, error)
            return
        sha = digest.hexdigest()
        if self._seen(sha, where.label):
            self._release(where.group, path)
            return
        self._finish(path, ext, sha, where)


# --- helpers ---------------------------------------------------------------------------------


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # a malformed RFC 2231 parameter
        return None
    return name if isinstance(name, str) and name.strip() else None


def _regular_member(info: zipfile.ZipInfo) -> bool:
    """False for a symlink, device or other special file (by the file type in its Unix mode;
    many zip writers leave the type out, which means a plain file)."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind in (0, stat.S_IFREG)


def _inside_folder(name: str) -> bool:
    """False for absolute, drive-letter and `..` names, which unzip outside the zip's folder
    (zip-slip). Extraction never uses a member's name, so this decides only a warning."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return False
    return ".." not in name.split("/")


def _quiet(logger_name: str) -> None:
    """Library loggers may carry names and subjects: keep them out of any log."""
    logger = logging.getLogger(logger_name)
    if logger.level < logging.CRITICAL:
        logger.setLevel(logging.CRITICAL + 1)


def _corrupt_msg() -> InputError:
    return InputError("corrupt", "this Outlook message (.msg) is damaged or not a message; "
                                 "save it again from Outlook")


def _corrupt_member() -> InputError:
    return InputError("corrupt", "this file in the zip is damaged (the zip was cut short or "
                                 "altered); download or save the zip again")


def _internal(exc: Exception) -> InputError:
    return InputError("internal-error", f"nmr-xl failed on this input ({type(exc).__name__}); "
                                        "please report it")
