"""Faults that must cost one input, never the batch nor another practice's data (issue 16):

- limits decided from the package before any reader opens it (a far-corner cell, padding),
  and every check in a worker process, so a worker that dies costs only its input;
- one writer per output folder: a lock, the state merged and written atomically;
- results that survive an output folder that is read-only or full;
- a disposition for every zip member, whatever its name;
- dispositions right for valid but unusual files (macro sheets, checksums, a DTD after a long
  comment, UTF-16 without a byte-order mark).

Hostile files are generated here, small. Nothing is timed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from conftest import (
    AS_OF,
    CLEAN_ROWS,
    ERROR_ROWS,
    PATIENT_IDS,
    build_billing_workbook,
    make_xlsm,
    rewrite_parts,
)

from nmr_xl import batch
from nmr_xl.atomic import TEMP_PREFIX, private_file
from nmr_xl.config.load import load_config
from nmr_xl.errors import InputError
from nmr_xl.inputs import LABEL_SEP, STATE_FILE, SUMMARY_FILE
from nmr_xl.outdir import LOCK_FILE, claim
from nmr_xl.read import package
from nmr_xl.read.csv_source import decode
from nmr_xl.read.sources import sniff
from nmr_xl.runner import check_file

REPO_ROOT = Path(__file__).resolve().parents[1]
FORK = sys.platform.startswith("linux")  # workers are forked: the test's patches reach them
needs_fork = pytest.mark.skipif(not FORK, reason="patches reach worker processes only when "
                                                  "they are forked (Linux)")


def _sheet_xml(rows: bytes, root: bytes = b"worksheet", prefix: bytes = b"") -> bytes:
    ns = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    declaration = b"xmlns:" + prefix[:-1] if prefix else b"xmlns"
    return (b'<?xml version="1.0" encoding="UTF-8"?><' + prefix + root + b" " + declaration
            + b'="' + ns + b'"><' + prefix + b"sheetData>" + rows + b"</" + prefix
            + b"sheetData></" + prefix + root + b">")


def with_sheet(tmp_path: Path, name: str, sheet: bytes, *, sheet_part: str =
               "xl/worksheets/sheet1.xml") -> Path:
    """A one-sheet workbook written by openpyxl, its sheet part replaced by `sheet`."""
    base = tmp_path / f"base-{name}"
    book = openpyxl.Workbook()
    book.active["A1"] = "x"
    book.save(base)
    return rewrite_parts(base, tmp_path / name,
                         lambda part, data: sheet if part == sheet_part else data)


def far_corner(path: Path, cell: str = "XFD1048576", *, billing: bool = False) -> Path:
    """A workbook whose only far cell is `cell`: python-calamine would try to allocate the
    whole block from A1 to it and abort the process. With `billing`, the far cell is on a
    second sheet beside a real billing sheet."""
    if billing:
        build_billing_workbook(path, CLEAN_ROWS + ERROR_ROWS, extras=False)
        book = openpyxl.load_workbook(path)
        stray = book.create_sheet("Scratch")
    else:
        book = openpyxl.Workbook()
        stray = book.active
    stray["A1"] = "totals"
    stray[cell] = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def cli_subprocess(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nmr_xl.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
                          check=False)


def assert_quiet(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr


# --- 1. limits decided before reading ---------------------------------------------------------


def test_far_corner_workbook_in_a_batch_of_good_ones(tmp_path: Path) -> None:
    """The far-corner file is `too-large` (decided from the package, so python-calamine never
    sees it); the good ones are checked, and the report, summary and state are written."""
    inbox = tmp_path / "in"
    build_billing_workbook(inbox / "a.xlsx")
    build_billing_workbook(inbox / "b.xlsx", CLEAN_ROWS)
    far_corner(inbox / "far.xlsx")
    far_corner(inbox / "cv.xlsx", "CV1048576")
    out, report = tmp_path / "out", tmp_path / "report.json"
    run = cli_subprocess("check", inbox, "--out", out, "--as-of", AS_OF, "--report", report,
                         "--jobs", "2")
    assert run.returncode == 2, run.stderr
    assert_quiet(run.stderr)
    files = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    assert files["a.xlsx"]["disposition"] == "checked" and files["a.xlsx"]["findings"]
    assert files["b.xlsx"]["disposition"] == "checked"
    for name, column, letters in (("far.xlsx", "16,384", "XFD"), ("cv.xlsx", "100", "CV")):
        error = files[name]["error"]
        assert error["code"] == "too-large", error
        assert "row 1,048,576" in error["message"] and letters in error["message"], error
        assert column in error["message"]
    assert {p.name for p in out.iterdir()} >= {"a.checked.xlsx", "b.checked.xlsx",
                                               SUMMARY_FILE, STATE_FILE}


def test_a_far_corner_file_alone_is_refused_not_aborted(tmp_path: Path) -> None:
    """A single-file run reports it like any bad input: one line, exit 2, never a bare 134."""
    path = far_corner(tmp_path / "far.xlsx")
    run = cli_subprocess("check", path, "--no-annotate", "--as-of", AS_OF)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert run.stdout.startswith(f"{path}: error [too-large] sheet Sheet is too large to read")
    assert_quiet(run.stderr)
    assert run.stderr == ""


def test_a_far_stray_cell_beside_the_billing_sheet_skips_only_its_sheet(tmp_path: Path) -> None:
    path = far_corner(tmp_path / "billing.xlsx", billing=True)
    result = check_file(path, load_config(), _date(), out_dir=tmp_path / "out")
    assert result.error is None
    assert [f.rule for f in result.findings] == ["NMR102"]
    skipped = {s.name: s.reason for s in result.skipped}
    assert skipped["Scratch"].startswith("too large to read: its cells reach row 1,048,576 and "
                                         "column XFD")
    assert result.output is not None and Path(result.output).is_file()


def _date():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.date.fromisoformat(AS_OF)


FAR = b'<c r="XFD1048576" t="n"><v>1</v></c>'


@pytest.mark.parametrize("rows", [
    # a cell far from the row it sits in (the row says 1)
    pytest.param(b'<row r="1"><c r="A1" t="n"><v>1</v></c>' + FAR + b"</row>", id="row-mismatch"),
    # the reference after another attribute, in single quotes, with spaces around '='
    pytest.param(b'<row r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>', id="r-second"),
    pytest.param(b"<row r='1048576'><c r = 'XFD1048576'><v>1</v></c></row>", id="quotes"),
    # no references at all: the position follows from the cells before
    pytest.param(b'<row r="3000">' + b"<c><v>1</v></c>" * 12_000 + b"</row>", id="no-refs"),
    # no row numbers either: 50,000 rows of a value in column B, and one in column ZZ
    pytest.param(b"<row><c/><c><v>1</v></c></row>" * 50_000
                 + b'<row><c r="ZZ1"><v>1</v></c></row>', id="no-row-numbers"),
])
def test_every_way_of_writing_a_far_cell_is_found(tmp_path: Path, rows: bytes) -> None:
    path = with_sheet(tmp_path, "far.xlsx", _sheet_xml(rows))
    found = package.inspect(path)
    assert found.refused_sheets()["Sheet"].startswith("too large to read")


def test_a_prefixed_namespace_hides_nothing(tmp_path: Path) -> None:
    rows = b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    path = with_sheet(tmp_path, "prefixed.xlsx", _sheet_xml(rows, prefix=b"x:"))
    assert "Sheet" in package.inspect(path).refused_sheets()


@pytest.mark.parametrize("rows", [
    # formatting far out, no value: python-calamine ignores such cells, and so do the limits
    pytest.param(b'<row r="1"><c r="A1" t="n"><v>1</v></c><c r="XFD1048576" s="0"/></row>',
                 id="styled-empty"),
    # a full-height sheet of 16 columns (a stray value in the last row of a billing sheet)
    pytest.param(b'<row r="1"><c r="A1" t="n"><v>1</v></c></row><row r="1048576">'
                 b'<c r="P1048576" t="n"><v>1</v></c></row>', id="full-height"),
    # 100,000 rows in single-letter columns: proved small from counts alone
    pytest.param(b"".join(b'<row r="%d"><c r="A%d" t="n"><v>1</v></c><c r="P%d" t="n"><v>2</v>'
                          b"</c></row>" % (r, r, r) for r in range(1, 100_001)), id="tall"),
])
def test_real_sheets_pass(tmp_path: Path, rows: bytes) -> None:
    path = with_sheet(tmp_path, "fine.xlsx", _sheet_xml(rows))
    found = package.inspect(path)
    assert found.refused_sheets() == {}
    result = check_file(path, load_config(), _date(), annotate=False)
    assert result.error is not None and result.error.code == "no-billing-table"


def test_a_real_100k_line_export_passes_within_limits() -> None:
    """bench/bench.py's generator: 100,000 billing lines, 16 columns."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import bench
    finally:
        sys.path.pop(0)
    cached = bench.workbook_path(100_000, bench.DATA)
    if not cached.is_file():
        pytest.skip(f"{cached} not generated (python bench/bench.py --sizes 100000 makes it)")
    found = package.inspect(cached)
    assert found.refused_sheets() == {} and found.copy_blocker() is None
    assert found.cells > 1_000_000


