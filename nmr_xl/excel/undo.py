"""What a checked sheet held before nmr-xl marked it, kept in the workbook itself so that Clear
works after the workbook is saved, closed and opened again.

Each check writes one hidden sheet ("nmr-xl undo"). Its column A holds formulas =ISREF('Sheet'!F12)
locating the checked sheet, our summary sheet, the findings column and every cell we changed:
Excel rewrites those references itself when a sheet is renamed or rows and columns are inserted
or deleted, so Clear finds the cells where they are now. A sheet is located by a reference to
all of it ('Sheet'!$1:$1048576), which no row or column deletion can remove, and the findings
column by the whole column ('Sheet'!$O:$O), which survives deleting any row. A deleted cell reads
'Sheet'!#REF! and is skipped. The other columns hold what each cell had: its fill, font colour,
bold, note, and what we added (our note, our text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nmr_xl.excel.xl_cells import as_text, block_range, column_texts
from nmr_xl.model import column_letter
from nmr_xl.summary_layout import link_to

if TYPE_CHECKING:
    from xlwings import Book, Sheet

UNDO_SHEET = "nmr-xl undo"
MARKER = "nmr-xl undo 1"  # A1 of an undo sheet: what it is and the version of its layout
_EXPLANATION = ("What the checked sheet held before nmr-xl marked it. Clear (nmr-xl tab) puts it "
                "back and deletes this sheet. Please do not edit.")
_COLUMN = "findings column"
_LABELS = ("checked sheet", "summary sheet", _COLUMN)  # rows 2-4, beside their locators
_HEADER = ("fill", "font colour", "bold", "note", "our note", "our text", "wrap")
_FIRST_RECORD = 7  # row 6 holds _HEADER
_WIDTH = len(_HEADER)
_SUMMARY_ROW = 3  # the summary sheet's locator, written once the sheet exists
_WHOLE_SHEET = "$1:$1048576"
# =ISREF(<sheet>!<place>): a cell ($F$12), a column ($O:$O), the whole sheet, or #REF! (deleted).
# Undo sheets of earlier versions located sheets and columns by a cell: still read.
_LOCATOR = re.compile(r"=ISREF\((?:'((?:[^']|'')+)'|([^'!()]+))!(?:\$?([A-Z]{1,3})\$?(\d+)"
                      r"|\$?([A-Z]{1,3}):\$?[A-Z]{1,3}|\$?\d+:\$?\d+|#REF!)\)", re.IGNORECASE)


@dataclass(frozen=True)
class CellBefore:
    """One cell we change, as it was, and what we put there."""

    row: int
    col: int
    fill: str | None  # "#RRGGBB"; None: no fill
    font_color: str | None  # "#RRGGBB"; None: its characters differ, we leave it alone
    bold: bool | None = None  # None: we leave it alone
    note: str | None = None  # the cell's own note
    our_note: str | None = None  # the note text we add (after the cell's own, if any)
    our_text: str | None = None  # the text we write into the (empty) cell
    wrap: bool | None = None  # whether it wrapped its text (None: we leave that alone)


@dataclass
class Undo:
    """An undo sheet read back, with the names and places as they are now."""

    sheet: str | None  # the checked sheet (None: deleted meanwhile)
    summary: str | None  # our summary sheet (None: deleted meanwhile)
    column: int | None  # the findings column (None: deleted meanwhile)
    column_width: float | None  # its width before the check
    cells: list[CellBefore]
    undo_sheet: str  # the hidden sheet holding all this


@dataclass(frozen=True)
class _Place:
    """Where a locator points now: a sheet, and a row and column when it locates one."""

    sheet: str
    row: int | None
    col: int | None


def _ref(sheet: str, place: str) -> str:
    return f"=ISREF({link_to(sheet, place)})"


def _cell_ref(sheet: str, row: int, col: int) -> str:
    return _ref(sheet, f"${column_letter(col)}${row}")


def _column_number(letters: str) -> int:
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - 64
    return col


def _parse_ref(formula: object) -> _Place | None:
    """=ISREF('Sheet'!F12) -> Sheet, 12, 6; 'Sheet'!$O:$O -> Sheet, column 15; the whole sheet
    or 'Sheet'!#REF! (the cell was deleted) -> Sheet alone; a deleted sheet (#REF!) -> None."""
    found = _LOCATOR.fullmatch(formula.strip()) if isinstance(formula, str) else None
    if not found:
        return None
    quoted, plain, letters, row, column = found.groups()
    name = quoted.replace("''", "'") if quoted else plain
    if letters:
        return _Place(name, int(row), _column_number(letters))
    return _Place(name, None, _column_number(column) if column else None)


