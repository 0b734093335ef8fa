"""Workbook files -> billing tables. Recognises what a file really is before reading it, so a
renamed, encrypted or old-format file gets one plain sentence instead of a library's traceback.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Collection, Mapping
from pathlib import Path

import python_calamine as calamine

from nmr_xl.config.model import Config
from nmr_xl.errors import InputError
from nmr_xl.model import SkippedSheet, Table, Workbook
from nmr_xl.read.csv_source import CSV_SUFFIXES, DELIMITERS, decode
from nmr_xl.read.error_cells import error_cells, overlay
from nmr_xl.read.package import declares_dtd, read_part
from nmr_xl.read.table import build_table, fill_merged_down, summary_sheets

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# The first record of an Excel 2.x, 3.0 or 4.0 worksheet file (BIFF2-4 BOF: type and length,
# little-endian): a bare record stream, not an OLE compound file; python-calamine reads neither.
_OLD_EXCEL_BOF = (b"\x09\x00\x04\x00", b"\x09\x02\x06\x00", b"\x09\x04\x06\x00")
_SCAN_LIMIT = 16 * 1024 * 1024  # an OLE directory sits well inside this in any real file


def not_a_file(mode: int) -> InputError:
    """The error of a path that is a folder, a named pipe, a device ... where a file belongs."""
    if stat.S_ISDIR(mode):
        kind = "folder"
    elif stat.S_ISFIFO(mode):
        kind = "named pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        kind = "socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "device"
    else:
        kind = "special file"
    return InputError("unreadable", f"this is not a file but a {kind}; nothing was read from it")


def sniff(path: Path) -> str:
    """"xlsx" or "xlsm" (by content type), "xls" (Excel 97-2003), "ods" (OpenDocument), "csv"
    (a text file named .csv or .tsv: the CSV reader decides whether it really is text; or a
    CSV export saved as .xls or .ods), "html" (a web page saved as .xls), or raise InputError
    saying what the file is."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a named pipe would wait for a writer forever
            raise not_a_file(info.st_mode)
        size = info.st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise InputError("not-found", "no such file") from None
    except OSError as exc:
        raise InputError("unreadable", f"cannot open the file ({exc.strerror})") from None
    if size == 0:
        raise InputError("empty", "the file is empty (0 bytes)")
    if head == _OLE_MAGIC:
        with path.open("rb") as handle:
            if _ENCRYPTION_STREAM in handle.read(_SCAN_LIMIT):
                raise InputError("encrypted", "the workbook is password-protected; save an "
                                              "unprotected copy and check that")
        if _is_biff_workbook(path):
            return "xls"
        raise InputError("unsupported-format", "this Office 97-2003 compound file holds no Excel "
                                               "97-2003 (.xls) workbook (a Word or Outlook file?)")
    if head[:4] in _OLD_EXCEL_BOF:
        raise InputError("unsupported-format", "this is a worksheet in an Excel format older "
                                               "than Excel 97 (Excel 2.x to 4.0); open it in "
                                               "Excel or LibreOffice and save it as .xlsx")
    if not head.startswith(b"PK"):
        if path.suffix.lower() in CSV_SUFFIXES:
            return "csv"  # a workbook named .csv is read as the workbook it is
        return _text_named_like_a_workbook(path)
    try:
        with zipfile.ZipFile(path) as archive:
            listed = [n.lower().replace("\\", "/") for n in archive.namelist()]
            names = set(listed)
            content_types = _content_types(archive)
            dtd = declares_dtd(archive)
            sealed = _encrypted_ods(archive)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise InputError("corrupt", "the file is damaged: it is not a complete workbook "
                                    "(was it cut short while saving or downloading?)") from None
    if "xl/workbook.bin" in names:
        raise InputError("unsupported-format", "this is an Excel binary (.xlsb) workbook; save "
                                               "it as .xlsx")
    ods = "mimetype" in names and "content.xml" in names
    if ods and sealed:
        raise InputError("encrypted", "the spreadsheet is password-protected; save an "
                                      "unprotected copy and check that")
    if any(n.startswith("index/") and n.endswith(".iwa") for n in names):
        raise InputError("unsupported-format", "this is an Apple Numbers file; export it as "
                                               "Excel (.xlsx)")
    if not ods and not any(n.endswith("workbook.xml") for n in names):
        raise InputError("unsupported-format", "this zip file is not an Excel workbook")
    if len(names) < len(listed):
        raise InputError("corrupt", "the workbook holds two parts with the same name (or names "
                                    "differing only in letter case), so which one Excel shows "
                                    "is unclear; it was not read")
    if dtd:
        raise InputError("unsafe-xml", "refused: the workbook's XML declares a DTD, which Excel "
                                       "never writes and XML entity-expansion attacks (\"billion "
                                       "laughs\") rely on; it was not read")
    if ods:
        return "ods"
    return "xlsm" if b"macroEnabled" in content_types else "xlsx"


_TEXT_SAMPLE = 64 * 1024


