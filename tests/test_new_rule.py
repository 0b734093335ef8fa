"""Adding a rule is three things: the rule in a family module (its check, docs and the settings
it reads, declared once), its fixture file, and its setting's default in rules.toml. This test
adds a throwaway rule exactly that way, in a temporary module, fixture folder and copy of the
bundled rules.toml, and finds it everywhere the registry feeds, with no other edit: `nmr-xl
rules`, `nmr-xl explain`, the generated README table, docs/rules.md and catalogue, the rules
file's validation, the fixture runner, the sample workbook and a real `nmr-xl check`.

Each place is one entry of VIEWS: a function that renders it with the throwaway registered, and
the text that must appear in it. The fixture's sample case also puts the rule into the sample
workbook: its expected findings (make_workbooks.sample_expectations) and a sample built with it.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import make_workbooks
import pytest
import test_rule_docs
import test_rule_fixtures
from openpyxl import Workbook

from nmr_xl import docs
from nmr_xl.cli import main
from nmr_xl.config import load
from nmr_xl.errors import ConfigError
from nmr_xl.rules import RULES, SETTINGS

CODE = "NMR990"
NAME = "throwaway-many-units"
SUMMARY = "More units of one code on one line than the practice allows."

# The rule, as a family module holds it: the setting it reads is declared beside it.
MODULE = f'''
"""A throwaway rule family for tests/test_new_rule.py."""

from __future__ import annotations

from collections.abc import Iterator

from nmr_xl.config.schema import Setting, is_pos_int
from nmr_xl.model import Field, Line, Severity
from nmr_xl.rules.registry import Context, Hit, rule

MOST_UNITS = Setting("throwaway.most_units", is_pos_int, int,
                     "Most units of one code a line may bill.")


@rule("{CODE}", "{NAME}", Severity.WARNING, scope="line", target=Field.UNITS,
      requires=(Field.UNITS,), settings=(MOST_UNITS,))
def many_units(line: Line, ctx: Context) -> Iterator[Hit]:
    """{SUMMARY}

    What it checks: the units of a line against the practice's most units per line.
    Why: a units typo (20 for 2) bills ten times the service.
    Example: 97110 x9 when the practice bills at most 4 units per line.
    Configuration: [throwaway] most_units.
    Source (secondary): a test of nmr-xl's rule registry, not a payer rule.
    """
    most = ctx.value(MOST_UNITS)
    if line.units is not None and line.units > most:
        yield Hit(line, f"{{line.units:g}} units on one line (most: {{most}}).",
                  "Check the units against the minutes.")
'''

# Its fixture file, as tests/fixtures/rules/ holds them.
FIXTURE = f'''
rule = "{CODE}"
header = ["Patient ID", "DOS", "CPT", "Units"]

[[case]]
name = "more units than the practice allows"
rows = [["P1", 2026-03-02, "97110", 9]]
expect = [[2, "{CODE}", "D2"]]

[[case]]
name = "within the limit"
rows = [["P1", 2026-03-02, "97110", 4]]
expect = []

[[case]]
name = "a practice's own limit"
rules = """
[throwaway]
most_units = 10
"""
rows = [["P1", 2026-03-02, "97110", 9]]
expect = []

[[case]]
name = "sample: a units typo in the sample workbook"
sample = true
header = ["Acct #", "Patient", "DOS", "CPT", "Mod 1", "Units", "Tx Min", "Primary Ins"]
rows = [["RB10990", "Throwaway, Tess", 2026-03-20, "97110", "GP", 9, 135, "Self Pay"]]
expect = [[2, "{CODE}", "H2"]]
'''

# Its default, as the bundled rules.toml holds it.
DEFAULTS = "\n[throwaway]\n# Most units of one code a line may bill.\nmost_units = 4\n"


@dataclass(frozen=True)
class Throwaway:
    root: Path
    fixtures: Path  # the fixture folder, holding the throwaway's file

    def run(self, capsys: pytest.CaptureFixture[str], *args: object) -> str:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert err == "", err
        return f"exit {code}\n{out}"


@pytest.fixture
def throwaway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Throwaway]:
    """The throwaway rule registered from its module, fixture and defaults; gone afterwards."""
    rules, settings = dict(RULES), dict(SETTINGS)
    bundled = tmp_path / "rules.toml"
    bundled.write_text(load.bundled_rules_path().read_text(encoding="utf-8") + DEFAULTS,
                       encoding="utf-8")
    monkeypatch.setattr(load, "bundled_rules_path", lambda: bundled)
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / f"{CODE}.toml").write_text(FIXTURE, encoding="utf-8")
    module = tmp_path / "throwaway_family.py"
    module.write_text(MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("throwaway_family", module)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    test_rule_fixtures.default_config.cache_clear()  # loaded before the rule was registered
    try:
        yield Throwaway(tmp_path, fixtures)
    finally:
        test_rule_fixtures.default_config.cache_clear()
        RULES.clear()
        RULES.update(rules)
        SETTINGS.clear()
        SETTINGS.update(settings)


# --- the places a rule shows up -----------------------------------------------------------------


def _rules(t: Throwaway, capsys: pytest.CaptureFixture[str]) -> str:
    """`nmr-xl rules`, its columns' padding folded."""
    return "\n".join(" ".join(line.split()) for line in t.run(capsys, "rules").splitlines())


def _explain(t: Throwaway, capsys: pytest.CaptureFixture[str]) -> str:
    return t.run(capsys, "explain", CODE.lower())


def _generated(path: Path) -> Callable[[Throwaway, pytest.CaptureFixture[str]], str]:
    return lambda t, capsys: docs.generated()[path]


