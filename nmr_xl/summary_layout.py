"""The summary sheet, cell by cell: what it says, where and in which style, how wide each column
and how tall each row is, and how it prints, decided once for every writer. The package writer
(nmr_xl.write.package.new_sheets), the openpyxl copy (nmr_xl.write.summary) and the in-place check
in Excel (nmr_xl.excel.summary_sheet) all draw this layout, so the sheets cannot drift apart.

It prints landscape on Letter or A4, one page wide at a readable scale: columns as wide as their
text up to a bound, the long texts (messages, what to do, run facts) wrapped in rows as tall as
they need; no section splits across pages, and the findings table's header repeats on the pages
it runs over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nmr_xl.model import Finding, Severity
from nmr_xl.plan import FINDINGS_HEADER, STYLES, SummaryData
from nmr_xl.print_layout import (
    FOOTER,
    SCALE_BOUND,
    Margins,
    PageSetup,
    SheetFont,
    column_points,
    header_text,
    line_points,
    page_breaks,
    row_points,
    usable_points,
)

NOTICE_ROWS = 3  # rows kept below the notice heading (the copy writes its losses there)
FINDINGS_TABLE = "nmr_xl_findings"
FINDING_COLUMNS = ("Severity", "Rule", "Name", "Sheet", "Cell", "Row", "Column", "Message",
                   "What to do")
LAST_COLUMN = len(FINDING_COLUMNS)  # I: facts, notices and the legend span B or A to it
_LINK_COLUMN = 5  # the findings table's Cell column links to the cell
# Column widths in characters: (least, most); a longer text wraps. Message and What to do share
# what the page has left, within _TEXT_WIDTHS.
_BOUNDS = {1: (12, 20), 2: (8, 9), 3: (10, 18), 4: (8, 12), 5: (5, 7), 6: (4, 6),
           7: (8, 12)}
_TEXT_WIDTHS = (30, 60)
_WRAPPED = frozenset({8, 9})  # the findings table's Message and What to do
_MARGINS = Margins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)
_CHART_COLUMN = 6  # F: the chart of findings by rule, right of its table (A:D)
_FILL = 0.95  # of a page's width: programs round column widths to whole pixels
_CHART_MOST_CM = 12.0
_KEEP_WITH_HEADER = 3  # findings kept on the page with the table's header
_CM_TO_POINTS = 72 / 2.54
HYPERLINK_BLUE = "0563C1"  # Office's hyperlink colour


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    size: float | None = None
    fill: str | None = None  # RRGGBB
    font_color: str | None = None  # RRGGBB
    wrap_top: bool = False  # wrapped, aligned to the top of the row


TITLE = CellStyle(bold=True, size=14)
BOLD = CellStyle(bold=True)
WRAPPED = CellStyle(wrap_top=True)
BOLD_WRAPPED = CellStyle(bold=True, wrap_top=True)
NOTICE = CellStyle(font_color=STYLES[Severity.ERROR].font, wrap_top=True)
NOTICE_WRAPPED = CellStyle(bold=True, fill=STYLES[Severity.WARNING].fill,
                           font_color=STYLES[Severity.WARNING].font, wrap_top=True)


def legend_style(severity: Severity) -> CellStyle:
    style = STYLES[severity]
    return CellStyle(bold=True, fill=style.fill, font_color=style.font)


def severity_style(severity: Severity) -> CellStyle:
    style = STYLES[severity]
    return CellStyle(fill=style.fill, font_color=style.font, wrap_top=True)


@dataclass(frozen=True)
class SummaryCell:
    row: int
    col: int
    value: str | int  # a text stays text in every writer, never a formula or a number
    style: CellStyle | None = None
    link: str | None = None  # a place in the workbook ("'Billing'!F12") the cell links to


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of one column of a table: one bar per row, labelled from another column, the
    first row on top, whole numbers on the value axis."""

    title: str
    header_row: int  # the values' header (the series name); the values are the rows below it
    count: int
    values_col: int
    labels_col: int
    anchor: tuple[int, int]  # (row, column) of its top-left cell
    width_cm: float
    height_cm: float
    major_unit: int = 1  # the value axis's step


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
    """What the reader should know about where these annotations live (`alarm`: what a copy
    could not carry, in red)."""

    heading: str
    lines: tuple[str, ...]
    alarm: bool = False


