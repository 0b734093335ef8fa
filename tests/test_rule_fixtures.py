"""One runner for every rule fixture in tests/fixtures/rules/NMRxxx.toml (sqlfluff-style).

A fixture file holds the cases of one rule:

    rule = "NMR004"                 # must match the file name
    header = ["Patient ID", "DOS"]  # optional default header for the cases below

    [[case]]
    name = "future date"            # unique within the file
    as_of = 2026-03-10              # optional; default DEFAULT_AS_OF, never today's date
    above = [["Export", "2026"]]    # optional title rows above the header (row 1 onwards)
    header = [...]                  # optional when the file gives one
    rows = [["P1", 2026-03-21]]     # data rows, directly under the header ("" is a blank cell)
    rules = '''...'''               # optional rules.toml text laid over the bundled defaults
    mue_file = '''...'''            # optional CMS MUE file content (load_config's mue_file)
    ncci_file = "...\\t...\\n"      # optional CMS PTP file content (load_config's ncci_file)
    only = ["NMR004"]               # optional: rule codes compared (default: the file's rule)
    expect = [[2, "NMR004"]]        # [worksheet row, code] or [row, code, "B2"] (cell checked too)
    message_contains = [[2, "NMR004", "after the check date"]]   # optional
    suppressed = 0                  # optional: TableResult.suppressed must equal this
    not_run = ["NMR106"]            # optional: codes the run summary must list as not run

The reference-file contents are written Latin-1 encoded (as CMS publishes them) to a temporary
file; `\\t` in a basic string is how a fixture writes the PTP file's tabs.

The findings of the compared rules must equal `expect` exactly, counted as a multiset of
(row, code) pairs: a missing finding, an extra one or a duplicate fails the case.

A case with `sample = true` is also a block of lines in workbooks/sample-billing.xlsx, which
workbooks/make_workbooks.py builds from the practice's clean lines and every sample case:

    [[case]]
    name = "..."
    sample = true
    header = ["CPT", "Units", ...]  # columns of the sample's own header (make_workbooks.
                                    # SAMPLE_HEADER; default: all but the Charge formula column)
    rows = [["97112", 2, ...]]
    expect = [[2, "NMR104", "H2"]]  # every rule's findings, not only the file's
    suppressed = 0                  # optional
    [case.every_row]                # optional: cells every row carries (the patient's columns)
    "Acct #" = "RB10219"

It is run as the sample holds it: laid out in the sample's whole header (the other columns
blank, the Rate from the fee schedule unless given, the Charge computed), checked as of the
sample's date with the bundled settings, and every rule's findings compared. So `as_of`,
`above`, `rules`, the reference files, `only` and `not_run` do not apply to it. Its patients
(account numbers and names) must be its own: tests/test_workbooks.py checks the sample against
the union of the sample cases' expectations.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import make_workbooks as sample
import pytest

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.engine import TableResult, check_table
from nmr_xl.model import Table
from nmr_xl.read.table import build_table

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
DEFAULT_AS_OF = dt.date(2026, 6, 30)

FILE_KEYS = {"rule", "header", "case"}
CASE_KEYS = {"name", "as_of", "above", "header", "rows", "rules", "mue_file", "ncci_file",
             "only", "expect", "message_contains", "suppressed", "not_run", "sample",
             "every_row"}
# A sample case is checked as the sample is: these do not apply to it.
NOT_IN_SAMPLE = {"as_of", "above", "rules", "mue_file", "ncci_file", "only", "not_run"}
REFERENCE_KEYS = {"mue_file": "mue.csv", "ncci_file": "ptp.txt"}
REQUIRED_CASE_KEYS = {"name", "rows", "expect"}
_CELL = re.compile(r"[A-Z]{1,3}[1-9]\d*")
_CODE = re.compile(r"NMR\d{3}")


class FixtureError(Exception):
    """A fixture file that does not follow the format above."""


@dataclass(frozen=True)
class Case:
    path: Path
    rule: str
    name: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.rule}: {self.name}"

    @property
    def in_sample(self) -> bool:
        return self.data.get("sample") is True


def _check_expect_entries(where: str, entries: Any, codes: set[str] | None, width: int
                          ) -> None:
    """`codes`: the compared rules (None: every rule, as in a sample case)."""
    if not isinstance(entries, list):
        raise FixtureError(f"{where}: must be a list")
    for entry in entries:
        ok = (isinstance(entry, list) and len(entry) in (2, width)
              and isinstance(entry[0], int) and entry[0] >= 1
              and isinstance(entry[1], str) and _CODE.fullmatch(entry[1]))
        if not ok:
            raise FixtureError(f"{where}: bad entry {entry!r}")
        if codes is not None and entry[1] not in codes:
            raise FixtureError(f"{where}: {entry[1]} is not among the compared rules {codes}")


def load_cases(path: Path) -> list[Case]:
    """Parse and validate one fixture file strictly, so a typo cannot make a case vacuous."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise FixtureError(f"{path.name}: unknown top-level keys {sorted(unknown)}")
    rule = data.get("rule")
    if rule != path.stem:
        raise FixtureError(f"{path.name}: rule = {rule!r} does not match the file name")
    cases = data.get("case")
    if not isinstance(cases, list) or not cases:
        raise FixtureError(f"{path.name}: no [[case]] entries")
    seen: set[str] = set()
    result = []
    for raw in cases:
        case = dict(raw)
        name = case.get("name", "?")
        where = f"{path.name} case {name!r}"
        if set(case) - CASE_KEYS:
            raise FixtureError(f"{where}: unknown keys {sorted(set(case) - CASE_KEYS)}")
        if REQUIRED_CASE_KEYS - set(case):
            raise FixtureError(f"{where}: missing {sorted(REQUIRED_CASE_KEYS - set(case))}")
        if name in seen:
            raise FixtureError(f"{where}: duplicate case name")
        seen.add(name)
        rows = case["rows"]
        if not (isinstance(rows, list) and all(isinstance(row, list)
                                               for row in [*case.get("above", []), *rows])):
            raise FixtureError(f"{where}: every row must be a list of cells")
        codes: set[str] | None = None  # a sample case compares every rule
        if case.setdefault("sample", False) is True:
            _check_sample_case(where, case)
        elif case["sample"] is not False:
            raise FixtureError(f"{where}: sample must be true or false")
        else:
            codes = _check_case(where, case, data.get("header"), rule)
        _check_expect_entries(f"{where} expect", case["expect"], codes, 3)
        for entry in case["expect"]:
            if len(entry) == 3 and not (isinstance(entry[2], str) and _CELL.fullmatch(entry[2])):
                raise FixtureError(f"{where}: {entry!r}: third item must be a cell like 'B2'")
        _check_expect_entries(f"{where} message_contains", case.get("message_contains", []),
                              codes, 3)
        result.append(Case(path, rule, name, case))
    return result


