"""The batch summary's Findings sheet: one row per finding checked in this run, a filterable
table whose cell links open the annotated copy at the flagged cell."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink

from nmr_xl.batch_totals import BatchInput
from nmr_xl.model import Finding, Severity
from nmr_xl.plan import STYLES
from nmr_xl.write.batch_summary import tables
from nmr_xl.write.batch_summary.cells import (
    FONT,
    TOP,
    Formats,
    Value,
    link_target,
    new_cell,
    relative_path,
)

_FINDING_TOOLTIP = "Open the annotated copy at this cell"
# Printed across then down: the first page of a row holds where, what and the message; the
# second (after a manual column break, with the Input repeated) what to do and the rest.
_FINDING_COLUMNS = ("Input", "Cell", "Rule", "Severity", "Message", "What to do", "Name",
                    "Sheet", "Row", "Practice")
_FINDING_WIDTHS = (30, 7, 8, 9, 55, 55, 24, 12, 6, 20)
_FINDING_WRAPPED = {1, 5, 6, 7, 10}
_FINDING_FIRST_PAGE = 5  # columns A..E print on a row's first page


def _finding_rows(ws: WriteOnlyWorksheet, formats: Formats, inputs: Sequence[BatchInput],
                  out_dir: Path, max_links: int) -> Iterator[list[Cell | Value]]:
    """One row per finding, read back from the batch's spool one input at a time; the first
    `max_links` with a link to their cell."""
    links = 0
    for item in inputs:
        copy_target = relative_path(item.output, out_dir)
        target = link_target(copy_target) if copy_target else None  # one string per input
        practice = item.practice
        for f in item.findings:
            if links == max_links:
                target = None
            links += target is not None
            yield [item.label, _finding_link(ws, formats, target, f), f.rule,
                   _severity_cell(ws, formats, f.severity), f.message, f.suggestion, f.name,
                   f.sheet, f.row, practice]


def _finding_link(ws: WriteOnlyWorksheet, formats: Formats, target: str | None, f: Finding
                  ) -> Cell:
    """The flagged cell's reference, a link that opens the annotated copy at that cell."""
    cell = new_cell(ws, f.cell)
    if target is None:
        formats.apply(cell, "top", alignment=TOP)
        return cell
    quoted = f.sheet.replace("'", "''")
    cell.hyperlink = Hyperlink(ref="", target=target, location=f"'{quoted}'!{f.cell}",
                               tooltip=_FINDING_TOOLTIP)
    formats.apply(cell, "link-top", style="Hyperlink", alignment=TOP)
    return cell


_SEVERITY_FORMATS = {  # made once: a batch has a severity cell per finding
    severity: (PatternFill("solid", fgColor=STYLES[severity].fill),
               Font(name=FONT, size=11, color=STYLES[severity].font))
    for severity in Severity}


def _severity_cell(ws: WriteOnlyWorksheet, formats: Formats, severity: Severity) -> Cell:
    cell = new_cell(ws, severity.value)
    fill, font = _SEVERITY_FORMATS[severity]
    formats.apply(cell, severity.value, alignment=TOP, fill=fill, font=font)
    return cell


def findings_sheet(ws: WriteOnlyWorksheet, formats: Formats, inputs: Sequence[BatchInput],
                   skipped: int, out_dir: Path, max_links: int) -> None:
    """The Findings sheet; `skipped` inputs were unchanged and not checked again, and the
    first `max_links` findings link to their cell."""
    ws.freeze_panes = "B2"
    tables.print_across(ws, _FINDING_WIDTHS, _FINDING_FIRST_PAGE)
    rows = tables.table_rows(ws, formats, _FINDING_COLUMNS, _FINDING_WIDTHS, _FINDING_WRAPPED,
                             _finding_rows(ws, formats, inputs, out_dir, max_links))
    if rows:
        tables.add_table(ws, "nmr_xl_batch_findings", _FINDING_COLUMNS, rows)
        return
    tables.empty_note(ws, "No findings in the inputs checked in this run." + (
        f" {skipped} unchanged inputs were not checked again: their findings are in their "
        "annotated copies." if skipped else ""))
