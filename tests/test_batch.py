"""Batch runs end to end (nmr_xl.batch, the batch summary, the state file): a billing service's
inbox of saved e-mails checked as a new user would, re-runs that skip what is unchanged, parallel
workers, output names that never collide, and what the billing manager reads in
batch-summary.xlsx.

Small workbooks throughout: the whole file runs in seconds.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from conftest import (
    AS_OF,
    CLEAN_ROWS,
    DEFAULT_ROWS,
    ERROR_ROWS,
    INFO_ROWS,
    PATIENT_IDS,
    PATIENT_NAMES,
    WARNING_ROWS,
    CliRun,
    build_billing_workbook,
)
from test_inbox import build_msg

from nmr_xl import batch
from nmr_xl.batch import STATE_SCHEMA, BatchOptions, run_batch
from nmr_xl.batch_totals import batch_totals
from nmr_xl.config.load import load_config
from nmr_xl.inbox import collect
from nmr_xl.inputs import LABEL_SEP, STATE_FILE, SUMMARY_FILE, Disposition
from nmr_xl.model import Finding
from nmr_xl.outdir import LOCK_FILE
from nmr_xl.report import write_report_json
from nmr_xl.write import batch_summary

S = LABEL_SEP
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EST = dt.timezone(dt.timedelta(hours=-5))
EVIL_SUBJECT = '=HYPERLINK("http://evil.example/x","Click for invoice")'
Cli = Callable[..., CliRun]


# --- building an inbox ---------------------------------------------------------------------------


def _rows(base: list[list[object]], payer: str, provider: str) -> list[list[object]]:
    """The fixture rows billed to another payer by another provider (the practice's view)."""
    return [[*row[:7], payer, provider, *row[9:]] for row in base]


def workbook(tmp: Path, name: str, rows: list[list[object]]) -> bytes:
    return build_billing_workbook(tmp / name, rows, extras=False).read_bytes()


def encrypted(tmp: Path) -> bytes:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml",
                                reason="msoffcrypto-tool is needed to build an encrypted workbook")
    plain = build_billing_workbook(tmp / "plain.xlsx", CLEAN_ROWS, extras=False)
    out = io.BytesIO()
    with plain.open("rb") as source:
        ooxml.OOXMLFile(source).encrypt("s3cret", out)
    return out.getvalue()


def no_billing_table(tmp: Path) -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "Staff schedule"
    book.active["A2"] = "Monday"
    book.save(tmp / "schedule.xlsx")
    return (tmp / "schedule.xlsx").read_bytes()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _mime(name: str) -> tuple[str, str]:
    ext = name.rsplit(".", 1)[-1].lower()
    return {"xlsx": ("application", XLSX_TYPE.split("/")[1]), "csv": ("text", "csv"),
            "zip": ("application", "zip"), "pdf": ("application", "pdf"),
            "xls": ("application", "vnd.ms-excel")}.get(ext, ("application", "octet-stream"))


def eml(sender: str, subject: str, sent: dt.datetime, attachments: list[tuple[str, bytes]]
        ) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "billing@service.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(sent)
    message.set_content("Hi, this week's charges are attached.\n")
    for name, data in attachments:
        maintype, subtype = _mime(name)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def day(n: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, n, hour, 15, tzinfo=EST)


# (label under the inbox, disposition, error code, folder of its copy under --out, copy name)
INBOX = [
    (f"01 sunrise.eml{S}Sunrise week 1.xlsx", "checked", None,
     "2026-03-02 March billing - Sunrise", "Sunrise week 1.checked.xlsx"),
    (f"01 sunrise.eml{S}Sunrise week 2.xlsx", "checked", None,
     "2026-03-02 March billing - Sunrise", "Sunrise week 2.checked.xlsx"),
    (f"02 oakridge.eml{S}billing.xlsx", "checked", None,
     "2026-03-03 Charges for review", "billing.checked.xlsx"),
    (f"04 lakeside.eml{S}charges.xlsx", "error", "encrypted", None, None),
    (f"05 old town.eml{S}charges.xls", "error", "unsupported-format", None, None),
    (f"06 riverbend.eml{S}export.csv", "checked", None,
     "2026-03-05 CSV export March", "export.checked.xlsx"),
    (f"07 valley.eml{S}march.zip{S}clinic-a/billing.xlsx", "checked", None,
     "2026-03-06 Both clinics", "billing.checked.xlsx"),
    (f"07 valley.eml{S}march.zip{S}clinic-b/billing.xlsx", "checked", None,
     "2026-03-06 Both clinics", "billing (2).checked.xlsx"),
    ("08 eob.eml", "error", "no-spreadsheet", None, None),  # only a PDF: nothing to check
    (f"09 mallory.eml{S}invoice.xlsx", "checked", None,
     "2026-03-07 =HYPERLINK( http evil.example x , Click for invoi", "invoice.checked.xlsx"),
    (f"10 oakridge again.eml{S}billing.xlsx", "checked", None,
     "2026-03-03 Charges for review (2)", "billing.checked.xlsx"),
    (f"10 oakridge again.eml{S}schedule.xlsx", "no-billing-table", "no-billing-table", None,
     None),
    (f"11 lopez.msg{S}Lopez week 10.xlsx", "checked", None,
     "2026-03-08 Lopez Physio week 10", "Lopez week 10.checked.xlsx"),
    (f"12 lopez.msg{S}Lopez week 11.xlsx", "checked", None,
     "2026-03-15 Lopez Physio week 11", "Lopez week 11.checked.xlsx"),
]
# the same attachment arriving twice: checked once, both places listed
DUPLICATES = {f"01 sunrise.eml{S}Sunrise week 1.xlsx": f"03 sunrise fwd.eml{S}Sunrise week 1.xlsx",
              f"01 sunrise.eml{S}Sunrise week 2.xlsx": f"12 lopez.msg{S}billing.xlsx"}
