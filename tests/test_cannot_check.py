"""A sheet with no column for a field whole rule families need (here: the date of service) is
a warning about the file: first in the terminal report, first on the summary sheet, in the
batch summary's row for the input, in the JSON report, and --fail-on warning exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from nmr_xl.summary_layout import summary_layout
from nmr_xl.write.summary import SUMMARY_SHEET

AS_OF = "2026-03-31"


def no_date_of_service(path: Path, patient: str = "P2") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet.append(["Acct", "Posted", "CPT", "Mod", "Units", "Payer"])
    sheet.append(["P1", "03/09/2026", "97112", "GP", 2, "Aetna"])
    sheet.append([patient, "03/09/2026", "97110", "GP", 1, "Aetna"])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


WARNING = ("The sheet 'Charges' cannot be fully checked: no column was read as the date of "
           "service, so 7 rules did not run (NMR003, NMR004, NMR005, NMR105, NMR207, NMR306, "
           "NMR313) "
           "(others need more columns: see the rules not run). Columns that may be it: "
           "'Posted' (B: not a heading nmr-xl knows; its values are dates). If a column holds "
           "the date of service, pin it in a rules file: `nmr-xl columns` on this file prints "
           "how every heading was read and the lines to pin.")


def test_text_report_says_it_first_and_fail_on_warning_exits_1(cli, tmp_path: Path) -> None:
    path = no_date_of_service(tmp_path / "charges.xlsx")
    run = cli("check", path, "--as-of", AS_OF, "--no-annotate")
    assert run.code == 0  # no finding at or above error: the default --fail-on
    lines = run.out.splitlines()
    assert lines[0] == f"{path}: warning: {WARNING}"
    assert lines[1].startswith("charges.xlsx: 2 billing lines on 1 sheet, 0 findings")
    assert cli("check", path, "--as-of", AS_OF, "--no-annotate",
               "--fail-on", "warning").code == 1
    assert cli("check", path, "--as-of", AS_OF, "--no-annotate", "--fail-on", "info").code == 1
    assert cli("check", path, "--as-of", AS_OF, "--no-annotate", "--fail-on", "never").code == 0


def test_json_report_carries_it(cli, tmp_path: Path) -> None:
    path = no_date_of_service(tmp_path / "charges.xlsx")
    run = cli("check", path, "--as-of", AS_OF, "--no-annotate", "--format", "json")
    (file,) = json.loads(run.out)["files"]
    assert file["warnings"] == [WARNING]
    (sheet,) = file["sheets"]
    assert sheet["missing_fields"] == ["dos"]
    assert {"column": "B", "heading": "Posted", "field": None, "confidence": "not read",
            "why": "not a heading nmr-xl knows; its values are dates"} in sheet["column_map"]


def test_summary_sheet_says_it_first(cli, tmp_path: Path) -> None:
    path = no_date_of_service(tmp_path / "in" / "charges.xlsx")
    out = tmp_path / "out"
    cli("check", path, "--as-of", AS_OF, "--out", out)
    sheet = openpyxl.load_workbook(out / "charges.checked.xlsx")[SUMMARY_SHEET]
    assert sheet["A3"].value == "Not fully checked"
    assert sheet["A4"].value == WARNING
    assert sheet["A6"].value == "Input"  # the run facts follow


def test_batch_summary_row_says_it(cli, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    no_date_of_service(folder / "charges.xlsx")
    no_date_of_service(folder / "more.xlsx", "P3")
    out = tmp_path / "out"
    run = cli("check", folder, "--as-of", AS_OF, "--out", out, "--fail-on", "warning")
    assert run.code == 1
    assert "Not fully checked (a sheet lacks a column whole rule families need):" in run.out
    rows = list(openpyxl.load_workbook(out / "batch-summary.xlsx")["Inputs"].iter_rows(
        values_only=True))
    header = rows[0]
    note = header.index("Note") if "Note" in header else None
    assert note is not None, header
    assert all(str(row[note]).startswith(WARNING) for row in rows[1:])


def test_no_warning_when_every_critical_field_is_read() -> None:
    from nmr_xl.plan import SummaryData

    data = SummaryData(facts=[("Input", "x")], by_severity=[], by_rule=[], by_payer=[],
                       by_provider=[], findings=[])
    from nmr_xl.summary_layout import COPY_NOTICE

    layout = summary_layout(data, COPY_NOTICE)
    assert [(c.row, c.value) for c in layout.cells][:2] == [(1, "nmr-xl billing check"),
                                                           (3, "Input")]


def void_dated(path: Path, void_dates: list[str]) -> Path:
    """A CSV whose "VoidDate" column holds one cell per line (a database writes it for every
    line; "" or a placeholder date means not voided)."""
    rows = ["PatientName,ServiceDate,CPTCode,Modifier1,Units,Minutes,PayerName,VoidDate"]
    rows += [f"Doe Jane,03/{day:02d}/2026,97112,GP,1,15,Medicare,{void}"
             for day, void in enumerate(void_dates, start=2)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("placeholder", [
    "1900-01-01 00:00:00.000", "9999-12-31", "01/01/1900", "0001-01-01", "1899-12-30",
    "1899-12-31"])
def test_a_placeholder_void_date_voids_nothing(cli, tmp_path: Path, placeholder: str) -> None:
    """SQL Server writes 1900-01-01 for an empty date: the lines are charges, checked."""
    path = void_dated(tmp_path / "charges.csv", [placeholder] * 5)
    run = cli("check", path, "--as-of", AS_OF, "--no-annotate", "--format", "json")
    (file,) = json.loads(run.out)["files"]
    assert file["warnings"] == []
    (sheet,) = file["sheets"]
    assert sheet["rows"] == 5
    assert sheet["not_charge_rows"] == {}


def test_a_sheet_read_as_all_voided_says_so(cli, tmp_path: Path) -> None:
    """Every line left out as voided passes nothing silently: the file warning names the
    column that voided them and how to pin it to "ignore"."""
    path = void_dated(tmp_path / "charges.csv", ["03/20/2026"] * 9 + [""])
    run = cli("check", path, "--as-of", AS_OF, "--no-annotate", "--format", "json")
    (file,) = json.loads(run.out)["files"]
    assert file["warnings"] == [
        "The sheet 'charges' cannot be fully checked: 9 of 10 lines with a code were read as "
        "voided or deleted and left out, because column H (\"VoidDate\") marks them so; if that "
        "column does not mark voided lines, set it to \"ignore\" in a [[layouts]] column map "
        "(`nmr-xl columns` prints one)."]
    assert cli("check", path, "--as-of", AS_OF, "--no-annotate",
               "--fail-on", "warning").code == 1


def test_a_few_voided_lines_are_no_warning(cli, tmp_path: Path) -> None:
    path = void_dated(tmp_path / "charges.csv", ["03/20/2026"] * 5 + [""])  # a handful
    run = cli("check", path, "--as-of", AS_OF, "--no-annotate", "--format", "json")
    (file,) = json.loads(run.out)["files"]
    assert file["warnings"] == []
    assert file["sheets"][0]["not_charge_rows"] == {"void": 5}
