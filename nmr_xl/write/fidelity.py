"""What an annotated copy could not carry over, found by comparing the two packages.

openpyxl rebuilds a workbook from what it understands and drops the rest (charts, pivot tables,
threaded comments, Office 2010+ extensions ...). Rather than trust a list of what it supports,
we compare the parts and features of the input and the copy and name every loss.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CHART = "chart"
TABLE = "Excel table"
SHAPE = "shape (text box, arrow, drawing object)"
EMPTY_TEXT = 'cell holding empty text ("")'
NOTE = "cell note (comment)"
DEFINED_NAME = "defined name (named range)"
WPS_PICTURES = "WPS in-cell picture part"
DYNAMIC_ARRAY = "dynamic-array formula (spilled; the copy keeps a fixed array)"
HEADER_FOOTER = "print header or footer"
READ_ONLY_RECOMMENDED = "read-only-recommended flag"
_PLURALS = {
    SHAPE: "shapes (text boxes, arrows, drawing objects)",
    NOTE: "cell notes (comments)",
    EMPTY_TEXT: 'cells holding empty text ("", blank in the copy)',
    "picture or media file": "pictures or media files",
    "in-cell picture (rich data)": "in-cell pictures (rich data)",
    WPS_PICTURES: "WPS in-cell picture parts",
    DYNAMIC_ARRAY: "dynamic-array formulas (spilled; the copy keeps fixed arrays)",
    HEADER_FOOTER: "print headers or footers",
    "protected range": "protected ranges",
    "XML map": "XML maps",
    "sheet custom property": "sheet custom properties",
    "sort state (the sort last applied)": "sort states (the sort last applied)",
    "add-in (web extension)": "add-ins (web extensions)",
    "Excel 4.0 macro sheet": "Excel 4.0 macro sheets",
    "Excel 5.0 dialog sheet": "Excel 5.0 dialog sheets",
    "control (button, check box, list ...)": "controls (buttons, check boxes, lists ...)",
    DEFINED_NAME: "defined names (named ranges)",
}

# (what a user calls it, pattern over lower-cased part names)
_PARTS: list[tuple[str, re.Pattern[str]]] = [
    (label, re.compile(pattern))
    for label, pattern in [
        (CHART, r"xl/charts/chart\d*\.xml$"),
        ("chart sheet", r"xl/chartsheets/sheet\d*\.xml$"),
        # openpyxl turns these into ordinary worksheets
        ("Excel 4.0 macro sheet", r"xl/macrosheets/sheet\d*\.xml$"),
        ("Excel 5.0 dialog sheet", r"xl/dialogsheets/sheet\d*\.xml$"),
        ("pivot table", r"xl/pivottables/pivottable\d*\.xml$"),
        ("picture or media file", r"xl/media/"),
        ("threaded comment part", r"xl/threadedcomments/"),
        ("slicer", r"xl/slicers/"),
        ("timeline", r"xl/timelines/"),
        ("embedded object", r"xl/embeddings/"),
        ("custom XML part", r"^customxml/item\d*\.xml$"),
        ("data connection", r"xl/connections\.xml$"),
        ("query table", r"xl/querytables/"),
        ("external link", r"xl/externallinks/externallink\d*\.xml$"),
        ("VBA macro project", r"xl/vbaproject\.bin$"),
        ("in-cell picture (rich data)", r"xl/richdata/"),
        ("custom document property part", r"docprops/custom\.xml$"),
        ("add-in (web extension)", r"xl/webextensions/"),
        (TABLE, r"xl/tables/table\d*\.xml$"),
        ("printer settings part", r"xl/printersettings/"),
        (WPS_PICTURES, r"xl/cellimages\.xml$"),
        ("dynamic-array metadata part", r"xl/metadata\.xml$"),
        ("XML map", r"xl/xmlmaps\.xml$"),
    ]
]

# Features that live inside worksheet XML: (label, what marks one). Controls are counted in the
# sheet: openpyxl copies a macro workbook's control parts but drops the controls using them.
_SHEET_FEATURES = [
    (label, re.compile(pattern))
    for label, pattern in [
        ("Office 2010+ data validation", rb"<x14:dataValidation "),
        ("Office 2010+ conditional format", rb"<x14:conditionalFormatting"),
        ("conditional formatting rule", rb"<(?:x:)?cfRule\b"),
        ("sparkline group", rb"<x14:sparklineGroup "),
        ("control (button, check box, list ...)", rb"<(?:\w+:)?control\b"),
        # on: sheet="1" (without it the element only holds settings for when it is turned on)
        ("sheet protection", rb"<(?:\w+:)?sheetProtection\b[^>]*\bsheet\s*=\s*[\"'](?:1|true)"),
        # a cell holding a spilled (dynamic-array) formula points at its metadata with cm=
        (DYNAMIC_ARRAY, rb"<(?:\w+:)?c\b[^>]*\scm\s*=\s*[\"']"),
        (HEADER_FOOTER, rb"<(?:\w+:)?(?:odd|even|first)(?:Header|Footer)\b[^>/]*>[^<]"),
        ("protected range", rb"<(?:\w+:)?protectedRange\b"),
        ("sheet custom property", rb"<(?:\w+:)?customPr\b"),
        ("sort state (the sort last applied)", rb"<(?:\w+:)?sortState\b"),
    ]
]
_DEFINED_NAME = re.compile(rb"<(?:\w+:)?definedName\b")
_READ_ONLY_RECOMMENDED = re.compile(rb"\breadOnlyRecommended\s*=\s*[\"'](?:1|true)")
# A drawing part may hold only charts (graphic frames); count the shapes in it instead.
_DRAWING_PART = re.compile(r"xl/drawings/drawing\d*\.xml$")
_SHAPE = re.compile(rb"<(?:\w+:)?(?:sp|cxnSp|grpSp)[ >]")
# Notes are counted one by one: Excel names their parts xl/comments1.xml, openpyxl
# xl/comments/comment1.xml, and a copy may hold one more part for the notes nmr-xl adds.
_NOTES_PART = re.compile(r"xl/comments(?:\d*|/comment\d*)\.xml$")
_NOTE = re.compile(rb"<(?:\w+:)?comment\b")
_FORMULA_WITH_VALUE = re.compile(rb"<f[ >/][^<]*(?:</f>)?\s*<v>[^<]")  # not <v></v>
_SHEET_PART = re.compile(r"xl/worksheets/sheet\d*\.xml$")
# Cells holding "" (openpyxl writes them as blank cells): shared strings with no text, the
# string cells that use them, and empty inline strings.
_SST_PART = re.compile(r"(?:^|/)sharedstrings\.xml$")
_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_SOME_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>[^<]")
# Text with leading or trailing white space and no xml:space="preserve": Excel shows it trimmed;
# openpyxl keeps the spaces and marks them to be kept.
_SPACE = rb"(?:\s|&#(?:[xX]0*(?:9|[aAdD]|20)|0*(?:9|10|13|32));)"  # or a reference to one
_UNMARKED_SPACES = re.compile(rb"<(?:\w+:)?t\b(?![^>]*preserve)[^>]*(?<!/)>(?:" + _SPACE
                              + rb"[^<]*|[^<]*" + _SPACE + rb")</")
_STRING_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?v>\s*(\d+)\s*</")
_SHARED_TYPE = re.compile(rb"""\bt\s*=\s*["']s["']""")
_EMPTY_INLINE = re.compile(rb"<(?:\w+:)?is\s*/>|<(?:\w+:)?is>\s*(?:<(?:\w+:)?t\b[^>]*/>|"
                           rb"<(?:\w+:)?t\b[^>]*></(?:\w+:)?t>)?\s*</(?:\w+:)?is>")


_OFFICE_DOCUMENT = re.compile(
    rb"<(?:\w+:)?Relationship\b[^>]*?\bType=[\"'][^\"']*/officeDocument[\"'][^>]*>")
_TARGET = re.compile(rb"\bTarget=[\"']([^\"']*)[\"']")
_SHEET_NAME = re.compile(rb"<(?:\w+:)?sheet\s[^>]*?\bname=(?:\"([^\"]*)\"|'([^']*)')")
_STRICT = b"purl.oclc.org/ooxml/spreadsheetml/main"
_MAX_WORKBOOK_PART = 16 * 1024 * 1024


def _workbook_part(archive: zipfile.ZipFile) -> bytes:
    """The workbook part's XML (found as Excel finds it: through the package relationships,
    part names compared case-insensitively), or b"" when there is none."""
    by_name = {info.filename.lower().replace("\\", "/").lstrip("/"): info
               for info in archive.infolist()}
    wanted = None
    rels = by_name.get("_rels/.rels")
    if rels is not None and rels.file_size < _MAX_WORKBOOK_PART:
        match = _OFFICE_DOCUMENT.search(archive.read(rels))
        target = _TARGET.search(match.group(0)) if match else None
        if target:
            wanted = by_name.get(target.group(1).decode("utf-8", "replace").lower().lstrip("/"))
    if wanted is None:
        wanted = next((info for name, info in by_name.items()
                       if name.endswith("workbook.xml")), None)
    if wanted is None or wanted.file_size > _MAX_WORKBOOK_PART:
        return b""
    return archive.read(wanted)


_TRANSITIONAL = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_WORKBOOK_ROOT = re.compile(rb"<(?:\w+:)?workbook\b")


def copy_blocker(path: Path) -> str | None:
    """Why openpyxl would silently misread this package (so a copy would alter it), or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = Counter(info.filename.lower().replace("\\", "/").lstrip("/")
                            for info in archive.infolist() if not info.is_dir())
            xml = _workbook_part(archive)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
        return None  # openpyxl's own error says it
    twice = sorted(name for name, n in names.items() if n > 1)
    if twice:
        return (f"the file holds two parts named {twice[0]} (the same name, or names differing "
                "only in letter case); openpyxl may read a different one than Excel does")
    if _STRICT in xml:
        return ("it is saved as Strict Open XML, which openpyxl reads as a workbook without "
                "sheets; save it from Excel as an ordinary Excel Workbook (.xlsx) to get one")
    if _WORKBOOK_ROOT.search(xml[:4096]) and _TRANSITIONAL not in xml:
        return ("its workbook part is not in the Office Open XML format openpyxl reads (an early "
                "or non-standard variant): openpyxl would read no cells from it")
    return None


def package_sheets(path: Path) -> list[str]:
    """The sheets the workbook declares, in order ([] when that cannot be told)."""
    try:
        with zipfile.ZipFile(path) as archive:
            xml = _workbook_part(archive)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
        return []
    return [html.unescape((double or single).decode("utf-8", "replace"))
            for double, single in _SHEET_NAME.findall(xml)]


@dataclass(frozen=True)
class Inventory:
    """What a package holds that a copy might lose."""

    counts: Counter[str]
    cached_results: bool  # formulas with stored results (openpyxl keeps the formulas only)
    unmarked_spaces: int = 0  # texts Excel shows trimmed that the copy shows with their spaces


def inventory(path: Path) -> Inventory:
    counts: Counter[str] = Counter()
    cached_results = False
    spaces = 0
    with zipfile.ZipFile(path) as archive:
        empty, spaced = _shared_strings(archive)
        workbook = _workbook_part(archive)
        counts[DEFINED_NAME] = len(_DEFINED_NAME.findall(workbook))
        counts[READ_ONLY_RECOMMENDED] = len(_READ_ONLY_RECOMMENDED.findall(workbook))
        for info in archive.infolist():
            name = info.filename.lower().replace("\\", "/")
            for label, pattern in _PARTS:
                if pattern.search(name):
                    counts[label] += 1
            if _DRAWING_PART.search(name):
                counts[SHAPE] += len(_SHAPE.findall(archive.read(info)))
            if _NOTES_PART.search(name):
                counts[NOTE] += len(_NOTE.findall(archive.read(info)))
            if _SHEET_PART.search(name):
                xml = archive.read(info)
                for label, marker in _SHEET_FEATURES:
                    counts[label] += len(marker.findall(xml))
                if not cached_results and _FORMULA_WITH_VALUE.search(xml):
                    cached_results = True
                counts[EMPTY_TEXT] += len(_EMPTY_INLINE.findall(xml))
                spaces += len(_UNMARKED_SPACES.findall(xml))
                if empty or spaced:
                    for attrs, index in _STRING_CELL.findall(xml):
                        if _SHARED_TYPE.search(attrs):
                            counts[EMPTY_TEXT] += int(index) in empty
                            spaces += int(index) in spaced
    return Inventory(counts, cached_results, spaces)


def _shared_strings(archive: zipfile.ZipFile) -> tuple[frozenset[int], frozenset[int]]:
    """Indexes of the shared strings that hold no text at all, and of those with white space
    around them that Excel trims."""
    empty: set[int] = set()
    spaced: set[int] = set()
    for info in archive.infolist():
        if _SST_PART.search(info.filename.lower().replace("\\", "/")):
            for index, match in enumerate(_SI.finditer(archive.read(info))):
                body = match.group(1) or b""
                if not _SOME_TEXT.search(body):
                    empty.add(index)
                elif _UNMARKED_SPACES.search(body):
                    spaced.add(index)
            break
    return frozenset(empty), frozenset(spaced)


def _plural(n: int, label: str) -> str:
    return f"{n} {label}" if n == 1 else f"{n} {_PLURALS.get(label, label + 's')}"


def formula_results_note(original: Inventory) -> list[str]:
    """Known before saving, so the summary sheet can say it without a second save."""
    if not original.cached_results:
        return []
    return ["Formula results are not stored in the copy (the formulas are); Excel "
            "recalculates them when the copy is opened."]


def known_changes(original: Inventory) -> list[str]:
    """What the copy is known to change before it is saved: formula results, trimmed spaces."""
    notes = formula_results_note(original)
    if original.unmarked_spaces:
        n = original.unmarked_spaces
        notes.append(f"{_plural(n, 'text')} {'has' if n == 1 else 'have'} spaces (or line breaks) "
                     "at the start or end that the file does not mark to be kept, so Excel shows "
                     "them trimmed; the copy keeps the spaces, and Excel shows them.")
    return notes


def lost_parts(original: Inventory, copy: Path, added: Counter[str]) -> list[str]:
    """A sentence naming everything the copy has less of than the original, if anything.

    `added` counts what the annotation itself put in (the summary's chart and table, notes).
    """
    before = original.counts
    after = inventory(copy).counts
    after.subtract(added)
    lost = [_plural(before[label] - after[label], label)
            for label in before if before[label] > after[label]]
    if not lost:
        return []
    return ["The annotated copy could not carry over: " + ", ".join(lost)
            + ". The original file still has them."]
