"""The robustness corpus (issue 5, item 6): 249 real spreadsheets written by many programs, in
../shared/corpus (its README.md and MANIFEST.tsv describe them; the traps are marked KEY:).

1. The whole corpus goes through the batch (`nmr-xl check CORPUS --out ... --jobs 2`) in a child
   process with a time limit: every file gets a disposition, the trap files the ones expected,
   nothing prints a traceback, nothing hangs, nothing is an internal error.

2. Almost no corpus file holds a billing table, so the batch writes almost no annotated copy. The
   copy writer is therefore run on every corpus file directly: `write_copy` with an annotation
   plan (the summary sheet and, on the first sheet's first non-empty cell, a finding: note and
   fill) into a temporary folder, in worker processes with a time limit per file. A file the
   writer refuses must be refused with an InputError, and the checker's own path
   (`runner._annotate`) must turn that into a "No annotated copy: ..." warning. A copy that is
   written is read back, with the original, by two readers and compared:

   - Sheets: python-calamine lists the sheets of both files (name, kind, visibility). The copy
     must list our summary sheet and then the original's sheets, in order.
   - Values: python-calamine reads every cell of both files; a formula cell reads as the result
     stored with it. Every value must be equal (a date equals the same day at midnight: an ISO
     date cell and the date serial openpyxl writes are the same value). Two differences are
     allowed when the write's warnings name them: a formula cell whose stored result the copy
     lacks (openpyxl writes formulas without results; the formula itself is compared below), and
     text whose leading or trailing spaces the original did not mark to be kept (calamine, like
     Excel, trims them there; the copy marks them).
   - Formulas and empty text: openpyxl, in read-only mode (another code path than the loader
     that built the copy; dimensions reset, so a stale <dimension> hides nothing), reads every
     cell of both files with data_only=False. Every formula must come back with the same text
     (array formulas with the same range). calamine reads a cell holding "" as an empty cell,
     so this view also finds "" cells that became blank: allowed only when named.
   - Where calamine cannot read the original or one of its sheets, openpyxl's values are compared
     instead.

   Any other difference fails the test, as does a write that raises anything but InputError or
   does not finish in time. What neither reader can see (charts, pictures, controls, protection
   ...) is the business of nmr_xl.write.fidelity, which compares the two packages part by part.

3. The traps get dedicated assertions, and the run ends with a tally (shown with `pytest -s`, or
   `python tests/test_corpus.py`): how many files came through the writer with nothing lost,
   with named losses, and which could not be written, and why.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any

import ooxml_schema
import openpyxl
import pytest
import python_calamine as calamine
from conftest import AS_OF as FIXTURE_AS_OF
from conftest import build_billing_workbook, rewrite_parts
from lxml import etree
from ooxml_schema import lost_elements
from openpyxl.drawing.image import Image
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from PIL import Image as PILImage

from nmr_xl.config.load import load_config
from nmr_xl.errors import InputError
from nmr_xl.model import Finding, Severity
from nmr_xl.plan import SUMMARY_SHEET, CellMark, build_plan, note_text
from nmr_xl.read.sources import sniff
from nmr_xl.runner import FileResult, _annotate, check_file
from nmr_xl.write import fidelity, xlsx
from nmr_xl.write.xlsx import write_copy

REPO_ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-03-31"
BATCH_TIME_LIMIT = 170  # seconds for the whole corpus through the batch (about 5 s measured)
FILE_TIME_LIMIT = 150  # seconds for one copy written and compared (the slowest took 30 s)
WORKERS = 2


def _corpus_dir() -> Path:
    """As the shared_dir fixture finds it; used at collection time to list the files."""
    override = os.environ.get("NMR_XL_SHARED_DIR")
    return (Path(override) if override else REPO_ROOT.parent / "shared") / "corpus"


def _corpus_files() -> list[str]:
    manifest = _corpus_dir() / "MANIFEST.tsv"
    if not manifest.is_file():
        return ["(corpus not available)"]  # the shared_dir fixture skips, saying why
    rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
    return [row.split("\t")[0] for row in rows if row.strip()]


FILES = _corpus_files()


# --- 1. the whole corpus through the batch --------------------------------------------------------

# Every file whose disposition is not "no-billing-table", with its error code. The KEY: traps:
TRAPS = {
    # password-encrypted OOXML (a CFB container, "not a zip file" to openpyxl)
    "calamine/pass_protected.xlsx": "encrypted",
    "calamine/pass_protected.xlsb": "encrypted",
    "poi/58616.xlsx": "encrypted",
    "poi/protected_passtika.xlsx": "encrypted",
    # XML entity bombs: refused before any parser sees them
    "poi/poc-xmlbomb.xlsx": "unsafe-xml",
    "poi/poc-xmlbomb-empty.xlsx": "unsafe-xml",
    "poi/54764.xlsx": "unsafe-xml",
    "poi/54764-2.xlsx": "unsafe-xml",
    # a password-protected OpenDocument file (its manifest lists encrypted parts)
    "calamine/pass_protected.ods": "encrypted",
    # an OpenDocument sheet declaring 17 billion cells: python-calamine's cell limit refuses it
    "calamine/issue_594_dos.ods": "corrupt",
    # formats nmr-xl does not read, under their own names or renamed (.xls and .ods files are
    # read, also renamed: sheetjs/AutoFilter.xls and .ods, derived/biff8_ and ods_AutoFilter)
    "calamine/too_small.xls": "unsupported-format",
    "poi/testEXCEL_4.xls": "unsupported-format",
    "sheetjs/AutoFilter.xlsb": "unsupported-format",
    "sheetjs/crlf/CRLFX5_2.XLS": "unsupported-format",
    "sheetjs/minimal_112.numbers": "unsupported-format",
    "derived/csv_Attendance_renamed.xlsx": "unsupported-format",
    "derived/xlsb_AutoFilter_renamed.xlsx": "unsupported-format",
    # broken files
    "derived/truncated_60pct_merge_cells.xlsx": "corrupt",
    "derived/zero_bytes.xlsx": "empty",
    # a checksum mismatch, tolerated (as Excel does), but the part behind it is garbled: the
    # workbook's relationships no longer say where its one sheet is
    "calamine/issue252.xlsx": "corrupt",
    # 12,000 cells pointing at one 1 MiB string: refused from the package (the reader would
    # hand Python 12 GB of copies); the writer's own guard is tested below
    "poi/poc-shared-strings.xlsx": "too-large",
    # Excel 2007 beta namespace: calamine cannot resolve its shared strings
    "poi/sample-beta.xlsx": "corrupt",
    # zip entries twice under one name (or in two letter cases): which one Excel shows is unclear
    "poi/duplicate-filename.xlsx": "corrupt",
    "poi/duplicate-filename-case-insensitive.xlsx": "corrupt",
}
# The rest: fuzzed, damaged or simply empty workbooks
OTHER_ERRORS = {
    "calamine/empty_sheet.xlsx": "empty",
    "calamine/issue127.xlsx": "empty",
    "calamine/issue281.xlsm": "empty",
    "calamine/picture.xlsx": "empty",
    "calamine/picture_richdata.xlsx": "empty",
    "calamine/pictures_in_cell_and_over_cell.xlsx": "empty",
    "calamine/vba.xlsm": "empty",
    "poi/57893-many-merges.xlsx": "empty",
    "poi/sheetProtection_allLocked.xlsx": "empty",
    "sheetjs/author_snowman.xlsx": "empty",
    "sheetjs/custom_properties.xlsx": "empty",
    "sheetjs/page_margins_2016.xlsx": "empty",
    "poi/clusterfuzz-testcase-minimized-POIFuzzer-5040805309710336.xlsx": "unsupported-format",
    "poi/clusterfuzz-testcase-minimized-POIXSSFFuzzer-4828727001088000.xlsx": "corrupt",
    "poi/clusterfuzz-testcase-minimized-POIXSSFFuzzer-5089447305609216.xlsx": "corrupt",
    "poi/xlsx-corrupted.xlsx": "corrupt",
}
# A valid workbook with an Excel 4 macro sheet and a dialog sheet, which python-calamine refuses
# to open: read without the macro sheet (nmr_xl.read.package.mend)
MACRO_SHEETS = "sheetjs/BlankSheetTypes.xlsm"
# A valid .xlsx named .xls is read by its content (and is the same file as merge_cells.xlsx).
READ_BY_CONTENT = "derived/xlsx_merge_cells_renamed.xls"
# Traps that openpyxl reads as empty, misreads or rejects, but the checker's reader reads: their
# sheets' contents are seen (a sheet is skipped for having no billing header, not for being empty).
READ_IN_FULL = [
    # ISO 29500 Strict: openpyxl "loads" them with no worksheets and no warning
    "calamine/strict_iso_paths.xlsx", "poi/57914.xlsx", "poi/SampleSS.strict.xlsx",
    "poi/SimpleStrict.xlsx", "poi/sample.strict.xlsx", "sheetjs/sheet_visibility_strict.xlsx",
    # stale <dimension ref="A1"/>: read-only openpyxl sees nothing
    "poi/123233_charts.xlsx", "poi/52348.xlsx",
    # normal openpyxl load fails: s="" cells, parts at the zip root or under wtf/, pivot caches,
    # part names in the wrong case or with backslashes, unknown style attributes
    "calamine/empty_s_attribute.xlsx", "calamine/minimal_package.xlsx", "sheetjs/wtf_path.xlsx",
    "calamine/pivots.xlsx", "sheetjs/pivot_table_named_range.xlsx", "calamine/issue_419.xlsx",
    "calamine/issue_530.xlsx", "poi/49609.xlsx", "poi/picture.xlsx",
    "poi/style-alternate-content.xlsx",
]


def _entries_by_file(report: dict[str, Any], corpus: Path) -> dict[str, dict[str, Any]]:
    """Corpus file -> its entry in the JSON report (a duplicate is listed in `sources`)."""
    by_file: dict[str, dict[str, Any]] = {}
    for entry in report["files"]:
        for label in entry["sources"] or [entry["input"]]:
            path = Path(label)
            if path.is_relative_to(corpus):
                by_file[path.relative_to(corpus).as_posix()] = entry
    return by_file


@pytest.mark.slow
def test_whole_corpus_through_the_batch(shared_dir: Path, tmp_path: Path) -> None:
    corpus = shared_dir / "corpus"
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-m", "nmr_xl.cli", "check", str(corpus), "--out",
               str(tmp_path / "out"), "--as-of", AS_OF, "--jobs", "2",
               "--report", str(report_path)]
    started = time.monotonic()
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=BATCH_TIME_LIMIT,
                             cwd=tmp_path, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the corpus batch did not finish within {BATCH_TIME_LIMIT} s")
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output[-3000:]
    assert "Exception ignored" not in output, output[-3000:]
    assert run.returncode == 2, output[-3000:]  # some inputs cannot be checked
    report = json.loads(report_path.read_text(encoding="utf-8"))

    by_file = _entries_by_file(report, corpus)
    manifest = [f for f in FILES if (corpus / f).is_file()]
    assert sorted(set(manifest) - set(by_file)) == [], "corpus files without a disposition"

    expected = {**TRAPS, **OTHER_ERRORS}
    got: dict[str, str] = {}
    for name in manifest:
        entry = by_file[name]
        disposition = entry["disposition"]
        assert disposition in ("checked", "no-billing-table", "error"), (name, disposition)
        if disposition == "error":
            error = entry["error"]
            assert error["code"] != "internal-error", (name, error)
            assert error["message"] and "\n" not in error["message"], (name, error)
            got[name] = error["code"]
        else:
            assert disposition == "no-billing-table", (name, disposition)  # no billing sheets
    assert by_file[READ_BY_CONTENT]["disposition"] == "no-billing-table"
    for name in (n for n in READ_IN_FULL if n in by_file):
        reasons = [s["reason"] for s in by_file[name]["skipped_sheets"]]
        assert any(r.startswith("no header row") for r in reasons), (name, reasons)
    if MACRO_SHEETS in by_file:  # its worksheet is read; the macro sheet is skipped, saying why
        skipped = {s["name"]: s["reason"] for s in by_file[MACRO_SHEETS]["skipped_sheets"]}
        assert skipped["Macro1"] == "not a worksheet (Excel 4 macro sheet)", skipped
        assert skipped["Dialog1"].startswith("not a worksheet"), skipped
        assert "Sheet1" in skipped, skipped
    present = {name: code for name, code in expected.items() if name in by_file}
    assert {name: got.get(name, "no-billing-table") for name in present} == present
    assert sorted(set(got) - set(expected)) == [], "unexpected errors"

    # One line per input on stdout, and the batch summary beside the copies.
    assert (tmp_path / "out" / "batch-summary.xlsx").is_file()
    print(f"\ncorpus batch: {len(report['files'])} inputs ({len(manifest)} files) in "
          f"{elapsed:.1f} s: {dict(Counter(e['disposition'] for e in report['files']))}")


def test_encrypted_and_bomb_messages_are_plain(shared_dir: Path) -> None:
    """The trap codes come with one plain sentence, not a parser's error text."""
    corpus = shared_dir / "corpus"
    for name, words in [("poi/protected_passtika.xlsx", "password-protected"),
                        ("poi/poc-xmlbomb.xlsx", "entity-expansion"),
                        ("poi/54764.xlsx", "entity-expansion")]:
        if not (corpus / name).is_file():
            continue
        with pytest.raises(InputError) as caught:
            sniff(corpus / name)
        assert words in caught.value.message


