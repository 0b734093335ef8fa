"""The summary sheet, cell by cell: what it says, where and in which style, decided once for every
writer. The openpyxl copy (nmr_xl.write.summary) and the in-place check in Excel
(nmr_xl.excel.summary_sheet) both draw this layout, so the two sheets cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nmr_xl.model import Finding, Severity
from nmr_xl.plan import FINDINGS_HEADER, STYLES, SummaryData

NOTICE_ROWS = 3  # rows kept below the notice heading (the copy writes its losses there)
FINDINGS_TABLE = "nmr_xl_findings"
FINDING_COLUMNS = ("Severity", "Rule", "Name", "Sheet", "Cell", "Row", "Column", "Message",
                   "What to do")
_WIDTHS = (24, 34, 26, 16, 9, 7, 16, 70, 70)  # columns A to I, in characters
_MERGED_FACT_COLUMNS = (2, 8)  # a fact's value spans B:H
_LINK_COLUMN = 5  # the findings table's Cell column links to the cell


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    size: float | None = None
    fill: str | None = None  # RRGGBB
    font_color: str | None = None  # RRGGBB
    wrap_top: bool = False  # wrapped, aligned to the top of the row


TITLE = CellStyle(bold=True, size=14)
BOLD = CellStyle(bold=True)
FACT = CellStyle(wrap_top=True)
FACT_LABEL = CellStyle(bold=True, wrap_top=True)
NOTICE = CellStyle(font_color=STYLES[Severity.ERROR].font)
NOTICE_WRAPPED = CellStyle(bold=True, fill=STYLES[Severity.WARNING].fill,
                           font_color=STYLES[Severity.WARNING].font, wrap_top=True)


def legend_style(severity: Severity) -> CellStyle:
    style = STYLES[severity]
    return CellStyle(bold=True, fill=style.fill, font_color=style.font)


def severity_style(severity: Severity) -> CellStyle:
    style = STYLES[severity]
    return CellStyle(fill=style.fill, font_color=style.font)


@dataclass(frozen=True)
class SummaryCell:
    row: int
    col: int
    value: str | int  # a text stays text in every writer, never a formula or a number
    style: CellStyle | None = None
    link: str | None = None  # a place in the workbook ("'Billing'!F12") the cell links to


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of one column of a table: one bar per row, labelled from another column."""

    title: str
    header_row: int  # the values' header (the series name); the values are the rows below it
    count: int
    values_col: int
    labels_col: int
    anchor: tuple[int, int]  # (row, column) of its top-left cell
    width_cm: float
    height_cm: float


@dataclass(frozen=True)
class TableSpec:
    """An Excel table (filter arrows, banded rows) over the rectangle top..bottom, left..right."""

    name: str
    top: int
    bottom: int
    left: int
    right: int
    style: str = "TableStyleLight9"


@dataclass(frozen=True)
class Notice:
    """What the reader should know about where these annotations live."""

    heading: str
    lines: tuple[str, ...]


COPY_NOTICE = Notice("What this copy could not carry over",
                     ("Nothing: every sheet, value and formula of the original is here.",))
IN_PLACE_NOTICE = Notice("Where these marks are", (
    "Nothing was copied: the colours, notes, the 'nmr-xl findings' column and this sheet are "
    "in your workbook itself.",
    "Clear (nmr-xl tab) takes them all off again and puts the sheet's own colours and notes "
    "back; your data is never changed.",
))


@dataclass
class SummaryLayout:
    cells: list[SummaryCell] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    widths: dict[int, float] = field(default_factory=dict)  # column -> characters
    heights: dict[int, float] = field(default_factory=dict)  # row -> points
    notice_row: int = 0  # the first of NOTICE_ROWS rows under the notice heading
    chart: ChartSpec | None = None
    table: TableSpec | None = None

    def put(self, row: int, col: int, value: str | int, style: CellStyle | None = None,
            link: str | None = None) -> None:
        self.cells.append(SummaryCell(row, col, value, style, link))


