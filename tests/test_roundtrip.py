"""The annotated copy, read back with readers other than the one that wrote it.

python-calamine checks values and sheet order, openpyxl (data_only=False) checks formulas,
comments, merges, fills, the summary's table, hyperlinks and chart. The input must not change
by a single byte. One test opens the copy in LibreOffice when it is installed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from conftest import (
    AS_OF,
    BILLING_SHEET,
    EXISTING_FILL,
    EXPECTED_FINDINGS,
    FINDINGS_COL,
    FLAGGED_COMMENT,
    HEADER_ROW,
    HIDDEN_SHEET,
    OTHER_SHEET,
    PATIENT_IDS,
    PATIENT_NAMES,
    PLAIN_COMMENT,
    RICH_TEXT_CELL,
    assert_marked,
    build_billing_workbook,
    rewrite_parts,
)
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.utils import column_index_from_string

from nmr_xl.model import Severity
from nmr_xl.plan import FINDINGS_HEADER, NOTE_SEPARATOR, STYLES, SUMMARY_SHEET
from nmr_xl.write.fidelity import formula_results_note, inventory

FORMULA_RESULTS_NOTE = "Formula results are not stored in the copy"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(cli, book: Path, *extra: object) -> dict:
    run = cli("check", book, "--as-of", AS_OF, "--format", "json", "--fail-on", "never", *extra)
    assert run.code == 0, run.out + run.err
    doc = json.loads(run.out)
    (result,) = doc["files"]
    assert result["status"] == "checked", result["error"]
    assert result["output"], "no annotated copy was written"
    return result


def calamine_grids(path: Path) -> dict[str, list[list[object]]]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in book.sheet_names}
    finally:
        book.close()


def grid_value(grid: list[list[object]], row: int, col: int) -> object:
    """0-based; blank ("" or beyond the used area) reads as None."""
    value = grid[row][col] if row < len(grid) and col < len(grid[row]) else None
    return None if value == "" else value


def summary_rows(ws) -> list[tuple]:
    return [tuple(c for c in row) for row in ws.iter_rows(values_only=True)]


def rows_after(rows: list[tuple], heading: str, count: int) -> list[tuple]:
    index = next(i for i, r in enumerate(rows) if r[0] == heading)
    return rows[index + 1: index + 1 + count]


def chart_parts(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(bool(re.fullmatch(r"xl/charts/chart\d+\.xml", n)) for n in archive.namelist())


@pytest.fixture
def checked(cli, billing_xlsx):
    """(input, copy, JSON result) for the fixture workbook, with the input's hash checked."""
    before = sha256(billing_xlsx)
    result = check(cli, billing_xlsx)
    assert sha256(billing_xlsx) == before, "the input file was modified"
    return billing_xlsx, Path(result["output"]), result


# --- values, formulas and sheets -----------------------------------------------------------------


def test_sheets_kept_in_order_after_the_summary(checked):
    source, copy, _ = checked
    original = calamine.CalamineWorkbook.from_path(str(source)).sheet_names
    assert original == [BILLING_SHEET, OTHER_SHEET, HIDDEN_SHEET]
    book = calamine.CalamineWorkbook.from_path(str(copy))
    assert book.sheet_names == [SUMMARY_SHEET, *original]
    visibility = {m.name: m.visible for m in book.sheets_metadata}
    assert visibility[HIDDEN_SHEET] == calamine.SheetVisibleEnum.Hidden
    assert visibility[BILLING_SHEET] == calamine.SheetVisibleEnum.Visible
    assert openpyxl.load_workbook(copy)[HIDDEN_SHEET].sheet_state == "hidden"


def test_every_value_identical_read_by_calamine(checked):
    source, copy, _ = checked
    before, after = calamine_grids(source), calamine_grids(copy)
    findings_col = column_index_from_string(FINDINGS_COL) - 1
    compared = 0
    for name, grid in before.items():
        other = after[name]
        height = max(len(grid), len(other))
        width = max(max(map(len, grid), default=0), max(map(len, other), default=0))
        for r in range(height):
            for c in range(width):
                if name == BILLING_SHEET and c == findings_col:
                    continue  # our column: checked below
                assert grid_value(other, r, c) == grid_value(grid, r, c), (name, r + 1, c + 1)
                compared += grid_value(grid, r, c) is not None
    assert compared > 80
    # Nothing but the findings column was added to the billing sheet.
    billing = after[BILLING_SHEET]
    added = {r + 1 for r in range(len(billing)) if grid_value(billing, r, findings_col)}
    assert added == {HEADER_ROW} | {int(cell[1:]) for _, _, cell in EXPECTED_FINDINGS}


