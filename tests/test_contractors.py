"""Contractor scope: a Medicare edit that is one contractor's (NMR302's AT with GA, NMR005's one
line per timed code) is an error where the line's contractor applies it on that date of
service, and a warning that says whose edit it is everywhere else. The line's contractor comes
from a payer cell that names a MAC, else from [practice] contractor."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.engine import check_table
from nmr_xl.errors import ConfigError
from nmr_xl.model import Finding, Severity, Table
from nmr_xl.read.table import build_table

HEADER = ["Patient ID", "DOS", "CPT", "Mod", "Units", "Minutes", "Payer"]
AS_OF = dt.date(2026, 6, 30)


@cache
def defaults() -> Config:
    return load_config()


def practice(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "practice.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def findings(rows: list[list[object]], config: Config, code: str) -> list[Finding]:
    table = build_table("Billing", [HEADER, *rows], config)
    assert isinstance(table, Table)
    return [f for f in check_table(table, config, AS_OF).findings if f.rule == code]


def at_with_ga(day: dt.date, payer: str, config: Config, mods: str = "AT GA") -> Finding:
    (found,) = findings([["P1", day, "98940", mods, 1, "", payer]], config, "NMR302")
    return found


# --- which contractor a line has ----------------------------------------------------------------


@pytest.mark.parametrize("payer, contractors", [
    ("Medicare - Palmetto GBA", {"palmetto-jj", "palmetto-jm"}),
    ("Medicare Palmetto GBA JM", {"palmetto-jm"}),
    ("Noridian", {"noridian-je", "noridian-jf"}),
    ("Medicare - Noridian JF", {"noridian-jf"}),
    ("Medicare Part B (First Coast)", {"first-coast-jn"}),
    ("RRB - Palmetto", {"palmetto-rrb"}),
    ("Railroad Medicare", {"palmetto-rrb"}),
    ("Novitas Solutions JL", {"novitas-jl"}),
    ("NGS Medicare", {"ngs-j6", "ngs-jk"}),
    ("CGS Administrators", {"cgs-j15"}),
    ("Medicare", set()),
    ("Aetna", set()),
    (None, set()),
])
def test_a_payer_cell_naming_a_mac_sets_the_contractor(payer: str | None,
                                                       contractors: set[str]) -> None:
    assert defaults().contractors_for(payer) == contractors


def test_the_practice_contractor_fills_in_and_narrows(tmp_path: Path) -> None:
    config = practice(tmp_path, '[practice]\ncontractor = "JM"\n')
    assert config.practice_contractor == "palmetto-jm"
    assert config.contractors_for("Medicare") == {"palmetto-jm"}
    assert config.contractors_for("Medicare - Palmetto GBA") == {"palmetto-jm"}  # narrowed
    assert config.contractors_for("Novitas") == {"novitas-jh", "novitas-jl"}  # the cell wins


@pytest.mark.parametrize("named, contractor", [
    ("first-coast-jn", "first-coast-jn"), ("JN", "first-coast-jn"), ("jn", "first-coast-jn"),
    ("FL", "first-coast-jn"), ("pr", "first-coast-jn"), ("J15", "cgs-j15"), ("OH", "cgs-j15"),
    ("", None),
])
def test_practice_contractor_by_id_jurisdiction_or_state(tmp_path: Path, named: str,
                                                         contractor: str | None) -> None:
    config = practice(tmp_path, f'[practice]\ncontractor = "{named}"\n')
    assert config.practice_contractor == contractor


@pytest.mark.parametrize("text, problem", [
    ('[practice]\ncontractor = "XX"\n', "'XX' is not a contractor id, jurisdiction or state"),
    ('[contractors.acme]\nname = "Acme"\njurisdiction = "JX"\nstates = ["FL"]\n'
     '[practice]\ncontractor = "FL"\n', "'FL' names several contractors"),
    ('[contractor_edits.split_timed_code]\nacme = [{value = true, source = "x"}]\n',
     "'acme' is not a contractor"),
    ('[contractor_edits.split_timed_code]\nfirst-coast-jn = [{value = true}]\n',
     ":2: 'contractor_edits.split_timed_code.first-coast-jn#1' lacks 'source'"),
    ('[contractors."First Coast"]\nname = "x"\n', "is not a contractor id"),
])
def test_contractor_data_is_validated(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        practice(tmp_path, text)


# --- NMR302: AT with GA -------------------------------------------------------------------------

PALMETTO_EDIT = dt.date(2015, 11, 1)


def test_palmetto_rejects_at_with_ga_from_2015_11_01() -> None:
    before = at_with_ga(PALMETTO_EDIT - dt.timedelta(days=1), "Medicare - Palmetto GBA",
                        defaults())
    assert before.severity is Severity.WARNING
    assert "is not known to apply it" in before.message
    after = at_with_ga(PALMETTO_EDIT, "Medicare - Palmetto GBA", defaults())
    assert after.severity is Severity.ERROR
    assert after.message == ("98940 carries AT together with GA, which Palmetto GBA (JJ, JM) "
                             "rejects, dates of service from 2015-11-01.")


def test_elsewhere_at_with_ga_is_a_warning_naming_whose_edit_it_is(tmp_path: Path) -> None:
    unknown = at_with_ga(dt.date(2026, 3, 2), "Medicare", defaults())
    assert unknown.severity is Severity.WARNING
    assert unknown.message == (
        "98940 carries AT together with GA, which conflict: AT says this is covered active "
        "treatment, GA that a denial is expected (Noridian Healthcare Solutions (JE, JF) and "
        "Palmetto GBA (JJ, JM) reject such lines); this line's Medicare contractor is not known "
        "(set [practice] contractor in your rules file).")
    texas = at_with_ga(dt.date(2026, 3, 2), "Medicare",
                       practice(tmp_path, '[practice]\ncontractor = "TX"\n'))
    assert texas.severity is Severity.WARNING
    assert "this line's contractor, Novitas Solutions (JH), is not known to apply it" in \
        texas.message


def test_the_practice_contractor_makes_it_an_error(tmp_path: Path) -> None:
    config = practice(tmp_path, '[practice]\ncontractor = "NC"\n')
    assert at_with_ga(dt.date(2026, 3, 2), "Medicare", config).severity is Severity.ERROR
    # a payer cell naming another MAC wins over the practice's
    assert at_with_ga(dt.date(2026, 3, 2), "Medicare Novitas", config).severity \
        is Severity.WARNING


def test_noridian_rejects_at_with_every_denial_modifier_palmetto_only_ga() -> None:
    for mods in ("AT GA", "AT GY", "AT GX", "AT GZ"):
        assert at_with_ga(dt.date(2010, 1, 4), "Noridian JE", defaults(), mods).severity \
            is Severity.ERROR  # undated: in force on every date
    gy = at_with_ga(dt.date(2026, 3, 2), "Palmetto GBA", defaults(), "AT GY")
    assert gy.severity is Severity.WARNING
    assert "(Noridian Healthcare Solutions (JE, JF) reject such lines)" in gy.message


def test_a_configured_level_still_wins(tmp_path: Path) -> None:
    config = practice(tmp_path, '[rules]\nNMR302 = "info"\n')
    assert at_with_ga(PALMETTO_EDIT, "Palmetto GBA", config).severity is Severity.INFO


def test_the_general_medicare_part_stays_an_error() -> None:
    rows: list[list[object]] = [["P1", dt.date(2026, 3, 2), "98940", "", 1, "", "Medicare"],
                                ["P2", dt.date(2026, 3, 2), "98941", "GA GZ", 1, "", "Medicare"]]
    assert [f.severity for f in findings(rows, defaults(), "NMR302")] == [Severity.ERROR] * 2


# --- NMR005: a timed code on one line per date of service ---------------------------------------

FIRST_COAST_EDIT = dt.date(2021, 4, 19)


def split(day: dt.date, payer: str, config: Config) -> Finding:
    rows: list[list[object]] = [["P1", day, "97110", "GP", 1, 15, payer],
                                ["P1", day, "97110", "GP", 1, 15, payer]]
    (found,) = findings(rows, config, "NMR005")
    return found


def test_first_coast_rejects_split_timed_codes_from_2021_04_19(tmp_path: Path) -> None:
    florida = practice(tmp_path, '[practice]\ncontractor = "FL"\n')
    before = split(FIRST_COAST_EDIT - dt.timedelta(days=1), "Medicare", florida)
    assert before.severity is Severity.WARNING
    after = split(FIRST_COAST_EDIT, "Medicare", florida)
    assert after.severity is Severity.ERROR
    assert after.message == (
        "97110 is billed on 2 lines for this visit (rows 2 and 3); First Coast Service Options "
        "(JN) rejects claims whose timed codes are not on one line per date of service (claims "
        "from 2021-04-19).")
    assert split(FIRST_COAST_EDIT, "Medicare - First Coast", defaults()).severity \
        is Severity.ERROR


def test_elsewhere_a_split_timed_code_is_a_warning() -> None:
    found = split(dt.date(2026, 3, 2), "Medicare - Noridian JF", defaults())
    assert found.severity is Severity.WARNING
    assert found.message == (
        "97110 is billed on 2 lines for this visit (rows 2 and 3): Medicare contractors may "
        "deny the repeated line as a duplicate; First Coast Service Options (JN) rejects such "
        "claims.")
