"""What a workbook package holds, found from the zip itself before any reader opens it.

python-calamine builds a sheet as one dense block from A1 to its last used cell, and aborts the
whole process (a Rust allocation failure, which no `except` catches) when that block does not
fit in memory: a 2 KB workbook with one value in XFD1048576 asks for 512 GiB. So every limit is
decided here, from the package, before a reader sees it:

- the zip directory: how much the package unpacks to, and how hard each part is compressed
  (padding compresses 1000:1; real Excel files reach about 120:1);
- each worksheet's used range, scanned from its XML in chunks: a sheet whose range would span
  more than MAX_SHEET_CELLS cells is not read (the sheet is skipped, saying why);
- the text a sheet's cells take from the shared-strings table: python-calamine hands Python a
  copy of a shared text for every cell that refers to it, so 1,000 cells pointing at one
  1 MiB text cost 2 GB, from an 11 KB file; a sheet over MAX_SHEET_TEXT is not read;
- how many cells the worksheets hold, which decides whether an annotated copy is written
  (openpyxl needs about 600 bytes and 50 microseconds per cell);
- zip checksums that do not match (Excel ignores them; Python's zipfile and python-calamine
  refuse such a part) and sheets python-calamine refuses to open the workbook for (Excel 4
  macro sheets): the readers are then given a mended copy.

The scan is cheap for what real exports hold. A sheet's `<dimension>` is not trusted (a
workbook may declare anything); instead the cell references themselves are bounded, in three
steps, each run only when the one before cannot prove the sheet small enough: (1) counts, the
rows' numbers and one search, which bound the last row by its number of digits and the last
column by single letters (a 100,000-line export: about 0.3 s for its 48 MB of XML); (2) every
reference read exactly; (3) every tag walked, for references written in other forms, and cells
that hold no value ignored (python-calamine ignores them too).
"""

from __future__ import annotations

import codecs
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from nmr_xl.errors import InputError
from nmr_xl.model import column_letter

MAX_PACKAGE_BYTES = 200 * 1024 * 1024  # unpacked, per input (as for a zip's members)
# A part unpacking to more than BOMB_MIN_BYTES at more than this ratio is padding, not data:
# Excel's own files reach about 120:1 (a 57 MB sheet of repeated formulas, measured).
WORKBOOK_BOMB_RATIO = 250
BOMB_MIN_BYTES = 10 * 1024 * 1024
# The cells a sheet's used range (A1 to its last row and column) may span for python-calamine:
# 32 bytes each in its block plus 8 per cell in the rows handed to Python, so about 1.3 GB at
# most. Every sheet of 1,048,576 rows by up to 32 columns fits.
MAX_SHEET_CELLS = 1_048_576 * 32
# Bytes of shared text the cells of one sheet may refer to (copied once per cell by the reader):
# a 100,000-line export refers to about 20 MB.
MAX_SHEET_TEXT = 256 * 1024 * 1024
# An annotated copy is written by openpyxl, which holds every cell of the workbook as an object
# (about 600 bytes and 50 microseconds each, measured on a 100,000-line export). Above this the
# check still runs and reports; only the copy is left out, saying why.
MAX_COPY_CELLS = 2_000_000

_CHUNK = 4 * 1024 * 1024
_XML_PARTS = (".xml", ".rels", ".vml")
_OFFICE_DOCUMENT = "/officeDocument"
_WORKSHEET_PART = re.compile(r"(^|/)worksheets/[^/]+\.xml$")
# Sheet relationship types python-calamine opens a workbook with (by the type's last segment).
_CALAMINE_SHEETS = frozenset({"worksheet", "chartsheet", "dialogsheet"})
_MACRO_SHEETS = frozenset({"xlmacrosheet", "xlintlmacrosheet"})


