"""Shared fixtures for the file-level tests: a small billing workbook built with openpyxl, a
macro-enabled copy of it, an in-process CLI runner and the location of the shared corpus.

The billing workbook deliberately carries what real exports and billers' own edits carry: title
rows (one merged) above the header, header synonyms (`Acct #`, `Svc Date`, `CPT/HCPCS`,
`Tx Min`, `Primary Ins`, `Cred`), formulas, cell comments, an existing fill, a rich-text cell, a
totals row, a second non-billing sheet with a chart and a hidden sheet.

With the default rows and AS_OF it produces exactly the findings in EXPECTED_FINDINGS.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.cli import main
from nmr_xl.model import Severity
from nmr_xl.plan import NOTE_AUTHOR, NOTE_SEPARATOR, STYLES

REPO_ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"  # every check passes --as-of: results must not depend on today's date

BILLING_SHEET = "Billing"
OTHER_SHEET = "Notes"
HIDDEN_SHEET = "Lookup"
HEADER_ROW = 4
HEADER = ["Acct #", "Patient Name", "Svc Date", "CPT/HCPCS", "Mod", "Tx Min", "Units",
          "Primary Ins", "Rendering Provider", "Cred", "Dx 1", "Notes", "Charge", "Line Total"]
FIRST_DATA_ROW = HEADER_ROW + 1
FORMULA_COL = "N"  # Line Total = Charge * Units, one formula per billing line
FINDINGS_COL = "O"  # the first column right of the used range

# Patient identifiers that must never leave the workbook (reports, stdout, stderr).
PATIENT_IDS = ("ZQ-48213", "XV-99017", "KP-10001")
PATIENT_NAMES = ("Zebediah Quxworth", "Philomena Vantablack", "Kasimir Plonk")


def _d(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day)


# Medicare visit, 24 + 23 timed minutes billed 2 + 1 units: correct under the 8-minute rule.
CLEAN_ROWS: list[list[object]] = [
    ["ZQ-48213", "Zebediah Quxworth", _d(2), "97112-GP", None, 24, 2, "Medicare", "Dr A", "PT",
     "G20", "balance training", 60],
    ["ZQ-48213", "Zebediah Quxworth", _d(2), "97110", "GP", 23, 1, "Medicare", "Dr A", "PT",
     "G20", "strength", 40],
]
# 10 minutes of 97112 billed as 2 units: NMR102 (error) on its Units cell.
ERROR_ROWS: list[list[object]] = [
    ["XV-99017", "Philomena Vantablack", _d(3), "97112", "GP", 10, 2, "Aetna", "Dr B", "PT",
     "G35", "proprioception", 60],
    ["XV-99017", "Philomena Vantablack", _d(4), "97110", "GP", 30, 2, "Aetna", "Dr B", "PT",
     "G35", "ROM", 40],
]
# 97112 for strengthening: NMR206 (warning) on the notes cell.
WARNING_ROWS: list[list[object]] = [
    ["KP-10001", "Kasimir Plonk", _d(5), "97112", "GP", 25, 2, "Aetna", "Dr B", "PT", "G35",
     "strengthening", 60],
]
# 40 minutes billed as 1 unit: NMR104 (info) on the Units cell.
INFO_ROWS: list[list[object]] = [
    ["KP-10001", "Kasimir Plonk", _d(6), "97110", "GP", 40, 1, "Aetna", "Dr B", "PT", "G35",
     "exercise", 40],
]
DEFAULT_ROWS = CLEAN_ROWS + ERROR_ROWS + WARNING_ROWS + INFO_ROWS
# (rule, severity, cell) of the default workbook, in report order.
EXPECTED_FINDINGS = [("NMR102", "error", "G7"), ("NMR206", "warning", "L9"),
                     ("NMR104", "info", "G10")]
# A note already on a cell that gets a finding (ours is appended) and one on a clean cell.
FLAGGED_COMMENT = ("G7", "Biller", "units confirmed with front desk")
PLAIN_COMMENT = ("F5", "Biller", "minutes from the day sheet")
EXISTING_FILL = ("L6", "FF00B050")
RICH_TEXT_CELL = "L8"


def build_billing_workbook(path: Path, rows: Sequence[Sequence[object]] | None = None, *,
                           extras: bool = True, chart: bool = True) -> Path:
    """Write a small billing workbook to `path` and return it.

    `extras` adds the title rows' merge, comments, fill, rich text, totals row and the other
    sheets; `chart` puts a bar chart on the second sheet.
    """
    rows = DEFAULT_ROWS if rows is None else rows
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = BILLING_SHEET
    ws["A1"] = "Sunrise Chiropractic & Rehab - charge export"
    ws["A2"] = "Period: March 2026"
    for col, text in enumerate(HEADER, start=1):
        ws.cell(row=HEADER_ROW, column=col, value=text)
    for offset, values in enumerate(rows):
        row = FIRST_DATA_ROW + offset
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value)
        ws[f"{FORMULA_COL}{row}"] = f"=M{row}*G{row}"
    last = FIRST_DATA_ROW + len(rows) - 1
    if not extras:
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path

    ws.merge_cells("A1:D1")
    totals = last + 2  # a totals row has no code: not a billing line
    ws[f"L{totals}"] = "Total"
    ws[f"M{totals}"] = f"=SUM(M{FIRST_DATA_ROW}:M{last})"
    ws[f"{FORMULA_COL}{totals}"] = f"=SUM({FORMULA_COL}{FIRST_DATA_ROW}:{FORMULA_COL}{last})"
    for cell, author, text in (FLAGGED_COMMENT, PLAIN_COMMENT):
        if ws[cell].value is not None:
            ws[cell].comment = Comment(text, author)
    ws[EXISTING_FILL[0]].fill = PatternFill("solid", fgColor=EXISTING_FILL[1])
    if ws[RICH_TEXT_CELL].value is not None:
        ws[RICH_TEXT_CELL] = CellRichText(
            ["range of motion ", TextBlock(InlineFont(b=True), "ROM")])

    other = wb.create_sheet(OTHER_SHEET)
    other["A1"] = "Month"
    other["B1"] = "Visits"
    for offset, (month, visits) in enumerate((("Jan", 41), ("Feb", 38), ("Mar", 45)), start=2):
        other[f"A{offset}"] = month
        other[f"B{offset}"] = visits
    other["A6"] = "Total"
    other["B6"] = "=SUM(B2:B4)"
    if chart:
        bar = BarChart()
        bar.title = "Visits per month"
        bar.add_data(Reference(other, min_col=2, min_row=1, max_row=4), titles_from_data=True)
        bar.set_categories(Reference(other, min_col=1, min_row=2, max_row=4))
        other.add_chart(bar, "D2")

    hidden = wb.create_sheet(HIDDEN_SHEET)
    hidden["A1"] = "code"
    hidden["B1"] = "fee"
    hidden["A2"] = "97112"
    hidden["B2"] = 60
    hidden.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def rewrite_parts(source: Path, dest: Path,
                  edit: Callable[[str, bytes], bytes | None],
                  add: dict[str, bytes] | None = None) -> Path:
    """Copy a zip package part by part; `edit(name, data)` returns new bytes (None drops it)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dest