def _fixtures(t: Throwaway, capsys: pytest.CaptureFixture[str]) -> str:
    """The fixture runner, and tests/test_rule_docs.py's rule for fixture files, on its folder."""
    cases = test_rule_fixtures.load_cases(t.fixtures / f"{CODE}.toml")
    for n, case in enumerate(cases):
        (t.root / f"case{n}").mkdir()
        test_rule_fixtures.test_rule_fixture(case, t.root / f"case{n}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(test_rule_docs, "FIXTURES", t.fixtures)
        test_rule_docs.test_every_rule_has_a_fixture_file_with_firing_and_clean_cases(CODE)
    return f"{len(cases)} cases of {CODE} pass"


def _check(t: Throwaway, capsys: pytest.CaptureFixture[str]) -> str:
    """A workbook checked from the command line: the rule runs with its default and a
    practice's own value."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Patient ID", "DOS", "CPT", "Units"], ["P1", "03/02/2026", "97110", 9],
                ["P2", "03/02/2026", "97110", 3]):
        sheet.append(row)
    path = t.root / "billing.xlsx"
    book.save(path)
    own = t.root / "own.toml"
    own.write_text("[throwaway]\nmost_units = 2\n", encoding="utf-8")
    found = []
    for extra in ([], ["--rules", own]):
        out = t.run(capsys, "check", path, "--as-of", "2026-03-31", "--no-annotate",
                    "--format", "json", "--jobs", "1", *extra)
        report = json.loads(out.split("\n", 1)[1])
        found.append(sorted((f["row"], f["rule"]) for file in report["files"]
                            for f in file["findings"] if f["rule"] == CODE))
    return repr(found)


def _sample(t: Throwaway, capsys: pytest.CaptureFixture[str]) -> str:
    """The sample workbook: its expected findings take in the fixture's sample case, and the
    sample built with it shows the rule there."""
    folders = (make_workbooks.FIXTURES, t.fixtures)
    expected = [row for row, rule in make_workbooks.sample_expectations(folders).findings
                if rule == CODE]
    sample, _ = make_workbooks.generate(t.root / "sample", folders)
    out = t.run(capsys, "check", sample, "--as-of", make_workbooks.AS_OF, "--no-annotate",
                "--format", "json", "--jobs", "1")
    report = json.loads(out.split("\n", 1)[1])
    found = [f["row"] for file in report["files"] for f in file["findings"] if f["rule"] == CODE]
    return f"expected on {len(expected)} row, " + ("found there" if found == expected else
                                                   f"found on rows {found}, not {expected}")


def _validation(t: Throwaway, capsys: pytest.CaptureFixture[str]) -> str:
    """The rules file's keys and types are checked against the rule's declaration."""
    messages = []
    for text in ("[throwaway]\nmost_unit = 2\n", "[throwaway]\nmost_units = \"two\"\n",
                 f'[rules]\n{CODE} = "off"\n'):
        path = t.root / "practice.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load.load_config(path)
            messages.append("loaded")
        except ConfigError as exc:
            messages.append(str(exc).replace(str(path), "practice.toml"))
    return "\n".join(messages)


VIEWS: dict[str, tuple[Callable[[Throwaway, pytest.CaptureFixture[str]], str], list[str]]] = {
    "nmr-xl rules": (_rules, [f"\n{CODE} {NAME} warning on"]),
    "nmr-xl explain": (_explain, [
        f"{CODE} {NAME} (warning; applies to every payer)", SUMMARY,
        "Configuration:\n  [throwaway] most_units.",
        "Settings (rules.toml, as loaded):\n  throwaway.most_units = 4\n"
        "    Most units of one code a line may bill."]),
    "README rule table": (_generated(docs.README), [
        f"| {CODE} | `{NAME}` | warning | secondary | {SUMMARY} |\n<!-- rules:end -->"]),
    "docs/rules.md": (_generated(docs.REFERENCE), [
        f"## {CODE} `{NAME}`", "- **Settings:** `throwaway.most_units`",
        "### `throwaway.most_units`\n\nMost units of one code a line may bill.\n\n"
        f"- Default: `4`\n- Read by: {CODE}"]),
    "rule catalogue": (_generated(docs.CATALOGUE), [
        f'[{CODE}]\nname = "{NAME}"\nseverity = "warning"\nmedicare_only = false']),
    "fixture runner": (_fixtures, [f"4 cases of {CODE} pass"]),
    "sample workbook": (_sample, ["expected on 1 row, found there"]),
    "nmr-xl check": (_check, [f"[[(2, '{CODE}')], [(2, '{CODE}'), (3, '{CODE}')]]"]),
    "rules file validation": (_validation, [
        "practice.toml:2: 'throwaway.most_unit' is not a known setting (known here: "
        "most_units)",
        "practice.toml:2: 'throwaway.most_units' must be a whole number above 0, not 'two'",
        "loaded"]),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_a_rule_declared_once_shows_up_everywhere(
        view: str, throwaway: Throwaway, capsys: pytest.CaptureFixture[str]) -> None:
    render, expected = VIEWS[view]
    text = render(throwaway, capsys)
    for part in expected:
        assert part in text, f"{view}: {part!r} not in:\n{text}"


def test_without_its_registration_it_shows_up_nowhere() -> None:
    """The throwaway is not in the repository's registry, docs or catalogue."""
    assert CODE not in RULES and "throwaway.most_units" not in SETTINGS
    assert all(CODE not in text for text in docs.generated().values())
    assert docs.stale() == []