@dataclass
class SheetExtent:
    """How far a worksheet's cells reach: `rows` x `columns` bounds its used range from A1."""

    name: str
    part: str
    rows: int
    columns: int
    cells: int  # <c> elements, holding a value or not (openpyxl loads them all)
    strings: int = 0  # cells holding a shared text (t="s")
    text: int = 0  # bytes of shared text those cells refer to; 0 where provably small
    errors: int = 0  # cells showing an error (t="e"), which python-calamine hands over blank

    @property
    def span(self) -> int:
        return self.rows * self.columns

    def too_large(self) -> str | None:
        """Why python-calamine must not read this sheet, or None."""
        if self.span > MAX_SHEET_CELLS:
            return (f"too large to read: its cells reach row {self.rows:,} and column "
                    f"{column_letter(self.columns)} ({self.columns:,}), a range of "
                    f"{self.span:,} cells, more than the {MAX_SHEET_CELLS:,} one sheet may span "
                    "(is there a stray value far below or to the right of the data?)")
        if self.text > MAX_SHEET_TEXT:
            return (f"too large to read: its {self.strings:,} text cells refer to "
                    f"{megabytes(self.text)} of shared text in all (the same long texts again "
                    f"and again), more than the {megabytes(MAX_SHEET_TEXT)} one sheet may hold")
        return None


@dataclass
class Package:
    """What inspect() found."""

    sheets: list[SheetExtent] = field(default_factory=list)
    bad_checksums: list[str] = field(default_factory=list)  # parts whose CRC does not match
    # parts that cannot be unpacked at all: a worksheet's name -> why it is not read; other
    # parts are the business of the reader or writer that needs them
    damaged_sheets: dict[str, str] = field(default_factory=dict)
    damaged_parts: list[str] = field(default_factory=list)
    # sheets python-calamine refuses to open the workbook for: name -> why they are skipped
    unopenable: dict[str, str] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        return sum(s.cells for s in self.sheets)

    def refused_sheets(self) -> dict[str, str]:
        """Sheet name -> why it is not read (its range is too large, or its part cannot be
        unpacked). The name is "" for a worksheet part whose name the workbook's sheet list did
        not give."""
        refused = {s.name: reason for s in self.sheets if (reason := s.too_large())}
        return {**refused, **self.damaged_sheets}

    def error_sheets(self) -> set[str]:
        """The sheets holding cells that show an error (read by nmr_xl.read.error_cells)."""
        return {s.name for s in self.sheets if s.errors}

    def copy_blocker(self) -> str | None:
        """Why no annotated copy is written (too many cells for openpyxl), or None."""
        return too_many_cells_to_copy(self.cells, "workbook")

    def needs_mending(self) -> bool:
        return bool(self.unopenable or (self.bad_checksums and not self.damaged_parts))


def too_many_cells_to_copy(cells: int, what: str) -> str | None:
    """Why a `what` ("workbook", "file") of `cells` cells gets no annotated copy, or None."""
    if cells <= MAX_COPY_CELLS:
        return None
    return (f"the {what} holds {cells:,} cells, more than the {MAX_COPY_CELLS:,} an annotated "
            "copy is written for (it would take several GB of memory and many minutes); the "
            "findings are all in the report")


# --- the zip directory -------------------------------------------------------------------------


def unpack_guard(infos: Iterable[zipfile.ZipInfo], *, what: str, max_bytes: int,
                 ratio: int, advice: str) -> InputError | None:
    """`too-large` when the members would unpack to more than `max_bytes`, or one of more than
    BOMB_MIN_BYTES is compressed more than `ratio`:1 (a decompression bomb). Read from the
    directory only: milliseconds, whatever the file."""
    infos = list(infos)
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        return InputError("too-large", f"the {what} would unpack to {megabytes(total)}, over the "
                                       f"{megabytes(max_bytes)} limit (a possible decompression "
                                       f"bomb){advice}")
    for info in infos:
        if info.file_size > BOMB_MIN_BYTES and info.file_size > ratio * max(info.compress_size, 1):
            return InputError("too-large", f"a part of the {what} is compressed more than "
                                           f"{ratio}:1 ({megabytes(info.file_size)} from "
                                           f"{megabytes(info.compress_size)}; a possible "
                                           f"decompression bomb){advice}")
    return None


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


# --- reading parts -------------------------------------------------------------------------------


def _open_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, verify: bool) -> IO[bytes]:
    stream = archive.open(info)
    if not verify:
        # zipfile checks the CRC when it reaches the end and then raises instead of returning
        # the last bytes; Excel never checks it. No public switch exists for this.
        stream._expected_crc = None  # type: ignore[attr-defined]
    return stream


def _is_crc_error(exc: zipfile.BadZipFile) -> bool:
    return "CRC" in str(exc)


