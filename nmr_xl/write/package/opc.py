"""Reading an xlsx package as the package writer needs it: its zip entries (with the size and
ratio guards), content types, relationships and part names, and XML parsed as strictly as the
reader parses it (no DTD, no entity expansion, no network, libxml2's size limits kept).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote, unquote

from lxml import etree

from nmr_xl.errors import InputError

PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
REL_THREADED_COMMENT = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"


@dataclass(frozen=True)
class Conformance:
    """The namespaces of one conformance class of Office Open XML (ISO/IEC 29500-1 and ECMA-376
    Part 1, Transitional or Strict). A package is read and written in its own class: every part
    the package writer adds or edits uses the namespaces of the class its workbook part is in.
    The package's own markup (relationships, content types, markup compatibility: Part 2 and
    Part 3) and the content types of the parts are the same in both."""

    name: str
    main: str  # SpreadsheetML
    relationships: str  # the r: namespace, and the stem of every relationship type
    drawing: str  # DrawingML's spreadsheet drawing (xdr:)
    drawingml: str  # DrawingML main (a:)
    chart: str  # DrawingML charts (c:)
    extended: str  # the application (extended) properties
    vt: str  # their variant types
    spelled: tuple[tuple[str, str], ...] = ()  # relationship types named otherwise here
    border_sides: tuple[str, str] = ("left", "right")  # CT_Border's first two sides
    chart_percentages: bool = False  # chart sizes (gapWidth ...) only as "150%", not 150

    def rel(self, kind: str) -> str:
        """The relationship type of `kind` ("worksheet", "styles", ...) in this class."""
        return f"{self.relationships}/{dict(self.spelled).get(kind, kind)}"

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.main, self.relationships, self.drawing, self.drawingml, self.chart,
                self.extended, self.vt)


_ECMA = "http://schemas.openxmlformats.org"
TRANSITIONAL = Conformance(
    "Transitional", f"{_ECMA}/spreadsheetml/2006/main",
    f"{_ECMA}/officeDocument/2006/relationships", f"{_ECMA}/drawingml/2006/spreadsheetDrawing",
    f"{_ECMA}/drawingml/2006/main", f"{_ECMA}/drawingml/2006/chart",
    f"{_ECMA}/officeDocument/2006/extended-properties",
    f"{_ECMA}/officeDocument/2006/docPropsVTypes")
_PURL = "http://purl.oclc.org/ooxml"
STRICT = Conformance(
    "Strict", f"{_PURL}/spreadsheetml/main", f"{_PURL}/officeDocument/relationships",
    f"{_PURL}/drawingml/spreadsheetDrawing", f"{_PURL}/drawingml/main",
    f"{_PURL}/drawingml/chart", f"{_PURL}/officeDocument/extendedProperties",
    f"{_PURL}/officeDocument/docPropsVTypes",
    spelled=(("extended-properties", "extendedProperties"),), border_sides=("start", "end"),
    chart_percentages=True)
CONFORMANCES = (TRANSITIONAL, STRICT)

# relationship kinds (Conformance.rel gives the type)
REL_OFFICE_DOCUMENT = "officeDocument"
REL_WORKSHEET = "worksheet"
REL_STYLES = "styles"
REL_COMMENTS = "comments"
REL_VML = "vmlDrawing"
REL_TABLE = "table"
REL_DRAWING = "drawing"
REL_CHART = "chart"
REL_EXTENDED_PROPERTIES = "extended-properties"


def conformance(namespace: str) -> Conformance | None:
    """The conformance class whose SpreadsheetML namespace is `namespace`."""
    return next((c for c in CONFORMANCES if c.main == namespace), None)


def namespace_of(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

# Guards, as the reader's: a part is parsed only below MAX_PART_BYTES, and a part packed more
# tightly than MAX_RATIO (above RATIO_FLOOR bytes) is a decompression bomb, not a workbook.
MAX_PART_BYTES = 1024 * 1024 * 1024
MAX_PACKAGE_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 1000
RATIO_FLOOR = 16 * 1024 * 1024
_PROLOG_LIMIT = 64 * 1024


# How hard every part a copy writes is deflated: as tightly as Excel packs its own files (the 53
# largest parts of the corpus's Excel files: zlib's level 2 within 0.2% of Excel's size, level 1
# 3% larger, level 6 20% smaller). The 100,000-line benchmark's copy deflates in 0.33 s at level
# 2 (12 MB), 0.30 s at level 1 (12.6 MB), 1.1 s at zipfile's default, level 6 (8.9 MB).
DEFLATE_LEVEL = 2


def zip_entry(name: str, date_time: tuple[int, int, int, int, int, int],
              like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    """A zip entry to write, deflated at DEFLATE_LEVEL, with `like`'s file attributes."""
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = DEFLATE_LEVEL  # type: ignore[attr-defined]  # public in 3.13
    if like is not None:
        info.external_attr = like.external_attr
    return info