# --- 2. the copy writer on every corpus file ----------------------------------------------------

FORMULA_RESULTS = "formula results not stored"
UNMARKED_SPACES = "unmarked spaces kept"
EMPTY_TEXT = "empty text blank"
# What a write's warnings must say for each kind of difference the comparison allows
NAMED_BY: dict[str, Callable[[str], bool]] = {
    FORMULA_RESULTS: lambda w: w.startswith("Formula results are not stored in the copy"),
    UNMARKED_SPACES: lambda w: "does not mark to be kept" in w,
    EMPTY_TEXT: lambda w: 'empty text ("' in w,
}
_SHEET_KINDS = {"MacroSheet": "macro sheet", "DialogSheet": "dialog sheet",
                "ChartSheet": "chart sheet"}


@dataclass(frozen=True)
class Formula:
    text: str
    ref: str = ""


@dataclass
class Outcome:
    """What became of one corpus file in the copy writer (plain data: it crosses processes)."""

    file: str
    status: str  # "written", "refused" (InputError), "crash"
    code: str = ""
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    allowed: Counter[str] = field(default_factory=Counter)  # differences, by what names them
    unnamed: list[str] = field(default_factory=list)  # differences the warnings do not name
    runner_warnings: list[str] = field(default_factory=list)  # refused: the checker's own path
    runner_output: str | None = None
    seconds: float = 0.0
    marked: str = ""
    changed: list[str] = field(default_factory=list)  # entries the package writer rewrote


