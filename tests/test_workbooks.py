"""The workbooks in workbooks/: regenerated they match what is committed, the sample shows every
rule on the lines meant for it (and nowhere else), and the template is blank but well-formed."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from nmr_xl.config.load import load_config
from nmr_xl.model import SUPPORT_FIELDS, Field
from nmr_xl.rules import all_rules
from nmr_xl.runner import FileResult, check_file

WORKBOOKS = Path(__file__).resolve().parent.parent / "workbooks"
SAMPLE = WORKBOOKS / "sample-billing.xlsx"
TEMPLATE = WORKBOOKS / "billing-template.xlsx"
AS_OF = dt.date(2026, 3, 31)

# Every finding the sample is designed to produce, as (worksheet row, rule), checked as of
# 2026-03-31. Reviewed line by line; the comments say why each one is right.
EXPECTED: list[tuple[int, str]] = [
    (9, "NMR104"),    # Whitfield 03/09: 97112 40 min billed x2; 40 min support 3 units
    (14, "NMR005"),   # Whitfield 03/16, Medicare: second 97110 line (GP 59) for the visit
    (15, "NMR090"),   # Whitfield 03/18: "nmr: ignore NMR205" but I69.351 is on the line
    (17, "NMR305"),   # Whitfield 03/23, Medicare: 97110 by the PTA with GP but no CQ
    (20, "NMR308"),   # Whitfield 03/30: plan of care ended 03/27 (recert not signed)
    (24, "NMR302"),   # Alvarez 03/12, Medicare: 98941 with none of AT / GA / GZ
    (26, "NMR105"),   # Alvarez 03/17: 98941 posted twice, 2 units on the visit (MUE 1)
    (26, "NMR003"),   # Alvarez 03/17: 98941-AT posted twice (first on row 25)
    (28, "NMR303"),   # Alvarez 03/24, Medicare: 98941-AT with M54.50 first, M99.03 second
    (30, "NMR302"),   # Alvarez 03/31, Medicare: 98941 with AT and GA (maintenance, ABN)
    (31, "NMR004"),   # Alvarez 04/02/2026: after the as-of date (pre-entered from schedule)
    (40, "NMR207"),   # Okafor, Aetna: 97112 44 days after first 97112 visit 02/10 (> 42)
    # (41, NMR207) is suppressed: the note cites the authorization and "nmr: ignore NMR207"
    (43, "NMR208"),   # Castillo, BCBS of Tennessee: 97112 (policy: investigational)
    (48, "NMR208"),   # Castillo, BCBS of Tennessee: 97112 again
    (50, "NMR002"),   # Castillo 03/25: modifier "X5" (XS typed with a 5) is not a modifier
    (50, "NMR306"),   # ... so 97140 meets 98940 on the visit with no 59 / XS left
    (56, "NMR202"),   # Nguyen 03/09: 97112 for trigger point therapy / IASTM
    (56, "NMR205"),   # ... with only M54.50, M99.03, M62.830 on the visit
    (58, "NMR101"),   # Nguyen 03/16: 97140 with the minutes cell empty
    (61, "NMR202"),   # Nguyen 03/23: "PNF stretching" by a massage therapist
    (61, "NMR204"),   # ... rendered by an LMT
    (61, "NMR205"),   # ... with back-pain diagnoses only
    (63, "NMR306"),   # Nguyen 03/30, UHC: 97140 with 98940 on the visit, 59 left off
    (65, "NMR102"),   # Patterson 03/02: 97112 22 + 97110 20 = 42 min, 3 units; 97110 x2 over
    (66, "NMR206"),   # Patterson 03/06: "LE strengthening and hip ROM" billed as 97112
    (68, "NMR204"),   # Patterson 03/09: 97112 by a rehab aide
    (70, "NMR201"),   # Patterson 03/13: 97112 with 1:1 = Group (balance class; 97150)
    (71, "NMR209"),   # Patterson 03/18: 97112 with the functional goal empty
    (77, "NMR304"),   # Fischer 03/04, Medicare: 97116 with no GP
    (81, "NMR103"),   # Fischer 03/11: 97110 33 + 97140 7 = 3 units as 2 + 1; billed 1 + 2
    (84, "NMR104"),   # Fischer 03/18: 97116 "380" min (typo for 38) supports 25 units
    (84, "NMR106"),   # ... and pushes the PT's one-on-one day to 528 min (> 480) on this line
    (91, "NMR203"),   # Reyes 03/03: 97112 for vibration plate / wobble chair
    (93, "NMR102"),   # Reyes 03/10: lone 97140 of 6 min billed x1 (under 8 min: 0 units)
    (95, "NMR204"),   # Reyes 03/17: 97112 by a chiropractic assistant (default: not allowed)
    (97, "NMR201"),   # Reyes 03/24: notes say the circuit was done "on own"
    (103, "NMR001"),  # Holloway 3/13: 97010 with units empty
    (111, "NMR205"),  # Marsh 03/10: 97112 with M99.03, M54.50, M51.26 only
    (113, "NMR002"),  # Marsh 03/12: code "9714O" (letter O)
    (115, "NMR307"),  # Marsh 03/17: 97140 with 59 and XS on one line
    (116, "NMR002"),  # Marsh: date of service "3/42/2026"
    (121, "NMR301"),  # Kowalski 03/09, Medicare: 97112-GP-59 by a DC without GY
    (122, "NMR105"),  # Kowalski 03/16: 98940 x2 (typo; MUE 1)
    (143, "NMR309"),  # Dunlap 03/25, Medicare: 11th treatment day, no progress report yet
    (147, "NMR308"),  # Sutton 03/30, Medicare: PT plan certified by Hale, Marcus DC (97161)
]


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_workbooks",
                                                  WORKBOOKS / "make_workbooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def sample_result() -> FileResult:
    return check_file(SAMPLE, load_config(), AS_OF, annotate=False)


@pytest.fixture(scope="module")
def template_result() -> FileResult:
    return check_file(TEMPLATE, load_config(), AS_OF, annotate=False)


# --- (a) the committed files are what the generator makes -------------------------------------


def _values(path: Path, data_only: bool) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path, data_only=data_only)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


@pytest.mark.parametrize("name", [SAMPLE.name, TEMPLATE.name])
@pytest.mark.parametrize("data_only", [False, True], ids=["formulas", "cached-results"])
def test_regenerated_workbooks_match_committed(generator: ModuleType, tmp_path: Path,
                                               name: str, data_only: bool) -> None:
    generator.generate(tmp_path)
    committed = _values(WORKBOOKS / name, data_only)
    fresh = _values(tmp_path / name, data_only)
    assert list(fresh) == list(committed), "sheet names or order differ: rerun make_workbooks.py"
    for sheet, rows in committed.items():
        assert fresh[sheet] == rows, f"{name}!{sheet} differs: rerun workbooks/make_workbooks.py"


def test_generator_does_not_depend_on_today(generator: ModuleType, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    generator.generate(first)
    generator.generate(second)
    for name in (SAMPLE.name, TEMPLATE.name):
        assert (first / name).read_bytes() == (second / name).read_bytes()


# --- (b) the sample ---------------------------------------------------------------------------


def test_sample_reads_as_one_billing_sheet(sample_result: FileResult) -> None:
    assert sample_result.error is None
    assert [s.name for s in sample_result.sheets] == ["Charge Detail"]
    sheet = sample_result.sheets[0]
    assert sheet.header_row == 4
    assert sheet.rows == 144
    assert sheet.not_run == []  # every rule can run on it
    assert sheet.columns == {
        "patient": "Acct #", "patient_name": "Patient", "dos": "DOS", "code": "CPT",
        "modifiers": "Mod 1, Mod 2, Mod 3", "units": "Units", "minutes": "Tx Min",
        "diagnoses": "Dx 1, Dx 2, Dx 3, Dx 4", "provider": "Rendering Provider",
        "provider_type": "Cred", "one_on_one": "1:1", "payer": "Primary Ins",
        "notes": "Treatment Notes", "goal": "Functional Goal", "poc_start": "POC Start",
        "poc_end": "POC End", "certifier": "Certified By",
        "progress_report": "Progress Report", "charge": "Charge",
    }
    assert [s.name for s in sample_result.skipped] == ["Fee Schedule"]
    assert sample_result.payers == {
        "Medicare Part B": "medicare", "Aetna Choice POS II": "aetna",
        "BCBS of Tennessee": "bcbs-tennessee", "UnitedHealthcare Choice Plus": "default",
        "AARP Medicare Advantage (UHC)": "medicare-advantage", "Self Pay": "default",
    }


def test_sample_fires_every_rule(sample_result: FileResult) -> None:
    fired = {f.rule for f in sample_result.findings}
    missing = sorted({r.code for r in all_rules()} - fired)
    assert not missing, f"the sample shows no finding of {', '.join(missing)}"


def test_sample_findings_are_exactly_the_intended_ones(sample_result: FileResult) -> None:
    found = Counter((f.row, f.rule) for f in sample_result.findings)
    expected = Counter(EXPECTED)
    assert found == expected, (
        f"unexpected: {sorted((found - expected).elements())}; "
        f"missing: {sorted((expected - found).elements())}"
    )
    assert sample_result.suppressed == 1  # row 41, NMR207, by its notes marker


def test_sample_is_mostly_clean(sample_result: FileResult) -> None:
    flagged = {f.row for f in sample_result.findings}
    assert len(flagged) <= sample_result.rows // 3


def test_sample_charge_formulas_carry_results(sample_result: FileResult) -> None:
    # Excel stores a formula's last result; the reader sees charges only through those.
    book = openpyxl.load_workbook(SAMPLE, data_only=True)
    ws = book["Charge Detail"]
    charges = [row[24] for row in ws.iter_rows(min_row=5, max_row=148, values_only=True)]
    book.close()
    assert len(charges) == 144 and all(isinstance(c, int | float) for c in charges)
    formulas = openpyxl.load_workbook(SAMPLE)["Charge Detail"]
    assert formulas["Y4"].value == "Charge"
    assert formulas["Y5"].value == "=H5*X5"
    assert formulas["Y150"].value == "=SUM(Y5:Y148)"


# --- (c) the template -------------------------------------------------------------------------


def _validations(path: Path) -> dict[str, object]:
    """Header text -> the data validation covering that column's row 2."""
    book = openpyxl.load_workbook(path)
    ws = book["Billing"]
    headers = {cell.column_letter: cell.value for cell in ws[1]}
    found = {}
    for dv in ws.data_validations.dataValidation:
        for cells in dv.sqref.ranges:
            letter = get_column_letter(cells.min_col)
            assert cells.min_row == 2 and cells.max_row >= 1000
            found[headers[letter]] = dv
    book.close()
    return found


