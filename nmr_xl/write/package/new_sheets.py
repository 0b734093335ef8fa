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
from nmr_xl.write.package.opc import (
    TRANSITIONAL,
    Conformance,
    element_bytes,
    namespace_of,
    parser,
    q,
)
from nmr_xl.write.package.page import (
    header_footer_element,
    margins_element,
    page_setup_element,
    row_breaks_element,
)
from nmr_xl.write.package.refs import xstring
from nmr_xl.write.package.styles import StyleBook
from nmr_xl.write.summary import bar_chart

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


def worksheet_xml(content: SheetContent, ns: Conformance = TRANSITIONAL) -> Iterator[bytes]:
    """The new worksheet part, in the conformance class `ns`."""
    rows = sorted(content.cells)
    last_col = max((max(cols) for cols in content.cells.values() if cols), default=1)
    main, rel = ns.main, ns.relationships
    yield (f'{_DECLARATION}<worksheet xmlns="{main}" xmlns:r="{rel}">'
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
    in_scope = {None: main, "r": rel}
    for element in (margins_element(page.margins or DEFAULT_MARGINS, main),
                    page_setup_element(page, main), header_footer_element(page, main),
                    row_breaks_element(page.row_breaks, main)):
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


def table_xml(spec: TableSpec, table_id: int, name: str, headers: list[str],
              ns: Conformance = TRANSITIONAL) -> bytes:
    ref = _range(spec.top, spec.left, spec.bottom, spec.right)
    columns = "".join(f'<tableColumn id="{i}" name={quoteattr(xstring(text))}/>'
                      for i, text in enumerate(headers, start=1))
    return (f'{_DECLARATION}<table xmlns="{ns.main}" id="{table_id}" name="{name}" '
            f'displayName="{name}" ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
            f'<tableColumns count="{len(headers)}">{columns}</tableColumns>'
            f'<tableStyleInfo name="{spec.style}" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>').encode()


def chart_xml(spec: ChartSpec, sheet_title: str, ns: Conformance = TRANSITIONAL) -> bytes:
    """The chart part: openpyxl's chart (written in Transitional), in the class `ns`."""
    tree = bar_chart(spec, sheet_title)._write()  # type: ignore[attr-defined]  # no public way
    data = etree.tostring(tree, encoding="UTF-8")
    if ns is not TRANSITIONAL:  # parsed, so that every element is in its namespace
        data = etree.tostring(in_conformance(etree.fromstring(data, parser()), ns),
                              encoding="UTF-8")
    return _DECLARATION.encode() + data


# DrawingML chart values that Strict spells as percentages only (its dml-chart schema's
# ST_GapAmount, ST_Overlap, ST_LblOffset ...: "150%", where Transitional also takes 150)
_PERCENT_VALUES = frozenset(("gapWidth", "overlap", "lblOffset", "hPercent", "depthPercent",
                             "thickness", "bubbleScale", "holeSize", "secondPieSize"))


def in_conformance(root: etree._Element, ns: Conformance) -> etree._Element:
    """A part of ours built in Transitional (`root`, never a part of the input), with every
    element and attribute in the matching namespace of the class `ns`, and the values that
    class spells otherwise."""
    mapping = dict(zip(TRANSITIONAL.namespaces, ns.namespaces, strict=True))

    def renamed(tag: str) -> str:
        space = namespace_of(tag)
        return q(mapping[space], tag.rsplit("}", 1)[1]) if space in mapping else tag

    nsmap: dict[str | None, str] = {}
    for el in root.iter():  # every namespace declared once, on the root
        for prefix, uri in el.nsmap.items():
            nsmap.setdefault(prefix, mapping.get(uri, uri))
    out = etree.Element(renamed(root.tag), nsmap=nsmap)

    def copy(source: etree._Element, target: etree._Element) -> None:
        for name, value in source.attrib.items():
            target.set(renamed(name), value)
        if (ns.chart_percentages and namespace_of(source.tag) == TRANSITIONAL.chart
                and source.tag.rsplit("}", 1)[1] in _PERCENT_VALUES
                and (source.get("val") or "").lstrip("-").isdigit()):
            target.set("val", source.get("val", "") + "%")
        target.text = source.text
        for child in source:
            if not isinstance(child.tag, str):
                continue  # ours carries no comments or processing instructions
            made = etree.SubElement(target, renamed(child.tag))
            made.tail = child.tail
            copy(child, made)

    copy(root, out)
    return out


def drawing_xml(spec: ChartSpec, chart_rid: str, ns: Conformance = TRANSITIONAL) -> bytes:
    """One chart, anchored at its top-left cell with its own size (a oneCellAnchor)."""
    row, col = spec.anchor
    cx, cy = int(spec.width_cm * _EMU_PER_CM), int(spec.height_cm * _EMU_PER_CM)
    return (f'{_DECLARATION}<xdr:wsDr xmlns:xdr="{ns.drawing}" xmlns:a="{ns.drawingml}">'
            f'<xdr:oneCellAnchor><xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
            f'<xdr:ext cx="{cx}" cy="{cy}"/><xdr:graphicFrame macro="">'
            '<xdr:nvGraphicFramePr><xdr:cNvPr id="1" name="Chart 1"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            '</xdr:xfrm><a:graphic>'
            f'<a:graphicData uri="{ns.chart}"><c:chart xmlns:c="{ns.chart}" '
            f'xmlns:r="{ns.relationships}" '
            f'r:id="{chart_rid}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
            '<xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>').encode()
