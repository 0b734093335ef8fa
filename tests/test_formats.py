"""Cells showing an error (#N/A, #DIV/0! ...) are errors in every reader, not blanks; old
Excel (.xls) and OpenDocument (.ods) workbooks are read with python-calamine and annotated as a
new .xlsx that says so. The .xls and .ods files are made from an .xlsx by LibreOffice, as a
practice system's export would be (the tests skip without it)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import rewrite_parts
from exports import claims_detail

from nmr_xl.config.load import load_config
from nmr_xl.read.error_cells import error_cells
from nmr_xl.runner import FileResult, check_file

AS_OF = dt.date(2026, 3, 31)


def check(path: Path, out: Path | None = None) -> FileResult:
    result = check_file(path, load_config(), AS_OF, out_dir=out, annotate=out is not None)
    assert result.error is None, result.error
    return result


def with_errors(path: Path) -> Path:
    """Error values as Excel stores them (t="e"): in the code, units, patient and Dx cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Billing"
    sheet.append(["Patient ID", "DOS", "CPT", "Units", "Dx 1", "Payer"])
    sheet.append(["P1", dt.date(2026, 3, 2), "#N/A", 2, "G20", "Aetna"])
    sheet.append(["P1", dt.date(2026, 3, 2), "97110", "#DIV/0!", "G20", "Aetna"])
    sheet.append(["#REF!", dt.date(2026, 3, 3), "97112", 1, "#N/A", "Aetna"])
    sheet.append(["P2", dt.date(2026, 3, 3), "97112", 1, "G20", "Aetna"])
    book.save(path)
    return path


def test_error_cells_are_reported_not_read_as_blank(tmp_path: Path) -> None:
    path = with_errors(tmp_path / "errors.xlsx")
    assert error_cells(str(path), "xlsx") == {"Billing": {
        (1, 2): "#N/A", (2, 3): "#DIV/0!", (3, 0): "#REF!", (3, 4): "#N/A"}}
    result = check(path)
    assert result.sheets[0].rows == 4  # the line whose code shows #N/A is still a line
    assert sorted((f.cell, f.rule, f.message) for f in result.findings) == [
        ("A4", "NMR002", "The patient cannot be read: the cell shows the error #REF!."),
        ("C2", "NMR002", "The code cannot be read: the cell shows the error #N/A."),
        ("D3", "NMR002", "The units cannot be read: the cell shows the error #DIV/0!."),
        ("E4", "NMR002", "The diagnosis cannot be read: the cell shows the error #N/A."),
    ]


def test_a_picture_placed_in_a_cell_is_not_an_error(tmp_path: Path) -> None:
    """Excel stores a picture placed in a cell as an error value with rich-value metadata."""
    def picture(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        return data.replace(b'r="C2" t="e"', b'r="C2" t="e" vm="1"')

    target = rewrite_parts(with_errors(tmp_path / "plain.xlsx"), tmp_path / "picture.xlsx",
                           picture)
    assert (1, 2) not in error_cells(str(target), "xlsx")["Billing"]


def _libreoffice(source: Path, kind: str, out: Path) -> Path:
    profile = out / "lo-profile"  # a private profile: no clash with another soffice
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", kind, "--outdir", str(out), str(source)],
                   capture_output=True, timeout=180, check=False)
    converted = out / f"{source.stem}.{kind}"
    if not converted.is_file():
        pytest.fail(f"LibreOffice did not write {converted.name}")
    return converted


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not on PATH")
    folder = tmp_path_factory.mktemp("formats")
    xlsx = claims_detail().write(folder)
    errors = with_errors(folder / "errors.xlsx")
    return {"xlsx": xlsx, **{kind: _libreoffice(xlsx, kind, folder) for kind in ("xls", "ods")},
            **{f"errors.{kind}": _libreoffice(errors, kind, folder) for kind in ("xls", "ods")}}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_old_and_open_formats_read_like_the_xlsx(converted: dict[str, Path], kind: str) -> None:
    expected = check(converted["xlsx"])
    got = check(converted[kind])
    assert got.sheets[0].columns == expected.sheets[0].columns
    assert sorted((f.cell, f.rule) for f in got.findings) == sorted(
        (f.cell, f.rule) for f in expected.findings)
    assert got.sheets[0].not_charges == expected.sheets[0].not_charges


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_error_cells_of_old_and_open_formats(converted: dict[str, Path], kind: str) -> None:
    result = check(converted[f"errors.{kind}"])
    assert sorted((f.cell, f.rule) for f in result.findings) == [
        ("A4", "NMR002"), ("C2", "NMR002"), ("D3", "NMR002"), ("E4", "NMR002")]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_the_copy_is_a_new_xlsx_and_says_so(converted: dict[str, Path], kind: str,
                                            tmp_path: Path) -> None:
    result = check(converted[kind], tmp_path / "out")
    assert result.output == str(tmp_path / "out" / "claims-detail-(837p).checked.xlsx")
    name = {"xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)"}[kind]
    assert result.warnings[0] == (
        f"{name} workbook; this copy is a new .xlsx workbook holding its values (formula results "
        "as last calculated): its formulas, formatting, comments, charts and pictures are not "
        "in the copy.")
    book = openpyxl.load_workbook(result.output)
    sheet = book["Claims Detail"]
    assert sheet["H3"].value == "97112" and sheet["E3"].value == "03/04/26"
    assert "NMR204" in sheet["Q3"].comment.text or "NMR204" in sheet["H3"].comment.text
    facts = {row[0].value: row[1].value for row in book["nmr-xl summary"].iter_rows(
        min_row=3, max_row=12) if row[0].value}
    assert facts["Input format"].startswith(name)
    assert not list((tmp_path / "out").glob(".nmr-xl-*"))  # the temporary values copy is gone
