"""The summary sheet of an annotated copy: nmr_xl.summary_layout drawn with openpyxl, plus the
rows naming what the copy could not carry over."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.reference import DummyWorksheet
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.model import column_letter
from nmr_xl.plan import SUMMARY_SHEET, SummaryData
from nmr_xl.summary_layout import (
    COPY_NOTICE,
    NOTICE,
    NOTICE_ROWS,
    CellStyle,
    ChartSpec,
    summary_layout,
)
from nmr_xl.write.cells import set_text
from nmr_xl.write.fidelity import CHART, TABLE


@dataclass
class WrittenSummary:
    title: str
    warnings_row: int  # first of NOTICE_ROWS rows kept for what the copy could not carry
    added: Counter[str]  # package parts the summary adds (chart, table), for the loss check


def _unique_title(book: Workbook) -> str:
    title, n = SUMMARY_SHEET, 2
    while title in book.sheetnames:
        title, n = f"{SUMMARY_SHEET} ({n})", n + 1
    return title


@cache
def _font(style: CellStyle) -> Font:
    return Font(bold=style.bold or None, size=style.size, color=style.font_color)


_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _apply_style(ws: Worksheet, row: int, col: int, style: CellStyle) -> None:
    cell = ws.cell(row=row, column=col)
    if style.fill:
        cell.fill = PatternFill("solid", fgColor=style.fill)
    if style.bold or style.size or style.font_color:
        cell.font = _font(style)
    if style.wrap_top:
        cell.alignment = _WRAP_TOP


def write_losses(book: Workbook, written: WrittenSummary, losses: list[str]) -> None:
    ws = book[written.title]
    for offset, text in enumerate(losses[:NOTICE_ROWS]):
        set_text(ws, written.warnings_row + offset, 1, text)
        _apply_style(ws, written.warnings_row + offset, 1, NOTICE)


def write_summary(book: Workbook, data: SummaryData) -> WrittenSummary:
    """Add the summary sheet first in the workbook."""
    layout = summary_layout(data, COPY_NOTICE)
    ws = book.create_sheet(_unique_title(book), 0)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for col, width in layout.widths.items():
        ws.column_dimensions[column_letter(col)].width = width
    for cell in layout.cells:
        if isinstance(cell.value, str):
            set_text(ws, cell.row, cell.col, cell.value)
        else:
            ws.cell(row=cell.row, column=cell.col, value=cell.value)
        if cell.style:
            _apply_style(ws, cell.row, cell.col, cell.style)
        if cell.link:
            target = ws.cell(row=cell.row, column=cell.col)
            target.hyperlink = Hyperlink(ref=target.coordinate, location=cell.link)
            target.style = "Hyperlink"
    for first_row, first_col, last_row, last_col in layout.merges:
        ws.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row,
                       end_column=last_col)
    for row, height in layout.heights.items():
        ws.row_dimensions[row].height = height
    added: Counter[str] = Counter()
    if layout.chart:
        _chart(ws, layout.chart)
        added[CHART] += 1
    if layout.table:
        spec = layout.table
        ref = f"{column_letter(spec.left)}{spec.top}:{column_letter(spec.right)}{spec.bottom}"
        table = Table(displayName=spec.name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=spec.style, showRowStripes=True)
        ws.add_table(table)
        added[TABLE] += 1
    return WrittenSummary(ws.title, layout.notice_row, added)


def bar_chart(spec: ChartSpec, sheet_title: str) -> BarChart:
    """The chart of findings by rule, over the cells of the sheet named `sheet_title` (the
    package writer serialises it too, so both copies draw the same chart)."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = spec.title
    chart.legend = None
    chart.height = spec.height_cm
    chart.width = spec.width_cm
    sheet = DummyWorksheet(sheet_title)
    last = spec.header_row + spec.count
    values = Reference(sheet, min_col=spec.values_col, min_row=spec.header_row, max_row=last)
    labels = Reference(sheet, min_col=spec.labels_col, min_row=spec.header_row + 1,
                       max_row=last)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    return chart


def _chart(ws: Worksheet, spec: ChartSpec) -> None:
    row, col = spec.anchor
    ws.add_chart(bar_chart(spec, ws.title), f"{column_letter(col)}{row}")
