"""The worksheet functions called as plain Python (xlwings' decorators are pass-throughs off
Windows) with every shape Excel hands them: one value, a row, a 2-D range, a table with title and
blank rows; dates as datetimes and serial numbers; numbers as floats; blanks; cell errors as COM
ints and as text. Checked as of a fixed date."""

from __future__ import annotations

import datetime as dt
import gc
import inspect
import logging
import subprocess
import sys
import typing
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import make_workbooks
import pytest
import python_calamine
from xlwings.conversion import accessors

from nmr_xl.config.load import load_config
from nmr_xl.engine import check_table
from nmr_xl.excel import functions
from nmr_xl.excel.functions import (
    NMR_CHECK,
    NMR_CHECK_TABLE,
    NMR_EXPLAIN,
    NMR_UNITS,
    line_status,
)
from nmr_xl.excel.template import TEMPLATE_HEADER
from nmr_xl.excel.values import EXCEL_ERRORS, rows_from_excel
from nmr_xl.model import Finding, Table
from nmr_xl.read.table import build_table
from nmr_xl.read.values import Unreadable, parse_code
from nmr_xl.rules import all_rules

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "sample-billing.xlsx"
AS_OF = dt.date(2026, 3, 31)
NA = -2146826246  # #N/A as COM passes it
UNKNOWN_ERROR = -2146826238  # an error value newer than the known ones
UDFS = (NMR_CHECK, NMR_CHECK_TABLE, NMR_UNITS, NMR_EXPLAIN)


@pytest.fixture(autouse=True)
def _as_of() -> Iterator[None]:
    token = functions.AS_OF.set(AS_OF)
    yield
    functions.AS_OF.reset(token)


def serial(day: dt.date) -> float:
    """Excel's serial number of a date (1900 system), as a cell holding it sends it."""
    return float((day - dt.date(1899, 12, 30)).days)


# A clean, one-on-one 97112 line for a commercial payer, in the template's column order.
CLEAN = {"Patient ID": "P1", "Patient Name": "Doe, Jane",
         "Date of Service": dt.datetime(2026, 3, 2), "CPT Code": "97112", "Modifier 1": "GP",
         "Units": 1.0, "Minutes": 15.0,
         "Diagnosis 1": "R26.89", "Rendering Provider": "Natarajan, Priya",
         "Provider Type": "PT", "One-on-One": "Yes", "Payer": "Aetna",
         "Notes": "tandem walk, single-leg stance", "Functional Goal": "Walk 150 ft",
         "Charge": 40.0}


def line(changes: dict[str, object] | None = None) -> list[object]:
    """A template-order row: CLEAN with `changes` (by header)."""
    values = {**CLEAN, **(changes or {})}
    assert set(values) <= set(TEMPLATE_HEADER)
    return [values.get(header) for header in TEMPLATE_HEADER]


def codes_in(status: str) -> list[str]:
    return [part.split()[0] for part in status.split(": ", 1)[1].split(" | ")]


# --- NMR_CHECK ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [list, tuple, lambda row: [row], lambda row: (tuple(row),)],
                         ids=["flat list", "tuple", "2-D row", "2-D tuple"])
def test_a_clean_line_is_ok_in_every_row_shape(shape: typing.Callable[..., object]) -> None:
    assert NMR_CHECK(shape(line())) == "OK"


def test_a_finding_gives_the_worst_severity_then_codes_and_messages() -> None:
    status = NMR_CHECK(line({"One-on-One": "No", "Functional Goal": None}))
    assert status == ("Error: NMR201 error: 97112 is marked as not one-on-one. | NMR209 warning: "
                      + status.split("NMR209 warning: ")[1])
    assert "\n" not in status


def test_one_line_gets_the_line_rules_only() -> None:
    over_billed = line({"Units": 3.0, "Minutes": 20.0})  # 20 minutes support 1 unit
    assert NMR_CHECK(over_billed) == "OK"  # NMR102 weighs the whole visit: a table rule
    statuses = NMR_CHECK_TABLE([list(TEMPLATE_HEADER), over_billed])
    assert codes_in(statuses[0][0]) == ["NMR102"]


def test_a_marker_for_a_table_rule_is_not_unused_on_one_line() -> None:
    notes = "balance; nmr: ignore NMR205 NMR999"
    assert codes_in(NMR_CHECK(line({"Notes": notes, "Diagnosis 1": "M54.50"}))) == ["NMR090"]
    assert "NMR999" in NMR_CHECK(line({"Notes": notes}))


