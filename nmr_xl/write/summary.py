"""The summary sheet of an annotated copy: nmr_xl.summary_layout drawn with openpyxl, plus the
rows naming what the copy could not carry over."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.reference import DummyWorksheet
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.model import column_letter
from nmr_xl.plan import SUMMARY_SHEET, SummaryData
from nmr_xl.print_layout import PageSetup, SheetFont
from nmr_xl.summary_layout import (
    HYPERLINK_BLUE,
    NOTICE,
    NOTICE_ROWS,
    CellStyle,
    ChartSpec,
    copy_notice,
    summary_layout,
)
from nmr_xl.write.cells import set_text
from nmr_xl.write.fidelity import CHART, TABLE


@dataclass
class WrittenSummary:
    title: str
    warnings_row: int  # first of NOTICE_ROWS rows kept for what the copy could not carry
    added: Counter[str]  # package parts the summary adds (chart, table), for the loss check
    font: SheetFont


def _unique_title(book: Workbook) -> str:
    """Excel compares sheet names without regard to case: "NMR-XL Summary" is taken too."""
    taken = {name.casefold() for name in book.sheetnames}
    title, n = SUMMARY_SHEET, 2
    while title.casefold() in taken:
        title, n = f"{SUMMARY_SHEET} ({n})", n + 1
    return title


@cache
def _font(style: CellStyle, font: SheetFont) -> Font:
    # a font without a name would be drawn in a serif font by LibreOffice
    return Font(name=font.name or DEFAULT_FONT, size=style.size or font.size,
                bold=style.bold or None, color=style.font_color)


DEFAULT_FONT = "Calibri"  # when the sheet's own font is not known


def _header_footer(codes: str) -> HeaderFooterItem:
    """A header or footer from Excel's codes (&L...&C...&R...), as openpyxl reads one."""
    node = etree.Element("oddHeader")
    node.text = codes
    return HeaderFooterItem.from_tree(node)


def fit_to_page(ws: Worksheet, fit: bool) -> None:
    setup = ws.sheet_properties.pageSetUpPr
    assert setup is not None  # openpyxl makes one with every sheet's properties
    setup.fitToPage = fit


def apply_page_setup(ws: Worksheet, page: PageSetup) -> None:
    """The plan's print settings on an openpyxl sheet (what the page setup leaves None stays as
    the sheet has it)."""
    if page.orientation:  # the layout sets portrait or landscape, or leaves it
        ws.page_setup.orientation = "landscape" if page.orientation == "landscape" else "portrait"
    if page.scale:
        ws.page_setup.scale = page.scale
        fit_to_page(ws, False)
    if page.across_then_down:
        ws.page_setup.pageOrder = "overThenDown"
    if page.title_rows:
        ws.print_title_rows = f"{page.title_rows[0]}:{page.title_rows[1]}"
    if page.title_cols:
        first, last = (column_letter(c) for c in page.title_cols)
        ws.print_title_cols = f"{first}:{last}"
    if page.header:
        ws.HeaderFooter.oddHeader = _header_footer(page.header)
    if page.footer:
        ws.HeaderFooter.oddFooter = _header_footer(page.footer)
    if page.freeze and ws.freeze_panes is None:
        rows, cols = page.freeze
        ws.freeze_panes = f"{column_letter(cols + 1)}{rows + 1}"
    if page.margins:
        ws.page_margins = PageMargins(**vars(page.margins))
    for row in page.row_breaks:
        ws.row_breaks.append(Break(id=row))


_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _apply_style(ws: Worksheet, row: int, col: int, style: CellStyle, font: SheetFont) -> None:
    cell = ws.cell(row=row, column=col)
    if style.fill:
        cell.fill = PatternFill("solid", fgColor=style.fill)
    cell.font = _font(style, font)
    if style.wrap_top:
        cell.alignment = _WRAP_TOP


def write_losses(book: Workbook, written: WrittenSummary, losses: list[str]) -> None:
    ws = book[written.title]
    for offset, text in enumerate(losses[:NOTICE_ROWS]):
        set_text(ws, written.warnings_row + offset, 1, text)
        _apply_style(ws, written.warnings_row + offset, 1, NOTICE, written.font)


def write_summary(book: Workbook, data: SummaryData, losses: list[str] | None = None
                  ) -> WrittenSummary:
    """Add the summary sheet first in the workbook (`losses`: what the copy could not carry, as
    far as known before it is saved)."""
    layout = summary_layout(data, copy_notice(losses or []))
    ws = book.create_sheet(_unique_title(book), 0)
    apply_page_setup(ws, layout.page)
    for col, width in layout.widths.items():
        ws.column_dimensions[column_letter(col)].width = width
    for cell in layout.cells:
        if isinstance(cell.value, str):
            set_text(ws, cell.row, cell.col, cell.value)
        else:
            ws.cell(row=cell.row, column=cell.col, value=cell.value)
        if cell.link:
            target = ws.cell(row=cell.row, column=cell.col)
            target.hyperlink = Hyperlink(ref=target.coordinate, location=cell.link)
            target.style = "Hyperlink"
            target.font = Font(name=layout.font.name or DEFAULT_FONT, size=layout.font.size,
                                color=HYPERLINK_BLUE, underline="single")
        else:
            _apply_style(ws, cell.row, cell.col, cell.style or CellStyle(), layout.font)
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
    return WrittenSummary(ws.title, layout.notice_row, added, layout.font)


def bar_chart(spec: ChartSpec, sheet_title: str) -> BarChart:
    """The chart of findings by rule, over the cells of the sheet named `sheet_title` (the
    package writer serialises it too, so both copies draw the same chart)."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = spec.title
    chart.legend = None
    chart.height = spec.height_cm
    chart.width = spec.width_cm  # type: ignore[assignment]  # centimetres, int in the stubs
    sheet = DummyWorksheet(sheet_title)
    last = spec.header_row + spec.count
    # the stubs take a sheet's stand-in only with a range string
    values = Reference(sheet, min_col=spec.values_col,  # type: ignore[call-overload]
                       min_row=spec.header_row, max_row=last)
    labels = Reference(sheet, min_col=spec.labels_col,  # type: ignore[call-overload]
                       min_row=spec.header_row + 1, max_row=last)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    chart.x_axis.scaling.orientation = "maxMin"  # the first (most found) rule on top
    chart.y_axis.majorUnit = spec.major_unit  # counts: whole numbers only
    chart.y_axis.number_format = "0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def _chart(ws: Worksheet, spec: ChartSpec) -> None:
    row, col = spec.anchor
    ws.add_chart(bar_chart(spec, ws.title), f"{column_letter(col)}{row}")