def read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Up to `limit` bytes of a part, whatever its checksum says."""
    with _open_part(archive, info, verify=False) as stream:
        return stream.read(limit)


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, verify: bool
            ) -> Iterator[bytes]:
    """The part in chunks that each end just before a '<', so no tag is ever cut in two."""
    carry = b""
    with _open_part(archive, info, verify=verify) as stream:
        while block := stream.read(_CHUNK):
            data = carry + block
            cut = data.rfind(b"<")
            if cut <= 0 or len(data) - cut > _CHUNK:  # no tag start, or a "tag" this long
                carry = b""
                yield data
            else:
                carry = data[cut:]
                yield data[:cut]
    if carry:
        yield carry


def declares_dtd(archive: zipfile.ZipFile) -> bool:
    """Whether an XML part declares a DTD (<!DOCTYPE), which can only come before its first
    element, however long the comments and processing instructions before it are. This gives
    the plain `unsafe-xml` message; the readers never expand entities anyway (python-calamine
    does not, openpyxl goes through defusedxml)."""
    for info in archive.infolist():
        if not info.filename.lower().endswith(_XML_PARTS) or info.file_size == 0:
            continue
        try:
            if _prolog_has_doctype(archive, info):
                return True
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
                RuntimeError):
            continue  # a damaged or encrypted member: the reader reports the file
    return False


def _prolog_has_doctype(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    with _open_part(archive, info, verify=False) as stream:
        head = stream.read(4)
        if head.startswith(b"\xef\xbb\xbf"):  # UTF-8's byte-order mark
            head = head[3:]
        encoding = ("utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff")
                    else "utf-16-le" if head[:2] == b"<\x00"
                    else "utf-16-be" if head[:2] == b"\x00<" else None)
        decoder = codecs.getincrementaldecoder(encoding)("replace") if encoding else None

        def more() -> str:
            block = stream.read(64 * 1024)
            if decoder is not None:
                return decoder.decode(block, final=not block)
            return block.decode("latin-1")  # the markup sought is ASCII

        text = decoder.decode(head) if decoder is not None else head.decode("latin-1")
        position = 0
        while True:
            while position < len(text) and (text[position].isspace()
                                            or text[position] == "\ufeff"):
                position += 1
            if len(text) - position < 9:
                block = more()
                if not block:
                    return text[position:].startswith("<!DOCTYPE")
                text = text[position:] + block
                position = 0
                continue
            if text.startswith("<!DOCTYPE", position):
                return True
            end_mark = ("?>" if text.startswith("<?", position)
                        else "-->" if text.startswith("<!--", position) else None)
            if end_mark is None:
                return False  # the first element (or not XML at all): no DTD can follow
            end = text.find(end_mark, position + 2)
            while end < 0:  # a long comment: read on, keeping only its tail
                block = more()
                if not block:
                    return False
                text = text[-len(end_mark):] + block
                position = 0
                end = text.find(end_mark)
            position = end + len(end_mark)


# --- sheets and their parts ---------------------------------------------------------------------


@dataclass
class _SheetEntry:
    name: str
    rel_id: str
    part: str | None  # the zip member's name, when its relationship resolves to one
    kind: str  # the relationship type's last segment, lower case ("worksheet" ...), or ""


def _parse(data: bytes) -> object:
    try:
        return SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        return None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _relationships(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], rels: str
                   ) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target) of a .rels part."""
    info = names.get(rels.lower())
    if info is None or info.file_size > 16 * 1024 * 1024:
        return {}
    root = _parse(read_part(archive, info, info.file_size))
    found: dict[str, tuple[str, str]] = {}
    for element in getattr(root, "iter", lambda: [])():
        if _local(element.tag) == "Relationship":
            found[element.get("Id", "")] = (element.get("Type", ""), element.get("Target", ""))
    return found


def _resolve(base_dir: str, target: str) -> str:
    target = target.replace("\\", "/")
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base_dir, target)
    return posixpath.normpath(path).lstrip("/")


@dataclass
class _Parts:
    """The workbook part, its sheets in order, and its shared-strings part (member names)."""

    workbook: str | None
    sheets: list[_SheetEntry]
    shared_strings: str | None


