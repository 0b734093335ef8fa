"""Columns read by meaning (nmr_xl.read.headings, .columns): a known heading with qualifiers,
abbreviations, numbering or units reads like the plain heading; a qualifier that changes the
meaning does not; the column's values confirm a guess and decide between competing columns;
documented preferences (from over to, a name over an NPI, credential apart from discipline);
a rules file's pinned layout; and `nmr-xl columns`, which prints it all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import openpyxl
import pytest

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.model import EXACT, GUESS, NOT_READ, PINNED, Field, SkippedSheet, Table
from nmr_xl.read.providers import credential_in_name
from nmr_xl.read.table import build_table


@cache
def config() -> Config:
    return load_config()


def read(rows: Sequence[Sequence[object]], cfg: Config | None = None) -> Table:
    table = build_table("Sheet1", rows, cfg or config())
    assert isinstance(table, Table), table
    return table


LINE = ["P1", dt.date(2026, 3, 2), "97112", 2]


# --- a heading with qualifiers reads like the plain heading --------------------------------------

# (heading, the plain heading it must read like, a value of the column)
QUALIFIED = [
    ("Date of Service From", "Date of Service", "03/02/2026"),
    ("Service Date\nFrom", "Service Date", dt.date(2026, 3, 2)),
    ("Svc Dt", "Service Date", "3/2/2026"),
    ("DOS (MM/DD/YYYY)", "DOS", "03/02/2026"),
    ("From", "DOS", "3/2/2026"),
    ("visit_date", "Visit Date", "2026-03-02"),
    ("CPT® Code", "CPT", "97112"),
    ("CPT4", "CPT", "97112"),
    ("HCPCS/CPT", "CPT", "97112"),
    ("Proc Code 1", "Procedure Code", "97112"),
    ("Units (billed)", "Units", 2),
    ("# Units", "Units", 2),
    ("No. of Units", "Units", 2),
    ("Units/Days", "Units", 2),
    ("Svc Units", "Units", 2),
    ("Charge Amount ($)", "Charge", 90.0),
    ("Chg Amt", "Charge", "$90.00"),
    ("Pt Acct #", "Patient Account", "A100"),
    ("EMR Patient ID", "Patient ID", 5001),
    ("Primary Insurance Name", "Primary Insurance", "Medicare"),
    ("Rendering Provider Name", "Rendering Provider", "Dana Cole"),
    ("Documenting Therapist", "Therapist", "Ana Reyes, PTA"),
    ("Tx Time (min)", "Minutes", 30),
    ("Total Timed Minutes", "Minutes", 30),
    ("Attended (Y/N)", "Attended", "Y"),
    ("Provider Credential", "Cred", "PTA"),
    # an optional plural, and the field named twice in other words (held-out review, 3E)
    ("Unit(s)", "Units", 2),
    ("CPT Code(s)", "CPT", "97112"),
    ("Modifier(s)", "Modifiers", "GP"),
    ("Date of Service (DOS)", "Date of Service", "03/02/2026"),
    ("Patient Account # (MRN)", "Patient Account", "A100"),
    ("Billing Units", "Units", 2),
    ("Funding Source", "Payer", "Medicare"),
    ("Fund", "Payer", "Medibank"),  # an Australian health fund
    ("PRIM_PAYER_NM", "Primary Payer Name", "MEDICARE"),  # a SQL dump: NM is name
    ("REND_PROV_NM", "Rendering Provider Name", "PARK, SUE PT"),
    ("Last PN Date", "Progress Report", dt.date(2026, 2, 25)),
]


BASE = {Field.PATIENT: ("Patient ID", "P1"), Field.DOS: ("DOS", dt.date(2026, 3, 2)),
        Field.CODE: ("CPT", "97112"), Field.UNITS: ("Units", 2)}


def _sheet(heading: str, value: object, instead_of: Field | None) -> list[list[object]]:
    """The base columns (without the one the heading stands for) and the heading, 3 lines."""
    base = [(h, v) for f, (h, v) in BASE.items() if f is not instead_of]
    return [[h for h, _ in base] + [heading]] + [[v for _, v in base] + [value]] * 3


@pytest.mark.parametrize(("heading", "plain", "value"), QUALIFIED,
                         ids=[h for h, _, _ in QUALIFIED])
def test_a_qualified_heading_reads_like_the_plain_heading(heading: str, plain: str,
                                                           value: object) -> None:
    match = config().headings.match(plain)
    assert match is not None
    field = match.field
    expected = read(_sheet(plain, value, field))
    got = read(_sheet(heading, value, field))
    column = len(expected.reads)
    assert next(r.field for r in got.reads if r.column == column) is field
    assert got.columns[field] == expected.columns[field]
    name = "patient_name" if field is Field.PATIENT_NAME else field.value
    assert getattr(got.lines[0], name) == getattr(expected.lines[0], name) is not None


# Headings that hold a known word but mean something else: not read as that field.
NOT_THE_FIELD = ["Posting Date", "Date Posted", "Date of Birth", "Birth Dt", "Proc Date",
                 "Procedure Description", "Referring Provider", "Supervising Provider",
                 "Secondary Insurance", "Time In", "Untimed Minutes", "Unit Charge",
                 "Calc Units", "Patient Balance", "Paid Amount"]


@pytest.mark.parametrize("heading", NOT_THE_FIELD)
def test_a_qualifier_that_changes_the_meaning_is_not_read_as_the_field(heading: str) -> None:
    table = read([["Acct", "DOS", "CPT", "Units", "Rendering Provider", "Primary Ins",
                   "Tx Min", "Charge", heading],
                  ["P1", "03/02/2026", "97112", 2, "Cole", "Aetna", 30, 90.0, "03/09/2026"]])
    field = next((r.field for r in table.reads if r.column == 9), None)
    assert field in (None, Field.DESCRIPTION, Field.CREDIT), field


def test_numbered_copies_keep_their_order_and_letters_number_them() -> None:
    table = read([["Acct", "DOS", "CPT", "Units", "Dx B", "Dx A", "Mod 2", "Mod 1"],
                  ["P1", "3/2/2026", "97112", 2, "R26.81", "G20", "59", "GP"]])
    assert table.columns[Field.DIAGNOSES] == [6, 5]
    assert table.lines[0].diagnoses == ("G20", "R26.81")
    assert table.lines[0].modifiers == ("GP", "59")


# --- the values decide ----------------------------------------------------------------------------


def test_content_decides_between_competing_code_columns() -> None:
    rows = [["Acct", "DOS", "Code", "CPT", "Units"],
            *[["P1", "3/2/2026", dx, code, 1] for dx, code in
              (("G20", "97112"), ("R26.81", "97110"), ("M54.50", "97140"))]]
    table = read(rows)
    assert table.columns[Field.CODE] == [4]
    assert [line.code for line in table.lines] == ["97112", "97110", "97140"]
    (plain,) = [r for r in table.reads if r.column == 3]  # "Code" alone is too plain to trust
    assert plain.field is None and plain.why.endswith("0 of 3 values are CPT/HCPCS codes")
    rows[0][2] = "Procedure Code"  # a heading trusted on its own: the values still decide
    table = read(rows)
    assert table.columns[Field.CODE] == [4]
    (loser,) = [r for r in table.reads if r.column == 3]
    assert loser.why == ("column D (\"CPT\") is read as the code: its values are CPT/HCPCS "
                         "codes, this column's are not")


def test_content_decides_units_over_a_unit_of_measure_column() -> None:
    rows = [["service_date", "patient", "code", "units", "quantity"],
            ["2026-03-02", 4001, "97112", "UN", 2], ["2026-03-02", 4001, "97110", "UN", 1],
            ["2026-03-03", 4002, "97112", "UN", 3]]
    table = read(rows)
    assert table.columns[Field.UNITS] == [5]
    assert [line.units for line in table.lines] == [2.0, 1.0, 3.0]


def test_a_guess_whose_values_disagree_is_left_unread_with_the_reason() -> None:
    rows = [["Acct", "Date of Service From", "Svc Date", "CPT", "Units"],
            *[["P1", "see note", "3/2/2026", "97112", 1] for _ in range(4)]]
    table = read(rows)
    assert table.columns[Field.DOS] == [3]
    (rejected,) = [r for r in table.reads if r.column == 2]
    assert rejected.confidence == NOT_READ
    assert rejected.why == ("reads like date of service (\"date of service\" with \"from\"), "
                            "but 0 of 4 values are dates")


def test_a_plain_heading_is_read_only_when_its_values_agree() -> None:
    rows = [["Acct", "Billed", "Date", "CPT", "Units", "Charge"],
            *[["P1", "V03/12/2026", "03/12/2026", "98941", 1, 60.0] for _ in range(3)]]
    table = read(rows)
    assert Field.CHARGE in table.columns and table.columns[Field.CHARGE] == [6]
    assert next(r for r in table.reads if r.column == 2).field is None


def test_a_code_column_no_heading_names_is_found_by_its_values() -> None:
    rows = [["Acct", "DOS", "Service Item", "Units"],
            *[["P1", "3/2/2026", code, 1] for code in ("97112", "97110", "97140")]]
    table = read(rows)
    (guess,) = [r for r in table.reads if r.column == 3]
    assert (guess.field, guess.confidence) == (Field.CODE, GUESS)
    assert guess.why == "heading not known; 3 of 3 values are CPT/HCPCS codes"


def test_a_text_heading_over_cpt_codes_is_the_code_column() -> None:
    """An appointment export calls the code column "Treatment" (a notes heading): when no
    heading names the code, a notes or description column of CPT codes is the code column."""
    rows = [["Appt Date", "Patient", "Treatment", "Billing Units", "Ins Co"],
            *[["3/2/2026", "Doe, Jane", code, 1, "Aetna"] for code in ("97112", "97110", "97140")]]
    table = read(rows)
    (guess,) = [r for r in table.reads if r.column == 3]
    assert (guess.field, guess.confidence) == (Field.CODE, GUESS)
    assert [line.code for line in table.lines] == ["97112", "97110", "97140"]
    assert Field.NOTES not in table.columns


def test_a_notes_column_of_text_stays_the_notes_beside_a_code_column() -> None:
    rows = [["DOS", "Patient", "CPT", "Units", "Treatment"],
            ["3/2/2026", "Doe, Jane", "97112", 1, "balance training"],
            ["3/2/2026", "Doe, Jane", "97110", 1, "ther ex"],
            ["3/2/2026", "Doe, Jane", "97140", 1, "joint mobs"]]
    table = read(rows)
    assert table.columns[Field.CODE] == [3]
    assert table.columns[Field.NOTES] == [5]


# --- documented preferences -----------------------------------------------------------------------


def test_the_from_date_is_the_date_of_service_not_the_to_date() -> None:
    table = read([["Acct", "DOS To", "DOS From", "CPT", "Units"],
                  ["P1", "03/06/2026", "03/02/2026", "97112", 2]])
    assert table.columns[Field.DOS] == [3]
    assert table.lines[0].dos == dt.date(2026, 3, 2)
    (to,) = [r for r in table.reads if r.column == 2]
    assert "the from date is the date of service" in to.why


def test_the_provider_name_is_preferred_to_its_npi() -> None:
    rows = [["Acct", "DOS", "CPT", "Units", "Rendering Provider", "Therapist"],
            ["P1", "3/2/2026", "97112", 2, 1234567893, "Dana Cole, LMT"],
            ["P2", "3/2/2026", "97112", 2, 1234567893, "Dana Cole, LMT"],
            ["P3", "3/2/2026", "97112", 2, 1234567893, "Dana Cole, LMT"]]
    table = read(rows)
    assert table.columns[Field.PROVIDER] == [6]
    assert table.lines[0].provider_type == "LMT"  # the credential at the end of the name


def test_a_discipline_column_is_not_the_credential() -> None:
    rows = [["Acct", "DOS", "CPT", "Units", "Provider Type", "Provider"],
            ["P1", "3/2/2026", "97112", 2, "Physical Therapy", "Ana Reyes, PTA"],
            ["P2", "3/2/2026", "97112", 2, "Massage Therapy", "Sue Wong"],
            ["P3", "3/2/2026", "97112", 2, "Chiropractic", "Mark Ortiz"]]
    table = read(rows)
    assert table.columns[Field.DISCIPLINE] == [5]
    assert table.columns[Field.PROVIDER_TYPE] == [6]  # from the names
    assert table.credential_source == "name"
    assert [(line.provider_type, line.discipline) for line in table.lines] == [
        ("PTA", "Physical Therapy"), (None, "Massage Therapy"), (None, "Chiropractic")]


@pytest.mark.parametrize(("name", "credential"), [
    ("Dana Cole, LMT", "LMT"), ("Mark Ortiz DC", "DC"), ("Cole, Dana PT", "PT"),
    ("Amy Lin OTR/L", "OTR/L"), ("Dr. Mark Ortiz, D.C.", "D.C."), ("Jane Doe, PT, DPT, OCS", "PT"),
    ("Kim Park (PTA)", "PTA"), ("Sam Park, COTA/L", "COTA/L"), ("Lee, Ann - CCC-SLP", "CCC-SLP"),
    ("Pat Ng, PA-C", "PA-C"), ("MARK ORTIZ, DC", "DC"), ("COLE, DANA, LMT", "LMT"),
    ("Nguyen, Ca", None), ("NGUYEN, CA", None), ("Tom Becker", None), ("Dr. Alan Reyes", None),
    ("DANA COLE PT", None), ("Tran, Do", None),
    # a role written out in brackets or after a dash, a credential after a slash (3E)
    ("Sam Green (Rehab Aide)", "Rehab Aide"), ("Green, Sam (Tech)", "Tech"),
    ("Kim Lee - Massage Therapist", "Massage Therapist"), ("Erin Walsh/PTA", "PTA"),
    ("Mary Smith - Jones", None), ("Sam Green (ext. 204)", None), ("Jo Ann - Front Desk", None),
])
def test_the_credential_at_the_end_of_a_name(name: str, credential: str | None) -> None:
    assert credential_in_name(name, config().role_of) == credential


@pytest.mark.parametrize(("written", "role"), [
    ("Licensed Massage Therapist", "massage_therapist"), ("Certified Massage Therapist",
                                                          "massage_therapist"),
    ("Physical Therapist Assistant", "pt_assistant"),
    ("Licensed Physical Therapist Assistant", "pt_assistant"),
    ("Certified Occupational Therapy Assistant", "ot_assistant"),
    ("Physical Therapy Aide", "aide"), ("Rehabilitation Technician", "aide"),
    ("Licensed Physical Therapist", "physical_therapist"),
])
def test_a_credential_spelled_out_in_a_credential_column_reads_as_its_role(
        written: str, role: str) -> None:
    """Clinics' staff lists spell credentials out ("Licensed Massage Therapist") as often as
    they abbreviate them; both say the same role."""
    table = read([["Acct", "DOS", "CPT", "Units", "Clinician", "Clinician Type"],
                  ["P1", "3/2/2026", "97112", 1, "Kim Lee", written],
                  ["P2", "3/2/2026", "97112", 1, "Dana Cole", "PT"]])
    assert table.columns[Field.PROVIDER_TYPE] == [6]
    assert config().role_of(table.lines[0].provider_type) == role


# --- a layout pinned in a rules file --------------------------------------------------------------


def test_a_pinned_layout_is_read_as_pinned(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('''[[layouts]]
name = "charges"
headings = ["Acct", "Svc", "Posted", "Item", "Qty"]
[layouts.columns]
"Svc" = "dos"
"Posted" = "ignore"
"Item" = "code"
''', encoding="utf-8")
    rows = [["Acct", "Svc", "Posted", "Item", "Qty"], ["P1", "3/2/2026", "3/9/2026", "97112", 2]]
    assert isinstance(build_table("S", rows, config()), SkippedSheet)  # unknown headings
    table = read(rows, load_config(rules))
    assert table.columns[Field.DOS] == [2] and table.columns[Field.CODE] == [4]
    assert [r.confidence for r in table.reads] == [EXACT, PINNED, NOT_READ, PINNED, EXACT]
    assert table.lines[0].dos == dt.date(2026, 3, 2)


def test_a_pin_can_name_one_of_two_columns_with_the_same_heading(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[layouts]]\nheadings = ["Date", "CPT"]\n'
                     '[layouts.columns]\n"Date [1]" = "ignore"\n"Date [2]" = "dos"\n',
                     encoding="utf-8")
    rows = [["Acct", "Date", "Date", "CPT", "Units"],
            ["P1", "3/9/2026", "3/2/2026", "97112", 2]]
    table = read(rows, load_config(rules))
    assert table.columns[Field.DOS] == [3]
    assert table.lines[0].dos == dt.date(2026, 3, 2)


def test_columns_command_and_the_pin_round_trip(cli, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Charges by provider"])
    book.active.append(["Acct", "Svc Dt From", "Svc Dt To", "Proc Code", "Qty", "Posted"])
    for acct in ("P1", "P2", "P3"):
        book.active.append([acct, "03/02/2026", "03/02/2026", "97112", 2, "03/09/2026"])
    path = tmp_path / "charges.xlsx"
    book.save(path)

    run = cli("columns", path)
    assert run.code == 0, run.err
    out = run.out.splitlines()
    assert out[0] == 'charges.xlsx, sheet "Sheet": header row 2, 3 billing lines'
    assert out[1].split() == ["A", "Acct", "patient", "known", "known", "heading"]
    assert out[3].split()[:3] == ["C", "Svc", "Dt"] and "-" in out[3].split()
    assert "the from date is the date of service" in out[3]
    pin = run.out[run.out.index("[[layouts]]"):]
    assert '"Svc Dt From" = "dos"' in pin and '"Svc Dt To" = "ignore"' in pin

    rules = tmp_path / "practice.toml"
    rules.write_text(pin.replace('"Svc Dt To" = "ignore"', '"Svc Dt To" = "ignore"\n')
                     .replace('"Posted" = "ignore"', '"Posted" = "dos"')
                     .replace('"Svc Dt From" = "dos"', '"Svc Dt From" = "ignore"'),
                     encoding="utf-8")
    again = cli("columns", path, "--rules", rules)
    line = next(x for x in again.out.splitlines() if x.split()[:2] == ["F", "Posted"])
    assert line.split()[2:4] == ["dos", "pinned"]
    check = cli("check", path, "--rules", rules, "--as-of", "2026-03-31", "--no-annotate",
                "--format", "json")
    assert '"dos": "Posted"' in check.out


def test_a_column_of_zip_codes_is_not_a_code_column() -> None:
    rows = [["Patient ID", "Name", "Last Visit", "ZIP"],
            *[[f"P{n}", "Doe, Jane", "3/2/2026", zip_code]
              for n, zip_code in enumerate(("10023", "60614", "30301", "94110"))]]
    assert isinstance(build_table("Patients", rows, config()), SkippedSheet)


def test_the_timed_minutes_are_preferred_to_the_visits_total_time() -> None:
    rows = [["Acct", "DOS", "CPT", "Units", "Total Treatment Time",
             "Total Timed Code Treatment Minutes"],
            ["P1", "3/2/2026", "97112", 2, 45, 30]]
    table = read(rows)
    assert table.columns[Field.MINUTES] == [6]
    assert table.lines[0].minutes == 30
    assert table.columns[Field.TOTAL_TIME] == [5]  # the visit's total, read for NMR107
    assert table.lines[0].total_time == 45


def test_total_minutes_stays_a_minutes_heading() -> None:
    """Alone it is the line's minutes; beside another minutes column it is left unread, not
    taken for the visit's total treatment time."""
    alone = read([["Acct", "DOS", "CPT", "Units", "Total Minutes"],
                  ["P1", "3/2/2026", "97112", 2, 30]])
    assert alone.columns[Field.MINUTES] == [5] and Field.TOTAL_TIME not in alone.columns
    beside = read([["Acct", "DOS", "CPT", "Units", "Minutes", "Total Minutes"],
                   ["P1", "3/2/2026", "97112", 2, 30, 45]])
    assert beside.columns[Field.MINUTES] == [5] and Field.TOTAL_TIME not in beside.columns


