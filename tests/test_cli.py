"""The command-line contract: exit codes, the JSON report schema, the text format, where copies
go, folder search, and the `rules`, `explain` and `units` commands.

Everything runs in-process through nmr_xl.cli.main (fast); one test runs the installed console
script to prove the real process exits with the documented code and prints no traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import (
    AS_OF,
    BILLING_SHEET,
    CLEAN_ROWS,
    EXPECTED_FINDINGS,
    FAKE_VBA,
    HEADER_ROW,
    INFO_ROWS,
    PATIENT_IDS,
    PATIENT_NAMES,
    WARNING_ROWS,
    build_billing_workbook,
    make_xlsm,
)

from nmr_xl.rules import all_rules
from nmr_xl.rules.registry import RETIRED, Retired

# The versioned report shape (README, "Command line"): exactly these keys, no more, no fewer.
TOP_KEYS = {"schema", "as_of", "files", "totals"}
FILE_KEYS = {"input", "output", "status", "error", "warnings", "sheets", "skipped_sheets",
             "payers", "unmatched_payers", "findings", "suppressed", "disposition",
             "sources", "email"}
SHEET_KEYS = {"name", "header_row", "rows", "columns", "rules_not_run", "column_map",
              "missing_fields", "not_charge_rows", "reading_notes"}
COLUMN_MAP_KEYS = {"column", "heading", "field", "confidence", "why"}
FINDING_KEYS = {"rule", "name", "severity", "sheet", "row", "column", "cell", "message",
                "suggestion"}
TOTALS_KEYS = {"files", "rows", "findings", "by_severity", "by_rule"}
TEXT_FINDING = re.compile(r"^(?P<file>.+):(?P<sheet>[^:!]+)!(?P<cell>[A-Z]{1,3}[1-9]\d*): "
                          r"(?P<rule>NMR\d{3}) (?P<severity>error|warning|info)  "
                          r"(?P<message>\S.*)$")


def assert_no_patient_data(*texts: str) -> None:
    for text in texts:
        for value in PATIENT_IDS + PATIENT_NAMES:
            assert value not in text, f"patient data {value!r} leaked into the output"


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text
        assert 'File "' not in text


def check_report(doc: dict) -> None:
    """Assert `doc` has exactly the documented report@1 shape and types."""
    assert set(doc) == TOP_KEYS
    assert doc["schema"] == "nmr-xl/report@1"
    assert doc["as_of"] == AS_OF
    for f in doc["files"]:
        assert set(f) == FILE_KEYS
        assert isinstance(f["input"], str)
        assert f["status"] in ("checked", "error")
        assert isinstance(f["warnings"], list)
        assert all(isinstance(w, str) for w in f["warnings"])
        assert isinstance(f["suppressed"], int)
        assert isinstance(f["payers"], dict)
        if f["status"] == "error":
            assert set(f["error"]) == {"code", "message"}
            assert re.fullmatch(r"[a-z]+(-[a-z]+)*", f["error"]["code"])
            assert f["error"]["message"] and "\n" not in f["error"]["message"]
            assert f["output"] is None
            assert f["findings"] == []
        else:
            assert f["error"] is None
            assert f["output"] is None or isinstance(f["output"], str)
        for s in f["sheets"]:
            assert set(s) == SHEET_KEYS
            assert isinstance(s["name"], str)
            assert isinstance(s["header_row"], int) and s["header_row"] >= 1
            assert isinstance(s["rows"], int)
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in s["columns"].items())
            assert all(isinstance(n, str) for n in s["rules_not_run"])
            for entry in s["column_map"]:
                assert set(entry) == COLUMN_MAP_KEYS
                assert re.fullmatch(r"[A-Z]{1,3}", entry["column"])
                assert entry["confidence"] in ("pinned", "exact", "guess", "not read")
                assert (entry["field"] is None) == (entry["confidence"] == "not read")
            assert all(isinstance(n, str) for n in s["missing_fields"])
            assert all(isinstance(n, int) and n > 0 for n in s["not_charge_rows"].values())
            assert all(isinstance(n, str) for n in s["reading_notes"])
        for s in f["skipped_sheets"]:
            assert set(s) == {"name", "reason"}
        for finding in f["findings"]:
            assert set(finding) == FINDING_KEYS
            assert re.fullmatch(r"NMR\d{3}", finding["rule"])
            assert finding["severity"] in ("error", "warning", "info")
            assert isinstance(finding["row"], int)
            assert re.fullmatch(r"[A-Z]{1,3}\d+", finding["cell"])
            assert finding["cell"].endswith(str(finding["row"]))
            for key in ("name", "sheet", "column", "message", "suggestion"):
                assert isinstance(finding[key], str) and finding[key]
    totals = doc["totals"]
    assert set(totals) == TOTALS_KEYS
    assert totals["files"] == len(doc["files"])
    assert totals["rows"] == sum(s["rows"] for f in doc["files"] for s in f["sheets"])
    assert totals["findings"] == sum(len(f["findings"]) for f in doc["files"])
    assert set(totals["by_severity"]) == {"error", "warning", "info"}
    assert sum(totals["by_severity"].values()) == totals["findings"]
    assert sum(totals["by_rule"].values()) == totals["findings"]


# --- exit codes ---------------------------------------------------------------------------------


def test_clean_file_exits_0(cli, clean_xlsx):
    run = cli("check", clean_xlsx, "--as-of", AS_OF)
    assert run.code == 0, run.out + run.err
    assert run.err == ""
    assert "0 findings" in run.out


@pytest.mark.parametrize(
    ("rows", "fail_on", "code"),
    [
        (None, "error", 1),  # default workbook: an error, a warning and an info
        (None, "warning", 1),
        (None, "info", 1),
        (None, "never", 0),
        (CLEAN_ROWS + WARNING_ROWS + INFO_ROWS, "error", 0),  # findings below --fail-on
        (CLEAN_ROWS + WARNING_ROWS + INFO_ROWS, "warning", 1),
        (CLEAN_ROWS + INFO_ROWS, "warning", 0),
        (CLEAN_ROWS + INFO_ROWS, "info", 1),
        (CLEAN_ROWS + INFO_ROWS, "never", 0),
        (CLEAN_ROWS, "info", 0),
    ],
)
def test_fail_on_threshold(cli, tmp_path, rows, fail_on, code):
    book = build_billing_workbook(tmp_path / "book.xlsx", rows)
    run = cli("check", book, "--as-of", AS_OF, "--fail-on", fail_on, "--no-annotate")
    assert run.code == code, run.out + run.err


def test_default_fail_on_is_error(cli, tmp_path):
    below = build_billing_workbook(tmp_path / "w.xlsx", CLEAN_ROWS + WARNING_ROWS + INFO_ROWS)
    assert cli("check", below, "--as-of", AS_OF, "--no-annotate").code == 0
    at = build_billing_workbook(tmp_path / "e.xlsx")
    assert cli("check", at, "--as-of", AS_OF, "--no-annotate").code == 1


def test_missing_file_exits_2(cli, tmp_path):
    missing = tmp_path / "nope.xlsx"
    run = cli("check", missing, "--as-of", AS_OF, "--format", "json")
    assert run.code == 2
    doc = json.loads(run.out)
    check_report(doc)
    assert doc["files"][0]["error"]["code"] == "not-found"


def test_unreadable_input_exits_2_even_with_never(cli, tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_text("patient,dos\n", encoding="utf-8")
    run = cli("check", junk, "--as-of", AS_OF, "--fail-on", "never")
    assert run.code == 2
    assert run.out.strip() == f"{junk}: error [unsupported-format] this is not an Excel " \
                              "workbook but a text (CSV) file under a .xlsx name, which Excel " \
                              "does not open either; rename it to .csv and check that"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "{book}", "--as-of", "2026-02-30"],
        ["check", "{book}", "--as-of", "31/03/2026"],
        ["check", "{book}", "--as-of", AS_OF, "--frobnicate"],
        ["check", "{book}", "--as-of", AS_OF, "--fail-on", "critical"],
        ["check", "{book}", "--as-of", AS_OF, "--format", "xml"],
        ["check"],
        ["lint", "{book}"],
        [],
        ["units", "twenty"],
        ["units", "97112=24", "97112=10"],
    ],
)
def test_misuse_exits_2_without_traceback(cli, clean_xlsx, args):
    run = cli(*[a.format(book=clean_xlsx) for a in args])
    assert run.code == 2
    assert run.err.strip(), "misuse must say what is wrong on stderr"
    assert run.err.strip().splitlines()[-1].startswith("nmr-xl")
    assert_no_traceback(run.out, run.err)
    assert not list(clean_xlsx.parent.glob("*.checked.*"))


def test_bad_as_of_names_the_value(cli, clean_xlsx):
    run = cli("check", clean_xlsx, "--as-of", "2026-02-30")
    assert "'2026-02-30' is not a date" in run.err


def test_input_error_alongside_good_file(cli, billing_xlsx, tmp_path):
    missing = tmp_path / "missing.xlsx"
    report = tmp_path / "report.json"
    run = cli("check", missing, billing_xlsx, "--as-of", AS_OF, "--report", report)
    assert run.code == 2
    doc = json.loads(report.read_text(encoding="utf-8"))
    check_report(doc)
    bad, good = doc["files"]
    assert (bad["status"], bad["error"]["code"]) == ("error", "not-found")
    assert good["status"] == "checked"
    assert [(f["rule"], f["severity"], f["cell"]) for f in good["findings"]] == EXPECTED_FINDINGS
    copy = billing_xlsx.with_name("billing.checked.xlsx")
    assert good["output"] == str(copy)
    assert copy.is_file()
    assert f"{missing}: error [not-found] no such file or folder" in run.out.splitlines()
    assert any(TEXT_FINDING.match(line) for line in run.out.splitlines())


def test_version(cli):
    run = cli("--version")
    assert run.code == 0
    assert re.fullmatch(r"nmr-xl \d+\.\d+\.\d+\S*", run.out.strip())


# --- the JSON report ----------------------------------------------------------------------------


def test_json_report_file_shape_and_values(cli, billing_xlsx, tmp_path):
    report = tmp_path / "reports" / "run.json"  # parent folder is created
    run = cli("check", billing_xlsx, "--as-of", AS_OF, "--report", report)
    assert run.code == 1
    doc = json.loads(report.read_text(encoding="utf-8"))
    check_report(doc)
    (f,) = doc["files"]
    assert f["input"] == str(billing_xlsx)
    assert f["output"] == str(billing_xlsx.with_name("billing.checked.xlsx"))
    assert f["status"] == "checked"
    assert f["suppressed"] == 0
    (sheet,) = f["sheets"]
    assert sheet["name"] == BILLING_SHEET
    assert sheet["header_row"] == HEADER_ROW
    assert sheet["rows"] == 6
    assert {k: sheet["columns"][k] for k in ("patient", "dos", "code", "minutes", "units",
                                             "payer", "provider_type", "notes")} == {
        "patient": "Acct #", "dos": "Svc Date", "code": "CPT/HCPCS", "minutes": "Tx Min",
        "units": "Units", "payer": "Primary Ins", "provider_type": "Cred", "notes": "Notes"}
    assert {s["name"] for s in f["skipped_sheets"]} == {"Notes", "Lookup"}
    assert f["payers"] == {"Medicare": "medicare", "Aetna": "aetna"}
    assert [(x["rule"], x["severity"], x["cell"]) for x in f["findings"]] == EXPECTED_FINDINGS
    first = f["findings"][0]
    assert (first["name"], first["sheet"], first["row"], first["column"]) == (
        "units-exceed-time", BILLING_SHEET, 7, "Units")
    assert doc["totals"] == {
        "files": 1, "rows": 6, "findings": 3,
        "by_severity": {"error": 1, "warning": 1, "info": 1},
        "by_rule": {"NMR102": 1, "NMR104": 1, "NMR206": 1},
    }


def test_json_on_stdout_is_pure_json_and_matches_report_file(cli, billing_xlsx, tmp_path):
    report = tmp_path / "run.json"
    run = cli("check", billing_xlsx, "--as-of", AS_OF, "--format", "json", "--report", report)
    assert run.code == 1
    doc = json.loads(run.out)  # nothing but the document on stdout
    check_report(doc)
    assert doc == json.loads(report.read_text(encoding="utf-8"))
    assert run.err == ""


def test_json_report_of_an_error_file(cli, tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    run = cli("check", empty, "--as-of", AS_OF, "--format", "json")
    doc = json.loads(run.out)
    check_report(doc)
    (f,) = doc["files"]
    assert f["status"] == "error"
    assert f["error"]["code"] == "empty"
    assert (f["sheets"], f["findings"], f["output"]) == ([], [], None)
    assert doc["totals"]["files"] == 1
    assert doc["totals"]["findings"] == 0


def test_no_patient_data_in_any_output(cli, billing_xlsx, tmp_path):
    report = tmp_path / "run.json"
    text = cli("check", billing_xlsx, "--as-of", AS_OF, "--report", report)
    as_json = cli("check", billing_xlsx, "--as-of", AS_OF, "--format", "json", "--no-annotate")
    assert text.code == as_json.code == 1
    assert_no_patient_data(text.out, text.err, as_json.out, as_json.err,
                           report.read_text(encoding="utf-8"))


# --- the text report ----------------------------------------------------------------------------


def test_text_finding_lines(cli, billing_xlsx):
    run = cli("check", billing_xlsx, "--as-of", AS_OF)
    lines = run.out.splitlines()
    matches = [m for m in map(TEXT_FINDING.match, lines) if m]
    assert [(m["rule"], m["severity"], m["cell"]) for m in matches] == EXPECTED_FINDINGS
    assert all(m["file"] == str(billing_xlsx) and m["sheet"] == BILLING_SHEET for m in matches)
    assert lines[0].startswith(f"{billing_xlsx}:{BILLING_SHEET}!G7: NMR102 error  ")
    copy = billing_xlsx.with_name("billing.checked.xlsx")
    assert (f"billing.xlsx: 6 billing lines on 1 sheet, 3 findings (1 error, 1 warning, 1 info)"
            f" -> {copy}") in lines
    assert "  skipped sheet Notes: " + "no header row" in run.out
    assert run.err == ""


# --- where copies go ----------------------------------------------------------------------------


def test_default_output_beside_input(cli, billing_xlsx):
    run = cli("check", billing_xlsx, "--as-of", AS_OF, "--fail-on", "never")
    assert run.code == 0
    assert sorted(p.name for p in billing_xlsx.parent.iterdir()) == [
        "billing.checked.xlsx", "billing.xlsx"]


def test_out_dir(cli, billing_xlsx, tmp_path):
    out = tmp_path / "annotated" / "nested"  # created on demand
    run = cli("check", billing_xlsx, "--as-of", AS_OF, "--out", out, "--format", "json")
    doc = json.loads(run.out)
    assert doc["files"][0]["output"] == str(out / "billing.checked.xlsx")
    # one workbook named alone: its copy (whose summary sheet says it all), no batch summary;
    # the state file makes a second run skip it
    assert sorted(p.name for p in out.iterdir()) == [".nmr-xl-state.json", ".nmr-xl.lock",
                                                      "billing.checked.xlsx"]
    assert [p.name for p in billing_xlsx.parent.iterdir()] == ["billing.xlsx"]
    again = json.loads(cli("check", billing_xlsx, "--as-of", AS_OF, "--out", out,
                           "--format", "json").out)
    assert again["files"][0]["disposition"] == "skipped-unchanged"


def test_out_dir_with_two_inputs_gets_a_batch_summary(cli, billing_xlsx, tmp_path):
    other = build_billing_workbook(tmp_path / "in2" / "other.xlsx", CLEAN_ROWS, extras=False)
    out = tmp_path / "out"
    cli("check", billing_xlsx, other, "--as-of", AS_OF, "--out", out, "--fail-on", "never")
    assert sorted(p.name for p in out.iterdir()) == [
        ".nmr-xl-state.json", ".nmr-xl.lock", "batch-summary.xlsx", "billing.checked.xlsx",
        "other.checked.xlsx"]


def test_no_annotate_writes_nothing(cli, billing_xlsx, tmp_path):
    out = tmp_path / "out"
    before = sorted(tmp_path.rglob("*"))
    run = cli("check", billing_xlsx, "--as-of", AS_OF, "--no-annotate", "--format", "json",
              "--out", out)
    assert run.code == 1
    doc = json.loads(run.out)
    assert doc["files"][0]["output"] is None
    assert len(doc["files"][0]["findings"]) == 3
    assert sorted(tmp_path.rglob("*")) == before


def _xlsm_check(cli, tmp_path: Path, vba: bytes) -> None:
    plain = build_billing_workbook(tmp_path / "plain.xlsx")
    book = make_xlsm(plain, tmp_path / "macro.xlsm", vba)
    run = cli("check", book, "--as-of", AS_OF, "--format", "json", "--fail-on", "never")
    assert run.code == 0, run.out + run.err
    f = json.loads(run.out)["files"][0]
    copy = tmp_path / "macro.checked.xlsm"
    assert f["output"] == str(copy)
    assert not any("VBA" in w for w in f["warnings"]), f["warnings"]
    with zipfile.ZipFile(copy) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
        assert b"relationships/vbaProject" in rels


def test_xlsm_keeps_its_macros(cli, tmp_path):
    _xlsm_check(cli, tmp_path, FAKE_VBA)


def test_xlsm_keeps_a_real_vba_project(cli, tmp_path, corpus_file):
    with zipfile.ZipFile(corpus_file("calamine/vba.xlsm")) as archive:
        vba = archive.read("xl/vbaProject.bin")
    _xlsm_check(cli, tmp_path, vba)


# --- folders ------------------------------------------------------------------------------------


def test_folder_search_is_recursive_and_skips_copies_and_lock_files(cli, tmp_path):
    root = tmp_path / "exports"
    a = build_billing_workbook(root / "a.xlsx", CLEAN_ROWS, extras=False)
    # reversed rows: the same content would be one input listed with two sources
    b = build_billing_workbook(root / "march" / "deep" / "b.xlsx", CLEAN_ROWS[::-1], extras=False)
    m = make_xlsm(a, root / "march" / "m.xlsm")
    build_billing_workbook(root / "a.checked.xlsx", CLEAN_ROWS, extras=False)  # earlier output
    build_billing_workbook(root / "march" / "m.checked.xlsm", CLEAN_ROWS, extras=False)
    (root / "~$a.xlsx").write_bytes(b"\x07Excel owner lock")  # Excel's lock file
    (root / "notes.txt").write_text("not a workbook", encoding="utf-8")
    (root / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    run = cli("check", root, "--as-of", AS_OF, "--format", "json", "--no-annotate")
    assert run.code == 2, run.out + run.err  # the .xls cannot be checked: it says so
    doc = json.loads(run.out)
    old = str(root / "old.xls")
    assert sorted(f["input"] for f in doc["files"]) == sorted([*(str(p) for p in (a, b, m)), old])
    by_input = {f["input"]: f for f in doc["files"]}
    assert by_input.pop(old)["error"]["code"] == "unsupported-format"
    assert all(f["status"] == "checked" for f in by_input.values())


def test_folder_run_does_not_recheck_its_own_copies(cli, tmp_path):
    root = tmp_path / "exports"
    build_billing_workbook(root / "a.xlsx", CLEAN_ROWS, extras=False)
    first = json.loads(cli("check", root, "--as-of", AS_OF, "--format", "json").out)
    assert (root / "a.checked.xlsx").is_file()
    second = json.loads(cli("check", root, "--as-of", AS_OF, "--format", "json").out)
    assert [f["input"] for f in first["files"]] == [f["input"] for f in second["files"]] == [
        str(root / "a.xlsx")]


def test_folder_without_workbooks_exits_2(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    run = cli("check", tmp_path / "empty", "--as-of", AS_OF)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "no workbooks (.xlsx, .xlsm, .xls, .ods), CSV files or e-mails" in run.err


# --- rules files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("[settings]\nheader_search_rows = 30\nbogus_key = 1\n", 3, "settings.bogus_key"),
        ("# mine\n[settings]\nprovider_day_minutes = \"lots\"\n", 3,
         "settings.provider_day_minutes"),
        ("[nonsense]\nx = 1\n", 1, "nonsense"),
    ],
)
@pytest.mark.parametrize("command", ["check", "rules"])
def test_bad_rules_file_exits_2_naming_file_line_and_key(cli, clean_xlsx, tmp_path, text, line,
                                                         key, command):
    rules = tmp_path / "my-rules.toml"
    rules.write_text(text, encoding="utf-8")
    args = ["check", clean_xlsx, "--as-of", AS_OF] if command == "check" else ["rules"]
    run = cli(*args, "--rules", rules)
    assert run.code == 2
    assert run.out == ""
    err = run.err.splitlines()
    assert len(err) == 1, run.err
    assert f"{rules}:{line}:" in err[0]
    assert key in err[0]
    assert_no_traceback(run.err)
    assert not list(clean_xlsx.parent.glob("*.checked.*"))


def test_rules_file_turning_a_rule_off_changes_the_check(cli, billing_xlsx, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[rules]\nNMR102 = "off"\n', encoding="utf-8")
    run = cli("check", billing_xlsx, "--as-of", AS_OF, "--rules", rules, "--format", "json",
              "--no-annotate")
    doc = json.loads(run.out)
    assert [f["rule"] for f in doc["files"][0]["findings"]] == ["NMR206", "NMR104"]
    assert run.code == 0  # the only error was NMR102


# --- rules, explain, units ------------------------------------------------------------------------


def _rule_lines(out: str) -> dict[str, str]:
    lines = out.splitlines()
    assert lines[0].split() == ["code", "name", "default", "status"]
    table = lines[1:lines.index("")]  # then the dated data and reference files
    return {line.split()[0]: line for line in table}


def test_rules_lists_every_rule(cli):
    run = cli("rules")
    assert run.code == 0
    listed = _rule_lines(run.out)
    assert list(listed) == [r.code for r in all_rules()]
    for r in all_rules():
        fields = listed[r.code].split()
        assert fields[1:3] == [r.name, r.severity.value]
    assert listed["NMR102"].split()[3:] == ["on"]


def test_rules_reflects_a_rules_file(cli, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[rules]\nNMR102 = "off"\nNMR104 = "warning"\n', encoding="utf-8")
    listed = _rule_lines(cli("rules", "--rules", rules).out)
    assert listed["NMR102"].split()[3:] == ["off"]
    assert listed["NMR104"].split()[3:] == ["on", "as", "warning"]
    assert listed["NMR101"].split()[3:] == ["on"]


def test_explain_prints_every_section(cli):
    run = cli("explain", "NMR102")
    assert run.code == 0
    assert run.out.startswith("NMR102 units-exceed-time (error; ")
    lines = run.out.splitlines()
    for title in ("What it checks:", "Why:", "Example:", "Configuration:"):
        assert title in lines
        body = lines[lines.index(title) + 1]
        assert body.startswith("  ") and body.strip()
    assert any(re.fullmatch(r"Source \((primary|secondary)[^)]*\):", line) for line in lines)
    assert run.err == ""


@pytest.mark.parametrize("code", [r.code for r in all_rules()])
def test_explain_works_for_every_rule(cli, code):
    run = cli("explain", code)
    assert run.code == 0
    assert run.out.startswith(code + " ")


def test_explain_shows_the_settings_a_rule_reads_with_their_values(cli, tmp_path):
    lines = cli("explain", "NMR106").out.splitlines()
    settings = lines[lines.index("Settings (rules.toml, as loaded):") + 1:]
    assert settings[:2] == [
        "  settings.provider_day_minutes = 480",
        "    One provider's one-on-one timed minutes in one day above this look impossible."]
    assert settings[2].startswith('  codes.timed = ["97032", ')
    rules = tmp_path / "rules.toml"
    rules.write_text('[settings]\nprovider_day_minutes = 420\n\n[profiles.aetna]\n'
                     'nmr_visit_limit = 12\n', encoding="utf-8")
    assert "  settings.provider_day_minutes = 420" in cli(
        "explain", "NMR106", "--rules", rules).out.splitlines()
    assert ("  profiles.<id>.nmr_visit_limit: aetna = 12; a profile without it: not set"
            in cli("explain", "NMR207", "--rules", rules).out.splitlines())


def test_explain_without_settings_and_with_a_bad_rules_file(cli, tmp_path):
    assert "Settings (rules.toml, as loaded):" not in cli("explain", "NMR003").out
    rules = tmp_path / "rules.toml"
    rules.write_text("[settings]\nprovider_day_minute = 1\n", encoding="utf-8")
    run = cli("explain", "NMR106", "--rules", rules)
    assert (run.code, run.out) == (2, "")
    assert run.err == f"nmr-xl: {rules}:2: 'settings.provider_day_minute' is not a known " \
        f"setting (known here: date_order, episode_gap_days, header_search_rows, " \
        f"likely_typo_minutes, mue_file, ncci_file, provider_day_minutes)\n"


@pytest.mark.parametrize("code", ["NMR999", "nmr102x", "E501"])
def test_explain_unknown_code(cli, code):
    run = cli("explain", code)
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert run.err.startswith(f"nmr-xl: '{code}' is not a rule")


def test_explain_a_setting(cli, tmp_path):
    """Any setting, a core one (the reader's) or a rule's, by its key: value, docs, readers."""
    run = cli("explain", "settings.date_order")
    assert run.code == 0 and run.err == ""
    assert run.out.splitlines()[:3] == ["settings.date_order (read by the reader)", "",
                                        '  settings.date_order = "month-first"']
    rules = tmp_path / "rules.toml"
    rules.write_text('[settings]\ndate_order = "day-first"\n', encoding="utf-8")
    assert '= "day-first"' in cli("explain", "settings.date_order", "--rules", rules).out
    assert cli("explain", "settings.provider_day_minutes").out.startswith(
        "settings.provider_day_minutes (read by NMR106)")
    assert "13 entries (noridian-je" in cli("explain", "contractors").out


def test_explain_a_retired_code(cli, monkeypatch):
    monkeypatch.setitem(RETIRED, "NMR096", Retired("NMR096", "old-check", dt.date(2027, 1, 4),
                                                   "Folded into NMR102.", ("NMR102",)))
    run = cli("explain", "nmr096")
    assert (run.code, run.out) == (2, "")
    assert run.err == ("nmr-xl: NMR096 (old-check) was retired on 2027-01-04: Folded into "
                       "NMR102. (see NMR102)\n")


def test_units_cms_allocation(cli):
    run = cli("units", "24", "23")
    assert run.code == 0
    assert run.out.splitlines() == [
        "47 timed minutes -> 3 units (CMS 8-minute rule)",
        "  service 1: 24 min -> 2",
        "  service 2: 23 min -> 1",
    ]


def test_units_ama(cli):
    run = cli("units", "8", "8", "--method", "ama")
    assert run.code == 0
    assert run.out.splitlines()[0] == "16 timed minutes -> 2 units (AMA midpoint rule)"


def test_units_cms_tie(cli):
    run = cli("units", "8", "8")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0] == "16 timed minutes -> 1 unit (CMS 8-minute rule)"
    assert all("0 or 1 (tie" in line for line in lines[1:])


def test_units_with_codes(cli):
    run = cli("units", "97112=24", "97110=23")
    assert run.code == 0
    assert run.out.splitlines()[1:] == ["  97112: 24 min -> 2", "  97110: 23 min -> 1"]


def test_units_cms_example_two(cli):
    run = cli("units", "97110=33", "97140=7")
    assert run.out.splitlines() == [
        "40 timed minutes -> 3 units (CMS 8-minute rule)",
        "  97110: 33 min -> 2",
        "  97140: 7 min -> 1",
    ]


# --- the real console script ----------------------------------------------------------------------


def test_console_script_exit_code_and_no_traceback(billing_xlsx, tmp_path):
    script = Path(sys.executable).with_name("nmr-xl")
    if not script.is_file():
        pytest.skip(f"console script not installed next to {sys.executable}")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(billing_xlsx.read_bytes()[:1000])
    proc = subprocess.run(
        [str(script), "check", str(broken), str(billing_xlsx), "--as-of", AS_OF,
         "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert_no_traceback(proc.stdout, proc.stderr)
    doc = json.loads(proc.stdout)
    check_report(doc)
    assert [f["status"] for f in doc["files"]] == ["error", "checked"]
    assert doc["files"][0]["error"]["code"] == "corrupt"
    assert billing_xlsx.with_name("billing.checked.xlsx").is_file()
    assert_no_patient_data(proc.stdout, proc.stderr)


def test_folder_without_workbooks_is_misuse_before_any_work(cli, clean_xlsx, tmp_path):
    """Paths are resolved before checking: misuse never leaves a half-done run behind."""
    (tmp_path / "nothing-here").mkdir()
    report = tmp_path / "run.json"
    run = cli("check", clean_xlsx, tmp_path / "nothing-here", "--as-of", AS_OF,
              "--report", report)
    assert run.code == 2
    assert "no workbooks (.xlsx, .xlsm, .xls, .ods), CSV files or e-mails" in run.err
    assert not list(clean_xlsx.parent.glob("*.checked.*"))
    assert not report.exists()


def _piped_to_head(*args: object) -> tuple[int, str, str]:
    """`nmr-xl ARGS | head -1`: the reader closes the pipe after one line."""
    proc = subprocess.Popen([sys.executable, "-m", "nmr_xl.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode()
    proc.stdout.close()  # as `head -1` exits
    err = proc.stderr.read().decode()
    return proc.wait(timeout=60), first, err


@pytest.mark.parametrize("args", [("rules",), ("explain", "NMR102"),
                                  ("units", "97112=24", "97110=23")])
def test_a_closed_pipe_ends_quietly(args: tuple[str, ...]) -> None:
    code, first, err = _piped_to_head(*args)
    assert first.strip()
    assert code == 0
    assert err == ""


def test_a_closed_pipe_still_writes_the_report_and_keeps_the_exit_code(billing_xlsx, tmp_path):
    """The check's report file and exit status do not depend on anyone reading stdout."""
    report = tmp_path / "run.json"
    code, first, err = _piped_to_head("check", billing_xlsx, "--as-of", AS_OF, "--out",
                                      tmp_path / "out", "--report", report)
    assert first.startswith(str(billing_xlsx))
    assert err == ""
    assert code == 1  # errors found, as without the pipe
    assert len(json.loads(report.read_text(encoding="utf-8"))["files"][0]["findings"]) == len(
        EXPECTED_FINDINGS)


def test_quiet_prints_a_line_per_file_not_every_finding(cli, billing_xlsx, clean_xlsx, tmp_path):
    run = cli("check", billing_xlsx, clean_xlsx, "--as-of", AS_OF, "--out", tmp_path / "out",
              "--quiet")
    assert run.code == 1
    assert not any(": NMR" in line for line in run.out.splitlines())
    summaries = [line for line in run.out.splitlines() if " billing line" in line
                 and " finding" in line and "->" in line]
    assert len(summaries) == 2
    assert "2 inputs: 2 checked" in run.out


def test_check_help_names_every_input_the_readme_names(cli):
    run = cli("check", "--help")
    assert run.code == 0
    text = " ".join(run.out.split())
    for kind in (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".eml", ".msg", ".zip",
                 "folders"):
        assert kind in text, kind
