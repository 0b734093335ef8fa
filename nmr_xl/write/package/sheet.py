"""A worksheet part, streamed: probed once for what the findings column must avoid, then rewritten
row by row with lxml (never a tree of the whole sheet in memory). Only the rows the plan touches
are changed (a style index on flagged cells, the findings column's cells); every other element
is written back as it was parsed, in its place.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from nmr_xl.model import Severity, column_letter
from nmr_xl.plan import SheetExtent
from nmr_xl.print_layout import DEFAULT_MARGINS, DEFAULT_WIDTH, Margins, OwnPrint, PageSetup
from nmr_xl.write.package.opc import (
    MAIN,
    MC,
    OFFICE_REL,
    Unsupported,
    element_bytes,
    iterparse,
    local,
    q,
    refuse_dtd,
    start_tag,
    without_declarations,
)
from nmr_xl.write.package.page import (
    add_header_footer,
    add_pane,
    fit_to_page_off,
    header_footer_element,
    is_true,
    margins_element,
    page_setup_element,
    row_breaks_element,
    set_page_setup,
    sheet_views_element,
)

_ROW, _CELL, _SHEET_DATA = q(MAIN, "row"), q(MAIN, "c"), q(MAIN, "sheetData")
_COLS, _COL, _DIMENSION = q(MAIN, "cols"), q(MAIN, "col"), q(MAIN, "dimension")
_LEGACY_DRAWING, _TABLE_PARTS = q(MAIN, "legacyDrawing"), q(MAIN, "tableParts")
_R_ID = q(OFFICE_REL, "id")
# CT_Worksheet's children, in the order the schema fixes
_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
          "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
          "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
          "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
          "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
          "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
          "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
          "webPublishItems", "tableParts", "extLst"]
_MAIN_TAGS = frozenset(q(MAIN, name) for name in _ORDER)
# What a provider's packet keeps of a sheet: its data, layout and print settings; not what may
# name other patients or point into rows left out (links, validations, formats by range,
# drawings, tables, the sheet's own notes ...)
_PACKET_TAGS = frozenset(q(MAIN, name) for name in (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
    "sheetProtection", "mergeCells", "phoneticPr", "printOptions", "pageMargins", "pageSetup",
    "headerFooter"))
_FORMULA, _VALUE, _MERGE_CELLS = q(MAIN, "f"), q(MAIN, "v"), q(MAIN, "mergeCells")
_TOP_TAGS = [q(MAIN, name) for name in _ORDER] + [q(MC, "AlternateContent")]
_PRINT_TAGS = [q(MAIN, name) for name in ("sheetPr", "sheetViews", "sheetFormatPr", "cols",
                                         "pageMargins", "pageSetup", "headerFooter")]
_MAX_WIDTH_COLUMNS = 1024  # widths read for the page layout (a <col> may span to XFD)
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_RANGE = re.compile(r"^([A-Za-z]{1,3})(\d+)(?::([A-Za-z]{1,3})(\d+))?$")
_PRESERVE = q("http://www.w3.org/XML/1998/namespace", "space")
_MAX_CELL_TEXT = 32_767
# Characters XML 1.0 cannot hold; Excel writes them as _xHHHH_ (ST_Xstring)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell_column(ref: str) -> int:
    match = _REF.match(ref)
    if not match:
        raise Unsupported(f"a cell reference {ref[:20]!r} cannot be read")
    return column_index(match.group(1))


def xstring(text: str) -> str:
    """`text` as a cell or note holds it: what XML cannot carry escaped as Excel escapes it."""
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text[:_MAX_CELL_TEXT])
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def set_text(t: etree._Element, text: str) -> None:
    t.text = xstring(text)
    if text != text.strip() or "\n" in text:
        t.set(_PRESERVE, "preserve")


# --- the probe ---------------------------------------------------------------------------------


@dataclass
class SheetProbe:
    """What the first pass over a sheet found."""

    extent: SheetExtent
    legacy_drawing: str | None = None  # r:id of its <legacyDrawing>
    table_parts: list[str] = field(default_factory=list)  # r:ids of its tables
    own: OwnPrint = field(default_factory=OwnPrint)  # its print settings (font: not yet read)
    data_style: int = 0  # the style most of its values in its first rows have


_STYLE_SAMPLE_ROWS = 200  # rows whose values tell the sheet's own font


def probe_sheet(source: IO[bytes], name: str, table_last: int) -> SheetProbe:
    """Columns right of column `table_last` that hold something, the last column any cell is in,
    the sheet's legacy drawing and table relationships, and its own print settings."""
    last = last_row = 0
    taken: set[int] = set()
    legacy = None
    tables: list[str] = []
    root = None
    settings: dict[str, etree._Element] = {}
    styles: Counter[int] = Counter()
    for _, el in _events(source, ("end",), [_ROW, _LEGACY_DRAWING, _TABLE_PARTS, *_PRINT_TAGS],
                         name):
        if root is None:
            root = el.getroottree().getroot()
        if el.tag == _ROW:
            ref = el.get("r")
            last_row = int(ref) if ref and ref.isdigit() else last_row + 1
            if last_row <= _STYLE_SAMPLE_ROWS:
                styles.update(_int(cell.get("s")) for cell in el
                              if cell.tag == _CELL and len(cell))
            final = el[-1] if len(el) else None
            ref = final.get("r") if final is not None and final.tag == _CELL else None
            if ref is not None and cell_column(ref) <= table_last:  # nearly every row
                last = max(last, cell_column(ref))
            else:
                for col, cell in _row_cells(el):
                    last = max(last, col)
                    if col > table_last and len(cell):
                        taken.add(col)
            el.clear(keep_tail=True)
            parent = el.getparent()
            while el.getprevious() is not None:
                del parent[0]
        elif el.getparent() is root:
            if el.tag == _LEGACY_DRAWING:
                legacy = el.get(_R_ID)
            elif el.tag == _TABLE_PARTS:
                tables = [part.get(_R_ID, "") for part in el]
            else:
                settings[local(el.tag)] = el
    own = _own_print(settings, last_row)
    data_style = styles.most_common(1)[0][0] if styles else 0
    return SheetProbe(SheetExtent(last, frozenset(taken)), legacy, tables, own, data_style)