class Unsupported(Exception):
    """The package is outside what the package writer handles: the openpyxl path writes it."""


# resolve_entities=False and no DTD: an entity is never expanded; huge_tree off keeps
# libxml2's limits on text and depth.
PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                   "load_dtd": False, "dtd_validation": False}


def parser() -> etree.XMLParser:
    return etree.XMLParser(**PARSER_OPTIONS)


def iterparse(source: IO[bytes], **kwargs: object) -> etree.iterparse:
    return etree.iterparse(source, **PARSER_OPTIONS, **kwargs)


def refuse_dtd(tree: etree._ElementTree, name: str) -> None:
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        refuse_dtd_in(name)


def refuse_dtd_in(name: str) -> None:
    raise InputError("unsafe-xml", f"refused: the workbook part {name} declares a DTD, which "
                                   "Excel never writes and XML entity-expansion attacks rely "
                                   "on; no annotated copy was written")


def q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # the part name it points to ("xl/worksheets/sheet1.xml"), or the raw URI
    external: bool


def part_name(entry: str) -> str:
    """The zip entry name as an OPC part name key: forward slashes, no leading slash,
    compared without regard to ASCII letter case (as Excel compares them)."""
    return entry.replace("\\", "/").lstrip("/").lower()


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship target (relative to the source part's folder, or absolute) as a part name."""
    target = unquote(target.split("#", 1)[0]).replace("\\", "/")
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target)).lstrip("/")


def relative(source_part: str, target_part: str) -> str:
    """The target URI a relationship of `source_part` needs to reach `target_part`."""
    return quote(posixpath.relpath(target_part, posixpath.dirname(source_part) or "."), safe="/")


class Package:
    """The input package: entries by part name, parsed on request, guarded."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in archive.infolist():
            if info.is_dir():
                continue
            key = part_name(info.filename)
            if key in self.entries:
                raise Unsupported(f"two entries are named {key}")
            self.entries[key] = info
            total += info.file_size
            if (info.file_size > RATIO_FLOOR
                    and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                raise InputError("too-large", f"the workbook part {key} unpacks to "
                                              f"{info.file_size / 2**20:,.0f} MiB at over "
                                              f"{MAX_RATIO}:1, as a decompression bomb does; "
                                              "no annotated copy was written")
        self._refuse_dtds()
        if total > MAX_PACKAGE_BYTES:
            raise InputError("too-large", f"the workbook unpacks to {total / 2**30:.1f} GiB, "
                                          f"over the {MAX_PACKAGE_BYTES // 2**30} GiB an "
                                          "annotated copy is written for")

    def _refuse_dtds(self) -> None:
        """As the reader: a DTD (and so any entity declaration) comes before a part's first
        element. The copy would carry it, so no copy is written."""
        for key, info in self.entries.items():
            if not key.endswith((".xml", ".rels", ".vml")) or not info.file_size:
                continue
            try:
                with self.archive.open(info) as part:
                    prolog = part.read(_PROLOG_LIMIT)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
                continue  # a damaged or encrypted member: parsing it, if needed, says so
            if b"<!DOCTYPE" in prolog:
                refuse_dtd_in(key)

    def has(self, part: str) -> bool:
        return part.lower() in self.entries

    def entry(self, part: str) -> zipfile.ZipInfo:
        info = self.entries.get(part.lower())
        if info is None:
            raise Unsupported(f"the part {part} is missing")
        return info

    def open(self, part: str) -> IO[bytes]:
        info = self.entry(part)
        if info.file_size > MAX_PART_BYTES:
            raise InputError("too-large", f"the workbook part {part} unpacks to "
                                          f"{info.file_size / 2**20:,.0f} MiB, over the "
                                          f"{MAX_PART_BYTES // 2**20:,} MiB limit")
        return self.archive.open(info)

    def read(self, part: str) -> bytes:
        with self.open(part) as handle:
            return handle.read()

    def parse(self, part: str) -> etree._ElementTree:
        try:
            with self.open(part) as handle:
                tree = etree.parse(handle, parser())
        except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise Unsupported(f"the part {part} cannot be parsed ({_short(exc)})") from None
        refuse_dtd(tree, part)
        return tree

    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of `part` ("" for the package's own)."""
        name = rels_name(part) if part else "_rels/.rels"
        if not self.has(name):
            return []
        rels = []
        for el in self.parse(name).getroot():
            if local(el.tag) != "Relationship":
                continue
            external = el.get("TargetMode", "").lower() == "external"
            target = el.get("Target", "")
            rels.append(Relationship(el.get("Id", ""), el.get("Type", ""),
                                     target if external else resolve(part, target), external))
        return rels


