"""Files that cannot be checked: each gets one plain line with a stable code and exit status 2,
never a traceback, and never stops the other files of the run.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import AS_OF, CLEAN_ROWS, EXPECTED_FINDINGS, build_billing_workbook

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ERROR_CODES = {"encrypted", "corrupt", "unsupported-format", "empty", "no-billing-table",
               "not-found", "unreadable"}


def _text(tmp: Path) -> Path:
    path = tmp / "export.xlsx"  # a CSV export renamed to .xlsx
    path.write_text("Patient ID,DOS,CPT,Units\nA1,2026-03-02,97112,2\n", encoding="utf-8")
    return path


def _truncated(tmp: Path) -> Path:
    whole = build_billing_workbook(tmp / "whole.xlsx").read_bytes()
    path = tmp / "truncated.xlsx"
    path.write_bytes(whole[: int(len(whole) * 0.6)])
    (tmp / "whole.xlsx").unlink()
    return path


def _encrypted(tmp: Path) -> Path:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml",
                                reason="msoffcrypto-tool is needed to build an encrypted workbook")
    plain = build_billing_workbook(tmp / "plain.xlsx", CLEAN_ROWS)
    path = tmp / "locked.xlsx"
    with plain.open("rb") as source, path.open("wb") as out:
        ooxml.OOXMLFile(source).encrypt("s3cret", out)
    plain.unlink()
    return path


def _xls(tmp: Path) -> Path:
    path = tmp / "old.xls"  # an OLE compound file header, as every Excel 97-2003 file starts
    path.write_bytes(OLE_MAGIC + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(480))
    return path


def _xls_renamed(tmp: Path) -> Path:
    path = tmp / "old-renamed.xlsx"
    # one byte apart from _xls: identical content would be one input with two sources
    path.write_bytes(_xls(tmp).read_bytes() + b"\x00")
    (tmp / "old.xls").unlink()
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.xlsx"
    path.write_bytes(b"")
    return path


def _zip(tmp: Path, name: str, parts: dict[str, bytes]) -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w") as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return path


def _plain_zip(tmp: Path) -> Path:
    return _zip(tmp, "photos.xlsx", {"IMG_0001.txt": b"not a spreadsheet"})


def _ods(tmp: Path) -> Path:
    return _zip(tmp, "calc.xlsx", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                   "content.xml": b"<office:document-content/>"})


def _xlsb(tmp: Path) -> Path:
    return _zip(tmp, "binary.xlsx", {"[Content_Types].xml": b"<Types/>",
                                     "xl/workbook.bin": b"\x83\x01\x00"})


def _no_billing_table(tmp: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Staff"
    ws.append(["Name", "Role", "Start date"])
    ws.append(["Dr A", "DC", "2020-01-06"])
    wb.create_sheet("Budget").append(["Month", "Rent", "Payroll"])
    path = tmp / "staff.xlsx"
    wb.save(path)
    return path


def _only_empty_sheets(tmp: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.create_sheet("Sheet2")
    wb.create_sheet("Sheet3")
    path = tmp / "blank.xlsx"
    wb.save(path)
    return path


def _excel4(tmp: Path) -> Path:
    """An Excel 4.0 worksheet: a bare BIFF4 record stream (BOF, a cell, EOF), no OLE container."""
    path = tmp / "old.xls"
    path.write_bytes(b"\x09\x04\x06\x00\x00\x00\x10\x00\x00\x00"
                     b"\x03\x02\x0e\x00" + bytes(14) + b"\x0a\x00\x00\x00")
    return path


def _utf16_tsv_without_bom(tmp: Path) -> Path:
    """Starts with a tab and a NUL byte, as a BIFF2 record does: still read as text."""
    path = tmp / "export.xls"
    path.write_bytes("\tDOS\tCPT\n\t03/02/2026\t97112\n".encode("utf-16-le"))
    return path


# name -> (builder, expected code, words the message must contain)
CASES: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "text renamed .xlsx": (_text, "unsupported-format", "not an Excel workbook"),
    "truncated at 60%": (_truncated, "corrupt", "damaged"),
    "password-protected": (_encrypted, "encrypted", "password-protected"),
    ".xls": (_xls, "unsupported-format", "97-2003 (.xls)"),
    ".xls renamed .xlsx": (_xls_renamed, "unsupported-format", "97-2003 (.xls)"),
    "Excel 4.0 worksheet": (_excel4, "unsupported-format", "older than Excel 97"),
    "0 bytes": (_empty, "empty", "empty"),
    "zip, not a workbook": (_plain_zip, "unsupported-format", "not an Excel workbook"),
    "OpenDocument, damaged": (_ods, "corrupt", "cannot be read"),
    "Excel binary": (_xlsb, "unsupported-format", ".xlsb"),
    "no billing table": (_no_billing_table, "no-billing-table", "no sheet has a billing table"),
    "only empty sheets": (_only_empty_sheets, "empty", "no data"),
}


def assert_clean_error_output(run, path: Path, code: str, words: str) -> None:
    assert "Traceback" not in run.out + run.err
    assert run.err == ""
    lines = [line for line in run.out.splitlines() if line.startswith(f"{path}: ")]
    assert len(lines) == 1, run.out
    prefix = f"{path}: error [{code}] "
    assert lines[0].startswith(prefix), lines[0]
    assert words in lines[0]
    assert len(lines[0]) - len(prefix) < 200  # one plain sentence, not a dump


@pytest.mark.parametrize("case", CASES)
def test_bad_input_alone(cli, tmp_path, case):
    build, code, words = CASES[case]
    path = build(tmp_path)
    run = cli("check", path, "--as-of", AS_OF)
    assert run.code == 2
    assert_clean_error_output(run, path, code, words)
    assert run.out.splitlines() == [run.out.splitlines()[0]]  # nothing else for this file
    assert not list(tmp_path.glob("*.checked.*"))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_json(cli, tmp_path, case):
    build, code, _ = CASES[case]
    path = build(tmp_path)
    run = cli("check", path, "--as-of", AS_OF, "--format", "json", "--fail-on", "never")
    assert run.code == 2
    (result,) = json.loads(run.out)["files"]
    assert result["status"] == "error"
    assert result["error"]["code"] == code
    assert code in ERROR_CODES  # the documented, stable codes
    assert "\n" not in result["error"]["message"]
    assert result["output"] is None


def test_bad_inputs_do_not_stop_good_files(cli, tmp_path):
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = []
    for index, (build, code, words) in enumerate(CASES.values()):
        folder = bad_dir / str(index)
        folder.mkdir()
        try:
            bad.append((build(folder), code, words))
        except pytest.skip.Exception:
            continue  # e.g. no msoffcrypto-tool: the other cases still run
    first_good = build_billing_workbook(tmp_path / "good" / "first.xlsx")
    last_good = build_billing_workbook(tmp_path / "good" / "last.xlsx", CLEAN_ROWS)
    report = tmp_path / "report.json"
    paths = [first_good, *(p for p, _, _ in bad), last_good]
    run = cli("check", *paths, "--as-of", AS_OF, "--report", report)
    assert run.code == 2
    for path, code, words in bad:
        assert_clean_error_output(run, path, code, words)
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert [f["input"] for f in doc["files"]] == [str(p) for p in paths]
    first, *middle, last = doc["files"]
    assert [f["error"]["code"] for f in middle] == [code for _, code, _ in bad]
    assert [(f["rule"], f["severity"], f["cell"]) for f in first["findings"]] == EXPECTED_FINDINGS
    assert (first["status"], last["status"]) == ("checked", "checked")
    assert Path(first["output"]).is_file()
    assert Path(last["output"]).is_file()
    assert doc["totals"]["files"] == len(paths)


def test_renamed_xlsx_given_as_xls_is_checked(cli, tmp_path):
    """A real workbook saved under a .xls name is read by its content, not its name."""
    path = tmp_path / "export.xls"
    path.write_bytes(build_billing_workbook(tmp_path / "b.xlsx").read_bytes())
    run = cli("check", path, "--as-of", AS_OF, "--format", "json")
    assert run.code == 1, run.out
    (result,) = json.loads(run.out)["files"]
    assert result["status"] == "checked"
    assert [(f["rule"], f["cell"]) for f in result["findings"]] == [
        (rule, cell) for rule, _, cell in EXPECTED_FINDINGS]
    assert result["output"] == str(tmp_path / "export.checked.xlsx")
    assert result["warnings"] == []


def _damaged(tmp_path):
    """The fixture workbook whose second sheet is broken XML."""
    good = build_billing_workbook(tmp_path / "good.xlsx")
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = b"<worksheet><sheetData><row"
            zout.writestr(info, data)
    return path


def test_damaged_sheet_xml_does_not_crash(cli, tmp_path):
    """A zip whose second sheet is broken XML: the billing sheet is still checked."""
    path = _damaged(tmp_path)
    run = cli("check", path, "--as-of", AS_OF, "--format", "json")
    assert "Traceback" not in run.out + run.err
    (result,) = json.loads(run.out)["files"]
    assert result["status"] == "checked"
    assert len(result["findings"]) == len(EXPECTED_FINDINGS)
    assert any(s["reason"].startswith("cannot be read") for s in result["skipped_sheets"])
    # The copy carries the damaged part as the original has it; the billing sheet is annotated.
    assert result["warnings"] == []
    with zipfile.ZipFile(path) as before, zipfile.ZipFile(result["output"]) as after:
        assert after.read("xl/worksheets/sheet2.xml") == before.read("xl/worksheets/sheet2.xml")


def test_damaged_sheet_xml_through_openpyxl_is_no_copy(cli, tmp_path, openpyxl_path):
    """openpyxl cannot rebuild such a file: no copy, said as a warning, not a crash."""
    path = _damaged(tmp_path)
    run = cli("check", path, "--as-of", AS_OF, "--format", "json")
    assert "Traceback" not in run.out + run.err
    (result,) = json.loads(run.out)["files"]
    assert result["output"] is None
    assert any(w.startswith("No annotated copy") for w in result["warnings"])


# --- the shared corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "code"),
    [
        ("calamine/pass_protected.xlsx", "encrypted"),
        ("poi/protected_passtika.xlsx", "encrypted"),
        ("calamine/pass_protected.xlsb", "encrypted"),
        ("calamine/pass_protected.ods", "encrypted"),
        ("calamine/too_small.xls", "unsupported-format"),
        ("derived/biff8_AutoFilter_renamed.xlsx", "no-billing-table"),  # an .xls, read
        ("derived/csv_Attendance_renamed.xlsx", "unsupported-format"),
        ("derived/ods_AutoFilter_renamed.xlsx", "no-billing-table"),  # an .ods, read
        ("derived/xlsb_AutoFilter_renamed.xlsx", "unsupported-format"),
        ("derived/truncated_60pct_merge_cells.xlsx", "corrupt"),
        ("derived/zero_bytes.xlsx", "empty"),
        ("derived/xlsx_merge_cells_renamed.xls", "no-billing-table"),  # read by content
        ("calamine/empty_sheet.xlsx", "empty"),
    ],
)
def test_corpus_file(cli, corpus_file, relative, code):
    path = corpus_file(relative)
    run = cli("check", path, "--as-of", AS_OF, "--no-annotate")
    assert run.code == 2
    lines = run.out.splitlines()
    assert len(lines) == 1, run.out
    assert lines[0].startswith(f"{path}: error [{code}] ")
    assert "Traceback" not in run.out + run.err
    assert run.err == ""


def test_text_beginning_like_an_old_excel_record_stays_text(tmp_path):
    from nmr_xl.read.sources import sniff

    assert sniff(_utf16_tsv_without_bom(tmp_path)) == "csv"