def _text_named_like_a_workbook(path: Path) -> str:
    """A file named .xlsx, .xls ... that is neither a zip nor an OLE file. Practice systems
    save CSV exports and web pages (HTML tables) under an Excel name: Excel opens them when
    named .xls (after a warning), and so does nmr-xl ("csv" or "html"; a CSV export named .ods
    too); under an .xlsx name Excel refuses them, and nmr-xl says what they are. An Excel 2003
    XML spreadsheet is named, and anything else is not a workbook."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(_TEXT_SAMPLE)
    except OSError as exc:
        raise InputError("unreadable", f"cannot open the file ({exc.strerror})") from None
    try:
        text, _ = decode(sample)
    except InputError:
        text = ""
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body",
                         "<style")) or (start.startswith("<") and "<table" in start):
        if path.suffix.lower() == ".xls":
            return "html"  # Excel opens a web page saved as .xls (after a warning)
        raise InputError("unsupported-format", "this is a web page (an HTML table) saved "
                                               "under a spreadsheet's name, as some practice "
                                               "systems export reports, which Excel does not "
                                               "open under an .xlsx name; rename it to .xls, or "
                                               "export the report as CSV")
    if start.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in start:
        raise InputError("unsupported-format", "this is an Excel 2003 XML spreadsheet; open it "
                                               "in Excel and save it as .xlsx")
    if text and not start.startswith("<") and any(d in text for d in DELIMITERS):
        if path.suffix.lower() in (".xls", ".ods"):
            return "csv"  # Excel opens a CSV export saved as .xls (after a warning)
        raise InputError("unsupported-format", "this is not an Excel workbook but a text (CSV) "
                                               f"file under a {path.suffix} name, which Excel "
                                               "does not open either; rename it to .csv and "
                                               "check that")
    raise InputError("unsupported-format", "this is not an Excel workbook (.xlsx, .xlsm, "
                                           ".xls) or OpenDocument spreadsheet (.ods)")


_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))


def _is_biff_workbook(path: Path) -> bool:
    """An OLE compound file holding Excel's Workbook (or Excel 5's Book) stream."""
    with path.open("rb") as handle:
        head = handle.read(_SCAN_LIMIT)
    return any(name in head for name in _WORKBOOK_STREAMS)


def _encrypted_ods(archive: zipfile.ZipFile) -> bool:
    """An OpenDocument file whose manifest lists encrypted parts."""
    try:
        info = archive.getinfo("META-INF/manifest.xml")
    except KeyError:
        return False
    return info.file_size < 1_000_000 and b"encryption-data" in archive.read(info)


def _content_types(archive: zipfile.ZipFile) -> bytes:
    """[Content_Types].xml, even when its checksum is wrong (Excel does not check it)."""
    for info in archive.infolist():
        if info.filename.lower() == "[content_types].xml" and info.file_size < 1_000_000:
            return read_part(archive, info, info.file_size)
    return b""


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_workbook(path: Path, config: Config, *, kind: str = "xlsx",
                  refused: Mapping[str, str] | None = None,
                  error_sheets: Collection[str] | None = None) -> Workbook:
    """Read every worksheet with python-calamine (cached formula results, fast) into tables.
    `kind` is what sniff() found; cells showing an error are handed on as its text (only those
    of `error_sheets` when the package inspection says which sheets hold any). Sheets named in
    `refused` (name -> reason, from nmr_xl.read.package) are not read."""
    errors = error_cells(str(path), kind, error_sheets)
    try:
        if path.suffix.lower() == f".{kind}" and _utf8_name(path):
            book = calamine.CalamineWorkbook.from_path(str(path))
        else:  # a renamed workbook: from_path picks its reader by the extension, not content;
            #    and it cannot open a name that is not UTF-8 (bytes a Linux file name allows)
            with path.open("rb") as handle:
                book = calamine.CalamineWorkbook.from_filelike(handle)
    except calamine.PasswordError:
        raise InputError("encrypted", "the workbook is password-protected") from None
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        raise InputError("corrupt", f"the workbook cannot be read ({_short(exc)})") from None
    tables: list[Table] = []
    skipped: list[SkippedSheet] = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                skipped.append(SkippedSheet(meta.name, "not a worksheet (chart or macro sheet)"))
                continue
            if refused and meta.name in refused:
                skipped.append(SkippedSheet(meta.name, refused[meta.name]))
                continue
            try:
                sheet = book.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False)
                merged = _merged_ranges(sheet)
                del sheet  # the library's own copy of every cell: freed before lines are read
            except Exception as exc:
                skipped.append(SkippedSheet(meta.name, f"cannot be read ({_short(exc)})"))
                continue
            rows = overlay(rows, errors.get(meta.name))
            rows = fill_merged_down(rows, merged)
            width = max((len(r) for r in rows), default=0)
            result = build_table(meta.name, rows, config, width=width)
            if isinstance(result, Table):
                tables.append(result)
            else:
                skipped.append(result)
    finally:
        book.close()
    tables, summaries = summary_sheets(tables)
    return Workbook(tables, skipped + summaries)


def _merged_ranges(sheet: calamine.CalamineSheet) -> list[tuple[int, int, int, int]]:
    """The sheet's merged cells as (first row, first column, last row, last column), 0-based;
    none when the format or the library version does not say."""
    try:
        found = sheet.merged_cell_ranges or []
        return [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in found]
    except Exception:  # .xls / .ods readers and older versions may not list them
        return []


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
