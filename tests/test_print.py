"""How annotated copies print: the page layout as data (nmr_xl.print_layout, the summary's
layout), what the package writer puts into the sheet XML, and one rendering with LibreOffice of
the sample's copy and a provider packet, checked from the PDF: page counts within bounds, every
finding's message in full, the billing sheet printed at or above the scale bound.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import make_workbooks
import pytest
from lxml import etree

from nmr_xl.model import Finding, Severity
from nmr_xl.plan import SummaryData
from nmr_xl.print_layout import (
    SCALE_BOUND,
    Margins,
    OwnPrint,
    best_scale,
    column_points,
    page_breaks,
    sheet_page_setup,
    text_lines,
    usable_points,
)
from nmr_xl.summary_layout import COPY_NOTICE, summary_layout

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "sample-billing.xlsx"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
WIDE = tuple([10.0, 20.0, 12.0] + [9.0] * 10 + [60.0, 50.0] + [11.0] * 10)  # a wide export


# --- the layout as data -------------------------------------------------------------------------


def test_a_fit_to_page_that_shrinks_below_the_bound_is_replaced() -> None:
    own = OwnPrint(widths=WIDE, orientation="landscape", fit=(1, 0), frozen=(4, 2), rows=150)
    page = sheet_page_setup(own, len(WIDE), (len(WIDE) + 1, 60.0), 4, [1, 2, 3], "2026-03-31")
    assert page.scale is not None and SCALE_BOUND <= page.scale <= 100
    assert page.across_then_down and page.title_cols == (1, 2)  # the frozen columns repeat
    assert page.title_rows == (4, 4) and page.freeze is None  # it has a pane of its own
    assert page.orientation is None  # landscape already
    assert page.header and "2026-03-31" in page.header and page.footer == "&CPage &P of &N"


def test_the_sheets_own_settings_are_kept_where_they_read_well() -> None:
    narrow = (10.0, 12.0, 8.0, 8.0)
    own = OwnPrint(widths=narrow, orientation="portrait", fit=(1, 0), title_rows=True,
                   header_footer=True, margins=Margins(0.5, 0.5, 1, 1), rows=40)
    page = sheet_page_setup(own, 4, (5, 40.0), 4, [1], None)
    assert page.scale is None and page.orientation is None  # fits a portrait page at 100%
    assert page.title_rows is None and page.header is None and page.footer is None
    assert page.margins is None and page.freeze == (4, 0)
    scaled = sheet_page_setup(OwnPrint(widths=WIDE, scale=55), len(WIDE), None, 4, [], None)
    assert scaled.scale is None  # a scale the sheet sets itself stays
    assert scaled.orientation == "landscape"  # too wide for a portrait page


def test_best_scale_takes_fewest_pages_at_a_readable_scale() -> None:
    points = [column_points(w) for w in WIDE]
    page = usable_points("landscape", Margins())[0]
    scale, wide = best_scale(points, page, titles=2)
    assert SCALE_BOUND <= scale <= 100 and wide > 1
    assert best_scale([column_points(10)] * 5, page) == (100, 1)


def test_wrapped_text_and_page_breaks() -> None:
    assert text_lines("a" * 30, 30) == 1 and text_lines("word " * 12, 30) >= 2
    assert text_lines("one\ntwo", 30) == 2
    heights = [15.0] * 20
    breaks = page_breaks(heights, [(8, 13)], page=15 * 10)  # rows 8-13 would straddle 10/11
    assert breaks == (7,)
    assert page_breaks(heights, [(5, 4)], page=150) == ()  # an empty block: no endless loop


def _finding(n: int, rule: str, severity: Severity) -> Finding:
    return Finding(rule, "units-exceed-time", severity, "Billing", 4 + n, "Units", f"G{4 + n}",
                   7, "The visit's 47 timed minutes support 3 units; 4 are billed. " * 3,
                   "Bill 3 units, or document the missing minutes in the notes. " * 2)


def test_summary_fits_one_page_wide_with_whole_number_chart_sorted_by_count() -> None:
    findings = [_finding(n, "NMR102" if n % 3 else "NMR205", Severity.ERROR) for n in range(30)]
    data = SummaryData(facts=[("Input", "billing.xlsx"), ("Columns read (Billing)", "x " * 200)],
                       by_severity=[("error", 30), ("warning", 0), ("info", 0)],
                       by_rule=[("NMR102", "units-exceed-time", "error", 20),
                                ("NMR205", "nmr-dx-not-neuromuscular", "warning", 10)],
                       by_payer=[("AARP Medicare Advantage (UHC) Choice Plus", "default", 30)],
                       by_provider=[("Kessler, Laura", 30)], findings=findings,
                       checked_as_of="2026-03-31")
    layout = summary_layout(data, COPY_NOTICE)
    width = sum(column_points(w) for w in layout.widths.values())
    assert layout.page.scale is not None and layout.page.scale >= SCALE_BOUND
    assert width * layout.page.scale / 100 <= usable_points("landscape", layout.page.margins)[0]
    assert layout.chart is not None and layout.chart.major_unit == 2  # 20 in steps of 2
    assert layout.page.title_rows == (layout.table.top, layout.table.top)  # type: ignore[union-attr]
    for cell in layout.cells:  # every wrapped text has the height it needs
        if cell.style and cell.style.wrap_top and isinstance(cell.value, str) and \
                cell.col >= 8:
            lines = text_lines(cell.value, layout.widths[cell.col])
            assert layout.heights.get(cell.row, 17) >= lines * 15


# --- in the sheet XML ---------------------------------------------------------------------------


def test_copy_of_the_sample_carries_the_page_setup(cli, tmp_path: Path) -> None:
    book = tmp_path / "sample" / SAMPLE.name
    book.parent.mkdir()
    book.write_bytes(SAMPLE.read_bytes())
    run = cli("check", book, "--as-of", "2026-03-31", "--format", "json", "--fail-on", "never")
    copy = Path(json.loads(run.out)["files"][0]["output"])
    with zipfile.ZipFile(copy) as archive:
        sheet = etree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
        workbook = archive.read("xl/workbook.xml").decode()
    setup = sheet.find(f"{MAIN}pageSetup")
    assert setup is not None and int(setup.get("scale")) >= SCALE_BOUND
    assert setup.get("pageOrder") == "overThenDown" and setup.get("orientation") == "landscape"
    assert sheet.find(f"{MAIN}sheetPr/{MAIN}pageSetUpPr").get("fitToPage") == "0"
    assert sheet.find(f"{MAIN}headerFooter/{MAIN}oddFooter").text == "&CPage &P of &N"
    order = [etree.QName(el).localname for el in sheet]
    assert order.index("pageMargins") < order.index("pageSetup") < order.index("headerFooter")
    # the sheet's own print title row 4 is kept; its frozen columns A:B are added before it
    assert "'Charge Detail'!$A:$B,'Charge Detail'!$4:$4" in workbook
    assert "'nmr-xl summary'!$" in workbook


# --- rendered with LibreOffice ------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


def _calibri_widths() -> bool:
    """Whether LibreOffice draws Calibri with Calibri's widths (Calibri itself, or Carlito)."""
    match = shutil.which("fc-match")
    if match is None:
        return False
    found = subprocess.run([match, "Calibri"], capture_output=True, text=True).stdout
    return "Carlito" in found or "Calibri" in found


