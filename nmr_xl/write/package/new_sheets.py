"""The parts nmr-xl adds to a package: the summary sheet (nmr_xl.summary_layout drawn as
worksheet XML, with its Excel table, its chart and the drawing that places it) and, when a sheet
has no free column, a findings sheet of its own. Our text is written as inline strings, so the
workbook's shared strings stay as they were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from nmr_xl.model import column_letter
from nmr_xl.plan import FINDINGS_HEADER, FindingsColumn
from nmr_xl.print_layout import DEFAULT_MARGINS, PageSetup
from nmr_xl.summary_layout import CellStyle, ChartSpec, SummaryLayout, TableSpec
from nmr_xl.write.package.opc import MAIN, OFFICE_REL, element_bytes
from nmr_xl.write.package.page import (
    header_footer_element,
    margins_element,
    page_setup_element,
    row_breaks_element,
)
from nmr_xl.write.package.refs import xstring
from nmr_xl.write.package.styles import StyleBook
from nmr_xl.write.summary import bar_chart

DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
DRAWINGML = "http://schemas.openxmlformats.org/drawingml/2006/main"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_EMU_PER_CM = 360_000
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass
class SheetContent:
    """A new worksheet, cell by cell."""

    cells: dict[int, dict[int, tuple[str | int, int]]] = field(
        default_factory=lambda: defaultdict(dict))  # row -> col -> (value, style index)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> location
    page: PageSetup | None = None
    drawing: str | None = None  # r:id of the drawing holding the chart
    table: str | None = None  # r:id of the table part


def summary_content(layout: SummaryLayout, styles: StyleBook) -> SheetContent:
    content = SheetContent(widths=dict(layout.widths), heights=dict(layout.heights),
                           merges=list(layout.merges), page=layout.page)
    chosen: dict[tuple[CellStyle | None, bool], int] = {}  # a style index for each look
    for cell in layout.cells:
        look = (cell.style, bool(cell.link))
        style = chosen.get(look)
        if style is None:
            style = chosen[look] = styles.plain(cell.style, link=look[1], font=layout.font)
        content.cells[cell.row][cell.col] = (cell.value, style)
        if cell.link:
            content.links[(cell.row, cell.col)] = cell.link
    return content


def findings_content(column: FindingsColumn, styles: StyleBook) -> SheetContent:
    """A findings sheet of its own: row N holds the findings of row N of `column.sheet`."""
    content = SheetContent(widths={column.col: column.width}, heights=dict(column.heights))
    content.cells[column.header_row][column.col] = (f"{FINDINGS_HEADER} ({column.sheet})",
                                                    styles.findings(None, column.font))
    for row, (severity, text) in column.entries.items():
        content.cells[row][column.col] = (text, styles.findings(severity, column.font))
    return content


def worksheet_xml(content: SheetContent) -> Iterator[bytes]:
    rows = sorted(content.cells)
    last_col = max((max(cols) for cols in content.cells.values() if cols), default=1)
    yield (f'{_DECLARATION}<worksheet xmlns="{MAIN}" xmlns:r="{OFFICE_REL}">'
           + f'<dimension ref="A1:{column_letter(last_col)}{max(rows, default=1)}"/>'
           '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/>').encode()
    if content.widths:
        yield ("<cols>" + "".join(
            f'<col min="{col}" max="{col}" width="{width:g}" customWidth="1"/>'
            for col, width in sorted(content.widths.items())) + "</cols>").encode()
    yield b"<sheetData>"
    chunk: list[str] = []
    letters = {col: column_letter(col) for col in range(1, last_col + 1)}
    texts: dict[str, str] = {}  # a text as a cell holds it (the same texts come again and again)
    for row in rows:
        height = content.heights.get(row)
        attrs = f' ht="{height:g}" customHeight="1"' if height else ""
        chunk.append(f'<row r="{row}"{attrs}>')
        for col, (value, style) in sorted(content.cells[row].items()):
            s = f' s="{style}"' if style else ""
            if isinstance(value, str):
                body = texts.get(value)
                if body is None:
                    body = texts[value] = _inline(value)
                chunk.append(f'<c r="{letters[col]}{row}"{s}{body}</c>')
            else:
                chunk.append(f'<c r="{letters[col]}{row}"{s}><v>{value}</v></c>')
        chunk.append("</row>")
        if len(chunk) > 5000:
            yield "".join(chunk).encode()
            chunk.clear()
    yield ("".join(chunk) + "</sheetData>").encode()
    tail = []
    if content.merges:
        tail.append(f'<mergeCells count="{len(content.merges)}">' + "".join(
            f'<mergeCell ref="{_range(*merge)}"/>' for merge in content.merges) + "</mergeCells>")
    if content.links:
        tail.append("<hyperlinks>" + "".join(
            f'<hyperlink ref="{column_letter(col)}{row}" location={quoteattr(location)}/>'
            for (row, col), location in sorted(content.links.items())) + "</hyperlinks>")
    page = content.page or PageSetup()
    in_scope = {None: MAIN, "r": OFFICE_REL}
    for element in (margins_element(page.margins or DEFAULT_MARGINS), page_setup_element(page),
                    header_footer_element(page), row_breaks_element(page.row_breaks)):
        if element is not None:
            tail.append(element_bytes(element, in_scope).decode())
    if content.drawing:
        tail.append(f'<drawing r:id="{content.drawing}"/>')
    if content.table:
        tail.append(f'<tableParts count="1"><tablePart r:id="{content.table}"/></tableParts>')
    yield ("".join(tail) + "</worksheet>").encode()


def _inline(value: str) -> str:
    """What follows a text cell's reference and style: its type and inline text."""
    text = xstring(value)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f' t="inlineStr"><is><t{space}>{escape(text)}</t></is>'