def _own_print(found: dict[str, etree._Element], rows: int) -> OwnPrint:
    """What the sheet sets itself for printing (print titles are in the workbook part)."""
    widths: list[float] = []
    base = found.get("sheetFormatPr")
    default = _float((base.get("defaultColWidth") if base is not None else None),
                     DEFAULT_WIDTH)
    cols = found.get("cols")
    for col in cols if cols is not None else ():
        if col.tag != _COL:
            continue
        low, high = _int(col.get("min")), min(_int(col.get("max")), _MAX_WIDTH_COLUMNS)
        hidden = is_true(col.get("hidden"))
        for index in range(low, high + 1):
            widths += [default] * (index - len(widths))
            widths[index - 1] = 0.0 if hidden else _float(col.get("width"), default)
    pr = found.get("sheetPr")
    fit_el = pr.find(q(MAIN, "pageSetUpPr")) if pr is not None else None
    setup = found.get("pageSetup")
    fit = None
    if fit_el is not None and is_true(fit_el.get("fitToPage")):
        fit = (_int(setup.get("fitToWidth"), 1) if setup is not None else 1,
               _int(setup.get("fitToHeight"), 1) if setup is not None else 1)
    scale = _int(setup.get("scale"), 100) if setup is not None else 100
    margins = found.get("pageMargins")
    header = found.get("headerFooter")
    return OwnPrint(
        widths=tuple(widths),
        orientation=(setup.get("orientation") if setup is not None else None) or None,
        fit=fit,
        scale=scale if scale != 100 else None,
        margins=Margins(*(_float(margins.get(name), default)
                          for name, default in vars(DEFAULT_MARGINS).items()))
        if margins is not None else None,
        header_footer=header is not None and any((child.text or "").strip()
                                                 for child in header),
        frozen=_frozen(found.get("sheetViews")),
        rows=rows,
    )


def _frozen(views: etree._Element | None) -> tuple[int, int] | None:
    """Rows and columns the first view keeps frozen or split; None when it has no pane."""
    view = views.find(q(MAIN, "sheetView")) if views is not None else None
    pane = view.find(q(MAIN, "pane")) if view is not None else None
    if pane is None:
        return None
    frozen = pane.get("state") in ("frozen", "frozenSplit")
    return (int(_float(pane.get("ySplit"), 0)) if frozen else 0,
            int(_float(pane.get("xSplit"), 0)) if frozen else 0)


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def _events(source: IO[bytes], events: tuple[str, ...], tags: list[str], name: str
            ) -> Iterable[tuple[str, etree._Element]]:
    checked = False
    try:
        for event, el in iterparse(source, events=events, tag=tags):
            if not checked:
                refuse_dtd(el.getroottree(), name)
                root = el.getroottree().getroot()
                if root.tag != q(MAIN, "worksheet"):
                    raise Unsupported(f"{name} is not a worksheet ({local(root.tag)})")
                checked = True
            yield event, el
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"the sheet part {name} cannot be parsed "
                          f"({str(exc).splitlines()[0][:100]})") from None


