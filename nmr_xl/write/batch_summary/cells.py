"""The batch summary's write-only cells: formats made once, cells whose text stays text,
row heights for wrapped text, rows streamed in order and a small grid laid out in any order,
link targets."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Sequence
from copy import copy
from pathlib import Path
from typing import cast

from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.inputs import Disposition
from nmr_xl.model import Severity

# A cell's font replaces the workbook's default entirely: without a name, LibreOffice draws
# these cells in a serif font
FONT = "Calibri"
BOLD = Font(name=FONT, size=11, bold=True)
QUIET = Font(name=FONT, size=11, italic=True, color="595959")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
HEADER_BORDER = Border(bottom=Side(style="thin", color="8EA9DB"))
TOP = Alignment(vertical="top")
WRAP = Alignment(vertical="top", wrap_text=True)
_NUMBER = Alignment(vertical="top", horizontal="center")
_POINTS_PER_LINE = 15.0
NOT_CHECKED_FILL = {Disposition.NO_BILLING_TABLE: "FFEB9C", Disposition.ERROR: "FFC7CE"}
SEVERITIES = tuple(Severity)
Value = str | int | float | dt.datetime | None  # what a cell of the summary holds


class Formats:
    """Cell formats by name, made once and then copied onto each cell: openpyxl looks every
    font, fill and alignment set on a cell up in the workbook's style tables, which costs more
    than writing the cell when a batch has 100,000 findings."""

    def __init__(self) -> None:
        self._made: dict[str, StyleArray] = {}

    def apply(self, cell: Cell, name: str, *, style: str | None = None, **attrs: object
              ) -> None:
        made = self._made.get(name)
        if made is not None:
            cell._style = copy(made)  # type: ignore[attr-defined]  # private in the stubs
            return
        cell._style = StyleArray()  # type: ignore[attr-defined]
        if style is not None:
            cell.style = style
        for attr, value in attrs.items():
            setattr(cell, attr, value)
        self._made[name] = copy(cell._style)  # type: ignore[attr-defined]


def as_sheet(ws: WriteOnlyWorksheet) -> Worksheet:
    """The sheet's dimensions, merged cells, print settings, tables and charts: a write-only
    sheet has a worksheet's (openpyxl sets them up alike), which its type stubs leave out."""
    return cast(Worksheet, ws)


def new_cell(ws: WriteOnlyWorksheet, value: Value) -> Cell:
    """A cell for a write-only sheet. Text stays text: "=..." from a sheet or an e-mail must
    never become a formula."""
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _lines(text: str, width: float) -> int:
    """Lines `text` takes wrapped in a column `width` characters wide (an estimate)."""
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def row_height(texts: Iterable[tuple[object, float]]) -> float | None:
    """The height a row with wrapped text in merged or narrow cells needs; None for one line.
    Not every program fits rows to their text when it opens a file."""
    lines = max((_lines(text, width) for text, width in texts if isinstance(text, str) and text),
                default=1)
    return _POINTS_PER_LINE * lines if lines > 1 else None


class Rows:
    """Rows appended to a write-only sheet, numbered. A row's height is set only while the row
    is written (openpyxl reads it then) and dropped after: no object per row stays behind."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.count = 0

    def append(self, cells: list[Cell | None], height: float | None = None) -> None:
        self.count += 1
        if height:
            as_sheet(self.ws).row_dimensions[self.count].height = height
        self.ws.append(cells)
        if height:
            del as_sheet(self.ws).row_dimensions[self.count]


class Grid:
    """A small sheet laid out cell by cell in any order, then written row by row (a write-only
    sheet takes its rows in order only). For the Totals sheet, whose size grows with the
    practices, payers, providers and rules, never with the findings."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.cells: dict[tuple[int, int], Cell] = {}

    def cell(self, row: int, column: int) -> Cell:
        cell = self.cells.get((row, column))
        if cell is None:
            cell = self.cells[row, column] = WriteOnlyCell(self.ws)
        return cell

    def text(self, row: int, column: int, text: str) -> Cell:
        cell = self.cell(row, column)
        cell.value = text
        cell.data_type = "s"  # never a formula
        return cell

    def values(self, row: int, values: Sequence[Value], column: int = 1) -> None:
        for offset, value in enumerate(values):
            if value is None or value == "":
                continue  # a blank cell, not an empty string
            if isinstance(value, str):
                self.text(row, column + offset, value)
            else:
                self.cell(row, column + offset).value = value

    def merge(self, row: int, first: int, last: int) -> None:
        as_sheet(self.ws).merged_cells.add(f"{get_column_letter(first)}{row}:"
                                           f"{get_column_letter(last)}{row}")

    def fit(self, row: int, texts: Iterable[tuple[object, float]]) -> None:
        height = row_height(texts)
        if height:
            as_sheet(self.ws).row_dimensions[row].height = height

    @property
    def max_row(self) -> int:
        return max((row for row, _ in self.cells), default=0)

    def write(self) -> None:
        width = max((column for _, column in self.cells), default=0)
        for row in range(1, self.max_row + 1):
            self.ws.append([self.cells.get((row, column)) for column in range(1, width + 1)])


def header_cells(ws: WriteOnlyWorksheet, formats: Formats, header: tuple[str, ...]
                  ) -> list[Cell | None]:
    cells: list[Cell | None] = []
    for title in header:
        cell = new_cell(ws, title)
        formats.apply(cell, "header", font=BOLD, fill=HEADER_FILL, border=HEADER_BORDER,
                      alignment=WRAP)
        cells.append(cell)
    return cells


def header_height(header: tuple[str, ...], widths: tuple[int, ...]) -> float | None:
    # bold text is wider: a little room
    return row_height((text, width - 1) for text, width in zip(header, widths, strict=True))


def data_cell(ws: WriteOnlyWorksheet, formats: Formats, value: Value, wrapped: bool
               ) -> Cell | None:
    """A table cell: wrapped text, or counts and row numbers centred apart from the text."""
    if value is None or value == "":
        return None  # a blank cell, not an empty string
    cell = new_cell(ws, value)
    if wrapped:
        formats.apply(cell, "wrap", alignment=WRAP)
    elif isinstance(value, int):
        formats.apply(cell, "number", alignment=_NUMBER)
    else:
        formats.apply(cell, "top", alignment=TOP)
    return cell


def link_target(relative: str) -> str:
    """A relative path as a hyperlink target: the characters a URI reads specially (space,
    %, #, ?) escaped; Excel and LibreOffice unescape them when opening the link."""
    return (relative.replace("%", "%25").replace(" ", "%20").replace("#", "%23")
            .replace("?", "%3F"))


def relative_path(target: str | None, base: Path) -> str | None:
    if not target:
        return None
    try:
        return os.path.relpath(target, base).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return target

