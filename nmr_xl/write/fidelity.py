"""What an annotated copy could not carry over, found by comparing the two packages.

openpyxl rebuilds a workbook from what it understands and drops the rest (charts, pivot tables,
threaded comments, Office 2010+ extensions ...). Rather than trust a list of what it supports,
we compare the parts and features of the input and the copy and name every loss.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CHART = "chart"
TABLE = "Excel table"
SHAPE = "shape (text box, arrow, drawing object)"

# (what a user calls it, pattern over lower-cased part names)
_PARTS: list[tuple[str, re.Pattern[str]]] = [
    (label, re.compile(pattern))
    for label, pattern in [
        (CHART, r"xl/charts/chart\d*\.xml$"),
        ("chart sheet", r"xl/chartsheets/sheet\d*\.xml$"),
        ("pivot table", r"xl/pivottables/pivottable\d*\.xml$"),
        ("picture or media file", r"xl/media/"),
        ("threaded comment part", r"xl/threadedcomments/"),
        ("slicer", r"xl/slicers/"),
        ("timeline", r"xl/timelines/"),
        ("form control", r"xl/ctrlprops/"),
        ("ActiveX control", r"xl/activex/"),
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
        ("comment part", r"xl/comments\d*\.xml$"),
    ]
]

# Features that live inside worksheet XML: (label, bytes that mark one)
_SHEET_FEATURES = [
    ("Office 2010+ data validation", b"<x14:dataValidation "),
    ("Office 2010+ conditional format", b"<x14:conditionalFormatting"),
    ("sparkline group", b"<x14:sparklineGroup "),
]
# A drawing part may hold only charts (graphic frames); count the shapes in it instead.
_DRAWING_PART = re.compile(r"xl/drawings/drawing\d*\.xml$")
_SHAPE = re.compile(rb"<(?:\w+:)?(?:sp|cxnSp|grpSp)[ >]")
_FORMULA_WITH_VALUE = re.compile(rb"<f[ >/][^<]*(?:</f>)?\s*<v>")
_SHEET_PART = re.compile(r"xl/worksheets/sheet\d*\.xml$")


@dataclass(frozen=True)
class Inventory:
    """What a package holds that a copy might lose."""

    counts: Counter[str]
    cached_results: bool  # formulas with stored results (openpyxl keeps the formulas only)


def inventory(path: Path) -> Inventory:
    counts: Counter[str] = Counter()
    cached_results = False
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.lower().replace("\\", "/")
            for label, pattern in _PARTS:
                if pattern.search(name):
                    counts[label] += 1
            if _DRAWING_PART.search(name):
                counts[SHAPE] += len(_SHAPE.findall(archive.read(info)))
            if _SHEET_PART.search(name):
                xml = archive.read(info)
                for label, marker in _SHEET_FEATURES:
                    counts[label] += xml.count(marker)
                if not cached_results and _FORMULA_WITH_VALUE.search(xml):
                    cached_results = True
    return Inventory(counts, cached_results)


def _plural(n: int, label: str) -> str:
    return f"{n} {label}" if n == 1 else f"{n} {label}s"


def formula_results_note(original: Inventory) -> list[str]:
    """Known before saving, so the summary sheet can say it without a second save."""
    if not original.cached_results:
        return []
    return ["Formula results are not stored in the copy (the formulas are); Excel "
            "recalculates them when the copy is opened."]


def lost_parts(original: Inventory, copy: Path, added: Counter[str]) -> list[str]:
    """A sentence naming everything the copy has less of than the original, if anything.

    `added` counts the parts the annotation itself put in (the summary's chart and table).
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
