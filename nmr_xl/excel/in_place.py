"""Check the open sheet in place, and take the marks off again (Clear), through xlwings.

The same reading, rules and AnnotationPlan as the annotated copy, applied to the biller's own
workbook: fills and font colours, notes (the cell's own note kept, ours after it), the findings
column right of the table and a summary sheet. Before the first change, what every cell we touch
had goes to a hidden undo sheet (nmr_xl.excel.undo), and Clear puts it back; if a step fails
midway, the check puts it back itself. A second check clears the first, so there is only ever one
set of marks, and the undo state is the sheet's own. Cell values are never written, except our
texts in the (empty) findings column. Cells Excel must not have a note written to (a threaded
comment) or a font colour set on (characters of several colours) keep theirs.

What Excel would refuse midway is refused, by name, before the first change: a protected sheet
or workbook structure, a merged cell with a finding, more data than Excel hands over at once.
The findings column passes over hidden columns and columns with merged cells in its rows, and a
huge used range (formats far from the data) is read only as far as the data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from nmr_xl.config.model import Config
from nmr_xl.engine import TableResult, check_table
from nmr_xl.errors import InputError
from nmr_xl.excel.summary_sheet import draw_summary
from nmr_xl.excel.undo import (
    UNDO_SHEET,
    CellBefore,
    Undo,
    find_undo,
    record_summary,
    write_undo,
)
from nmr_xl.excel.values import rows_from_excel
from nmr_xl.excel.xl_cells import (
    as_text,
    block_range,
    blocks,
    column_texts,
    data_extent,
    font_colour,
    free_sheet_name,
    grid_values,
    has_merged_cells,
    hex_colour,
    is_protected,
    is_structure_protected,
    threaded_cells,
)
from nmr_xl.model import FIELD_LABELS as LABELS
from nmr_xl.model import Severity, SkippedSheet, Table, column_letter
from nmr_xl.plan import (
    FINDINGS_HEADER,
    MAX_COLUMNS,
    NOTE_SEPARATOR,
    STYLES,
    SUMMARY_SHEET,
    AnnotationPlan,
    SheetExtent,
    build_plan,
    findings_column_at,
)
from nmr_xl.read.table import build_table
from nmr_xl.runner import FileResult, SheetReport, run_facts
from nmr_xl.summary_layout import IN_PLACE_NOTICE, summary_layout

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

MAX_CELLS = 2_000_000  # read from Excel at once; a larger used range is searched for its data
_GONE = "Removed the nmr-xl summary of a sheet that no longer exists."


def check_in_place(book: Book, sheet: Sheet, config: Config, as_of: dt.date) -> str:
    """Check `sheet` and mark it; return one line for the biller. A sheet without a billing
    table raises InputError before anything is changed (marks of an earlier check are
    cleared first). On our summary sheet, the sheet it summarises is checked again."""
    with book.app.properties(screen_updating=False, status_bar="nmr-xl: checking the sheet..."):
        _refuse_structure_protected(book, "add its summary sheet", "check")
        earlier = find_undo(book, sheet.name)
        if earlier is not None and earlier.sheet is None:
            restore(book, earlier)
            return _GONE
        if earlier is not None and earlier.sheet is not None:
            sheet = book.sheets[earlier.sheet]  # `sheet`, or the one our summary `sheet` is of
        _refuse_protected(sheet, "check")
        if earlier is not None:  # one set of marks: this check replaces the last one
            restore(book, earlier)
        table, used = _read_table(sheet, config)
        result = check_table(table, config, as_of)
        plan = build_plan([(table, result.findings)], _facts(book, result, config, as_of),
                          result.payers, {sheet.name: _extent(sheet, table, used)},
                          [other.name for other in book.sheets], result.cannot_check,
                          as_of.isoformat())
        _refuse_merged_marks(sheet, plan)
        column = _findings_column(sheet, plan)
        before = _snapshot(sheet, plan, column)
        hidden = _hidden_rows(sheet, {mark.row for mark in plan.cells})
        summary = _mark_all(book, sheet, plan, column, before)
        sheet.activate()
    return _checked(result, summary, before, hidden)


def clear(book: Book, sheet: Sheet) -> str:
    """Take nmr-xl's marks off `sheet` (or off the sheet our summary `sheet` belongs to)."""
    with book.app.properties(screen_updating=False, status_bar="nmr-xl: clearing the marks..."):
        undo = find_undo(book, sheet.name)
        if undo is None:
            return f"Nothing to clear: the sheet '{sheet.name}' has no nmr-xl marks."
        _refuse_structure_protected(book, "remove its summary sheet", "clear")
        if undo.sheet is not None:
            _refuse_protected(book.sheets[undo.sheet], "clear")
        restore(book, undo)
        if undo.sheet is None:
            return _GONE
        book.sheets[undo.sheet].activate()
    return (f"Cleared the nmr-xl marks from '{undo.sheet}': its own colours and notes are "
            "back.")