def test_the_header_row_maps_the_columns() -> None:
    header = ["DOS", "Acct #", "CPT", "Tx Min", "Units", "1:1", "Primary Ins", "Cred"]
    row = [dt.datetime(2026, 3, 2), "P1", "97112", 15.0, 1.0, "No", "Aetna", "PT"]
    assert codes_in(NMR_CHECK(row, header))[0] == "NMR201"
    assert NMR_CHECK([row], [header]) == NMR_CHECK(row, header)  # as 2-D ranges
    assert NMR_CHECK(line(), list(TEMPLATE_HEADER)) == "OK"


def test_without_a_header_a_short_row_is_read_in_template_order() -> None:
    short = line()[:12]  # up to Diagnosis 2: the goal column (20th) is missing
    assert codes_in(NMR_CHECK(short)) == ["NMR209"]


@pytest.mark.parametrize("dos", [dt.datetime(2026, 4, 2), serial(dt.date(2026, 4, 2)),
                                 "04/02/2026"], ids=["datetime", "serial", "text"])
def test_dates_as_datetimes_serials_or_text(dos: object) -> None:
    status = NMR_CHECK(line({"Date of Service": dos}))  # after the as-of date
    assert status == "Error: NMR004 error: The date of service is after the check date 2026-03-31."


def test_numbers_arrive_as_floats() -> None:
    floats = {"Patient ID": 12345.0, "CPT Code": 97112.0, "Units": 1.0, "Modifier 2": 59.0}
    assert NMR_CHECK(line(floats)) == "OK"
    assert codes_in(NMR_CHECK(line({"CPT Code": 97112.0, "One-on-One": "No"}))) == ["NMR201"]


@pytest.mark.parametrize("yes, no", [(True, False), (1.0, 0.0), ("Y", "N")])
def test_one_on_one_as_booleans_numbers_or_text(yes: object, no: object) -> None:
    assert NMR_CHECK(line({"One-on-One": yes})) == "OK"
    assert codes_in(NMR_CHECK(line({"One-on-One": no}))) == ["NMR201"]


def test_minutes_as_a_time_of_day_from_com() -> None:
    assert NMR_CHECK(line({"Minutes": dt.datetime(1899, 12, 30, 0, 15)})) == "OK"


@pytest.mark.parametrize("error", [NA, "#N/A"], ids=["COM int", "err_to_str text"])
def test_a_cell_error_is_reported_as_unreadable(error: object) -> None:
    assert NMR_CHECK(line({"CPT Code": error})) == ("Error: NMR002 error: The code cannot be "
                                                    "read: the cell shows the error #N/A.")
    assert codes_in(NMR_CHECK(line({"Units": error}))) == ["NMR002"]


def test_an_error_read_as_blank_is_a_blank_cell() -> None:
    # xlwings' default (no err_to_str) and errors with no known text arrive as blank cells
    assert NMR_CHECK(line({"CPT Code": UNKNOWN_ERROR})) == ""
    assert codes_in(NMR_CHECK(line({"Units": None}))) == ["NMR001"]


@pytest.mark.parametrize("value", [[None] * 25, [""] * 5, [[None]], None,
                                   line({"CPT Code": None})],
                         ids=["blank row", "empty texts", "one blank cell", "None", "no code"])
def test_a_row_that_is_not_a_billing_line_is_blank(value: object) -> None:
    assert NMR_CHECK(value) == ""


# --- NMR_CHECK_TABLE --------------------------------------------------------------------------


def test_table_statuses_align_with_the_rows_below_the_header() -> None:
    header = list(TEMPLATE_HEADER)
    rows = [["Charge detail, March"], header, line(), [None] * 25,
            line({"One-on-One": "No"}), ["Total"] + [None] * 19 + [80.0], line(), [""] * 25]
    statuses = NMR_CHECK_TABLE(rows)
    assert [s for (s,) in statuses][:2] == ["OK", ""]
    assert len(statuses) == len(rows) - 2
    assert codes_in(statuses[2][0]) == ["NMR003", "NMR201"]  # NMR003: it repeats row 3
    assert [s for (s,) in statuses][3:] == ["", statuses[4][0], ""]
    assert codes_in(statuses[4][0]) == ["NMR003"]


