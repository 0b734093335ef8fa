"""Faults a careless operator or a hostile file still triggered (issue 16, second round): each
gets one plain line, the rest of the batch goes on, no input is ever overwritten, and a run
that is stopped cleans up after itself. Files are generated here, small; nothing is timed."""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import AS_OF, CLEAN_ROWS, ERROR_ROWS, build_billing_workbook

from nmr_xl import batch
from nmr_xl.inputs import STATE_FILE

FORK = sys.platform.startswith("linux")  # workers are forked: the test's patches reach them
needs_fork = pytest.mark.skipif(not FORK, reason="patches reach worker processes only when "
                                                  "they are forked (Linux)")


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err.strip()


# --- --report and --out given the wrong thing ---------------------------------------------------


def test_report_named_like_a_spreadsheet_is_refused_before_any_work(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    before = source.read_bytes()
    run = cli("check", source, "--as-of", AS_OF, "--report", source)
    assert run.code == 2
    assert "--report writes a JSON file; give it a name ending in .json" in one_line(run.err)
    assert source.read_bytes() == before
    assert not list(tmp_path.glob("*.checked.*"))


def test_report_that_is_an_input_is_never_overwritten(cli, tmp_path: Path) -> None:
    """Whatever its name: a workbook saved as .json, or the zip the inputs came in."""
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    disguised = tmp_path / "in" / "other.json"
    disguised.write_bytes(source.read_bytes())
    before = disguised.read_bytes()
    run = cli("check", source, disguised, "--as-of", AS_OF, "--out", tmp_path / "out",
              "--report", disguised)
    assert run.code == 2
    assert "--report names one of the inputs" in one_line(run.err)
    assert disguised.read_bytes() == before


def test_report_over_the_state_file_is_refused(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    out = tmp_path / "out"
    run = cli("check", source, "--as-of", AS_OF, "--out", out, "--report", out / STATE_FILE)
    assert run.code == 2
    assert "--report names nmr-xl's own .nmr-xl-state.json" in one_line(run.err)


def test_report_that_is_a_folder_is_refused_before_any_work(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    run = cli("check", source, "--as-of", AS_OF, "--report", tmp_path)
    assert run.code == 2
    assert "--report must be a file name" in one_line(run.err)
    assert not list(tmp_path.glob("*.checked.*"))


def test_report_dash_is_the_json_report_on_stdout(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    run = cli("check", source, "--as-of", AS_OF, "--report", "-", "--out", tmp_path / "out")
    doc = json.loads(run.out)
    assert doc["files"][0]["status"] == "checked"
    assert not Path("-").exists() and not (tmp_path / "-").exists()


def test_out_that_is_a_file_is_refused_before_any_work(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    before = source.read_bytes()
    run = cli("check", source, "--as-of", AS_OF, "--out", source)
    assert run.code == 2
    assert "--out must be a folder, and this is a file" in one_line(run.err)
    assert source.read_bytes() == before


def test_no_temporary_folder_is_one_line(cli, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")

    def refuse(*_: object, **__: object) -> str:
        raise FileNotFoundError(2, "No usable temporary directory found")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    run = cli("check", source, "--as-of", AS_OF)
    assert run.code == 2
    assert "no temporary folder can be made" in one_line(run.err)


# --- a run that is stopped ----------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_cleans_up_and_remembers_what_it_finished(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    """`kill` (SIGTERM) or Ctrl-C while the second of three inputs is checked: one line, exit
    128 + the signal, no work folder left (it holds extracted attachments and findings), no
    temporary file in --out, the lock released, and the first input in the state file."""
    inbox = tmp_path / "in"
    for name in ("a", "b", "c"):
        rows = [[f"{name}-{i}", *row[1:]] for i, row in enumerate(CLEAN_ROWS + ERROR_ROWS)]
        build_billing_workbook(inbox / f"{name}.xlsx", rows, extras=False)
    real = batch.safe_check

    def check(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "b.xlsx":
            os.kill(os.getppid(), signum)  # the parent: the run being stopped
            signal.pause()  # until the parent stops this worker
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "safe_check", check)
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    out = tmp_path / "out"
    handler_before = signal.getsignal(signal.SIGTERM)
    run = cli("check", inbox, "--out", out, "--as-of", AS_OF, "--jobs", "1")
    assert run.code == 128 + signum
    assert one_line(run.err) in ("nmr-xl: interrupted", "nmr-xl: stopped (SIGTERM)")
    assert list(work.iterdir()) == []
    assert not [p for p in out.rglob(".nmr-xl-tmp-*")]
    state = json.loads((out / STATE_FILE).read_text())["inputs"]
    assert [seen["label"] for seen in state.values()] == [str(inbox / "a.xlsx")]
    assert signal.getsignal(signal.SIGTERM) == handler_before  # main() put it back
    monkeypatch.setattr(batch, "safe_check", real)
    again = cli("check", inbox, "--out", out, "--as-of", AS_OF, "--jobs", "1",
                "--format", "json")  # the lock was released; a is not checked again
    files = {Path(f["input"]).name: f["disposition"] for f in json.loads(again.out)["files"]}
    assert files["a.xlsx"] == "skipped-unchanged"


# --- file names -----------------------------------------------------------------------------------


def _named(folder: Path, name: bytes | str, source: Path) -> Path:
    """A copy of `source` under a name the OS may refuse (then the test is skipped)."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = os.path.join(os.fsencode(folder), os.fsencode(name) if isinstance(name, str) else name)
    try:
        with open(raw, "wb") as handle:
            handle.write(source.read_bytes())
    except (OSError, ValueError) as exc:
        pytest.skip(f"this file system refuses the name ({exc})")
    return Path(os.fsdecode(raw))


def test_a_file_name_that_is_not_utf8_is_checked(cli, tmp_path: Path) -> None:
    """Linux allows any bytes in a name (a file copied from an old Windows share): the file is
    read, its copy, state and batch summary written, the name shown with U+FFFD."""
    if sys.platform in ("darwin", "win32"):
        pytest.skip("macOS and Windows file names are always Unicode")
    source = build_billing_workbook(tmp_path / "src.xlsx", CLEAN_ROWS + ERROR_ROWS,
                                    extras=False)
    _named(tmp_path / "in", b"bad\xff\xfename.xlsx", source)
    out = tmp_path / "out"
    run = cli("check", tmp_path / "in", "--out", out, "--as-of", AS_OF)
    assert run.code == 1, run.err  # its findings
    assert "Traceback" not in run.err and run.err == ""
    assert (out / "bad\ufffd\ufffdname.checked.xlsx").is_file()
    assert (out / STATE_FILE).is_file() and (out / "batch-summary.xlsx").is_file()
    again = cli("check", tmp_path / "in", "--out", out, "--as-of", AS_OF)
    assert "unchanged since the last check" in again.out


def test_a_newline_in_a_file_name_keeps_the_report_one_line_per_file(cli,
                                                                     tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "src.xlsx", CLEAN_ROWS, extras=False)
    _named(tmp_path / "in", "jan\nfeb.xlsx", source)
    out = tmp_path / "out"
    run = cli("check", tmp_path / "in", "--out", out, "--as-of", AS_OF, "-q")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0].startswith("jan feb.xlsx: 2 billing lines")
    assert run.out.splitlines()[0].endswith("jan_feb.checked.xlsx")
    assert (out / "jan_feb.checked.xlsx").is_file()


def test_a_long_file_name_still_gets_its_copy(cli, tmp_path: Path) -> None:
    """250 bytes is a legal name; with ".checked.xlsx" added it would not be: the copy's name
    is cut, and two names that differ only past the cut still get a copy each."""
    source = build_billing_workbook(tmp_path / "src.xlsx", CLEAN_ROWS, extras=False)
    other = build_billing_workbook(tmp_path / "other.xlsx", CLEAN_ROWS[:1], extras=False)
    _named(tmp_path / "in", "B" * 245 + "1.xlsx", source)
    _named(tmp_path / "in", "B" * 245 + "2.xlsx", other)
    out = tmp_path / "out"
    run = cli("check", tmp_path / "in", "--out", out, "--as-of", AS_OF, "--format", "json")
    assert run.code == 0, run.err
    outputs = [Path(f["output"]) for f in json.loads(run.out)["files"]]
    assert len(set(outputs)) == 2
    for copy in outputs:
        assert copy.is_file() and len(os.fsencode(copy.name)) <= 255
        assert copy.name.endswith(".checked.xlsx")


def test_same_name_in_two_folders_is_told_apart_in_the_text_report(cli, tmp_path: Path) -> None:
    build_billing_workbook(tmp_path / "in" / "north" / "jan.xlsx", CLEAN_ROWS, extras=False)
    build_billing_workbook(tmp_path / "in" / "south" / "jan.xlsx", CLEAN_ROWS[:1], extras=False)
    run = cli("check", tmp_path / "in", "--out", tmp_path / "out", "--as-of", AS_OF, "-q")
    lines = [line for line in run.out.splitlines() if "billing line" in line]
    assert lines[0].startswith(str(tmp_path / "in" / "north" / "jan.xlsx") + ":")
    assert lines[1].startswith(str(tmp_path / "in" / "south" / "jan.xlsx") + ":")
    assert lines[1].endswith("jan (2).checked.xlsx")


def test_a_copy_never_overwrites_an_input(cli, tmp_path: Path) -> None:
    """`nmr-xl check out/*.xlsx --out out`: the copies of an earlier run are named as inputs,
    and the new copy of jan.xlsx must not replace the input jan.checked.xlsx."""
    out = tmp_path / "out"
    source = build_billing_workbook(out / "jan.xlsx", CLEAN_ROWS, extras=False)
    earlier = build_billing_workbook(out / "jan.checked.xlsx", CLEAN_ROWS[:1], extras=False)
    before = earlier.read_bytes()
    run = cli("check", source, earlier, "--out", out, "--as-of", AS_OF, "--format", "json")
    assert run.code == 0, run.err
    assert earlier.read_bytes() == before
    outputs = {Path(f["output"]).name for f in json.loads(run.out)["files"]}
    assert outputs == {"jan (2).checked.xlsx", "jan.checked.checked.xlsx"}


# --- files that are not what their names say ------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_named_pipe_is_an_error_not_a_hang(cli, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    build_billing_workbook(inbox / "billing.xlsx", CLEAN_ROWS, extras=False)
    os.mkfifo(inbox / "feed.csv")  # nothing ever writes to it: reading it would wait forever
    run = cli("check", inbox, "--out", tmp_path / "out", "--as-of", AS_OF, "--format", "json")
    assert run.code == 2
    files = {Path(f["input"]).name: f for f in json.loads(run.out)["files"]}
    assert files["billing.xlsx"]["status"] == "checked"
    error = files["feed.csv"]["error"]
    assert error["code"] == "unreadable" and "named pipe" in error["message"]
    columns = cli("columns", inbox / "feed.csv")
    assert columns.code == 2 and "not a file but a named pipe" in columns.out


HTML_EXPORT = ("<html><head><meta charset='utf-8'></head><body><table><tr><td>Patient</td>"
               "<td>DOS</td><td>CPT</td><td>Units</td></tr><tr><td>A1</td><td>03/02/2026</td>"
               "<td>97112</td><td>2</td></tr></table></body></html>")
CSV_EXPORT = "Patient ID,DOS,CPT,Units\nA1,2026-03-02,97112,2\n"


@pytest.mark.parametrize(("name", "content", "code", "words"), [
    ("charges.xls", HTML_EXPORT, None, ""),  # Excel opens it: so does nmr-xl
    ("charges.xlsx", "\ufeff" + HTML_EXPORT, "unsupported-format", "rename it to .xls"),
    ("charges.xls", '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:'
                    'spreadsheet"></Workbook>', "unsupported-format", "Excel 2003 XML"),
    ("charges.xlsx", CSV_EXPORT, "unsupported-format", "rename it to .csv"),
    ("charges.xls", CSV_EXPORT, None, ""),  # Excel opens it: so does nmr-xl
])
def test_an_export_under_a_workbook_name_says_what_it_is(cli, tmp_path: Path, name: str,
                                                         content: str, code: str | None,
                                                         words: str) -> None:
    inbox = tmp_path / "in"
    (inbox / name).parent.mkdir(parents=True)
    (inbox / name).write_text(content, encoding="utf-8")
    build_billing_workbook(inbox / "billing.xlsx", CLEAN_ROWS, extras=False)
    run = cli("check", inbox, "--out", tmp_path / "out", "--as-of", AS_OF, "--format", "json")
    files = {Path(f["input"]).name: f for f in json.loads(run.out)["files"]}
    assert files["billing.xlsx"]["status"] == "checked"
    if code is None:
        assert files[name]["status"] == "checked"
        assert Path(files[name]["output"]).is_file()
    else:
        assert files[name]["error"]["code"] == code
        assert words in files[name]["error"]["message"]
        assert "cannot read .xls files" not in files[name]["error"]["message"]


def test_an_attachment_damaged_in_the_mail_is_corrupt(cli, tmp_path: Path) -> None:
    from email.message import EmailMessage

    source = build_billing_workbook(tmp_path / "src.xlsx", CLEAN_ROWS, extras=False)
    message = EmailMessage()
    message["From"], message["Subject"] = "billing@clinic.example", "March"
    message.set_content("attached")
    message.add_attachment(source.read_bytes(), maintype="application",
                           subtype="octet-stream", filename="march.xlsx")
    raw = bytes(message)
    body = raw.index(b"\n\n", raw.index(b"filename=")) + 2
    damaged = raw[:body] + b"!!!%%%***" + raw[body + 9:]  # characters base64 never uses
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "march.eml").write_bytes(damaged)
    run = cli("check", tmp_path / "in", "--no-annotate", "--as-of", AS_OF, "--format", "json")
    [entry] = json.loads(run.out)["files"]
    assert entry["error"]["code"] == "corrupt"
    assert "damaged in the e-mail" in entry["error"]["message"]


@pytest.mark.parametrize("damage", [
    lambda text: text + b"\x00" * 512,  # padding at the end: a copy cut short
    lambda text: text.replace(b"97112", b"971\x0012", 1),  # one stray NUL in a field
])
def test_a_csv_with_stray_nul_bytes_is_read(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    from nmr_xl.read.csv_source import load_csv

    text = b"Patient ID,DOS,CPT,Units\n" + b"A1,2026-03-02,97112,2\n" * 200
    path = tmp_path / "export.csv"
    path.write_bytes(damage(text))
    data = load_csv(path)
    assert data.encoding == "UTF-8 (NUL bytes dropped)"
    assert data.rows[1] == ["A1", "2026-03-02", "97112", "2"]


def test_a_folder_whose_name_holds_a_newline_is_searched(cli, tmp_path: Path) -> None:
    folder = tmp_path / "north\nside"
    try:
        folder.mkdir()
    except OSError as exc:
        pytest.skip(f"this file system refuses the name ({exc})")
    build_billing_workbook(folder / "jan.xlsx", CLEAN_ROWS, extras=False)
    run = cli("check", folder, "--no-annotate", "--as-of", AS_OF, "--format", "json")
    assert run.code == 0, run.err
    assert [f["status"] for f in json.loads(run.out)["files"]] == ["checked"]


def test_a_stopped_run_leaves_without_finalizer_noise(tmp_path: Path) -> None:
    """The console script: once a stopped run has cleaned up it leaves at once, with what it
    printed flushed and its exit status, and nothing a half-closed writer's finalizer would
    print at interpreter exit."""
    import subprocess

    script = (
        "import sys, nmr_xl.cli as cli\n"
        "class Noisy:\n"
        "    def __del__(self):\n"
        "        sys.stderr.write('Exception ignored in: finalizer\\n')\n"
        "keep = Noisy()\n"
        "def stopped(argv=None):\n"
        "    print('report so far')\n"
        "    print('nmr-xl: stopped (SIGTERM)', file=sys.stderr)\n"
        "    return 143\n"
        "cli.main = stopped\n"
        "from nmr_xl.launch import main\n"
        "sys.exit(main())\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 143
    assert run.stdout == "report so far\n"
    assert run.stderr == "nmr-xl: stopped (SIGTERM)\n"


def test_a_read_only_input_folder_without_out_says_what_to_do(cli, tmp_path: Path) -> None:
    """Copies go beside the inputs by default: in a read-only folder (a share, a CD) each input
    is checked all the same and its warning says --out can take the copies elsewhere."""
    import shutil
    import subprocess

    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("making a read-only folder needs a mount, which needs root (chmod does "
                    "not stop root)")
    source, point = tmp_path / "src", tmp_path / "share"
    build_billing_workbook(source / "billing.xlsx", CLEAN_ROWS + ERROR_ROWS, extras=False)
    point.mkdir()
    done = subprocess.run(["mount", "--bind", str(source), str(point)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(point)], capture_output=True,
                       check=True)
        run = cli("check", point, "--as-of", AS_OF, "--format", "json")
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)
    assert run.code == 2
    [entry] = json.loads(run.out)["files"]
    assert entry["status"] == "checked" and entry["findings"]
    assert entry["warnings"][0].startswith("No annotated copy: cannot write billing.checked.xlsx")
    assert entry["warnings"][0].endswith("--out can name a folder to write the copies to")


def test_a_sheet_named_like_the_summary_in_other_letters_keeps_its_name(cli,
                                                                       tmp_path: Path) -> None:
    """Excel compares sheet names without regard to case: the summary of a copy whose sheet
    is "NMR-XL Summary" (a CSV file of that name) is "nmr-xl summary (2)"."""
    import openpyxl

    source = tmp_path / "NMR-XL Summary.csv"
    source.write_text("Patient ID,DOS,CPT,Units\nA1,2026-03-02,97112,2\n", encoding="utf-8")
    run = cli("check", source, "--as-of", AS_OF, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    book = openpyxl.load_workbook(tmp_path / "out" / "NMR-XL Summary.checked.xlsx")
    assert book.sheetnames == ["nmr-xl summary (2)", "NMR-XL Summary"]


def test_a_file_that_cannot_be_opened_costs_only_itself(cli, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """No read permission (chmod 000, or a file another program holds locked on Windows): the
    OS refuses to open it. Simulated, since root opens any file whatever its mode."""
    from nmr_xl.inbox import driver

    inbox = tmp_path / "in"
    build_billing_workbook(inbox / "a.xlsx", CLEAN_ROWS, extras=False)
    build_billing_workbook(inbox / "locked.xlsx", CLEAN_ROWS[:1], extras=False)
    real = driver.hash_file

    def hash_file(path: Path) -> str:
        if path.name == "locked.xlsx":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(driver, "hash_file", hash_file)
    run = cli("check", inbox, "--out", tmp_path / "out", "--as-of", AS_OF, "--format", "json")
    assert run.code == 2
    files = {Path(f["input"]).name: f for f in json.loads(run.out)["files"]}
    assert files["a.xlsx"]["status"] == "checked"
    assert files["locked.xlsx"]["error"] == {
        "code": "unreadable", "message": "cannot read the file (Permission denied)"}


def test_a_web_page_saved_as_xls_is_read_as_excel_shows_it(tmp_path: Path) -> None:
    from nmr_xl.read.html_source import load_html

    path = tmp_path / "charges.xls"
    path.write_text(
        "<html><head><style>td {mso-number-format:'\\@';}</style>"
        "<script>var s = '<td>no cell</td>';</script></head><body><table>"
        "<tr><td colspan='3'><b>Riverbend Spine &amp; Rehab</b>  Charges</td></tr>"
        "<thead><tr><th>Patient</th><th>CPT</th><th>Units</th></tr></thead>"
        "<tr><td>A1&nbsp;</td><td>97112<br>GP</td><td></td></tr>"
        "<tr><td colspan='99999'>x</td></tr></table><p>not in a table</p></body></html>",
        encoding="utf-8")
    data = load_html(path)
    assert data.rows[:3] == [["Riverbend Spine & Rehab Charges", None, None],
                             ["Patient", "CPT", "Units"], ["A1", "97112\nGP", None]]
    assert len(data.rows[3]) == 256  # an absurd colspan is bounded
    assert data.describe() == "UTF-8" and data.noun == "HTML table" and data.sheet == "charges"


def test_a_web_page_cell_spanning_rows_is_in_every_row_it_covers(tmp_path: Path) -> None:
    """`rowspan`: the patient and date over a visit's lines belong to each line, as a merged
    cell of a workbook does; the later rows' own cells stay in their columns."""
    from nmr_xl.read.html_source import load_html

    path = tmp_path / "charges.xls"
    path.write_text(
        "<table><tr><th>Patient</th><th>Date</th><th>CPT</th><th>Units</th></tr>"
        "<tr><td rowspan=2>Roe, Max</td><td rowspan='2'>03/02/2026</td><td>97112</td>"
        "<td>2</td></tr><tr><td>97110</td><td>1</td></tr>"
        "<tr><td>Lee, Ann</td><td colspan=2 rowspan=2>note</td><td>1</td></tr>"
        "<tr><td>Lee, Ann</td></tr><tr><td>x</td><td>y</td></tr><tr><td rowspan=9>end</td></tr>"
        "</table><table><tr><td>a</td></tr></table>",
        encoding="utf-8")
    assert load_html(path).rows == [
        ["Patient", "Date", "CPT", "Units"],
        ["Roe, Max", "03/02/2026", "97112", "2"], ["Roe, Max", "03/02/2026", "97110", "1"],
        ["Lee, Ann", "note", None, "1"], ["Lee, Ann", "note", None], ["x", "y"],
        ["end"], ["a"]]  # a span ends with its table


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_report_into_a_named_pipe_is_written_into_it_not_over_it(cli, tmp_path: Path) -> None:
    """`--report /dev/stdout`, `--report /dev/null`, a pipe another program reads: the report
    goes into it; replacing it with a file (as root: /dev/null itself) would be a disaster."""
    import stat
    import threading

    source = build_billing_workbook(tmp_path / "billing.xlsx")
    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    run = cli("check", source, "--as-of", AS_OF, "--no-annotate", "--report", pipe)
    reader.join(timeout=60)
    assert run.code in (0, 1), run.err
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert json.loads(received[0])["files"][0]["status"] == "checked"


def test_jobs_past_what_windows_can_wait_on_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs 64` on Windows: waiting on 128 handles would fail with a ValueError."""
    from nmr_xl import workers

    monkeypatch.setattr(workers.sys, "platform", "win32")
    assert workers.WorkerPool[int](64).jobs == workers.MAX_WINDOWS_JOBS
    assert workers.WorkerPool[int](4).jobs == 4


def test_a_signal_ignored_when_the_run_starts_stays_ignored(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`nohup nmr-xl check ...`: the hangup the terminal sends when it closes must not stop
    the run."""
    from nmr_xl import cli as cli_module

    if not hasattr(signal, "SIGHUP"):
        pytest.skip("no SIGHUP on this OS")
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    seen: list[object] = []
    real = cli_module._check

    def check(args: object) -> int:
        seen.append(signal.getsignal(signal.SIGHUP))
        return real(args)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_module, "_check", check)
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        run = cli("check", source, "--as-of", AS_OF, "--no-annotate")
    finally:
        signal.signal(signal.SIGHUP, before)
    assert run.code in (0, 1)
    assert seen == [signal.SIG_IGN]


def test_a_name_the_terminal_cannot_encode_is_printed_escaped(tmp_path: Path) -> None:
    """A UTF-8 terminal (LANG=en_US.UTF-8: Python's stdout is strict) and a file name that is
    not UTF-8: printed escaped, never a UnicodeEncodeError traceback."""
    import subprocess

    if sys.platform in ("darwin", "win32"):
        pytest.skip("macOS and Windows file names are always Unicode")
    source = build_billing_workbook(tmp_path / "src.xlsx", CLEAN_ROWS, extras=False)
    path = _named(tmp_path / "in", b"caf\xe9.xlsx", source)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, "-m", "nmr_xl.cli", "columns", str(path)],
                         capture_output=True, text=True, timeout=120, env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("caf\\udce9.xlsx, sheet ")


def test_an_earlier_runs_out_folder_given_as_input_says_so(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    out = tmp_path / "out"
    cli("check", source, tmp_path / "in", "--out", out, "--as-of", AS_OF)
    assert (out / "billing.checked.xlsx").is_file()
    run = cli("check", out, "--out", tmp_path / "again", "--as-of", AS_OF)
    assert run.code == 2
    assert "holds only nmr-xl's own output" in one_line(run.err)


def test_a_csv_of_mixed_encodings_keeps_both_kinds_of_accents() -> None:
    """Two exports joined (one UTF-8, one Windows-1252): each name reads as typed, instead of
    every UTF-8 accent turning into two characters ("JosÃ©")."""
    from nmr_xl.read.csv_source import decode

    text, encoding = decode(b"Patient,Name\nA1,Jos\xc3\xa9\nA2,Fran\xe7ois\n")
    assert text == "Patient,Name\nA1,Jos\u00e9\nA2,Fran\u00e7ois\n"
    assert encoding == "UTF-8 with some Windows-1252"
    assert decode(b"Patient,Name\nA2,Fran\xe7ois\n")[1] == "Windows-1252"  # no UTF-8 in it


def test_a_csv_with_one_huge_line_is_one_plain_line(cli, tmp_path: Path) -> None:
    """A 5 MB line (a quote never closed, or a whole export on one line): one plain sentence,
    no Python wording, and the rest of the batch is checked."""
    (tmp_path / "in").mkdir()
    huge = tmp_path / "in" / "huge.csv"
    huge.write_text('Patient ID,DOS,CPT,Units\nA1,2026-03-02,97112,"' + "x" * 5_000_000 + "\n",
                    encoding="utf-8")
    build_billing_workbook(tmp_path / "in" / "billing.xlsx", CLEAN_ROWS, extras=False)
    run = cli("check", tmp_path / "in", "--no-annotate", "--as-of", AS_OF, "--format", "json")
    files = {Path(f["input"]).name: f for f in json.loads(run.out)["files"]}
    assert files["billing.xlsx"]["status"] == "checked"
    error = files["huge.csv"]["error"]
    assert error["code"] == "corrupt"
    assert error["message"] == ("the CSV file cannot be read at line 2: a field runs on for more "
                                "than 131,072 characters (a quoted field is never closed?)")


def test_an_input_named_like_the_batch_summary_is_never_overwritten(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    named = build_billing_workbook(out / "batch-summary.xlsx", CLEAN_ROWS, extras=False)
    other = build_billing_workbook(tmp_path / "in" / "feb.xlsx", CLEAN_ROWS[:1], extras=False)
    before = named.read_bytes()
    run = cli("check", named, other, "--out", out, "--as-of", AS_OF)
    assert run.code == 2
    assert "the batch summary was not written: that file is one of the inputs" in one_line(
        run.err)
    assert named.read_bytes() == before
    assert (out / "batch-summary.checked.xlsx").is_file() and (out / "feb.checked.xlsx").is_file()