def test_every_cell_and_formula_identical_read_by_openpyxl(checked):
    source, copy, _ = checked
    before = openpyxl.load_workbook(source)  # data_only=False: formula text, not results
    after = openpyxl.load_workbook(copy)
    formulas = 0
    for ws in before.worksheets:
        other = after[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                copied = other[cell.coordinate]
                assert copied.value == cell.value, (ws.title, cell.coordinate)
                assert copied.data_type == cell.data_type, (ws.title, cell.coordinate)
                formulas += cell.data_type == "f"
    assert formulas == 9  # 6 line totals, 2 totals-row sums, 1 on the second sheet
    assert after[BILLING_SHEET]["N7"].value == "=M7*G7"


def test_rich_text_kept(checked):
    _, copy, _ = checked
    cell = openpyxl.load_workbook(copy, rich_text=True)[BILLING_SHEET][RICH_TEXT_CELL]
    assert isinstance(cell.value, CellRichText)
    assert str(cell.value) == "range of motion ROM"
    bold = [part for part in cell.value if isinstance(part, TextBlock)]
    assert [(b.text, bool(b.font.b)) for b in bold] == [("ROM", True)]


def test_merged_cells_fill_and_comments_kept(checked):
    source, copy, _ = checked
    before = openpyxl.load_workbook(source)[BILLING_SHEET]
    after = openpyxl.load_workbook(copy)[BILLING_SHEET]
    assert {str(r) for r in after.merged_cells.ranges} == {str(r) for r in
                                                           before.merged_cells.ranges} == {"A1:D1"}
    fill_cell, colour = EXISTING_FILL
    assert after[fill_cell].fill.fill_type == "solid"
    assert after[fill_cell].fill.fgColor.rgb == colour
    # A note on a clean cell is untouched.
    cell, author, text = PLAIN_COMMENT
    assert (after[cell].comment.text, after[cell].comment.author) == (text, author)
    # A note on a flagged cell is kept, ours appended below it.
    cell, _, text = FLAGGED_COMMENT
    note = after[cell].comment.text
    assert note.startswith(text + NOTE_SEPARATOR)
    assert "NMR102" in note.split(NOTE_SEPARATOR, 1)[1]


# --- our annotations ------------------------------------------------------------------------------


def test_flagged_cells_have_severity_colours_and_notes(checked):
    _, copy, result = checked
    assert [(f["rule"], f["severity"], f["cell"]) for f in result["findings"]] == \
        EXPECTED_FINDINGS
    ws = openpyxl.load_workbook(copy)[BILLING_SHEET]
    assert_marked(ws, EXPECTED_FINDINGS)
    assert ws["G5"].comment is None  # clean cells get no note
    assert ws["G5"].fill.fill_type is None


def test_findings_column(checked):
    _, copy, _ = checked
    ws = openpyxl.load_workbook(copy)[BILLING_SHEET]
    assert ws[f"{FINDINGS_COL}{HEADER_ROW}"].value == FINDINGS_HEADER == "nmr-xl findings"
    for rule, severity, ref in EXPECTED_FINDINGS:
        row = int(ref[1:])
        text = ws[f"{FINDINGS_COL}{row}"].value
        assert text.startswith(f"{rule} {severity}: ")
        assert ws[f"{FINDINGS_COL}{row}"].fill.fgColor.rgb[-6:] == \
            STYLES[Severity(severity)].fill
    assert ws[f"{FINDINGS_COL}5"].value is None


def test_summary_sheet(checked):
    source, copy, _ = checked
    book = openpyxl.load_workbook(copy)
    ws = book[SUMMARY_SHEET]
    assert book.sheetnames[0] == SUMMARY_SHEET
    rows = summary_rows(ws)
    facts = {r[0]: r[1] for r in rows if r[0] and r[1] is not None}
    assert facts["Input"] == source.name
    assert facts["Checked as of"] == AS_OF
    assert facts["Billing lines checked"] == "6"
    assert facts["Sheets checked"] == f"{BILLING_SHEET} (header row {HEADER_ROW}, 6 billing lines)"
    assert "Svc Date" in facts[f"Columns read ({BILLING_SHEET})"]
    assert facts["Suppressed by markers"] == "0"
    assert rows_after(rows, "What this copy could not carry over", 1)[0][0].startswith("Nothing")
    assert [r[:2] for r in rows_after(rows, "Findings by severity", 4)] == [
        ("Severity", "Findings"), ("error", 1), ("warning", 1), ("info", 1)]
    assert [(r[0], r[1]) for r in rows_after(rows, "Findings by rule", 4)] == [
        ("Rule", "Findings"), ("NMR102", 1), ("NMR104", 1), ("NMR206", 1)]

    # The findings table: an Excel table object whose Cell column links to the cells.
    table = ws.tables["nmr_xl_findings"]
    top, bottom = (int(n) for n in re.fullmatch(r"A(\d+):I(\d+)", table.ref).groups())
    assert bottom - top == len(EXPECTED_FINDINGS)
    assert [c.value for c in ws[top]][:9] == ["Severity", "Rule", "Name", "Sheet", "Cell",
                                              "Row", "Column", "Message", "What to do"]
    for offset, (rule, severity, ref) in enumerate(EXPECTED_FINDINGS, start=1):
        row = ws[top + offset]
        assert (row[0].value, row[1].value, row[3].value, row[4].value) == (
            severity, rule, BILLING_SHEET, ref)
        assert row[4].hyperlink is not None
        assert row[4].hyperlink.location == f"'{BILLING_SHEET}'!{ref}"

    # The chart of findings by rule; the second sheet's own chart is kept as well.
    assert len(ws._charts) == 1
    assert len(book[OTHER_SHEET]._charts) == 1
    assert chart_parts(copy) == chart_parts(source) + 1


def test_summary_has_no_patient_data(checked):
    _, copy, _ = checked
    ws = openpyxl.load_workbook(copy)[SUMMARY_SHEET]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)
    for value in PATIENT_IDS + PATIENT_NAMES:
        assert value not in text