RECEIVED = len(INBOX) + len(DUPLICATES)  # what the headlines count
FINDINGS_BY_PRACTICE = {"sunrisechiro.example": 5, "riverbend.example": 4,
                        "oakridgept.example": 3, "valleyspine.example": 3, "evil.example": 1,
                        "practice.example": 2, "lakesiderehab.example": 0,
                        "oldtownchiro@gmail.com": 0}


def build_inbox(root: Path, tmp: Path) -> Path:
    """A dozen saved e-mails from several practices, as a billing service's inbox holds them."""
    tmp.mkdir(parents=True, exist_ok=True)
    week1 = workbook(tmp, "w1.xlsx", DEFAULT_ROWS)
    week2 = workbook(tmp, "w2.xlsx", _rows(ERROR_ROWS + INFO_ROWS, "Medicare", "Dr Chen"))
    csv = ("\ufeffPatient ID;DOS;CPT;Mod;Minutes;Units;Payer;Provider\r\n"
           "RB-1;03/02/2026;97112;;10;2;Medicare;Dr Fox\r\n"
           "RB-1;03/02/2026;97110;;23;1;Medicare;Dr Fox\r\n"
           "RB-2;03/03/2026;97112;;40;1;Tricare;Dr Fox\r\n").encode()
    mails = {
        "01 sunrise.eml": eml("Sunrise Front Desk <frontdesk@sunrisechiro.example>",
                              "March billing - Sunrise", day(2),
                              [("Sunrise week 1.xlsx", week1), ("Sunrise week 2.xlsx", week2)]),
        "02 oakridge.eml": eml("Oakridge PT <office@oakridgept.example>", "Charges for review",
                               day(3), [("billing.xlsx", workbook(tmp, "oak.xlsx", _rows(
                                   ERROR_ROWS + WARNING_ROWS, "BCBS", "Dr Patel")))]),
        "03 sunrise fwd.eml": eml("Dr. Amy Chen <achen@sunrisechiro.example>",
                                  "Fwd: March billing - Sunrise", day(4),
                                  [("Sunrise week 1.xlsx", week1)]),
        "04 lakeside.eml": eml("Lakeside Rehab <admin@lakesiderehab.example>",
                               "Protected charges", day(4), [("charges.xlsx", encrypted(tmp))]),
        "05 old town.eml": eml("Old Town Chiropractic <oldtownchiro@gmail.com>", "charges",
                               day(5), [("charges.xls", OLE_MAGIC + bytes(16)
                                         + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(480))]),
        "06 riverbend.eml": eml("Riverbend Rehab <billing@riverbend.example>",
                                "CSV export March", day(5), [("export.csv", csv)]),
        "07 valley.eml": eml("Valley Spine <ops@valleyspine.example>", "Both clinics", day(6),
                             [("march.zip", zipped({
                                 "clinic-a/billing.xlsx": workbook(tmp, "va.xlsx", _rows(
                                     ERROR_ROWS, "Cigna", "Dr Ruiz")),
                                 "clinic-b/billing.xlsx": workbook(tmp, "vb.xlsx", _rows(
                                     WARNING_ROWS + INFO_ROWS, "Cigna", "Dr Okafor"))}))]),
        "08 eob.eml": eml("Oakridge PT <office@oakridgept.example>", "EOB for February", day(6),
                          [("eob.pdf", b"%PDF-1.4\n%not a spreadsheet\n")]),
        "09 mallory.eml": eml("Mallory <mallory@evil.example>", EVIL_SUBJECT, day(7),
                              [("invoice.xlsx", workbook(tmp, "hy.xlsx", _rows(
                                  ERROR_ROWS, "Aetna", "Dr Kim")))]),
        # same subject, same day as 02: its own folder
        "10 oakridge again.eml": eml("Oakridge PT <office@oakridgept.example>",
                                     "Charges for review", day(3, 16),
                                     [("billing.xlsx", workbook(tmp, "oak2.xlsx", _rows(
                                         CLEAN_ROWS + ERROR_ROWS, "United", "Dr Patel"))),
                                      ("schedule.xlsx", no_billing_table(tmp))]),
    }
    for name, data in mails.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    utc = dt.UTC
    (root / "11 lopez.msg").write_bytes(build_msg("Lopez Physio: week 10", [
        ("Lopez week 10.xlsx", workbook(tmp, "l10.xlsx", _rows(ERROR_ROWS + CLEAN_ROWS, "Humana",
                                                                "Dr Lopez"))),
        ("logo.png", b"\x89PNG\r\n")], sent=dt.datetime(2026, 3, 8, 14, 0, tzinfo=utc)))
    (root / "12 lopez.msg").write_bytes(build_msg("Lopez Physio: week 11", [
        ("Lopez week 11.xlsx", workbook(tmp, "l11.xlsx", _rows(WARNING_ROWS, "Medicare",
                                                                "Dr Lopez"))),
        ("billing.xlsx", week2)], sent=dt.datetime(2026, 3, 15, 14, 0, tzinfo=utc)))
    return root


