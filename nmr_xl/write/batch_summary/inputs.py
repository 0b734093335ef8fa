"""The batch summary's Inputs sheet: one row per input, a filterable table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink

from nmr_xl.batch_totals import BatchInput, Counts
from nmr_xl.inputs import Disposition
from nmr_xl.write.batch_summary import tables
from nmr_xl.write.batch_summary.cells import (
    NOT_CHECKED_FILL,
    SEVERITIES,
    TOP,
    WRAP,
    Formats,
    Value,
    link_target,
    new_cell,
    relative_path,
)

_DATE = Alignment(vertical="top", horizontal="left")  # not run into the Disposition beside it
_DATE_FORMAT = "yyyy-mm-dd hh:mm"
_INPUT_COLUMNS = ("Input", "Also received as", "From", "Subject", "Sent", "Disposition",
                  "Reason", "Note", "Billing lines", "Errors", "Warnings", "Info", "Top rules",
                  "Annotated copy")
_INPUT_WIDTHS = (36, 26, 34, 26, 17, 17, 18, 42, 8, 7, 9, 6, 22, 30)
_INPUT_WRAPPED = {"Input", "Also received as", "From", "Subject", "Note", "Top rules",
                  "Annotated copy"}
_DISPOSITION_FILL = {Disposition.CHECKED: None, Disposition.SKIPPED_UNCHANGED: "EDEDED",
                     **NOT_CHECKED_FILL}


def _sent(date: str | None) -> dt.datetime | None:
    """The e-mail's date as the sender's local time (Excel has no time zones)."""
    if not date:
        return None
    try:
        return dt.datetime.fromisoformat(date).replace(tzinfo=None)
    except ValueError:
        return None


def _top_rules(counts: Counts) -> str:
    ranked = sorted(counts.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{code} ({n})" for code, n in ranked[:3])


def _input_rows(ws: WriteOnlyWorksheet, formats: Formats, inputs: Sequence[BatchInput],
                out_dir: Path) -> Iterator[list[Cell | Value]]:
    for item in inputs:
        email, counts, numbers = item.email, item.counts, item.has_numbers
        sent = _sent(email.date) if email else None
        row: list[Cell | Value] = [
            item.label, "\n".join(item.sources[1:]),
            email.sender if email else None, email.subject if email else None,
            _date_cell(ws, formats, sent) if sent else None,
            *_disposition_cells(ws, formats, item),
            item.note,
            counts.rows if numbers else None,
            *((counts.by_severity.get(s.value, 0) if numbers else None) for s in SEVERITIES),
            _top_rules(counts),
            _copy_link(ws, formats, relative_path(item.output, out_dir)),
        ]
        yield row


def _date_cell(ws: WriteOnlyWorksheet, formats: Formats, value: dt.datetime) -> Cell:
    cell = new_cell(ws, value)
    formats.apply(cell, "date", alignment=_DATE, number_format=_DATE_FORMAT)
    return cell


def _disposition_cells(ws: WriteOnlyWorksheet, formats: Formats, item: BatchInput
                       ) -> tuple[Cell, Cell | None]:
    """Disposition and Reason, filled by what became of the input."""
    fill = _DISPOSITION_FILL.get(item.disposition)
    cells = []
    for value in (item.disposition.value, item.reason):
        cell = new_cell(ws, value)
        if fill:
            formats.apply(cell, f"disposition-{fill}", alignment=TOP,
                          fill=PatternFill("solid", fgColor=fill))
        else:
            formats.apply(cell, "top", alignment=TOP)
        cells.append(cell)
    return cells[0], cells[1]


def _copy_link(ws: WriteOnlyWorksheet, formats: Formats, relative: str | None
               ) -> Cell | None:
    """A link to the annotated copy, showing the copy's file name (the row says which message
    it came with): short enough for the column, as programs that draw links do not wrap them."""
    if relative is None:
        return None
    cell = new_cell(ws, relative.rsplit("/", 1)[-1])
    cell.hyperlink = Hyperlink(ref="", target=link_target(relative), tooltip=relative)
    formats.apply(cell, "link-wrap", style="Hyperlink", alignment=WRAP)
    return cell


def inputs_sheet(ws: WriteOnlyWorksheet, formats: Formats, inputs: Sequence[BatchInput],
                 out_dir: Path) -> None:
    ws.freeze_panes = "B2"
    tables.print_setup(ws, wide=True)
    column = {name: index for index, name in enumerate(_INPUT_COLUMNS, start=1)}
    rows = tables.table_rows(ws, formats, _INPUT_COLUMNS, _INPUT_WIDTHS,
                             {column[name] for name in _INPUT_WRAPPED},
                             _input_rows(ws, formats, inputs, out_dir))
    if rows:
        tables.add_table(ws, "nmr_xl_inputs", _INPUT_COLUMNS, rows)
    else:
        tables.empty_note(ws, "No inputs.")
