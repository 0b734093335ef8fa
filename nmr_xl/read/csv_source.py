"""CSV exports -> billing tables. Encoding and delimiter are detected, never asked for: practice
software writes UTF-8 (with or without a byte-order mark), Windows-1252, or Excel's "Unicode
text" (UTF-16), separated by commas, semicolons (European Excel), tabs or pipes.

Every cell is read as text ('' is a blank); the value parsers read numbers and dates from text,
and the annotated copy keeps the file's text exactly (see nmr_xl.write.xlsx.write_rows_copy).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nmr_xl.config.model import Config
from nmr_xl.errors import InputError
from nmr_xl.model import Table, Workbook
from nmr_xl.read.package import MAX_SHEET_CELLS
from nmr_xl.read.table import build_table

CSV_SUFFIXES = frozenset({".csv", ".tsv"})
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SAMPLE_CHARS = 64 * 1024
# csv.Sniffer's regular expressions take time quadratic in the sample on some text (many quotes
# never closed): it sees a smaller one. 8 KiB is still dozens of rows.
_SNIFF_CHARS = 8 * 1024
_MAX_SHEET_TITLE = 31
_BAD_TITLE_CHARS = re.compile(r"[\\/?*\[\]:\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n?")
# Bytes no text file holds (tab, line feed, form feed, carriage return and DOS's end-of-file
# Ctrl-Z excepted); a few in a real export are noise, many mean a binary file.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26))
_BINARY_SHARE = 0.05


@dataclass
class CsvData:
    """The rows of a CSV file (row 1 first, '' read as None) and how the file was written."""

    sheet: str
    rows: list[list[str | None]]
    encoding: str  # a plain name: "UTF-8", "UTF-8 with BOM", "Windows-1252", "UTF-16"
    delimiter: str  # "" for a web page's table (nmr_xl.read.html_source)
    format: str = "CSV"  # what the file is, for run facts and warnings

    @property
    def noun(self) -> str:
        """"CSV file", or the format itself ("HTML table")."""
        return "CSV file" if self.format == "CSV" else self.format

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def describe(self) -> str:
        """'UTF-8 with BOM, semicolon-separated' for run facts and warnings."""
        if self.delimiter not in _DELIMITER_NAMES:
            return self.encoding
        return f"{self.encoding}, {_DELIMITER_NAMES[self.delimiter]}-separated"


def sheet_title(stem: str) -> str:
    """A file name as a valid Excel sheet title: no \\ / ? * [ ] :, 31 characters at most, not
    blank, no apostrophe at either end, and not Excel's reserved "History"."""
    title = _BAD_TITLE_CHARS.sub("_", stem).strip().strip("'").strip()[:_MAX_SHEET_TITLE]
    title = title.rstrip("'").strip()
    if not title:
        return "CSV"
    return f"{title}_" if title.lower() == "history" else title