def test_an_allowed_amount_column_is_read_beside_the_charge() -> None:
    rows = [["Acct", "DOS", "CPT", "Units", "Charge", "Allowed Amt", "Ins Paid"],
            ["P1", "3/2/2026", "97112", 2, "136.00", "84.12", "67.30"]]
    table = read(rows)
    assert (table.columns[Field.CHARGE], table.columns[Field.ALLOWED]) == ([5], [6])
    assert (table.lines[0].charge, table.lines[0].allowed) == (136.0, 84.12)


def test_a_cell_with_several_credentials_reads_the_first_with_a_role() -> None:
    assert config().role_of("PTA, LMT") == "pt_assistant"
    assert config().role_of("DPT, OCS") == "physical_therapist"


def test_group_rows_give_their_value_but_report_criteria_do_not() -> None:
    rows = [["Charges by provider   Patients: All   Payer: (All)"],
            ["Acct", "DOS", "CPT", "Units"],
            ["Rendering Provider: Dana Cole, LMT"],
            ["P1", "3/2/2026", "97112", 1],
            ["Rendering Provider: Mark Ortiz DC"],
            ["P2", "3/2/2026", "97112", 1]]
    table = read(rows)
    assert [(line.provider, line.provider_type) for line in table.lines] == [
        ("Dana Cole, LMT", "LMT"), ("Mark Ortiz DC", "DC")]
    assert table.columns[Field.PROVIDER] == [] and Field.PAYER not in table.columns
    assert table.mapping()["provider"] == "(from the rows above the lines)"