def run(cli: Cli, *args: object) -> tuple[CliRun, dict]:
    """`nmr-xl check ARGS --as-of AS_OF` with a JSON report; (the run, the report)."""
    report = Path(str(args[args.index("--out") + 1]) + ".report.json")
    result = cli("check", *args, "--as-of", AS_OF, "--report", report)
    assert "Traceback" not in result.out + result.err
    return result, json.loads(report.read_text(encoding="utf-8"))


def by_input(doc: dict, root: Path) -> dict[str, dict]:
    return {f["input"].removeprefix(f"{root}/"): f for f in doc["files"]}


def mtimes(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in out.rglob("*.checked.xlsx")}


def age(out: Path) -> None:
    """Date every copy back a day, so a rewrite shows in its mtime whatever the clock's grain."""
    for path in out.rglob("*.checked.xlsx"):
        stamp = path.stat().st_mtime - 86_400
        os.utime(path, (stamp, stamp))


@pytest.fixture(scope="module")
def inbox_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, CliRun, dict]:
    """The inbox checked once into its own --out: (inbox, out, run, JSON report)."""
    from nmr_xl.cli import main

    base = tmp_path_factory.mktemp("batch")
    inbox = build_inbox(base / "inbox", base / "build")
    out = base / "out"
    report = base / "report.json"
    capture = _Capture()
    with capture:
        code = main(["check", str(inbox), "--out", str(out), "--as-of", AS_OF,
                     "--report", str(report), "--jobs", "1"])
    return inbox, out, CliRun(code, capture.out, capture.err), json.loads(
        report.read_text(encoding="utf-8"))


class _Capture:
    """stdout and stderr of an in-process run (capsys is function-scoped)."""

    def __enter__(self) -> None:
        import contextlib

        self._out, self._err = io.StringIO(), io.StringIO()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(self._out))
        self._stack.enter_context(contextlib.redirect_stderr(self._err))

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.out, self.err = self._out.getvalue(), self._err.getvalue()


# --- the inbox, as a new user runs it --------------------------------------------------------


def test_every_input_gets_a_disposition(inbox_run):
    inbox, out, result, doc = inbox_run
    # the encrypted workbook, the .xls and the PDF-only message could not be checked
    assert result.code == 2
    files = by_input(doc, inbox)
    assert list(files) == [label for label, *_ in INBOX]
    for label, disposition, code, folder, name in INBOX:
        f = files[label]
        assert f["disposition"] == disposition, label
        assert (f["error"] or {}).get("code") == code, label
        if folder is None:
            assert f["output"] is None
        else:
            assert f["output"] == str(out / folder / name), label
            assert (out / folder / name).is_file()
    # a message holding only a PDF has nothing to check, and says so (by kind, not name)
    assert files["08 eob.eml"]["error"]["message"] == (
        "the e-mail has no spreadsheet attachment, only one attachment (.pdf): nothing to "
        "check (was the billing workbook left off?)")
    assert files["08 eob.eml"]["email"]["subject"] == "EOB for February"
    assert files["08 eob.eml"]["sources"] == [f"{inbox}/08 eob.eml"]
    # every copy under --out is a checked input's; nothing else was written there
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == {f"{folder}/{name}" for _, _, _, folder, name in INBOX if folder} | {
        SUMMARY_FILE, STATE_FILE, LOCK_FILE}


def test_duplicate_attachment_checked_once_with_both_sources(inbox_run):
    inbox, _, result, doc = inbox_run
    files = by_input(doc, inbox)
    for first, again in DUPLICATES.items():
        assert files[first]["sources"] == [f"{inbox}/{first}", f"{inbox}/{again}"]
        assert again not in files
        assert f"  also received as {inbox}/{again} (same content, checked once)" in (
            result.out.splitlines())
    clinic = files[f"07 valley.eml{S}march.zip{S}clinic-a/billing.xlsx"]
    assert clinic["sources"] == [clinic["input"]]


def test_json_report_carries_disposition_sources_and_email(inbox_run):
    inbox, _, _, doc = inbox_run
    files = by_input(doc, inbox)
    week1 = files[f"01 sunrise.eml{S}Sunrise week 1.xlsx"]
    assert week1["email"] == {"sender": "Sunrise Front Desk <frontdesk@sunrisechiro.example>",
                              "subject": "March billing - Sunrise",
                              "date": "2026-03-02T09:15:00-05:00"}
    assert [(f["rule"], f["cell"]) for f in week1["findings"]] == [
        ("NMR102", "G7"), ("NMR206", "L9"), ("NMR104", "G10")]
    assert files[f"09 mallory.eml{S}invoice.xlsx"]["email"]["subject"] == EVIL_SUBJECT
    msg = files[f"11 lopez.msg{S}Lopez week 10.xlsx"]["email"]
    assert msg["subject"] == "Lopez Physio: week 10" and msg["date"].startswith("2026-03-08")
    locked = files[f"04 lakeside.eml{S}charges.xlsx"]
    assert locked["status"] == "error" and locked["email"]["sender"].startswith("Lakeside")
    assert doc["totals"]["files"] == len(INBOX)
    assert doc["totals"]["findings"] == sum(FINDINGS_BY_PRACTICE.values())


