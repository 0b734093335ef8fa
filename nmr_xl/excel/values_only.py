"""A copy of the workbook without nmr-xl's worksheet functions, for someone without the add-in:
every formula calling NMR_CHECK, NMR_CHECK_TABLE, NMR_UNITS or NMR_EXPLAIN becomes the value it
shows. Without the add-in such formulas show #NAME? and Excel offers to update links to it.

The copy is Excel's own (SaveCopyAs: the workbook as it is now, unsaved edits included, nothing
left out), saved beside the workbook and then opened; the values are read from the workbook,
where they were calculated, and written into the copy. A formula whose result spills (a
dynamic array) becomes its whole spilled range of values. The workbook itself is not changed.
Windows only, as are the worksheet functions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from nmr_xl.errors import InputError
from nmr_xl.excel.xl_cells import (
    Block,
    as_text,
    block_range,
    blocks,
    data_extent,
    is_protected,
)

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

NMR_FORMULA = re.compile(r"\bNMR_(?:CHECK_TABLE|CHECK|UNITS|EXPLAIN)\s*\(", re.IGNORECASE)
_FIRST_ROWS = 30  # searched for the data's right edge when the used range is huge (data_extent)


def values_only_copy(book: Book) -> str:
    """Save and open the copy; return one line for the biller."""
    source = _local_path(book)
    found = {sheet.name: _nmr_cells(sheet) for sheet in book.sheets}
    found = {name: cells for name, cells in found.items() if cells}
    if not found:
        return (f"'{book.name}' has no nmr-xl worksheet functions: send it as it is, nobody "
                "needs the add-in to read it.")
    for name in found:
        if is_protected(book.sheets[name]):
            raise InputError("protected", f"The sheet '{name}' is protected, so its nmr-xl "
                                          "formulas cannot be turned into values in the copy: "
                                          "unprotect it (Review > Unprotect Sheet) and try again.")
    extents = {name: _with_spills(book.sheets[name], cells) for name, cells in found.items()}
    values = {name: [(block, _values(block_range(book.sheets[name], block)))
                     for block in blocks(cells)] for name, cells in extents.items()}
    target = _free_name(source)
    book.api.SaveCopyAs(str(target))
    copy = book.app.books.open(str(target))
    for name, written in values.items():
        for block, rows in written:
            block_range(copy.sheets[name], block).value = [[as_text(v) for v in row]
                                                           for row in rows]
    copy.save()
    copy.activate()
    count = sum(len(cells) for cells in extents.values())
    return (f"Saved '{target.name}' beside this workbook, with {count} cell"
            f"{'s' if count != 1 else ''} of nmr-xl formulas turned into their values, and "
            "opened it: send that copy. This workbook is unchanged.")


def _local_path(book: Book) -> Path:
    """The workbook's file; a copy is saved beside it."""
    full = book.fullname
    if "://" in full:
        raise InputError("not-local", "This workbook is on OneDrive or SharePoint: save a copy "
                                      "on this computer (File > Save a Copy), open that and try "
                                      "again.")
    path = Path(full)
    if not path.is_absolute():
        raise InputError("not-saved", "Save the workbook first: the copy goes beside it.")
    return path


def _nmr_cells(sheet: Sheet) -> set[tuple[int, int]]:
    """(row, column) of every cell whose formula calls an nmr-xl function."""
    rows, cols = data_extent(sheet, _FIRST_ROWS)
    read = sheet.range((1, 1), (rows, cols)).formula
    formulas = ((read,),) if isinstance(read, str) else read  # one cell: its formula alone
    return {(r, c) for r, line in enumerate(formulas, start=1)
            for c, text in enumerate(line, start=1) if text and NMR_FORMULA.search(text)}


def _with_spills(sheet: Sheet, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The cells, with every cell their formulas' results spill into."""
    covered = set(cells)
    for row, col in cells:
        top, left, bottom, right = _spill(sheet.range((row, col)))
        covered.update((r, c) for r in range(top, bottom + 1) for c in range(left, right + 1))
    return covered


def _spill(cell: Range) -> Block:
    """Where the formula in `cell` shows its result: its spill range (Excel 365's dynamic
    arrays: COM's HasSpill, SpillParent, SpillingToRange; older Excel has none of them), or
    the cell alone."""
    try:
        api = cell.api
        if api.HasSpill:
            spilled = api.SpillParent.SpillingToRange
            return (spilled.Row, spilled.Column, spilled.Row + spilled.Rows.Count - 1,
                    spilled.Column + spilled.Columns.Count - 1)
    except Exception:  # no dynamic arrays: AttributeError, or COM's own error (Windows only)
        pass
    return (cell.row, cell.column, cell.row, cell.column)


def _values(rng: Range) -> list[list[object]]:
    """The values as shown, an error as its text ("#N/A")."""
    return rng.options(ndim=2, err_to_str=True).value


def _free_name(source: Path) -> Path:
    """`<name> (values)<ext>` beside the workbook, or (values 2), (values 3) ..."""
    n = 1
    while True:
        label = "values" if n == 1 else f"values {n}"
        target = source.with_name(f"{source.stem} ({label}){source.suffix}")
        if not target.exists():
            return target
        n += 1
