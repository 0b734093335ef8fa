"""The summary sheet drawn into the open workbook through xlwings: nmr_xl.summary_layout, the
same layout the annotated copy gets, written in a few calls per kind of thing (one for all
values, one per rectangle of a style)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from nmr_xl.excel.xl_cells import as_text, block_range, blocks
from nmr_xl.summary_layout import HYPERLINK_BLUE, CellStyle, ChartSpec, SummaryLayout, TableSpec

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

_POINTS_PER_CM = 72 / 2.54
_LINK = CellStyle(font_color=HYPERLINK_BLUE)


def draw_summary(sheet: Sheet, layout: SummaryLayout) -> None:
    """Fill the (new, empty) `sheet` with the layout."""
    last_row = max(cell.row for cell in layout.cells)
    last_col = max(cell.col for cell in layout.cells)
    grid: list[list[object]] = [[None] * last_col for _ in range(last_row)]
    styled: dict[CellStyle, list[tuple[int, int]]] = defaultdict(list)
    links: dict[tuple[int, int], str] = {}
    for cell in layout.cells:
        grid[cell.row - 1][cell.col - 1] = as_text(cell.value)
        if cell.style:
            styled[cell.style].append((cell.row, cell.col))
        if cell.link:
            links[(cell.row, cell.col)] = _hyperlink(cell.link, str(cell.value))
            styled[_LINK].append((cell.row, cell.col))
    block_range(sheet, (1, 1, last_row, last_col)).value = grid
    for block in blocks(links):  # HYPERLINK formulas: a block in one call, not a link per cell
        top, left, bottom, right = block
        block_range(sheet, block).formula = [
            [links[(row, col)] for col in range(left, right + 1)] for row in range(top, bottom + 1)]
    for style, cells in styled.items():
        for block in blocks(cells):
            _apply_style(block_range(sheet, block), style)
    for block in layout.merges:
        block_range(sheet, block).merge()
    for col, width in layout.widths.items():
        sheet.range((1, col)).column_width = width
    heights: dict[float, list[tuple[int, int]]] = defaultdict(list)
    for row, height in layout.heights.items():
        heights[height].append((row, 1))
    for height, rows in heights.items():
        for block in blocks(rows):
            block_range(sheet, block).row_height = height
    if layout.table:
        _table(sheet, layout.table)
    if layout.chart:
        _chart(sheet, layout.chart)


def _hyperlink(location: str, text: str) -> str:
    def quoted(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    return f"=HYPERLINK({quoted('#' + location)},{quoted(text)})"


def _apply_style(rng: Range, style: CellStyle) -> None:
    if style.fill:
        rng.color = f"#{style.fill}"
    if style.bold:
        rng.font.bold = True
    if style.size:
        rng.font.size = style.size
    if style.font_color:
        rng.font.color = f"#{style.font_color}"
    if style.wrap_top:
        rng.wrap_text = True
        rng.vertical_alignment = "top"


def _table(sheet: Sheet, spec: TableSpec) -> None:
    # Table names are unique in a workbook: a second checked sheet's table gets Excel's own name.
    name = None if _table_names(sheet.book) & {spec.name.lower()} else spec.name
    source = block_range(sheet, (spec.top, spec.left, spec.bottom, spec.right))
    sheet.tables.add(source=source, name=name, table_style_name=spec.style)


def _table_names(book: Book) -> set[str]:
    return {table.name.lower() for sheet in book.sheets for table in sheet.tables}


def _chart(sheet: Sheet, spec: ChartSpec) -> None:
    last = spec.header_row + spec.count
    row, col = spec.anchor
    chart = sheet.charts.add(
        width=spec.width_cm * _POINTS_PER_CM, height=spec.height_cm * _POINTS_PER_CM,
        chart_type="bar_clustered", plot_by="columns", anchor=sheet.range((row, col)),
        source=sheet.range((spec.header_row, spec.values_col), (last, spec.values_col)))
    chart.set_x_axis_values(sheet.range((spec.header_row + 1, spec.labels_col),
                                        (last, spec.labels_col)))
    chart.title = spec.title
    chart.legend.visible = False
