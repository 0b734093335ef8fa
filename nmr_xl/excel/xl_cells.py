"""Helpers for reading and writing cells through xlwings: text that stays text, colours,
rectangles of cells written in one call, free sheet names, and the reads where xlwings or Excel
differ between Windows and macOS.

Every call on an xlwings object crosses to Excel (COM on Windows, Apple events on macOS), so the
writers group cells into rectangles and set each rectangle's value, fill or font at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

Block = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based)


def as_text(value: object) -> object:
    """A value to write: Excel reads a written string as if typed, so "=..." would become a
    formula, "00123" a number and "3/4" a date. A leading apostrophe keeps it text (Excel does not
    make it part of the value)."""
    return f"'{value}" if isinstance(value, str) else value


def hex_colour(rgb: tuple[int, int, int] | None) -> str | None:
    """An RGB tuple as xlwings reads a colour -> "#RRGGBB", as xlwings writes one."""
    return None if rgb is None else "#{:02X}{:02X}{:02X}".format(*rgb)


def blocks(cells: Iterable[tuple[int, int]]) -> list[Block]:
    """Rectangles covering exactly `cells` (row, column): runs along each row, then runs of
    consecutive rows over the same columns."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for row, col in set(cells):
        by_row[row].append(col)
    growing: dict[tuple[int, int], list[int]] = {}  # (first col, last col) -> [first, last row]
    done: list[Block] = []
    for row in sorted(by_row):
        for first, last in _runs(sorted(by_row[row])):
            rows = growing.get((first, last))
            if rows is not None and rows[1] == row - 1:
                rows[1] = row
                continue
            if rows is not None:
                done.append((rows[0], first, rows[1], last))
            growing[(first, last)] = [row, row]
    done.extend((rows[0], first, rows[1], last) for (first, last), rows in growing.items())
    return sorted(done)


def _runs(sorted_numbers: Sequence[int]) -> Iterable[tuple[int, int]]:
    start = previous = sorted_numbers[0]
    for n in sorted_numbers[1:]:
        if n != previous + 1:
            yield start, previous
            start = n
        previous = n
    yield start, previous


def block_range(sheet: Sheet, block: Block) -> Range:
    first_row, first_col, last_row, last_col = block
    return sheet.range((first_row, first_col), (last_row, last_col))


def column_texts(rng: Range) -> list[str]:
    """The formulas (or constants, as text) of a one-column range, top to bottom: xlwings gives
    one cell as a string and several as rows of one."""
    value = rng.formula
    if isinstance(value, str):
        return [value]
    return [row[0] if isinstance(row, list | tuple) else row for row in value]


def free_sheet_name(book: Book, base: str) -> str:
    """`base`, or `base (2)`, `base (3)` ... whichever no sheet has (Excel ignores case)."""
    taken = {sheet.name.lower() for sheet in book.sheets}
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base} ({n})", n + 1
    return name


def grid_values(rng: Range) -> list[list[object]]:
    """The values of `rng`, rows of cells, with cell errors as their text ("#N/A").

    xlwings 0.37 on macOS cannot read several cells with err_to_str (its ensure_2d returns None
    for a 2-D reply: TypeError) and reads an error as empty. There, a cell that reads empty but
    has a formula or a constant (an error, or a formula showing "") is read again on its own,
    where err_to_str works: one call per such cell, none for a sheet without them."""
    if rng.sheet.book.app.hwnd is not None:  # Windows: xlwings has the window, macOS None
        return rng.options(ndim=2, err_to_str=True).value
    values = rng.options(ndim=2).value
    formulas = rng.formula
    if isinstance(formulas, str):  # one cell
        formulas = [[formulas]]
    for r, row in enumerate(formulas):
        for c, formula in enumerate(row):
            if formula and values[r][c] is None:
                values[r][c] = rng.sheet.range((rng.row + r, rng.column + c)).options(
                    err_to_str=True).value
    return values


def font_colour(cell: Range) -> str | None:
    """The cell's font colour as "#RRGGBB"; None when its characters differ (COM says None and
    xlwings' int_to_rgb fails on it; on macOS tuple() fails on a missing value)."""
    try:
        return hex_colour(cell.font.color)
    except TypeError:
        return None


def threaded_cells(sheet: Sheet) -> set[tuple[int, int]]:
    """(row, column) of the cells holding a threaded comment (Excel 365's "New Comment"). Empty
    where xlwings cannot see them: Excel for Mac (NotImplementedError) and Excel without
    threaded comments (COM has no CommentsThreaded: AttributeError)."""
    try:
        return {(comment.location.row, comment.location.column) for comment in sheet.comments}
    except (NotImplementedError, AttributeError):
        return set()


def is_protected(sheet: Sheet) -> bool:
    """Whether the sheet's cells are protected. Classic xlwings has no property for it, so this
    asks Excel's own sheet object: COM's ProtectContents on Windows, AppleScript's protect
    contents on macOS. If neither answers, False: a change Excel refuses is rolled back."""
    return _excel_flag(sheet.api, "ProtectContents", "protect_contents")


def is_structure_protected(book: Book) -> bool:
    """Whether the workbook's structure is protected (Review > Protect Workbook): Excel then
    refuses to add, delete or hide sheets. Asked as is_protected asks, of the workbook:
    ProtectStructure, protect structure."""
    return _excel_flag(book.api, "ProtectStructure", "protect_structure")


def _excel_flag(api: object, com: str, applescript: str) -> bool:
    try:
        return bool(getattr(api, com))
    except AttributeError:  # appscript knows no COM names
        pass
    try:
        return bool(getattr(api, applescript).get())
    except AttributeError:
        return False


def has_merged_cells(rng: Range) -> bool:
    """Whether any cell of `rng` is merged (Excel answers True, or None for some)."""
    return rng.merge_cells is not False


def data_extent(sheet: Sheet, head_rows: int, max_cells: int = 2_000_000) -> tuple[int, int]:
    """(last row, last column) of the cells holding a value or a formula, counted from A1.

    The used range's own corner, unless it spans more than `max_cells` cells: formats or a
    stray edit far below or right of the data make Excel's used range reach, say, row 1,048,576,
    and reading all of it would hang Excel. Then the corner is found as Ctrl+Arrow finds it:
    for a very wide range, the last cell of each of the first `head_rows` rows (where the reader
    looks for the header) going left from the last column; then the last cell of each column
    going up from the last row. Cells right of all of the first rows' cells are not searched."""
    last = sheet.used_range.last_cell
    rows, cols = last.row, last.column
    if rows * cols <= max_cells:
        return rows, cols
    width = cols
    if cols > _WIDE:
        head = min(rows, head_rows)
        edge = column_texts(sheet.range((1, cols), (head, cols)))
        width = max(cols if edge[r - 1] else _end(sheet, (r, cols), "left")
                    for r in range(1, head + 1))
    bottom = _row_texts(sheet.range((rows, 1), (rows, width)))
    height = max(rows if bottom[c - 1] else _end(sheet, (rows, c), "up")
                 for c in range(1, width + 1))
    return height, width


def _end(sheet: Sheet, start: tuple[int, int], direction: str) -> int:
    """The row ("up") or column ("left") of the next cell holding something from the empty
    cell `start`; 1 when none does (Excel then stops at the sheet's edge)."""
    found = sheet.range(start).end(direction)
    return found.row if direction == "up" else found.column


def _row_texts(rng: Range) -> list[str]:
    """The formulas (or constants, as text) of a one-row range, left to right."""
    value = rng.formula
    if isinstance(value, str):
        return [value]
    return list(value[0])


_WIDE = 1_000  # narrower used ranges are read as they are
