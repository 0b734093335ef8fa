"""A worksheet part, rewritten as it streams (never a tree of the whole sheet in memory). Its
rows are found as bytes (nmr_xl.write.package.scan): those the plan does not touch are copied as
they are; those it changes (a style index on flagged cells, the findings column's cells, a row
height) are edited as bytes where they have the usual form (nmr_xl.write.package.rowedit), else
parsed with lxml, changed and written out again. Every other element of the sheet is parsed and
written back as it was, in its place, with the plan's print settings.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cache
from itertools import islice, pairwise
from typing import IO

from lxml import etree

from nmr_xl.model import Severity, column_letter
from nmr_xl.print_layout import PageSetup
from nmr_xl.write.package.opc import (
    MC,
    TRANSITIONAL,
    Conformance,
    Unsupported,
    element_bytes,
    local,
    namespace_of,
    q,
    start_tag,
    without_declarations,
)
from nmr_xl.write.package.page import (
    add_header_footer,
    add_pane,
    fit_to_page_off,
    header_footer_element,
    margins_element,
    page_setup_element,
    row_breaks_element,
    set_page_setup,
    sheet_views_element,
)
from nmr_xl.write.package.refs import cell_column, column_index, decimal, number, xstring
from nmr_xl.write.package.rowedit import RowEditor, RowPatch
from nmr_xl.write.package.scan import RowBatch, SheetEvents, parse_rows, stream_sheet

# CT_Worksheet's children, in the order the schema fixes
_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
          "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
          "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
          "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
          "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
          "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
          "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
          "webPublishItems", "tableParts", "extLst"]
# What a provider's packet keeps of a sheet: its data, layout and print settings; not what may
# name other patients or point into rows left out (links, validations, formats by range,
# drawings, tables, the sheet's own notes ...)
_PACKET = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
           "sheetProtection", "mergeCells", "phoneticPr", "printOptions", "pageMargins",
           "pageSetup", "headerFooter")
_RANGE = re.compile(r"^([A-Za-z]{1,3})(\d+)(?::([A-Za-z]{1,3})(\d+))?$")
_PRESERVE = q("http://www.w3.org/XML/1998/namespace", "space")


class SheetTags:
    """A worksheet's element names in one conformance class (as lxml names them)."""

    def __init__(self, ns: Conformance) -> None:
        main = ns.main
        self.ns = ns
        self.worksheet, self.sheet_data = q(main, "worksheet"), q(main, "sheetData")
        self.row, self.cell = q(main, "row"), q(main, "c")
        self.cols, self.col = q(main, "cols"), q(main, "col")
        self.legacy_drawing = q(main, "legacyDrawing")
        self.r_id = q(ns.relationships, "id")
        self.formula, self.value, self.merge_cells = q(main, "f"), q(main, "v"), q(main,
                                                                                "mergeCells")
        self.inline, self.text = q(main, "is"), q(main, "t")
        self.ordered = frozenset(q(main, name) for name in _ORDER)
        self.packet = frozenset(q(main, name) for name in _PACKET)
        # The elements a pass over a sheet is told about: the worksheet's children, its rows
        self.stream = [*(q(main, name) for name in _ORDER), q(MC, "AlternateContent"),
                       self.row]


@cache
def sheet_tags(ns: Conformance) -> SheetTags:
    return SheetTags(ns)


def set_text(t: etree._Element, text: str) -> None:
    t.text = xstring(text)
    if text != text.strip() or "\n" in text:
        t.set(_PRESERVE, "preserve")


def row_number(row: etree._Element, previous: int) -> int:
    """A row's number (r), or the one after the row before when it has none (then set)."""
    ref = row.get("r")
    if ref and ref.isdigit():
        return int(ref)
    if not ref:
        row.set("r", str(previous + 1))
    return previous + 1


def row_cells(row: etree._Element, tags: SheetTags) -> Iterable[tuple[int, etree._Element]]:
    col = 0
    for cell in row:
        if cell.tag != tags.cell:
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
                  write: Callable[[bytes], object], ns: Conformance = TRANSITIONAL) -> str | None:
    """Stream the sheet from `source` to `write`, edited; return the r:id of the sheet's own
    <legacyDrawing> (None: it had none, and gets edit.legacy_drawing when that is set). The
    sheet is in the conformance class `ns`, and so is every element added to it."""
    rewriter = _Rewriter(edit, styles, write, sheet_tags(ns))
    rewriter.run(source, name)
    return rewriter.own_legacy_drawing


