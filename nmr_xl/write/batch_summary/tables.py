"""The batch summary's streamed, filterable Excel tables and its page setup."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from nmr_xl.print_layout import SCALE_BOUND, Margins, column_points, usable_points
from nmr_xl.write.batch_summary.cells import (
    QUIET,
    Formats,
    Rows,
    Value,
    as_sheet,
    data_cell,
    header_cells,
    header_height,
    new_cell,
    row_height,
)
from nmr_xl.write.summary import fit_to_page


def table_rows(ws: WriteOnlyWorksheet, formats: Formats, header: tuple[str, ...],
               widths: tuple[int, ...], wrapped: set[int],
               rows: Iterable[list[Cell | Value]]) -> int:
    """A filterable table's rows from A1, streamed: the header (also styled by hand, for
    programs that do not draw table styles, such as LibreOffice's PDF export), then `rows`,
    whose items are values or ready cells; columns in `wrapped` (1-based) wrap, and every row
    gets the height its text needs. Returns the number of data rows."""
    for col, width in enumerate(widths, start=1):  # before the first row: openpyxl writes
        as_sheet(ws).column_dimensions[get_column_letter(col)].width = width  # the columns first
    writer = Rows(ws)
    writer.append(header_cells(ws, formats, header), header_height(header, widths))
    for values in rows:
        cells = [value if isinstance(value, Cell) or value is None
                 else data_cell(ws, formats, value, col in wrapped)
                 for col, value in enumerate(values, start=1)]
        writer.append(cells, row_height((cell.value, widths[col - 1])
                                        for col, cell in enumerate(cells, start=1)
                                        if col in wrapped and cell is not None))
    return writer.count - 1


def add_table(ws: WriteOnlyWorksheet, name: str, header: tuple[str, ...], rows: int) -> None:
    """The Excel table over the header and `rows` data rows (it needs at least one)."""
    ref = f"A1:{get_column_letter(len(header))}{rows + 1}"
    table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref),
                  tableColumns=[TableColumn(id=i, name=title)
                                for i, title in enumerate(header, start=1)])
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    with warnings.catch_warnings():
        # openpyxl warns that write-only tables need their columns named by hand: they are
        warnings.simplefilter("ignore", UserWarning)
        as_sheet(ws).add_table(table)


def empty_note(ws: WriteOnlyWorksheet, text: str) -> None:
    cell = new_cell(ws, text)
    cell.font = QUIET
    ws.append([cell])


def print_setup(ws: WriteOnlyWorksheet, *, landscape: bool = True, wide: bool = False) -> None:
    """`wide` tables: two pages wide, the header row and the Input column on every page; else
    one page wide. As many pages long as needed. Before the first row: openpyxl writes the
    sheet's properties (fit to page) first."""
    sheet = as_sheet(ws)
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 2 if wide else 1
    sheet.page_setup.fitToHeight = 0
    fit_to_page(sheet, True)
    if wide:
        ws.print_title_rows = "1:1"
        ws.print_title_cols = "A:A"
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def print_across(ws: WriteOnlyWorksheet, widths: tuple[int, ...], first_page: int) -> None:
    """Two pages wide, across then down: columns 1..`first_page` on a row's first page, the
    rest on the next with column A repeated, at the largest scale (up to 100%) at which each
    page's columns fit (Letter or A4)."""
    print_setup(ws)
    sheet = as_sheet(ws)
    fit_to_page(sheet, False)
    points = [column_points(w) for w in widths]
    page = usable_points("landscape", Margins(left=0.4, right=0.4))[0] * 0.95
    widest = max(sum(points[:first_page]), points[0] + sum(points[first_page:]))
    sheet.page_setup.scale = max(SCALE_BOUND, min(100, int(100 * page / widest)))
    sheet.page_setup.pageOrder = "overThenDown"
    ws.print_title_rows = "1:1"
    ws.print_title_cols = "A:A"
    sheet.col_breaks.append(Break(id=first_page))

