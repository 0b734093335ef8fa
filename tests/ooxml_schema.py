"""Validating package parts against the ECMA-376 schemas: Transitional (tests/schemas/ecma-376)
and, for a part in the Strict namespaces, Strict (tests/schemas/ecma-376-strict); see their
READMEs for where they come from. VML is Transitional only (Strict has none), and the package's
own parts (relationships, content types) are the same in both.

Excel writes Office 2010+ markup into the same parts (mc:Ignorable attributes such as
x14ac:dyDescent, mc:AlternateContent blocks); a consumer that does not know those namespaces
ignores them (ECMA-376 Part 3, Markup Compatibility). `errors` does the same before validating:
it drops what the part marks ignorable and keeps an AlternateContent's Fallback.
"""

from __future__ import annotations

import copy
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_IMPORTS = {
    "http://www.w3.org/XML/1998/namespace": "../xml.xsd",
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "sml.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/chart": "dml-chart.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing":
        "dml-spreadsheetDrawing.xsd",
    "urn:schemas-microsoft-com:vml": "vml-main.xsd",
    "urn:schemas-microsoft-com:office:office": "vml-officeDrawing.xsd",
    "urn:schemas-microsoft-com:office:excel": "vml-spreadsheetDrawing.xsd",
    "http://schemas.openxmlformats.org/package/2006/content-types": "opc-contentTypes.xsd",
    "http://schemas.openxmlformats.org/package/2006/relationships": "opc-relationships.xsd",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties":
        "shared-documentPropertiesExtended.xsd",
}
_PURL = "http://purl.oclc.org/ooxml"
_STRICT_IMPORTS = {
    f"{_PURL}/spreadsheetml/main": "sml.xsd",
    f"{_PURL}/drawingml/chart": "dml-chart.xsd",
    f"{_PURL}/drawingml/spreadsheetDrawing": "dml-spreadsheetDrawing.xsd",
    f"{_PURL}/officeDocument/extendedProperties": "shared-documentPropertiesExtended.xsd",
}
STRICT = frozenset(_STRICT_IMPORTS) | {
    f"{_PURL}/officeDocument/relationships", f"{_PURL}/drawingml/main",
    f"{_PURL}/officeDocument/docPropsVTypes", f"{_PURL}/officeDocument/sharedTypes",
}
KNOWN = frozenset(_IMPORTS) - {"http://www.w3.org/XML/1998/namespace"} | {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
} | STRICT


@cache
def schema(strict: bool = False) -> etree.XMLSchema:
    """The Transitional schemas, or the Strict ones (`strict`)."""
    folder, found = ("ecma-376-strict", _STRICT_IMPORTS) if strict else ("ecma-376", _IMPORTS)
    imports = "".join(f'<xsd:import namespace="{ns}" schemaLocation="{location}"/>'
                      for ns, location in found.items())
    wrapper = (f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{imports}'
               "</xsd:schema>")
    base = (SCHEMAS / folder / "_all.xsd").as_uri()
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=base))


def _understood(namespace: str | None) -> bool:
    return namespace is None or namespace in KNOWN or namespace == MC


def _namespace(tag: str) -> str | None:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def preprocess(root: etree._Element) -> etree._Element:
    """Markup compatibility as a consumer of the ECMA-376 namespaces applies it."""
    root = copy.deepcopy(root)
    for el in list(root.iter(f"{{{MC}}}AlternateContent")):
        fallback = el.find(f"{{{MC}}}Fallback")
        parent = el.getparent()
        if parent is None:
            continue
        index = parent.index(el)
        for child in reversed(list(fallback) if fallback is not None else []):
            parent.insert(index, child)
        parent.remove(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        for name in list(el.attrib):
            # xml:space="preserve" is XML's own; Excel writes it on every <t> that needs it,
            # though sml.xsd does not declare it there
            if name.startswith((f"{{{MC}}}", "{http://www.w3.org/XML/1998/namespace}")) or \
                    not _understood(_namespace(name)):
                del el.attrib[name]
        if not _understood(_namespace(el.tag)) and el.getparent() is not None and \
                _namespace(el.getparent().tag) in KNOWN and \
                etree.QName(el.getparent()).localname != "ext":
            el.getparent().remove(el)
    return root


def errors(data: bytes) -> list[str]:
    """What the schemas find wrong with one part (VML: each shape on its own; its root <xml>
    element is no schema's)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = preprocess(etree.fromstring(data, parser))
    documents = [root] if root.tag != "xml" else [child for child in root
                                                   if isinstance(child.tag, str)]
    found = []
    for doc in documents:
        strict = _namespace(doc.tag) in STRICT
        if strict:
            _without_legacy_drawing(doc)
        checker = schema(strict=strict)
        if not checker.validate(etree.ElementTree(doc)):
            found += [f"line {e.line}: {e.message}" for e in checker.error_log][:5]
    return found


def _without_legacy_drawing(root: etree._Element) -> None:
    """The one element a Strict worksheet of nmr-xl's may hold that the Strict schema lacks:
    <legacyDrawing>, naming the VML drawing of the sheet's notes. Excel shows notes only from
    a VML drawing, so the package writer adds one in Strict as in Transitional (Excel declares
    the VML namespace on the worksheets of its own Strict files); left out of the check."""
    if etree.QName(root).localname != "worksheet":
        return
    for el in root.findall(f"{{{_namespace(root.tag)}}}legacyDrawing"):
        root.remove(el)


def is_strict(data: bytes) -> bool:
    """Whether the part's root element is in a Strict namespace."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    return _namespace(root.tag) in STRICT


def transitional_namespaces(data: bytes) -> set[str]:
    """The Transitional Office Open XML namespaces (and relationship types) a part uses: none
    may appear in a Strict package."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    transitional = {ns for ns in KNOWN - STRICT if ns.startswith("http://schemas.openxmlformats")
                    and "/package/" not in ns and "markup-compatibility" not in ns}
    found = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        names = [el.tag, *el.attrib, *el.nsmap.values()]
        found |= {ns for ns in transitional for name in names if ns in name}
        kind = el.get("Type", "") if etree.QName(el).localname == "Relationship" else ""
        if kind.startswith("http://schemas.openxmlformats.org/officeDocument/2006/"):
            found.add(kind)
        uri = el.get("uri", "")  # a:graphicData names its content's namespace
        if uri in transitional:
            found.add(uri)
    return found


def package_errors(path: Path, parts: set[str] | None = None) -> dict[str, list[str]]:
    """Schema errors by part, for every XML part of the package (or those in `parts`) whose
    root element a schema declares."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if parts is not None and name.lower() not in parts:
                continue
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            data = archive.read(info)
            root_ns = _namespace(etree.fromstring(data, etree.XMLParser(
                resolve_entities=False, no_network=True)).tag or "")
            if name.endswith(".vml") or root_ns in _IMPORTS or root_ns in _STRICT_IMPORTS:
                problems = errors(data)
                if problems:
                    found[name] = problems
    return found


def lost_elements(before: bytes, after: bytes) -> Counter[str]:
    """Elements (by name) a rewritten part has fewer of than the original."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

    def counts(data: bytes) -> Counter[str]:
        root = etree.fromstring(data, parser)
        return Counter(el.tag for el in root.iter() if isinstance(el.tag, str))

    lost = counts(before)
    lost.subtract(counts(after))
    return +lost
