"""Finding the header row and mapping header spellings onto canonical fields (read/table.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.model import Field, SkippedSheet, Table
from nmr_xl.read.table import build_table, find_header


@cache
def default_config() -> Config:
    return load_config()


def config_with(tmp_path: Path, overlay: str) -> Config:
    path = tmp_path / "rules.toml"
    path.write_text(overlay, encoding="utf-8")
    return load_config(path)


def table_of(rows: Sequence[Sequence[object]], config: Config | None = None) -> Table:
    table = build_table("Sheet1", rows, config or default_config())
    assert isinstance(table, Table), table
    return table


def skipped(rows: Sequence[Sequence[object]], config: Config | None = None) -> SkippedSheet:
    result = build_table("Sheet1", rows, config or default_config())
    assert isinstance(result, SkippedSheet), result
    return result


# --- spellings (RULES.md "Reading sheets") ----------------------------------------------------

SPELLINGS = [
    ("DOS", Field.DOS), ("Svc Date", Field.DOS), ("Date of Service", Field.DOS),
    ("Service Date", Field.DOS), ("Date", Field.DOS),
    ("CPT", Field.CODE), ("Proc", Field.CODE), ("CPT/HCPCS", Field.CODE),
    ("Procedure Code", Field.CODE), ("cpt code", Field.CODE),
    ("Min", Field.MINUTES), ("Tx Min", Field.MINUTES), ("Minutes", Field.MINUTES),
    ("Acct #", Field.PATIENT), ("Patient ID", Field.PATIENT), ("MRN", Field.PATIENT),
    ("Primary Ins", Field.PAYER), ("Payer", Field.PAYER), ("Insurance", Field.PAYER),
    ("1:1", Field.ONE_ON_ONE), ("One-on-One", Field.ONE_ON_ONE), ("Attended", Field.ONE_ON_ONE),
    ("Cred", Field.PROVIDER_TYPE), ("Provider Type", Field.PROVIDER_TYPE),
    ("Patient", Field.PATIENT_NAME), ("Patient Name", Field.PATIENT_NAME),
    ("Units", Field.UNITS), ("Qty", Field.UNITS), ("Days or Units", Field.UNITS),
    ("Rendering Provider", Field.PROVIDER), ("Therapist", Field.PROVIDER),
    ("Notes", Field.NOTES), ("Treatment Description", Field.NOTES),
    ("Functional Goal", Field.GOAL), ("Medical Necessity", Field.GOAL),
    ("Modifier", Field.MODIFIERS), ("Dx", Field.DIAGNOSES), ("ICD-10", Field.DIAGNOSES),
    ("Charge", Field.CHARGE), ("POC Start", Field.POC_START), ("Plan of Care End", Field.POC_END),
    ("Certified By", Field.CERTIFIER),
]


@pytest.mark.parametrize("spelling, field", SPELLINGS, ids=[s for s, _ in SPELLINGS])
def test_header_spellings(spelling: str, field: Field) -> None:
    base = {Field.PATIENT: "Acct #", Field.DOS: "DOS", Field.CODE: "CPT"}
    if field is Field.PATIENT_NAME:
        del base[Field.PATIENT]
    header = [text for f, text in base.items() if f is not field] + [spelling]
    table = table_of([header])
    assert table.columns[field] == [len(header)]
    assert table.headers[len(header)] == spelling


@pytest.mark.parametrize("spelling", ["  CPT  ", "cpt", "CPT #", "Cpt Code:", "CPT_CODE",
                                      "CPT\nCode"])
def test_case_spacing_and_punctuation_are_ignored(spelling: str) -> None:
    table = table_of([["Patient ID", "DOS", spelling]])
    assert table.columns[Field.CODE] == [3]
    assert table.headers[3] == spelling.strip()


# --- which row is the header ---------------------------------------------------------------------


def test_header_on_the_first_row() -> None:
    table = table_of([["Patient ID", "DOS", "CPT", "Units"], ["P1", "03/02/2026", "97112", 2]])
    assert table.header_row == 1
    assert [line.row for line in table.lines] == [2]
    assert table.mapping() == {"patient": "Patient ID", "dos": "DOS", "code": "CPT",
                               "units": "Units"}


def test_title_rows_above_the_header_are_skipped() -> None:
    rows = [
        ["Acme Chiropractic"],
        ["Charges by date of service", None, None, "Printed 04/01/2026"],
        [],
        ["Acct #", "Svc Date", "Proc", "Units", "Tx Min"],
        ["A1", dt.date(2026, 3, 2), "97112", 2, 30],
    ]
    table = table_of(rows)
    assert table.header_row == 4
    (line,) = table.lines
    assert line.row == 5
    assert (line.patient, line.dos, line.code, line.units, line.minutes) == (
        "A1", dt.date(2026, 3, 2), "97112", 2.0, 30.0)


def test_the_row_mapping_most_fields_wins() -> None:
    rows = [
        ["Code", "Date", "Notes"],  # a legend that happens to map three fields
        ["Patient ID", "DOS", "CPT", "Units", "Minutes", "Payer"],
    ]
    assert table_of(rows).header_row == 2


def test_on_a_tie_the_first_row_wins() -> None:
    rows = [["Patient ID", "DOS", "CPT"], ["MRN", "Date", "Code"]]
    assert table_of(rows).header_row == 1


def test_header_search_stops_at_the_configured_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [[f"title {i}"] for i in range(30)]
    rows.append(["Patient ID", "DOS", "CPT", "Units"])  # row 31
    rows.append(["P1", "03/02/2026", "97112", 1])
    assert "first 30 rows" in skipped(rows).reason
    config = config_with(tmp_path, "[settings]\nheader_search_rows = 31\n")
    table = table_of(rows, config)
    assert table.header_row == 31
    assert [line.row for line in table.lines] == [32]


def test_find_header_returns_the_one_based_row() -> None:
    found = find_header([["x"], ["Patient ID", "DOS", "CPT"]], default_config())
    assert found is not None
    assert found.row == 2
    assert found.columns == {Field.PATIENT: [1], Field.DOS: [2], Field.CODE: [3]}


# --- sheets that hold no billing table ------------------------------------------------------------


def test_empty_sheet() -> None:
    assert skipped([]).reason == "empty"
    assert skipped([[None, ""], [], ["", None]]).reason == "empty"


def test_no_code_column() -> None:
    reason = skipped([["Patient ID", "DOS", "Units", "Minutes", "Payer"]]).reason
    assert "code" in reason


def test_too_few_fields() -> None:
    skipped([["CPT", "Units"], ["97112", 1]])


def test_non_text_header_cells_are_ignored() -> None:
    table = table_of([[2026, dt.date(2026, 3, 2), "Patient ID", "DOS", "CPT", 97112]])
    assert table.columns == {Field.PATIENT: [3], Field.DOS: [4], Field.CODE: [5]}


# --- several columns per field --------------------------------------------------------------------


def test_numbered_diagnosis_columns_are_all_read() -> None:
    rows = [
        ["Patient ID", "DOS", "CPT", "Dx 1", "Dx2", "DX 3", "Diagnosis 4"],
        ["P1", "03/02/2026", "97112", "M54.50", "G20", "", "R26.89, M99.03"],
    ]
    table = table_of(rows)
    assert table.columns[Field.DIAGNOSES] == [4, 5, 6, 7]
    assert table.lines[0].diagnoses == ("M54.50", "G20", "R26.89", "M99.03")
    assert table.mapping()["diagnoses"] == "Dx 1, Dx2, DX 3, Diagnosis 4"


def test_numbered_modifier_columns_join_the_code_cell_modifiers() -> None:
    rows = [
        ["Patient ID", "DOS", "CPT", "Mod 1", "Mod 2"],
        ["P1", "03/02/2026", "97112-GP", "59", "GP"],
    ]
    table = table_of(rows)
    assert table.columns[Field.MODIFIERS] == [4, 5]
    assert table.lines[0].modifiers == ("GP", "59")


def test_the_first_column_of_a_single_field_wins() -> None:
    rows = [["Patient ID", "DOS", "CPT", "Units", "Qty"],
            ["P1", "3/2/2026", "97112", 2, 9]]
    table = table_of(rows)
    assert table.columns[Field.UNITS] == [4]
    assert table.lines[0].units == 2.0


def test_a_more_specific_known_heading_wins() -> None:
    rows = [["Patient ID", "Date", "Service Date", "CPT", "Units", "Billed Units"],
            ["P1", "3/9/2026", "3/2/2026", "97112", 2, 3]]
    table = table_of(rows)
    assert table.columns[Field.DOS] == [3]
    assert table.columns[Field.UNITS] == [6]
    assert (table.lines[0].dos, table.lines[0].units) == (dt.date(2026, 3, 2), 3.0)


def test_a_numbered_copy_of_a_single_field_is_not_mapped() -> None:
    table = table_of([["Patient ID", "DOS", "CPT", "Units", "Units 2"]])
    assert table.columns[Field.UNITS] == [4]
    assert 5 not in table.headers


# --- patient identity -----------------------------------------------------------------------------


def test_patient_name_stands_in_for_a_missing_patient_id() -> None:
    table = table_of([["Patient", "DOS", "CPT"], ["Doe, Jane", "03/02/2026", "97112"]])
    assert table.columns[Field.PATIENT] == [1]
    assert table.lines[0].patient == "Doe, Jane"


def test_patient_id_and_name_are_kept_apart() -> None:
    table = table_of([["MRN", "Patient Name", "DOS", "CPT"],
                      [1001, "Doe, Jane", "03/02/2026", "97112"]])
    assert table.columns[Field.PATIENT] == [1]
    assert table.columns[Field.PATIENT_NAME] == [2]
    assert (table.lines[0].patient, table.lines[0].patient_name) == ("1001", "Doe, Jane")


# --- extending the spellings ----------------------------------------------------------------------


def test_rules_file_adds_header_spellings_without_losing_the_defaults(tmp_path: Path) -> None:
    config = config_with(tmp_path, '[columns]\ncode = ["svc cd"]\nminutes = ["Zeit"]\n')
    table = table_of([["Patient ID", "DOS", "Svc Cd", "Zeit"]], config)
    assert table.columns[Field.CODE] == [3]
    assert table.columns[Field.MINUTES] == [4]
    assert table_of([["Patient ID", "DOS", "CPT", "Minutes"]], config).columns[Field.CODE] == [3]


def test_unknown_headers_are_not_mapped() -> None:
    table = table_of([["Patient ID", "Favourite colour", "DOS", "CPT"]])
    assert 2 not in table.headers
    assert set(table.columns) == {Field.PATIENT, Field.DOS, Field.CODE}


# --- lines under the header -----------------------------------------------------------------------


def test_rows_without_a_code_are_not_billing_lines_and_rows_keep_their_numbers() -> None:
    rows = [
        ["Patient ID", "DOS", "CPT", "Units"],
        ["P1", "03/02/2026", "97112", 2],
        [None, None, None, None],
        ["", "", "   ", ""],
        ["Total", None, None, 5],
        ["P2", "03/02/2026", "97110", 1],
        ["P3"],  # short row: no code cell at all
    ]
    table = table_of(rows)
    assert [line.row for line in table.lines] == [2, 6]


def test_unreadable_cells_are_recorded_not_guessed() -> None:
    rows = [["Patient ID", "DOS", "CPT", "Units"], ["P1", "2026-02-30", "9711", "two"]]
    line = table_of(rows).lines[0]
    assert (line.dos, line.code, line.units) == (None, None, None)
    assert set(line.unreadable) == {Field.DOS, Field.CODE, Field.UNITS}


def test_day_first_setting_applies_to_dates(tmp_path: Path) -> None:
    config = config_with(tmp_path, '[settings]\ndate_order = "day-first"\n')
    rows = [["Patient ID", "DOS", "CPT"], ["P1", "02/03/2026", "97112"]]
    assert table_of(rows, config).lines[0].dos == dt.date(2026, 3, 2)
    assert table_of(rows).lines[0].dos == dt.date(2026, 2, 3)


def test_attendance_cell_read_with_the_configured_words() -> None:
    rows = [["Patient ID", "DOS", "CPT", "1:1"],
            ["P1", "3/2/2026", "97112", "Y"], ["P1", "3/2/2026", "97112", "Group"],
            ["P1", "3/2/2026", "97112", ""], ["P1", "3/2/2026", "97112", "maybe"]]
    assert [line.one_on_one for line in table_of(rows).lines] == [True, False, None, None]