def test_a_part_padded_1000_to_1_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    padding = b" " * (12 * 1024 * 1024)
    source = build_billing_workbook(tmp_path / "plain.xlsx")
    padded = rewrite_parts(source, tmp_path / "padded.xlsx", lambda name, data: data.replace(
        b"</worksheet>", padding + b"</worksheet>") if name.endswith("sheet1.xml") else data)
    run = cli_subprocess("check", padded, "--no-annotate", "--as-of", AS_OF)
    assert run.returncode == 2
    assert "error [too-large] a part of the workbook is compressed more than 250:1" in run.stdout


def test_shared_text_repeated_by_many_cells_is_refused(tmp_path: Path) -> None:
    """An 11 KB workbook whose 1,000 cells all refer to one 1 MiB shared text: python-calamine
    would hand Python 2 GB of copies. A sheet of ordinary shared texts passes."""
    def with_table(name: str, cells: int, text: str) -> Path:
        source = build_billing_workbook(tmp_path / f"plain-{name}.xlsx", CLEAN_ROWS,
                                        extras=False)
        rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (r, r)
                        for r in range(1, cells + 1))
        table = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 b"<si><t>" + text.encode() + b"</t></si></sst>")

        def edit(part: str, data: bytes) -> bytes:
            if part == "xl/worksheets/sheet1.xml":
                return _sheet_xml(rows)
            if part == "[Content_Types].xml":
                return data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument'
                                    b'.spreadsheetml.sharedStrings+xml"/></Types>')
            if part == "xl/_rels/workbook.xml.rels":
                return data.replace(b"</Relationships>", b'<Relationship Id="rIdNmrSst" Type="'
                                    b"http://schemas.openxmlformats.org/officeDocument/2006/"
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            return data

        return rewrite_parts(source, tmp_path / f"{name}.xlsx", edit,
                             {"xl/sharedStrings.xml": table})

    hostile = with_table("amplified", 1000, "x" * 1024 * 1024)
    assert hostile.stat().st_size < 20_000
    reason = package.inspect(hostile).refused_sheets()["Billing"]
    assert reason.startswith("too large to read: its 1,000 text cells refer to 1,000 MB of "
                             "shared text")
    result = check_file(hostile, load_config(), _date(), annotate=False)
    assert result.error is not None and result.error.code == "too-large"
    assert package.inspect(with_table("ordinary", 20_000, "Medicare")).refused_sheets() == {}


def test_too_many_cells_for_a_copy_still_checks(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package, "MAX_COPY_CELLS", 50)
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    result = check_file(source, load_config(), _date(), out_dir=tmp_path / "out")
    assert result.error is None and len(result.findings) == 3 and result.output is None
    assert any(w.startswith("No annotated copy: the workbook holds") and "more than the 50"
               in w for w in result.warnings)


# --- 1. a worker that dies costs only its input ------------------------------------------------


def _rows(patient: str) -> list[list[object]]:
    """Lines with an NMR102 error, for `patient`: files of different content (the same content
    twice is checked once)."""
    return [[patient, *row[1:]] for row in CLEAN_ROWS + ERROR_ROWS]


def _abort_on(name: str, monkeypatch: pytest.MonkeyPatch, *, mid_save: bool = False) -> None:
    """Make the check of the input called `name` kill its worker process (SIGABRT), as
    python-calamine does when an allocation fails; with `mid_save`, while writing its copy."""
    real = batch.check_file

    def check(path: Path, *args: object, dest: Path | None = None, **kwargs: object):
        if path.name == name:
            if mid_save and dest is not None:
                with private_file(dest) as tmp:
                    tmp.write_bytes(b"half a copy, holding patient data")
                    os.abort()
            os.abort()
        return real(path, *args, dest=dest, **kwargs)

    monkeypatch.setattr(batch, "check_file", check)


@needs_fork
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_crashing_worker_costs_only_its_input(cli, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                jobs: str) -> None:
    inbox = tmp_path / "in"
    for name in ("a", "b", "crash", "d"):
        build_billing_workbook(inbox / f"{name}.xlsx", _rows(name), extras=False)
    _abort_on("crash.xlsx", monkeypatch, mid_save=True)
    out, report = tmp_path / "out", tmp_path / "report.json"
    run = cli("check", inbox, "--out", out, "--as-of", AS_OF, "--report", report,
              "--jobs", jobs)
    assert run.code == 2, run.err
    assert_quiet(run.err)
    files = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    crashed = files["crash.xlsx"]["error"]
    assert crashed["code"] == "crashed"
    assert crashed["message"].startswith("the check of this file stopped unexpectedly")
    assert "SIGABRT" in crashed["message"] and "\n" not in crashed["message"]
    for name in ("a.xlsx", "b.xlsx", "d.xlsx"):
        assert files[name]["disposition"] == "checked", name
        assert [f["rule"] for f in files[name]["findings"]] == ["NMR102"]
        assert Path(files[name]["output"]).is_file()
    assert (out / SUMMARY_FILE).is_file()
    state = json.loads((out / STATE_FILE).read_text())["inputs"]
    assert len(state) == 3  # the crashed input is tried again next time
    # the half-written copy of the dead worker is gone
    assert not [p for p in out.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    assert f"{inbox / 'crash.xlsx'}: crashed: the check of this file" in run.out


@needs_fork
def test_a_single_file_that_crashes_is_reported_not_aborted(cli, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    path = build_billing_workbook(tmp_path / "crash.xlsx", CLEAN_ROWS, extras=False)
    _abort_on("crash.xlsx", monkeypatch)
    run = cli("check", path, "--no-annotate", "--as-of", AS_OF, "--format", "json")
    assert run.code == 2
    doc = json.loads(run.out)
    assert doc["files"][0]["error"]["code"] == "crashed"


@needs_fork
def test_the_memory_ceiling_stops_a_runaway_check(cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """1.5 GiB is nothing to the OS here; under a 1 GiB ceiling it fails at once, and the
    input is `too-large` (a Python allocation: MemoryError) while the others are checked."""
    inbox = tmp_path / "in"
    build_billing_workbook(inbox / "fine.xlsx", _rows("fine"), extras=False)
    build_billing_workbook(inbox / "greedy.xlsx", _rows("greedy"), extras=False)
    real = batch.check_file

    def greedy(path: Path, *args: object, **kwargs: object):
        if path.name == "greedy.xlsx":
            bytearray(3 * 1024**3 // 2)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "check_file", greedy)
    monkeypatch.setattr(batch, "memory_ceiling", lambda jobs: 1024**3)
    run = cli("check", inbox, "--no-annotate", "--as-of", AS_OF, "--format", "json",
              "--jobs", "1")
    files = {Path(f["input"]).name: f for f in json.loads(run.out)["files"]}
    assert files["fine.xlsx"]["status"] == "checked"
    assert files["greedy.xlsx"]["error"] == {
        "code": "too-large", "message": "checking this file needed more than the 1.0 GiB of "
                                        "memory one input may use; split it, or check it on "
                                        "its own with --jobs 1"}


@needs_fork
def test_a_copy_past_the_memory_ceiling_keeps_the_findings(cli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from nmr_xl.write import xlsx

    def greedy(*args: object, **kwargs: object) -> None:
        bytearray(3 * 1024**3 // 2)

    monkeypatch.setattr(xlsx, "write_copy", greedy)
    monkeypatch.setattr(batch, "memory_ceiling", lambda jobs: 1024**3)
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    run = cli("check", source, "--out", tmp_path / "out", "--as-of", AS_OF, "--format", "json")
    entry = json.loads(run.out)["files"][0]
    assert entry["status"] == "checked" and len(entry["findings"]) == 3
    assert entry["output"] is None
    assert entry["warnings"][-1] == ("No annotated copy: writing it needed more memory than "
                                     "one input may use")


# --- 2. one writer per output folder ------------------------------------------------------------


def practice(folder: Path, patient: str, files: int) -> Path:
    """A practice's inbox: `files` workbooks named like every other practice's (jan.xlsx ...),
    each holding only `patient`'s lines."""
    for n in range(files):
        rows = [[patient, f"month {n}", *row[2:]] for row in CLEAN_ROWS + ERROR_ROWS]
        build_billing_workbook(folder / f"month{n}.xlsx", rows, extras=False)
    return folder


def test_two_runs_on_one_out_each_link_only_their_own_copies(tmp_path: Path) -> None:
    """Two practices' inboxes, files of the same names, checked at the same time into one
    --out: every copy a report links holds that report's patients only, and the state file
    keeps both runs' inputs."""
    out = tmp_path / "out"
    runs = []
    for patient, name in ((PATIENT_IDS[0], "a"), (PATIENT_IDS[1], "b")):
        inbox = practice(tmp_path / name, patient, 6)
        report = tmp_path / f"{name}.json"
        command = [sys.executable, "-m", "nmr_xl.cli", "check", str(inbox), "--out", str(out),
                   "--as-of", AS_OF, "--report", str(report), "--jobs", "1"]
        runs.append((patient, report, subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    finished = 0
    for patient, report, process in runs:
        _, stderr = process.communicate(timeout=300)
        assert_quiet(stderr)
        if process.returncode == 2:  # waited for the other run in vain: refused, one line
            assert stderr.strip().endswith("another nmr-xl run is writing to this folder; run "
                                           "again when it has finished, or use another --out "
                                           "folder"), stderr
            assert not report.exists()
            continue
        assert process.returncode == 1, stderr  # its findings
        finished += 1
        for entry in json.loads(report.read_text())["files"]:
            copy = openpyxl.load_workbook(entry["output"], read_only=True)
            ids = {row[0] for row in copy["Billing"].iter_rows(min_row=5, values_only=True)
                   if row[0]}
            assert ids == {patient}, (entry["output"], ids)
    assert finished >= 1
    if finished == 2:
        assert len(json.loads((out / STATE_FILE).read_text())["inputs"]) == 12


def test_a_second_run_refuses_with_one_line_while_the_folder_is_held(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nmr_xl import outdir

    monkeypatch.setattr(outdir, "LOCK_WAIT", 0.2)
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    with claim(out):  # another run
        run = cli("check", source, "--out", out, "--as-of", AS_OF)
    assert run.code == 2
    assert run.out == ""
    assert run.err == (f"nmr-xl: {out}: another nmr-xl run is writing to this folder; run "
                       "again when it has finished, or use another --out folder\n")
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]
    again = cli("check", source, "--out", out, "--as-of", AS_OF)  # released: it runs
    assert again.code == 1 and (out / "billing.checked.xlsx").is_file()


def test_the_state_is_merged_not_overwritten(cli, tmp_path: Path) -> None:
    """Runs one after the other with different inputs: the state keeps every input, and a
    later run never takes an earlier input's copy."""
    out = tmp_path / "out"
    a = practice(tmp_path / "a", PATIENT_IDS[0], 1)
    b = practice(tmp_path / "b", PATIENT_IDS[1], 1)
    cli("check", a, "--out", out, "--as-of", AS_OF)
    cli("check", b, "--out", out, "--as-of", AS_OF)
    state = json.loads((out / STATE_FILE).read_text())["inputs"]
    outputs = sorted(seen["output"] for seen in state.values())
    assert outputs == ["month0 (2).checked.xlsx", "month0.checked.xlsx"]


# --- 3. results survive the output folder ----------------------------------------------------


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[callable]:  # type: ignore[valid-type]
    """mount(options) -> a fresh tmpfs mounted under tmp_path (root only; skips otherwise).
    chmod cannot stand in: root writes through any permission bits."""
    mounted: list[Path] = []

    def make(options: str) -> Path:
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a small tmpfs needs root (chmod does not stop root)")
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _two_inputs(tmp_path: Path) -> Path:
    inbox = tmp_path / "in"
    build_billing_workbook(inbox / "a.xlsx")
    build_billing_workbook(inbox / "b.xlsx", CLEAN_ROWS)
    return inbox


def test_a_read_only_out_still_reports_every_check(tmp_path: Path, mount) -> None:  # type: ignore[no-untyped-def]
    out = mount("ro,size=256k")
    report = tmp_path / "report.json"
    run = cli_subprocess("check", _two_inputs(tmp_path), "--out", out, "--as-of", AS_OF,
                         "--report", report)
    assert run.returncode == 2
    assert_quiet(run.stderr)
    assert run.stderr == (f"nmr-xl: the output folder {out} cannot be written (Read-only file "
                          "system): no annotated copy, batch summary or state file was written "
                          "there\n")
    files = json.loads(report.read_text())["files"]
    assert [f["status"] for f in files] == ["checked", "checked"]
    assert sum(len(f["findings"]) for f in files) == 3
    for f in files:
        assert f["output"] is None
        assert f["warnings"][0] == (f"No annotated copy: the output folder {out} cannot be "
                                    "written (Read-only file system)")
    assert "No annotated copy: the output folder" in run.stdout


def test_a_full_out_still_reports_every_check(tmp_path: Path, mount) -> None:  # type: ignore[no-untyped-def]
    out = mount("size=256k")
    room = os.statvfs(out)
    (out / "filler").write_bytes(b"x" * (room.f_bavail * room.f_frsize - 8 * 1024))
    report = tmp_path / "report.json"
    run = cli_subprocess("check", _two_inputs(tmp_path), "--out", out, "--as-of", AS_OF,
                         "--report", report, "--jobs", "2")
    assert run.returncode == 2
    assert_quiet(run.stderr)
    assert "could not be written (No space left on device)" in run.stderr
    files = json.loads(report.read_text())["files"]
    assert [f["status"] for f in files] == ["checked", "checked"]
    for f in files:
        assert f["output"] is None
        assert f["warnings"][-1] == (f"No annotated copy: cannot write {Path(f['input']).stem}"
                                     f".checked.xlsx in {out} (No space left on device)")
    # nothing half-written left behind
    assert sorted(p.name for p in out.iterdir()) in ([LOCK_FILE, "filler"],
                                                     [STATE_FILE, LOCK_FILE, "filler"])


def test_the_next_run_removes_what_an_interrupted_run_left(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "2026-03-01 March").mkdir(parents=True)
    leftovers = [out / f"{TEMP_PREFIX}4242-abc.xlsx", out / "2026-03-01 March" /
                 f"{TEMP_PREFIX}77-x.xlsm", out / ".nmr-xl-k2j3.xlsx",  # an older version's
                 out / ".nmr-xl-state-9q8.json", out / ".batch-summary-1a.xlsx"]
    for path in leftovers:
        path.write_bytes(b"half a copy")
    kept = out / "2026-03-01 March" / "notes.txt"
    kept.write_text("mine")
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    cli("check", source, "--out", out, "--as-of", AS_OF)
    assert not any(path.exists() for path in leftovers)
    assert kept.is_file() and (out / STATE_FILE).is_file()


def test_every_file_written_is_private(cli, tmp_path: Path) -> None:
    """Copies (also those whose losses were written into them after saving), the batch
    summary, the state file and the report: 0600."""
    plain = build_billing_workbook(tmp_path / "plain.xlsx")

    def spoil_chart(name: str, data: bytes) -> bytes:  # found lost only after saving
        if name == "xl/charts/chart1.xml":
            return data.replace(b"<chartSpace ", b'<chartSpace nmrXlUnknown="1" ', 1)
        return data

    inbox = tmp_path / "in"
    inbox.mkdir()
    rewrite_parts(plain, inbox / "charted.xlsx", spoil_chart)
    make_xlsm(plain, inbox / "macro.xlsm")
    out, report = tmp_path / "out", tmp_path / "report.json"
    cli("check", inbox, "--out", out, "--as-of", AS_OF, "--report", report)
    written = [p for p in out.rglob("*") if p.is_file()] + [report]
    assert len(written) == 6  # two copies, summary, state, lock, report
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {
        p.name: 0o600 for p in written}


# --- 4. every zip member gets a disposition ---------------------------------------------------


def test_unsafe_member_names_are_checked_under_safe_names(cli, tmp_path: Path) -> None:
    billing = build_billing_workbook(tmp_path / "src" / "billing.xlsx").read_bytes()
    clean = build_billing_workbook(tmp_path / "src" / "clean.xlsx", CLEAN_ROWS).read_bytes()
    archive = tmp_path / "in" / "export.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../../jan.xlsx", billing)
        zipped.writestr("C:\\exports\\feb.xlsx", clean)
        link = zipfile.ZipInfo("mar.xlsx")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "../../../etc/passwd")
    out, report = tmp_path / "out", tmp_path / "report.json"
    run = cli("check", archive, "--out", out, "--as-of", AS_OF, "--report", report)
    assert run.code == 2  # the link could not be checked
    files = {f["input"].split(LABEL_SEP)[1]: f for f in json.loads(report.read_text())["files"]}
    assert files["mar.xlsx"]["error"]["code"] == "unsafe-name"
    assert files["../../jan.xlsx"]["disposition"] == "checked"
    assert files["../../jan.xlsx"]["output"] == str(out / "export" / "jan.checked.xlsx")
    assert files["C:\\exports\\feb.xlsx"]["output"] == str(out / "export" / "feb.checked.xlsx")
    assert files["../../jan.xlsx"]["warnings"][0] == (
        "Its name in the zip (../../jan.xlsx) is a path leading out of its folder; it was "
        "checked under a safe name.")
    assert not (tmp_path / "jan.xlsx").exists() and not (tmp_path.parent / "jan.xlsx").exists()


# --- 7. dispositions of valid but unusual files ------------------------------------------------


def _with_macro_and_dialog_sheets(source: Path, dest: Path) -> Path:
    """Add an Excel 4 macro sheet and a dialog sheet, as Excel writes them."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = b'<?xml version="1.0" encoding="UTF-8"?><%s xmlns="' + main + b'"><sheetData/></%s>'
    types = {"macro": (b"xm:macrosheet", b"application/vnd.ms-excel.macrosheet+xml",
                       b"http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"),
             "dialog": (b"dialogsheet", b"application/vnd.openxmlformats-officedocument."
                                        b"spreadsheetml.dialogsheet+xml",
                        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                        b"dialogsheet")}

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            overrides = b"".join(b'<Override PartName="/xl/%ssheets/sheet1.xml" ContentType="%s"'
                                 b"/>" % (kind.encode(), ctype) for kind, (_, ctype, _) in
                                 types.items())
            return data.replace(b"</Types>", overrides + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            rels = b"".join(b'<Relationship Id="rIdNmr%s" Type="%s" Target="%ssheets/sheet1.xml"'
                            b"/>" % (kind.encode(), rel, kind.encode()) for kind, (_, _, rel) in
                            types.items())
            return data.replace(b"</Relationships>", rels + b"</Relationships>")
        if name == "xl/workbook.xml":
            # the prefix declared on each element, as openpyxl with lxml writes its own sheets
            r = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
            return data.replace(b"</sheets>", b'<sheet %s name="Macro1" sheetId="90" r:id="rIdNmr'
                                b'macro"/><sheet %s name="Dialog1" sheetId="91" r:id="rIdNmrdialog"'
                                b"/></sheets>" % (r, r))
        return data

    root = {kind: tag for kind, (tag, _, _) in types.items()}
    return rewrite_parts(source, dest, edit, {
        "xl/macrosheets/sheet1.xml": (sheet % (root["macro"], root["macro"])).replace(
            b"<xm:macrosheet xmlns=", b'<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/'
            b'office/excel/2006/main" xmlns='),
        "xl/dialogsheets/sheet1.xml": sheet % (root["dialog"], root["dialog"])})


def test_a_workbook_with_macro_and_dialog_sheets_is_checked(tmp_path: Path) -> None:
    plain = build_billing_workbook(tmp_path / "plain.xlsx")
    source = _with_macro_and_dialog_sheets(make_xlsm(plain, tmp_path / "plain.xlsm"),
                                           tmp_path / "macros.xlsm")
    result = check_file(source, load_config(), _date(), out_dir=tmp_path / "out")
    assert result.error is None, result.error
    assert [f.rule for f in result.findings] == ["NMR102", "NMR206", "NMR104"]
    skipped = {s.name: s.reason for s in result.skipped}
    assert skipped["Macro1"] == "not a worksheet (Excel 4 macro sheet)"
    assert skipped["Dialog1"].startswith("not a worksheet")
    assert result.output is not None and Path(result.output).is_file()


def test_a_dtd_after_a_long_comment_is_unsafe_xml(tmp_path: Path) -> None:
    comment = b"<!--" + b"a harmless looking comment " * 10_000 + b"-->"
    source = build_billing_workbook(tmp_path / "plain.xlsx")
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    hostile = rewrite_parts(source, tmp_path / "dtd.xlsx", lambda name, data: declaration
                            + comment + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
                            if name == "xl/workbook.xml" else data)
    with pytest.raises(InputError) as caught:
        sniff(hostile)
    assert caught.value.code == "unsafe-xml"
    # a comment that only mentions a DTD, and a DTD inside a comment, are no DTD
    harmless = rewrite_parts(source, tmp_path / "mention.xlsx", lambda name, data: declaration
                             + b"<!-- <!DOCTYPE x> -->" + data
                             if name == "xl/workbook.xml" else data)
    assert sniff(harmless) == "xlsx"


@pytest.mark.parametrize(("encoding", "prefix"), [
    ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-16-le", b""), ("utf-16-be", b"")])
def test_a_dtd_is_found_in_every_encoding_xml_allows(encoding: str, prefix: bytes) -> None:
    text = ('<?xml version="1.0"?>\n<!-- exported -->\n<?pi x?>'
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')

    def declares(data: bytes) -> bool:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("xl/sharedStrings.xml", data)
        with zipfile.ZipFile(buffer) as archive:
            return package.declares_dtd(archive)

    assert declares(prefix + text.encode(encoding))
    # past the first element a "DOCTYPE" is no declaration (and not well-formed XML either)
    assert not declares(prefix + "<x><!DOCTYPE y></x>".encode(encoding))


def _bad_crc(source: Path, dest: Path, member: str) -> Path:
    """`source` with the checksum of `member` wrong in both zip headers (the content intact)."""
    data = bytearray(source.read_bytes())
    info = zipfile.ZipFile(source).getinfo(member)
    wrong = struct.pack("<I", info.CRC ^ 0xDEADBEEF)
    data[info.header_offset + 14: info.header_offset + 18] = wrong
    position = data.find(b"PK\x01\x02")
    while position != -1:
        length = struct.unpack("<H", data[position + 28: position + 30])[0]
        if bytes(data[position + 46: position + 46 + length]) == member.encode():
            data[position + 16: position + 20] = wrong
        position = data.find(b"PK\x01\x02", position + 4)
    dest.write_bytes(bytes(data))
    return dest


@pytest.mark.parametrize("member", ["[Content_Types].xml", "xl/worksheets/sheet1.xml",
                                    "xl/worksheets/sheet2.xml"])
def test_a_checksum_excel_ignores_is_ignored(tmp_path: Path, member: str) -> None:
    source = build_billing_workbook(tmp_path / "plain.xlsx")
    damaged = _bad_crc(source, tmp_path / "crc.xlsx", member)
    with pytest.raises(zipfile.BadZipFile):  # what Python's zipfile (and openpyxl) say
        zipfile.ZipFile(damaged).read(member)
    result = check_file(damaged, load_config(), _date(), out_dir=tmp_path / "out")
    assert result.error is None, result.error
    assert [f.rule for f in result.findings] == ["NMR102", "NMR206", "NMR104"]
    assert any("checksums that do not match" in w for w in result.warnings)
    assert result.output is not None  # the copy is made from the mended package
    copy = openpyxl.load_workbook(result.output)
    assert copy["Billing"]["G7"].comment is not None


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_csv_without_a_byte_order_mark_is_text(tmp_path: Path, codec: str) -> None:
    text = "Acct #,Svc Date,CPT,Units,Tx Min\r\nZQ-48213,03/02/2026,97112,2,10\r\n"
    decoded, encoding = decode(text.encode(codec))
    assert decoded == text
    assert encoding == f"UTF-16 {codec[-2:].upper()} (no byte-order mark)"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(codec))
    result = check_file(path, load_config(), _date(), annotate=False)
    assert result.error is None and [f.rule for f in result.findings] == ["NMR102"]


def test_binary_data_named_csv_is_still_not_text() -> None:
    with pytest.raises(InputError) as caught:
        decode(bytes(range(256)) * 64)
    assert caught.value.code == "unsupported-format"


def test_workers_print_nothing(tmp_path: Path) -> None:
    """A worker's stdout and stderr (Python's and native code's) go to the null device."""
    script = (
        "import os, sys\n"
        "from nmr_xl.workers import WorkerPool\n"
        "def noisy(x):\n"
        "    print('PATIENT ZQ-48213'); print('PATIENT', file=sys.stderr)\n"
        "    os.write(2, b'native noise')\n"
        "    return x\n"
        "if __name__ == '__main__':\n"
        "    with WorkerPool(1) as pool:\n"
        "        print(list(pool.run(noisy, [(1, (7,))])))\n")
    path = tmp_path / "noisy.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.stdout == "[(1, 7)]\n" and done.stderr == ""


def test_a_sheet_part_that_cannot_be_unpacked_is_skipped(tmp_path: Path) -> None:
    """A worksheet whose zip entry is damaged beyond its checksum cannot be bounded, so it is
    not read (the other sheets are)."""
    source = build_billing_workbook(tmp_path / "plain.xlsx")
    data = bytearray(source.read_bytes())
    info = zipfile.ZipFile(source).getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start: start + 8] = b"\xff" * 8  # the deflate stream, spoiled
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    result = check_file(damaged, load_config(), _date(), annotate=False)
    assert result.error is None, result.error
    assert {s.name: s.reason for s in result.skipped}["Notes"].startswith("cannot be read")


def _hang_on(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the check of the input called `name` never end, as a file that sends a reader
    into a loop would (a copy half-written when it is stopped)."""
    real = batch.check_file

    def check(path: Path, *args: object, dest: Path | None = None, **kwargs: object):
        if path.name == name:
            if dest is not None:
                with private_file(dest) as tmp:
                    tmp.write_bytes(b"half a copy, holding patient data")
                    time.sleep(3600)
            time.sleep(3600)
        return real(path, *args, dest=dest, **kwargs)

    monkeypatch.setattr(batch, "check_file", check)


@needs_fork
def test_an_input_that_hangs_is_stopped_and_costs_only_itself(cli, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    inbox = tmp_path / "in"
    for name in ("a", "hang", "c"):
        build_billing_workbook(inbox / f"{name}.xlsx", _rows(name), extras=False)
    _hang_on("hang.xlsx", monkeypatch)
    out, report = tmp_path / "out", tmp_path / "report.json"
    run = cli("check", inbox, "--out", out, "--as-of", AS_OF, "--report", report,
              "--jobs", "2", "--timeout", "0.05")  # three seconds
    assert run.code == 2, run.err
    assert_quiet(run.err)
    files = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    stopped = files["hang.xlsx"]["error"]
    assert stopped["code"] == "timed-out"
    assert stopped["message"].startswith("the check of this file took longer than 3 seconds")
    assert files["a.xlsx"]["disposition"] == files["c.xlsx"]["disposition"] == "checked"
    assert not [p for p in out.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    assert not (out / "hang.checked.xlsx").exists()


def test_web_page_whose_spans_make_a_huge_sheet_is_too_large(tmp_path: Path) -> None:
    """Cells spanning rows push the next rows' cells to the right: 100 KB of `<td colspan=...
    rowspan=...>` made rows millions of cells wide (6 GB, timed out). The range is counted as
    it grows: wider than an Excel sheet, or over MAX_SHEET_CELLS, is `too-large`, early."""
    from nmr_xl.read.html_source import load_html

    cell = "<td colspan=100000 rowspan=1000000>x</td>"
    path = tmp_path / "spans.xls"
    path.write_text("<table>" + ("<tr>" + cell * 60 + "</tr>") * 50 + "</table>",
                    encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_html(path)
    assert raised.value.code == "too-large" and "16,384 columns" in str(raised.value)


def test_web_page_of_more_rows_than_a_sheet_may_span_is_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nmr_xl.read import html_source

    monkeypatch.setattr(html_source, "MAX_SHEET_CELLS", 100)
    path = tmp_path / "rows.xls"
    path.write_text("<table>" + "<tr><td>1</td><td>2</td></tr>" * 50 + "</table>",
                    encoding="utf-8")
    assert len(html_source.load_html(path).rows) == 50  # 100 cells: within
    path.write_text("<table>" + "<tr><td>1</td><td>2</td></tr>" * 51 + "</table>",
                    encoding="utf-8")
    with pytest.raises(InputError) as raised:
        html_source.load_html(path)
    assert raised.value.code == "too-large" and "row 51 and column B" in str(raised.value)


def test_csv_of_more_cells_than_a_sheet_may_span_is_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 50 MB file of commas is 50 million cells (724 MB, read as `empty`): counted as the
    lines are read, against MAX_SHEET_CELLS, as a workbook's sheet. Named .xls too."""
    from nmr_xl.read import csv_source

    monkeypatch.setattr(csv_source, "MAX_SHEET_CELLS", 100)
    path = tmp_path / "export.xls"
    path.write_text("," * 9 + "\n" + "a,b\n" * 9, encoding="utf-8")  # 10 lines x 10 fields
    assert len(csv_source.load_csv(path).rows) == 10
    path.write_text("," * 9 + "\n" + "a,b\n" * 10, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        csv_source.load_csv(path)
    assert raised.value.code == "too-large" and "line 11 and 10 fields" in str(raised.value)


def test_web_page_cell_longer_than_a_csv_field_may_be_is_too_large(tmp_path: Path) -> None:
    """One `<td>` of 100 MB took 85 s and 1 GB downstream; a CSV field is refused over
    csv.field_size_limit(), and so is a web page's cell, as it is read."""
    import csv

    from nmr_xl.read.html_source import load_html

    path = tmp_path / "cell.xls"
    path.write_text("<table><tr><td>" + "a &amp; " * (csv.field_size_limit() // 3)
                    + "</td></tr></table>", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_html(path)
    assert raised.value.code == "too-large" and "131,072 characters" in str(raised.value)