def _refuse_protected(sheet: Sheet, verb: str) -> None:
    """Excel refuses every change to a protected sheet: say so before changing anything."""
    if is_protected(sheet):
        raise InputError("protected", f"The sheet '{sheet.name}' is protected: unprotect it "
                                      f"(Review > Unprotect Sheet) and {verb} again.")


def _refuse_structure_protected(book: Book, needs: str, verb: str) -> None:
    """A protected workbook structure refuses new, deleted and hidden sheets."""
    if is_structure_protected(book):
        raise InputError("protected", f"The workbook's structure is protected, so nmr-xl cannot "
                                      f"{needs}: unprotect it (Review > Protect Workbook) and "
                                      f"{verb} again.")


# --- check ------------------------------------------------------------------------------------


def _read_table(sheet: Sheet, config: Config) -> tuple[Table, tuple[int, int]]:
    """The billing table and the last (row, column) holding data. From A1, whatever the used
    range's first cell: rows and columns are numbered as in the sheet."""
    used = data_extent(sheet, config.header_search_rows, MAX_CELLS)
    if used[0] * used[1] > MAX_CELLS:
        raise InputError("too-large", f"The sheet '{sheet.name}' holds data in {used[0]:,} rows "
                                      f"and {used[1]:,} columns: too much to check inside Excel. "
                                      "Save the workbook and check the file with nmr-xl check.")
    rows = rows_from_excel(grid_values(sheet.range((1, 1), used)))
    width = max((col for row in rows for col, value in enumerate(row, start=1)
                 if value is not None and value != ""), default=0)
    found = build_table(sheet.name, rows, config, width=width)
    if isinstance(found, SkippedSheet):
        raise _no_table(sheet.name, found)
    return found, used


def _no_table(name: str, skipped: SkippedSheet) -> InputError:
    if skipped.reason == "empty":
        return InputError("empty", f"The sheet '{name}' is empty: there is nothing to check.")
    return InputError("no-billing-table", f"No billing table on the sheet '{name}': "
                                          f"{skipped.reason}.")


def _facts(book: Book, result: TableResult, config: Config, as_of: dt.date
           ) -> list[tuple[str, str]]:
    report = SheetReport.of(result)
    return run_facts(FileResult(input=book.name, sheets=[report], findings=result.findings,
                                suppressed=result.suppressed, payers=result.payers),
                     config, as_of)


def _extent(sheet: Sheet, table: Table, used: tuple[int, int]) -> SheetExtent:
    """What the plan must know to place the findings column as in the copy: the used range,
    whether the column right of the table holds something (a formula showing nothing is
    invisible to the reader), the columns right of Excel tables (ListObjects: Excel would widen
    a table over our column), and the columns Excel would not let us use: hidden ones, and ones
    with merged cells in the table's rows (Excel refuses to write part of a merged cell)."""
    widened = frozenset(xl_table.range.last_cell.column + 1 for xl_table in sheet.tables)
    wanted = table.last_column + 1
    last_row, last_col = used
    taken = frozenset({wanted}) if wanted <= last_col and any(
        column_texts(sheet.range((1, wanted), (last_row, wanted)))) else frozenset()
    extent = SheetExtent(last_col, taken, widened)
    first, last = table.header_row, max([table.header_row, *(ln.row for ln in table.lines)])
    skip: set[int] = set()
    column = findings_column_at(table.last_column, extent)
    while column is not None and (
            sheet.range((first, column)).columns.hidden
            or has_merged_cells(sheet.range((first, column), (last, column)))):
        skip.add(column)
        column = findings_column_at(table.last_column, replace(extent, skip=frozenset(skip)))
    return replace(extent, skip=frozenset(skip))


def _findings_column(sheet: Sheet, plan: AnnotationPlan) -> int:
    (column,) = plan.columns
    if column.on_sheet is not None:
        raise InputError("write-failed", f"The sheet '{sheet.name}' has no free column right "
                                         "of its table for the findings (it uses all "
                                         f"{MAX_COLUMNS:,} columns).")
    return column.col


def _refuse_merged_marks(sheet: Sheet, plan: AnnotationPlan) -> None:
    """Excel does not let part of a merged cell take a value, and a note or a colour on one
    would not be where the biller looks: a cell to mark that is merged is refused by name
    before anything changes. One call when the table has no merged cells at all."""
    if not plan.cells:
        return
    rows = [mark.row for mark in plan.cells]
    cols = [mark.col for mark in plan.cells]
    if not has_merged_cells(sheet.range((min(rows), min(cols)), (max(rows), max(cols)))):
        return
    for mark in sorted(plan.cells, key=lambda m: (m.row, m.col)):
        cell = sheet.range((mark.row, mark.col))
        if has_merged_cells(cell):
            merged = cell.merge_area.address.replace("$", "")
            raise InputError("merged", f"The cell {column_letter(mark.col)}{mark.row} on "
                                       f"'{sheet.name}' has a finding but is part of the merged "
                                       f"cells {merged}: unmerge them (Home > Merge & Center > "
                                       "Unmerge Cells) and check again.")