def _list_items(path: Path, formula: str) -> list[str]:
    sheet, ref = formula.lstrip("=").split("!")
    book = openpyxl.load_workbook(path)
    items = [row[0].value for row in book[sheet][ref.replace("$", "")]]
    book.close()
    return items


def test_template_has_drop_downs_and_input_checks() -> None:
    dvs = _validations(TEMPLATE)
    config = load_config()
    for header in ("Provider Type", "One-on-One", "Payer", "Progress Report"):
        assert dvs[header].type == "list", header
    provider_types = _list_items(TEMPLATE, dvs["Provider Type"].formula1)
    assert provider_types == ["DC", "PT", "PTA", "OT", "OTA", "LMT", "Aide", "CA"]
    assert all(config.role_of(t) for t in provider_types)  # each is a role nmr-xl knows
    assert _list_items(TEMPLATE, dvs["One-on-One"].formula1) == ["Yes", "No"]
    assert "yes" in config.attendance_yes and "no" in config.attendance_no
    # Progress Report: Yes / No from the list, but a typed date (the last report) is let in.
    assert _list_items(TEMPLATE, dvs["Progress Report"].formula1) == ["Yes", "No"]
    assert dvs["Progress Report"].errorStyle == "information"
    payers = _list_items(TEMPLATE, dvs["Payer"].formula1)
    assert payers[-1] == "Other" and config.profile_for("Other").id == "default"
    named = {config.profile_for(p).id for p in payers[:-1]}
    assert named == set(config.profiles) - {"default"}  # one entry per bundled profile
    for header in ("Units", "Minutes"):
        assert dvs[header].type == "whole", header
    for header in ("Date of Service", "Plan of Care Start", "Plan of Care End"):
        assert dvs[header].type == "date", header
    book = openpyxl.load_workbook(TEMPLATE)
    assert book["Lists"].sheet_state == "hidden"
    assert book["Billing"].freeze_panes == "C2"
    assert book["Billing"].max_row == 1  # blank: headers only
    book.close()


def test_template_checks_clean_and_reads_every_field(template_result: FileResult) -> None:
    assert template_result.error is None
    assert [s.name for s in template_result.sheets] == ["Billing"]
    sheet = template_result.sheets[0]
    assert sheet.header_row == 1 and sheet.rows == 0
    assert template_result.findings == []
    # every header is read: every field of a billing line
    assert set(sheet.columns) == {f.value for f in Field if f not in SUPPORT_FIELDS}
    assert len(sheet.columns) == len(Field) - len(SUPPORT_FIELDS) == 19
    assert sorted(s.name for s in template_result.skipped) == ["Instructions", "Lists"]
