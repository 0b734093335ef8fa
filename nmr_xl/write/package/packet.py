"""A provider's packet, written as a new package from pieces of the original: a cover sheet, and
each checked sheet streamed with only that provider's rows (nmr_xl.write.package.sheet's packet
mode), marked as the full copy marks them. Of the original only the styles (with ours added) and
the theme are carried over; the workbook part, relationships and content types are new. Every
part that could name another patient is left out: the shared strings (kept cells get their text
inline), other sheets, notes, drawings, tables, defined names, the calculation chain, the
document properties.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from nmr_xl.packet import COVER_SHEET, Packet
from nmr_xl.write.package import new_sheets, notes
from nmr_xl.write.package.opc import (
    CT_COMMENTS,
    CT_STYLES,
    CT_VML,
    CT_WORKSHEET,
    PACKAGE_REL,
    REL_COMMENTS,
    REL_OFFICE_DOCUMENT,
    REL_STYLES,
    REL_VML,
    REL_WORKSHEET,
    Conformance,
    Package,
    q,
    xml_bytes,
    zip_entry,
)
from nmr_xl.write.package.sheet import PacketRows, SheetStyles, rewrite_sheet
from nmr_xl.write.package.workbook import (
    PRINT_TITLES,
    WorkbookParts,
    add_rel,
    new_rels,
    print_titles_text,
)
from nmr_xl.write.package.writer import plan_edits, style_book

REL_THEME = "theme"
REL_SHARED_STRINGS = "sharedStrings"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_THEME = "application/vnd.openxmlformats-officedocument.theme+xml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TIME = (1980, 1, 1, 0, 0, 0)
# a sheet of the packet: its title, part, and print title rows and columns
_SheetEntry = tuple[str, str, tuple[int, int] | None, tuple[int, int] | None]


def shared_strings(pkg: Package, book: WorkbookParts) -> list[etree._Element]:
    """The workbook's shared strings (<si> items), for the kept cells that use them."""
    found = [r for r in book.rels.values()
             if r.type == book.ns.rel(REL_SHARED_STRINGS) and not r.external]
    if not found or not pkg.has(found[0].target):
        return []
    return list(pkg.parse(found[0].target).getroot().iter(q(book.ns.main, "si")))


def write_packet(source: Path, dest: Path, packet: Packet) -> None:
    """Write `packet` as a new workbook at `dest`."""
    with zipfile.ZipFile(source) as archive:
        pkg = Package(archive)
        book = WorkbookParts(pkg)
        styles = style_book(pkg, book)
        strings = shared_strings(pkg, book)
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
            parts = _Parts(out, book.ns)  # a new workbook in the source's conformance class
            cover = new_sheets.summary_content(packet.cover, styles)
            sheets: list[_SheetEntry] = [(COVER_SHEET, parts.sheet(new_sheets.worksheet_xml(
                cover, book.ns)), packet.cover.page.title_rows, None)]
            edits = plan_edits(packet.plan)
            order = [entry for entry in book.sheets if entry.name in packet.rows]
            for block, entry in enumerate(order, start=1):
                assert entry.part is not None
                column = next(c for c in packet.plan.columns if c.sheet == entry.name)
                edit, sheet_notes = edits[entry.name]
                edit.packet = PacketRows(packet.rows[entry.name], column.header_row, strings)
                rels = new_rels()
                if sheet_notes:
                    edit.legacy_drawing = parts.notes(rels, sheet_notes, block)
                name = parts.new_sheet()
                with pkg.open(entry.part) as handle, \
                        out.open(zip_entry(name, _TIME), "w") as target:
                    rewrite_sheet(handle, entry.part, edit, SheetStyles(
                        styles.mark, partial(styles.findings, font=column.font)), target.write,
                        book.ns)
                if len(rels):
                    parts.put(f"xl/worksheets/_rels/{name.rsplit('/', 1)[1]}.rels",
                              xml_bytes(rels.getroottree()))
                page = packet.plan.pages.get(entry.name)
                sheets.append((entry.name, name, page.title_rows if page else None,
                               page.title_cols if page else None))
            parts.put("xl/styles.xml", xml_bytes(styles.root.getroottree()), CT_STYLES)
            theme = [r for r in book.rels.values()
                     if r.type == book.ns.rel(REL_THEME) and not r.external]
            if theme and pkg.has(theme[0].target):
                parts.put("xl/theme/theme1.xml", pkg.read(theme[0].target), CT_THEME)
            parts.finish(sheets, _date1904(book))