def workbook_parts(archive: zipfile.ZipFile) -> _Parts:
    """The workbook's parts, each sheet with the part its relationship points at."""
    names = {info.filename.lower().replace("\\", "/"): info for info in archive.infolist()}
    workbook = "xl/workbook.xml"
    for rel_type, target in _relationships(archive, names, "_rels/.rels").values():
        if rel_type.endswith(_OFFICE_DOCUMENT) and target:
            workbook = _resolve("", target)
            break
    directory, base = posixpath.split(workbook)
    rels = _relationships(archive, names, posixpath.join(directory, "_rels", base + ".rels"))
    shared = next((names.get(_resolve(directory, target).lower()) for rel_type, target
                   in rels.values() if rel_type.endswith("/sharedStrings")),
                  names.get("xl/sharedstrings.xml"))
    info = names.get(workbook.lower())
    if info is None or info.file_size > 64 * 1024 * 1024:
        return _Parts(None, [], shared.filename if shared else None)
    root = _parse(read_part(archive, info, info.file_size))
    entries = []
    for element in getattr(root, "iter", lambda: [])():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((value for key, value in element.attrib.items()
                       if _local(key) == "id"), "")
        rel_type, target = rels.get(rel_id, ("", ""))
        member = names.get(_resolve(directory, target).lower()) if target else None
        entries.append(_SheetEntry(element.get("name", ""), rel_id,
                                   member.filename if member else None,
                                   rel_type.rsplit("/", 1)[-1].lower()))
    return _Parts(info.filename, entries, shared.filename if shared else None)


# --- the scan ------------------------------------------------------------------------------------


def inspect(path: Path, *, max_bytes: int = MAX_PACKAGE_BYTES) -> Package:
    """Inspect a workbook package (after sniff() accepted it). Raises InputError for a package
    too large to unpack or too damaged to scan; every other finding is in the result."""
    try:
        with zipfile.ZipFile(path) as archive:
            guard = unpack_guard(archive.infolist(), what="workbook", max_bytes=max_bytes,
                                 ratio=WORKBOOK_BOMB_RATIO, advice="; it was not read")
            if guard is not None:
                raise guard
            return _inspect(archive)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError) as exc:
        raise InputError("corrupt", "the workbook is damaged: a part of it cannot be unpacked "
                                    f"({type(exc).__name__})") from None


def _inspect(archive: zipfile.ZipFile) -> Package:
    package = Package()
    parts = workbook_parts(archive)
    entries = parts.sheets
    for entry in entries:
        if entry.kind in _MACRO_SHEETS:
            package.unopenable[entry.name] = "not a worksheet (Excel 4 macro sheet)"
        elif entry.kind not in _CALAMINE_SHEETS:
            package.unopenable[entry.name] = ("cannot be read (the workbook does not say where "
                                              "the sheet is)")
    worksheets = {e.part: e.name for e in entries if e.kind == "worksheet" and e.part}
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = worksheets.get(info.filename)
        if name is None and not worksheets and _WORKSHEET_PART.search(info.filename.lower()):
            name = ""  # the sheet list cannot be read: bound every worksheet part, unnamed
        try:
            try:
                if name is not None:
                    package.sheets.append(_scan_sheet(archive, info, name, verify=True))
                else:
                    _drain(archive, info, verify=True)
            except zipfile.BadZipFile as exc:
                if not _is_crc_error(exc):
                    raise
                package.bad_checksums.append(info.filename)
                if name is not None:
                    package.sheets.append(_scan_sheet(archive, info, name, verify=False))
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError):
            package.damaged_parts.append(info.filename)
            if name is not None:
                package.damaged_sheets[name] = ("cannot be read (its part of the workbook's zip "
                                                "package is damaged)")
    if parts.shared_strings is not None and parts.shared_strings not in package.damaged_parts:
        _measure_shared_text(archive, archive.getinfo(parts.shared_strings), package.sheets)
    return package


def _measure_shared_text(archive: zipfile.ZipFile, table: zipfile.ZipInfo,
                         sheets: list[SheetExtent]) -> None:
    """Set `text` of every sheet whose text cells could refer to more than MAX_SHEET_TEXT of
    shared text: bounded first by the table's size, then by its longest text, then counted."""
    lengths: list[int] | None = None
    for sheet in sheets:
        if sheet.strings * table.file_size <= MAX_SHEET_TEXT:
            continue
        if lengths is None:
            lengths = _text_lengths(archive, table)
        if sheet.strings * max(lengths, default=0) <= MAX_SHEET_TEXT:
            continue
        known = len(lengths)
        for chunk in _chunks(archive, archive.getinfo(sheet.part), verify=False):
            for index in _SHARED_CELL.findall(chunk):
                number = int(index)
                if number < known:
                    sheet.text += lengths[number]


