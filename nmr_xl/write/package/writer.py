"""The package writer: an annotated copy made by editing the workbook's package, not by
re-saving it. The original zip is streamed entry by entry; only the parts the plan touches are
rewritten (the checked sheets, styles, their notes and VML drawings, the workbook part, its
relationships, the content types and app properties), the summary sheet and what it needs are
added, and every other entry is copied unchanged, byte for byte once unpacked.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from nmr_xl.model import Severity
from nmr_xl.plan import FINDINGS_HEADER, SUMMARY_SHEET, AnnotationPlan, SheetExtent
from nmr_xl.summary_layout import FINDING_COLUMNS, copy_notice, summary_layout
from nmr_xl.write.package import new_sheets, notes
from nmr_xl.write.package.notes import Note
from nmr_xl.write.package.opc import (
    CT_CHART,
    CT_COMMENTS,
    CT_DRAWING,
    CT_STYLES,
    CT_TABLE,
    CT_VML,
    CT_WORKSHEET,
    REL_CHART,
    REL_COMMENTS,
    REL_DRAWING,
    REL_EXTENDED_PROPERTIES,
    REL_STYLES,
    REL_TABLE,
    REL_VML,
    REL_WORKSHEET,
    Package,
    Relationship,
    Unsupported,
    q,
    relative,
    rels_name,
    resolve,
    xml_bytes,
    zip_entry,
)
from nmr_xl.write.package.probe import SheetProbe, probe_sheet
from nmr_xl.write.package.refs import column_index
from nmr_xl.write.package.sheet import SheetEdit, SheetStyles, rewrite_sheet
from nmr_xl.write.package.styles import StyleBook, empty_stylesheet
from nmr_xl.write.package.workbook import (
    WorkbookParts,
    add_content_types,
    add_rel,
    add_sheet_titles,
    new_rels,
)

_TABLE_NAME = re.compile(r'\b(?:name|displayName)="([^"]*)"')
_TABLE_ID = re.compile(r'<(?:\w+:)?table\b[^>]*\bid="(\d+)"')


@dataclass
class PackageCopy:
    """What the package writer did: the notes for the run's warnings, and which entries it
    rewrote or added (every other entry is the original's, unchanged)."""

    notes: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)


def probe_package(source: Path, tables: dict[str, int]) -> dict[str, SheetExtent]:
    """For each sheet (by name, with its table's last column): what the findings column must
    avoid, and what the sheet sets for printing. Raises Unsupported when the package writer
    cannot read the package."""
    with zipfile.ZipFile(source) as archive:
        pkg = Package(archive)
        book = WorkbookParts(pkg)
        styles = style_book(pkg, book)
        extents = {}
        for name, last in tables.items():
            part = book.sheet(name).part
            assert part is not None
            with pkg.open(part) as handle:
                probe = probe_sheet(handle, part, last, book.ns)
            rows, cols = book.print_titles_of(name)
            own = replace(probe.own, title_rows=rows, title_cols=cols,
                          font=styles.sheet_font(probe.data_style))
            extents[name] = SheetExtent(probe.extent.last_column, probe.extent.taken,
                                        _table_ends(pkg, part, probe), own=own)
    return extents


def style_book(pkg: Package, book: WorkbookParts) -> StyleBook:
    found = [r for r in book.rels.values()
             if r.type == book.ns.rel(REL_STYLES) and not r.external]
    if found and pkg.has(found[0].target):
        return StyleBook(pkg.parse(found[0].target).getroot())
    return StyleBook(empty_stylesheet(book.ns.main))


def _table_ends(pkg: Package, sheet_part: str, probe: SheetProbe) -> frozenset[int]:
    ends = set()
    rels = {r.id: r for r in pkg.relationships(sheet_part)}
    for rid in probe.table_parts:
        rel = rels.get(rid)
        if rel is None or rel.external or not pkg.has(rel.target):
            continue
        ref = pkg.parse(rel.target).getroot().get("ref", "")
        match = re.match(r"^[A-Za-z]+\d+:([A-Za-z]+)\d+$", ref)
        if match:
            ends.add(column_index(match.group(1)) + 1)
    return frozenset(ends)