def _short(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:120]


# --- writing XML

_DECLARATIONS = re.compile(rb'\sxmlns(?::([\w.-]+))?="([^"]*)"')


def element_bytes(el: etree._Element, in_scope: dict[str | None, str],
                  kept: dict[bytes, bytes] | None = None) -> bytes:
    """`el` serialised (with its tail), without the namespace declarations lxml repeats from its
    ancestors that are already in scope where it is written."""
    data = etree.tostring(el, encoding="UTF-8", with_tail=True)
    if data.startswith(b"<?xml"):
        data = data[data.index(b"?>") + 2:].lstrip()
    match = _DECLARATION_RUN.match(data)
    if match is None:
        return data
    run = match.group(1)
    cleaned = kept.get(run) if kept is not None else None
    if cleaned is None:
        cleaned = without_declarations(run, in_scope)
        if kept is not None:
            kept[run] = cleaned
    return data[:match.start(1)] + cleaned + data[match.end(1):]


# The namespace declarations lxml writes right after an element's name. Most elements a sheet
# writes repeat the same run: `kept` (for one scope) remembers what is left of each.
_DECLARATION_RUN = re.compile(rb'<[^\s>/!?]+((?:\s+xmlns(?::[\w.-]+)?="[^"]*")+)')


def without_declarations(head: bytes, in_scope: dict[str | None, str]) -> bytes:
    """A start tag without the namespace declarations already in scope."""

    def keep(match: re.Match[bytes]) -> bytes:
        prefix = match.group(1).decode() if match.group(1) else None
        return b"" if in_scope.get(prefix) == match.group(2).decode() else match.group(0)

    return _DECLARATIONS.sub(keep, head)


def start_tag(el: etree._Element) -> tuple[bytes, bytes]:
    """The start tag (with its namespace declarations and attributes) and the end tag of `el`,
    to wrap content streamed into it."""
    shell = etree.Element(el.tag, attrib=dict(el.attrib), nsmap=el.nsmap)
    data = etree.tostring(shell, encoding="UTF-8")
    if data.startswith(b"<?xml"):
        data = data[data.index(b"?>") + 2:].lstrip()
    assert data.endswith(b"/>")
    name = data[1:].split(None, 1)[0].rstrip(b"/>")
    return data[:-2] + b">", b"</" + name + b">"


def xml_bytes(tree: etree._ElementTree) -> bytes:
    standalone = tree.docinfo.standalone
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True,
                          standalone=True if standalone is None else standalone)


def iter_children(el: etree._Element) -> Iterator[etree._Element]:
    return (child for child in el if isinstance(child.tag, str))