_SHARED_ITEM = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?si\b[^>]*?(/?)>")
_SHARED_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*>\s*"
                          rb"<(?:[A-Za-z_][\w.-]*:)?v>\s*(\d{1,10})")


def _text_lengths(archive: zipfile.ZipFile, table: zipfile.ZipInfo) -> list[int]:
    """The size in bytes of each item of the shared-strings table, in order (its XML: at
    least as long as its text)."""
    lengths: list[int] = []
    offset, start = 0, None
    for chunk in _chunks(archive, table, verify=False):
        for match in _SHARED_ITEM.finditer(chunk):
            closing, empty = match.group(1), match.group(2)
            if closing and start is not None:
                lengths.append(offset + match.end() - start)
                start = None
            elif not closing and empty:
                lengths.append(0)
            elif not closing:
                start = offset + match.start()
        offset += len(chunk)
    return lengths


def _drain(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, verify: bool) -> None:
    with _open_part(archive, info, verify=verify) as stream:
        while stream.read(_CHUNK):
            pass


class _Patterns:
    """The byte patterns of one sheet part, for its namespace prefix (usually none)."""

    def __init__(self, prefix: bytes) -> None:
        c, row = b"<" + prefix + b"c", b"<" + prefix + b"row"
        # Cells that may hold a value start "<c " or "<c>" ("<c/>" holds none). Other white
        # space after a tag's name is legal but nobody writes it: such a cell escapes the scan,
        # and the worker's isolation and memory ceiling are the backstop.
        self.cell_starts = (c + b" ", c + b">")
        self.canonical = c + b' r="'  # how Excel, openpyxl and most exporters write a cell
        self.rows = row  # also counts the one "<rowBreaks": a bound need not be exact
        self.row_number = re.compile(re.escape(row) + rb' r="(\d{1,12})"')
        self.reference = re.compile(re.escape(self.canonical) + rb"([A-Za-z]{1,3})(\d{1,12})")
        self._beyond: dict[int, re.Pattern[bytes]] = {}
        name = rb"(?:[A-Za-z_][\w.-]*:)?"
        self.tag = re.compile(rb"<(/?)" + name + rb"(row|c|v|is)\b([^>]*?)(/?)>")

    def beyond(self, digits: int) -> re.Pattern[bytes]:
        """A canonical reference to a column past Z, or to a row number of more than `digits`
        digits."""
        if digits not in self._beyond:
            self._beyond[digits] = re.compile(re.escape(self.canonical)
                                              + rb"[A-Za-z](?:[A-Za-z]|\d{%d})" % (digits + 1))
        return self._beyond[digits]


_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>/]")
_ATTR_R = re.compile(rb'(?:^|\s)r\s*=\s*["\']\s*([A-Za-z]{1,3})(\d{1,12})')


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *, verify: bool
                ) -> SheetExtent:
    with _open_part(archive, info, verify=verify) as stream:
        head = stream.read(64 * 1024)
    root = _ROOT.search(head)
    patterns = _Patterns(root.group(1) + b":" if root and root.group(1) else b"")

    # Step 1: counts, row numbers and two searches.
    cells = canonical = rows = numbered = last_row = strings = errors = 0
    beyond = False
    for chunk in _chunks(archive, info, verify=verify):
        cells += sum(chunk.count(start) for start in patterns.cell_starts)
        strings += chunk.count(b' t="s"') + chunk.count(b" t='s'")
        errors += chunk.count(b' t="e"') + chunk.count(b" t='e'")
        canonical += chunk.count(patterns.canonical)
        rows += chunk.count(patterns.rows)
        numbers = patterns.row_number.findall(chunk)
        if numbers:
            numbered += len(numbers)
            last_row = max(last_row, max(map(int, numbers)))
        if not beyond:
            row_bound = last_row + rows - numbered  # a row without a number follows the last
            beyond = patterns.beyond(len(str(max(row_bound, 1)))).search(chunk) is not None
    if canonical == cells and not beyond:
        # every cell in the usual form, its column a single letter, its row number no longer
        # than the rows' own: the range fits in 10**digits - 1 rows by 26 columns
        bound = 10 ** len(str(max(last_row + rows - numbered, 1))) - 1
        extent = SheetExtent(name, info.filename, bound, 26, cells, strings, errors=errors)
        if extent.span <= MAX_SHEET_CELLS:
            return extent

    # Step 2: every reference, exactly (cells holding no value included).
    if canonical == cells:
        last_row = last_column = 0
        for chunk in _chunks(archive, info, verify=verify):
            references = patterns.reference.findall(chunk)
            if references:
                last_row = max(last_row, max(int(r) for _, r in references))
                last_column = max(last_column, max(_column(c) for c, _ in set(references)))
        extent = SheetExtent(name, info.filename, last_row, last_column, cells, strings,
                             errors=errors)
        if extent.span <= MAX_SHEET_CELLS:
            return extent

    # Step 3: walk the tags; only cells holding a value (<v>, <is>) count, as for calamine.
    extent = _walk(archive, info, name, patterns, cells, verify=verify)
    extent.strings, extent.errors = strings, errors
    return extent


