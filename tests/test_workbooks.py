"""The workbooks in workbooks/: regenerated they are what is committed, the sample shows every
rule on the lines meant for it (and nowhere else), and the template is blank but well-formed.

What the sample is meant to produce is not written here: make_workbooks.sample_expectations()
takes it from the rule fixtures' sample cases, the same declarations the sample's flagged lines
are built from (tests/test_rule_fixtures.py checks each case alone).
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from pathlib import Path

import make_workbooks
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from nmr_xl.config.load import load_config
from nmr_xl.engine import check_table
from nmr_xl.model import SUPPORT_FIELDS, Field, Table
from nmr_xl.read.table import build_table
from nmr_xl.rules import all_rules
from nmr_xl.runner import FileResult, check_file

WORKBOOKS = Path(__file__).resolve().parent.parent / "workbooks"
SAMPLE = WORKBOOKS / "sample-billing.xlsx"
TEMPLATE = WORKBOOKS / "billing-template.xlsx"
AS_OF = make_workbooks.AS_OF

@pytest.fixture(scope="module")
def sample_result() -> FileResult:
    return check_file(SAMPLE, load_config(), AS_OF, annotate=False)


@pytest.fixture(scope="module")
def template_result() -> FileResult:
    return check_file(TEMPLATE, load_config(), AS_OF, annotate=False)


@pytest.fixture(scope="module")
def expected() -> make_workbooks.SampleExpectations:
    return make_workbooks.sample_expectations()


# --- (a) the committed files are what the generator makes -------------------------------------

STALE = "stale: regenerate with  python workbooks/make_workbooks.py"


def _entries(path: Path) -> list[tuple[str, tuple[int, ...], bytes]]:
    """Every zip entry: name, timestamp and content, in order (the compressed bytes also depend
    on the zlib build, the content does not)."""
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, info.date_time, archive.read(info))
                for info in archive.infolist()]


@pytest.mark.parametrize("name", [SAMPLE.name, TEMPLATE.name])
def test_committed_workbooks_are_a_fresh_build(tmp_path: Path, name: str) -> None:
    make_workbooks.generate(tmp_path)
    committed, fresh = _entries(WORKBOOKS / name), _entries(tmp_path / name)
    assert [e[:2] for e in fresh] == [e[:2] for e in committed], f"{name} is {STALE}"
    for (part, _, ours), (_, _, theirs) in zip(fresh, committed, strict=True):
        assert ours == theirs, f"{name}: {part} differs, {name} is {STALE}"


def test_generator_does_not_depend_on_today(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    make_workbooks.generate(first)
    make_workbooks.generate(second)
    for name in (SAMPLE.name, TEMPLATE.name):
        assert (first / name).read_bytes() == (second / name).read_bytes()


# --- (b) the sample ---------------------------------------------------------------------------


def test_sample_reads_as_one_billing_sheet(sample_result: FileResult,
                                          expected: make_workbooks.SampleExpectations) -> None:
    assert sample_result.error is None
    assert [s.name for s in sample_result.sheets] == ["Charge Detail"]
    sheet = sample_result.sheets[0]
    assert sheet.header_row == make_workbooks.HEADER_ROW == 4
    assert sheet.rows == expected.lines
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


def _where(rows: Counter[tuple[int, str]], expected: make_workbooks.SampleExpectations
           ) -> list[str]:
    return [f"row {row} {rule} (in {expected.block_of(row)})"
            for row, rule in sorted(rows.elements())]


def test_sample_findings_are_exactly_the_intended_ones(
        sample_result: FileResult, expected: make_workbooks.SampleExpectations) -> None:
    """The union of the sample cases' expectations, each case checked alone by the fixture
    runner: a difference here is blocks that meet (a rule pooling lines across them) or a
    practice line that is not clean."""
    found = Counter((f.row, f.rule) for f in sample_result.findings)
    wanted = Counter(expected.findings)
    assert found == wanted, (
        f"unexpected: {_where(found - wanted, expected)}; "
        f"missing: {_where(wanted - found, expected)}"
    )
    cells = {(f.row, f.rule, f.cell) for f in sample_result.findings}
    assert set(expected.cells) <= cells
    assert sample_result.suppressed == expected.suppressed > 0


def test_practice_lines_alone_are_clean() -> None:
    """The practice's own lines expect no finding: every flagged line is a sample case."""
    config = load_config()
    rows: list[list[object]] = [[*make_workbooks.SAMPLE_HEADER]]
    for patient, services in make_workbooks.PRACTICE_LINES:
        rows += [make_workbooks.sheet_values(make_workbooks.practice_row(patient, svc))
                 for svc in services]
    table = build_table("Charge Detail", rows, config)
    assert isinstance(table, Table) and len(table.lines) == len(rows) - 1
    result = check_table(table, config, AS_OF)
    assert [(f.row, f.rule) for f in result.findings] == [] and result.suppressed == 0


