"""Cells that show an error (#N/A, #REF!, #DIV/0! ...). python-calamine hands them over as
blanks (python-calamine issue 105: no API tells an error cell from an empty one), so a #N/A in
the code column would silently drop its line. This module finds them in the file itself, so the
reader can hand the rows on with the error's text in place, as the Excel add-in does, and
NMR002 reports them.

- .xlsx / .xlsm: cells typed t="e" in the worksheet XML, read as a stream; the package
  inspection (nmr_xl.read.package) counts them as it measures each sheet, so only the sheets
  holding any are read again;
- .ods: cells with calcext:value-type="error" (LibreOffice), parsed only when the content holds
  one;
- .xls: BOOLERR records and formula records with an error result in the BIFF8 stream.

Every function returns {} rather than fail: the workbook reader reports a damaged file.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Collection, Iterator
from pathlib import PurePosixPath
from typing import Any

from defusedxml import ElementTree

Errors = dict[str, dict[tuple[int, int], str]]  # sheet -> (row, column), 0-based -> "#N/A"

_CHUNK = 1 << 20
_MARKS = (b't="e"', b"t='e'")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_TYPE = re.compile(rb"""\bt=["']e["']""")
_REF = re.compile(rb"""\br=["']([A-Z]{1,3})(\d+)["']""")
_RICH_VALUE = re.compile(rb"""\bvm=["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def error_cells(path: str, kind: str, sheets: Collection[str] | None = None) -> Errors:
    """The error cells of the sheets of a workbook of this kind ("xlsx", "xlsm", "ods",
    "xls"): every sheet, or only `sheets` (an .xlsx package's inspection counts the error
    cells of each sheet as it measures it, so error-free sheets are not read twice)."""
    if sheets is not None and not sheets:
        return {}
    try:
        if kind in ("xlsx", "xlsm"):
            return _xlsx(path, sheets)
        if kind == "ods":
            return _ods(path)
        if kind == "xls":
            return _xls(path)
    except Exception:  # a damaged part: the reader says what is wrong with the file
        return {}
    return {}


def overlay(rows: list[list[Any]], errors: dict[tuple[int, int], str] | None
            ) -> list[list[Any]]:
    """The rows (changed in place: they are the reader's, whatever its cell type) with each
    error cell's text in place of the blank the reader gave."""
    for (row, col), text in (errors or {}).items():
        while len(rows) <= row:
            rows.append([])
        cells = rows[row]
        if len(cells) <= col:
            cells.extend([""] * (col + 1 - len(cells)))
        if cells[col] in (None, ""):
            cells[col] = text
    return rows


# --- xlsx -------------------------------------------------------------------------------------


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _xlsx(path: str, sheets: Collection[str] | None) -> Errors:
    found: Errors = {}
    with zipfile.ZipFile(path) as archive:
        for name, part in _sheet_parts(archive):
            if sheets is not None and name not in sheets:
                continue
            cells = dict(_xlsx_errors(archive, part))
            if cells:
                found[name] = cells
    return found


def _sheet_parts(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(sheet name, part name) for every worksheet, from workbook.xml and its relationships."""
    names = {n.lower(): n for n in archive.namelist()}
    book = names.get("xl/workbook.xml")
    rels = names.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in ElementTree.fromstring(archive.read(rels)).iter(f"{_NS_PKG}Relationship")}
    for sheet in ElementTree.fromstring(archive.read(book)).iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
        real = names.get(part.lower())
        if real is not None:
            yield sheet.get("name", ""), real


def _xlsx_errors(archive: zipfile.ZipFile, part: str) -> Iterator[tuple[tuple[int, int], str]]:
    """Stream the sheet: only the stretches that hold an error type are searched for cells."""
    with archive.open(part) as stream:
        pending = b""
        while True:
            chunk = stream.read(_CHUNK)
            data = pending + chunk
            end = len(data) if not chunk else data.rfind(b"row>") + 4
            if end < 4:  # no row closed yet in this stretch: read on
                pending = data
                continue
            body, pending = data[:end], data[end:]
            if any(mark in body for mark in _MARKS):
                yield from _cells(body)
            if not chunk:
                return


def _cells(body: bytes) -> Iterator[tuple[tuple[int, int], str]]:
    for match in _CELL.finditer(body):
        attributes = match.group(1)
        if not _TYPE.search(attributes) or _RICH_VALUE.search(attributes):
            continue  # not an error; or a picture placed in the cell (stored as #VALUE!)
        ref = _REF.search(attributes)
        value = _VALUE.search(match.group(2))
        if ref and value:
            text = value.group(1).decode("utf-8", "replace").strip() or "#N/A"
            yield (int(ref.group(2)) - 1, _column(ref.group(1))), text


# --- ods --------------------------------------------------------------------------------------

_ODS = "{urn:oasis:names:tc:opendocument:xmlns:%s}"
_TABLE, _TEXT = _ODS % "table:1.0", _ODS % "text:1.0"
_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"


def _ods(path: str) -> Errors:
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml")
    if b'value-type="error"' not in content:
        return {}
    found: Errors = {}
    root = ElementTree.fromstring(content)
    for table in root.iter(f"{_TABLE}table"):
        cells: dict[tuple[int, int], str] = {}
        row = 0
        for element in table.iter(f"{_TABLE}table-row"):
            rows = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
            col = 0
            for cell in element:
                if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                    continue
                repeat = int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
                if cell.get(f"{_CALCEXT}value-type") == "error":
                    shown = "".join(cell.itertext()).strip()
                    for offset in range(min(rows, 1000)):
                        for step in range(min(repeat, 1000)):
                            cells[(row + offset, col + step)] = (
                                shown if shown.startswith("#") else "#VALUE!")
                col += repeat
            row += rows
        if cells:
            found[table.get(f"{_TABLE}name", "")] = cells
    return found


# --- xls (BIFF8) ------------------------------------------------------------------------------

_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!",
                0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}
_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _BOOLERR, _FORMULA = (
    0x0809, 0x000A, 0x0085, 0x002F, 0x0205, 0x0006)


def _xls(path: str) -> Errors:
    import olefile

    with olefile.OleFileIO(path) as ole:
        stream = "Workbook" if ole.exists("Workbook") else "Book"
        data = ole.openstream(stream).read()
    sheets = _boundsheets(data)
    found: Errors = {}
    for name, offset in sheets:
        cells = dict(_biff_errors(data, offset))
        if cells:
            found[name] = cells
    return found


def _records(data: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    while offset + 4 <= len(data):
        kind, size = struct.unpack_from("<HH", data, offset)
        yield kind, data[offset + 4:offset + 4 + size]
        offset += 4 + size


def _boundsheets(data: bytes) -> list[tuple[str, int]]:
    """(name, stream offset) of each worksheet, from the workbook globals."""
    sheets: list[tuple[str, int]] = []
    biff8 = True
    for kind, body in _records(data, 0):
        if kind == _BOF:
            biff8 = struct.unpack_from("<H", body)[0] == 0x0600
        elif kind == _FILEPASS:
            return []  # encrypted: nothing can be read
        elif kind == _BOUNDSHEET and body[5] == 0:  # dt 0: a worksheet
            sheets.append((_sheet_name(body[6:], biff8), struct.unpack_from("<I", body)[0]))
        elif kind == _EOF:
            break
    return sheets


def _sheet_name(body: bytes, biff8: bool) -> str:
    length = body[0]
    if not biff8:
        return body[1:1 + length].decode("cp1252", "replace")
    if body[1] & 1:
        return body[2:2 + 2 * length].decode("utf-16-le", "replace")
    return body[2:2 + length].decode("latin-1")


def _biff_errors(data: bytes, offset: int) -> Iterator[tuple[tuple[int, int], str]]:
    depth = 0
    for kind, body in _records(data, offset):
        if kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                return
        elif kind == _BOOLERR and len(body) >= 8 and body[7] == 1:
            row, col = struct.unpack_from("<HH", body)
            yield (row, col), _BIFF_ERRORS.get(body[6], "#VALUE!")
        elif kind == _FORMULA and len(body) >= 14 and body[12:14] == b"\xff\xff" \
                and body[6] == 0x02:
            row, col = struct.unpack_from("<HH", body)
            yield (row, col), _BIFF_ERRORS.get(body[8], "#VALUE!")