def test_diagnosis_rows_never_give_their_codes_to_another_patients_line() -> None:
    """A claim dump's diagnosis rows that name their patient link by patient: a charge line
    of another patient next to them gets none of their codes (it has none of its own)."""
    rows = [["Patient ID", "DOS", "CPT", "Units"],
            ["P1", "3/2/2026", "97112", 2],
            ["P3", "3/2/2026", "G20", None],
            ["P3", "3/2/2026", "97112", 2]]
    table = read(rows)
    by_patient = {line.patient: line.diagnoses for line in table.lines}
    assert by_patient == {"P1": (), "P3": ("G20",)}


# --- minutes given per visit, not per line --------------------------------------------------------

def _visits_sheet(heading: str, minutes: Sequence[Sequence[object]],
                  units: Sequence[Sequence[int]] = ((2, 1), (3, 2), (2, 1), (1, 1)),
                  total: Sequence[object] | None = None) -> list[list[object]]:
    """Four visits of two lines (97112 and 97110): each visit's minutes and units per line."""
    header = ["Patient", "DOS", "CPT", "Mod", "Units", heading]
    if total is not None:
        header.append("Total Treatment Time")
    rows: list[list[object]] = [header]
    for n, (values, billed) in enumerate(zip(minutes, units, strict=True)):
        for code, value, u in zip(("97112", "97110"), values, billed, strict=True):
            row = [f"P{n}", dt.date(2026, 3, 2 + n), code, "GP", u, value]
            if total is not None:
                row.append(total[n])
            rows.append(row)
    return rows