def _walk(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, patterns: _Patterns,
          cells: int, *, verify: bool) -> SheetExtent:
    row = column = last_row = last_column = 0
    open_cell = False
    for chunk in _chunks(archive, info, verify=verify):
        for closing, tag, attributes, empty in patterns.tag.findall(chunk):
            if tag == b"row" and not closing:
                number = re.search(rb'(?:^|\s)r\s*=\s*["\']\s*(\d{1,12})', attributes)
                row = int(number.group(1)) if number else row + 1
                column = 0
            elif tag == b"c" and not closing:
                reference = _ATTR_R.search(attributes)
                if reference:
                    column, row = _column(reference.group(1)), int(reference.group(2))
                else:
                    column += 1
                open_cell = not empty
            elif tag == b"c":
                open_cell = False
            elif open_cell and not closing:  # <v> or <is> inside a cell: it holds a value
                last_row, last_column = max(last_row, row), max(last_column, column)
                open_cell = False
    return SheetExtent(name, info.filename, last_row, last_column, cells)


def _column(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + byte - 64
    return number


# --- mended copies ------------------------------------------------------------------------------


def mend(path: Path, package: Package, folder: Path) -> tuple[Path, Path]:
    """(source, calamine_source): copies of the workbook in `folder` (private, the caller's)
    that the readers can open, or `path` itself where nothing needs mending.

    `source` has every part with a checksum that matches (what Excel reads, for every reader and
    the annotated copy; not made when a part cannot be unpacked at all, as a copy would lack
    it); `calamine_source` also leaves out of its sheet list the sheets python-calamine refuses
    to open the workbook for (they are listed as skipped instead)."""
    source = path
    if package.bad_checksums and not package.damaged_parts:
        source = folder / f"checksums{path.suffix}"
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(source, "w") as zout:
            for info in zin.infolist():
                with _open_part(zin, info, verify=False) as stream:
                    zout.writestr(info, stream.read())
    if not package.unopenable:
        return source, source
    calamine_source = folder / f"sheets{path.suffix}"
    try:
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(calamine_source, "w") as zout:
            parts = workbook_parts(zin)
            drop = {e.rel_id for e in parts.sheets if e.name in package.unopenable}
            for info in zin.infolist():
                data = read_part(zin, info, info.file_size)
                if info.filename == parts.workbook:
                    data = _without_sheets(data, drop)
                zout.writestr(info, data)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError):
        return source, source  # a part cannot be unpacked: the reader says what it can read
    return source, calamine_source


_SHEET_ELEMENT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheet\b([^>]*?)(?:/>|>.*?</\1sheet>)",
                            re.S)
_ID_ATTRIBUTE = re.compile(rb'\s[\w.-]*:?id\s*=\s*["\']([^"\']*)["\']')


def _without_sheets(workbook: bytes, rel_ids: set[str]) -> bytes:
    def keep(match: re.Match[bytes]) -> bytes:
        found = _ID_ATTRIBUTE.search(match.group(2))
        rel_id = found.group(1).decode("utf-8", "replace") if found else ""
        return b"" if rel_id in rel_ids else match.group(0)

    return _SHEET_ELEMENT.sub(keep, workbook)