def write_undo(book: Book, sheet: Sheet, state: Undo) -> None:
    """Add the hidden undo sheet `state.undo_sheet`, before the checked `sheet`: the sheet, the
    findings column and its width before, and every cell we are about to change. The summary
    sheet is left out: record_summary adds it once it exists."""
    # before=, not after= the last sheet: to add after the last sheet, xlwings on Windows moves
    # that sheet, which may be another check's hidden undo sheet.
    undo = book.sheets.add(state.undo_sheet, before=sheet)
    undo.visible = False
    assert state.column is not None  # a check always has its findings column
    name, letter = sheet.name, column_letter(state.column)
    locators = [_ref(name, _WHOLE_SHEET), "", _ref(name, f"${letter}:${letter}"), "", "",
                *(_cell_ref(name, c.row, c.col) for c in state.cells)]
    labels = [[label, state.column_width if label == _COLUMN else None] + [None] * (_WIDTH - 2)
              for label in _LABELS]
    records = [[c.fill, c.font_color, _bold_text(c.bold), c.note, c.our_note, c.our_text,
                None if c.wrap is None else ("wrap" if c.wrap else "no wrap")]
               for c in state.cells]
    data: list[Sequence[object]] = [*labels, [None] * _WIDTH, list(_HEADER), *records]
    block_range(undo, (1, 1, 1, 2)).value = [[as_text(MARKER), as_text(_EXPLANATION)]]
    block_range(undo, (2, 1, len(locators) + 1, 1)).formula = [[f] for f in locators]
    block_range(undo, (2, 2, len(data) + 1, _WIDTH + 1)).value = [
        [as_text(v) for v in row] for row in data]


def record_summary(undo: Sheet, summary: str) -> None:
    """Locate our `summary` sheet from the `undo` sheet (Excel would ask for a file if the
    formula named a sheet that does not exist yet)."""
    undo.range((_SUMMARY_ROW, 1)).formula = _ref(summary, _WHOLE_SHEET)


def _bold_text(bold: bool | None) -> str | None:
    return None if bold is None else ("bold" if bold else "not bold")


def find_undo(book: Book, sheet_name: str) -> Undo | None:
    """The undo state of the checked sheet `sheet_name`, or of the sheet whose summary it is."""
    for sheet in book.sheets:
        if not sheet.name.lower().startswith(UNDO_SHEET) or sheet.range("A1").value != MARKER:
            continue
        undo = read_undo(sheet)
        if sheet_name in (undo.sheet, undo.summary):
            return undo
    return None


def read_undo(sheet: Sheet) -> Undo:
    """The state an undo sheet holds, with the places as Excel has kept them up to date."""
    last = max(sheet.used_range.last_cell.row, _FIRST_RECORD - 1)
    locators = [_parse_ref(f) for f in column_texts(block_range(sheet, (2, 1, last, 1)))]
    data = block_range(sheet, (2, 2, last, _WIDTH + 1)).options(ndim=2).value
    checked, summary, column = locators[:3]
    name = checked.sheet if checked else None
    cells = []
    # an undo sheet written before "wrap" was recorded reads None there
    for where, (fill, font, bold, note, our_note, our_text, wrap) in zip(
            locators[_FIRST_RECORD - 2:], data[_FIRST_RECORD - 2:], strict=True):
        if where is None or where.sheet != name or where.row is None or where.col is None:
            continue  # deleted, or moved to another sheet: not ours to restore any more
        cells.append(CellBefore(where.row, where.col, fill, font,
                                None if bold is None else bold == "bold", note, our_note,
                                our_text, None if wrap is None else wrap == "wrap"))
    width = data[2][1]
    return Undo(name, summary.sheet if summary else None,
                column.col if column and column.sheet == name else None,
                float(width) if isinstance(width, int | float) else None, cells, sheet.name)
