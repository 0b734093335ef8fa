"""Check in place and Clear (nmr_xl.excel.in_place, the ribbon's entry points) against the xlwings
test double (tests/xlwings_double.py): Clear leaves the sheet as it was, a second check leaves
one set of marks, the biller's edits survive, and the marks equal the annotated copy's.
"""

from __future__ import annotations

import copy
import inspect
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import make_workbooks
import openpyxl
import pytest
import xlwings
import xlwings.main as xw_main
import xlwings_double as double
from conftest import (
    BILLING_SHEET,
    DEFAULT_ROWS,
    EXPECTED_FINDINGS,
    FLAGGED_COMMENT,
    build_billing_workbook,
)
from openpyxl.utils import column_index_from_string, get_column_letter
from xlwings_double import rgb

from nmr_xl.config.load import load_config
from nmr_xl.excel import ribbon
from nmr_xl.excel.in_place import check_in_place, clear, note_after_clear
from nmr_xl.excel.undo import UNDO_SHEET
from nmr_xl.excel.xl_cells import blocks
from nmr_xl.model import Severity
from nmr_xl.plan import FINDINGS_HEADER, NOTE_SEPARATOR, STYLES, SUMMARY_SHEET
from nmr_xl.print_layout import FINDINGS_MAX_WIDTH
from nmr_xl.runner import check_file
from nmr_xl.summary_layout import IN_PLACE_NOTICE, NOTICE_ROWS

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "sample-billing.xlsx"
SAMPLE_SHEET = "Charge Detail"
AS_OF = make_workbooks.AS_OF
CONFIG = load_config()


def check(book: double.Book, sheet: str) -> str:
    """What the Check button does on `sheet`, the active sheet."""
    book.sheets[sheet].activate()
    return check_in_place(book, book.sheets[sheet], CONFIG, AS_OF)  # type: ignore[arg-type]


def book_state(book: double.Book) -> dict[str, object]:
    return {"sheets": [(s.name, s.visible) for s in book.sheets],
            "active": book.sheets.active.name,
            **{s.name: s.double_state() for s in book.sheets}}


@pytest.fixture(scope="module")
def sample_book() -> double.Book:
    return double.load_book(SAMPLE)


@pytest.fixture
def sample(sample_book: double.Book) -> double.Book:
    return copy.deepcopy(sample_book)


@pytest.fixture
def billing(tmp_path: Path) -> double.Book:
    """The small fixture workbook: a note on a flagged cell, a fill, a second sheet."""
    return double.load_book(build_billing_workbook(tmp_path / "billing.xlsx"))


# --- the double offers only real xlwings API -------------------------------------------------

_PAIRS = [(double.App, xw_main.App), (double.Book, xw_main.Book),
          (double.Sheets, xw_main.Sheets), (double.Sheet, xw_main.Sheet),
          (double.Range, xw_main.Range), (double.Font, xw_main.Font),
          (double.Note, xw_main.Note), (double.Charts, xw_main.Charts),
          (double.Chart, xw_main.Chart), (double.ChartLegend, xw_main.ChartLegend),
          (double.Tables, xw_main.Tables), (double.Table, xw_main.Table),
          (double.Comments, xw_main.Comments), (double.Comment, xw_main.Comment),
          (double.Books, xw_main.Books), (double.RangeRows, xw_main.RangeRows),
          (double.RangeColumns, xw_main.RangeColumns)]
_PROTOCOL = {"__len__", "__iter__", "__getitem__", "__contains__"}


@pytest.mark.parametrize(("fake", "real"), _PAIRS, ids=lambda c: c.__name__)
def test_double_offers_only_real_xlwings_api(fake: type, real: type) -> None:
    """Every public name of the double exists on the xlwings class, as the same kind of thing
    (a property the adapter sets has a setter there too; a method takes the same arguments).
    `double_*` names are the tests' own inspection helpers."""
    offered = {name: value for cls in reversed(fake.__mro__[:-1])
               for name, value in vars(cls).items()}
    names = [n for n in offered if n in _PROTOCOL
             or not (n.startswith("_") or n.startswith("double_"))]
    assert names
    for name in names:
        assert hasattr(real, name), f"{real.__name__}.{name} is not xlwings API"
        ours, theirs = offered[name], inspect.getattr_static(real, name)
        if isinstance(ours, property):
            assert isinstance(theirs, property), f"{real.__name__}.{name} is no property"
            assert ours.fset is None or theirs.fset is not None, f"{name} cannot be set"
        else:
            params = inspect.signature(theirs).parameters
            takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
            for param in list(inspect.signature(ours).parameters)[1:]:
                assert takes_any or param in params, f"{real.__name__}.{name}({param}=...)"