def test_nothing_lost_means_no_warnings(checked):
    _, _, result = checked
    assert result["warnings"] == []


def test_existing_summary_sheet_name_is_not_overwritten(cli, tmp_path):
    source = build_billing_workbook(tmp_path / "b.xlsx")
    book = openpyxl.load_workbook(source)
    book.create_sheet(SUMMARY_SHEET)[("A1")] = "the biller's own summary"
    book.save(source)
    copy = openpyxl.load_workbook(check(cli, source)["output"])
    assert copy.sheetnames[:2] == [f"{SUMMARY_SHEET} (2)", BILLING_SHEET]
    assert copy[SUMMARY_SHEET]["A1"].value == "the biller's own summary"


def test_rerun_overwrites_the_copy_from_the_input(cli, billing_xlsx):
    first = check(cli, billing_xlsx)
    second = check(cli, billing_xlsx)
    assert first["output"] == second["output"]
    assert openpyxl.load_workbook(second["output"]).sheetnames.count(SUMMARY_SHEET) == 1


# --- what the copy cannot carry -------------------------------------------------------------------


def _spoilt_chart(tmp_path: Path) -> Path:
    plain = build_billing_workbook(tmp_path / "plain.xlsx")

    def spoil_chart(name: str, data: bytes) -> bytes:
        if name == "xl/charts/chart1.xml":  # an attribute openpyxl's chart reader rejects
            return data.replace(b"<chartSpace ", b'<chartSpace nmrXlUnknown="1" ', 1)
        return data

    return rewrite_parts(plain, tmp_path / "charted.xlsx", spoil_chart)


def test_package_writer_keeps_a_chart_openpyxl_cannot_read(cli, tmp_path):
    book = _spoilt_chart(tmp_path)
    result = check(cli, book)
    assert result["warnings"] == []
    with zipfile.ZipFile(book) as before, zipfile.ZipFile(result["output"]) as after:
        assert after.read("xl/charts/chart1.xml") == before.read("xl/charts/chart1.xml")