def _calamine_view(path: Path) -> tuple[list[tuple[str, str, str]], dict[str, Any]] | str:
    """(sheets as (name, kind, visibility), {sheet: {(row, col): value} or an error text})."""
    try:
        with path.open("rb") as handle:
            book = calamine.CalamineWorkbook.from_filelike(handle)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    sheets = []
    cells: dict[str, Any] = {}
    try:
        for meta in book.sheets_metadata:
            sheets.append((meta.name, str(meta.typ).rsplit(".", 1)[-1],
                           str(meta.visible).rsplit(".", 1)[-1]))
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            except Exception as exc:
                cells[meta.name] = f"{type(exc).__name__}: {exc}"[:200]
                continue
            cells[meta.name] = {(r, c): value for r, row in enumerate(rows, start=1)
                                for c, value in enumerate(row, start=1) if value != ""}
    finally:
        book.close()
    return sheets, cells


def _openpyxl_view(path: Path) -> dict[str, dict[tuple[int, int], Any]] | str:
    """{sheet: {(row, col): value or Formula}} by openpyxl's read-only reader."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # read-only mode parses (and warns) while iterating
        try:
            book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True,
                                          data_only=False, keep_links=False)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:200]
        return _read_only_cells(book)


def _read_only_cells(book: Any) -> dict[str, dict[tuple[int, int], Any]]:
    view: dict[str, dict[tuple[int, int], Any]] = {}
    try:
        for ws in book.worksheets:
            ws.reset_dimensions()
            cells: dict[tuple[int, int], Any] = {}
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    if value is None:
                        continue
                    if isinstance(value, ArrayFormula):
                        value = Formula(value.text or "", value.ref or "")
                    elif isinstance(value, DataTableFormula):
                        value = Formula("dataTable", repr(sorted(dict(value).items())))
                    elif cell.data_type == "f":
                        value = Formula(value)
                    cells[(cell.row, cell.column)] = value
            view[ws.title] = cells
    finally:
        book.close()
    return view


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        def as_datetime(d: dt.date) -> dt.datetime:
            return d if isinstance(d, dt.datetime) else dt.datetime(d.year, d.month, d.day)
        return as_datetime(a) == as_datetime(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (a != a and b != b)  # NaN
    return type(a) is type(b) and a == b


def _where(sheet: str, cell: tuple[int, int]) -> str:
    return f"{sheet}!{openpyxl.utils.get_column_letter(cell[1])}{cell[0]}"


def _compare(original: Path, copy: Path, out: Outcome) -> None:
    before_c, after_c = _calamine_view(original), _calamine_view(copy)
    before_p, after_p = _openpyxl_view(original), _openpyxl_view(copy)
    # A reader that cannot read the original need not read the copy (a copy carries the
    # original's parts as they are); one that reads the original must read the copy.
    for before, after in ((before_c, after_c), (before_p, after_p)):
        if isinstance(after, str) and not isinstance(before, str):
            out.unnamed.append(f"the copy cannot be read back: {after}")
            return
    if isinstance(after_c, str) and isinstance(after_p, str):
        out.unnamed.append("neither reader reads the copy")
        return
    if isinstance(after_p, str):
        _compare_calamine_only(before_c, after_c, out)
        return
    if isinstance(after_c, str):  # calamine reads neither file: openpyxl's view is all there is
        assert not isinstance(before_p, str)
        names = list(after_p)
        if not names or not names[0].startswith(SUMMARY_SHEET):
            out.unnamed.append(f"the copy does not start with the summary sheet: {names[:1]}")
        if [n for n in names if not n.startswith(SUMMARY_SHEET)] != list(before_p):
            out.unnamed.append(f"sheets {list(before_p)} became {names}")
        for sheet, cells in before_p.items():
            _compare_formulas(sheet, cells, after_p.get(sheet, {}), values=True, out=out)
        return
    after_sheets, after_cells = after_c
    if not after_sheets or not after_sheets[0][0].startswith(SUMMARY_SHEET):
        out.unnamed.append(f"the copy does not start with the summary sheet: {after_sheets[:1]}")
        return
    calamine_sheets: set[str] = set()
    if isinstance(before_c, str):
        if isinstance(before_p, str):
            out.unnamed.append("neither reader reads the original, yet a copy was written")
            return
        names = [s for s in after_p if not s.startswith(SUMMARY_SHEET)]
        if names != list(before_p):
            out.unnamed.append(f"sheets {list(before_p)} became {names}")
    else:
        before_sheets, before_cells = before_c
        _compare_sheet_lists(before_sheets, after_sheets[1:], out)
        for sheet, cells in before_cells.items():
            if isinstance(cells, dict) and isinstance(after_cells.get(sheet), dict):
                calamine_sheets.add(sheet)
                _compare_values(sheet, cells, after_cells[sheet],
                                {} if isinstance(after_p, str) else after_p.get(sheet, {}), out)
    if isinstance(before_p, str):
        return  # calamine compared what it could; openpyxl reads the copy, not the original
    for sheet, cells in before_p.items():
        _compare_formulas(sheet, cells, after_p.get(sheet, {}),
                          values=sheet not in calamine_sheets, out=out)


def _compare_calamine_only(before: Any, after: Any, out: Outcome) -> None:
    """openpyxl reads neither file: calamine's sheets and values are all there is to compare."""
    after_sheets, after_cells = after
    if not after_sheets or not after_sheets[0][0].startswith(SUMMARY_SHEET):
        out.unnamed.append(f"the copy does not start with the summary sheet: {after_sheets[:1]}")
        return
    before_sheets, before_cells = before
    _compare_sheet_lists(before_sheets, after_sheets[1:], out)
    for sheet, cells in before_cells.items():
        if isinstance(cells, dict) and isinstance(after_cells.get(sheet), dict):
            _compare_values(sheet, cells, after_cells[sheet], {}, out)