@pytest.mark.parametrize("heading", ["Total Timed Minutes", "Visit Timed Min",
                                     "Timed Minutes (visit)", "Total Timed Code Minutes",
                                     "Minutes"])
def test_a_visit_total_repeated_on_every_line_is_the_visits_minutes(heading: str) -> None:
    table = read(_visits_sheet(heading, [(45, 45), (38, 38), (40, 40), (30, 30)]))
    assert table.column_of(Field.VISIT_MINUTES) == 6
    assert not table.has(Field.MINUTES)
    assert [line.visit_minutes for line in table.lines[:2]] == [45, 45]
    assert all(line.minutes is None for line in table.lines)
    (col,) = [r for r in table.reads if r.column == 6]
    assert col.field is Field.VISIT_MINUTES and col.confidence == GUESS
    assert "repeated on every line of the visit" in col.why
    assert not table.not_read


def test_a_visit_total_on_the_first_line_only_is_given_to_every_line_of_the_visit() -> None:
    table = read(_visits_sheet("Tx Min", [(45, None), (38, None), (40, None), (30, None)]))
    assert table.column_of(Field.VISIT_MINUTES) == 6
    assert [line.visit_minutes for line in table.lines] == [45, 45, 38, 38, 40, 40, 30, 30]
    assert "first line only" in next(r.why for r in table.reads if r.column == 6)
    assert not table.not_read