class _Rewriter(SheetEvents):
    def __init__(self, edit: SheetEdit, styles: SheetStyles,
                 write: Callable[[bytes], object], tags: SheetTags) -> None:
        self.tags = tags
        main = tags.ns.main
        self.edit = edit
        self.styles = styles
        self._write = write
        self.buffer: list[bytes] = []
        self.size = 0
        self.row_set = set(edit.marks) | set(edit.texts) | set(edit.heights)
        self.planned = sorted(self.row_set)
        self.root: etree._Element | None = None
        self.sheet_data: etree._Element | None = None
        self.last_row = 0  # the number of the last row read
        self.next_row = 0  # index into self.planned of the next row still to be written
        self.col_styles: list[tuple[int, int, int]] = []  # (min, max, style) from <cols>
        self.cols_written = edit.column is None
        self.in_scope: dict[str | None, str] = {}
        self.own_legacy_drawing: str | None = None
        self.kept: dict[bytes, bytes] = {}  # declaration runs, without what is in scope
        self._marks: dict[tuple[int, Severity], str] = {}  # style indexes chosen, as text
        self._findings: dict[Severity | None, str] = {}
        self.packet = edit.packet
        self.written_row = 0  # the last row written (a packet's gaps become hidden rows)
        # top-level elements to add, each written before the first element the schema puts
        # after it (or at the end); one of the sheet's own of that name replaces it
        self.pending: dict[str, etree._Element] = {}
        if edit.legacy_drawing is not None:
            self.pending["legacyDrawing"] = etree.Element(
                tags.legacy_drawing, {tags.r_id: edit.legacy_drawing},
                nsmap={None: main, "r": tags.ns.relationships})
        page = edit.page or PageSetup()
        for element in (sheet_views_element(page.freeze, main) if page.freeze else None,
                        margins_element(page.margins, main) if page.margins else None,
                        page_setup_element(page, main), header_footer_element(page, main),
                        row_breaks_element(page.row_breaks, main)):
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
        stream_sheet(source, name, self.tags.stream, self, self.tags.worksheet)
        assert self.root is not None
        self._flush_children(self.root, until=None)
        self._write_pending(self.root, before=None)
        self.emit(self.end_tag)
        self.flush()

    def event(self, event: str, el: etree._Element) -> None:
        if self.root is None:
            self.root = el.getroottree().getroot()
            self.in_scope = dict(self.root.nsmap)
            head, self.end_tag = start_tag(self.root)
            self.emit(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + head)
        root, sheet_data = self.root, self.sheet_data
        parent = el.getparent()
        if event == "start":
            if el.tag == self.tags.sheet_data and parent is root:
                self._flush_children(root, until=el)
                if not self.cols_written:
                    self._write_new_cols(root)
                self.emit(without_declarations(start_tag(el)[0], self.in_scope))
                self.sheet_data = el
        elif el.tag == self.tags.row and parent is sheet_data and sheet_data is not None:
            # a part that is not split: its rows come as elements
            index = row_number(el, self.last_row)
            if self._keep(sheet_data, index):
                self._row(sheet_data, el, index)
                self._flush_children(sheet_data, until=el)
            sheet_data.remove(el)
        elif el is sheet_data and sheet_data is not None:
            self._write_new_rows(sheet_data, before=None)
            self._flush_children(sheet_data, until=None)
            self.emit(b"</" + self._prefixed(sheet_data, "sheetData") + b">" + (
                sheet_data.tail or "").encode())
            root.remove(el)
            self.sheet_data = None
        elif parent is root:
            self._edit_setting(el)
            self._flush_children(root, until=el)
            root.remove(el)

    def rows(self, batches: Iterator[RowBatch], sheet_data: etree._Element) -> None:
        """The rows as bytes: those the plan does not touch are copied as they are, those it
        changes are edited as bytes where they have the usual form, else through lxml."""
        wrap = start_tag(sheet_data)
        editor = None if self.packet is not None else RowEditor(
            f"{sheet_data.prefix}:".encode() if sheet_data.prefix else b"", self.edit.marks,
            (self.edit.column, self.edit.texts) if self.edit.column is not None else None,
            self.edit.heights, self._mark_style, self._findings_style)
        for batch in batches:
            data, position = batch.data, 0
            visits = self._found(batch) if self.packet is None else None
            if visits is None:
                visits = self._listed(batch)
            patches: dict[int, RowPatch] = {}
            for index, start, end in visits:
                if editor is not None and self._touches(index):
                    patch = editor.patch(data[start:end], index)
                    if patch is not None:
                        patches[start] = patch
            parsed = iter(parse_rows(data, [(start, end) for index, start, end in visits
                                            if self._touches(index) and start not in patches],
                                     wrap))
            for index, start, end in visits:
                self.emit(data[position:start])
                position = end
                if not self._keep(sheet_data, index):
                    continue
                if not self._touches(index):  # rows were added before it
                    self.emit(data[start:end])
                    continue
                if start in patches:
                    assert editor is not None
                    self.emit(editor.apply(patches[start]))
                    self._planned(index)
                    continue
                nodes = next(parsed)
                if not nodes[0].get("r"):  # a row the plan changes says its number
                    nodes[0].set("r", str(index))
                self._row(sheet_data, nodes[0], index)
                for node in nodes:
                    self.emit(element_bytes(node, self.in_scope, self.kept))
            self.emit(data[position:batch.end])
            last = batch.last_number
            if last is not None:
                if last < self.last_row:
                    raise Unsupported("the rows of a sheet are out of order")
                self.last_row = last

    def _found(self, batch: RowBatch) -> list[tuple[int, int, int]] | None:
        """The rows of a batch the plan changes, found by their numbers, as (number, start,
        end); None where one is not found so (the plan adds it, or its number is implicit)."""
        last = batch.last_number
        if last is None:
            return None
        visits, after = [], 0
        for row in islice(self.planned, self.next_row, None):
            if row > last:
                break
            span = batch.find(row, after)
            if span is None:
                return None
            visits.append((row, *span))
            after = span[1]
        return visits

    def _listed(self, batch: RowBatch) -> list[tuple[int, int, int]]:
        """The rows of a batch that are changed or left out, or that rows the plan adds come
        before, as (number, start, end), from the list of all its rows (in order)."""
        numbers = batch.numbers
        if numbers and (numbers[0] <= self.last_row
                        or any(a >= b for a, b in pairwise(numbers))):
            raise Unsupported("the rows of a sheet are out of order")
        if self.packet is not None:
            rows: Iterable[int] = range(len(numbers))
        else:
            visits: dict[int, None] = {}
            for row in islice(self.planned, self.next_row, None):
                if not numbers or row > numbers[-1]:
                    break
                visits[bisect_left(numbers, row)] = None  # the row itself, or the one after it
            rows = visits
        return [(numbers[i], *batch.span(i)) for i in rows]

    def _touches(self, index: int) -> bool:
        """Whether the row numbered `index` is changed (and so parsed)."""
        if self.packet is not None:
            return index in self.packet.keep
        return index in self.row_set

    def _keep(self, sheet_data: etree._Element, index: int) -> bool:
        """Before the row numbered `index`: the rows the plan adds before it; whether it is
        written (a provider's packet leaves other providers' lines, totals ... out)."""
        if index <= self.last_row:
            raise Unsupported("the rows of a sheet are out of order")
        self.last_row = index
        self._write_new_rows(sheet_data, before=index)
        return self.packet is None or index in self.packet.keep

    def _row(self, sheet_data: etree._Element, row: etree._Element, index: int) -> None:
        if self.packet is not None:
            self._packet_row(sheet_data, row, index)
        if self._planned(index):
            self._edit_row(row, index)

    def _planned(self, index: int) -> bool:
        """Whether the plan changes row `index` (the next of its rows): then counted as done."""
        if self.next_row < len(self.planned) and self.planned[self.next_row] == index:
            self.next_row += 1
            return True
        return False

    def _edit_setting(self, el: etree._Element) -> None:
        """A top-level element of the sheet, before it is written: the plan's changes to it."""
        page = self.edit.page or PageSetup()
        name = local(el.tag) if el.tag in self.tags.ordered else None
        if self.packet is not None:
            if name == "mergeCells":
                _keep_merges(el, self.packet.keep)
            elif name == "pageSetup":
                # printer settings: a part the packet leaves out
                el.attrib.pop(self.tags.r_id, None)
        if name == "dimension":
            self._widen_dimension(el)
        elif name == "cols":
            self._set_width(el)
        elif name == "sheetPr" and page.scale:
            fit_to_page_off(el)
        elif name == "sheetViews" and page.freeze:
            view = el.find(q(self.tags.ns.main, "sheetView"))
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
            if top and self.packet is not None and not _in_packet(child, self.tags):
                if child is until:
                    return
                parent.remove(child)
                continue
            if top:
                self._write_pending(parent, before=child)
            if child.tag == self.tags.sheet_data and child is until:
                return
            if child.tag == self.tags.legacy_drawing and top:
                self.own_legacy_drawing = child.get(self.tags.r_id)  # the notes go into its VML
            self.emit(element_bytes(child, self.in_scope, self.kept))
            if child is until:
                return
            parent.remove(child)

    def _write_pending(self, root: etree._Element, before: etree._Element | None) -> None:
        """The elements to add that the schema puts before `before` (all when None)."""
        if not self.pending:
            return
        limit = len(_ORDER) if before is None else _position(before, self.tags)
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
        cols = etree.SubElement(root, self.tags.cols)
        self._set_width(cols)
        self.emit(element_bytes(cols, self.in_scope))
        root.remove(cols)

    def _set_width(self, cols: etree._Element) -> None:
        for col in cols:
            if col.tag == self.tags.col and col.get("style"):
                self.col_styles.append((number(col.get("min")), number(col.get("max")),
                                        number(col.get("style"))))
        target = self.edit.column
        self.cols_written = True
        if target is None:
            return
        for index, col in enumerate(cols):
            if col.tag != self.tags.col:
                continue
            low, high = number(col.get("min")), number(col.get("max"))
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
        while self.next_row < len(self.planned) and (before is None
                                                   or self.planned[self.next_row] < before):
            index = self.planned[self.next_row]
            self._gap(sheet_data, index)
            row = etree.SubElement(sheet_data, self.tags.row)
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
            row = etree.SubElement(sheet_data, self.tags.row, r=str(gap), hidden="1")
            self.emit(element_bytes(row, self.in_scope, self.kept))
            sheet_data.remove(row)
        self.written_row = max(self.written_row, index)

    def _packet_row(self, sheet_data: etree._Element, row: etree._Element, index: int) -> None:
        """A kept row, made to stand alone: formulas as the values they last showed (they may
        reach into rows left out), shared strings as inline text, no links to metadata parts
        the packet does not carry."""
        assert self.packet is not None
        self._gap(sheet_data, index)
        tags = self.tags
        for cell in row:
            if cell.tag != tags.cell:
                continue
            for name in ("cm", "vm"):
                cell.attrib.pop(name, None)
            formula = cell.find(tags.formula)
            if formula is not None:
                cell.remove(formula)
            kind = cell.get("t")
            value = cell.find(tags.value)
            if kind == "s" and value is not None:
                index_text = (value.text or "").strip()
                shared = self.packet.shared
                item = shared[int(index_text)] if index_text.isdigit() and \
                    int(index_text) < len(shared) else None
                cell.remove(value)
                cell.set("t", "inlineStr")
                inline = etree.SubElement(cell, tags.inline)
                for part in item if item is not None else ():
                    inline.append(deepcopy(part))
            elif kind == "str":
                cell.set("t", "inlineStr")
                text = value.text if value is not None else ""
                if value is not None:
                    cell.remove(value)
                set_text(etree.SubElement(etree.SubElement(cell, tags.inline), tags.text),
                         text or "")

    def _edit_row(self, row: etree._Element, index: int) -> None:
        cells = _cells_by_column(row, index, self.tags)
        row_style = number(row.get("s")) if row.get("customFormat") in ("1", "true") else None
        for col, severity in sorted(self.edit.marks.get(index, {}).items()):
            cell = cells.get(col)
            if cell is None:
                base = row_style if row_style is not None else self._col_style(col)
                cell = _insert_cell(row, cells, col, index)
            else:
                base = number(cell.get("s"))
            cell.set("s", self._mark_style(base, severity))
        if index in self.edit.texts and self.edit.column is not None:
            worst, text = self.edit.texts[index]
            col = self.edit.column
            cell = cells.get(col)
            if cell is None:
                cell = _insert_cell(row, cells, col, index)
            elif len(cell):
                raise Unsupported(f"the cell {column_letter(col)}{index} for the findings "
                                  "column is not empty")
            cell.set("s", self._findings_style(worst))
            cell.set("t", "inlineStr")
            inline = etree.SubElement(cell, self.tags.inline)
            set_text(etree.SubElement(inline, self.tags.text), text)
        height = self.edit.heights.get(index)
        if height is not None and height > decimal(row.get("ht"), 0):
            row.set("ht", f"{height:g}")
            row.set("customHeight", "1")
        if "spans" in row.attrib:  # a hint for readers; ours may lie outside it
            del row.attrib["spans"]

    def _mark_style(self, base: int, severity: Severity) -> str:
        """The style index (as text) of a flagged cell whose own is `base`, chosen once."""
        key = (base, severity)
        if key not in self._marks:
            self._marks[key] = str(self.styles.mark(base, severity))
        return self._marks[key]

    def _findings_style(self, severity: Severity | None) -> str:
        if severity not in self._findings:
            self._findings[severity] = str(self.styles.findings(severity))
        return self._findings[severity]

    def _col_style(self, col: int) -> int:
        for low, high, style in self.col_styles:
            if low <= col <= high:
                return style
        return 0