def _compare_sheet_lists(before: list[tuple[str, str, str]], after: list[tuple[str, str, str]],
                         out: Outcome) -> None:
    if [s[0] for s in before] != [s[0] for s in after]:
        out.unnamed.append(f"sheets {[s[0] for s in before]} became {[s[0] for s in after]}")
        return
    for old, new in zip(before, after, strict=True):
        if old[2] != new[2]:
            out.unnamed.append(f"sheet {old[0]} was {old[2]}, is {new[2]}")
        if old[1] != new[1]:
            kind = _SHEET_KINDS.get(old[1], old[1])
            if any(kind in w for w in out.warnings):
                out.allowed[f"{kind} became a {new[1]}"] += 1
            else:
                out.unnamed.append(f"sheet {old[0]} was a {old[1]}, is a {new[1]}")


def _compare_values(sheet: str, before: dict[tuple[int, int], Any],
                    after: dict[tuple[int, int], Any],
                    after_openpyxl: dict[tuple[int, int], Any], out: Outcome) -> None:
    for cell in sorted(set(before) | set(after)):
        old, new = before.get(cell, ""), after.get(cell, "")
        if _same(old, new):
            continue
        if new == "" and isinstance(after_openpyxl.get(cell), Formula):
            _allow(FORMULA_RESULTS, out, f"{_where(sheet, cell)}: result {old!r} not stored")
        elif isinstance(new, str) and isinstance(old, str) and new.strip() == old.strip():
            _allow(UNMARKED_SPACES, out, f"{_where(sheet, cell)}: {old!r} -> {new!r}")
        else:
            out.unnamed.append(f"{_where(sheet, cell)}: {old!r} -> {new!r}")


def _compare_formulas(sheet: str, before: dict[tuple[int, int], Any],
                      after: dict[tuple[int, int], Any], *, values: bool, out: Outcome) -> None:
    """Formulas by their text; "" cells; and every value when calamine could not read the
    sheet."""
    for cell in sorted(set(before) | set(after)):
        old, new = before.get(cell), after.get(cell)
        if isinstance(old, Formula) or isinstance(new, Formula):
            if old != new:
                out.unnamed.append(f"{_where(sheet, cell)}: formula {old!r} -> {new!r}")
        elif old == "" and new is None:
            _allow(EMPTY_TEXT, out, f"{_where(sheet, cell)}: '' became blank")
        elif values and not _same(old, new):
            out.unnamed.append(f"{_where(sheet, cell)}: {old!r} -> {new!r} (openpyxl's view)")