# A workbook saved as ISO/IEC 29500 Strict names its parts' markup: each
# Transitional namespace (and relationship type) by its Strict name (ECMA-376 Part 1, the Strict
# schemas in tests/schemas/ecma-376-strict), the extended properties' type first.
_TO_STRICT = [
    (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
     b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     b"http://purl.oclc.org/ooxml/officeDocument/relationships"),
    (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
     b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
    (b"http://schemas.openxmlformats.org/drawingml/2006/main",
     b"http://purl.oclc.org/ooxml/drawingml/main"),
    (b"http://schemas.openxmlformats.org/drawingml/2006/chart",
     b"http://purl.oclc.org/ooxml/drawingml/chart"),
    (b"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
     b"http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
     b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
     b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"),
]


def _strict(name: str, data: bytes) -> bytes:
    for transitional, strict in _TO_STRICT:
        data = data.replace(transitional, strict)
    if name == "xl/styles.xml":  # Strict names a border's left and right sides start and end
        data = re.sub(rb"<(/?)left\b", rb"<\1start", re.sub(rb"<(/?)right\b", rb"<\1end", data))
    return data


def to_strict(source: Path, dest: Path) -> Path:
    """`source` (a Transitional workbook) as a Strict one, at `dest`."""
    return rewrite_parts(source, dest, _strict)


# Stand-in for a VBA project: openpyxl cannot create one, and nmr-xl only has to carry the part
# over byte for byte. The OLE magic makes it look like the real thing to a sniffer.
FAKE_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"nmr-xl test VBA project\x00" * 40
_SHEET_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def assert_marked(ws: Worksheet, expected: Sequence[tuple[str, str, str]]) -> None:
    """Each (rule, severity, cell) is coloured with its severity's style and carries our note."""
    for rule, severity, ref in expected:
        style = STYLES[Severity(severity)]
        cell = ws[ref]
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb[-6:] == style.fill, ref
        assert cell.font.color.rgb[-6:] == style.font, ref
        assert cell.comment is not None and rule in cell.comment.text
        # a note of the sheet's own keeps its author; ours is added below it
        assert cell.comment.author == NOTE_AUTHOR or NOTE_SEPARATOR in cell.comment.text


def make_xlsm(source: Path, dest: Path, vba: bytes = FAKE_VBA) -> Path:
    """Turn an openpyxl-written .xlsx into a macro-enabled .xlsm holding `vba` as its project."""

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(_SHEET_MAIN, _MACRO_MAIN)
            return data.replace(b"<Default ", b'<Default Extension="bin" ContentType='
                                              b'"application/vnd.ms-office.vbaProject"/><Default ',
                                1)
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", (
                b'<Relationship Id="rIdNmrXlVba" Type="http://schemas.microsoft.com/office/'
                b'2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'))
        return data

    return rewrite_parts(source, dest, edit, {"xl/vbaProject.bin": vba})


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """Run `nmr-xl ARGS...` in-process; argparse's SystemExit becomes the exit code."""

    def run(*args: object) -> CliRun:
        capsys.readouterr()  # drop anything printed before
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: misuse (2), --help / --version (0)
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


