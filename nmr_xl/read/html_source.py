"""Web pages saved as .xls: many practice-management systems export a report "to Excel" as an
HTML table under an .xls name, which Excel opens (after a warning) as a one-sheet workbook.
nmr-xl reads it the same way: every row of every table on the page, in order, each cell's text
as it shows (white space collapsed, a `<br>` a line break, a cell spanning columns followed by
blanks for the columns it covers, a cell spanning rows repeated in each row it covers, as a
merged cell of a workbook is: nmr_xl.read.table.fill_merged_down). Read as a CSV file is, into
text (nmr_xl.read.csv_source).
Only the standard library's tolerant HTML tokenizer is used: no scripts, no fetching."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

from nmr_xl.errors import InputError
from nmr_xl.model import column_letter
from nmr_xl.plan import MAX_COLUMNS
from nmr_xl.read.csv_source import DEFAULT_MAX_BYTES, CsvData, decode, read_bytes, sheet_title
from nmr_xl.read.package import MAX_SHEET_CELLS

HTML_FORMAT = "HTML table"
_MAX_SPAN = 256  # an absurd colspan must not make a row of a million blanks
# Parsed a piece at a time, so a page whose spans make too many cells stops early
_FEED_CHARS = 1024 * 1024


class _TooLarge(Exception):
    """The page's tables make a sheet spanning more than MAX_SHEET_CELLS cells, or wider than
    an Excel sheet (MAX_COLUMNS)."""


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str | None]] = []
        self._row: list[str | None] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._rowspan = 1
        # Cells of earlier rows spanning down: column -> (rows still covered, text shown there).
        self._pending: dict[int, tuple[int, str | None]] = {}
        self._chars = 0  # in the cell being read
        self._skip = 0  # inside <script> or <style>: not shown
        # The sheet's range so far: spans (a cell spanning rows pushes the cells of the rows it
        # covers to the right) can make a small page a huge sheet; counted as it grows.
        self.width = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._end_row()
            self._pending = {}
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row = []
            self._cell = []
            self._chars = 0
            self._span = _span(dict(attrs).get("colspan"))
            self._rowspan = _span(dict(attrs).get("rowspan"))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "table":
            self._end_row()
            self._pending = {}

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)
            self._chars += len(data)
            if self._chars > csv.field_size_limit():  # as a CSV file's field
                raise _TooLarge(f"a cell's text runs on for more than "
                                f"{csv.field_size_limit():,} characters")

    def _end_cell(self) -> None:
        if self._cell is None or self._row is None:
            return
        lines = ("".join(self._cell)).split("\n")
        text = "\n".join(" ".join(line.split()) for line in lines).strip("\n")
        self._fill_spanned(self._row)
        first = len(self._row)
        self._row.append(text or None)
        self._grown(first + self._span)
        self._row.extend([None] * (self._span - 1))
        if self._rowspan > 1:
            for col in range(first, len(self._row)):
                self._pending[col] = (self._rowspan - 1, self._row[col])
        self._cell = None

    def _fill_spanned(self, row: list[str | None]) -> None:
        """The cells of earlier rows spanning down into this one, at the columns they cover."""
        while len(row) in self._pending:
            self._grown(len(row) + 1)
            left, text = self._pending.pop(len(row))
            row.append(text)
            if left > 1:
                self._pending[len(row) - 1] = (left - 1, text)

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            covered = [col for col in self._pending if col >= len(self._row)]
            while covered and len(self._row) <= max(covered):
                if len(self._row) in self._pending:
                    self._fill_spanned(self._row)
                else:
                    self._grown(len(self._row) + 1)
                    self._row.append(None)
            self.rows.append(self._row)
        self._row = None

    def _grown(self, width: int) -> None:
        """The current row reaches `width` columns: refused when the range is over the limit."""
        self.width = max(self.width, width)
        if self.width > MAX_COLUMNS or (len(self.rows) + 1) * self.width > MAX_SHEET_CELLS:
            raise _TooLarge

    def finish(self) -> list[list[str | None]]:
        self.close()
        self._end_row()
        return self.rows


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), _MAX_SPAN))
    except ValueError:
        return 1


def load_html(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CsvData:
    """The rows of every table of the page, or InputError saying why there are none."""
    text, encoding = decode(read_bytes(path, max_bytes))
    parser = _Tables()
    try:
        for start in range(0, len(text), _FEED_CHARS):
            parser.feed(text[start:start + _FEED_CHARS])
        rows = parser.finish()
    except _TooLarge as exc:
        if exc.args:
            raise InputError("too-large", f"the web page's tables cannot be read: {exc.args[0]} "
                                          "(Excel's cells hold 32,767)") from None
        rows_, width = len(parser.rows) + 1, parser.width
        raise InputError("too-large", f"the web page's tables make a sheet reaching row "
                                      f"{rows_:,} and column {_letter(width)} ({width:,}), more "
                                      f"than the {MAX_SHEET_CELLS:,} cells or {MAX_COLUMNS:,} "
                                      "columns one sheet may span (cells spanning many rows or "
                                      "columns?); it was not read") from None
    if not any(cell is not None for row in rows for cell in row):
        raise InputError("empty", "the web page saved as a spreadsheet holds no table with "
                                  "data")
    return CsvData(sheet_title(path.stem), rows, encoding, "", HTML_FORMAT)


def _letter(column: int) -> str:
    return column_letter(column) if column <= MAX_COLUMNS else "beyond XFD"