def _date1904(book: WorkbookParts) -> bool:
    """Dates are numbers counted from 1900 or 1904: the packet counts as the workbook does."""
    pr = book.tree.getroot().find(q(book.ns.main, "workbookPr"))
    return pr is not None and pr.get("date1904") in ("1", "true")


class _Parts:
    """The packet's parts, written as they are made; the workbook and the parts that list the
    others last."""

    def __init__(self, out: zipfile.ZipFile, ns: Conformance) -> None:
        self.out = out
        self.ns = ns
        self.types: dict[str, str] = {}
        self.count = 0
        self.comments = 0

    def put(self, name: str, data: bytes | Iterable[bytes], content_type: str | None = None
            ) -> None:
        with self.out.open(zip_entry(name, _TIME), "w") as handle:
            for chunk in [data] if isinstance(data, bytes) else data:
                handle.write(chunk)
        if content_type:
            self.types[name] = content_type

    def new_sheet(self) -> str:
        self.count += 1
        name = f"xl/worksheets/sheet{self.count}.xml"
        self.types[name] = CT_WORKSHEET
        return name

    def sheet(self, data: Iterable[bytes]) -> str:
        name = self.new_sheet()
        self.put(name, data)
        return name

    def notes(self, rels: etree._Element, sheet_notes: list[notes.Note], block: int) -> str:
        """The sheet's notes (ours only) as a comments part and a VML drawing; returns the
        relationship id of the drawing."""
        self.comments += 1
        comments = f"xl/comments{self.comments}.xml"
        vml = f"xl/drawings/vmlDrawing{self.comments}.vml"
        root, fresh, _, author = notes.merge_comments(None, sheet_notes, self.ns.main)
        self.put(comments, notes.comments_part(root, fresh, author), CT_COMMENTS)
        self.put(vml, notes.vml_part(notes.new_vml(block), fresh, block))
        add_rel(rels, self.ns.rel(REL_COMMENTS), f"../comments{self.comments}.xml")
        return add_rel(rels, self.ns.rel(REL_VML), f"../drawings/vmlDrawing{self.comments}.vml")

    def finish(self, sheets: list[_SheetEntry], date1904: bool) -> None:
        rels = new_rels()
        listed, titles = [], []
        for index, (title, part, rows, cols) in enumerate(sheets):
            rid = add_rel(rels, self.ns.rel(REL_WORKSHEET), part.removeprefix("xl/"))
            listed.append(f'<sheet name={quoteattr(title)} sheetId="{index + 1}" r:id="{rid}"/>')
            if rows or cols:
                titles.append(f'<definedName name="{PRINT_TITLES}" localSheetId="{index}">'
                              f"{escape(print_titles_text(title, rows, cols))}</definedName>")
        add_rel(rels, self.ns.rel(REL_STYLES), "styles.xml")
        if "xl/theme/theme1.xml" in self.types:
            add_rel(rels, self.ns.rel(REL_THEME), "theme/theme1.xml")
        workbook = (f'{_DECLARATION}<workbook xmlns="{self.ns.main}" '
                    f'xmlns:r="{self.ns.relationships}">'
                    + ('<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>")
                    + '<bookViews><workbookView activeTab="0"/></bookViews>'
                    + f"<sheets>{''.join(listed)}</sheets>"
                    + (f"<definedNames>{''.join(titles)}</definedNames>" if titles else "")
                    + "</workbook>")
        self.put("xl/workbook.xml", workbook.encode(), CT_MAIN)
        self.put("xl/_rels/workbook.xml.rels", xml_bytes(rels.getroottree()))
        package = etree.Element(q(PACKAGE_REL, "Relationships"), nsmap={None: PACKAGE_REL})
        add_rel(package, self.ns.rel(REL_OFFICE_DOCUMENT), "xl/workbook.xml")
        self.put("_rels/.rels", xml_bytes(package.getroottree()))
        types = "http://schemas.openxmlformats.org/package/2006/content-types"
        overrides = "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>'
                            for name, kind in self.types.items())
        self.put("[Content_Types].xml", (
            f'{_DECLARATION}<Types xmlns="{types}">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Default Extension="vml" ContentType="{CT_VML}"/>'
            f"{overrides}</Types>").encode())