def test_text_output_ends_with_what_could_not_be_checked(inbox_run):
    inbox, out, result, _ = inbox_run
    assert result.err == ""  # not a terminal: no progress bar, nothing on stderr
    lines = result.out.splitlines()
    footer = lines[lines.index("") + 1:]
    # every input that arrived, the duplicates too: the parts add up to it
    assert footer[0] == (f"{RECEIVED} inputs: 10 checked, 1 without a billing table, "
                         "3 could not be checked, 2 duplicates checked once")
    assert footer[1] == "18 findings (10 errors, 4 warnings, 4 info) in 30 billing lines"
    assert footer[2] == "Not checked:"
    assert footer[3].startswith(f"  {inbox}/04 lakeside.eml{S}charges.xlsx: encrypted: ")
    assert footer[4].startswith(f"  {inbox}/05 old town.eml{S}charges.xls: unsupported-format: ")
    assert footer[5].startswith(f"  {inbox}/08 eob.eml: no-spreadsheet: the e-mail has no ")
    assert footer[6].startswith(f"  {inbox}/10 oakridge again.eml{S}schedule.xlsx: "
                                "no-billing-table: ")
    assert footer[-1] == f"Batch summary: {out / SUMMARY_FILE}"
    # rules that could not run are listed once for the batch, not once per file
    assert "  NMR209: no functional goal column (10 files)" in footer
    assert not any(": not run: " in line for line in lines)
    # a zip's two billing.xlsx stay apart in the per-file lines
    assert any(line.startswith(f"07 valley.eml{S}march.zip{S}clinic-b/billing.xlsx: 2 billing")
               for line in lines)


# --- batch-summary.xlsx ----------------------------------------------------------------------


def _table_rows(ws) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_summary_inputs_sheet(inbox_run):
    inbox, out, _, _ = inbox_run
    book = openpyxl.load_workbook(out / SUMMARY_FILE)
    assert book.sheetnames == ["Totals", "Inputs", "Findings"]
    ws = book["Inputs"]
    assert list(ws.tables) == ["nmr_xl_inputs"]
    assert ws.tables["nmr_xl_inputs"].ref == f"A1:N{len(INBOX) + 1}"
    rows = {str(r["Input"]).removeprefix(f"{inbox}/"): r for r in _table_rows(ws)}
    assert list(rows) == [label for label, *_ in INBOX]
    week1 = rows[f"01 sunrise.eml{S}Sunrise week 1.xlsx"]
    assert week1["From"] == "Sunrise Front Desk <frontdesk@sunrisechiro.example>"
    assert week1["Subject"] == "March billing - Sunrise"
    assert week1["Sent"] == dt.datetime(2026, 3, 2, 9, 15)  # the sender's time, a real date
    assert week1["Also received as"] == f"{inbox}/03 sunrise fwd.eml{S}Sunrise week 1.xlsx"
    assert (week1["Disposition"], week1["Billing lines"], week1["Errors"], week1["Warnings"],
            week1["Info"]) == ("checked", 6, 1, 1, 1)
    assert week1["Top rules"] == "NMR102 (1), NMR104 (1), NMR206 (1)"
    locked = rows[f"04 lakeside.eml{S}charges.xlsx"]
    assert (locked["Disposition"], locked["Reason"]) == ("error", "encrypted")
    assert "password" in str(locked["Note"]) and locked["Annotated copy"] is None
    assert locked["Errors"] is None  # not checked: no numbers, rather than zeros
    schedule = rows[f"10 oakridge again.eml{S}schedule.xlsx"]
    assert (schedule["Disposition"], schedule["Reason"]) == ("no-billing-table",
                                                             "no-billing-table")
    # every annotated copy is a working link, relative to the summary
    for row_index, (_, _, _, folder, name) in enumerate(INBOX, start=2):
        cell = ws.cell(row=row_index, column=14)
        if folder is None:
            assert cell.hyperlink is None
            continue
        assert cell.value == name
        assert (out / unquote(cell.hyperlink.target)).resolve() == (out / folder / name)
        assert cell.hyperlink.location is None


def test_summary_findings_sheet_links_each_flagged_cell(inbox_run):
    _, out, _, doc = inbox_run
    ws = openpyxl.load_workbook(out / SUMMARY_FILE)["Findings"]
    assert list(ws.tables) == ["nmr_xl_batch_findings"]
    rows = _table_rows(ws)
    expected = [(f["input"], f2["rule"], f2["cell"], f2["severity"])
                for f in doc["files"] for f2 in f["findings"]]
    assert [(r["Input"], r["Rule"], r["Cell"], r["Severity"]) for r in rows] == expected
    assert {r["Practice"] for r in rows} == {p for p, n in FINDINGS_BY_PRACTICE.items() if n}
    first = ws["B2"]  # Sunrise week 1, NMR102 on G7
    assert (out / unquote(first.hyperlink.target)).is_file()
    assert first.hyperlink.location == "'Billing'!G7"