def _allow(kind: str, out: Outcome, detail: str) -> None:
    if any(NAMED_BY[kind](w) for w in out.warnings):
        out.allowed[kind] += 1
    else:
        out.unnamed.append(f"{detail} [{kind}, not named in the warnings]")


_VALIDATE_LIMIT = 16 * 1024 * 1024  # parts larger than this are not schema-validated here


def _compare_packages(original: Path, copy: Path, out: Outcome) -> None:
    """Every entry the package writer did not change is the original's, byte for byte; every
    part it changed keeps every element it had, and validates wherever the original did; every
    part it added validates. In a Strict package, no part it changed or added uses a
    Transitional namespace or relationship type."""
    with zipfile.ZipFile(original) as before, zipfile.ZipFile(copy) as after:
        names = {info.filename: info for info in after.infolist()}
        strict = _is_strict_package(before)
        written: list[tuple[str, bytes]] = []
        for info in before.infolist():
            if info.is_dir():
                continue
            if info.filename not in names:
                out.unnamed.append(f"entry {info.filename} is missing from the copy")
                continue
            try:
                old = before.read(info)
            except (zipfile.BadZipFile, OSError, EOFError):
                continue  # a damaged entry: what the copy holds is what could be read
            new = after.read(names.pop(info.filename))
            if old == new:
                continue
            out.changed.append(info.filename)
            written.append((info.filename, new))
            lost = lost_elements(old, new)
            if lost:
                out.unnamed.append(f"{info.filename} lost elements {dict(lost)}")
            elif len(new) < _VALIDATE_LIMIT and not ooxml_schema.errors(old):
                out.unnamed += [f"{info.filename}: {e}" for e in ooxml_schema.errors(new)[:3]]
        for name, info in names.items():  # the parts we added
            if name.endswith((".xml", ".rels", ".vml")) and info.file_size < _VALIDATE_LIMIT:
                data = after.read(info)
                written.append((name, data))
                out.unnamed += [f"{name} (added): {e}" for e in ooxml_schema.errors(data)[:3]]
        if strict:
            for name, data in written:
                if name.endswith((".xml", ".rels")) and len(data) < _VALIDATE_LIMIT:
                    mixed = ooxml_schema.transitional_namespaces(data)
                    if mixed:
                        out.unnamed.append(f"{name}: Transitional in a Strict package: "
                                           f"{sorted(mixed)[:3]}")


def _is_strict_package(archive: zipfile.ZipFile) -> bool:
    """Whether the package's workbook part is in Strict's SpreadsheetML namespace."""
    for info in archive.infolist():
        if info.filename.lower().endswith("workbook.xml") and info.file_size < _VALIDATE_LIMIT:
            try:
                return ooxml_schema.is_strict(archive.read(info))
            except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, EOFError):
                return False
    return False


def _plan_for(path: Path, sheets: Any) -> tuple[Any, list[str], str]:
    """The summary sheet and, on the first sheet's first non-empty cell, one finding."""
    plan = build_plan([], [("Input", path.name), ("Checked as of", AS_OF)], {})
    if isinstance(sheets, str) or not sheets[0] or sheets[0][0][1] != "WorkSheet":
        return plan, [], ""
    name = sheets[0][0][0]
    cells = sheets[1].get(name)
    if not isinstance(cells, dict) or not cells:
        return plan, [], ""
    row, col = min(cells)
    where = _where(name, (row, col))
    finding = Finding("NMR102", "units-exceed-minutes", Severity.WARNING, name, row,
                      "(corpus test)", where.split("!")[-1], col,
                      "Corpus test: a note and fill on an existing cell.", "Nothing to do.")
    plan.cells.append(CellMark(name, row, col, Severity.WARNING, note_text([finding])))
    plan.summary.findings.append(finding)
    return plan, [name], where


def examine(corpus: str, name: str, out_dir: str) -> Outcome:
    """Write an annotated copy of one corpus file and compare it with the original."""
    started = time.monotonic()
    path = Path(corpus) / name
    out = Outcome(name, "crash")
    try:
        try:
            macro = sniff(path) == "xlsm"
        except InputError:
            macro = path.suffix.lower() == ".xlsm"
        plan, sheets, out.marked = _plan_for(path, _calamine_view(path))
        dest = Path(out_dir) / (name.replace("/", "__") + (".checked.xlsm" if macro
                                                              else ".checked.xlsx"))
        try:
            out.warnings = write_copy(path, dest, plan, macro, sheets)
        except InputError as exc:
            out.status, out.code, out.message = "refused", exc.code, exc.message
            # The checker's own path: the refusal becomes a warning, and no copy.
            result = FileResult(input=str(path))
            _annotate(result, path, dest.with_name("runner-" + dest.name), macro, [],
                      load_config(), dt.date.fromisoformat(AS_OF))
            out.runner_warnings, out.runner_output = result.warnings, result.output
        else:
            out.status = "written"
            _compare(path, dest, out)
            if not (out.warnings and "through openpyxl" in out.warnings[0]):
                _compare_packages(path, dest, out)
    except Exception:
        out.status = "crash"
        out.message = traceback.format_exc(limit=-6)
    out.seconds = round(time.monotonic() - started, 2)
    return out


class _InProcess:
    """Stands in for an AsyncResult where processes cannot be forked."""

    def __init__(self, call: Callable[[], Outcome]) -> None:
        self._call = call

    def get(self, timeout: float | None = None) -> Outcome:
        return self._call()


@dataclass
class CopyRun:
    corpus: Path
    pending: dict[str, AsyncResult[Outcome] | _InProcess]
    done: dict[str, Outcome | str] = field(default_factory=dict)

    def outcome(self, name: str) -> Outcome:
        if name not in self.done:
            try:
                self.done[name] = self.pending[name].get(timeout=FILE_TIME_LIMIT)
            except multiprocessing.TimeoutError:
                self.done[name] = f"did not finish within {FILE_TIME_LIMIT} s"
        result = self.done[name]
        if isinstance(result, str):
            pytest.fail(f"{name}: the copy writer {result}")
        return result