def _range(top: int, left: int, bottom: int, right: int) -> str:
    return f"{column_letter(left)}{top}:{column_letter(right)}{bottom}"


def table_xml(spec: TableSpec, table_id: int, name: str, headers: list[str]) -> bytes:
    ref = _range(spec.top, spec.left, spec.bottom, spec.right)
    columns = "".join(f'<tableColumn id="{i}" name={quoteattr(xstring(text))}/>'
                      for i, text in enumerate(headers, start=1))
    return (f'{_DECLARATION}<table xmlns="{MAIN}" id="{table_id}" name="{name}" '
            f'displayName="{name}" ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
            f'<tableColumns count="{len(headers)}">{columns}</tableColumns>'
            f'<tableStyleInfo name="{spec.style}" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>').encode()


def chart_xml(spec: ChartSpec, sheet_title: str) -> bytes:
    tree = bar_chart(spec, sheet_title)._write()  # type: ignore[attr-defined]  # no public way
    return _DECLARATION.encode() + etree.tostring(tree, encoding="UTF-8")


def drawing_xml(spec: ChartSpec, chart_rid: str) -> bytes:
    """One chart, anchored at its top-left cell with its own size (a oneCellAnchor)."""
    row, col = spec.anchor
    cx, cy = int(spec.width_cm * _EMU_PER_CM), int(spec.height_cm * _EMU_PER_CM)
    return (f'{_DECLARATION}<xdr:wsDr xmlns:xdr="{DRAWING}" xmlns:a="{DRAWINGML}">'
            f'<xdr:oneCellAnchor><xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
            f'<xdr:ext cx="{cx}" cy="{cy}"/><xdr:graphicFrame macro="">'
            '<xdr:nvGraphicFramePr><xdr:cNvPr id="1" name="Chart 1"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            '</xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/'
            f'drawingml/2006/chart"><c:chart xmlns:c="{CHART}" xmlns:r="{OFFICE_REL}" '
            f'r:id="{chart_rid}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
            '<xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>').encode()