COPY_NOTICE = Notice("What this copy could not carry over",
                     ("Nothing: every sheet, value and formula of the original is here.",))
IN_PLACE_NOTICE = Notice("Where these marks are", (
    "Nothing was copied: the colours, notes, the 'nmr-xl findings' column and this sheet are "
    "in your workbook itself.",
    "Clear (nmr-xl tab) takes them all off again and puts the sheet's own colours and notes "
    "back; your data is never changed.",
))


def copy_notice(losses: Sequence[str]) -> Notice:
    """The copy's notice: what it could not carry over, or that it carries everything."""
    if not losses:
        return COPY_NOTICE
    return Notice(COPY_NOTICE.heading, tuple(losses[:NOTICE_ROWS]), alarm=True)


@dataclass
class SummaryLayout:
    cells: list[SummaryCell] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    widths: dict[int, float] = field(default_factory=dict)  # column -> characters
    heights: dict[int, float] = field(default_factory=dict)  # row -> points
    notice_row: int = 0  # the first of NOTICE_ROWS rows under the notice heading
    chart: ChartSpec | None = None
    table: TableSpec | None = None
    font: SheetFont = field(default_factory=SheetFont)  # every cell's font, bar size and bold
    page: PageSetup = field(default_factory=PageSetup)
    blocks: list[tuple[int, int]] = field(default_factory=list)  # rows kept on one page

    def put(self, row: int, col: int, value: str | int, style: CellStyle | None = None,
            link: str | None = None) -> None:
        self.cells.append(SummaryCell(row, col, value, style, link))


def summary_layout(data: SummaryData, notice: Notice) -> SummaryLayout:
    """The whole sheet: title, run facts, colour legend, notice, counts, chart, every finding."""
    layout = SummaryLayout(font=data.font)
    layout.put(1, 1, "nmr-xl billing check", TITLE)
    row = 3
    if data.warnings:  # the file could not be fully checked: the first thing to read
        start = row
        row = _heading(layout, row, "Not fully checked")
        for text in data.warnings:
            _spanning(layout, row, 1, text, NOTICE_WRAPPED)
            row += 1
        layout.blocks.append((start, row - 1))
        row += 1
    row = _facts(layout, row, data.facts) + 1

    start = row
    row = _heading(layout, row, "Colour legend")
    for severity in Severity:
        layout.put(row, 1, STYLES[severity].label, legend_style(severity))
        _spanning(layout, row, 2, STYLES[severity].meaning)
        row += 1
    _spanning(layout, row, 1, "Every coloured cell has a note explaining each finding; the "
                              f"'{FINDINGS_HEADER}' column lists them per line.")
    layout.blocks.append((start, row))
    row += 2

    start = row
    row = _heading(layout, row, notice.heading)
    layout.notice_row = row
    for offset, text in enumerate(notice.lines[:NOTICE_ROWS]):
        layout.put(row + offset, 1, text, NOTICE if notice.alarm else WRAPPED)
    for offset in range(NOTICE_ROWS):  # every row: a copy may write what it lost there later
        layout.merges.append((row + offset, 1, row + offset, LAST_COLUMN))
    layout.blocks.append((start, row + NOTICE_ROWS - 1))
    row += NOTICE_ROWS + 1

    row = _counts(layout, row, "Findings by severity", ("Severity", "Findings"),
                  data.by_severity)
    chart_at = row
    rules = [(code, count, name, severity) for code, name, severity, count in data.by_rule]
    row = _counts(layout, row, "Findings by rule", ("Rule", "Findings", "Name",
                                                     "Default severity"), rules)
    row = _counts(layout, row, "Findings by payer", ("Payer", "Findings", "Profile"),
                  [(payer, count, profile) for payer, profile, count in data.by_payer])
    row = _counts(layout, row, "Findings by rendering provider", ("Provider", "Findings"),
                  data.by_provider)

    row = _heading(layout, row, "All findings (filter with the header arrows; click a cell "
                                "reference to go to it)")
    if data.findings:
        _findings(layout, row, data.findings)
    else:
        layout.put(row, 1, "No findings.")
    _fit_columns(layout)
    _fit_rows(layout)
    if data.by_rule:
        _chart(layout, chart_at + 1, [count for _, count, _, _ in rules])
    layout.page = _page(layout, data.checked_as_of)
    return layout