def _check_case(where: str, case: dict[str, Any], file_header: Any, rule: str) -> set[str]:
    """Check an ordinary case; the rule codes it compares."""
    if "every_row" in case:
        raise FixtureError(f"{where}: every_row is for sample cases only")
    case.setdefault("header", file_header)
    if not isinstance(case["header"], list) or not case["header"]:
        raise FixtureError(f"{where}: no header (in the case or the file)")
    for key in ("rules", *REFERENCE_KEYS):
        if key in case and not (isinstance(case[key], str) and case[key].strip()):
            raise FixtureError(f"{where}: {key} must be non-empty text")
    if "as_of" in case and not isinstance(case["as_of"], dt.date):
        raise FixtureError(f"{where}: as_of must be a TOML date")
    only = case.setdefault("only", [rule])
    if not (isinstance(only, list) and all(isinstance(c, str) and _CODE.fullmatch(c)
                                           for c in only)):
        raise FixtureError(f"{where}: only must be a list of rule codes")
    return set(only)


def _check_sample_case(where: str, case: dict[str, Any]) -> None:
    """Check a sample case: it must lay out in the sample's header. Every rule is compared."""
    not_here = sorted(NOT_IN_SAMPLE & set(case))
    if not_here:
        raise FixtureError(f"{where}: a sample case is checked as the sample is (as of "
                           f"{sample.AS_OF}, bundled settings, every rule): {not_here} do not "
                           "apply")
    if "header" in case and not (isinstance(case["header"], list) and case["header"]):
        raise FixtureError(f"{where}: header must be a list of the sample's column names")
    try:
        sample.sample_case_rows(case)
    except sample.SampleCaseError as exc:
        raise FixtureError(f"{where}: {exc}") from None


def sheet_rows(case: Case) -> list[list[object]]:
    """The case's sheet, row 1 first: the sample's layout for a sample case."""
    d = case.data
    if case.in_sample:
        return [[*sample.SAMPLE_HEADER],
                *(sample.sheet_values(row) for row in sample.sample_case_rows(d))]
    rows: list[list[object]] = [*d.get("above", []), d["header"], *d["rows"]]
    # "" is how a fixture writes a blank cell; a real reader hands the core None.
    return [[None if cell == "" else cell for cell in row] for row in rows]


def all_cases() -> list[Case]:
    return [case for path in sorted(FIXTURES.glob("NMR*.toml")) for case in load_cases(path)]


@cache
def default_config() -> Config:
    return load_config()


def config_for(case: Case, tmp_path: Path) -> Config:
    overlay = case.data.get("rules")
    references: dict[str, Path] = {}
    for key, name in REFERENCE_KEYS.items():
        if key in case.data:
            references[key] = tmp_path / name
            references[key].write_bytes(case.data[key].encode("latin-1"))
    if overlay is None and not references:
        return default_config()
    path = None
    if overlay is not None:
        path = tmp_path / f"{case.rule}-rules.toml"
        path.write_text(overlay, encoding="utf-8")
    return load_config(path, **references)


