"""Values only copy (nmr_xl.excel.values_only): a copy of the workbook in which every formula
calling an nmr-xl worksheet function shows its value, for someone without the add-in. Against
the xlwings test double, which keeps what Excel's SaveCopyAs saved and opens it again."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwings
import xlwings_double as double
from conftest import BILLING_SHEET, build_billing_workbook

from nmr_xl.excel import ribbon
from nmr_xl.excel.values_only import NMR_FORMULA

ADDIN = r"C:\Users\biller\AppData\Roaming\Microsoft\AddIns\nmr-xl.xlam"
STATUSES = [["OK"], ["Error: NMR102 error: 3 units for 24 minutes."], [""], ["OK"]]


def book_state(book: double.Book) -> dict[str, object]:
    return {s.name: s.double_state() for s in book.sheets}


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> double.Book:
    """The billing workbook with nmr-xl formulas beside the table: NMR_CHECK per line (P), a
    spilled NMR_CHECK_TABLE (Q5:Q8), NMR_UNITS (R5) and NMR_EXPLAIN as a file without the
    add-in names it (S5); the Line Total formulas (N) are Excel's own."""
    loaded = double.load_book(build_billing_workbook(tmp_path / "March.xlsx"))
    sheet = loaded.sheets[BILLING_SHEET]
    for row in (5, 6):
        sheet.range((row, 16)).formula = f"=NMR_CHECK(A{row}:M{row},$A$4:$M$4)"
        sheet.double_cell(row, 16).value = "OK"
    sheet.range("Q5").formula = "=NMR_CHECK_TABLE(A4:M12)"
    sheet.double_spill(5, 17, STATUSES)
    sheet.range("R5").formula = "=nmr_units(F5)"
    sheet.double_cell(5, 18).value = 2.0
    sheet.range("S5").formula = f"='{ADDIN}'!NMR_EXPLAIN(\"NMR102\")"
    sheet.double_cell(5, 19).value = "NMR102 units-exceed-time (error): ..."
    sheet.range("N5").formula = "=M5*G5"
    loaded.sheets[BILLING_SHEET].activate()
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: loaded))
    return loaded


def test_the_copy_shows_values_where_nmr_formulas_were(book: double.Book, tmp_path: Path
                                                      ) -> None:
    before = book_state(book)
    ribbon.values_only_copy()
    ((message, _, mode),) = book.app.double_alerts
    assert (message, mode) == (
        "Saved 'March (values).xlsx' beside this workbook, with 8 cells of nmr-xl formulas "
        "turned into their values, and opened it: send that copy. This workbook is unchanged.",
        "info")
    assert book_state(book) == before
    copy = book.app.double_active_book
    assert copy is not book and copy.fullname == str(tmp_path / "March (values).xlsx")
    saved = book.app.double_files[copy.fullname]
    for opened in (copy, saved):  # the open copy, and the file it was saved to
        sheet = opened.sheets[BILLING_SHEET]
        cells = {(r, c): sheet.double_cell(r, c) for r in range(5, 9) for c in range(16, 20)}
        assert not any(cell.formula for cell in cells.values())
        assert [cells[(r, 16)].value for r in (5, 6)] == ["OK", "OK"]
        assert [cells[(r, 17)].value for r in range(5, 9)] == [s[0] or None for s in STATUSES]
        assert cells[(5, 18)].value == 2.0
        assert cells[(5, 19)].value.startswith("NMR102 units-exceed-time")
        assert sheet.double_cell(5, 14).formula == "=M5*G5"  # Excel's own formulas stay
        assert not any(NMR_FORMULA.search(c.formula or "") for c in sheet._cells.values())


def test_a_second_copy_gets_its_own_name(book: double.Book, tmp_path: Path) -> None:
    (tmp_path / "March (values).xlsx").touch()
    ribbon.values_only_copy()
    assert "Saved 'March (values 2).xlsx'" in book.app.double_alerts[-1][0]


def test_nothing_to_do_without_nmr_formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    plain = double.load_book(build_billing_workbook(tmp_path / "plain.xlsx"))
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: plain))
    ribbon.values_only_copy()
    assert plain.app.double_alerts == [
        ("'plain.xlsx' has no nmr-xl worksheet functions: send it as it is, nobody needs the "
         "add-in to read it.", "nmr-xl", "info")]
    assert plain.app.double_files == {}


@pytest.mark.parametrize(("fullname", "message"), [
    ("Book1", "Save the workbook first: the copy goes beside it."),
    ("https://contoso.sharepoint.com/sites/billing/March.xlsx",
     "This workbook is on OneDrive or SharePoint: save a copy on this computer (File > Save a "
     "Copy), open that and try again."),
])
def test_the_workbook_must_be_a_file_here(book: double.Book, fullname: str,
                                          message: str) -> None:
    book._fullname = fullname
    ribbon.values_only_copy()
    assert book.app.double_alerts == [(message, "nmr-xl", "critical")]
    assert book.app.double_files == {}


def test_a_protected_sheet_with_nmr_formulas_is_refused(book: double.Book) -> None:
    book.sheets[BILLING_SHEET].double_protected = True
    ribbon.values_only_copy()
    assert book.app.double_alerts == [(
        "The sheet 'Billing' is protected, so its nmr-xl formulas cannot be turned into values "
        "in the copy: unprotect it (Review > Unprotect Sheet) and try again.", "nmr-xl",
        "critical")]
    assert book.app.double_files == {}


@pytest.mark.parametrize(("formula", "calls"), [
    ("=NMR_CHECK(A5:P5)", True), ("=IF(nmr_check(A5:P5)=\"OK\",1,0)", True),
    ("='C:\\x\\nmr-xl.xlam'!NMR_UNITS(F5)", True), ("=_xludf.NMR_EXPLAIN(B2)", True),
    ("=MYNMR_CHECK(A1)", False), ("=SUM(NMR_CHECKS)", False), ("NMR_CHECK(", True),
])
def test_which_formulas_call_nmr_functions(formula: str, calls: bool) -> None:
    assert bool(NMR_FORMULA.search(formula)) == calls