def _heading(layout: SummaryLayout, row: int, text: str) -> int:
    layout.put(row, 1, text, BOLD)
    return row + 1


def _spanning(layout: SummaryLayout, row: int, first: int, text: str,
              style: CellStyle = WRAPPED) -> None:
    """A text across the columns `first` to the last, wrapped."""
    layout.put(row, first, text, style)
    layout.merges.append((row, first, row, LAST_COLUMN))


def _facts(layout: SummaryLayout, row: int, facts: list[tuple[str, str]]) -> int:
    start = row
    for label, value in facts:
        layout.put(row, 1, label, BOLD_WRAPPED)
        _spanning(layout, row, 2, value)
        row += 1
    if facts:
        layout.blocks.append((start, row - 1))
    return row


def _counts(layout: SummaryLayout, row: int, title: str, header: tuple[str, ...],
            data: Sequence[tuple[str | int, ...]]) -> int:
    start = row
    row = _heading(layout, row, title)
    for col, text in enumerate(header, start=1):
        layout.put(row, col, text, BOLD_WRAPPED)
    for offset, values in enumerate(data, start=1):
        for col, value in enumerate(values, start=1):
            layout.put(row + offset, col, value, WRAPPED)
    layout.blocks.append((start, row + len(data)))
    return row + len(data) + 2


def link_to(sheet: str, cell: str) -> str:
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!{cell}"


def _findings(layout: SummaryLayout, top: int, findings: list[Finding]) -> None:
    for col, text in enumerate(FINDING_COLUMNS, start=1):
        layout.put(top, col, text, BOLD_WRAPPED)
    for row, f in enumerate(findings, start=top + 1):
        values: tuple[str | int, ...] = (f.severity.value, f.rule, f.name, f.sheet, f.cell,
                                         f.row, f.column, f.message, f.suggestion)
        for col, value in enumerate(values, start=1):
            if col == 1:
                layout.put(row, col, value, severity_style(f.severity))
            elif col == _LINK_COLUMN:
                layout.put(row, col, value, WRAPPED, link=link_to(f.sheet, f.cell))
            else:
                layout.put(row, col, value, WRAPPED)
    layout.table = TableSpec(FINDINGS_TABLE, top, top + len(findings), 1, len(FINDING_COLUMNS))
    # the header stays with the first findings; on later pages it is printed again
    layout.blocks.append((top - 1, min(top + _KEEP_WITH_HEADER, top + len(findings))))


# --- sizes and pages ----------------------------------------------------------------------------


def _spans(layout: SummaryLayout) -> dict[tuple[int, int], int]:
    return {(r1, c1): c2 for r1, c1, _, c2 in layout.merges}