def test_summary_totals_sheet_and_chart(inbox_run):
    _, out, _, _ = inbox_run
    ws = openpyxl.load_workbook(out / SUMMARY_FILE)["Totals"]
    column_a = [c.value for c in ws["A"]]
    assert column_a[0] == "nmr-xl batch summary"
    assert f"Checked as of {AS_OF}" in ws["A2"].value
    assert ws["A4"].value == (f"{RECEIVED} inputs: 10 checked, 1 without a billing table, "
                              "3 could not be checked, 2 duplicates checked once")
    assert ws["A5"].value == "18 findings (10 errors, 4 warnings, 4 info) in 30 billing lines"

    def section(title: str) -> list[tuple[object, ...]]:
        start = column_a.index(title) + 2  # below its header row (1-based rows)
        rows = []
        for values in ws.iter_rows(min_row=start + 1, values_only=True):
            if values[0] is None:
                break
            rows.append(values)
        return rows

    not_checked = section("Could not be checked")
    assert [(Path(str(r[0]).split(S)[-1].split("\n")[0]).name, r[1]) for r in not_checked] == [
        ("charges.xlsx", "encrypted"), ("charges.xls", "unsupported-format"),
        ("08 eob.eml", "no-spreadsheet"), ("schedule.xlsx", "no-billing-table")]
    assert "(from Lakeside Rehab)" in str(not_checked[0][0])
    practices = {r[0]: r for r in section(
        "By practice (sender's mail domain; files not e-mailed, by folder)")}
    assert {p: r[9] for p, r in practices.items()} == FINDINGS_BY_PRACTICE
    # two senders of one practice are one practice; the forward was a duplicate
    assert practices["sunrisechiro.example"][1] == "Sunrise Front Desk"
    assert practices["oakridgept.example"][2:5] == (4, 2, 2)  # inputs, checked, not checked
    assert dict((r[0], r[1]) for r in section("By payer"))["Medicare"] == 6
    assert dict((r[0], r[1]) for r in section("By rendering provider"))["Dr Fox"] == 4
    assert section("By rule")[0] == ("NMR102", "units-exceed-time", 8, *([None] * 7))
    with zipfile.ZipFile(out / SUMMARY_FILE) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        xml = package.read(charts[0]).decode()
        assert "Findings by practice" in xml and "'Totals'!$G$" in xml


def test_summary_never_holds_a_formula(inbox_run):
    """The "=HYPERLINK(...)" subject and everything else from an e-mail or sheet stays text."""
    _, out, _, _ = inbox_run
    book = openpyxl.load_workbook(out / SUMMARY_FILE)
    seen = False
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}"
                if cell.value == EVIL_SUBJECT:
                    seen = True
                    assert cell.data_type == "s"
    assert seen
    with zipfile.ZipFile(out / SUMMARY_FILE) as package:
        assert not any(b"<f>" in package.read(name) for name in package.namelist()
                       if name.startswith("xl/worksheets/"))


def test_state_file_is_json_without_patient_data(inbox_run):
    _, out, _, _ = inbox_run
    text = (out / STATE_FILE).read_text(encoding="utf-8")
    state = json.loads(text)
    assert state["schema"] == STATE_SCHEMA
    entries = state["inputs"]
    assert len(entries) == 11  # checked and no-billing-table; errors are tried again each run
    for sha, entry in entries.items():
        assert len(sha) == 64
        assert entry["as_of"] == AS_OF
        if entry["output"] is not None:  # relative to --out: a run from elsewhere finds it
            assert not Path(entry["output"]).is_absolute()
            assert (out / entry["output"]).is_file()
    for value in PATIENT_IDS + PATIENT_NAMES + ("RB-1", "RB-2", "strengthening"):
        assert value not in text


# --- re-runs -----------------------------------------------------------------------------------


def test_second_run_skips_everything_unchanged(inbox_run, cli, tmp_path):
    inbox, first_out, _, _ = inbox_run
    out = tmp_path / "out"
    shutil.copytree(first_out, out)  # the state keeps paths relative to --out
    age(out)
    before = mtimes(out)

    again, doc = run(cli, inbox, "--out", out)

    assert again.code == 2  # the encrypted workbook, the .xls and the PDF-only message
    files = by_input(doc, inbox)
    for label, disposition, code, folder, name in INBOX:
        f = files[label]
        if disposition == "error":
            assert f["error"]["code"] == code
            continue
        assert f["disposition"] == "skipped-unchanged" and f["status"] == "skipped", label
        assert f["findings"] == []
        assert f["output"] == (str(out / folder / name) if folder else None)
    assert mtimes(out) == before  # no copy rewritten
    assert f"{inbox}/10 oakridge again.eml{S}schedule.xlsx: unchanged since the last check " \
           "with these rules; no sheet had a billing table when it was last checked; skipped" \
           in again.out
    assert f"{RECEIVED} inputs: 11 skipped (unchanged since the last run), 3 could not be " \
           "checked, 2 duplicates checked once" in again.out.splitlines()
    # the summary still shows the whole inbox, with the numbers of the last check
    book = openpyxl.load_workbook(out / SUMMARY_FILE)
    totals = book["Totals"]
    assert totals["A4"].value == (f"{RECEIVED} inputs: 10 checked (10 of them in an earlier "
                                  "run), 1 without a billing table, 3 could not be checked, "
                                  "2 duplicates checked once")
    assert totals["A5"].value == "18 findings (10 errors, 4 warnings, 4 info) in 30 billing lines"
    inputs = {str(r["Input"]).removeprefix(f"{inbox}/"): r for r in _table_rows(book["Inputs"])}
    week1 = inputs[f"01 sunrise.eml{S}Sunrise week 1.xlsx"]
    assert (week1["Disposition"], week1["Errors"], week1["Warnings"], week1["Info"]) == (
        "skipped-unchanged", 1, 1, 1)
    assert week1["Top rules"] == "NMR102 (1), NMR104 (1), NMR206 (1)"
    assert book["Inputs"].cell(row=2, column=14).hyperlink is not None
    assert book["Findings"]["A2"].value.startswith("No findings in the inputs checked in this run")