def test_table_runs_the_cross_line_rules() -> None:
    visit = [line({"Units": 2.0, "Minutes": 22.0}),
             line({"CPT Code": "97110", "Units": 2.0, "Minutes": 20.0})]
    statuses = NMR_CHECK_TABLE([list(TEMPLATE_HEADER), *visit])
    assert codes_in(statuses[1][0]) == ["NMR102"]  # 42 minutes support 3 units, not 4
    assert [NMR_CHECK(row) for row in visit] == ["OK", "OK"]


def sample_rows() -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_path(str(SAMPLE))
    try:
        return book.get_sheet_by_name("Charge Detail").to_python(skip_empty_area=False)
    finally:
        book.close()


def as_xlwings_sends(rows: list[list[object]]) -> list[list[object]]:
    """calamine's values as xlwings hands a range to a function: floats, datetimes, None."""
    def cell(value: object) -> object:
        if value == "":
            return None
        if type(value) is dt.date:
            return dt.datetime(value.year, value.month, value.day)
        return float(value) if type(value) is int else value

    return [[cell(value) for value in row] for row in rows]


def engine_statuses(rows: list[list[object]], scopes: tuple[str, ...]) -> tuple[Table, list[str]]:
    config = load_config()
    table = build_table("Charge Detail", rows, config, width=max(map(len, rows)))
    assert isinstance(table, Table)
    by_row: dict[int, list[Finding]] = defaultdict(list)
    for finding in check_table(table, config, AS_OF, scopes).findings:
        by_row[finding.row].append(finding)
    billing = {ln.row for ln in table.lines}
    return table, [line_status(by_row[row]) if row in billing else ""
                   for row in range(table.header_row + 1, len(rows) + 1)]


def test_table_on_the_sample_matches_the_engine_in_both_value_forms() -> None:
    rows = sample_rows()
    table, expected = engine_statuses(rows, ("line", "table"))
    for form in (rows, as_xlwings_sends(rows)):
        assert [s for (s,) in NMR_CHECK_TABLE(form)] == expected
    by_row = dict(enumerate(expected, start=table.header_row + 1))
    # the rules the sample is built to show on each flagged row, and nothing on the others
    meant: dict[int, list[str]] = defaultdict(list)
    for row, rule in make_workbooks.sample_expectations().findings:
        meant[row].append(rule)
    assert {row: sorted(codes_in(s)) for row, s in by_row.items() if s not in ("OK", "")} \
        == {row: sorted(rules) for row, rules in meant.items()}
    assert sum(s == "OK" for s in expected) > 90 and sum(s == "" for s in expected) >= 1


def test_each_sample_line_with_its_header_matches_the_engine_line_rules() -> None:
    rows = sample_rows()
    table, expected = engine_statuses(rows, ("line",))
    header = rows[table.header_row - 1]
    below = as_xlwings_sends(rows[table.header_row:])
    assert [NMR_CHECK(row, header) for row in below] == expected


# --- NMR_UNITS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes, units", [
    (20, 1), (20.0, 1), (7.0, 0), (22.9, 1), ([[38.0]], 3), ("0:38", 3), ("38 min", 3),
    (dt.time(0, 38), 3), (dt.datetime(1899, 12, 30, 0, 38), 3), (None, ""), ([[None]], ""),
])
def test_units_for_one_minutes_value(minutes: object, units: object) -> None:
    assert NMR_UNITS(minutes) == units
    assert NMR_UNITS(minutes, "ama") == units  # one service: both rules agree


def test_units_for_a_visit_keep_the_shape_of_the_range() -> None:
    assert NMR_UNITS([[24.0, 23.0]]) == [[2, 1]]  # CMS: 47 minutes, 3 units
    assert NMR_UNITS([[24.0], [23.0]]) == [[2], [1]]
    assert NMR_UNITS([24, None, 23]) == [[2, "", 1]]
    assert NMR_UNITS([[24.0, 23.0]], "AMA") == [[2, 2]]  # midpoint rule, code by code
    assert NMR_UNITS([[30.0, 8.0, 8.0]], " cms ") == [
        [2, "0 or 1 (tie: choose either code)", "0 or 1 (tie: choose either code)"]]


# --- NMR_EXPLAIN ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["NMR102", " nmr102 ", 102.0, "102", [["NMR102"]]])
def test_explain_accepts_a_code_as_typed(code: object) -> None:
    assert NMR_EXPLAIN(code) == ("NMR102 units-exceed-time (error): More timed units billed than "
                                 "the minutes allow.")


