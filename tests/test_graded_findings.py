"""Findings a rule grades down when it cannot be sure (the fixtures compare rows and rules, not
severities): NMR102 for a payer whose unit method is only assumed, NMR310 on a running total
built from charges or from a year rules.toml has no threshold for. (NMR208 on a payer policy
known only from a secondary source stays an error, the catalogue's grade: the message names the
source and the advice says to confirm it.) A grade never goes up: a
practice's lower level stays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.engine import check_table
from nmr_xl.model import Table
from nmr_xl.read.table import build_table

AS_OF = dt.date(2027, 6, 30)


def graded(rows: list[list[object]], config: Config | None = None,
           rules: tuple[str, ...] = ("NMR102", "NMR310")) -> list[tuple[int, str, str]]:
    config = config or load_config()
    table = build_table("Sheet", rows, config)
    assert isinstance(table, Table)
    return [(f.row, f.rule, f.severity.value) for f in check_table(table, config, AS_OF).findings
            if f.rule in rules]


def overlay(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "practice.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


UNITS = ["Patient ID", "DOS", "CPT", "Units", "Minutes", "Payer"]
# CMS Example 1 (24 + 23 minutes) billed per code, 2 + 2: 3 units under CMS, 4 under the
# midpoint rule code by code.
PER_CODE = [[dt.date(2026, 3, 2), "97112", 2, 24], [dt.date(2026, 3, 2), "97110", 2, 23]]


def per_code(payer: str) -> list[list[object]]:
    return [UNITS, *[[f"P-{payer}", *line, payer] for line in PER_CODE]]


def test_units_the_midpoint_rule_allows_are_a_warning_for_a_payer_with_no_profile() -> None:
    assert graded(per_code("Cigna")) == [(3, "NMR102", "warning")]
    assert graded(per_code("")) == [(3, "NMR102", "warning")]  # no payer named: default profile


def test_a_payer_whose_method_is_known_keeps_the_error() -> None:
    assert graded(per_code("Medicare")) == [(3, "NMR102", "error")]
    assert graded(per_code("Aetna")) == [(3, "NMR102", "error")]  # profile sets unit_method


def test_units_no_method_allows_stay_an_error_for_a_payer_with_no_profile() -> None:
    rows = [UNITS, ["P1", dt.date(2026, 3, 2), "97110", 1, 7, "Cigna"]]
    assert graded(rows) == [(2, "NMR102", "error")]


def test_the_profile_setting_turns_the_grading_off(tmp_path: Path) -> None:
    config = overlay(tmp_path, "[profiles.default]\nunit_method_assumed = false\n")
    assert graded(per_code("Cigna"), config) == [(3, "NMR102", "error")]


def test_a_lower_level_set_by_the_practice_is_not_raised(tmp_path: Path) -> None:
    config = overlay(tmp_path, '[rules]\nNMR102 = "info"\n')
    assert graded(per_code("Cigna"), config) == [(3, "NMR102", "info")]
    assert graded(per_code("Medicare"), config) == [(3, "NMR102", "info")]


KX = ["Patient ID", "DOS", "CPT", "Mod", "Units", "Charge", "Allowed", "Payer"]


def test_kx_from_allowed_amounts_is_an_error_from_charges_a_warning() -> None:
    rows = [KX,
            ["P1", dt.date(2026, 2, 2), "97110", "GP", 4, 1500, 1300, "Medicare"],
            ["P1", dt.date(2026, 2, 9), "97110", "GP", 4, 1500, 1300, "Medicare"],
            ["P2", dt.date(2026, 2, 2), "97110", "GP", 4, 1500, 1300, "Medicare"],
            ["P2", dt.date(2026, 2, 9), "97110", "GP", 4, 1500, None, "Medicare"]]
    assert graded(rows) == [(3, "NMR310", "error"), (5, "NMR310", "warning")]


def test_kx_in_a_year_without_its_threshold_is_a_warning() -> None:
    rows = [KX, ["P1", dt.date(2027, 2, 2), "97110", "GP", 4, 2600, 2500, "Medicare"]]
    assert graded(rows) == [(2, "NMR310", "warning")]


NMR = ["Patient ID", "DOS", "CPT", "Units", "Payer"]


def test_a_payer_exclusion_is_an_error_whatever_its_source(tmp_path: Path) -> None:
    rows = [NMR, ["P1", dt.date(2026, 3, 2), "97112", 2, "BCBS of Tennessee"]]
    assert graded(rows, rules=("NMR208",)) == [(2, "NMR208", "error")]
    config = overlay(tmp_path, '[profiles.bcbs-tennessee]\nnmr_excluded = [{value = true, '
                               'source = "primary: the payer\'s policy, read 2026-01-05"}]\n')
    assert graded(rows, config, rules=("NMR208",)) == [(2, "NMR208", "error")]