def _row_cells(row: etree._Element) -> Iterable[tuple[int, etree._Element]]:
    col = 0
    for cell in row:
        if cell.tag != _CELL:
            continue
        ref = cell.get("r")
        col = cell_column(ref) if ref else col + 1
        yield col, cell


# --- the rewrite -------------------------------------------------------------------------------


@dataclass
class SheetEdit:
    """What the plan changes on one sheet, with the style indexes already chosen."""

    marks: dict[int, dict[int, Severity]]  # row -> column -> severity of the flagged cell
    column: int | None  # the findings column (None: not on this sheet)
    header_row: int
    texts: dict[int, tuple[Severity | None, str]]  # row -> (severity; None: header), text
    legacy_drawing: str | None  # r:id for a new <legacyDrawing> (None: none to add)
    width: float = 30.0  # the findings column's, in characters
    heights: dict[int, float] = field(default_factory=dict)  # rows at least this tall (points)
    page: PageSetup | None = None  # print settings to apply
    packet: PacketRows | None = None  # a provider's packet: only these rows, made safe


@dataclass
class PacketRows:
    """A provider packet's sheet: the rows kept (all others are left out, those between kept
    rows below the header as empty hidden rows), and the workbook's shared strings, which the
    kept cells get as inline text (the shared strings part lists every patient's names)."""

    keep: frozenset[int]
    header_row: int
    shared: list[etree._Element]  # the shared strings' <si> items


@dataclass
class SheetStyles:
    """Style indexes, from the styles part: a flagged cell's format combined with ours."""

    mark: Callable[[int, Severity], int]
    findings: Callable[[Severity | None], int]  # None: the header


def rewrite_sheet(source: IO[bytes], name: str, edit: SheetEdit, styles: SheetStyles,
                  write: Callable[[bytes], object]) -> str | None:
    """Stream the sheet from `source` to `write`, edited; return the r:id of the sheet's own
    <legacyDrawing> (None: it had none, and gets edit.legacy_drawing when that is set)."""
    rewriter = _Rewriter(edit, styles, write)
    rewriter.run(source, name)
    return rewriter.own_legacy_drawing