@pytest.fixture(scope="module")
def copies(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CopyRun]:
    """Every corpus file through the copy writer, WORKERS files at a time, in file order."""
    corpus = shared_dir / "corpus"
    out = tmp_path_factory.mktemp("corpus-copies")
    names = [n for n in FILES if (corpus / n).is_file()]
    pool: Pool | None = None
    if "fork" in multiprocessing.get_all_start_methods():
        pool = multiprocessing.get_context("fork").Pool(WORKERS, maxtasksperchild=40)
        pending: dict[str, Any] = {n: pool.apply_async(examine, (str(corpus), n, str(out)))
                                   for n in names}
    else:
        pending = {n: _InProcess(lambda n=n: examine(str(corpus), n, str(out))) for n in names}
    try:
        yield CopyRun(corpus, pending)
    finally:
        if pool is not None:
            pool.terminate()  # a worker stuck on a file must not outlive the tests
            pool.join()


@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_copy_keeps_everything_or_names_it(copies: CopyRun, name: str) -> None:
    if not (copies.corpus / name).is_file():
        pytest.skip(f"{name} is not in {copies.corpus}")
    out = copies.outcome(name)
    assert out.status != "crash", f"{name}: the copy writer crashed:\n{out.message}"
    if out.status == "refused":
        assert out.message and "\n" not in out.message
        assert out.runner_output is None
        assert out.runner_warnings and out.runner_warnings[0].startswith("No annotated copy: ")
        return
    assert out.unnamed == [], (f"{name}: {len(out.unnamed)} difference(s) not named in the "
                               f"warnings {out.warnings}:\n" + "\n".join(out.unnamed[:20]))


# What the writer must do with the KEY: traps (and a few more): (status, code, words in message)
WRITER_TRAPS = {
    # the package writer copies the one 1 MiB shared string once; openpyxl would write it
    # 12,000 times (its guard is tested below)
    "poi/poc-shared-strings.xlsx": ("written", "", ""),
    # ISO 29500 Strict: the package writer edits them in their own namespaces, with nothing
    # lost (openpyxl cannot read them)
    "calamine/strict_iso_paths.xlsx": ("written", "", ""),
    "poi/57914.xlsx": ("written", "", ""),
    "poi/SampleSS.strict.xlsx": ("written", "", ""),
    "poi/SimpleStrict.xlsx": ("written", "", ""),
    "poi/sample.strict.xlsx": ("written", "", ""),
    "sheetjs/sheet_visibility_strict.xlsx": ("written", "", ""),
    "poi/sample-beta.xlsx": ("refused", "write-failed", "would read no cells"),
    "poi/duplicate-filename.xlsx": ("refused", "write-failed", "two parts named"),
    "poi/duplicate-filename-case-insensitive.xlsx": ("refused", "write-failed",
                                                     "two parts named"),
    "calamine/pass_protected.xlsx": ("refused", "write-failed", "openpyxl cannot open"),
    "poi/poc-xmlbomb.xlsx": ("refused", "unsafe-xml", "declares a DTD"),
    "poi/54764.xlsx": ("refused", "unsafe-xml", "declares a DTD"),
    # openpyxl cannot open these (pivot caches, parts at odd paths or in the wrong letter case,
    # unknown style attributes); the package writer edits them with nothing lost
    "calamine/pivots.xlsx": ("written", "", ""),
    "sheetjs/wtf_path.xlsx": ("written", "", ""),
    "calamine/issue_419.xlsx": ("written", "", ""),
    "calamine/issue_530.xlsx": ("written", "", ""),
    "poi/49609.xlsx": ("written", "", ""),
    "poi/picture.xlsx": ("written", "", ""),
    "poi/style-alternate-content.xlsx": ("written", "", ""),
    # charts, macro and dialog sheets, pictures, a macro project: all carried
    "poi/123233_charts.xlsx": ("written", "", ""),
    "sheetjs/BlankSheetTypes.xlsm": ("written", "", ""),
    "poi/57181.xlsm": ("written", "", ""),
    "calamine/issue_261.xlsx": ("written", "", ""),
    # an empty stylesheet: Excel's defaults are written into it
    "calamine/nonstandard-xml-ns-prefix.xlsx": ("written", "", ""),
    # the package relationships part is not XML: the openpyxl path writes it, and says so
    "poi/xlsx-corrupted.xlsx": ("written", "", "through openpyxl"),
    "poi/47889.xlsx": ("written", "", ""),  # an empty stylesheet
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WRITER_TRAPS))
def test_writer_traps(copies: CopyRun, name: str) -> None:
    if not (copies.corpus / name).is_file():
        pytest.skip(f"{name} is not in {copies.corpus}")
    status, code, words = WRITER_TRAPS[name]
    out = copies.outcome(name)
    assert (out.status, out.code) == (status, code), (out.status, out.code, out.message)
    said = out.message if status == "refused" else " ".join(out.warnings)
    assert words in said, said
    if status == "written" and not words:
        assert out.warnings == [] and out.unnamed == [], (out.warnings, out.unnamed)


def test_shared_string_amplification_is_refused_in_time(corpus_file: Callable[[str], Path],
                                                        tmp_path: Path, openpyxl_path: str) -> None:
    """openpyxl writes every cell's text out in full: this 110 KB file would become ~12 GiB."""
    source = corpus_file("poi/poc-shared-strings.xlsx")
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        write_copy(source, tmp_path / "copy.xlsx", build_plan([], [], {}), False, [])
    assert time.monotonic() - started < 30
    assert caught.value.code == "too-large"
    assert "11.7 GiB of cell text" in caught.value.message
    assert not list(tmp_path.iterdir())  # nothing half-written left behind


