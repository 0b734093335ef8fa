"""The first pass over a checked sheet, before the plan is made: which columns right of its table
hold something (a formula without a stored result or an empty text is invisible to the reader),
its legacy drawing and tables, and its own print settings.

The rows are looked at as bytes (nmr_xl.write.package.scan): in the usual form, where every cell
starts `<c r="...`, one search finds the cells right of the table; rows in any other form, and
the first rows (whose cells tell the sheet's font), are parsed with lxml.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from nmr_xl.plan import SheetExtent
from nmr_xl.print_layout import DEFAULT_MARGINS, DEFAULT_WIDTH, Margins, OwnPrint
from nmr_xl.write.package.opc import (
    TRANSITIONAL,
    Conformance,
    local,
    namespace_of,
    q,
    start_tag,
)
from nmr_xl.write.package.page import is_true
from nmr_xl.write.package.refs import cell_column, decimal, letters_after, number
from nmr_xl.write.package.scan import (
    RowBatch,
    SheetEvents,
    has_markup,
    parse_rows,
    stream_sheet,
)
from nmr_xl.write.package.sheet import SheetTags, row_cells, row_number, sheet_tags

_PRINT_SETTINGS = frozenset(("sheetPr", "sheetViews", "sheetFormatPr", "cols", "pageMargins",
                             "pageSetup", "headerFooter"))
_MAX_WIDTH_COLUMNS = 1024  # widths read for the page layout (a <col> may span to XFD)
_STYLE_SAMPLE_ROWS = 200  # rows whose values tell the sheet's own font
_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""


@dataclass
class SheetProbe:
    """What the first pass over a sheet found."""

    extent: SheetExtent
    legacy_drawing: str | None = None  # r:id of its <legacyDrawing>
    table_parts: list[str] = field(default_factory=list)  # r:ids of its tables
    own: OwnPrint = field(default_factory=OwnPrint)  # its print settings (font: not yet read)
    data_style: int = 0  # the style most of its values in its first rows have


def probe_sheet(source: IO[bytes], name: str, table_last: int,
                ns: Conformance = TRANSITIONAL) -> SheetProbe:
    """Columns right of column `table_last` that hold something, the last column any cell is in
    (the table's own, when none is right of it), the sheet's legacy drawing and table
    relationships, and its own print settings. The sheet is in the conformance class `ns`."""
    tags = sheet_tags(ns)
    probe = _Probe(table_last, tags)
    stream_sheet(source, name, tags.stream, probe, tags.worksheet)
    own = _own_print(probe.settings, probe.last_row)
    data_style = probe.styles.most_common(1)[0][0] if probe.styles else 0
    return SheetProbe(SheetExtent(probe.last, frozenset(probe.taken)), probe.legacy,
                      probe.tables, own, data_style)


class _Probe(SheetEvents):
    def __init__(self, table_last: int, tags: SheetTags) -> None:
        self.tags = tags
        self.legacy_tag, self.tables_tag = (q(tags.ns.main, "legacyDrawing"),
                                            q(tags.ns.main, "tableParts"))
        self.table_last = table_last
        self.last = self.last_row = 0
        self.taken: set[int] = set()
        self.legacy: str | None = None
        self.tables: list[str] = []
        self.settings: dict[str, etree._Element] = {}
        self.styles: Counter[int] = Counter()

    def event(self, event: str, el: etree._Element) -> None:
        if event != "end":
            return
        root = el.getroottree().getroot()
        if el.tag == self.tags.row:  # a part that is not split: its rows come as elements
            self._row(el, row_number(el, self.last_row))
            el.clear(keep_tail=True)
            parent = el.getparent()
            while el.getprevious() is not None:
                del parent[0]
        elif el.getparent() is root:
            if el.tag == self.legacy_tag:
                self.legacy = el.get(self.tags.r_id)
            elif el.tag == self.tables_tag:
                self.tables = [part.get(self.tags.r_id, "") for part in el]
            elif el.tag in self.tags.ordered and local(el.tag) in _PRINT_SETTINGS:
                self.settings[local(el.tag)] = el

    def _row(self, row: etree._Element, index: int) -> None:
        self.last_row = index
        if index <= _STYLE_SAMPLE_ROWS:
            self._sample(row)
        final = row[-1] if len(row) else None
        ref = final.get("r") if final is not None and final.tag == self.tags.cell else None
        if ref is not None and cell_column(ref) <= self.table_last:  # nearly every row
            self.last = max(self.last, cell_column(ref))
            return
        for col, cell in row_cells(row, self.tags):
            self.last = max(self.last, col)
            if col > self.table_last and len(cell):
                self.taken.add(col)

    def _sample(self, row: etree._Element) -> None:
        self.styles.update(number(cell.get("s")) for cell in row
                           if cell.tag == self.tags.cell and len(cell))

    def rows(self, batches: Iterator[RowBatch], sheet_data: etree._Element) -> None:
        wrap = start_tag(sheet_data)
        prefix = re.escape(f"{sheet_data.prefix}:".encode() if sheet_data.prefix else b"")
        beyond = _cells_after(self.table_last, prefix)
        other = re.compile(rb"<" + prefix + rb'c(?! r=")[\s/>]')  # a cell in another form
        for batch in batches:
            data, end = batch.data, batch.end
            if other.search(data, 0, end) or has_markup(data, 0, end):
                # every row through lxml
                rows = parse_rows(data, [batch.span(i) for i in range(len(batch.starts))], wrap)
                for nodes, index in zip(rows, batch.numbers, strict=True):
                    self._row(nodes[0], index)
                continue
            if self.last_row < _STYLE_SAMPLE_ROWS:
                sample = range(bisect_right(batch.numbers, _STYLE_SAMPLE_ROWS))
                for nodes in parse_rows(data, [batch.span(i) for i in sample], wrap):
                    self._sample(nodes[0])
            self.last_row = batch.last_number or self.last_row
            self.last = max(self.last, self.table_last)
            for match in beyond.finditer(data, 0, end):
                col = cell_column(match.group("ref").decode())
                self.last = max(self.last, col)
                if not (match.group("empty") or match.group("close")):
                    self.taken.add(col)


def _cells_after(column: int, prefix: bytes) -> re.Pattern[bytes]:
    """The start tag of a cell in the usual form (`<c r="Q5" ...>`) in a column right of
    `column`, with what follows it when the cell is empty (`/>`, or `></c>`); `prefix` is
    escaped."""
    return re.compile(rb'<' + prefix + rb'c r="(?P<ref>(?:' + letters_after(column) + rb')\d+)"'
                      + _ATTRIBUTES + rb"\s*(?P<empty>/?)>(?P<close>\s*</" + prefix
                      + rb"c\s*>)?")


def _own_print(found: dict[str, etree._Element], rows: int) -> OwnPrint:
    """What the sheet sets itself for printing (print titles are in the workbook part)."""
    widths: list[float] = []
    base = found.get("sheetFormatPr")
    default = decimal((base.get("defaultColWidth") if base is not None else None),
                     DEFAULT_WIDTH)
    cols = found.get("cols")
    col_tag = q(namespace_of(cols.tag), "col") if cols is not None else ""
    for col in cols if cols is not None else ():
        if col.tag != col_tag:
            continue
        low, high = number(col.get("min")), min(number(col.get("max")), _MAX_WIDTH_COLUMNS)
        hidden = is_true(col.get("hidden"))
        for index in range(low, high + 1):
            widths += [default] * (index - len(widths))
            widths[index - 1] = 0.0 if hidden else decimal(col.get("width"), default)
    pr = found.get("sheetPr")
    fit_el = pr.find(q(namespace_of(pr.tag), "pageSetUpPr")) if pr is not None else None
    setup = found.get("pageSetup")
    fit = None
    if fit_el is not None and is_true(fit_el.get("fitToPage")):
        fit = (number(setup.get("fitToWidth"), 1) if setup is not None else 1,
               number(setup.get("fitToHeight"), 1) if setup is not None else 1)
    scale = number(setup.get("scale"), 100) if setup is not None else 100
    margins = found.get("pageMargins")
    header = found.get("headerFooter")
    return OwnPrint(
        widths=tuple(widths),
        orientation=(setup.get("orientation") if setup is not None else None) or None,
        fit=fit,
        scale=scale if scale != 100 else None,
        margins=Margins(*(decimal(margins.get(name), default)
                          for name, default in vars(DEFAULT_MARGINS).items()))
        if margins is not None else None,
        header_footer=header is not None and any((child.text or "").strip()
                                                 for child in header),
        frozen=_frozen(found.get("sheetViews")),
        rows=rows,
    )


def _frozen(views: etree._Element | None) -> tuple[int, int] | None:
    """Rows and columns the first view keeps frozen or split; None when it has no pane."""
    main = namespace_of(views.tag) if views is not None else ""
    view = views.find(q(main, "sheetView")) if views is not None else None
    pane = view.find(q(main, "pane")) if view is not None else None
    if pane is None:
        return None
    frozen = pane.get("state") in ("frozen", "frozenSplit")
    return (int(decimal(pane.get("ySplit"), 0)) if frozen else 0,
            int(decimal(pane.get("xSplit"), 0)) if frozen else 0)