def _in_packet(el: etree._Element, tags: SheetTags) -> bool:
    """Whether a provider's packet keeps this top-level element of a sheet."""
    if el.tag == tags.merge_cells and not len(el):  # all its ranges were left out
        return False
    return isinstance(el.tag, str) and el.tag in tags.packet


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


def _position(el: etree._Element, tags: SheetTags) -> int | None:
    """Where `el` stands in the schema's order of a worksheet's children (an
    mc:AlternateContent by the first element it wraps); None for what the schema does not
    order (another namespace's elements)."""
    if el.tag == q(MC, "AlternateContent"):
        wrapped = [local(inner.tag) for branch in el for inner in branch]
        places = [_ORDER.index(name) for name in wrapped if name in _ORDER]
        return min(places) if places else None
    if isinstance(el.tag, str) and el.tag in tags.ordered:
        return _ORDER.index(local(el.tag))
    return None


def _cells_by_column(row: etree._Element, index: int, tags: SheetTags
                     ) -> dict[int, etree._Element]:
    """The cells of row `index` by column; every cell given its reference when one has none
    (before any cell is added)."""
    cells: dict[int, etree._Element] = {}
    col, unnamed = 0, False
    for cell in row:
        if cell.tag != tags.cell:
            continue
        ref = cell.get("r")
        if ref is None:
            col, unnamed = col + 1, True
        else:
            col = cell_column(ref)
        cells[col] = cell
    if unnamed:
        for col, cell in cells.items():
            cell.set("r", f"{column_letter(col)}{index}")
    return cells


def _insert_cell(row: etree._Element, cells: dict[int, etree._Element], col: int, index: int
                 ) -> etree._Element:
    """A new cell in column `col` of the row, in column order (before the row's extLst)."""
    cell = row.makeelement(q(namespace_of(row.tag), "c"), {"r": f"{column_letter(col)}{index}"})
    after = [other for other in cells if other > col]
    if after:
        cells[min(after)].addprevious(cell)
    elif cells:
        cells[max(cells)].addnext(cell)
    else:
        row.insert(0, cell)
    cells[col] = cell
    return cell


def _copy(col: etree._Element) -> etree._Element:
    twin = col.makeelement(col.tag, dict(col.attrib))
    twin.tail = col.tail
    return twin


def _new_col(cols: etree._Element, target: int, width: float) -> etree._Element:
    return cols.makeelement(q(namespace_of(cols.tag), "col"),
                            {"min": str(target), "max": str(target), "width": f"{width:g}",
                             "customWidth": "1"})