def test_unreadable_chart_is_named_as_lost_by_the_openpyxl_path(cli, tmp_path, openpyxl_path):
    """openpyxl keeps charts it can parse (ours above) and drops the others: say so."""
    result = check(cli, _spoilt_chart(tmp_path))
    assert result["warnings"][0].startswith("This copy was written by re-saving the whole "
                                            "workbook through openpyxl")
    assert openpyxl_path in result["warnings"][0]
    lost = [w for w in result["warnings"] if w.startswith("The annotated copy could not carry")]
    assert len(lost) == 1
    assert re.search(r"\b1 chart\b", lost[0])
    assert "The original file still has them" in lost[0]
    # Said on the summary sheet as well.
    ws = openpyxl.load_workbook(result["output"])[SUMMARY_SHEET]
    rows = summary_rows(ws)
    assert [r[0] for r in rows_after(rows, "What this copy could not carry over", 2)] == \
        result["warnings"][:1] + lost
    assert len(openpyxl.load_workbook(result["output"])[OTHER_SHEET]._charts) == 0


def _with_cached_results(source: Path, dest: Path) -> Path:
    """What Excel writes: every formula with its last result (<v>) beside it."""

    def add_results(name: str, data: bytes) -> bytes:
        if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
            return re.sub(rb"(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)", rb"\1<v>120</v>", data)
        return data

    return rewrite_parts(source, dest, add_results)


def test_package_writer_keeps_formula_results(cli, tmp_path):
    book = _with_cached_results(build_billing_workbook(tmp_path / "plain.xlsx"),
                                tmp_path / "cached.xlsx")
    result = check(cli, book)
    assert result["warnings"] == []
    assert calamine_grids(result["output"])[BILLING_SHEET][6][13] == 120  # result and formula
    assert openpyxl.load_workbook(result["output"])[BILLING_SHEET]["N7"].value == "=M7*G7"


def test_formula_results_warning_for_cached_values(cli, tmp_path, openpyxl_path):
    plain = build_billing_workbook(tmp_path / "plain.xlsx")
    book = _with_cached_results(plain, tmp_path / "cached.xlsx")
    assert calamine_grids(book)[BILLING_SHEET][6][13] == 120  # the reader sees the results
    result = check(cli, book)
    notes = [w for w in result["warnings"] if w.startswith(FORMULA_RESULTS_NOTE)]
    assert len(notes) == 1
    assert "Excel recalculates them" in notes[0]
    ws = openpyxl.load_workbook(result["output"])[SUMMARY_SHEET]
    assert notes[0] in [r[0] for r in summary_rows(ws)]
    # The formulas themselves are in the copy.
    assert openpyxl.load_workbook(result["output"])[BILLING_SHEET]["N7"].value == "=M7*G7"


def test_no_formula_results_warning_without_cached_values(checked):
    _, _, result = checked
    assert not any(w.startswith(FORMULA_RESULTS_NOTE) for w in result["warnings"])


def test_formula_results_warning_on_a_corpus_file(corpus_file, tmp_path):
    """A real Excel file with cached formula results, saved through openpyxl."""
    source = corpus_file("calamine/formula.issue.xlsx")
    notes = formula_results_note(inventory(source))
    assert any(n.startswith(FORMULA_RESULTS_NOTE) for n in notes), notes


# --- LibreOffice ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_opens_the_copy(cli, billing_xlsx, tmp_path):
    copy = Path(check(cli, billing_xlsx)["output"])
    out = tmp_path / "lo-out"
    profile = tmp_path / "lo-profile"  # a private profile: no clash with another soffice
    try:
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--convert-to", "csv", "--outdir", str(out), str(copy)],
            capture_output=True, timeout=180, check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("LibreOffice did not convert the annotated copy within 180 s")
    csv = out / "billing.checked.csv"
    assert csv.is_file() and csv.stat().st_size > 0, "LibreOffice could not open the copy"
    assert csv.read_text(encoding="utf-8", errors="replace").startswith("nmr-xl billing check")
