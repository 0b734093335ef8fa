"""The CMS reference files: the practitioner MUE table (CSV) and the practitioner NCCI PTP edit
file (tab-separated .TXT), read from small files written here in the real layouts (Latin-1
bytes, CRLF line endings, the preamble and the wrapped headers; see research notes §2-§3).
No CMS file is committed: every file is built in tmp_path.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from conftest import CliRun

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.errors import ConfigError
from nmr_xl.reference import (
    MueFile,
    MueLimit,
    PtpEdit,
    index_by_column2,
    load_mue_file,
    load_ptp_file,
)

# --- building files in the CMS layouts --------------------------------------------------------

# One CSV record: a quoted field over 7 physical lines (blank lines inside), then ",,,".
MUE_PREAMBLE = (
    '"Current Procedural Terminology (CPT) codes, descriptions and other data only are '
    'copyright 2025 American Medical Association. All rights reserved. \n\n'
    'CPT\u00ae is a registered trademark of the American Medical Association.\n\n'
    'Applicable FARS/DFARS Restrictions Apply to Government Use. \n\n'
    'Fee schedules, relative value units, conversion factors and/or related components are '
    'not assigned by the AMA, are not part of CPT, and the AMA is not recommending their use. '
    'The AMA assumes no liability for data contained or not contained herein.",,,'
)
# The first header field is quoted and broken over two lines.
MUE_HEADER = ('"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,'
              'MUE Rationale')
MUE_FIRST_ROW_LINE = 10  # 7 preamble lines + 2 header lines

PTP_PREAMBLE = [
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t",
    "Column1/Column2 Edits\t\t\t\t\t\t",
]
PTP_HEADER = [  # wrapped over 4 physical lines
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]
PTP_FIRST_ROW_LINE = 7


def write_lines(path: Path, lines: Sequence[str], eol: str = "\r\n",
                encoding: str = "latin-1") -> Path:
    text = eol.join(line.replace("\n", eol) for line in lines) + eol
    path.write_bytes(text.encode(encoding))
    return path


def mue_file(tmp_path: Path, rows: Sequence[str], name: str = "mue.csv", **kw: str) -> Path:
    return write_lines(tmp_path / name, [MUE_PREAMBLE, MUE_HEADER, *rows], **kw)


def ptp_row(c1: str, c2: str, effective: str = "20200101", deletion: str = "*",
            indicator: str = "1", rationale: str = "Mutually exclusive procedures",
            prior: str = "") -> str:
    return "\t".join((c1, c2, prior, effective, deletion, indicator, rationale))


def ptp_file(tmp_path: Path, rows: Sequence[str], name: str = "ptp.txt", **kw: str) -> Path:
    return write_lines(tmp_path / name, [*PTP_PREAMBLE, *PTP_HEADER, *rows], **kw)


def keep_all(c1: str, c2: str) -> bool:
    return True


MUE_ROWS = [
    "97110,6,3 Date of Service Edit: Clinical,Clinical: Data",
    "97112,4,3 Date of Service Edit: Clinical,Clinical: Data",
    "98940,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction",
    "98941,2,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction",
    "G0283,1,3 Date of Service Edit: Clinical,Nature of Service/Procedure",
    "97039,0,3 Date of Service Edit: Clinical,CMS Policy",
]


# --- the MUE file -----------------------------------------------------------------------------


def _values(file: MueFile) -> dict[str, int]:
    return {code: limit.value for code, limit in file.limits.items()}


def test_mue_file_in_the_cms_layout(tmp_path: Path) -> None:
    path = mue_file(tmp_path, MUE_ROWS)
    raw = path.read_bytes()
    assert b"CPT\xae is" in raw and b"\r\n" in raw  # Latin-1, CRLF, as published
    assert _values(load_mue_file(path)) == {"97110": 6, "97112": 4, "98940": 1, "98941": 2,
                                   "G0283": 1, "97039": 0}


@pytest.mark.parametrize("eol, encoding", [("\n", "latin-1"), ("\r\n", "utf-8-sig"),
                                           ("\n", "utf-8")])
def test_mue_file_other_line_endings_and_encodings(tmp_path: Path, eol: str,
                                                   encoding: str) -> None:
    path = mue_file(tmp_path, MUE_ROWS[:2], eol=eol, encoding=encoding)
    assert _values(load_mue_file(path)) == {"97110": 6, "97112": 4}


def test_mue_file_without_preamble_with_blank_lines_and_spaces(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "mue.csv", [
        MUE_HEADER, "", " 97112 , 4 ,3 Date of Service Edit: Clinical,Clinical: Data", ",,,",
        "97110,6,3 Date of Service Edit: Clinical,Clinical: Data", ""])
    assert _values(load_mue_file(path)) == {"97112": 4, "97110": 6}


def test_mue_file_a_windows_1252_byte_does_not_break_lines(tmp_path: Path) -> None:
    # 0x85 is an ellipsis in Windows-1252, a control character (NEL) when read as Latin-1.
    path = mue_file(tmp_path, ["97112,4,3 Date of Service Edit: Clinical,Clinical\x85 Data",
                               "97110,six,3 Date of Service Edit: Clinical,Clinical: Data"])
    with pytest.raises(ConfigError, match=rf":{MUE_FIRST_ROW_LINE + 1}: the MUE value of 97110"):
        load_mue_file(path)


@pytest.mark.parametrize("bad_row, problem", [
    ("97112,four,3 Date of Service Edit: Clinical,Clinical: Data",
     "the MUE value of 97112 is not a whole number"),
    ("97112,,3 Date of Service Edit: Clinical,Clinical: Data",
     "the MUE value of 97112 is not a whole number"),
    ("97112,4.5,3 Date of Service Edit: Clinical,Clinical: Data",
     "the MUE value of 97112 is not a whole number"),
    ("9711,4,3 Date of Service Edit: Clinical,Clinical: Data", "a row of another shape"),
    ("97112", "a row of another shape"),
    ("End of file,,,", "a row of another shape"),
])
def test_malformed_mue_row_names_file_and_line(tmp_path: Path, bad_row: str,
                                               problem: str) -> None:
    path = mue_file(tmp_path, [MUE_ROWS[0], bad_row, MUE_ROWS[1]])
    with pytest.raises(ConfigError) as err:
        load_mue_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{MUE_FIRST_ROW_LINE + 1}: "), message
    assert problem in message
    assert "\n" not in message


def test_mue_file_that_is_not_the_mue_file(tmp_path: Path) -> None:
    ptp = ptp_file(tmp_path, [ptp_row("98940", "97140")])
    with pytest.raises(ConfigError, match=r"no 'HCPCS/CPT Code.*is this the CMS practitioner "
                                          r"MUE file\?"):
        load_mue_file(ptp)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ConfigError, match="no 'HCPCS/CPT Code"):
        load_mue_file(empty)
    headless = write_lines(tmp_path / "headless.csv", MUE_ROWS)
    with pytest.raises(ConfigError, match="no 'HCPCS/CPT Code"):
        load_mue_file(headless)


def test_mue_file_with_a_header_but_no_rows(tmp_path: Path) -> None:
    path = mue_file(tmp_path, [])
    with pytest.raises(ConfigError, match=rf"^{path}: no MUE rows after the header"):
        load_mue_file(path)


def test_missing_reference_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read reference file"):
        load_mue_file(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="cannot read reference file"):
        load_ptp_file(tmp_path / "nope.txt", keep_all)


# --- the PTP file -----------------------------------------------------------------------------


def test_ptp_file_in_the_cms_layout(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [
        ptp_row("98940", "97140", "20200101", "*", "1"),
        ptp_row("0001A", "36591", "20220101", "20231231", "0", "Misuse of Column Two code "
                "with Column One code"),
        ptp_row("97110", "97113", "19960101", "*", "0", prior="*"),
        ptp_row("0001A", "90473", "20220101", "20220101", "9"),
    ])
    assert b"\r\n" in path.read_bytes()
    edits = load_ptp_file(path, keep_all).edits
    assert [(e.column1, e.column2, e.indicator, e.effective, e.deletion) for e in edits] == [
        ("98940", "97140", 1, dt.date(2020, 1, 1), None),
        ("0001A", "36591", 0, dt.date(2022, 1, 1), dt.date(2023, 12, 31)),
        ("97110", "97113", 0, dt.date(1996, 1, 1), None),
        ("0001A", "90473", 9, dt.date(2022, 1, 1), dt.date(2022, 1, 1)),
    ]
    assert edits[0].source == "CMS PTP file ptp.txt: Mutually exclusive procedures"


def test_ptp_file_latin1_lf_and_no_rationale(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "ptp.txt", [
        "CPT\u00ae only copyright 2025 American Medical Association.\t\t\t\t\t\t",
        *PTP_HEADER, "98940\t97140\t\t20200101\t*\t1", ""], eol="\n")
    (edit,) = load_ptp_file(path, keep_all).edits
    assert edit.source == "CMS PTP file ptp.txt"


def test_ptp_keep_filter(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [ptp_row("98940", "97140"), ptp_row("99213", "97140"),
                               ptp_row("98940", "97112")])
    edits = load_ptp_file(path, lambda c1, c2: c1.startswith("989")).edits
    assert [(e.column1, e.column2) for e in edits] == [("98940", "97140"), ("98940", "97112")]
    index = index_by_column2(edits)
    assert set(index) == {"97140", "97112"}


def test_ptp_dates_bound_the_edit() -> None:
    edit = PtpEdit("98940", "97140", 1, dt.date(2020, 1, 1), dt.date(2026, 1, 31))
    assert not edit.applies_on(dt.date(2019, 12, 31))
    assert edit.applies_on(dt.date(2020, 1, 1))  # effective date included
    assert edit.applies_on(dt.date(2026, 1, 31))  # deletion date: the last day it applies
    assert not edit.applies_on(dt.date(2026, 2, 1))
    assert PtpEdit("98940", "97140", 1).applies_on(dt.date(1990, 1, 1))  # undated: always
    assert not PtpEdit("98940", "97140", 9).applies_on(dt.date(2026, 1, 1))


@pytest.mark.parametrize("bad_row, problem", [
    (ptp_row("98940", "97112", indicator="7"), "modifier indicator must be 0, 1 or 9, not '7'"),
    (ptp_row("98940", "97112", indicator=""), "modifier indicator must be 0, 1 or 9, not ''"),
    (ptp_row("98940", "97112", effective="2026-01-01"),
     "the effective and deletion dates must be like 20260101"),
    (ptp_row("98940", "97112", deletion="20261301"),
     "the deletion date '20261301' is not a date like 20260101"),
    ("98940\t97112\t\t20200101\t*", "separated by tabs"),
    ("98940 97112  20200101 * 1", "separated by tabs"),
    ("Total edits: 2", "separated by tabs"),
])
def test_malformed_ptp_row_names_file_and_line(tmp_path: Path, bad_row: str,
                                               problem: str) -> None:
    path = ptp_file(tmp_path, [ptp_row("98940", "97140"), bad_row, ptp_row("98941", "97140")])
    with pytest.raises(ConfigError) as err:
        load_ptp_file(path, keep_all)
    message = str(err.value)
    assert message.startswith(f"{path}:{PTP_FIRST_ROW_LINE + 1}: "), message
    assert problem in message
    assert "\n" not in message


def test_ptp_line_numbers_survive_a_windows_1252_byte(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [ptp_row("98940", "97140", rationale="Mutually\x85 exclusive"),
                               ptp_row("98940", "97112", indicator="7")])
    with pytest.raises(ConfigError, match=rf"^{path}:{PTP_FIRST_ROW_LINE + 1}: the modifier"):
        load_ptp_file(path, keep_all)


def test_ptp_indicator_is_checked_even_on_rows_the_filter_drops(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [ptp_row("0001A", "36591", indicator="x")])
    with pytest.raises(ConfigError, match=rf":{PTP_FIRST_ROW_LINE}: the modifier indicator"):
        load_ptp_file(path, lambda c1, c2: False)


def test_ptp_file_that_is_not_the_ptp_file(tmp_path: Path) -> None:
    mue = mue_file(tmp_path, MUE_ROWS)
    with pytest.raises(ConfigError, match=r"no PTP edit rows .*is this the CMS practitioner PTP "
                                          r"file\?"):
        load_ptp_file(mue, keep_all)
    header_only = ptp_file(tmp_path, [], name="header-only.txt")
    with pytest.raises(ConfigError, match="no PTP edit rows"):
        load_ptp_file(header_only, keep_all)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ConfigError, match="no PTP edit rows"):
        load_ptp_file(empty, keep_all)


# --- through load_config ----------------------------------------------------------------------


def write_rules(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def mue_value(config: Config, code: str, day: dt.date = dt.date(2026, 3, 2)) -> int | None:
    limit = config.mue.limit(code, day)
    return None if limit is None else limit.value


def pairs(config: Config) -> dict[tuple[str, str], list[PtpEdit]]:
    found: dict[tuple[str, str], list[PtpEdit]] = {}
    for edits in config.ncci.values():
        for edit in edits:
            found.setdefault((edit.column1, edit.column2), []).append(edit)
    return found


def test_mue_file_takes_precedence_over_rules_toml(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules.toml", '[mue]\n"97112" = 2\n"97530" = 1\n')
    path = mue_file(tmp_path, MUE_ROWS)
    config = load_config(rules, mue_file=path)
    assert mue_value(config, "97112") == 4  # the file over the user's [mue]
    assert mue_value(config, "98941") == 2  # the file over the bundled [mue]
    assert mue_value(config, "97530") == 1  # not in the file: [mue] stays
    assert mue_value(config, "98942") == 1  # not in the file: bundled stays
    assert config.sources == ("bundled rules.toml", str(rules), f"MUE file {path}")


def test_command_line_file_wins_over_the_rules_file_setting(tmp_path: Path) -> None:
    mue_file(tmp_path, ["97112,3,3 Date of Service Edit: Clinical,Clinical: Data"],
             name="named.csv")
    given = mue_file(tmp_path, ["97112,5,3 Date of Service Edit: Clinical,Clinical: Data"],
                     name="given.csv")
    rules = write_rules(tmp_path / "rules.toml", '[settings]\nmue_file = "named.csv"\n')
    assert mue_value(load_config(rules), "97112") == 3
    assert mue_value(load_config(rules, mue_file=given), "97112") == 5


def test_reference_files_are_relative_to_the_rules_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    practice = tmp_path / "practice"
    (practice / "cms").mkdir(parents=True)
    ptp_file(practice / "cms", [ptp_row("97530", "97112", indicator="0")])
    mue_file(practice / "cms", MUE_ROWS)
    rules = write_rules(practice / "rules.toml",
                        '[settings]\nncci_file = "cms/ptp.txt"\nmue_file = "cms/mue.csv"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(rules)
    assert [e.indicator for e in pairs(config)[("97530", "97112")]] == [0]
    assert mue_value(config, "97112") == 4
    assert f"PTP file {practice / 'cms' / 'ptp.txt'}" in config.sources


def test_a_missing_file_named_in_the_rules_file(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "practice" / "rules.toml", '[settings]\nncci_file = "x.txt"\n')
    with pytest.raises(ConfigError, match=r"practice/x\.txt: cannot read reference file"):
        load_config(rules)


def test_an_absolute_path_in_the_rules_file(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [ptp_row("97530", "97112", indicator="0")])
    rules = write_rules(tmp_path / "sub" / "rules.toml", f'[settings]\nncci_file = "{path}"\n')
    assert ("97530", "97112") in pairs(load_config(rules))


def test_ptp_file_keeps_only_pairs_among_therapy_and_cmt_codes(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [
        ptp_row("98940", "97140"),   # CMT / therapy: kept
        ptp_row("97110", "97113"),   # timed / timed: kept
        ptp_row("97161", "97750"),   # eval / therapy: kept
        ptp_row("G0283", "97014"),   # G0283 always therapy, 97014 is not listed: dropped
        ptp_row("99213", "97140"),   # E/M / therapy: dropped
        ptp_row("0001A", "36591"),   # unrelated: dropped
        ptp_row("98940", "99213"),   # CMT / E/M: dropped
    ])
    found = pairs(load_config(ncci_file=path))
    from_file = {p for p, edits in found.items() if any(e.effective for e in edits)}
    assert from_file == {("98940", "97140"), ("97110", "97113"), ("97161", "97750")}


def test_codes_named_in_user_pairs_widen_the_filter(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules.toml",
                        '[[ncci]]\ncolumn1 = "99213"\ncolumn2 = "98940"\nindicator = 1\n')
    path = ptp_file(tmp_path, [ptp_row("99213", "97140"), ptp_row("0001A", "36591")])
    found = pairs(load_config(rules, ncci_file=path))
    assert ("99213", "97140") in found and ("0001A", "36591") not in found


def test_a_pair_in_the_cms_file_replaces_the_undated_rules_toml_pair(tmp_path: Path) -> None:
    path = ptp_file(tmp_path, [
        ptp_row("98940", "97140", "20200101", "20260131", "1"),
        ptp_row("97112", "98941", "20200101", "*", "0"),  # the bundled pair, other way round
    ])
    found = pairs(load_config(ncci_file=path))
    (edit,) = found[("98940", "97140")]
    assert edit.deletion == dt.date(2026, 1, 31)
    assert ("98941", "97112") not in found
    assert [e.indicator for e in found[("97112", "98941")]] == [0]
    (bundled,) = found[("98942", "97140")]  # pairs the file does not hold stay
    assert bundled.source.startswith("secondary")


# --- the command line -------------------------------------------------------------------------

CliRunner = Callable[..., CliRun]


def small_workbook(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Billing"
    ws.append(["Patient ID", "DOS", "CPT", "Mod", "Units", "Minutes", "Payer"])
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def test_cli_broken_ptp_file_one_line_exit_2(tmp_path: Path, cli: CliRunner) -> None:
    book = small_workbook(tmp_path / "billing.xlsx",
                          [["P1", dt.datetime(2026, 3, 2), "97112", "GP", 1, 15, "Medicare"]])
    broken = ptp_file(tmp_path, [ptp_row("98940", "97140"),
                                 ptp_row("98940", "97112", indicator="7")], name="broken.txt")
    run = cli("check", book, "--ncci", broken, "--as-of", "2026-06-30")
    assert run.code == 2
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(f"nmr-xl: {broken}:{PTP_FIRST_ROW_LINE + 1}: "), lines[0]
    assert "Traceback" not in run.err
    assert not list(tmp_path.glob("*.checked.*"))  # stopped before any work


def test_cli_check_with_mue_file(tmp_path: Path, cli: CliRunner) -> None:
    book = small_workbook(tmp_path / "billing.xlsx", [
        ["P1", dt.datetime(2026, 3, 2), "97112", "GP", 5, 75, "Medicare"],
        ["P2", dt.datetime(2026, 3, 2), "97112", "GP", 4, 60, "Medicare"],
    ])
    report = tmp_path / "report.json"
    run = cli("check", book, "--mue", mue_file(tmp_path, MUE_ROWS), "--as-of", "2026-06-30",
              "--no-annotate", "--report", report, "--format", "json")
    assert run.code == 1, run.err
    findings = json.loads(report.read_text(encoding="utf-8"))["files"][0]["findings"]
    assert [(f["rule"], f["cell"]) for f in findings if f["rule"] == "NMR105"] == [
        ("NMR105", "E2")]


def test_cli_rules_with_mue_file(tmp_path: Path, cli: CliRunner) -> None:
    run = cli("rules", "--mue", mue_file(tmp_path, MUE_ROWS))
    assert run.code == 0, run.err
    assert "NMR105" in run.out and "units-over-mue" in run.out
    assert run.err == ""
    broken = mue_file(tmp_path, ["97112,four,3 Date of Service Edit: Clinical,Clinical: Data"],
                      name="broken.csv")
    run = cli("rules", "--mue", broken)
    assert run.code == 2
    assert run.err == (f"nmr-xl: {broken}:{MUE_FIRST_ROW_LINE}: the MUE value of 97112 is "
                       "not a whole number\n")


def test_mue_line_edits_keep_their_adjudication_indicator(tmp_path: Path) -> None:
    path = mue_file(tmp_path, ["97110,6,1 Line Edit,Clinical: Data",
                               "97112,4,3 Date of Service Edit: Clinical,Clinical: Data"])
    limits = load_mue_file(path).limits
    assert limits["97110"] == MueLimit(6, per_line=True)
    assert limits["97112"] == MueLimit(4, per_line=False)


def test_an_mue_table_other_than_the_practitioner_one_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "facility.csv", [
        "HCPCS/CPT Code,Outpatient Hospital Services MUE Values,MUE Adjudication Indicator,"
        "MUE Rationale",
        "97112,4,3 Date of Service Edit: Clinical,Clinical: Data",
    ])
    with pytest.raises(ConfigError, match=r"facility.csv:1: this MUE table is not the practit"):
        load_mue_file(path)


def test_several_ptp_files_are_all_loaded(tmp_path: Path) -> None:
    first = ptp_file(tmp_path, [ptp_row("97530", "97112")], name="ccipra-f1.txt")
    second = ptp_file(tmp_path, [ptp_row("97530", "97110", indicator="0")], name="ccipra-f2.txt")
    config = load_config(ncci_file=[first, second])
    assert any(e.column1 == "97530" for e in config.ncci["97112"])
    assert any(e.column1 == "97530" and e.indicator == 0 for e in config.ncci["97110"])
    rules = write_rules(tmp_path / "rules.toml",
                        '[settings]\nncci_file = ["ccipra-f1.txt", "ccipra-f2.txt"]\n')
    assert len(load_config(rules).ncci["97110"]) == len(config.ncci["97110"])


# --- several quarters, by date of service -----------------------------------------------------

Q2, Q3 = "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", \
    "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"


def two_quarters(tmp_path: Path) -> list[Path]:
    return [mue_file(tmp_path, ["97112,3,3 Date of Service Edit: Clinical,Clinical: Data"],
                     name=Q2),
            mue_file(tmp_path, ["97112,4,3 Date of Service Edit: Clinical,Clinical: Data",
                                "97110,6,1 Line Edit,Clinical: Data"], name=Q3)]


def test_each_mue_file_is_in_force_from_the_date_in_its_name(tmp_path: Path) -> None:
    files = two_quarters(tmp_path)
    config = load_config(mue_file=list(reversed(files)))  # in any order
    mue = config.mue
    assert [f.effective for f in mue.files] == [dt.date(2026, 4, 1), dt.date(2026, 7, 1)]
    assert mue.period(0) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))  # until the next file
    assert mue.period(1) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))  # its quarter's end
    assert mue_value(config, "97112", dt.date(2026, 6, 30)) == 3
    assert mue_value(config, "97112", dt.date(2026, 7, 1)) == 4
    assert mue_value(config, "97110", dt.date(2026, 6, 30)) is None  # not in the Q2 file
    assert mue_value(config, "98940", dt.date(2026, 6, 30)) == 1  # the rules' [mue]
    # outside every period: the nearest file, and covers() says so
    assert not mue.covers(dt.date(2026, 3, 31)) and not mue.covers(dt.date(2026, 10, 1))
    assert mue.covers(dt.date(2026, 4, 1)) and mue.covers(dt.date(2026, 9, 30))
    assert mue_value(config, "97112", dt.date(2026, 3, 31)) == 3
    assert mue_value(config, "97112", dt.date(2026, 10, 1)) == 4
    assert config.sources[1:] == tuple(f"MUE file {p}" for p in reversed(files))


def test_a_single_mue_file_without_a_date_is_in_force_on_every_date(tmp_path: Path) -> None:
    config = load_config(mue_file=mue_file(tmp_path, MUE_ROWS))
    assert config.mue.period(0) == (None, None)
    assert config.mue.covers(dt.date(1999, 1, 1)) and mue_value(config, "97112") == 4


@pytest.mark.parametrize("names, problem", [
    (["mue.csv", Q3], "/mue.csv: with several MUE files, each needs the date it is in force "
                      "from in its name"),
    ([Q3, "copy_of_" + Q3], f"/copy_of_{Q3}: in force from the same date as {Q3}"),
    (["MCR_MUE_PractitionerServices_Eff_13-01-2026.csv"], "Eff_13-01-2026, is not a real date"),
])
def test_mue_file_names_must_say_when_they_apply(tmp_path: Path, names: list[str],
                                                 problem: str) -> None:
    files = [mue_file(tmp_path, MUE_ROWS[:1], name=name) for name in names]
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_config(mue_file=files)


def test_mue_files_named_in_a_rules_file_are_relative_to_it(tmp_path: Path) -> None:
    cms = tmp_path / "practice" / "cms"
    cms.mkdir(parents=True)
    two_quarters(cms)
    rules = write_rules(tmp_path / "practice" / "rules.toml",
                        f'[settings]\nmue_file = ["cms/{Q2}", "cms/{Q3}"]\n')
    config = load_config(rules)
    assert [f.name for f in config.mue.files] == [Q2, Q3]


def test_nmr105_on_each_side_of_a_new_mue_file_and_the_sheet_outside_them(
        tmp_path: Path, cli: CliRunner) -> None:
    book = small_workbook(tmp_path / "billing.xlsx", [
        ["P1", dt.datetime(2026, 6, 30), "97112", "GP", 4, 60, "Medicare"],  # Q2: MUE 3
        ["P2", dt.datetime(2026, 7, 1), "97112", "GP", 4, 60, "Medicare"],   # Q3: MUE 4
        ["P3", dt.datetime(2026, 10, 2), "97112", "GP", 5, 75, "Medicare"],  # after both
    ])
    q2, q3 = two_quarters(tmp_path)
    report = tmp_path / "report.json"
    run = cli("check", book, "--mue", q2, "--mue", q3, "--as-of", "2026-12-06", "--no-annotate",
              "--report", report)
    assert run.code == 1, run.err
    (result,) = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert [f["cell"] for f in result["findings"] if f["rule"] == "NMR105"] == ["E2", "E4"]
    assert result["warnings"] == [
        "The sheet 'Billing' has 1 line dated 2026-10-02, after the loaded CMS MUE files' "
        f"period (up to 2026-09-30): NMR105 checked it against the latest file ({Q2}, {Q3}); "
        "load the MUE file of its quarter."]


def test_ptp_files_of_several_quarters(tmp_path: Path) -> None:
    """A row both quarters hold is taken from the newer (which knows of its deletion); of a
    pair's rows, the one in force on the date of service counts; the files are current to the
    end of their latest edit's quarter."""
    older = ptp_file(tmp_path, [ptp_row("97530", "97140", "20201001", "*", "1"),
                                ptp_row("97530", "97116", "20201001", "*", "1")],
                     name="ccipra-v321r0-f1.TXT")
    newer = ptp_file(tmp_path, [ptp_row("97530", "97140", "20201001", "20260630", "1"),
                                ptp_row("97530", "97140", "20260701", "*", "0"),
                                ptp_row("97530", "97116", "20201001", "*", "1")],
                     name="ccipra-v322r0-f1.TXT")
    config = load_config(ncci_file=[newer, older])
    rows = pairs(config)[("97530", "97140")]
    assert [(e.indicator, e.effective, e.deletion) for e in rows] == [
        (0, dt.date(2026, 7, 1), None), (1, dt.date(2020, 10, 1), dt.date(2026, 6, 30))]
    assert len(pairs(config)[("97530", "97116")]) == 1  # one row, not one per file
    in_force = {day: next(e.indicator for e in rows if e.applies_on(day))
                for day in (dt.date(2026, 6, 30), dt.date(2026, 7, 1))}
    assert in_force == {dt.date(2026, 6, 30): 1, dt.date(2026, 7, 1): 0}
    assert [f.current_until for f in config.ptp_files] == [dt.date(2026, 9, 30),
                                                           dt.date(2020, 12, 31)]