@pytest.fixture
def openpyxl_path(monkeypatch: pytest.MonkeyPatch) -> str:
    """Copies go through the openpyxl fallback, as for a package the package writer refuses.
    Returns the reason it gives, which the copy's first warning names."""
    from nmr_xl.write import xlsx
    from nmr_xl.write.package import Unsupported

    reason = "a test sends this workbook to openpyxl"

    def refuse(*_: object) -> None:
        raise Unsupported(reason)

    monkeypatch.setattr(xlsx, "write_package_copy", refuse)
    return reason


@pytest.fixture
def billing_xlsx(tmp_path: Path) -> Path:
    """The full fixture workbook (findings of every severity), in its own folder."""
    return build_billing_workbook(tmp_path / "in" / "billing.xlsx")


@pytest.fixture
def clean_xlsx(tmp_path: Path) -> Path:
    """A billing workbook with no findings."""
    return build_billing_workbook(tmp_path / "in" / "clean.xlsx", CLEAN_ROWS)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder (../shared from the repo root, or $NMR_XL_SHARED_DIR)."""
    override = os.environ.get("NMR_XL_SHARED_DIR")
    path = Path(override) if override else REPO_ROOT.parent / "shared"
    if not (path / "corpus").is_dir():
        pytest.skip(f"shared corpus not available: {path / 'corpus'} does not exist "
                    "(set NMR_XL_SHARED_DIR to the folder holding corpus/)")
    return path


@pytest.fixture
def corpus_file(shared_dir: Path) -> Callable[[str], Path]:
    """corpus_file("calamine/pass_protected.xlsx") -> its path, skipping when it is absent."""

    def find(relative: str) -> Path:
        path = shared_dir / "corpus" / relative
        if not path.is_file():
            pytest.skip(f"corpus file {relative} is not in {shared_dir / 'corpus'}")
        return path

    return find


@pytest.fixture(scope="session", autouse=True)
def _home_without_addin_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The add-in reads its user's settings file (nmr_xl.excel.settings, in the home folder):
    the tests read an empty home folder, never the tester's own settings."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("USERPROFILE", str(home))
        yield
