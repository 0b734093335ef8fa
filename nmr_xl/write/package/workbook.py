"""The workbook-level parts a new sheet must be listed in: the workbook part (its sheet list, and
the sheet positions that defined names and the window refer to), its relationships, the content
types and the application properties' list of sheet names.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from lxml import etree

from nmr_xl.model import column_letter
from nmr_xl.write.package.opc import (
    CONFORMANCES,
    CONTENT_TYPES,
    PACKAGE_REL,
    REL_OFFICE_DOCUMENT,
    REL_WORKSHEET,
    Conformance,
    Package,
    Unsupported,
    conformance,
    local,
    namespace_of,
    q,
    relative,
    rels_name,
)

_RID = re.compile(r"^rId(\d+)$")
PRINT_TITLES = "_xlnm.Print_Titles"
_TITLE_COLUMNS = re.compile(r"!\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?:,|$)")
_TITLE_ROWS = re.compile(r"!\$?\d+:\$?\d+(?:,|$)")
# CT_Workbook's children after definedNames, to put a new <definedNames> before them
_AFTER_DEFINED_NAMES = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches",
                        "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr",
                        "webPublishObjects", "extLst")


@dataclass
class SheetEntry:
    name: str
    element: etree._Element
    part: str | None  # the worksheet part (None: not a worksheet, or not found)


class WorkbookParts:
    """The workbook part, parsed, with its sheets and relationships, and the conformance class
    (`ns`) the package is in: its relationship types and the workbook's namespace agree."""

    def __init__(self, pkg: Package) -> None:
        office = [(r, c) for r in pkg.relationships("") for c in CONFORMANCES
                  if r.type == c.rel(REL_OFFICE_DOCUMENT) and not r.external]
        if not office:
            raise Unsupported("the package names no workbook part")
        self.part, named_as = office[0][0].target, office[0][1]
        self.tree = pkg.parse(self.part)
        root = self.tree.getroot()
        found = conformance(namespace_of(root.tag))
        if found is None or local(root.tag) != "workbook":
            raise Unsupported(f"its workbook part is not SpreadsheetML ({local(root.tag)})")
        if found is not named_as:
            raise Unsupported(f"its workbook part is {found.name} Open XML but the package "
                              f"names it as {named_as.name} does")
        self.ns: Conformance = found
        self.rels_part = rels_name(self.part)
        self.rels_tree = (pkg.parse(self.rels_part) if pkg.has(self.rels_part) else
                          etree.ElementTree(etree.Element(q(PACKAGE_REL, "Relationships"),
                                                          nsmap={None: PACKAGE_REL})))
        self.rels = {r.id: r for r in pkg.relationships(self.part)}
        self.sheets_el = root.find(q(self.ns.main, "sheets"))
        if self.sheets_el is None:
            raise Unsupported("the workbook part lists no sheets")
        self.sheets = []
        for el in self.sheets_el.iter(q(self.ns.main, "sheet")):
            rel = self.rels.get(el.get(q(self.ns.relationships, "id"), ""))
            part = (rel.target if rel and rel.type == found.rel(REL_WORKSHEET)
                    and not rel.external else None)
            self.sheets.append(SheetEntry(el.get("name", ""), el, part))

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.part)

    def sheet(self, name: str) -> SheetEntry:
        for entry in self.sheets:
            if entry.name == name:
                if entry.part is None:
                    raise Unsupported(f"the sheet {name} is not a worksheet part")
                return entry
        raise Unsupported(f"the workbook lists no sheet {name}")

    def add_sheets(self, new: list[tuple[int, str, str]]) -> None:
        """Insert sheets (position among the original sheets where it goes before, name,
        relationship id), keeping every position-based reference on the same sheet."""
        old = list(self.sheets_el.iter(q(self.ns.main, "sheet")))
        order: list[etree._Element | tuple[str, str]] = list(old)
        for position, name, rid in sorted(new, key=lambda n: n[0], reverse=True):
            order.insert(position, (name, rid))
        next_id = max((int(el.get("sheetId", "0")) for el in old if
                       el.get("sheetId", "").isdigit()), default=0) + 1
        moved = {}
        for index, item in enumerate(order):
            if isinstance(item, tuple):
                name, rid = item
                el = self.sheets_el.makeelement(q(self.ns.main, "sheet"), {})
                el.set("name", name)
                el.set("sheetId", str(next_id))
                el.set(q(self.ns.relationships, "id"), rid)
                next_id += 1
                if index < len(self.sheets_el):
                    self.sheets_el.insert(index, el)
                else:
                    self.sheets_el.append(el)
            else:
                moved[old.index(item)] = index
        root = self.tree.getroot()
        for name in root.iter(q(self.ns.main, "definedName")):
            _shift(name, "localSheetId", moved)
        for view in root.iter(q(self.ns.main, "workbookView")):
            _shift(view, "activeTab", moved, default="0")
            if view.get("firstSheet", "0") != "0":  # at 0 the tab strip shows our summary
                _shift(view, "firstSheet", moved)

    def _print_titles(self, name: str) -> etree._Element | None:
        names = self._sheet_names()
        if name not in names:
            return None
        index = str(names.index(name))
        for el in self.tree.getroot().iter(q(self.ns.main, "definedName")):
            if el.get("name", "").lower() == PRINT_TITLES.lower() and \
                    el.get("localSheetId") == index:
                return el
        return None

    def print_titles_of(self, name: str) -> tuple[bool, bool]:
        """Whether the sheet `name` has print title (rows, columns) of its own."""
        el = self._print_titles(name)
        text = (el.text or "") if el is not None else ""
        return bool(_TITLE_ROWS.search(text)), bool(_TITLE_COLUMNS.search(text))

    def add_print_titles(self, name: str, rows: tuple[int, int] | None,
                         cols: tuple[int, int] | None) -> None:
        """Print title rows and columns for the sheet `name` (listed in the workbook already),
        added to the ones it has: columns first, as Excel writes them."""
        if rows is None and cols is None:
            return
        el = self._print_titles(name)
        text = print_titles_text(name, rows, cols, el.text if el is not None else None)
        if el is None:
            el = etree.SubElement(self._defined_names(), q(self.ns.main, "definedName"),
                                  name=PRINT_TITLES,
                                  localSheetId=str(self._sheet_names().index(name)))
        el.text = text

    def _sheet_names(self) -> list[str]:
        """The sheets' names in their order now (position = localSheetId)."""
        return [el.get("name", "") for el in self.sheets_el.iter(q(self.ns.main, "sheet"))]

    def _defined_names(self) -> etree._Element:
        root = self.tree.getroot()
        found = root.find(q(self.ns.main, "definedNames"))
        if found is None:
            found = root.makeelement(q(self.ns.main, "definedNames"), {})
            later = [child for child in root if isinstance(child.tag, str)
                     and local(child.tag) in _AFTER_DEFINED_NAMES]
            if later:
                later[0].addprevious(found)
            else:
                root.append(found)
        return found

    def add_relationship(self, kind: str, target_part: str) -> str:
        """A relationship of the workbook part, of `kind` ("worksheet" ...) in its class."""
        return add_rel(self.rels_tree.getroot(), self.ns.rel(kind),
                       relative(self.part, target_part))