def _hidden_rows(sheet: Sheet, rows: set[int]) -> int:
    """How many of `rows` are hidden or filtered out (marked all the same, but out of sight)."""
    return sum(1 for row in rows if sheet.range((row, 1)).rows.hidden)


def _findings_texts(plan: AnnotationPlan) -> dict[int, str]:
    (findings,) = plan.columns
    return {findings.header_row: FINDINGS_HEADER,
            **{row: text for row, (_, text) in findings.entries.items()}}


def _snapshot(sheet: Sheet, plan: AnnotationPlan, column: int) -> list[CellBefore]:
    """Every cell the plan changes, as it is now (one read per property and cell: no xlwings
    call reads the formats of many cells at once). A cell with a threaded comment gets no note
    of ours: writing one would damage the thread (its findings are in the findings column)."""
    header_row = plan.columns[0].header_row
    threaded = threaded_cells(sheet)
    before = [_before(sheet.range((mark.row, mark.col)), mark.row, mark.col,
                      our_note=None if (mark.row, mark.col) in threaded else mark.note)
              for mark in plan.cells]
    for row, text in _findings_texts(plan).items():
        cell = sheet.range((row, column))
        bold = cell.font.bold if row == header_row else None
        wrap = None if row == header_row else bool(cell.wrap_text)
        before.append(_before(cell, row, column, bold=bold, our_text=text, wrap=wrap))
    return before


def _before(cell: Range, row: int, col: int, *, bold: bool | None = None,
            our_note: str | None = None, our_text: str | None = None,
            wrap: bool | None = None) -> CellBefore:
    note = cell.note if our_note else None  # only cells we add a note to
    return CellBefore(row, col, hex_colour(cell.color), font_colour(cell), bold,
                      note.text if note else None, our_note, our_text, wrap)


def _mark_all(book: Book, sheet: Sheet, plan: AnnotationPlan, column: int,
              before: list[CellBefore]) -> str:
    """Write the undo state, then the marks and our summary sheet; return the summary's name.
    If a step fails, what was done is undone, our sheets deleted, before the error goes on (if
    that fails too, the undo sheet is still there for Clear)."""
    summary = free_sheet_name(book, SUMMARY_SHEET)
    state = Undo(sheet.name, summary, column, sheet.range((1, column)).column_width, before,
                 free_sheet_name(book, UNDO_SHEET))
    try:
        write_undo(book, sheet, state)
        book.sheets.add(summary, after=sheet)
        record_summary(book.sheets[state.undo_sheet], summary)
        _mark(sheet, plan, column, before)
        draw_summary(book.sheets[summary], summary_layout(plan.summary, IN_PLACE_NOTICE))
    except Exception:
        restore(book, state)
        raise
    return summary


def _mark(sheet: Sheet, plan: AnnotationPlan, column: int, before: list[CellBefore]) -> None:
    (findings,) = plan.columns
    by_severity: dict[Severity, list[tuple[int, int]]] = defaultdict(list)
    for mark in plan.cells:
        by_severity[mark.severity].append((mark.row, mark.col))
    for row, (severity, _) in findings.entries.items():
        by_severity[severity].append((row, column))
    one_colour = {(c.row, c.col) for c in before if c.font_color is not None}
    for severity, cells in by_severity.items():
        style = STYLES[severity]
        for block in blocks(cells):
            block_range(sheet, block).color = f"#{style.fill}"
        for block in blocks(place for place in cells if place in one_colour):
            block_range(sheet, block).font.color = f"#{style.font}"
    for cell in before:
        if cell.our_note is None:
            continue
        rng = sheet.range((cell.row, cell.col))
        if cell.note is None:
            rng.add_note(cell.our_note)
            continue
        own = rng.note  # keep the sheet's own note (read from this cell before marking)
        assert own is not None
        own.text = cell.note + NOTE_SEPARATOR + cell.our_note
    texts = _findings_texts(plan)
    first, last = findings.header_row, max(texts)
    block_range(sheet, (first, column, last, column)).value = [
        [as_text(texts[row]) if row in texts else None] for row in range(first, last + 1)]
    sheet.range((findings.header_row, column)).font.bold = True
    # wrapped: Excel then fits the height of each row whose height was not set by hand
    for block in blocks((row, column) for row in findings.entries):
        block_range(sheet, block).wrap_text = True
    sheet.range((1, column)).column_width = findings.width