def summary_layout(data: SummaryData, notice: Notice) -> SummaryLayout:
    """The whole sheet: title, run facts, colour legend, notice, counts, chart, every finding."""
    layout = SummaryLayout(widths=dict(enumerate(_WIDTHS, start=1)))
    layout.put(1, 1, "nmr-xl billing check", TITLE)
    row = 3
    if data.warnings:  # the file could not be fully checked: the first thing to read
        row = _heading(layout, row, "Not fully checked")
        for text in data.warnings:
            layout.put(row, 1, text, NOTICE_WRAPPED)
            layout.merges.append((row, 1, row, _MERGED_FACT_COLUMNS[1]))
            layout.heights[row] = 15 * max(-(-len(text) // 160), 1)
            row += 1
        row += 1
    row = _facts(layout, row, data.facts) + 1

    row = _heading(layout, row, "Colour legend")
    for severity in Severity:
        layout.put(row, 1, STYLES[severity].label, legend_style(severity))
        layout.put(row, 2, STYLES[severity].meaning)
        row += 1
    layout.put(row, 1, "Every coloured cell has a note explaining each finding; the "
                       f"'{FINDINGS_HEADER}' column lists them per line.")
    row += 2

    row = _heading(layout, row, notice.heading)
    layout.notice_row = row
    for offset, text in enumerate(notice.lines[:NOTICE_ROWS]):
        layout.put(row + offset, 1, text)
    row += NOTICE_ROWS + 1

    row = _heading(layout, row, "Findings by severity")
    row = _counts(layout, row, ("Severity", "Findings"), data.by_severity)
    row = _heading(layout, row, "Findings by rule")
    if data.by_rule:
        layout.chart = ChartSpec("Findings by rule", header_row=row, count=len(data.by_rule),
                                 values_col=4, labels_col=1, anchor=(row, 6), width_cm=14.0,
                                 height_cm=max(6.0, 0.6 * len(data.by_rule) + 2))
    row = _counts(layout, row, ("Rule", "Name", "Default severity", "Findings"), data.by_rule)
    row = _heading(layout, row, "Findings by payer")
    row = _counts(layout, row, ("Payer", "Profile", "Findings"), data.by_payer)
    row = _heading(layout, row, "Findings by rendering provider")
    row = _counts(layout, row, ("Provider", "Findings"), data.by_provider)

    row = _heading(layout, row, "All findings (filter with the header arrows; click a cell "
                                "reference to go to it)")
    if data.findings:
        _findings(layout, row, data.findings)
    else:
        layout.put(row, 1, "No findings.")
    return layout


def _heading(layout: SummaryLayout, row: int, text: str) -> int:
    layout.put(row, 1, text, BOLD)
    return row + 1


def _facts(layout: SummaryLayout, row: int, facts: list[tuple[str, str]]) -> int:
    first, last = _MERGED_FACT_COLUMNS
    for label, value in facts:
        layout.put(row, 1, label, FACT_LABEL)
        layout.put(row, 2, value, FACT)
        # Long facts (the column mapping) wrap across B:H; Excel does not size merged rows.
        layout.merges.append((row, first, row, last))
        layout.heights[row] = 15 * max(-(-len(value) // 150), -(-len(label) // 22), 1)
        row += 1
    return row


def _counts(layout: SummaryLayout, row: int, header: tuple[str, ...],
            data: Sequence[tuple[str | int, ...]]) -> int:
    for col, text in enumerate(header, start=1):
        layout.put(row, col, text, BOLD)
    for offset, values in enumerate(data, start=1):
        for col, value in enumerate(values, start=1):
            layout.put(row + offset, col, value)
    return row + len(data) + 2


def link_to(sheet: str, cell: str) -> str:
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!{cell}"


def _findings(layout: SummaryLayout, top: int, findings: list[Finding]) -> None:
    for col, text in enumerate(FINDING_COLUMNS, start=1):
        layout.put(top, col, text)
    for row, f in enumerate(findings, start=top + 1):
        values = (f.severity.value, f.rule, f.name, f.sheet, f.cell, f.row, f.column, f.message,
                  f.suggestion)
        for col, value in enumerate(values, start=1):
            if col == 1:
                layout.put(row, col, value, severity_style(f.severity))
            elif col == _LINK_COLUMN:
                layout.put(row, col, value, link=link_to(f.sheet, f.cell))
            else:
                layout.put(row, col, value)
    layout.table = TableSpec(FINDINGS_TABLE, top, top + len(findings), 1, len(FINDING_COLUMNS))
