"""The summary sheet of an annotated copy: run facts, legend, counts, chart, every finding."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.model import Severity
from nmr_xl.plan import STYLES, SUMMARY_SHEET, SummaryData
from nmr_xl.write.cells import set_text
from nmr_xl.write.fidelity import CHART, TABLE

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_FINDING_COLUMNS = ("Severity", "Rule", "Name", "Sheet", "Cell", "Row", "Column", "Message",
                    "What to do")
_WIDTHS = {"A": 24, "B": 34, "C": 26, "D": 16, "E": 9, "F": 7, "G": 16, "H": 70, "I": 70}


def _unique_title(book: Workbook) -> str:
    title, n = SUMMARY_SHEET, 2
    while title in book.sheetnames:
        title, n = f"{SUMMARY_SHEET} ({n})", n + 1
    return title


def _heading(ws: Worksheet, row: int, text: str) -> int:
    set_text(ws, row, 1, text)
    ws.cell(row=row, column=1).font = _BOLD
    return row + 1


def _rows(ws: Worksheet, row: int, header: tuple[str, ...], data: list[tuple]) -> int:
    for col, text in enumerate(header, start=1):
        set_text(ws, row, col, text)
        ws.cell(row=row, column=col).font = _BOLD
    for offset, values in enumerate(data, start=1):
        for col, value in enumerate(values, start=1):
            if isinstance(value, str):
                set_text(ws, row + offset, col, value)
            else:
                ws.cell(row=row + offset, column=col, value=value)
    return row + len(data) + 2


@dataclass
class SummaryLayout:
    title: str
    warnings_row: int  # first of WARNING_ROWS rows kept for what the copy could not carry
    added: Counter[str]  # package parts the summary adds (chart, table), for the loss check


WARNING_ROWS = 3


def write_losses(book: Workbook, layout: SummaryLayout, losses: list[str]) -> None:
    ws = book[layout.title]
    for offset, text in enumerate(losses[:WARNING_ROWS]):
        set_text(ws, layout.warnings_row + offset, 1, text)
        ws.cell(row=layout.warnings_row + offset, column=1).font = Font(color="9C0006")


def write_summary(book: Workbook, data: SummaryData) -> SummaryLayout:
    """Add the summary sheet first in the workbook."""
    ws = book.create_sheet(_unique_title(book), 0)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    added: Counter[str] = Counter()
    for letter, width in _WIDTHS.items():
        ws.column_dimensions[letter].width = width
    set_text(ws, 1, 1, "nmr-xl billing check")
    ws.cell(row=1, column=1).font = _TITLE
    row = 3
    for label, value in data.facts:
        set_text(ws, row, 1, label)
        set_text(ws, row, 2, value)
        ws.cell(row=row, column=1).font = _BOLD
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        # Long facts (column mapping) wrap across B:I; Excel does not size merged rows itself.
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=8)
        ws.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(-(-len(value) // 150), -(-len(label) // 22), 1)
        ws.row_dimensions[row].height = 15 * lines
        row += 1
    row += 1

    row = _heading(ws, row, "Colour legend")
    for severity in Severity:
        style = STYLES[severity]
        set_text(ws, row, 1, style.label)
        ws.cell(row=row, column=1).fill = PatternFill("solid", fgColor=style.fill)
        ws.cell(row=row, column=1).font = Font(color=style.font, bold=True)
        set_text(ws, row, 2, style.meaning)
        row += 1
    set_text(ws, row, 1, "Every coloured cell has a note explaining each finding; the "
                          "'nmr-xl findings' column lists them per line.")
    row += 2

    row = _heading(ws, row, "What this copy could not carry over")
    layout = SummaryLayout(ws.title, row, added)
    set_text(ws, row, 1, "Nothing: every sheet, value and formula of the original is here.")
    row += WARNING_ROWS + 1

    row = _heading(ws, row, "Findings by severity")
    row = _rows(ws, row, ("Severity", "Findings"), data.by_severity)
    row = _heading(ws, row, "Findings by rule")
    rule_header_row = row
    row = _rows(ws, row, ("Rule", "Name", "Default severity", "Findings"), data.by_rule)
    if data.by_rule:
        added.update(_chart(ws, rule_header_row, len(data.by_rule)))
    row = _heading(ws, row, "Findings by payer")
    row = _rows(ws, row, ("Payer", "Profile", "Findings"), data.by_payer)
    row = _heading(ws, row, "Findings by rendering provider")
    row = _rows(ws, row, ("Provider", "Findings"), data.by_provider)

    row = _heading(ws, row, "All findings (filter with the header arrows; click a cell "
                            "reference to go to it)")
    if not data.findings:
        set_text(ws, row, 1, "No findings.")
        return layout
    _findings_table(ws, row, data)
    added[TABLE] += 1
    return layout


def _chart(ws: Worksheet, header_row: int, count: int) -> Counter[str]:
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Findings by rule"
    chart.legend = None
    chart.height = max(6.0, 0.6 * count + 2)
    chart.width = 14.0
    values = Reference(ws, min_col=4, min_row=header_row, max_row=header_row + count)
    labels = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    ws.add_chart(chart, f"F{header_row}")
    return Counter({CHART: 1})


def _findings_table(ws: Worksheet, top: int, data: SummaryData) -> None:
    for col, text in enumerate(_FINDING_COLUMNS, start=1):
        set_text(ws, top, col, text)
    for offset, f in enumerate(data.findings, start=1):
        row = top + offset
        values = (f.severity.value, f.rule, f.name, f.sheet, f.cell, f.row, f.column, f.message,
                  f.suggestion)
        for col, value in enumerate(values, start=1):
            if isinstance(value, str):
                set_text(ws, row, col, value)
            else:
                ws.cell(row=row, column=col, value=value)
        style = STYLES[f.severity]
        severity_cell = ws.cell(row=row, column=1)
        severity_cell.fill = PatternFill("solid", fgColor=style.fill)
        severity_cell.font = Font(color=style.font)
        link = ws.cell(row=row, column=5)
        quoted = f.sheet.replace("'", "''")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{f.cell}")
        link.style = "Hyperlink"
    last = top + len(data.findings)
    table = Table(displayName="nmr_xl_findings", ref=f"A{top}:I{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = None