def _checked(result: TableResult, summary: str, before: list[CellBefore], hidden: int) -> str:
    counts = {severity: 0 for severity in Severity}
    for finding in result.findings:
        counts[finding.severity] += 1
    found = ", ".join(_count(n, severity.value) for severity, n in counts.items())
    lines = _count(len(result.table.lines), "billing line")
    # marked cells (not the findings column's) without a note of ours: a threaded comment
    threaded = sum(1 for cell in before if cell.our_text is None and cell.our_note is None)
    notes = ("Coloured cells have notes" if not threaded else
             f"Coloured cells have notes, except {_count(threaded, 'cell')} with a threaded "
             "comment (see the findings column)")
    out_of_sight = ("" if not hidden else
                    f" {_count(hidden, 'marked row')} {'is' if hidden == 1 else 'are'} hidden or "
                    "filtered out: show all rows to see them.")
    partial = ""
    if result.missing:  # said first: the sheet could not be fully checked
        fields = " or ".join(LABELS[f] for f in result.missing)
        partial = (f"Not fully checked: no column was read as the {fields} ('{summary}' says "
                   "which rules did not run). ")
    return (f"{partial}Checked {lines} on '{result.table.sheet}': {found}. {notes}; "
            f"'{summary}' lists every finding.{out_of_sight} Clear takes the marks off again.")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


# --- clear ------------------------------------------------------------------------------------


def restore(book: Book, undo: Undo) -> None:
    """Put back what the undo state holds and delete our summary and undo sheets. Values are
    never written: a cell the biller edited since keeps the edit, and so does our findings
    column where the biller typed over our text."""
    names = {sheet.name for sheet in book.sheets}
    if undo.sheet in names:
        sheet = book.sheets[undo.sheet]
        _restore_formats(sheet, undo.cells)
        for cell in undo.cells:
            if cell.our_note:
                _restore_note(sheet.range((cell.row, cell.col)), cell)
        _take_back_texts(sheet, [cell for cell in undo.cells if cell.our_text])
        if undo.column is not None and undo.column_width is not None:
            sheet.range((1, undo.column)).column_width = undo.column_width
    for name in (undo.summary, undo.undo_sheet):  # the undo sheet last: a failure can retry
        if name in names:
            book.sheets[name].delete()


def _restore_formats(sheet: Sheet, cells: list[CellBefore]) -> None:
    fills: dict[str | None, list[tuple[int, int]]] = defaultdict(list)
    fonts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for cell in cells:
        fills[cell.fill].append((cell.row, cell.col))
        if cell.font_color:
            fonts[cell.font_color].append((cell.row, cell.col))
    for fill, places in fills.items():
        for block in blocks(places):
            block_range(sheet, block).color = fill  # None: no fill
    for colour, places in fonts.items():
        for block in blocks(places):
            block_range(sheet, block).font.color = colour
    wraps: dict[bool, list[tuple[int, int]]] = defaultdict(list)
    for cell in cells:
        if cell.bold is not None:
            sheet.range((cell.row, cell.col)).font.bold = cell.bold
        if cell.wrap is not None:
            wraps[cell.wrap].append((cell.row, cell.col))
    for wrap, places in wraps.items():
        for block in blocks(places):
            block_range(sheet, block).wrap_text = wrap


def note_after_clear(current: str | None, own: str | None, ours: str) -> str | None:
    """The note without ours. Anything the biller wrote into it since the check stays; if our
    part was edited, the note goes back to what it was before the check."""
    if current is not None:
        for added in (NOTE_SEPARATOR + ours, ours):
            if added in current:
                return current.replace(added, "", 1) or None
    return own


def _restore_note(cell: Range, before: CellBefore) -> None:
    assert before.our_note is not None
    note = cell.note
    current = note.text if note else None
    wanted = note_after_clear(current, before.note, before.our_note)
    if wanted == current:
        return
    if note is None:
        assert wanted is not None  # it differs from the None the cell has
        cell.add_note(wanted)
    elif wanted is None:
        note.delete()
    else:
        note.text = wanted


def _take_back_texts(sheet: Sheet, cells: list[CellBefore]) -> None:
    """Empty the cells that still hold the text we wrote (one read per column)."""
    by_column: dict[int, list[CellBefore]] = defaultdict(list)
    for cell in cells:
        by_column[cell.col].append(cell)
    for col, column_cells in by_column.items():
        first = min(cell.row for cell in column_cells)
        last = max(cell.row for cell in column_cells)
        now = block_range(sheet, (first, col, last, col)).options(ndim=2).value
        ours = [(cell.row, col) for cell in column_cells
                if now[cell.row - first][0] == cell.our_text]
        for block in blocks(ours):
            block_range(sheet, block).clear_contents()