def test_a_per_line_column_whose_lines_are_equal_stays_per_line() -> None:
    # 15 and 15 beside 1 + 1 units: each line's minutes fit its own units
    table = read(_visits_sheet("Total Timed Minutes", [(15, 15), (30, 30), (15, 15), (20, 20)],
                               units=((1, 1), (2, 2), (1, 1), (1, 1))))
    assert table.column_of(Field.MINUTES) == 6
    assert not table.has(Field.VISIT_MINUTES)
    # a plain heading needs a visit total on most visits: one of four is not enough
    table = read(_visits_sheet("Minutes", [(45, 45), (38, 38), (30, 30), (30, 30)],
                               units=((2, 1), (3, 2), (2, 1), (2, 1))))
    assert table.column_of(Field.MINUTES) == 6


def test_a_per_line_column_with_its_own_minutes_on_most_lines_stays_per_line() -> None:
    """The cheap first look: three visits of minutes of their own, one repeated value."""
    table = read(_visits_sheet("Total Timed Minutes", [(30, 15), (25, 23), (45, 45), (20, 9)]))
    assert table.column_of(Field.MINUTES) == 6
    assert not table.has(Field.VISIT_MINUTES)


def test_the_total_treatment_time_stays_the_total_treatment_time() -> None:
    table = read(_visits_sheet("Total Timed Minutes", [(45, 45), (38, 38), (40, 40), (30, 30)],
                               total=[60, 50, 50, 40]))
    assert table.column_of(Field.VISIT_MINUTES) == 6
    assert table.column_of(Field.TOTAL_TIME) == 7