def small_inbox(root: Path) -> Path:
    build_billing_workbook(root / "a" / "billing.xlsx", DEFAULT_ROWS, extras=False)
    build_billing_workbook(root / "b" / "billing.xlsx", _rows(ERROR_ROWS, "Cigna", "Dr Ruiz"),
                           extras=False)
    build_billing_workbook(root / "b" / "JAN.xlsx", _rows(WARNING_ROWS, "BCBS", "Dr X"),
                           extras=False)
    build_billing_workbook(root / "c" / "jan.xlsx", _rows(INFO_ROWS, "BCBS", "Dr Y"),
                           extras=False)
    return root


def dispositions(doc: dict) -> list[str]:
    return [f["disposition"] for f in doc["files"]]


@pytest.mark.parametrize("change", ["--force", "--as-of", "--rules"])
def test_rules_date_or_force_check_again(cli, tmp_path, change):
    inbox = small_inbox(tmp_path / "in")
    out = tmp_path / "out"
    first, doc = run(cli, inbox, "--out", out)
    assert first.code == 1 and dispositions(doc) == ["checked"] * 4
    age(out)
    before = mtimes(out)
    extra: list[object] = []
    if change == "--force":
        extra = ["--force"]
    elif change == "--rules":
        rules = tmp_path / "rules.toml"
        rules.write_text('[rules]\nNMR104 = "off"\n', encoding="utf-8")
        extra = ["--rules", rules]
    if change == "--as-of":
        result = cli("check", inbox, "--out", out, "--as-of", "2026-07-31", "--format", "json")
        again = json.loads(result.out)
    else:
        _, again = run(cli, inbox, "--out", out, *extra)
    assert dispositions(again) == ["checked"] * 4
    after = mtimes(out)
    assert set(after) == set(before)  # the same copies, under the same names ...
    assert all(after[p] > before[p] for p in before)  # ... written again
    if change == "--rules":
        assert "NMR104" not in {f["rule"] for f in again["files"][3]["findings"]}
    # and once more without the change: unchanged now
    if change != "--as-of":
        _, third = run(cli, inbox, "--out", out, *[e for e in extra if e != "--force"])
        assert dispositions(third) == ["skipped-unchanged"] * 4


def test_deleted_copy_is_written_again(cli, tmp_path):
    inbox = small_inbox(tmp_path / "in")
    out = tmp_path / "out"
    _, doc = run(cli, inbox, "--out", out)
    gone = Path(doc["files"][1]["output"])
    gone.unlink()
    age(out)
    before = mtimes(out)
    _, again = run(cli, inbox, "--out", out)
    assert dispositions(again) == ["skipped-unchanged", "checked", "skipped-unchanged",
                                   "skipped-unchanged"]
    assert again["files"][1]["output"] == str(gone) and gone.is_file()
    assert mtimes(out) == before | {gone: gone.stat().st_mtime_ns}