def test_a_sheet_after_the_ptp_files_quarter_says_so(tmp_path: Path, cli: CliRunner) -> None:
    book = small_workbook(tmp_path / "billing.xlsx", [
        ["P1", dt.datetime(2026, 9, 30), "97530", "GP", 1, 15, "Medicare"],
        ["P1", dt.datetime(2026, 9, 30), "97140", "GP", 1, 15, "Medicare"],
        ["P2", dt.datetime(2026, 10, 1), "97530", "GP", 1, 15, "Medicare"],
        ["P2", dt.datetime(2026, 10, 1), "97140", "GP", 1, 15, "Medicare"],
    ])
    ptp = ptp_file(tmp_path, [ptp_row("97530", "97140", "20260701", "*", "0")],
                   name="ccipra-v322r0-f1.TXT")
    report = tmp_path / "report.json"
    run = cli("check", book, "--ncci", ptp, "--as-of", "2026-12-06", "--no-annotate",
              "--report", report)
    assert run.code == 1, run.err
    (result,) = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert [f["cell"] for f in result["findings"] if f["rule"] == "NMR306"] == ["C3", "C5"]
    assert result["warnings"] == [
        "The sheet 'Billing' has 2 lines dated 2026-10-01, after 2026-09-30, the end of the "
        "quarter of the loaded CMS PTP files' latest edits (ccipra-v322r0-f1.TXT): NMR306 "
        "checked them against those edits; load the current quarter's PTP files."]