@pytest.mark.slow
def test_copies_tally(copies: CopyRun) -> None:
    """How the corpus came through the writer, for the README (shown with `pytest -s`)."""
    outcomes = []
    for name in copies.pending:
        try:
            outcomes.append(copies.outcome(name))
        except pytest.fail.Exception:
            continue  # reported by the file's own test
    print("\n" + "\n".join(tally_lines(outcomes)))
    assert sum(o.status == "written" for o in outcomes) > 100


def tally_lines(outcomes: list[Outcome]) -> list[str]:
    written = [o for o in outcomes if o.status == "written"]
    clean = [o for o in written if not o.warnings and not o.unnamed]
    refused = [o for o in outcomes if o.status == "refused"]
    lines = [f"{len(clean)} of {len(outcomes)} corpus files came through the copy writer with "
             "nothing lost;",
             f"{len(written) - len(clean)} more were written with what they lost named in "
             "their warnings;",
             f"{len(refused)} could not be written (no annotated copy), and why:"]
    reasons: dict[str, list[str]] = {}
    for o in refused:
        reasons.setdefault(_reason(o), []).append(o.file)
    for reason, files in sorted(reasons.items(), key=lambda item: -len(item[1])):
        lines.append(f"  {len(files):4d}  {reason}" + (f": {files}" if len(files) <= 6 else ""))
    named = Counter(kind for o in written for kind in {k for w in o.warnings
                                                       for k in _loss_kinds(w)})
    lines.append("losses named, by kind (files):")
    lines += [f"  {n:4d}  {kind}" for kind, n in named.most_common()]
    fallback = [o.file for o in written if o.warnings and "through openpyxl" in o.warnings[0]]
    lines.append(f"written through openpyxl (the package writer cannot edit them): {fallback}")
    crashed = [o.file for o in outcomes if o.status == "crash"]
    unnamed = [o.file for o in written if o.unnamed]
    if crashed or unnamed:
        lines.append(f"FAILED: crashed {crashed}, unnamed differences {unnamed}")
    slow = sorted(outcomes, key=lambda o: -o.seconds)[:5]
    lines.append("slowest: " + ", ".join(f"{o.file} {o.seconds:.1f} s" for o in slow))
    return lines


def _reason(out: Outcome) -> str:
    if "openpyxl cannot open" in out.message:
        try:
            sniff(_corpus_dir() / out.file)
        except InputError as exc:  # not a workbook the checker reads at all
            return f"[{exc.code}] not a workbook nmr-xl reads (the checker refuses it first)"
        return f"[{out.code}] openpyxl cannot open it (its own parse error)"
    text = re.sub(r"\d+(?:[.,]\d+)*", "N", out.message.split(":")[0].split(";")[0])
    return f"[{out.code}] {text}"


def _loss_kinds(warning: str) -> list[str]:
    lost = "The annotated copy could not carry over: "
    if warning.startswith(lost):
        items = warning[len(lost):].split(". The original file")[0]
        return ["lost: " + _SINGULAR.get(kind, kind)
                for kind in (re.sub(r"^\d+ ", "", item) for item in re.split(r", (?=\d)", items))]
    if "does not mark to be kept" in warning:
        return ["texts with spaces at the start or end not marked to be kept"]
    return [re.sub(r"\d[\d,.]*", "N", warning.split(";")[0].split("(")[0]).strip()]


_LABELS = [label for label, _ in fidelity._PARTS + fidelity._SHEET_FEATURES] + [
    fidelity.SHAPE, fidelity.NOTE, fidelity.EMPTY_TEXT, fidelity.DEFINED_NAME]
_SINGULAR = {fidelity._plural(2, label)[2:]: label for label in _LABELS}


# --- the corpus's lessons, kept without the corpus ------------------------------------------------


def _minimal_package(tmp_path: Path, sheet_data: bytes, shared: bytes | None = None,
                     name: str = "book.xlsx") -> Path:
    """A hand-made workbook, as programs other than openpyxl write them."""
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
        b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
        b'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
        b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        b"</Types>",
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/relationships"><Relationship Id="rId1" Type="' + rel
        + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook ' + ns + b' xmlns:r="' + rel
        + b'"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        + rel + b'/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
        + rel + b'/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><worksheet ' + ns + b"><sheetData>"
        + sheet_data + b"</sheetData></worksheet>",
        "xl/sharedStrings.xml": b'<?xml version="1.0"?><sst ' + ns + b">" + (shared or b"")
        + b"</sst>",
    }
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return path


def _copy_of(tmp_path: Path, source: Path) -> tuple[list[str], dict[tuple[int, int], Any]]:
    """The copy's notes (without the one saying openpyxl wrote it) and its cells."""
    copy = tmp_path / "copy.xlsx"
    notes = write_copy(source, copy, build_plan([], [], {}), False, [])
    view = _calamine_view(copy)
    assert not isinstance(view, str)
    return [n for n in notes if "through openpyxl" not in n], view[1]["Data"]


# Both paths: the package writer, and openpyxl with the mends nmr_xl.write.xlsx applies
both_paths = pytest.mark.parametrize("path", ["package", "openpyxl"])


def _on(path: str, request: pytest.FixtureRequest) -> None:
    if path == "openpyxl":
        request.getfixturevalue("openpyxl_path")


@both_paths
def test_numbers_keep_all_17_digits_and_spaces_only_text_stays(
        tmp_path: Path, path: str, request: pytest.FixtureRequest) -> None:
    """openpyxl writes 16 significant digits and drops xml:space from a text of only spaces;
    the copy writer mends both (the package writer never rewrites them)."""
    _on(path, request)
    source = _minimal_package(tmp_path, (
        b'<row r="1"><c r="A1"><v>0.020833333333333332</v></c>'
        b'<c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'),
        shared=(b'<si><t xml:space="preserve"> </t></si>'
                b'<si><r><t xml:space="preserve">lets </t></r><r><rPr><b/></rPr><t>try</t></r>'
                b'<r><t xml:space="preserve"> </t></r><r><rPr><i/></rPr><t>all</t></r></si>'))
    notes, cells = _copy_of(tmp_path, source)
    assert notes == []
    assert cells[(1, 1)] == 0.020833333333333332
    assert cells[(1, 2)] == " "
    assert cells[(1, 3)] == "lets try all"