def test_rules_run_on_the_visits_minutes_and_say_which_did_not() -> None:
    from nmr_xl.engine import check_table

    # the visit of 3 + 2 units in 38 minutes: NMR102 on both lines, no false NMR104
    table = read(_visits_sheet("Total Timed Minutes", [(45, 45), (38, 38), (40, 40), (30, 30)],
                               total=[60, 50, 35, 40]))
    result = check_table(table, config(), dt.date(2026, 3, 31))
    found = {(f.row, f.rule) for f in result.findings if f.rule.startswith("NMR1")}
    assert found == {(4, "NMR102"), (5, "NMR102"), (6, "NMR107")}
    (over,) = {f.message for f in result.findings if f.rule == "NMR102"}
    assert over.startswith("The visit's 38 timed minutes support 3 units")
    assert "NMR101, NMR103: minutes are given per visit, not per line" in result.not_run
    assert not result.cannot_check


# --- merged cells (held-out review, 3E) -------------------------------------------------------


def test_a_patient_and_date_merged_down_over_a_visit_belong_to_every_line(tmp_path: Path
                                                                          ) -> None:
    """Reports print a visit's patient and date once, in a cell merged down over its lines;
    the workbook stores the value in the first row only, Excel shows it on every row."""
    from nmr_xl.read.sources import read_workbook

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Provider: Erin Walsh, PTA"])
    ws.append([])
    ws.append(["Patient", "DOS", "Code", "Units", "Payer"])
    ws.append(["Hu, Jo", dt.date(2026, 3, 9), "97112", 2, "Medicare"])
    ws.append([None, None, "97110", 1, "Medicare"])
    ws.append(["Ives, Kay", dt.date(2026, 3, 9), "97112", 2, "Medicare"])
    ws.merge_cells("A4:A5")
    ws.merge_cells("B4:B5")
    ws.merge_cells("A1:E1")  # a title merged across: not a column's value
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    table = read_workbook(path, config()).tables[0]
    assert [(line.patient_name, line.dos) for line in table.lines] == [
        ("Hu, Jo", dt.date(2026, 3, 9)), ("Hu, Jo", dt.date(2026, 3, 9)),
        ("Ives, Kay", dt.date(2026, 3, 9))]


def test_a_heading_merged_down_over_a_two_row_header_reads_once() -> None:
    from nmr_xl.read.table import fill_merged_down

    rows: list[list[object]] = [["Patient", "Service", None, None],
                                [None, "Date", "Code", "Units"],
                                ["Hu, Jo", "3/9/2026", "97112", 2]]
    rows = fill_merged_down(rows, [(0, 0, 1, 0), (0, 1, 0, 3)])
    assert rows[1][0] == "Patient" and rows[0][2] is None  # down only, not across
    table = read(rows)
    assert table.header_row == 2
    assert table.lines[0].patient_name == "Hu, Jo"
    assert table.columns[Field.DOS] == [2]


def test_a_second_section_whose_header_has_another_order_is_read_by_its_own_header() -> None:
    """One sheet, two sections ("Physical Therapy", then "Chiropractic"), each with its own
    header row, the second in another column order: the second section's lines are read by
    their own header, and their findings point at the cells that hold the values."""
    from nmr_xl.engine import check_table

    rows: list[list[object]] = [
        ["Physical Therapy"],
        ["DOS", "Patient", "CPT", "Mod", "Units", "Payer"],
        ["3/16/2026", "Ivy, Al", "97112", "GP", 2, "Medicare"],
        ["3/16/2026", "Jay, Bo", "97112", None, 2, "Medicare"],
        [],
        ["Chiropractic"],
        ["Patient", "Date of Service", "Qty", "CPT Code", "Modifier", "Payer"],  # spelled otherwise
        ["Kay, Cy", "3/17/2026", 1, "98940", "AT", "Medicare"],
        ["Lee, Di", "3/17/2026", 1, "98940", None, "Medicare"],
        [],
        ["DOS", "Patient", "CPT", "Mod", "Units", "Payer"],  # the first order again
        ["3/18/2026", "Moe, Ed", "97110", None, 1, "Medicare"],
    ]
    table = read(rows)
    assert [(line.row, line.patient_name, line.code, line.units) for line in table.lines] == [
        (3, "Ivy, Al", "97112", 2), (4, "Jay, Bo", "97112", 2), (8, "Kay, Cy", "98940", 1),
        (9, "Lee, Di", "98940", 1), (12, "Moe, Ed", "97110", 1)]
    assert table.not_charges.get("header") == 2
    assert any("row 7 names the same columns in another order" in n for n in table.notes)
    cells = {(f.rule, f.cell) for f in check_table(table, config(), dt.date(2026, 3, 31)).findings}
    assert {("NMR304", "C4"), ("NMR302", "E9"), ("NMR304", "C12")} <= cells