def test_explain_knows_every_rule() -> None:
    for rule_ in all_rules():
        assert NMR_EXPLAIN(rule_.code).endswith(rule_.docs.summary)
    assert NMR_EXPLAIN(None) == "" and NMR_EXPLAIN("") == ""


# --- bad arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("udf, args, message", [
    (NMR_CHECK, (line(), ["Patient", "DOS", "Units"]), "no CPT code column in the header"),
    (NMR_CHECK, (["P1", "97112"], ["Patient", "CPT"]), "the header names fewer than 3 billing"),
    (NMR_CHECK, (["P1", "97112", 2.0], [["Patient", "CPT", "Units", "DOS"]]),
     "the header has 4 cells but the line has 3"),
    (NMR_CHECK, ([line(), line()],), "the line must be one row"),
    (NMR_CHECK, (line(), [list(TEMPLATE_HEADER)] * 2), "the header must be one row"),
    (NMR_CHECK_TABLE, ([[None, None], [None, None]],), "the range is empty"),
    (NMR_CHECK_TABLE, ([["a", "b"], [1.0, 2.0]],), "no header row naming a CPT/procedure code"),
    (NMR_CHECK_TABLE, ([list(TEMPLATE_HEADER)],), "the range has no rows below its header row"),
    (NMR_CHECK_TABLE, (list(TEMPLATE_HEADER),), "the range has no rows below its header row"),
    (NMR_UNITS, ("twenty",), "cannot read the minutes: it is not a number of minutes"),
    (NMR_UNITS, ([[20.0, "#N/A"]],), "cannot read the minutes in cell 2 of the range: the cell "
                                     "shows the error #N/A"),
    (NMR_UNITS, (NA,), "cannot read the minutes: the cell shows the error #N/A"),
    (NMR_UNITS, (-5.0,), "cannot read the minutes: it is negative"),
    (NMR_UNITS, (20.0, "8-minute"), 'the method is "cms" (CMS 8-minute rule) or "ama"'),
    (NMR_EXPLAIN, ("NMR999",), "NMR999 is not a rule code"),
    (NMR_EXPLAIN, ([["NMR101", "NMR102"]],), "give one rule code, such as NMR102"),
    (NMR_EXPLAIN, ("#N/A",), "#N/A is not a rule code"),
])
def test_a_bad_argument_gives_one_line_in_the_cell(udf: typing.Callable[..., object],
                                                   args: tuple[object, ...], message: str) -> None:
    result = udf(*args)
    assert isinstance(result, str) and result.startswith(f"nmr-xl: {message}"), result
    assert "\n" not in result and "Traceback" not in result
    assert gc.isenabled()  # NMR_CHECK_TABLE pauses the collector, and resumes it on any exit


def test_an_unexpected_error_is_a_cell_message_and_logs_no_cell_content(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object, **__: object) -> None:
        raise ValueError("Doe, Jane P1")  # as an error quoting a cell would

    monkeypatch.setattr(functions, "check_table", broken)
    with caplog.at_level(logging.ERROR, logger=functions.__name__):
        result = NMR_CHECK(line())
    assert result == "nmr-xl: internal error (ValueError); please report it"
    assert "NMR_CHECK failed: ValueError at test_excel_functions.py" in caplog.text
    assert "Doe" not in caplog.text and "P1" not in caplog.text


# --- what Excel and the add-in rely on ------------------------------------------------------------


def test_every_error_int_becomes_text_the_reader_reports() -> None:
    for code, text in EXCEL_ERRORS.items():
        assert rows_from_excel([[code]]) == [[text]]
        with pytest.raises(Unreadable, match=f"the cell shows the error {text}"):
            parse_code(text)
    assert rows_from_excel([[UNKNOWN_ERROR, 5, True, 2.0]]) == [[None, 5, True, 2.0]]


@pytest.mark.parametrize("udf", UDFS, ids=lambda f: f.__name__)
def test_functions_are_registrable_by_xlwings(udf: typing.Callable[..., object]) -> None:
    # xlwings refuses keyword-only arguments and makes each annotation a converter
    params = inspect.signature(udf).parameters.values()
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
    for hint in typing.get_type_hints(udf).values():
        assert (typing.get_origin(hint) or hint) in accessors, hint
    assert udf.__doc__ and len(udf.__doc__) <= 255  # Excel's function description


def test_the_excel_package_and_values_import_without_xlwings() -> None:
    code = ("import sys, nmr_xl.excel, nmr_xl.excel.values, nmr_xl.excel.template; "
            "assert 'xlwings' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