def test_ribbon_uses_the_caller_book_api() -> None:
    assert inspect.ismethod(xlwings.Book.caller)  # a classmethod, as ribbon.py calls it


# --- check, then clear -----------------------------------------------------------------------


def test_check_marks_the_sheet_and_clear_restores_it(sample: double.Book) -> None:
    expected = make_workbooks.sample_expectations()
    severities = Counter(f.severity for f in check_file(SAMPLE, CONFIG, AS_OF,
                                                        annotate=False).findings)
    assert sum(severities.values()) == len(expected.findings)
    before = book_state(sample)
    message = check(sample, SAMPLE_SHEET)
    assert message.startswith(
        f"Checked {expected.lines} billing lines on 'Charge Detail': "
        f"{severities[Severity.ERROR]} errors, {severities[Severity.WARNING]} warnings, "
        f"{severities[Severity.INFO]} info.")
    names = [s.name for s in sample.sheets]
    assert names == [UNDO_SHEET, SAMPLE_SHEET, SUMMARY_SHEET, "Fee Schedule"]
    assert not sample.sheets[UNDO_SHEET].visible
    assert sample.sheets.active.name == SAMPLE_SHEET  # the biller stays on the checked sheet
    assert book_state(sample) != before

    assert clear(sample, sample.sheets[SAMPLE_SHEET]).startswith("Cleared the nmr-xl marks")
    assert book_state(sample) == before


def test_clear_restores_own_fills_font_colours_notes_and_width(billing: double.Book) -> None:
    sheet = billing.sheets[BILLING_SHEET]
    sheet.range("G10").color = "#00B050"  # a flagged cell with a fill and font colour of its own
    sheet.range("G10").font.color = "#7030A0"
    before = book_state(billing)
    check(billing, BILLING_SHEET)
    for rule, severity, ref in EXPECTED_FINDINGS:
        cell = sheet.range(ref)
        assert cell.color == rgb(STYLES[Severity(severity)].fill)
        assert cell.font.color == rgb(STYLES[Severity(severity)].font)
        assert rule in cell.note.text
    ref, _, own_note = FLAGGED_COMMENT
    assert sheet.range(ref).note.text.startswith(own_note + NOTE_SEPARATOR + "NMR102")
    assert sheet.range("O1").column_width == FINDINGS_MAX_WIDTH  # its texts are long

    clear(billing, sheet)
    assert book_state(billing) == before
    assert sheet.range("G10").color == rgb("00B050")
    assert sheet.range(ref).note.text == own_note


def test_check_twice_leaves_one_set_of_marks(billing: double.Book) -> None:
    before = book_state(billing)
    check(billing, BILLING_SHEET)
    once = book_state(billing)
    check(billing, BILLING_SHEET)
    assert book_state(billing) == once  # same column, same notes, one summary, one undo sheet
    clear(billing, billing.sheets[BILLING_SHEET])
    assert book_state(billing) == before  # the undo state is still the sheet's own


def test_edits_since_the_check_survive_clear(billing: double.Book) -> None:
    sheet = billing.sheets[BILLING_SHEET]
    check(billing, BILLING_SHEET)
    sheet.range("G7").value = 1  # the biller fixes the flagged units
    sheet.range("O9").value = "'checked with Dr B"  # and types over our finding text
    ref = FLAGGED_COMMENT[0]
    sheet.range(ref).note.text = sheet.range(ref).note.text + "\nfixed 4/2"
    clear(billing, sheet)
    assert sheet.range("G7").value == 1
    assert sheet.range("G7").color is None and sheet.range("G7").note.text == (
        FLAGGED_COMMENT[2] + "\nfixed 4/2")
    assert sheet.range("O9").value == "checked with Dr B"
    assert sheet.range("O7").value is None  # our text, untouched by the biller, is gone
    assert sheet.range("O4").value is None


@pytest.mark.parametrize(("current", "own", "expected"), [
    ("mine" + NOTE_SEPARATOR + "ours", "mine", "mine"),
    ("ours", None, None),
    ("mine" + NOTE_SEPARATOR + "ours\nmore", "mine", "mine\nmore"),  # added since: kept
    ("mine" + NOTE_SEPARATOR + "our edited", "mine", "mine"),  # ours edited: as before
    (None, "mine", "mine"),  # the note was deleted: as before
])
def test_note_after_clear(current: str | None, own: str | None, expected: str | None) -> None:
    assert note_after_clear(current, own, "ours") == expected