class _Rewriter:
    def __init__(self, edit: SheetEdit, styles: SheetStyles,
                 write: Callable[[bytes], object]) -> None:
        self.edit = edit
        self.styles = styles
        self._write = write
        self.buffer: list[bytes] = []
        self.size = 0
        self.rows = sorted(set(edit.marks) | set(edit.texts) | set(edit.heights))
        self.next_row = 0  # index into self.rows of the next row still to be written
        self.col_styles: list[tuple[int, int, int]] = []  # (min, max, style) from <cols>
        self.cols_written = edit.column is None
        self.in_scope: dict[str | None, str] = {}
        self.own_legacy_drawing: str | None = None
        self.kept: dict[bytes, bytes] = {}  # declaration runs, without what is in scope
        self.packet = edit.packet
        self.written_row = 0  # the last row written (a packet's gaps become hidden rows)
        # top-level elements to add, each written before the first element the schema puts
        # after it (or at the end); one of the sheet's own of that name replaces it
        self.pending: dict[str, etree._Element] = {}
        if edit.legacy_drawing is not None:
            self.pending["legacyDrawing"] = etree.Element(
                _LEGACY_DRAWING, {_R_ID: edit.legacy_drawing}, nsmap={None: MAIN, "r": OFFICE_REL})
        page = edit.page or PageSetup()
        for element in (sheet_views_element(page.freeze) if page.freeze else None,
                        margins_element(page.margins) if page.margins else None,
                        page_setup_element(page), header_footer_element(page),
                        row_breaks_element(page.row_breaks)):
            if element is not None:
                self.pending[local(element.tag)] = element

    def emit(self, data: bytes) -> None:
        self.buffer.append(data)
        self.size += len(data)
        if self.size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        self._write(b"".join(self.buffer))
        self.buffer.clear()
        self.size = 0

    def run(self, source: IO[bytes], name: str) -> None:
        root: etree._Element | None = None
        sheet_data: etree._Element | None = None
        last_row = 0
        for event, el in _events(source, ("start", "end"), [*_TOP_TAGS, _ROW], name):
            if root is None:
                root = el.getroottree().getroot()
                self.in_scope = dict(root.nsmap)
                head, self.end_tag = start_tag(root)
                self.emit(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + head)
            parent = el.getparent()
            if event == "start":
                if el.tag == _SHEET_DATA and parent is root:
                    self._flush_children(root, until=el)
                    if not self.cols_written:
                        self._write_new_cols(root)
                    self.emit(without_declarations(start_tag(el)[0], self.in_scope))
                    sheet_data = el
                continue
            if el.tag == _ROW and parent is sheet_data and sheet_data is not None:
                ref = el.get("r")
                index = int(ref) if ref and ref.isdigit() else last_row + 1
                if not ref:
                    el.set("r", str(index))
                last_row = index
                self._write_new_rows(sheet_data, before=index)
                if self.packet is not None:
                    if index not in self.packet.keep:  # another provider's line, totals ...
                        sheet_data.remove(el)
                        continue
                    self._packet_row(sheet_data, el, index)
                if self.next_row < len(self.rows) and self.rows[self.next_row] == index:
                    self._edit_row(el, index)
                    self.next_row += 1
                self._flush_children(sheet_data, until=el)
                sheet_data.remove(el)
            elif el is sheet_data and sheet_data is not None:
                self._write_new_rows(sheet_data, before=None)
                self._flush_children(sheet_data, until=None)
                self.emit(b"</" + self._prefixed(el, "sheetData") + b">" + (
                    el.tail or "").encode())
                assert root is not None
                root.remove(el)
                sheet_data = None
            elif parent is root and root is not None:
                self._edit_setting(el)
                self._flush_children(root, until=el)
                root.remove(el)
        if root is None:
            raise Unsupported(f"{name} holds no worksheet")
        self._flush_children(root, until=None)
        self._write_pending(root, before=None)
        self.emit(self.end_tag)
        self.flush()

    def _edit_setting(self, el: etree._Element) -> None:
        """A top-level element of the sheet, before it is written: the plan's changes to it."""
        page = self.edit.page or PageSetup()
        name = local(el.tag) if el.tag in _MAIN_TAGS else None
        if self.packet is not None:
            if name == "mergeCells":
                _keep_merges(el, self.packet.keep)
            elif name == "pageSetup":
                el.attrib.pop(_R_ID, None)  # printer settings: a part the packet leaves out
        if name == "dimension":
            self._widen_dimension(el)
        elif name == "cols":
            self._set_width(el)
        elif name == "sheetPr" and page.scale:
            fit_to_page_off(el)
        elif name == "sheetViews" and page.freeze:
            view = el.find(q(MAIN, "sheetView"))
            if view is not None:
                add_pane(view, page.freeze)
        elif name == "pageSetup":
            set_page_setup(el, page)
        elif name == "headerFooter":
            add_header_footer(el, page)
        if name in self.pending:  # the sheet has its own: ours is not added
            del self.pending[name]

    def _prefixed(self, el: etree._Element, name: str) -> bytes:
        return (f"{el.prefix}:{name}" if el.prefix else name).encode()

    def _flush_children(self, parent: etree._Element, until: etree._Element | None) -> None:
        """Write every child of `parent` before `until` (all of them when None), and `until`."""
        top = parent.getparent() is None
        for child in list(parent):
            if top and self.packet is not None and not _in_packet(child):
                if child is until:
                    return
                parent.remove(child)
                continue
            if top:
                self._write_pending(parent, before=child)
            if child is until and child.tag == _SHEET_DATA:
                return
            if child.tag == _LEGACY_DRAWING and top:
                self.own_legacy_drawing = child.get(_R_ID)  # the notes go into its VML
            self.emit(element_bytes(child, self.in_scope, self.kept))
            if child is until:
                return
            parent.remove(child)

    def _write_pending(self, root: etree._Element, before: etree._Element | None) -> None:
        """The elements to add that the schema puts before `before` (all when None)."""
        if not self.pending:
            return
        limit = len(_ORDER) if before is None else _position(before)
        if limit is None:
            return
        for name in sorted(self.pending, key=_ORDER.index):
            if _ORDER.index(name) >= limit:
                break
            el = self.pending.pop(name)
            root.append(el)
            self.emit(element_bytes(el, self.in_scope))
            root.remove(el)

    # --- columns and dimension ---

    def _write_new_cols(self, root: etree._Element) -> None:
        cols = etree.SubElement(root, _COLS)
        self._set_width(cols)
        self.emit(element_bytes(cols, self.in_scope))
        root.remove(cols)

    def _set_width(self, cols: etree._Element) -> None:
        for col in cols:
            if col.tag == _COL and col.get("style"):
                self.col_styles.append((_int(col.get("min")), _int(col.get("max")),
                                        _int(col.get("style"))))
        target = self.edit.column
        self.cols_written = True
        if target is None:
            return
        for index, col in enumerate(cols):
            if col.tag != _COL:
                continue
            low, high = _int(col.get("min")), _int(col.get("max"))
            if low <= target <= high:
                if high > target:  # the part right of ours keeps its settings
                    right = _copy(col)
                    right.set("min", str(target + 1))
                    cols.insert(index + 1, right)
                if low < target:
                    left = _copy(col)
                    left.set("max", str(target - 1))
                    cols.insert(index, left)
                col.set("min", str(target))
                col.set("max", str(target))
                col.set("width", f"{self.edit.width:g}")
                col.set("customWidth", "1")
                return
            if low > target:
                cols.insert(index, _new_col(cols, target, self.edit.width))
                return
        cols.append(_new_col(cols, target, self.edit.width))

    def _widen_dimension(self, el: etree._Element) -> None:
        match = _RANGE.match(el.get("ref", ""))
        if not match or self.edit.column is None:
            return
        first_col, first_row, last_col, last_row = match.groups()
        last_col, last_row = last_col or first_col, last_row or first_row
        if column_index(last_col) < self.edit.column:
            el.set("ref", f"{first_col}{first_row}:{column_letter(self.edit.column)}{last_row}")

    # --- rows ---

    def _write_new_rows(self, sheet_data: etree._Element, before: int | None) -> None:
        """Rows the plan needs that the sheet does not have (only ever a flagged empty row)."""
        while self.next_row < len(self.rows) and (before is None
                                                   or self.rows[self.next_row] < before):
            index = self.rows[self.next_row]
            self._gap(sheet_data, index)
            row = etree.SubElement(sheet_data, _ROW)
            row.set("r", str(index))
            self._edit_row(row, index)
            self.emit(element_bytes(row, self.in_scope))
            sheet_data.remove(row)
            self.next_row += 1

    # --- a provider's packet ---

    def _gap(self, sheet_data: etree._Element, index: int) -> None:
        """In a packet: the rows below the header and before row `index` that are not written,
        as empty hidden rows (they would print as blank space)."""
        if self.packet is None:
            return
        first = max(self.written_row + 1, self.packet.header_row + 1)
        for gap in range(first, index):
            row = etree.SubElement(sheet_data, _ROW, r=str(gap), hidden="1")
            self.emit(element_bytes(row, self.in_scope, self.kept))
            sheet_data.remove(row)
        self.written_row = max(self.written_row, index)

    def _packet_row(self, sheet_data: etree._Element, row: etree._Element, index: int) -> None:
        """A kept row, made to stand alone: formulas as the values they last showed (they may
        reach into rows left out), shared strings as inline text, no links to metadata parts
        the packet does not carry."""
        assert self.packet is not None
        self._gap(sheet_data, index)
        for cell in row:
            if cell.tag != _CELL:
                continue
            for name in ("cm", "vm"):
                cell.attrib.pop(name, None)
            formula = cell.find(_FORMULA)
            if formula is not None:
                cell.remove(formula)
            kind = cell.get("t")
            value = cell.find(_VALUE)
            if kind == "s" and value is not None:
                index_text = (value.text or "").strip()
                shared = self.packet.shared
                item = shared[int(index_text)] if index_text.isdigit() and \
                    int(index_text) < len(shared) else None
                cell.remove(value)
                cell.set("t", "inlineStr")
                inline = etree.SubElement(cell, q(MAIN, "is"))
                for part in item if item is not None else ():
                    inline.append(deepcopy(part))
            elif kind == "str":
                cell.set("t", "inlineStr")
                text = value.text if value is not None else ""
                if value is not None:
                    cell.remove(value)
                set_text(etree.SubElement(etree.SubElement(cell, q(MAIN, "is")), q(MAIN, "t")),
                         text or "")

    def _edit_row(self, row: etree._Element, index: int) -> None:
        cells = dict(_row_cells(row))
        if any(cell.get("r") is None for cell in cells.values()):
            for col, cell in cells.items():  # explicit references before any cell is added
                cell.set("r", f"{column_letter(col)}{index}")
        row_style = _int(row.get("s")) if row.get("customFormat") in ("1", "true") else None
        for col, severity in sorted(self.edit.marks.get(index, {}).items()):
            cell = cells.get(col)
            if cell is None:
                base = row_style if row_style is not None else self._col_style(col)
                cell = cells[col] = _insert_cell(row, col, index)
            else:
                base = _int(cell.get("s"))
            cell.set("s", str(self.styles.mark(base, severity)))
        if index in self.edit.texts and self.edit.column is not None:
            severity, text = self.edit.texts[index]
            col = self.edit.column
            cell = cells.get(col)
            if cell is None:
                cell = _insert_cell(row, col, index)
            elif len(cell):
                raise Unsupported(f"the cell {column_letter(col)}{index} for the findings "
                                  "column is not empty")
            cell.set("s", str(self.styles.findings(severity)))
            cell.set("t", "inlineStr")
            inline = etree.SubElement(cell, q(MAIN, "is"))
            set_text(etree.SubElement(inline, q(MAIN, "t")), text)
        height = self.edit.heights.get(index)
        if height is not None and height > _float(row.get("ht"), 0):
            row.set("ht", f"{height:g}")
            row.set("customHeight", "1")
        if "spans" in row.attrib:  # a hint for readers; ours may lie outside it
            del row.attrib["spans"]

    def _col_style(self, col: int) -> int:
        for low, high, style in self.col_styles:
            if low <= col <= high:
                return style
        return 0