def test_run_from_another_folder_still_skips(cli, tmp_path, monkeypatch):
    inbox = small_inbox(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    _, doc = run(cli, Path("in"), "--out", Path("out"))  # relative paths
    assert dispositions(doc) == ["checked"] * 4
    monkeypatch.chdir(inbox)
    _, again = run(cli, tmp_path / "in", "--out", tmp_path / "out")  # absolute, elsewhere
    assert dispositions(again) == ["skipped-unchanged"] * 4


def test_a_damaged_state_file_costs_a_full_run_only(cli, tmp_path):
    inbox = small_inbox(tmp_path / "in")
    out = tmp_path / "out"
    run(cli, inbox, "--out", out)
    (out / STATE_FILE).write_text('{"schema": "nmr-xl/state@2", "inputs": [', encoding="utf-8")
    result, doc = run(cli, inbox, "--out", out)
    assert result.code == 1 and dispositions(doc) == ["checked"] * 4
    assert json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["schema"] == STATE_SCHEMA


# --- names that never collide ------------------------------------------------------------------


def test_same_file_names_never_collide(cli, tmp_path):
    """b/billing.xlsx after a/billing.xlsx, and JAN.xlsx beside jan.xlsx: one --out folder, as
    on Windows and macOS, where names differing only in case are one file."""
    inbox = small_inbox(tmp_path / "in")
    out = tmp_path / "out"
    _, doc = run(cli, inbox, "--out", out)
    assert [(Path(f["input"]).relative_to(inbox).as_posix(), Path(f["output"]).name)
            for f in doc["files"]] == [
        ("a/billing.xlsx", "billing.checked.xlsx"), ("b/JAN.xlsx", "JAN.checked.xlsx"),
        ("b/billing.xlsx", "billing (2).checked.xlsx"), ("c/jan.xlsx", "jan (2).checked.xlsx")]
    assert len({f["output"] for f in doc["files"]}) == 4


def test_a_new_message_never_takes_an_old_copy(cli, tmp_path):
    """A message that arrives later but sorts first, with the same date and subject as one
    checked yesterday, gets a folder of its own: yesterday's copy is neither overwritten nor
    renamed."""
    inbox = tmp_path / "in"
    build = tmp_path / "build"
    build.mkdir()
    old = eml("Oakridge PT <office@oakridgept.example>", "Charges", day(3),
              [("billing.xlsx", workbook(build, "old.xlsx", DEFAULT_ROWS))])
    (inbox / "20 old.eml").parent.mkdir(parents=True)
    (inbox / "20 old.eml").write_bytes(old)
    out = tmp_path / "out"
    _, first = run(cli, inbox, "--out", out)
    copy = out / "2026-03-03 Charges" / "billing.checked.xlsx"
    assert first["files"][0]["output"] == str(copy)
    content = copy.read_bytes()

    (inbox / "10 new.eml").write_bytes(eml(
        "Oakridge PT <office@oakridgept.example>", "Charges", day(3, 8),
        [("billing.xlsx", workbook(build, "new.xlsx", _rows(ERROR_ROWS, "Cigna", "Dr Z")))]))
    _, second = run(cli, inbox, "--out", out)

    new, old_again = second["files"]
    assert new["disposition"] == "checked"
    assert new["output"] == str(out / "2026-03-03 Charges (2)" / "billing.checked.xlsx")
    assert (old_again["disposition"], old_again["output"]) == ("skipped-unchanged", str(copy))
    assert copy.read_bytes() == content
    # --force checks both again and keeps both names
    _, third = run(cli, inbox, "--out", out, "--force")
    assert [f["output"] for f in third["files"]] == [new["output"], str(copy)]


# --- what the headline counts, and who sent what ------------------------------------------------


def _totals_column_a(out: Path) -> list[str]:
    totals = openpyxl.load_workbook(out / SUMMARY_FILE)["Totals"]
    return [str(c.value) for c in totals["A"] if c.value is not None]


def test_the_headline_counts_every_file_a_duplicate_too(cli, tmp_path):
    """Three files, two of them alike: three inputs arrived, two were checked and the third
    was the same content, checked once. The parts of the headline add up to its count."""
    inbox = tmp_path / "in"
    build_billing_workbook(inbox / "a.xlsx", DEFAULT_ROWS, extras=False)
    shutil.copy(inbox / "a.xlsx", inbox / "a copy.xlsx")
    build_billing_workbook(inbox / "b.xlsx", _rows(ERROR_ROWS, "Cigna", "Dr Ruiz"),
                           extras=False)
    out = tmp_path / "out"
    result, doc = run(cli, inbox, "--out", out)
    assert len(doc["files"]) == 2
    assert doc["files"][0]["sources"] == [str(inbox / "a copy.xlsx"), str(inbox / "a.xlsx")]
    assert "3 inputs: 2 checked, 1 duplicate checked once" in result.out.splitlines()
    assert _totals_column_a(out)[2] == "3 inputs: 2 checked, 1 duplicate checked once"


def test_files_not_emailed_are_grouped_by_folder_never_as_a_practice(cli, tmp_path):
    inbox = small_inbox(tmp_path / "in")
    out = tmp_path / "out"
    run(cli, inbox, "--out", out)
    book = openpyxl.load_workbook(out / SUMMARY_FILE)
    practices = {row[0]: row[2] for row in book["Totals"].iter_rows(values_only=True)
                 if isinstance(row[0], str) and row[0].startswith("(files")}
    assert practices == {"(files in a)": 1, "(files in b)": 2, "(files in c)": 1}  # inputs
    assert {r["Practice"] for r in _table_rows(book["Findings"])} == set(practices)


def test_a_workbook_zipped_and_emailed_keeps_the_emails_sender(cli, tmp_path):
    """The zip on disk sorts first and its member is checked; the e-mail that brought the same
    workbook still says who sent it, in the reports and the summary."""
    build = tmp_path / "build"
    build.mkdir()
    data = workbook(build, "march.xlsx", DEFAULT_ROWS)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a bundle.zip").write_bytes(zipped({"march.xlsx": data}))
    (inbox / "b sunrise.eml").write_bytes(eml(
        "Sunrise Front Desk <frontdesk@sunrisechiro.example>", "March billing", day(2),
        [("march.xlsx", data)]))
    out = tmp_path / "out"
    _, doc = run(cli, inbox, "--out", out)
    [only] = doc["files"]
    assert only["input"] == f"{inbox}/a bundle.zip{S}march.xlsx"
    assert only["sources"] == [only["input"], f"{inbox}/b sunrise.eml{S}march.xlsx"]
    assert only["email"] == {"sender": "Sunrise Front Desk <frontdesk@sunrisechiro.example>",
                             "subject": "March billing", "date": "2026-03-02T09:15:00-05:00"}
    book = openpyxl.load_workbook(out / SUMMARY_FILE)
    [row] = _table_rows(book["Inputs"])
    assert (row["From"], row["Subject"]) == (only["email"]["sender"], "March billing")
    assert {r["Practice"] for r in _table_rows(book["Findings"])} == {"sunrisechiro.example"}


# --- memory: findings on disk, never all in the parent -------------------------------------------


def _findings_alive() -> int:
    gc.collect()
    return sum(isinstance(o, Finding) for o in gc.get_objects())


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_parent_holds_counts_not_findings(tmp_path, jobs):
    """Each input's findings go to a file in the private work folder as soon as it is checked:
    the batch's parent keeps counts only, and the reports read the findings back one input at
    a time, so its memory does not grow with the batch's findings."""
    inbox = small_inbox(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    items = collect([inbox], work)
    options = BatchOptions(dt.date.fromisoformat(AS_OF), tmp_path / "out", work, jobs=jobs)
    before = _findings_alive()

    entries = run_batch(items, load_config(), options)

    assert _findings_alive() == before  # not one Finding object kept
    assert all(entry.result.findings == [] for entry in entries)
    assert [dict(entry.counts.by_severity) for entry in entries] == [
        {"error": 1, "warning": 1, "info": 1}, {"warning": 1}, {"error": 1}, {"info": 1}]
    read_back = [[(f.rule, f.cell) for f in entry.findings] for entry in entries]
    assert read_back == [[("NMR102", "G7"), ("NMR206", "L9"), ("NMR104", "G10")],
                         [("NMR206", "L5")], [("NMR102", "G5")], [("NMR104", "G5")]]
    for entry in entries:
        assert entry.findings_file is not None and work in entry.findings_file.parents


def test_a_full_disk_keeps_the_findings_in_memory(tmp_path, monkeypatch):
    def disk_full(path: Path, findings: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(batch, "write_findings", disk_full)
    inbox = small_inbox(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    options = BatchOptions(dt.date.fromisoformat(AS_OF), tmp_path / "out", work, jobs=1)
    entries = run_batch(collect([inbox], work), load_config(), options)
    assert [len(list(entry.findings)) for entry in entries] == [3, 1, 1, 1]
    assert all(entry.findings_file is None for entry in entries)


def test_findings_sheet_links_stop_at_the_cap(cli, tmp_path, monkeypatch):
    """A sheet takes only so many links (and openpyxl holds them all until the sheet is
    written): past the cap the Cell is plain text, and the Totals sheet says why."""
    monkeypatch.setattr(batch_summary, "MAX_FINDING_LINKS", 2)
    inbox = small_inbox(tmp_path / "in")
    out = tmp_path / "out"
    run(cli, inbox, "--out", out)
    book = openpyxl.load_workbook(out / SUMMARY_FILE)
    cells = [row[1] for row in book["Findings"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["G7", "L9", "G10", "L5", "G5", "G5"]
    assert [c.hyperlink is not None for c in cells] == [True, True] + [False] * 4
    notes = [c.value for c in book["Totals"]["A"] if isinstance(c.value, str)]
    assert any(n.startswith("The first 2 rows of the Findings sheet link") for n in notes)


def test_json_report_is_streamed_in_the_usual_layout(inbox_run, tmp_path):
    """Written input by input, the report still reads as json.dumps(report, indent=2)."""
    inbox, _, _, doc = inbox_run
    text = (inbox.parent / "report.json").read_text(encoding="utf-8")
    assert text == json.dumps(doc, indent=2) + "\n"
    buffer = io.StringIO()
    write_report_json(buffer, [], dt.date(2026, 6, 30), batch_totals([]))
    empty = json.loads(buffer.getvalue())
    assert buffer.getvalue() == json.dumps(empty, indent=2) + "\n"
    assert empty["files"] == [] and empty["totals"]["findings"] == 0


# --- parallel workers --------------------------------------------------------------------------


def test_jobs_2_gives_the_same_results_as_jobs_1(cli, tmp_path):
    inbox = small_inbox(tmp_path / "in")
    _, one = run(cli, inbox, "--out", tmp_path / "one", "--jobs", "1")
    _, two = run(cli, inbox, "--out", tmp_path / "two", "--jobs", "2")  # a real process pool

    def comparable(doc: dict) -> list[tuple[object, ...]]:
        return [(f["input"], f["disposition"], f["findings"], f["sheets"],
                 Path(f["output"]).name) for f in doc["files"]]

    assert comparable(one) == comparable(two)
    assert one["totals"] == two["totals"]
    for f in two["files"]:
        assert "Billing" in openpyxl.load_workbook(f["output"], read_only=True).sheetnames


# --- the progress bar --------------------------------------------------------------------------


def test_progress_bar_shows_file_names_as_they_are(capsys):
    from nmr_xl.batch import BatchEntry
    from nmr_xl.inbox import InboxItem
    from nmr_xl.progress import batch_progress, current_name
    from nmr_xl.runner import FileResult

    assert current_name(f"in/a.eml{S}z.zip{S}q1/[bold]March.xlsx") == "[bold]March.xlsx"
    assert len(current_name("x" * 300 + ".xlsx")) == 40
    item = InboxItem(Path("[red]x.xlsx"), "[/red]x.xlsx", ["[/red]x.xlsx"], None, "", None, None)
    with batch_progress(2, enabled=True) as bar:  # rich markup in a name must not crash it
        bar.done(BatchEntry(item, FileResult(input=item.label), Disposition.CHECKED))
        assert bar.tick is not None
        bar.tick()
    assert capsys.readouterr().out == ""  # the bar is drawn on stderr, never in the report