def print_titles_text(name: str, rows: tuple[int, int] | None, cols: tuple[int, int] | None,
                      existing: str | None = None) -> str:
    """The value of a sheet's _xlnm.Print_Titles: columns first, as Excel writes them, around
    what it has (`existing`)."""
    quoted = "'" + name.replace("'", "''") + "'!"
    parts = []
    if cols:
        parts.append(f"{quoted}${column_letter(cols[0])}:${column_letter(cols[1])}")
    if existing:
        parts.append(existing)
    if rows:
        parts.append(f"{quoted}${rows[0]}:${rows[1]}")
    return ",".join(parts)


def _shift(el: etree._Element, attribute: str, moved: dict[int, int],
           default: str | None = None) -> None:
    value = el.get(attribute, default)
    if value is not None and value.isdigit() and int(value) in moved:
        el.set(attribute, str(moved[int(value)]))


def next_rid(rels_root: etree._Element) -> str:
    numbers = [int(m.group(1)) for el in rels_root if (m := _RID.match(el.get("Id", "")))]
    ids = {el.get("Id") for el in rels_root}
    n = max(numbers, default=0) + 1
    while f"rId{n}" in ids:
        n += 1
    return f"rId{n}"


def new_rels() -> etree._Element:
    return etree.Element(q(PACKAGE_REL, "Relationships"), nsmap={None: PACKAGE_REL})


def add_rel(root: etree._Element, type_: str, target: str) -> str:
    rid = next_rid(root)
    etree.SubElement(root, q(PACKAGE_REL, "Relationship"), Id=rid, Type=type_, Target=target)
    return rid


def add_content_types(tree: etree._ElementTree, overrides: dict[str, str],
                      defaults: dict[str, str]) -> None:
    root = tree.getroot()
    present = {el.get("Extension", "").lower() for el in root.iter(q(CONTENT_TYPES, "Default"))}
    for extension, content_type in defaults.items():
        if extension not in present:
            el = root.makeelement(q(CONTENT_TYPES, "Default"),
                                  {"Extension": extension, "ContentType": content_type})
            # the schema lists every Default before the Overrides
            first_override = root.find(q(CONTENT_TYPES, "Override"))
            if first_override is None:
                root.append(el)
            else:
                first_override.addprevious(el)
    for part, content_type in overrides.items():
        etree.SubElement(root, q(CONTENT_TYPES, "Override"), PartName="/" + part,
                         ContentType=content_type)


def add_sheet_titles(tree: etree._ElementTree, first_sheet: str, titles: list[str],
                     ns: Conformance) -> bool:
    """Put `titles` first in the application properties' list of worksheet names, when that list
    is the usual one (worksheets first, headed by `first_sheet`) in the package's class `ns`;
    False when left alone."""
    root = tree.getroot()
    pairs = root.find(q(ns.extended, "HeadingPairs"))
    parts = root.find(q(ns.extended, "TitlesOfParts"))
    if pairs is None or parts is None:
        return False
    pair_vector, title_vector = pairs.find(q(ns.vt, "vector")), parts.find(q(ns.vt, "vector"))
    if pair_vector is None or title_vector is None or len(pair_vector) < 2:
        return False
    count = pair_vector[1].find(q(ns.vt, "i4"))
    names = list(title_vector)
    if count is None or not (count.text or "").isdigit() or not names or \
            names[0].text != first_sheet:
        return False
    for offset, title in enumerate(titles):
        el = title_vector.makeelement(q(ns.vt, "lpstr"), {})
        el.text = title
        title_vector.insert(offset, el)
    count.text = str(int(count.text or "0") + len(titles))
    title_vector.set("size", str(len(title_vector)))
    return True