def load_csv(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CsvData:
    """Read and decode a CSV file into rows of text, or raise InputError saying why not."""
    data = read_bytes(path, max_bytes)
    text, encoding = decode(data)
    text = text.rstrip("\x1a")  # DOS's end-of-file marker
    if not text.strip():
        raise InputError("empty", "the CSV file has no data (only blank lines)")
    delimiter = detect_delimiter(text)
    rows = parse_rows(text, delimiter)
    if not any(cell is not None and cell.strip() for row in rows for cell in row):
        raise InputError("empty", "the CSV file has no data (only separators and blanks)")
    return CsvData(sheet_title(path.stem), rows, encoding, delimiter)


def csv_workbook(data: CsvData, config: Config) -> Workbook:
    """The CSV's one sheet as a billing table, or the reason it holds none."""
    result = build_table(data.sheet, data.rows, config, width=data.width)
    return Workbook([result], []) if isinstance(result, Table) else Workbook([], [result])


def read_csv(path: Path, config: Config, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Workbook:
    """A CSV file -> a Workbook with its one table (sheet name from the file name) or the reason
    it holds none."""
    return csv_workbook(load_csv(path, max_bytes=max_bytes), config)


# --- bytes -> text --------------------------------------------------------------------------


def read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError("not-found", "no such file") from None
    except OSError as exc:
        raise InputError("unreadable", f"cannot open the file ({exc.strerror})") from None
    if len(data) > max_bytes:  # grew while we looked
        raise _too_large(len(data), max_bytes)
    if not data:
        raise InputError("empty", "the file is empty (0 bytes)")
    return data


def _too_large(size: int, limit: int) -> InputError:
    return InputError("too-large", f"the CSV file is {_mib(size)}, over the {_mib(limit)} "
                                   "limit; split it into smaller files")


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). UTF-16 with its byte-order mark (Excel's "Unicode text"), or
    without one when every other byte of the text is zero (ASCII-range text, as billing exports
    are); otherwise UTF-8 (a BOM is dropped), then Windows-1252, which reads nearly any bytes,
    so binary files are recognised by their control bytes first."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise _not_text() from None
    if b"\x00" in data:
        try:
            return _bomless_utf16(data)
        except InputError:
            text, name = decode(_without_stray_nuls(data))
            return text, f"{name} (NUL bytes dropped)"
    sample = data[:_SAMPLE_CHARS]
    if sum(sample.count(b) for b in _CONTROL_BYTES) > _BINARY_SHARE * len(sample):
        raise _not_text()
    try:
        text = data.decode("utf-8-sig")
        return text, "UTF-8 with BOM" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):  # UTF-8 with some Windows-1252 bytes: two exports joined,
        #                              or a line typed in by another program
        return data.decode("utf-8-sig", errors=_MIXED), "UTF-8 with some Windows-1252"
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are unused in Windows-1252
        raise InputError("unsupported-format", "the file is not a text/CSV file in UTF-8 or "
                                               "Windows-1252; save it as CSV UTF-8") from None


# A character written in UTF-8 that Windows-1252 text next to never holds ("Ã©" for "é")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_MIXED = "nmr-xl-windows-1252"


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8, read as Windows-1252 (its five unused bytes as U+FFFD)."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start:error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


codecs.register_error(_MIXED, _as_windows_1252)


def _without_stray_nuls(data: bytes) -> bytes:
    """Text with NUL bytes in it that is not UTF-16: padding at its end (a copy cut short, a
    file preallocated by the program that wrote it) and a few NULs inside (a bad field) are
    dropped, as a text editor shows the file; more than one byte in a hundred is binary data."""
    data = data.rstrip(b"\x00")
    if data.count(0) > len(data) // 100:
        raise _not_text()
    return data.replace(b"\x00", b"")


def _bomless_utf16(data: bytes) -> tuple[str, str]:
    """UTF-16 text written without a byte-order mark: the high byte of nearly every character
    is zero, at odd offsets (little-endian, as Windows writes it) or even ones (big-endian)."""
    sample = data[: _SAMPLE_CHARS * 2]
    pairs = len(sample) // 2
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    for zeros, other, codec, name in ((odd, even, "utf-16-le", "UTF-16 LE"),
                                      (even, odd, "utf-16-be", "UTF-16 BE")):
        if pairs and zeros >= 0.9 * pairs and other <= 0.01 * pairs:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                break
            controls = sum(text[:_SAMPLE_CHARS].count(chr(b)) for b in _CONTROL_BYTES)
            if controls > _BINARY_SHARE * min(len(text), _SAMPLE_CHARS):
                break
            return text, f"{name} (no byte-order mark)"
    raise _not_text()


def _not_text() -> InputError:
    return InputError("unsupported-format", "this is not a text/CSV file (it holds binary data)")


# --- text -> rows ---------------------------------------------------------------------------


def _sample(text: str, size: int = _SAMPLE_CHARS) -> str:
    if len(text) <= size:
        return text
    cut = text[:size]
    end = max(cut.rfind("\n"), cut.rfind("\r"))
    return cut[:end] if end > 0 else cut


def _consistency(sample: str, delimiter: str) -> tuple[int, int]:
    """(rows sharing the most common width of two or more columns, that width)."""
    try:
        widths = Counter(len(r) for r in csv.reader(io.StringIO(sample, newline=""),
                                                    delimiter=delimiter) if len(r) > 1)
    except csv.Error:
        return (0, 0)
    if not widths:
        return (0, 0)
    width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
    return (count, width)


def detect_delimiter(text: str) -> str:
    """csv.Sniffer's choice among , ; tab | when the rows agree with it; otherwise the delimiter
    that splits the most rows into the same number (two or more) of columns. Title lines above
    the header, which often have no delimiter, do not count against a delimiter."""
    sample = _sample(text)
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])  # the first on a tie: comma
    try:
        sniffed = csv.Sniffer().sniff(_sample(sample, _SNIFF_CHARS),
                                      delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed][0] >= scores[best][0] > 0:
        return sniffed
    return best


def parse_rows(text: str, delimiter: str) -> list[list[str | None]]:
    """Every record as a row: quoted fields may hold delimiters, quotes and line breaks (kept as
    a plain line feed, as a spreadsheet cell holds them); a blank field is None."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str | None]] = []
    width = 0
    try:
        for record in reader:
            width = max(width, len(record))
            if (len(rows) + 1) * width > MAX_SHEET_CELLS:  # counted as read: ",,,,," lines
                raise InputError("too-large", f"the CSV file reaches line {len(rows) + 1:,} "
                                              f"and {width:,} fields, more than the "
                                              f"{MAX_SHEET_CELLS:,} cells one sheet may span "
                                              "(lines of nothing but delimiters?); split it "
                                              "into smaller files")
            rows.append([(_LINE_BREAK.sub("\n", cell) if "\r" in cell else cell) or None
                         for cell in record])
    except csv.Error as exc:
        why = str(exc)
        if "field larger" in why:  # Python's words: "field larger than field limit (131072)"
            why = (f"a field runs on for more than {csv.field_size_limit():,} characters (a "
                   "quoted field is never closed?)")
        raise InputError("corrupt", f"the CSV file cannot be read at line {reader.line_num}: "
                                    f"{why}") from None
    return rows