# Bounds for the sample (Letter or A4): pages of the summary, of the billing sheet (four pages
# wide at its scale, at least 20 lines a page tall: the same for a packet's lines) and of the
# cover of Kessler, Laura's packet.
SUMMARY_PAGES, COVER_PAGES = 10, 6


def billing_pages(lines: int) -> int:
    return 4 * math.ceil(lines / 20)


BILLING_PAGES = billing_pages(make_workbooks.sample_expectations().lines)


def _pages(pdf: Path) -> list[tuple[str, Counter[float]]]:
    """Per page: its text in the order it is drawn (a wrapped cell's lines together), and how
    often each word height (points) occurs."""
    def pdftotext(*options: str) -> str:
        return subprocess.run([PDFTOTEXT, *options, str(pdf), "-"], capture_output=True,
                              check=True, text=True).stdout

    texts = pdftotext("-raw").split("\f")
    pages = []
    for index, page in enumerate(pdftotext("-bbox").split("<page ")[1:]):
        words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">', page)
        pages.append((texts[index], Counter(round(float(b) - float(a), 1) for a, b in words)))
    return pages


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None or not _calibri_widths(),
                    reason="LibreOffice (soffice), pdftotext (poppler-utils) or a font with "
                           "Calibri's widths (Carlito: fonts-crosextra-carlito) not installed")
def test_rendered_pages_read_well(cli, tmp_path: Path) -> None:
    book = tmp_path / "sample" / SAMPLE.name
    book.parent.mkdir()
    book.write_bytes(SAMPLE.read_bytes())
    run = cli("check", book, "--as-of", "2026-03-31", "--out", tmp_path / "out", "--packets",
              "--pdf", "--format", "json", "--fail-on", "never")
    result = json.loads(run.out)["files"][0]
    copy_pdf = Path(result["output"]).with_suffix(".pdf")
    packet_pdf = tmp_path / "out" / "sample-billing.checked.Kessler, Laura.pdf"
    assert copy_pdf.is_file() and packet_pdf.is_file(), result["warnings"]

    pages = _pages(copy_pdf)
    summary = [p for p in pages if "nmr-xl summary" in p[0]]
    billing = [p for p in pages if "Charge Detail" in p[0] and p not in summary]
    assert 0 < len(summary) <= SUMMARY_PAGES and 0 < len(billing) <= BILLING_PAGES
    text = re.sub(r"\s+", "", " ".join(p[0] for p in pages))
    for finding in result["findings"]:  # each message in full, wrapped but never cut
        assert re.sub(r"\s+", "", finding["message"]) in text, finding["message"]

    packet = _pages(packet_pdf)
    cover = [p for p in packet if "What to fix first" in p[0]]
    lines = int(re.search(r"Your lines\s+(\d+) billing lines", packet[0][0]).group(1))
    assert 0 < len(cover) <= COVER_PAGES
    assert len(packet) - len(cover) <= billing_pages(lines)
    # The cover prints at 100% in the sheet's own font: a word's height there is the reference
    # for the billing pages' scale (page headers and footers are not scaled: the most common
    # height on a page is its cells').
    reference = packet[0][1].most_common(1)[0][0]
    for _, heights in billing + [p for p in packet if "Charge Detail" in p[0]]:
        assert heights.most_common(1)[0][0] / reference >= SCALE_BOUND / 100 - 0.01