def test_clear_follows_renamed_sheets(billing: double.Book) -> None:
    before = book_state(billing)
    check(billing, BILLING_SHEET)
    billing.sheets[BILLING_SHEET].name = "March"
    billing.sheets[SUMMARY_SHEET].name = "March findings"
    clear(billing, billing.sheets["March"])
    billing.sheets["March"].name = BILLING_SHEET
    assert book_state(billing) == before


def test_clear_works_from_what_the_workbook_holds(billing: double.Book) -> None:
    """All the undo state is in the workbook: a deep copy (a saved and reopened file) clears."""
    before = book_state(billing)
    check(billing, BILLING_SHEET)
    reopened = copy.deepcopy(billing)
    clear(reopened, reopened.sheets[BILLING_SHEET])
    assert book_state(reopened) == before


def test_check_and_clear_from_the_summary_sheet(billing: double.Book) -> None:
    before = book_state(billing)
    check(billing, BILLING_SHEET)
    once = book_state(billing)
    check(billing, SUMMARY_SHEET)  # checks the sheet it summarises again
    assert book_state(billing) == once
    clear(billing, billing.sheets[SUMMARY_SHEET])
    assert book_state(billing) == before


def _fail_after(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> None:
    """`cls.name(...)` does its work, then Excel reports a failure."""
    done = getattr(cls, name)

    def then_fail(self: object, *args: object) -> None:
        done(self, *args)
        raise RuntimeError("Excel refused")

    monkeypatch.setattr(cls, name, then_fail)


def test_a_failure_midway_is_rolled_back(billing: double.Book,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = book_state(billing)
    _fail_after(monkeypatch, double.Range, "add_note")
    with pytest.raises(RuntimeError):
        check(billing, BILLING_SHEET)
    assert book_state(billing) == before


def test_a_failed_rollback_is_undone_by_clear(billing: double.Book,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The undo sheet is written before the first change and deleted last."""
    before = book_state(billing)
    _fail_after(monkeypatch, double.Range, "add_note")
    _fail_after(monkeypatch, double.Sheet, "delete")  # the summary goes, the undo sheet stays
    with pytest.raises(RuntimeError):
        check(billing, BILLING_SHEET)
    monkeypatch.undo()
    clear(billing, billing.sheets[BILLING_SHEET])
    assert book_state(billing) == before


def test_a_failure_writing_the_undo_state_leaves_no_sheet(
        billing: double.Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is added before the undo state is written; a half-written one is deleted."""
    before = book_state(billing)
    write = double.Range._write

    def refuse_formulas(self: double.Range, data: object, *, formulas: bool) -> None:
        if formulas:
            raise RuntimeError("Excel refused")
        write(self, data, formulas=formulas)

    monkeypatch.setattr(double.Range, "_write", refuse_formulas)
    with pytest.raises(RuntimeError):
        check(billing, BILLING_SHEET)
    assert book_state(billing) == before


def test_two_checked_sheets_keep_their_own_marks(tmp_path: Path) -> None:
    path = build_billing_workbook(tmp_path / "two.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb[BILLING_SHEET]).title = "April"
    wb.save(path)
    book = double.load_book(path)
    before = book_state(book)
    check(book, BILLING_SHEET)
    check(book, "April")
    summaries = [s for s in book.sheets if s.name.startswith(SUMMARY_SHEET)]
    tables = [t.name for s in summaries for t in s.tables]
    assert len(summaries) == 2 and len(set(tables)) == 2
    clear(book, book.sheets[BILLING_SHEET])
    assert book.sheets["April"].range("G7").color == rgb(STYLES[Severity.ERROR].fill)
    clear(book, book.sheets["April"])
    book.sheets[BILLING_SHEET].activate()
    assert book_state(book) == before


def test_values_go_out_in_blocks(sample: double.Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call crosses to Excel: values are written a block at a time, never per cell."""
    writes: list[tuple[int, int]] = []
    write = double.Range._write

    def counted(self: double.Range, data: object, *, formulas: bool) -> None:
        writes.append(self.shape)
        write(self, data, formulas=formulas)

    monkeypatch.setattr(double.Range, "_write", counted)
    check(sample, SAMPLE_SHEET)
    # the undo sheet 3 and its summary locator 1, the findings column 1, the summary's values
    # 1 and its links 1
    assert len(writes) == 7


def test_blocks_cover_exactly_the_cells() -> None:
    cells = {(5, 2), (6, 2), (7, 2), (9, 2), (5, 3), (6, 3), (1, 1)}
    found = blocks(cells)
    assert found == [(1, 1, 1, 1), (5, 2, 6, 3), (7, 2, 7, 2), (9, 2, 9, 2)]
    covered = [(r, c) for r1, c1, r2, c2 in found
               for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    assert sorted(covered) == sorted(cells)


# --- the same marks as the annotated copy ----------------------------------------------------

_OUR_FILLS = {style.fill for style in STYLES.values()}


def _copy_marks(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, object]:
    cells = [c for row in ws.iter_rows() for c in row]
    return {
        "colours": {c.coordinate: (c.fill.fgColor.rgb[-6:], c.font.color.rgb[-6:])
                    for c in cells if c.fill.fill_type == "solid"
                    and c.fill.fgColor.rgb[-6:] in _OUR_FILLS},
        "notes": {c.coordinate: c.comment.text for c in cells if c.comment},
    }


def _double_marks(sheet: double.Sheet) -> dict[str, object]:
    def ref(row: int, col: int) -> str:
        return f"{get_column_letter(col)}{row}"

    def hex6(colour: tuple[int, int, int] | None) -> str | None:
        return None if colour is None else "{:02X}{:02X}{:02X}".format(*colour)

    cells = sheet.double_state()["cells"]
    return {
        "colours": {ref(*place): (hex6(c.fill), hex6(c.font_color))
                    for place, c in cells.items() if hex6(c.fill) in _OUR_FILLS},
        "notes": {ref(*place): c.note for place, c in cells.items() if c.note},
    }


def _copy_grid(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[tuple[int, int], object]:
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
            if c.value is not None}


def _double_grid(sheet: double.Sheet) -> dict[tuple[int, int], object]:
    return {place: c.value for place, c in sheet.double_state()["cells"].items()
            if c.value is not None}


def _row_of(grid: dict[tuple[int, int], object], text: str) -> int:
    return next(row for (row, col), value in grid.items() if col == 1 and value == text)


def test_same_marks_and_summary_as_the_annotated_copy(sample: double.Book,
                                                      tmp_path: Path) -> None:
    result = check_file(SAMPLE, CONFIG, AS_OF, dest=tmp_path / "copy.xlsx")
    copy_book = openpyxl.load_workbook(tmp_path / "copy.xlsx")
    check(sample, SAMPLE_SHEET)
    ws, sheet = copy_book[SAMPLE_SHEET], sample.sheets[SAMPLE_SHEET]

    marks = _copy_marks(ws)
    assert len(marks["notes"]) > 30
    assert _double_marks(sheet) == marks
    findings_col = column_index_from_string("Z")
    copy_column = {r: v for (r, c), v in _copy_grid(ws).items() if c == findings_col}
    assert FINDINGS_HEADER in copy_column.values() and len(copy_column) > 30
    assert {r: v for (r, c), v in _double_grid(sheet).items() if c == findings_col} \
        == copy_column

    copy_summary, our_summary = copy_book[SUMMARY_SHEET], sample.sheets[SUMMARY_SHEET]
    theirs, ours = _copy_grid(copy_summary), _double_grid(our_summary)
    legend_theirs, legend_ours = _row_of(theirs, "Colour legend"), _row_of(ours, "Colour legend")
    facts_theirs = {theirs[(r, 1)]: theirs.get((r, 2)) for r in range(3, legend_theirs - 1)}
    facts_ours = {ours[(r, 1)]: ours.get((r, 2)) for r in range(3, legend_ours - 1)}
    assert facts_ours == {k: v for k, v in facts_theirs.items() if k != "Sheets skipped"}

    shift = legend_theirs - legend_ours  # the copy names the sheet it skipped
    notice = _row_of(ours, IN_PLACE_NOTICE.heading)
    skipped = range(notice, notice + NOTICE_ROWS + 1)
    assert {(r, c): v for (r, c), v in ours.items() if r >= legend_ours and r not in skipped} \
        == {(r - shift, c): v for (r, c), v in theirs.items()
            if r >= legend_theirs and r - shift not in skipped}

    links_theirs = {(c.row - shift, c.column): "#" + c.hyperlink.location
                    for row in copy_summary.iter_rows() for c in row if c.hyperlink}
    links_ours = {place: c.formula.split('"')[1]
                  for place, c in our_summary.double_state()["cells"].items() if c.formula}
    assert links_ours == links_theirs and len(links_ours) == len(result.findings)

    (table,) = our_summary.tables
    top = table.range.row
    assert copy_summary.tables["nmr_xl_findings"].ref == (
        f"A{top + shift}:I{top + shift + len(result.findings)}")
    assert table.range.shape == (len(result.findings) + 1, 9)
    (chart,) = our_summary.charts
    assert chart.title == "Findings by rule" and not chart.legend.visible
    assert chart.double_source.shape == (len({f.rule for f in result.findings}) + 1, 1)


# --- the ribbon's entry points ------------------------------------------------------------------


@pytest.fixture
def caller(monkeypatch: pytest.MonkeyPatch):
    def use(book: double.Book) -> double.Book:
        monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: book))
        return book

    return use


def test_ribbon_checks_and_clears_the_active_sheet(sample: double.Book, caller) -> None:
    """As of today (the line count and the restored sheet do not depend on the date)."""
    before = book_state(caller(sample))
    ribbon.check_sheet()
    ((message, title, mode),) = sample.app.double_alerts
    lines = make_workbooks.sample_expectations().lines
    assert (title, mode) == ("nmr-xl", "info")
    assert message.startswith(f"Checked {lines} billing lines")
    assert sample.app.status_bar is False and sample.app.screen_updating  # as they were
    ribbon.clear_sheet()
    assert sample.app.double_alerts[-1][0].startswith("Cleared the nmr-xl marks")
    assert book_state(sample) == before


def test_ribbon_says_why_a_sheet_cannot_be_checked(sample: double.Book, caller) -> None:
    caller(sample).sheets["Fee Schedule"].activate()
    before = book_state(sample)
    ribbon.check_sheet()
    ribbon.clear_sheet()
    (checked, _, mode), (cleared, _, _) = sample.app.double_alerts
    assert checked.startswith("No billing table on the sheet 'Fee Schedule': no header row "
                              "naming a CPT/procedure code column") and mode == "critical"
    assert "\n" not in checked
    assert cleared == "Nothing to clear: the sheet 'Fee Schedule' has no nmr-xl marks."
    assert book_state(sample) == before
    sample.sheets.add("Empty").activate()
    ribbon.check_sheet()
    assert sample.app.double_alerts[-1][0] == ("The sheet 'Empty' is empty: there is nothing "
                                               "to check.")


def test_ribbon_reports_a_failure_in_one_line(billing: double.Book, caller,
                                              monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    def refuse(self: double.Range, text: str) -> double.Note:
        raise RuntimeError("sheet is protected; cell holds ZQ-48213")

    monkeypatch.setattr(double.Range, "add_note", refuse)
    caller(billing).sheets[BILLING_SHEET].activate()
    ribbon.check_sheet()
    ((message, _, mode),) = billing.app.double_alerts
    assert message == ("nmr-xl could not finish (RuntimeError). Your data is unchanged; if any "
                       "marks are left on the sheet, Clear takes them off.")
    assert mode == "critical"
    assert "ZQ-48213" not in caplog.text and "RuntimeError" in caplog.text


def test_ribbon_shows_a_rules_file_error(billing: double.Book, caller,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ribbon.ConfigError("rules.toml: line 3: unknown key 'severty'")

    monkeypatch.setattr(ribbon.settings, "excel_config", broken)
    caller(billing).sheets[BILLING_SHEET].activate()
    ribbon.check_sheet()
    assert billing.app.double_alerts == [
        ("rules.toml: line 3: unknown key 'severty'", "nmr-xl", "critical")]


# --- Excel and xlwings as they are on each platform ------------------------------------------


@pytest.mark.parametrize("platform", ["win", "mac"])
def test_error_cells_are_reported_on_both_platforms(tmp_path: Path, platform: str) -> None:
    """On macOS xlwings reads several cells with err_to_str as a TypeError and an error as
    empty: the error in G6 is still reported (NMR002), as on Windows."""
    rows = [list(row) for row in DEFAULT_ROWS]
    rows[1][6] = "#N/A"  # G6, the units of a clean line (openpyxl writes it as an error)
    path = build_billing_workbook(tmp_path / "errors.xlsx", rows)
    book = double.load_book(path, platform)
    sheet = book.sheets[BILLING_SHEET]
    before = book_state(book)
    assert sheet.range("G6").value is None  # as xlwings reads an error without err_to_str
    check(book, BILLING_SHEET)
    assert "NMR002" in sheet.range("G6").note.text
    assert _double_marks(sheet) == _double_marks(_checked_on_windows(path))
    clear(book, sheet)
    assert book_state(book) == before


def _checked_on_windows(path: Path) -> double.Sheet:
    book = double.load_book(path, "win")
    check(book, BILLING_SHEET)
    return book.sheets[BILLING_SHEET]


def _delete(book: double.Book, what: str) -> None:
    sheet = book.sheets[BILLING_SHEET]
    if what == "row 1":
        sheet.double_delete_row(1)
    elif what == "column A":
        sheet.double_delete_column(1)
    else:  # the row of a flagged cell with a note of its own
        sheet.double_delete_row(int(FLAGGED_COMMENT[0][1:]))


@pytest.mark.parametrize("what", ["row 1", "column A", "a flagged row"])
def test_clear_after_deleting_rows_or_columns(billing: double.Book, what: str) -> None:
    """Whatever the biller deletes, Clear finds the sheet and restores every cell still there:
    the sheet equals the unchecked sheet with the same deletion."""
    unchecked = copy.deepcopy(billing)
    _delete(unchecked, what)
    check(billing, BILLING_SHEET)
    _delete(billing, what)
    assert clear(billing, billing.sheets[BILLING_SHEET]).startswith("Cleared the nmr-xl marks")
    assert book_state(billing) == book_state(unchecked)


def test_a_cell_of_several_font_colours_keeps_them(billing: double.Book) -> None:
    """Its font colour cannot be read (xlwings fails on both platforms): it is left alone on
    check and Clear; the fill and the note go on as everywhere."""
    sheet = billing.sheets[BILLING_SHEET]
    sheet.double_cell(9, 12).font_color = None  # L9, flagged: rich text of two colours
    before = book_state(billing)
    check(billing, BILLING_SHEET)
    assert sheet.range("L9").color == rgb(STYLES[Severity.WARNING].fill)
    assert sheet.double_cell(9, 12).font_color is None
    assert "NMR206" in sheet.range("L9").note.text
    clear(billing, sheet)
    assert book_state(billing) == before


@pytest.mark.parametrize("platform", ["win", "mac"])
def test_a_protected_sheet_is_refused_before_any_change(tmp_path: Path, caller,
                                                        platform: str) -> None:
    book = caller(double.load_book(build_billing_workbook(tmp_path / "b.xlsx"), platform))
    sheet = book.sheets[BILLING_SHEET]
    sheet.activate()
    sheet.double_protected = True
    before = book_state(book)
    ribbon.check_sheet()
    assert book.app.double_alerts[-1][1:] == ("nmr-xl", "critical")
    assert book.app.double_alerts[-1][0] == (
        f"The sheet '{BILLING_SHEET}' is protected: unprotect it (Review > Unprotect Sheet) "
        "and check again.")
    assert book_state(book) == before

    sheet.double_protected = False
    ribbon.check_sheet()
    sheet.double_protected = True
    checked = book_state(book)
    ribbon.clear_sheet()
    assert book.app.double_alerts[-1][0].endswith("and clear again.")
    assert book_state(book) == checked  # the marks and their undo state are still there


def test_a_threaded_comment_is_left_alone(billing: double.Book) -> None:
    """Writing a note to a cell with a threaded comment would damage the thread: the cell is
    coloured, its finding is in the findings column only, and the message says so."""
    sheet = billing.sheets[BILLING_SHEET]
    sheet.double_cell(9, 12).thread = "Is this strengthening? @Dr B"  # L9, flagged
    before = book_state(billing)
    message = check(billing, BILLING_SHEET)
    assert "except 1 cell with a threaded comment (see the findings column)" in message
    assert sheet.range("L9").color == rgb(STYLES[Severity.WARNING].fill)
    assert sheet.double_cell(9, 12).note is None
    assert sheet.double_cell(9, 12).thread == "Is this strengthening? @Dr B"
    assert "NMR206" in sheet.range("O9").value
    clear(billing, sheet)
    assert book_state(billing) == before


def test_an_excel_table_is_not_widened(tmp_path: Path) -> None:
    """Excel widens a table over a value written right beside it: the findings column keeps
    one empty column between."""
    path = build_billing_workbook(tmp_path / "table.xlsx", extras=False)
    wb = openpyxl.load_workbook(path)
    last_row = wb[BILLING_SHEET].max_row
    wb[BILLING_SHEET].add_table(openpyxl.worksheet.table.Table(
        displayName="Charges", ref=f"A4:N{last_row}"))
    wb.save(path)
    book = double.load_book(path)
    sheet = book.sheets[BILLING_SHEET]
    (table,) = sheet.tables
    before = book_state(book)
    check(book, BILLING_SHEET)
    assert table.range.address == f"$A$4:$N${last_row}"
    assert sheet.range("P4").value == FINDINGS_HEADER and sheet.range("O4").value is None
    clear(book, sheet)
    assert book_state(book) == before


def test_no_hidden_sheet_is_moved_on_windows(tmp_path: Path) -> None:
    """To add a sheet after the last one, xlwings on Windows moves the last sheet: never one
    of our hidden undo sheets."""
    path = build_billing_workbook(tmp_path / "two.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb[BILLING_SHEET]).title = "April"
    wb.save(path)
    book = double.load_book(path, "win")
    check(book, "April")
    check(book, BILLING_SHEET)
    check(book, "April")
    assert all(book.sheets[name].visible for name in book.double_moved)


# --- merged cells, hidden rows and columns, protected structure, huge used ranges -------------


@contextmanager
def cleared_afterwards(book: double.Book, sheet: str = BILLING_SHEET) -> Iterator[None]:
    """What the block does between a check and Clear; Clear must leave the book as it was."""
    before = book_state(book)
    yield
    clear(book, book.sheets[sheet])
    assert book_state(book) == before


def test_merged_cells_where_the_findings_column_would_go_move_it_right(billing: double.Book
                                                                       ) -> None:
    """Excel refuses a value written to part of a merged cell: the findings column goes to the
    first column right of the table without merged cells in its rows."""
    sheet = billing.sheets[BILLING_SHEET]
    sheet.range("O6:P6").merge()  # a note block beside the table, across O and P
    with cleared_afterwards(billing):
        check(billing, BILLING_SHEET)
        assert sheet.range("Q4").value == FINDINGS_HEADER
        assert "NMR102" in sheet.range("Q7").value and sheet.range("O7").value is None


def test_a_merged_title_row_above_the_header_is_fine(billing: double.Book) -> None:
    sheet = billing.sheets[BILLING_SHEET]
    assert any(top < 4 for top, _, _, _ in sheet.double_merges)  # the fixture's title row
    with cleared_afterwards(billing):
        assert check(billing, BILLING_SHEET).startswith("Checked 6 billing lines")


@pytest.mark.parametrize("platform", ["win", "mac"])
def test_a_merged_cell_with_a_finding_is_refused_by_name(tmp_path: Path, caller,
                                                         platform: str) -> None:
    book = caller(double.load_book(build_billing_workbook(tmp_path / "b.xlsx"), platform))
    sheet = book.sheets[BILLING_SHEET]
    sheet.range("M9").value = None  # as merging L9:M9 in Excel keeps only L9's value
    sheet.range("L9:M9").merge()
    sheet.activate()
    before = book_state(book)
    ribbon.check_sheet()
    ((message, _, mode),) = book.app.double_alerts
    assert message == ("The cell L9 on 'Billing' has a finding but is part of the merged cells "
                       "L9:M9: unmerge them (Home > Merge & Center > Unmerge Cells) and check "
                       "again.")
    assert mode == "critical"
    assert book_state(book) == before


def test_hidden_and_filtered_out_rows_are_marked_and_counted(tmp_path: Path) -> None:
    """Rows hidden by hand or by a filter are marked like the others (Excel colours and notes
    hidden cells alike); the message says how many marked rows are out of sight."""
    path = build_billing_workbook(tmp_path / "hidden.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[BILLING_SHEET]
    ws.auto_filter.ref = f"A4:N{ws.max_row}"
    ws.row_dimensions[7].hidden = True  # filtered out: flagged G7
    ws.row_dimensions[10].hidden = True  # hidden by hand: flagged G10
    wb.save(path)
    book = double.load_book(path)
    sheet = book.sheets[BILLING_SHEET]
    with cleared_afterwards(book):
        message = check(book, BILLING_SHEET)
        assert "2 marked rows are hidden or filtered out: show all rows to see them." in message
        for rule, severity, ref in EXPECTED_FINDINGS:
            assert sheet.range(ref).color == rgb(STYLES[Severity(severity)].fill)
            assert rule in sheet.range(ref).note.text


def test_a_hidden_column_right_of_the_table_is_passed_over(billing: double.Book) -> None:
    sheet = billing.sheets[BILLING_SHEET]
    sheet.double_hidden_columns.add(15)  # O
    with cleared_afterwards(billing):
        check(billing, BILLING_SHEET)
        assert sheet.range("P4").value == FINDINGS_HEADER and sheet.range("O4").value is None


@pytest.mark.parametrize("platform", ["win", "mac"])
def test_a_protected_workbook_structure_is_refused_before_any_change(tmp_path: Path, caller,
                                                                     platform: str) -> None:
    book = caller(double.load_book(build_billing_workbook(tmp_path / "b.xlsx"), platform))
    book.sheets[BILLING_SHEET].activate()
    book.double_structure_protected = True
    before = book_state(book)
    ribbon.check_sheet()
    assert book.app.double_alerts[-1] == (
        "The workbook's structure is protected, so nmr-xl cannot add its summary sheet: "
        "unprotect it (Review > Protect Workbook) and check again.", "nmr-xl", "critical")
    assert book_state(book) == before

    book.double_structure_protected = False
    ribbon.check_sheet()
    book.double_structure_protected = True
    checked = book_state(book)
    ribbon.clear_sheet()
    assert book.app.double_alerts[-1][0] == (
        "The workbook's structure is protected, so nmr-xl cannot remove its summary sheet: "
        "unprotect it (Review > Protect Workbook) and clear again.")
    assert book_state(book) == checked


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of cells of every value read."""
    sizes: list[int] = []
    read = double.Range.value.fget

    def counted(self: double.Range) -> object:
        sizes.append(self.shape[0] * self.shape[1])
        return read(self)

    monkeypatch.setattr(double.Range, "value", property(counted, double.Range.value.fset))
    return sizes


@pytest.mark.parametrize("far", [(1_048_576, 16_384), (1_048_576, 3), (200, 16_384)],
                         ids=["corner", "down", "right"])
def test_a_huge_used_range_is_read_only_as_far_as_the_data(
        billing: double.Book, monkeypatch: pytest.MonkeyPatch, far: tuple[int, int]) -> None:
    """A format far from the data (a fill on the last row, or the last column) makes Excel's
    used range huge; the check reads only what holds data, and marks as usual."""
    sheet = billing.sheets[BILLING_SHEET]
    sheet._cells[far] = double.Cell(fill=(255, 255, 0))
    assert sheet.used_range.last_cell.row * sheet.used_range.last_cell.column > 2_000_000
    sizes = _reads(monkeypatch)
    with cleared_afterwards(billing):
        assert check(billing, BILLING_SHEET).startswith("Checked 6 billing lines")
        assert max(sizes) < 1_000
        assert sheet.range("O4").value == FINDINGS_HEADER


def test_data_too_far_down_to_read_in_place_is_refused(billing: double.Book, caller) -> None:
    sheet = billing.sheets[BILLING_SHEET]
    sheet.range((1_048_576, 2)).value = "'stray"
    caller(billing).sheets[BILLING_SHEET].activate()
    before = book_state(billing)
    ribbon.check_sheet()
    assert billing.app.double_alerts[-1][0] == (
        "The sheet 'Billing' holds data in 1,048,576 rows and 14 columns: too much to check "
        "inside Excel. Save the workbook and check the file with nmr-xl check.")
    assert book_state(billing) == before


def test_the_double_moves_as_ctrl_arrow_does() -> None:
    """Along a run of filled cells to its end; from an empty cell, or the end of a run, to the
    next filled cell; to the sheet's edge when there is none (a formula counts as filled)."""
    book = double.Book("b.xlsx")
    sheet = book.sheets.add("S")
    for ref in ("A1", "A2", "A3", "A6"):
        sheet.range(ref).value = 1
    sheet.range("C2").formula = '=""'
    assert [sheet.range(r).end("up").row for r in ("A8", "A6", "A3", "A1")] == [6, 3, 1, 1]
    assert sheet.range("A10").end("down").row == 1_048_576
    assert sheet.range("F2").end("left").column == 3
    assert sheet.range("B5").end("left").column == 1


def test_a_sheet_that_cannot_be_fully_checked_says_so_first(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Charges"
    book.active.append(["Acct", "Posted", "CPT", "Units"])
    book.active.append(["P1", "03/09/2026", "97112", 2])
    path = tmp_path / "no-dos.xlsx"
    book.save(path)
    message = check(double.load_book(path), "Charges")
    assert message.startswith("Not fully checked: no column was read as the date of service "
                              "('nmr-xl summary' says which rules did not run). Checked 1 "
                              "billing line on 'Charges'")