def _fit_columns(layout: SummaryLayout) -> None:
    """Each column as wide as its longest text within its bounds (texts in merged cells, the
    tables' headers and headings with nothing beside them wrap or run over, and do not count);
    Message and What to do share what a page has left at the scale bound."""
    spans = _spans(layout)
    longest: dict[int, int] = {}
    alone = {cell.row for cell in layout.cells if cell.col == 1} - {
        cell.row for cell in layout.cells if cell.col > 1}
    for cell in layout.cells:
        if (cell.row, cell.col) in spans or (cell.col == 1 and cell.row in alone):
            continue
        text = str(cell.value)
        # headers wrap between their words
        parts = text.split() if cell.style == BOLD_WRAPPED else text.split("\n")
        longest[cell.col] = max(longest.get(cell.col, 0), *(len(p) for p in parts))
    for col, (least, most) in _BOUNDS.items():
        layout.widths[col] = float(min(max(longest.get(col, 0) + 1, least), most))
    size = layout.font.size
    page = usable_points("landscape", _MARGINS)[0] * _FILL * 100 / SCALE_BOUND
    left = page - sum(column_points(w, size) for w in layout.widths.values())
    per_text = (left / len(_WRAPPED) - column_points(0, size)) / (column_points(1, size)
                                                                   - column_points(0, size))
    least, most = _TEXT_WIDTHS
    for col in sorted(_WRAPPED):
        wanted = longest.get(col, 0) + 1
        layout.widths[col] = float(min(max(min(int(per_text), wanted), least), most))


def _fit_rows(layout: SummaryLayout) -> None:
    """Each row as tall as its wrapped texts need (Excel does not size rows of merged cells,
    and not every program sizes rows when it opens a file)."""
    spans = _spans(layout)
    size = layout.font.size
    one_line = line_points(size) + 2
    for cell in layout.cells:
        if cell.style is None or not cell.style.wrap_top or not isinstance(cell.value, str):
            continue
        last = spans.get((cell.row, cell.col), cell.col)
        width = sum(layout.widths.get(c, 8.43) for c in range(cell.col, last + 1))
        height = row_points(cell.value, width, cell.style.size or size)
        if height > one_line and height > layout.heights.get(cell.row, 0):
            layout.heights[cell.row] = height


def _height(layout: SummaryLayout, row: int) -> float:
    return layout.heights.get(row, line_points(layout.font.size) + 2)


def major_unit(largest: int) -> int:
    """A whole step for an axis up to `largest`, at most ten steps: 1, 2, 5, 10, 20, 50 ..."""
    step = 1
    while largest / step > 10:
        for factor in (2, 5, 10):
            if largest / (step * factor) <= 10:
                return step * factor
        step *= 10
    return step


def _chart(layout: SummaryLayout, header_row: int, counts: list[int]) -> None:
    """Right of the table of findings by rule; the rows it covers stay on one page with it."""
    width = sum(column_points(layout.widths[c], layout.font.size)
                for c in range(_CHART_COLUMN, LAST_COLUMN + 1)) / _CM_TO_POINTS
    height = min(_CHART_MOST_CM, max(6.0, 0.45 * len(counts) + 2))
    layout.chart = ChartSpec("Findings by rule", header_row=header_row, count=len(counts),
                             values_col=2, labels_col=1, anchor=(header_row, _CHART_COLUMN),
                             width_cm=min(16.0, width - 0.5), height_cm=height,
                             major_unit=major_unit(max(counts)))
    covered, row = 0.0, header_row
    while covered < height * _CM_TO_POINTS:
        covered += _height(layout, row)
        row += 1
    layout.blocks.append((header_row - 1, row))


def _page(layout: SummaryLayout, checked_as_of: str | None) -> PageSetup:
    size = layout.font.size
    width, height = usable_points("landscape", _MARGINS)
    total = sum(column_points(w, size) for w in layout.widths.values())
    scale = max(SCALE_BOUND, min(100, int(100 * width * _FILL / total)))
    last = max(cell.row for cell in layout.cells)
    heights = [_height(layout, row) for row in range(1, last + 1)]
    title = (layout.table.top, layout.table.top) if layout.table else None
    header_points = _height(layout, layout.table.top) if layout.table else 0.0
    return PageSetup(orientation="landscape", scale=scale, title_rows=title,
                     header=header_text(checked_as_of), footer=FOOTER, margins=_MARGINS,
                     row_breaks=page_breaks(heights, _merged(layout.blocks),
                                            height * 100 / scale - header_points))


def _merged(blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Blocks that overlap (the chart reaches into the next sections) as one."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(blocks):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