def test_a_totals_sheet_beside_the_lines_is_a_summary_not_billing_lines(tmp_path: Path
                                                                          ) -> None:
    """PM exports put a totals sheet (date, code, units, charges) before the lines: with no
    patient it is not lines to check while another sheet holds them (held-out review, 3E)."""
    from nmr_xl.read.sources import read_workbook

    wb = openpyxl.Workbook()
    totals = wb.active
    totals.title = "Daily Totals"
    totals.append(["Date", "CPT", "Units", "Charges"])
    totals.append([dt.date(2026, 3, 2), "97112", 3, 144.0])
    totals.append([dt.date(2026, 3, 2), "97110", 1, 42.0])
    lines = wb.create_sheet("Lines")
    lines.append(["DOS", "Patient", "CPT", "Units"])
    lines.append([dt.date(2026, 3, 2), "Abe, Al", "97112", 2])
    lines.append([dt.date(2026, 3, 2), "Bo, Bea", "97112", 1])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    book = read_workbook(path, config())
    assert [t.sheet for t in book.tables] == ["Lines"]
    (skipped,) = book.skipped
    assert skipped.name == "Daily Totals" and skipped.reason.startswith("a summary")
    # so is a pivot of units by patient and code (no date of service)
    pivot = wb.create_sheet("By Patient", 0)
    pivot.append(["Patient", "CPT", "Units", "Charges"])
    pivot.append(["Abe, Al", "97112", 2, 96.0])
    pivot.append(["Bo, Bea", "97112", 1, 48.0])
    wb.save(path)
    book = read_workbook(path, config())
    assert [t.sheet for t in book.tables] == ["Lines"]
    assert {s.name for s in book.skipped} == {"Daily Totals", "By Patient"}
    del wb["By Patient"]
    # alone, the same sheet is read (and reported as not fully checked: no patient)
    del wb["Lines"]
    wb.save(path)
    assert [t.sheet for t in read_workbook(path, config()).tables] == ["Daily Totals"]


def test_modifiers_typed_without_a_separator_are_read_as_the_modifiers_they_join() -> None:
    table = read([["Acct", "DOS", "CPT", "Mod", "Units"],
                  ["P1", "3/2/2026", "97112", "GP59", 1],
                  ["P1", "3/2/2026", "97110", "gpkx", 1],
                  ["P1", "3/2/2026", "97140", "GPZZ", 1]])
    assert [line.modifiers for line in table.lines] == [("GP", "59"), ("GP", "KX"), ()]
    assert Field.MODIFIERS in table.lines[2].unreadable  # not two known modifiers: reported
    assert Field.MODIFIERS not in table.lines[0].unreadable


# --- day-first dates, two-row headers repeated, the first line under a header ----------------


def test_text_dates_that_show_the_day_first_are_read_day_first() -> None:
    """A UK or Australian clinic's export: 17/02/2026 can only be day first, so 03/02/2026 on
    the same sheet is 3 February, whatever the rules file's date_order; said in a note."""
    rows = [["Patient", "DOS", "CPT", "Units"], ["P1", "03/02/2026", "97112", 2],
            ["P1", "17/02/2026", "97112", 2], ["P2", "12/03/2026", "97110", 1],
            ["P2", "24/02/2026", "97110", 1]]
    table = read(rows)
    assert [line.dos for line in table.lines] == [
        dt.date(2026, 2, 3), dt.date(2026, 2, 17), dt.date(2026, 3, 12), dt.date(2026, 2, 24)]
    assert any("day first" in n for n in table.notes)


def test_dates_that_do_not_tell_their_order_follow_the_setting() -> None:
    rows = [["Patient", "DOS", "CPT", "Units"], ["P1", "03/02/2026", "97112", 2],
            ["P1", "02/17/2026", "97112", 2], ["P2", "17/02/2026", "97110", 1]]
    table = read(rows)  # contradicting dates: month first, as set, and 17/02/2026 unreadable
    assert table.lines[0].dos == dt.date(2026, 3, 2)
    assert Field.DOS in table.lines[2].unreadable
    assert not any("day first" in n for n in table.notes)


def test_one_date_that_reads_only_day_first_is_a_slip_not_the_order() -> None:
    rows = [["Patient", "DOS", "CPT", "Units"], ["P1", "03/02/2026", "97112", 2],
            ["P2", "13/02/2026", "97110", 1], ["P2", "03/04/2026", "97110", 1]]
    table = read(rows)
    assert table.lines[0].dos == dt.date(2026, 3, 2)
    assert Field.DOS in table.lines[1].unreadable


def test_day_first_dates_only_after_the_first_look_are_told_not_reread() -> None:
    """A day-first sheet sorted by date: 01/02-12/02 fill the first look, so it is read month
    first; 13/02 and 14/02 after it say otherwise: a note, and their NMR002 says what to set."""
    first = [[f"P{i}", f"{1 + i // 12:02d}/02/2026", "97112", 1] for i in range(144)]
    rows = [["Patient", "DOS", "CPT", "Units"], *first,
            ["P1", "13/02/2026", "97112", 1], ["P2", "14/02/2026", "97110", 1]]
    table = read(rows)
    assert table.lines[0].dos == dt.date(2026, 1, 2)  # not read again
    assert [line.unreadable[Field.DOS] for line in table.lines[-2:]] == [
        f'"{d}/02/2026" is not a real date when read as month/day/year (the sheet\'s dates '
        'look day first: set settings.date_order = "day-first" in the rules file)'
        for d in (13, 14)]
    assert sum("settings.date_order" in n for n in table.notes) == 1
    one_slip = read([["Patient", "DOS", "CPT", "Units"], *first,
                     ["P1", "13/02/2026", "97112", 1], ["P2", "02/17/2026", "97110", 1]])
    assert not any("date_order" in n for n in one_slip.notes)
    assert "date_order" not in one_slip.lines[-2].unreadable[Field.DOS]