class _Names:
    """Part names not yet in the package (compared as OPC compares them, ignoring case)."""

    def __init__(self, pkg: Package) -> None:
        self.used = set(pkg.entries)

    def new(self, pattern: str) -> str:
        n = 1
        while pattern.format(n).lower() in self.used:
            n += 1
        name = pattern.format(n)
        self.used.add(name.lower())
        return name


@dataclass
class _Sheet:
    """One checked sheet and the parts around it."""

    name: str
    part: str
    rels: etree._Element
    edit: SheetEdit
    notes: list[Note]
    comments_part: str | None = None
    comments_root: etree._Element | None = None
    fresh_notes: list[Note] = field(default_factory=list)  # notes needing a shape
    vml_parts: list[str] = field(default_factory=list)  # the VML drawings its rels name
    new_vml: str | None = None  # our VML part, used when the sheet has no legacy drawing
    own_vml_rid: str | None = None  # the r:id of the sheet's own legacy drawing
    author: int = 0  # our author's index in its comments part


def write_package_copy(source: Path, dest: Path, plan: AnnotationPlan) -> PackageCopy:
    """Write the annotated copy of `source` to `dest` (a new file)."""
    with zipfile.ZipFile(source) as archive:
        pkg = Package(archive)
        return _Writer(pkg, plan).write(dest)


def plan_edits(plan: AnnotationPlan) -> dict[str, tuple[SheetEdit, list[Note]]]:
    """What the plan changes on each sheet it marks or puts a findings column on, and the
    notes it adds there."""
    marks: dict[str, dict[int, dict[int, Severity]]] = defaultdict(lambda: defaultdict(dict))
    sheet_notes: dict[str, list[Note]] = defaultdict(list)
    for mark in plan.cells:
        marks[mark.sheet][mark.row][mark.col] = mark.severity
        sheet_notes[mark.sheet].append(Note(mark.row, mark.col, mark.note))
    columns = {c.sheet: c for c in plan.columns if c.on_sheet is None}
    edits = {}
    for name in dict.fromkeys([*marks, *columns]):
        column = columns.get(name)
        texts: dict[int, tuple[Severity | None, str]] = {}
        if column is not None:
            texts = {column.header_row: (None, FINDINGS_HEADER), **column.entries}
        edit = SheetEdit({row: dict(cols) for row, cols in marks[name].items()},
                         column.col if column else None,
                         column.header_row if column else 0, texts, None,
                         column.width if column else 0.0,
                         dict(column.heights) if column else {}, plan.pages.get(name))
        edits[name] = (edit, sheet_notes[name])
    return edits