def test_sample_is_mostly_clean(sample_result: FileResult) -> None:
    flagged = {f.row for f in sample_result.findings}
    assert len(flagged) <= sample_result.rows // 3


def test_sample_charge_formulas_carry_results(expected: make_workbooks.SampleExpectations
                                              ) -> None:
    # Excel stores a formula's last result; the reader sees charges only through those.
    last = make_workbooks.FIRST_ROW + expected.lines - 1
    book = openpyxl.load_workbook(SAMPLE, data_only=True)
    ws = book["Charge Detail"]
    charges = [row[24] for row in ws.iter_rows(min_row=5, max_row=last, values_only=True)]
    book.close()
    assert len(charges) == expected.lines and all(isinstance(c, int | float) for c in charges)
    formulas = openpyxl.load_workbook(SAMPLE)["Charge Detail"]
    assert formulas["Y4"].value == "Charge"
    assert formulas["Y5"].value == "=H5*X5"
    assert formulas[f"Y{last + 2}"].value == f"=SUM(Y5:Y{last})"


# --- (c) the sample is built from the sample cases ----------------------------------------------

NEW_CASE = """
rule = "NMR004"

[[case]]
name = "sample: a visit posted ahead"
sample = true
header = ["Acct #", "Patient", "DOS", "CPT", "Units"]
rows = [
  ["RB10001", "Example, Ann", 2026-03-30, "98940", 1],
  ["RB10001", "Example, Ann", 2026-04-06, "98940", 1],
]
expect = [[3, "NMR004", "C3"]]
"""


def _fixtures_with(tmp_path: Path, text: str) -> Path:
    """The repository's rule fixtures, with NMR004.toml given `text` appended."""
    folder = tmp_path / "fixtures"
    shutil.copytree(make_workbooks.FIXTURES, folder)
    with (folder / "NMR004.toml").open("a", encoding="utf-8") as file:
        file.write(text.replace('rule = "NMR004"\n', ""))
    return folder


def test_a_new_sample_case_shows_up_in_the_sample_and_its_expectations(tmp_path: Path) -> None:
    """No other edit: the case's lines go in by account number (first), its finding moves
    with them, and every other block moves down by its two lines."""
    before = make_workbooks.sample_expectations()
    folder = _fixtures_with(tmp_path, NEW_CASE)
    after = make_workbooks.sample_expectations((folder,))
    assert after.lines == before.lines + 2
    first = make_workbooks.FIRST_ROW
    assert after.blocks[0][:2] == (first, first + 1)
    assert Counter(after.findings) == Counter(
        [(first + 1, "NMR004"), *((row + 2, rule) for row, rule in before.findings)])
    make_workbooks.generate(tmp_path / "out", (folder,))
    result = check_file(tmp_path / "out" / SAMPLE.name, load_config(), AS_OF, annotate=False)
    assert Counter((f.row, f.rule) for f in result.findings) == Counter(after.findings)


def test_blocks_keep_their_own_patients(tmp_path: Path) -> None:
    clash = NEW_CASE.replace('"RB10001", "Example, Ann"', '"RB10214", "Example, Ann"')
    with pytest.raises(make_workbooks.SampleCaseError,
                       match="'RB10214' is in both the practice's lines of Whitfield, Harold "
                             "and NMR004 sample case 'sample: a visit posted ahead'"):
        make_workbooks.sample_expectations((_fixtures_with(tmp_path, clash),))


@pytest.mark.parametrize(("change", "problem"), [
    (('"Units"]', '"Units", "Charge"]'), "not among the sample's typed columns"),
    (('"98940", 1],\n]', '"9714O", 1],\n]'), "'9714O' is not in the fee schedule"),
    (('[[3, "NMR004", "C3"]]', '[[4, "NMR004", "C4"]]'), "rows are 2 to 3"),
])
def test_a_sample_case_that_does_not_fit_the_sample_is_refused(
        tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    text = NEW_CASE.replace(*change)
    assert text != NEW_CASE
    with pytest.raises(make_workbooks.SampleCaseError, match=problem):
        make_workbooks.sample_expectations((_fixtures_with(tmp_path, text),))




# --- (d) the template -------------------------------------------------------------------------


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