def test_a_two_row_header_repeated_on_a_later_page_is_not_a_line() -> None:
    upper = ["Patient", "Date of", "Procedure", "Units", "Timed"]
    lower = ["Name", "Service", "Code", "Billed", "Minutes"]
    line = ["Doe, Jane", "03/02/2026", "97112", 2, 30]
    table = read([upper, lower, line, ["Page 2 of 2"], upper, lower, line])
    assert [line.code for line in table.lines] == ["97112", "97112"]
    assert all(not line.unreadable for line in table.lines)
    assert table.not_charges.get("header") == 2


def test_the_first_line_under_a_header_is_never_joined_to_it() -> None:
    """Headings nmr-xl does not all know over a first line whose code cell has a label
    ("CPT 97112"): the line is a line, not the header's second row."""
    rows = [["Client Name", "Appointment Date", "Item", "Qty", "Practitioner"],
            ["Kelly, Zoe", "02/03/2026", "CPT 97112", "2", "Sam Boyd PT"],
            ["Kelly, Zoe", "04/03/2026", "CPT 97112", "2", "Sam Boyd PT"],
            ["Nolan, Pat", "13/03/2026", "CPT 97110", "1", "Sam Boyd PT"],
            ["Nolan, Pat", "20/03/2026", "CPT 97110", "1", "Sam Boyd PT"]]
    table = read(rows)
    assert table.header_row == 1
    assert len(table.lines) == 4 and table.lines[0].patient_name == "Kelly, Zoe"
    assert table.lines[2].dos == dt.date(2026, 3, 13)


def test_a_ledger_description_of_codes_between_payments_is_the_code_column() -> None:
    """A patient ledger's only code is in its description, between copays and adjustments:
    the description is the code column, the payments are rows of another kind."""
    rows = [["Patient: Quinn, Harold"], ["Date", "Description", "Units", "Charges", "Payments"],
            [dt.date(2026, 3, 2), "98940 Chiropractic Manipulation (AT)", 1, "45.00", None],
            [dt.date(2026, 3, 2), "Copay - Check #1182", None, None, "10.00"],
            [dt.date(2026, 3, 4), "97112 Neuromuscular Re-education (GP)", 1, "48.00", None],
            [dt.date(2026, 3, 10), "Medicare Payment", None, None, "80.14"],
            [dt.date(2026, 3, 10), "Contractual Adjustment", None, None, "12.86"],
            [dt.date(2026, 3, 11), "98940 Chiropractic Manipulation", 1, "45.00", None]]
    table = read(rows)
    assert table.columns[Field.CODE] == [2]
    assert [(line.code, line.modifiers) for line in table.lines] == [
        ("98940", ("AT",)), ("97112", ("GP",)), ("98940", ())]
    assert sum(table.not_charges.values()) == 3


def test_a_claim_row_holding_several_service_lines_is_refused_plainly() -> None:
    """CMS-1500 lines flattened into one row per claim ("Line 1 CPT" .. "Line 6 CPT"): read one
    line a row, lines 2-6 would go unchecked and their modifiers be mixed up: not read."""
    head = ["Patient", "Payer"]
    for i in range(1, 4):
        head += [f"Line {i} DOS", f"Line {i} CPT", f"Line {i} Mod", f"Line {i} Units"]
    line = ["Gray, Al", "Medicare", "03/02/2026", "97112", "GP", 2, "03/02/2026", "97110", "",
            1, None, None, None, None]
    got = build_table("Claims", [head, line, line, line], config())
    assert isinstance(got, SkippedSheet)
    assert "several service lines" in got.reason and "'Line 1 CPT'" in got.reason


def test_one_visit_key_for_every_visit_grouping() -> None:
    """"ROE, MAX" and "Roe, Max" on one date are one visit for the rules' visits(), the visit
    minutes' grouping and its cheap first look alike (visit_key: patient case ignored)."""
    from nmr_xl.model import Line
    from nmr_xl.read.visit_time import _mostly_per_line, _visits
    from nmr_xl.rules.common import visit_key, visits

    day = dt.date(2026, 3, 2)

    def line(row: int, patient: str, minutes: float, when: dt.date = day) -> Line:
        return Line(row=row, patient=patient, dos=when, code="97110", units=2, minutes=minutes)

    upper, lower = line(2, "ROE, MAX", 38), line(3, "Roe, Max", 38)
    assert visit_key(upper) == visit_key(lower)
    assert list(visits([upper, lower]).values()) == [[upper, lower]]
    assert _visits([upper, lower]) == [[upper, lower]]
    other = dt.date(2026, 3, 3)
    # one visit with minutes of each line's own, one (case apart) sharing its minutes: even
    own = [line(4, "Lee, Ann", 30, other), line(5, "Lee, Ann", 15, other)]
    assert not _mostly_per_line([upper, lower, *own], frozenset({"97110"}))