def run_case(case: Case, config: Config) -> TableResult:
    d = case.data
    table = build_table("Fixture", sheet_rows(case), config)
    assert isinstance(table, Table), f"no billing table found: {table}"
    expected_header_row = len(d.get("above", [])) + 1
    assert table.header_row == expected_header_row, "header found on the wrong row"
    as_of = sample.AS_OF if case.in_sample else d.get("as_of", DEFAULT_AS_OF)
    return check_table(table, config, as_of)


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_fixture(case: Case, tmp_path: Path) -> None:
    d = case.data
    result = run_case(case, config_for(case, tmp_path))
    found = [f for f in result.findings if case.in_sample or f.rule in d["only"]]

    actual = Counter((f.row, f.rule) for f in found)
    expected = Counter((e[0], e[1]) for e in d["expect"])
    assert actual == expected, (
        f"\nmissing: {sorted((expected - actual).elements())}"
        f"\nunexpected: {sorted((actual - expected).elements())}"
        f"\nfindings: {[(f.row, f.rule, f.cell, f.message) for f in found]}"
    )

    cells = Counter((f.row, f.rule, f.cell) for f in found)
    wanted_cells = Counter((e[0], e[1], e[2]) for e in d["expect"] if len(e) == 3)
    assert not wanted_cells - cells, (
        f"findings point at the wrong cell: wanted {sorted(wanted_cells.elements())}, "
        f"got {sorted(cells.elements())}"
    )

    for row, code, text in d.get("message_contains", []):
        messages = [f.message for f in found if f.row == row and f.rule == code]
        assert any(text in m for m in messages), f"{text!r} not in {messages}"

    if "suppressed" in d:
        assert result.suppressed == d["suppressed"]

    for code in d.get("not_run", []):
        assert any(code in entry for entry in result.not_run), (
            f"{code} not reported as not run: {result.not_run}"
        )


def test_fixture_runner_can_fail(tmp_path: Path) -> None:
    """A case whose expectation is wrong must fail: the runner is not vacuous."""
    path = tmp_path / "NMR004.toml"
    path.write_text(
        'rule = "NMR004"\nheader = ["Patient ID", "DOS", "CPT", "Units"]\n'
        '[[case]]\nname = "wrong on purpose"\nas_of = 2026-03-10\n'
        'rows = [["P1", 2026-03-21, "97112", 1]]\nexpect = []\n',
        encoding="utf-8",
    )
    (case,) = load_cases(path)
    with pytest.raises(AssertionError):
        test_rule_fixture(case, tmp_path)


SAMPLE_CASE = (
    'rule = "NMR004"\n[[case]]\nname = "ahead"\nsample = true\n'
    'header = ["Acct #", "DOS", "CPT", "Units"]\n'
    'rows = [["RB1", 2026-03-30, "98940", 1], ["RB1", 2026-04-06, "98940", 1]]\n'
    'expect = [[3, "NMR004"]]\n'
)


def test_a_sample_case_compares_every_rule_in_the_sample_layout(tmp_path: Path) -> None:
    """Laid out in the sample's header, checked as of the sample's date: right as written;
    a finding of another rule the case does not expect (here NMR105) fails it."""
    path = tmp_path / "NMR004.toml"
    path.write_text(SAMPLE_CASE, encoding="utf-8")
    (case,) = load_cases(path)
    assert sheet_rows(case)[0] == sample.SAMPLE_HEADER
    test_rule_fixture(case, tmp_path)
    path.write_text(SAMPLE_CASE.replace('"98940", 1]]', '"98940", 2]]'), encoding="utf-8")
    (case,) = load_cases(path)
    with pytest.raises(AssertionError, match="NMR105"):
        test_rule_fixture(case, tmp_path)


@pytest.mark.parametrize("text, problem", [
    ('rule = "NMR004"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\nexpect = []\n'
     'expct = []\n', "unknown keys"),
    ('rule = "NMR005"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\nexpect = []\n',
     "does not match"),
    ('rule = "NMR004"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\n'
     'expect = [[2, "NMR001"]]\n', "not among the compared rules"),
    ('rule = "NMR004"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\n'
     'expect = [[2, "NMR004", "row 2"]]\n', "third item"),
    ('rule = "NMR004"\n[[case]]\nname = "x"\nrows = []\nexpect = []\n', "no header"),
    ('rule = "NMR004"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\nexpect = []\n'
     'mue_file = 3\n', "mue_file must be non-empty text"),
    ('rule = "NMR004"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\nexpect = []\n'
     'ncci_file = ""\n', "ncci_file must be non-empty text"),
    # sample cases
    (SAMPLE_CASE + 'as_of = 2026-04-30\n', r"\['as_of'\] do not apply"),
    (SAMPLE_CASE + 'only = ["NMR004"]\n', r"\['only'\] do not apply"),
    (SAMPLE_CASE.replace('"Units"]', '"Qty"]'), "'Qty'.* not among the sample's typed columns"),
    (SAMPLE_CASE + '[case.every_row]\nCPT = "98940"\n', r"\['CPT'\] given twice"),
    (SAMPLE_CASE.replace("sample = true", 'sample = "yes"'), "sample must be true or false"),
    ('rule = "NMR004"\n[[case]]\nname = "x"\nheader = ["CPT"]\nrows = []\nexpect = []\n'
     '[case.every_row]\nCPT = "97112"\n', "every_row is for sample cases only"),
])
def test_fixture_format_is_strict(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "NMR004.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError, match=problem):
        load_cases(path)