@both_paths
def test_plain_text_before_formatted_runs_is_kept(tmp_path: Path, path: str,
                                                  request: pytest.FixtureRequest) -> None:
    """openpyxl's rich-text reader keeps only the plain part of <si><t/><r/>...</si>."""
    _on(path, request)
    source = _minimal_package(tmp_path, b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                              shared=b"<si><t>tval</t><r><t>rval1</t></r><r><t>rval2</t></r></si>")
    notes, cells = _copy_of(tmp_path, source)
    assert notes == []
    assert cells[(1, 1)] == "tvalrval1rval2"


def test_package_writer_keeps_empty_text_and_unmarked_spaces(tmp_path: Path) -> None:
    source = _minimal_package(tmp_path, (
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t></t></is></c>'
        b'<c r="C1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>  padded </t></is></c>'
        b"</row>"), shared=b"<si><t/></si><si><t>x </t></si>")
    notes, _ = _copy_of(tmp_path, source)
    assert notes == []
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(tmp_path / "copy.xlsx") as after:
        for part in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
            assert after.read(part) == before.read(part)


def test_empty_text_and_unmarked_spaces_are_named(tmp_path: Path, openpyxl_path: str) -> None:
    source = _minimal_package(tmp_path, (
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t></t></is></c>'
        b'<c r="C1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>  padded </t></is></c>'
        b"</row>"), shared=b"<si><t/></si><si><t>x </t></si>")
    notes, cells = _copy_of(tmp_path, source)
    assert any('2 cells holding empty text ("", blank in the copy)' in n for n in notes), notes
    assert any(n.startswith("2 texts have spaces") for n in notes), notes
    assert cells[(1, 4)] == "  padded "


def test_duplicate_part_names_are_refused(tmp_path: Path) -> None:
    source = _minimal_package(tmp_path, b'<row r="1"><c r="A1"><v>1</v></c></row>')
    with zipfile.ZipFile(source, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        archive.writestr("XL/Worksheets/Sheet1.xml", b"<worksheet/>")
    with pytest.raises(InputError) as caught:
        write_copy(source, tmp_path / "copy.xlsx", build_plan([], [], {}), False, [])
    assert "two parts named xl/worksheets/sheet1.xml" in caught.value.message


def test_declared_dtd_is_refused_by_the_reader(tmp_path: Path) -> None:
    source = _minimal_package(tmp_path, b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                              shared=b"<si><t>x</t></si>")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(bomb, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE sst [<!ENTITY a "aaaa">]>', 1)
            zout.writestr(info, data)
    with pytest.raises(InputError) as caught:
        sniff(bomb)
    assert caught.value.code == "unsafe-xml"


def test_huge_text_guard_becomes_a_no_copy_warning(tmp_path: Path, openpyxl_path: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard in the checker's own path: the file is checked, the copy is refused."""
    monkeypatch.setattr(xlsx, "MAX_TEXT_CHARS", 100)
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    result = check_file(source, load_config(), dt.date.fromisoformat(FIXTURE_AS_OF),
                        out_dir=tmp_path / "out")
    assert result.error is None and result.findings
    assert result.output is None
    assert [w for w in result.warnings if w.startswith("No annotated copy: the copy would "
                                                       "have to write out")]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_losses_found_after_saving_reach_the_summary_without_a_second_save(
        tmp_path: Path, openpyxl_path: str) -> None:
    """openpyxl cannot save a workbook with pictures twice; the losses go into the saved copy."""
    plain = build_billing_workbook(tmp_path / "plain.xlsx")
    book = openpyxl.load_workbook(plain)
    picture = io.BytesIO()
    PILImage.new("RGB", (4, 4), "red").save(picture, format="PNG")
    book["Notes"].add_image(Image(picture), "H2")
    book.save(plain)

    def spoil_chart(name: str, data: bytes) -> bytes:
        if name == "xl/charts/chart1.xml":  # openpyxl's chart reader rejects it: lost
            return data.replace(b"<chartSpace ", b'<chartSpace nmrXlUnknown="1" ', 1)
        return data

    source = rewrite_parts(plain, tmp_path / "pictured.xlsx", spoil_chart)
    copy = tmp_path / "copy.xlsx"
    notes = write_copy(source, copy, build_plan([], [], {}), False, [])
    assert len(notes) == 2 and openpyxl_path in notes[0] and "1 chart" in notes[1]
    summary = openpyxl.load_workbook(copy)[SUMMARY_SHEET]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert notes[0] in texts
    assert not any(t.startswith("Nothing: every sheet") for t in texts)
    with zipfile.ZipFile(copy) as archive:
        assert any(n.startswith("xl/media/") for n in archive.namelist())  # the picture


# --- python tests/test_corpus.py: the tally without pytest ----------------------------------------


def main() -> int:
    import tempfile

    corpus = _corpus_dir()
    if not corpus.is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    names = [n for n in FILES if (corpus / n).is_file()]
    with tempfile.TemporaryDirectory() as out, \
            multiprocessing.get_context("fork").Pool(WORKERS, maxtasksperchild=40) as pool:
        pending = {n: pool.apply_async(examine, (str(corpus), n, out)) for n in names}
        outcomes = []
        for name, result in pending.items():
            try:
                outcomes.append(result.get(timeout=FILE_TIME_LIMIT))
            except multiprocessing.TimeoutError:
                print(f"{name}: did not finish within {FILE_TIME_LIMIT} s")
        pool.terminate()
    for out_ in outcomes:
        if out_.status == "crash" or out_.unnamed:
            print(f"{out_.file}: {out_.status} {out_.message[-500:]} {out_.unnamed[:5]}")
    print("\n".join(tally_lines(outcomes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