def test_rules_prints_the_vintage_of_bundled_and_loaded_data(tmp_path: Path,
                                                             cli: CliRunner) -> None:
    bundled = " ".join(cli("rules", "--as-of", "2026-12-06").out.split())
    assert "The bundled data was last compared with its sources on 2026-12-06." in bundled
    assert ("NCCI pairs (NMR306): 19 in the rules, secondary, 19 undated; no CMS PTP file "
            "loaded: load the current quarter's (--ncci or ncci_file).") in bundled
    assert "MUE values (NMR105): 3 in the rules (98940, 98941, 98942), secondary;" in bundled
    q2, q3 = two_quarters(tmp_path)
    ptp = ptp_file(tmp_path, [ptp_row("97530", "97140", "20260701", "*", "0")],
                   name="ccipra-v322r0-f1.TXT")
    loaded = " ".join(cli("rules", "--as-of", "2026-10-05", "--mue", q2, "--mue", q3,
                          "--ncci", ptp).out.split())
    assert (f"CMS MUE files {Q2} in force 2026-04-01 to 2026-06-30; {Q3} in force 2026-07-01 "
            "to 2026-09-30 (2026-10-05 is outside them: load the MUE file of its quarter)."
            ) in loaded
    assert ("CMS PTP files ccipra-v322r0-f1.TXT: latest edits current until 2026-09-30 (before "
            "2026-10-05: load the current quarter's files).") in loaded