class _Writer:
    def __init__(self, pkg: Package, plan: AnnotationPlan) -> None:
        self.pkg = pkg
        self.plan = plan
        self.book = WorkbookParts(pkg)
        self.ns = self.book.ns  # every part added or edited is in the package's class
        self.names = _Names(pkg)
        self.result = PackageCopy()
        self.content_types = pkg.parse("[Content_Types].xml")
        self.overrides: dict[str, str] = {}
        self.defaults: dict[str, str] = {}
        self.new_parts: dict[str, bytes | Iterable[bytes]] = {}
        self.edited: dict[str, bytes | Iterable[bytes]] = {}  # deferred parts, rewritten
        self._blocks: set[int] | None = None
        self.fonts = {c.sheet: c.font for c in plan.columns}
        self._styles_part()
        self.sheets = self._sheets()

    # --- preparation ---

    def _styles_part(self) -> None:
        found = [r for r in self.book.rels.values()
                 if r.type == self.ns.rel(REL_STYLES) and not r.external]
        if found and self.pkg.has(found[0].target):
            self.styles_part = found[0].target
        else:
            self.styles_part = self.names.new(posixpath.join(self.book.folder, "styles{}.xml"))
            self.book.add_relationship(REL_STYLES, self.styles_part)
            self.overrides[self.styles_part] = CT_STYLES
        self.styles = style_book(self.pkg, self.book)
        self.styles_tree = self.styles.root.getroottree()

    def _sheets(self) -> dict[str, _Sheet]:
        sheets = {}
        for name, (edit, sheet_notes) in plan_edits(self.plan).items():
            entry = self.book.sheet(name)
            assert entry.part is not None
            rels_part = rels_name(entry.part)
            rels = (self.pkg.parse(rels_part).getroot() if self.pkg.has(rels_part)
                    else new_rels())
            sheets[name] = _Sheet(name, entry.part, rels, edit, sheet_notes)
        return sheets

    # --- the copy ---

    def write(self, dest: Path) -> PackageCopy:
        self._prepare_notes()
        new_sheets_at = [(0, self._summary(), self.summary_part)]
        new_sheets_at += self._findings_sheets()
        positions = [(pos, title, self.book.add_relationship(REL_WORKSHEET, part))
                     for pos, title, part in new_sheets_at]
        self.book.add_sheets(positions)
        self._print_titles()
        add_content_types(self.content_types, self.overrides, self.defaults)
        rewritten = {
            "[content_types].xml": lambda: xml_bytes(self.content_types),
            self.book.part.lower(): lambda: xml_bytes(self.book.tree),
            self.book.rels_part.lower(): lambda: xml_bytes(self.book.rels_tree),
        }
        app = self._app_properties([title for _, title, _ in new_sheets_at])
        if app is not None:
            rewritten[app[0]] = lambda: app[1]
        by_part = {s.part.lower(): s for s in self.sheets.values()}
        deferred = {self.styles_part.lower()}
        for sheet in self.sheets.values():  # written once the sheet is: they depend on it
            deferred.add(rels_name(sheet.part).lower())
            deferred |= {part.lower() for part in (sheet.comments_part, *sheet.vml_parts)
                         if part}
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
            later = []
            for key, info in self.pkg.entries.items():
                if key in deferred:
                    later.append(key)
                elif key in by_part:
                    self._rewrite_sheet(out, info, by_part[key])
                elif key in rewritten:
                    self._put(out, info.filename, rewritten[key](), info)
                else:
                    _copy_entry(self.pkg, out, info)
            for sheet in self.sheets.values():
                self._after_sheet(sheet)
            for key in later:
                data = self.edited.get(key)
                info = self.pkg.entries[key]
                if data is None:
                    _copy_entry(self.pkg, out, info)
                else:
                    self._put(out, info.filename, data, info)
            for name, content in self.new_parts.items():
                self._put(out, name, content)
        return self.result

    def _put(self, out: zipfile.ZipFile, name: str, data: bytes | Iterable[bytes],
             like: zipfile.ZipInfo | None = None) -> None:
        info = zip_entry(name, like.date_time if like else _NOW, like)
        with out.open(info, "w") as handle:
            for chunk in [data] if isinstance(data, bytes) else data:
                handle.write(chunk)
        key = name.lower()
        (self.result.changed if key in self.pkg.entries else self.result.added).add(key)

    def _rewrite_sheet(self, out: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: _Sheet) -> None:
        target = zip_entry(info.filename, info.date_time, info)
        with self.pkg.open(sheet.part) as source, out.open(target, "w") as handle:
            font = self.fonts.get(sheet.name)
            sheet.own_vml_rid = rewrite_sheet(
                source, sheet.part, sheet.edit,
                SheetStyles(self.styles.mark, lambda severity: self.styles.findings(severity,
                                                                                    font)),
                handle.write, self.ns)
        self.result.changed.add(info.filename.lower())

    # --- notes ---

    def _prepare_notes(self) -> None:
        threaded = 0
        for sheet in self.sheets.values():
            sheet.vml_parts = [r.target for r in _relationships(sheet.rels, sheet.part)
                               if r.type == self.ns.rel(REL_VML) and not r.external]
            if not sheet.notes:
                continue
            comments = [r for r in _relationships(sheet.rels, sheet.part)
                        if r.type == self.ns.rel(REL_COMMENTS) and not r.external]
            if comments and self.pkg.has(comments[0].target):
                sheet.comments_part = comments[0].target
                sheet.comments_root = self.pkg.parse(sheet.comments_part).getroot()
            sheet.comments_root, sheet.fresh_notes, skipped, sheet.author = notes.merge_comments(
                sheet.comments_root, sheet.notes, self.ns.main)
            threaded += skipped
            if sheet.comments_part is None:
                sheet.comments_part = self.names.new(
                    posixpath.join(self.book.folder, "comments{}.xml"))
                add_rel(sheet.rels, self.ns.rel(REL_COMMENTS),
                        relative(sheet.part, sheet.comments_part))
                self.overrides[sheet.comments_part] = CT_COMMENTS
            # our own <legacyDrawing> and VML part, used only if the sheet has none
            sheet.new_vml = self.names.new(
                posixpath.join(self.book.folder, "drawings", "vmlDrawing{}.vml"))
            sheet.edit.legacy_drawing = add_rel(sheet.rels, self.ns.rel(REL_VML),
                                                relative(sheet.part, sheet.new_vml))
            self.defaults["vml"] = CT_VML
        if threaded:
            self.result.notes.append(
                f"{_cells(threaded)} flagged by nmr-xl hold a threaded comment: their findings "
                "are in the findings column and on the summary sheet, not in a note (a note "
                "added there would break the comment thread in Excel).")

    def _after_sheet(self, sheet: _Sheet) -> None:
        """Once the sheet is written: its notes into its own VML drawing (or ours), its comments
        part and relationships."""
        rels = {r.id: r for r in _relationships(sheet.rels, sheet.part)}
        if sheet.comments_root is not None and sheet.comments_part:
            comments = notes.comments_part(sheet.comments_root, sheet.fresh_notes, sheet.author)
            if self.pkg.has(sheet.comments_part):
                self.edited[sheet.comments_part.lower()] = comments
            else:
                self.new_parts[sheet.comments_part] = comments
        if sheet.notes and sheet.new_vml:
            own = rels.get(sheet.own_vml_rid or "")
            if own is not None and not own.external and self.pkg.has(own.target):
                root = self.pkg.parse(own.target).getroot()
                self.edited[own.target.lower()] = notes.vml_part(root, sheet.fresh_notes,
                                                                 self._free_block())
                for el in list(sheet.rels):  # ours is not needed
                    if el.get("Id") == sheet.edit.legacy_drawing:
                        sheet.rels.remove(el)
            else:
                block = self._free_block()
                self.new_parts[sheet.new_vml] = notes.vml_part(notes.new_vml(block),
                                                               sheet.fresh_notes, block)
        rels_part = rels_name(sheet.part)
        if len(sheet.rels):
            if self.pkg.has(rels_part):
                self.edited[rels_part.lower()] = _xml(sheet.rels)
            else:
                self.new_parts[rels_part] = _xml(sheet.rels)
        if self.pkg.has(self.styles_part):
            self.edited[self.styles_part.lower()] = xml_bytes(self.styles_tree)
        else:
            self.new_parts[self.styles_part] = xml_bytes(self.styles_tree)

    def _free_block(self) -> int:
        """An o:idmap block no VML drawing of the package uses yet."""
        if self._blocks is None:
            self._blocks = notes.used_shape_blocks(
                self.pkg.read(key) for key in self.pkg.entries if key.endswith(".vml"))
        block = max(self._blocks, default=0) + 1
        self._blocks.add(block)
        return block

    # --- the summary sheet and findings sheets ---

    def _summary(self) -> str:
        title = _free_title(SUMMARY_SHEET, {s.name.lower() for s in self.book.sheets})
        self.taken_titles = {s.name.lower() for s in self.book.sheets} | {title.lower()}
        layout = summary_layout(self.plan.summary,
                                copy_notice([*self.plan.notices, *self.result.notes]))
        self.summary_title = title
        self.summary_titles = layout.page.title_rows
        content = new_sheets.summary_content(layout, self.styles)
        folder = self.book.folder
        self.summary_part = part = self.names.new(posixpath.join(folder, "worksheets",
                                                                 "sheet{}.xml"))
        rels = new_rels()
        if layout.chart:
            chart = self.names.new(posixpath.join(folder, "charts", "chart{}.xml"))
            drawing = self.names.new(posixpath.join(folder, "drawings", "drawing{}.xml"))
            drawing_rels = new_rels()
            chart_rid = add_rel(drawing_rels, self.ns.rel(REL_CHART), relative(drawing, chart))
            self.new_parts[chart] = new_sheets.chart_xml(layout.chart, title, self.ns)
            self.new_parts[drawing] = new_sheets.drawing_xml(layout.chart, chart_rid, self.ns)
            self.new_parts[rels_name(drawing)] = _xml(drawing_rels)
            content.drawing = add_rel(rels, self.ns.rel(REL_DRAWING), relative(part, drawing))
            self.overrides[chart] = CT_CHART
            self.overrides[drawing] = CT_DRAWING
        if layout.table:
            table = self.names.new(posixpath.join(folder, "tables", "table{}.xml"))
            table_id, name = self._table_identity(layout.table.name)
            self.new_parts[table] = new_sheets.table_xml(layout.table, table_id, name,
                                                         list(FINDING_COLUMNS), self.ns)
            content.table = add_rel(rels, self.ns.rel(REL_TABLE), relative(part, table))
            self.overrides[table] = CT_TABLE
        self.new_parts[part] = new_sheets.worksheet_xml(content, self.ns)
        if len(rels):
            self.new_parts[rels_name(part)] = _xml(rels)
        self.overrides[part] = CT_WORKSHEET
        return title

    def _print_titles(self) -> None:
        """Print titles (workbook-level defined names) of the summary and the checked sheets,
        once the workbook lists every sheet."""
        self.book.add_print_titles(self.summary_title, self.summary_titles, None)
        for name, page in self.plan.pages.items():
            self.book.add_print_titles(name, page.title_rows, page.title_cols)

    def _findings_sheets(self) -> list[tuple[int, str, str]]:
        """Sheets of their own for findings columns that fit nowhere: (position, title, part)."""
        placed = []
        order = [s.name for s in self.book.sheets]
        for column in self.plan.columns:
            if column.on_sheet is None:
                continue
            title = _free_title(column.on_sheet, self.taken_titles)
            self.taken_titles.add(title.lower())
            part = self.names.new(posixpath.join(self.book.folder, "worksheets", "sheet{}.xml"))
            self.new_parts[part] = new_sheets.worksheet_xml(
                new_sheets.findings_content(column, self.styles), self.ns)
            self.overrides[part] = CT_WORKSHEET
            position = order.index(column.sheet) + 1 if column.sheet in order else len(order)
            placed.append((position, title, part))
        return placed

    def _table_identity(self, wanted: str) -> tuple[int, str]:
        """A table id and name no table or defined name of the workbook has."""
        names = {el.get("name", "").lower()
                 for el in self.book.tree.getroot().iter(q(self.ns.main, "definedName"))}
        ids = [0]
        for key in self.pkg.entries:
            if "/tables/" in f"/{key}" and key.endswith(".xml"):
                text = self.pkg.read(key)[:4096].decode("utf-8", "replace")
                names |= {n.lower() for n in _TABLE_NAME.findall(text)}
                ids += [int(n) for n in _TABLE_ID.findall(text)]
        name, n = wanted, 2
        while name.lower() in names:
            name, n = f"{wanted}{n}", n + 1
        return max(ids) + 1, name

    def _app_properties(self, titles: list[str]) -> tuple[str, bytes] | None:
        found = [r for r in self.pkg.relationships("")
                 if r.type == self.ns.rel(REL_EXTENDED_PROPERTIES) and not r.external]
        if not found or not self.pkg.has(found[0].target) or not self.book.sheets:
            return None
        try:
            tree = self.pkg.parse(found[0].target)
        except Unsupported:
            return None  # informational only: Excel rebuilds it
        if not add_sheet_titles(tree, self.book.sheets[0].name, titles, self.ns):
            return None
        return found[0].target.lower(), xml_bytes(tree)


_NOW = (1980, 1, 1, 0, 0, 0)


def _free_title(wanted: str, taken: set[str]) -> str:
    title, n = wanted, 2
    while title.lower() in taken:
        title, n = f"{wanted} ({n})", n + 1
    return title


def _relationships(root: etree._Element, source: str) -> Iterator[Relationship]:
    for el in root:
        external = el.get("TargetMode", "").lower() == "external"
        target = el.get("Target", "")
        yield Relationship(el.get("Id", ""), el.get("Type", ""),
                           target if external else resolve(source, target), external)


def _copy_entry(pkg: Package, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """An entry the copy does not change: unpacked and packed again, its bytes the same."""
    target = zip_entry(info.filename, info.date_time, info)
    if info.compress_type == zipfile.ZIP_STORED:
        target.compress_type = zipfile.ZIP_STORED
    with pkg.archive.open(info) as source, out.open(target, "w") as handle:
        shutil.copyfileobj(source, handle, 1 << 20)


def _xml(root: etree._Element) -> bytes:
    return xml_bytes(root.getroottree())


def _cells(n: int) -> str:
    return "1 cell" if n == 1 else f"{n:,} cells"