def _int(value: str | None, default: int = 0) -> int:
    """A style index or count as Excel reads it: missing or empty is the default (0)."""
    return int(value) if value and value.isdigit() else default


def _in_packet(el: etree._Element) -> bool:
    """Whether a provider's packet keeps this top-level element of a sheet."""
    if el.tag == _MERGE_CELLS and not len(el):  # all its ranges were left out
        return False
    return isinstance(el.tag, str) and el.tag in _PACKET_TAGS


def _keep_merges(merges: etree._Element, keep: frozenset[int]) -> None:
    """Only merged ranges all of whose rows the packet keeps (the title rows')."""
    for merge in list(merges):
        match = _RANGE.match(merge.get("ref", "").replace("$", ""))
        if not match:
            merges.remove(merge)
            continue
        first, last = int(match.group(2)), int(match.group(4) or match.group(2))
        if any(row not in keep for row in range(first, last + 1)):
            merges.remove(merge)
    merges.set("count", str(len(merges)))


def _position(el: etree._Element) -> int | None:
    """Where `el` stands in the schema's order of a worksheet's children (an
    mc:AlternateContent by the first element it wraps); None for what the schema does not
    order (another namespace's elements)."""
    if el.tag == q(MC, "AlternateContent"):
        wrapped = [local(inner.tag) for branch in el for inner in branch]
        places = [_ORDER.index(name) for name in wrapped if name in _ORDER]
        return min(places) if places else None
    if isinstance(el.tag, str) and el.tag in _MAIN_TAGS:
        return _ORDER.index(local(el.tag))
    return None


def _insert_cell(row: etree._Element, col: int, index: int) -> etree._Element:
    position = len(row)
    for i, child in enumerate(row):
        if child.tag == _CELL:
            if cell_column(child.get("r", "")) > col:
                position = i
                break
        else:  # the row's extLst comes after its cells
            position = i
            break
    cell = row.makeelement(_CELL, {"r": f"{column_letter(col)}{index}"})
    row.insert(position, cell)
    return cell


def _copy(col: etree._Element) -> etree._Element:
    twin = col.makeelement(col.tag, dict(col.attrib))
    twin.tail = col.tail
    return twin


def _new_col(cols: etree._Element, target: int, width: float) -> etree._Element:
    return cols.makeelement(_COL, {"min": str(target), "max": str(target),
                                   "width": f"{width:g}", "customWidth": "1"})
