"""Apply an AnnotationPlan to a copy of the workbook with openpyxl. The input is never touched:
the copy is written to a temporary file beside the destination and moved into place. A CSV
input gets a new workbook holding its cells as text, annotated the same way.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from copy import copy
from functools import partial
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook as XlWorkbook
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.errors import InputError
from nmr_xl.plan import (
    FINDINGS_HEADER,
    NOTE_AUTHOR,
    NOTE_SEPARATOR,
    STYLES,
    AnnotationPlan,
    CellMark,
    FindingsColumn,
)
from nmr_xl.write.cells import set_text
from nmr_xl.write.fidelity import formula_results_note, inventory, lost_parts
from nmr_xl.write.summary import SummaryLayout, write_losses, write_summary

# What one Excel sheet holds
_MAX_ROWS, _MAX_COLUMNS, _MAX_CELL_TEXT = 1_048_576, 16_384, 32_767
_FORMULA_LIKE = ("=", "+", "-", "@")


def _mark(ws: Worksheet, mark: CellMark) -> None:
    style = STYLES[mark.severity]
    cell = ws.cell(row=mark.row, column=mark.col)
    cell.fill = PatternFill("solid", fgColor=style.fill)
    font = copy(cell.font)
    font.color = style.font
    cell.font = font
    text = mark.note
    if cell.comment is not None:
        text = cell.comment.text + NOTE_SEPARATOR + text  # keep the sheet's own note
    lines = text.count("\n") + 1 + len(text) // 60
    cell.comment = Comment(text, NOTE_AUTHOR, width=420, height=min(600, 16 * lines + 20))


def free_column(ws: Worksheet, wanted: int) -> int:
    """`wanted`, unless a cell there holds something (a formula cell with no stored result is
    invisible to the reader that sized the table): then the first column past every used one."""
    if wanted > ws.max_column:
        return wanted
    # ws._cells holds only the cells the sheet has; ws.cell() would create empty ones.
    used = any(col == wanted and cell.value is not None
               for (_, col), cell in ws._cells.items())
    return ws.max_column + 1 if used else wanted


def _findings_column(ws: Worksheet, column: FindingsColumn) -> None:
    col = free_column(ws, column.col)
    header = ws.cell(row=column.header_row, column=col)
    set_text(ws, column.header_row, col, FINDINGS_HEADER)
    header.font = Font(bold=True)
    for row, (severity, text) in column.entries.items():
        style = STYLES[severity]
        set_text(ws, row, col, text)
        cell = ws.cell(row=row, column=col)
        cell.fill = PatternFill("solid", fgColor=style.fill)
        cell.font = Font(color=style.font)
        cell.alignment = Alignment(vertical="top")
    letter = header.column_letter
    ws.column_dimensions[letter].width = 70


def apply_plan(book: XlWorkbook, plan: AnnotationPlan) -> SummaryLayout:
    """Annotate the workbook: cell marks, findings columns and the summary sheet."""
    for mark in plan.cells:
        _mark(book[mark.sheet], mark)
    for column in plan.columns:
        _findings_column(book[column.sheet], column)
    return write_summary(book, plan.summary)


def load_for_copy(source: Path, macro: bool) -> XlWorkbook:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about every extension it drops
            # A file object, because openpyxl refuses a path by its extension (a renamed .xls)
            with source.open("rb") as handle:
                return openpyxl.load_workbook(handle, keep_vba=macro, keep_links=True,
                                              rich_text=True)
    except Exception as exc:  # openpyxl raises many unrelated types for odd files
        raise InputError("write-failed", f"openpyxl cannot open the file to write an "
                                         f"annotated copy ({type(exc).__name__})") from None


def write_copy(source: Path, dest: Path, plan: AnnotationPlan, macro: bool,
               sheets: list[str]) -> list[str]:
    """Write the annotated copy atomically; return what the copy could not carry over."""
    book = load_for_copy(source, macro)
    missing = [s for s in sheets if s not in book.sheetnames]
    if missing:
        raise InputError("write-failed", "openpyxl cannot read the sheet(s) "
                                         f"{', '.join(missing)} of this file (a Strict OOXML "
                                         "workbook?), so no annotated copy was written")
    before = inventory(source)
    return save_annotated(book, dest, plan, notes=formula_results_note(before),
                          compare=partial(lost_parts, before))


def write_rows_copy(rows: Sequence[Sequence[str | None]], sheet: str, dest: Path,
                    plan: AnnotationPlan) -> list[str]:
    """Write a new workbook whose one sheet holds `rows` (a CSV file's cells) as text, annotated.

    Every cell is text, exactly as in the file: "=HYPERLINK(...)", "+1" or "@SUM(...)" from a CSV
    must never become a formula (CSV injection), and "00123" keeps its zeros. Returns notes on
    anything a sheet cannot hold as the file had it.
    """
    width = max((len(r) for r in rows), default=0)
    if len(rows) > _MAX_ROWS or width >= _MAX_COLUMNS:  # the findings column needs one more
        raise InputError("write-failed", f"the file has {len(rows):,} rows and {width:,} "
                                         f"columns, more than an Excel sheet holds "
                                         f"({_MAX_ROWS:,} rows, {_MAX_COLUMNS:,} columns), so "
                                         "no annotated copy was written")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    cleaned = cut = 0
    for r, cells in enumerate(rows, start=1):
        for c, text in enumerate(cells, start=1):
            if text is None:
                continue
            if ILLEGAL_CHARACTERS_RE.search(text):
                text = ILLEGAL_CHARACTERS_RE.sub("", text)
                cleaned += 1
            if len(text) > _MAX_CELL_TEXT:
                text = text[:_MAX_CELL_TEXT]
                cut += 1
            set_text(ws, r, c, text)
            if text[:1] in _FORMULA_LIKE:  # stays text even when edited in Excel
                ws.cell(row=r, column=c).quotePrefix = True
    notes = []
    if cleaned:
        notes.append(f"{_cells(cleaned)} held control characters a spreadsheet cannot store; "
                     "the copy leaves them out. The original file still has them.")
    if cut:
        notes.append(f"{_cells(cut)} held more than {_MAX_CELL_TEXT:,} characters, the most "
                     "an Excel cell holds; the copy keeps the first "
                     f"{_MAX_CELL_TEXT:,}. The original file still has the rest.")
    return save_annotated(book, dest, plan, notes=notes)


def _cells(n: int) -> str:
    return "1 cell" if n == 1 else f"{n:,} cells"


def save_annotated(book: XlWorkbook, dest: Path, plan: AnnotationPlan, *,
                   notes: Sequence[str] = (),
                   compare: Callable[[Path, Counter[str]], list[str]] | None = None
                   ) -> list[str]:
    """Apply the plan and save the book to `dest` atomically (a temporary file beside it, moved
    into place). `notes` are known losses; `compare(saved, added)` finds more in the saved file.
    Every note is also written on the summary sheet. Returns all the notes."""
    layout = apply_plan(book, plan)
    found = list(notes)
    if found:
        write_losses(book, layout, found)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".nmr-xl-", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        book.save(tmp)
        more = compare(tmp, layout.added) if compare else []
        if more:  # say so on the summary sheet too: save once more
            found += more
            write_losses(book, layout, found)
            book.save(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return found
