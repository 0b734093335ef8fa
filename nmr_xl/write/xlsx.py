"""Apply an AnnotationPlan to a copy of the workbook with openpyxl. The input is never touched:
the copy is written to a temporary file beside the destination and moved into place.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from copy import copy
from pathlib import Path

import openpyxl
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
from nmr_xl.write.fidelity import losses
from nmr_xl.write.summary import SummaryLayout, write_losses, write_summary


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


def _findings_column(ws: Worksheet, column: FindingsColumn) -> None:
    header = ws.cell(row=column.header_row, column=column.col)
    set_text(ws, column.header_row, column.col, FINDINGS_HEADER)
    header.font = Font(bold=True)
    for row, (severity, text) in column.entries.items():
        style = STYLES[severity]
        set_text(ws, row, column.col, text)
        cell = ws.cell(row=row, column=column.col)
        cell.fill = PatternFill("solid", fgColor=style.fill)
        cell.font = Font(color=style.font)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
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
    layout = apply_plan(book, plan)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".nmr-xl-", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        book.save(tmp)
        notes = losses(source, tmp, layout.added)
        if notes:  # say so on the summary sheet too: save once more
            write_losses(book, layout, notes)
            book.save(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return notes
