"""rules.toml loading: layering over the bundled defaults, strict validation, payer profiles."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from nmr_xl.config.load import load_config, parse_rules_text
from nmr_xl.config.model import Config, DxFamilies
from nmr_xl.engine import check_table
from nmr_xl.errors import ConfigError
from nmr_xl.model import Field, Severity, Table
from nmr_xl.read.table import build_table
from nmr_xl.reference import MueLimit
from nmr_xl.rules import get_rule, level_for
from nmr_xl.rules.common import TIMED_CODES
from nmr_xl.rules.nmr import (
    ASSISTANT_QUALIFIED,
    EPISODE_GAP_DAYS,
    NEUROMUSCULAR,
    NMR_CODES,
    NMR_EXCLUDED,
    NMR_VISIT_LIMIT,
    NMR_WINDOW_DAYS,
)
from nmr_xl.rules.payer import ALWAYS_THERAPY, CMT_CODES, DISCIPLINE_MODIFIERS, DISTINCT_MODIFIERS
from nmr_xl.rules.time_units import PROVIDER_DAY_MINUTES, UNIT_METHOD


@cache
def defaults() -> Config:
    return load_config()


def write(tmp_path: Path, text: str, name: str = "practice-rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text))


def level(config: Config, code: str, payer: str | None) -> Severity | None:
    rule = get_rule(code)
    assert rule is not None
    return level_for(rule, config.profile_for(payer), config)


# --- the bundled defaults -------------------------------------------------------------------------


def test_bundled_defaults() -> None:
    config = defaults()
    assert config.sources == ("bundled rules.toml",)
    assert config.value(PROVIDER_DAY_MINUTES) == 480
    assert config.value(EPISODE_GAP_DAYS) == 60
    assert config.header_search_rows == 30
    assert not config.day_first
    assert config.value(NMR_CODES) == {"97112"}
    assert {"97110", "97112", "97140", "97035"} <= config.value(TIMED_CODES)
    assert "98940" not in config.value(TIMED_CODES)
    assert set(config.profiles) == {"default", "medicare", "medicare-advantage", "aetna",
                                    "bcbs-tennessee"}
    aetna = config.profiles["aetna"]
    before_revision = dt.date(2025, 10, 28)  # CPB 0325's standard, dropped on 2025-10-29
    assert (aetna.value(NMR_VISIT_LIMIT, on=before_revision),
            aetna.value(NMR_WINDOW_DAYS, on=before_revision),
            aetna.value(UNIT_METHOD)) == (18, 42, "cms")
    assert config.profiles["bcbs-tennessee"].value(NMR_EXCLUDED, on=dt.date(2026, 3, 2))
    medicare = config.profiles["medicare"]
    assert medicare.medicare and medicare.value(DISCIPLINE_MODIFIERS)
    advantage = config.profiles["medicare-advantage"]
    assert not advantage.medicare  # a commercial plan: the Medicare-only rules do not apply
    assert advantage.value(DISCIPLINE_MODIFIERS) and advantage.value(UNIT_METHOD) == "cms"
    assert not any(config.profiles[p].value(DISCIPLINE_MODIFIERS)
                   for p in ("default", "aetna", "bcbs-tennessee"))
    assert not config.value(ASSISTANT_QUALIFIED)
    assert config.value(CMT_CODES) == {"98940", "98941", "98942"}
    therapy = config.value(ALWAYS_THERAPY, on=dt.date(2026, 3, 2))
    assert {"97112", "97110", "97140", "97530", "97161", "G0283"} <= therapy
    assert "98940" not in therapy and "97010" not in therapy
    assert config.value(TIMED_CODES) <= therapy
    assert {c: m.on(dt.date(2026, 3, 2)) for c, m in config.mue.table.items()} == {
        c: MueLimit(1) for c in ("98940", "98941", "98942")}
    assert not config.mue.files


def test_bundled_reference_data() -> None:
    config = defaults()
    assert {"GP", "GO", "GN", "AT", "GA", "GZ", "GY", "GX", "CQ", "CO", "KX", "59",
            "XE", "XS", "XP", "XU"} <= config.known_modifiers
    assert config.value(DISTINCT_MODIFIERS) == {"59", "XE", "XS", "XP", "XU"}
    pairs = {(e.column1, e.column2, e.indicator) for edits in config.ncci.values()
             for e in edits}
    assert len(pairs) == 19
    assert {(cmt, code, 1) for cmt in ("98940", "98941", "98942")
            for code in ("97112", "97124", "97140")} <= pairs
    # RULES.md: there is no confirmed 97112/97530 edit, so none is shipped.
    assert not {p for p in pairs if {p[0], p[1]} == {"97112", "97530"}}
    every = [e for edits in config.ncci.values() for e in edits]
    assert all(e.source.startswith("secondary") for e in every)
    assert all(e.effective is None and e.deletion is None for e in every)
    assert all(e.column2 == code for code, edits in config.ncci.items() for e in edits)


def test_bundled_file_is_valid_on_its_own() -> None:
    from nmr_xl.config.load import bundled_rules_path

    data = parse_rules_text(bundled_rules_path().read_text(encoding="utf-8"), "bundled")
    assert "profiles" in data and "default" in data["profiles"]


# --- layering -------------------------------------------------------------------------------------


def test_a_user_file_changes_only_what_it_names(tmp_path: Path) -> None:
    path = write(tmp_path, "[settings]\nprovider_day_minutes = 420\n")
    config = load_config(path)
    assert config.value(PROVIDER_DAY_MINUTES) == 420
    assert config.value(EPISODE_GAP_DAYS) == 60  # untouched sibling keeps its default
    assert config.header_search_rows == 30
    assert config.value(TIMED_CODES) == defaults().value(TIMED_CODES)
    assert config.sources == ("bundled rules.toml", str(path))


def test_modifier_lists_extend_the_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, '[modifiers]\nknown = ["ZZ", "gp"]\ndistinct = ["XS", "77"]\n')
    assert config.known_modifiers == defaults().known_modifiers | {"ZZ"}
    assert config.value(DISTINCT_MODIFIERS) == defaults().value(DISTINCT_MODIFIERS) | {"77"}


def test_a_user_mue_table_merges_with_the_bundled_values(tmp_path: Path) -> None:
    config = load(tmp_path, '[mue]\n"97112" = 4\n"98940" = 2\n')
    values = {c: m.on(dt.date(2026, 3, 2)) for c, m in config.mue.table.items()}
    assert values == {"97112": MueLimit(4), "98940": MueLimit(2), "98941": MueLimit(1),
                      "98942": MueLimit(1)}


def test_a_user_ncci_pair_is_loaded(tmp_path: Path) -> None:
    config = load(tmp_path, '[[ncci]]\ncolumn1 = "97530"\ncolumn2 = "97112"\nindicator = 0\n')
    (edit,) = [e for e in config.ncci["97112"] if e.column1 == "97530"]
    assert (edit.indicator, edit.source, edit.effective, edit.deletion) == (0, "", None, None)


def test_lists_replace_the_default_list(tmp_path: Path) -> None:
    config = load(tmp_path, '[codes]\ntimed = ["97110", "97112"]\n')
    assert config.value(TIMED_CODES) == {"97110", "97112"}


def test_column_spellings_extend_the_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, '[columns]\ncode = ["Svc Cd", "cpt"]\n')
    spellings = config.columns[Field.CODE]
    assert "svc cd" in spellings  # normalised like headers are
    assert set(defaults().columns[Field.CODE]) <= set(spellings)
    assert len(spellings) == len(set(spellings))  # "cpt" not added twice


def test_a_profile_key_is_merged_into_the_bundled_profile(tmp_path: Path) -> None:
    config = load(tmp_path, "[profiles.aetna]\nnmr_visit_limit = 12\n")
    aetna = config.profiles["aetna"]
    day = dt.date(2025, 3, 2)
    assert aetna.value(NMR_VISIT_LIMIT, on=day) == 12
    assert aetna.value(NMR_WINDOW_DAYS, on=day) == 42
    assert aetna.match == ("aetna*",)


def test_a_new_profile_is_added_beside_the_bundled_ones(tmp_path: Path) -> None:
    config = load(tmp_path, '[profiles.acme]\nmatch = ["acme*"]\nunit_method = "ama"\n')
    assert {"default", "medicare", "aetna", "bcbs-tennessee", "acme"} <= set(config.profiles)
    assert config.profile_for("Acme PPO").value(UNIT_METHOD) == "ama"
    acme = config.profiles["acme"]
    assert (acme.medicare, acme.value(NMR_VISIT_LIMIT, on=dt.date(2026, 3, 2)),
            acme.value(NMR_EXCLUDED, on=dt.date(2026, 3, 2))) == (False, None, False)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff[settings]\nprovider_day_minutes = 300\n".encode())
    assert load_config(path).value(PROVIDER_DAY_MINUTES) == 300


# --- strict validation: unknown keys name the key and the line ------------------------------------


@pytest.mark.parametrize("text, line, key", [
    ("# comment\n[settings]\nprovider_day_minute = 400\n", 3, "settings.provider_day_minute"),
    ("[setings]\nprovider_day_minutes = 400\n", 1, "setings"),
    ("colour = 1\n", 1, "colour"),
    ("[settings]\ndate_order = \"day-first\"\n\n[profiles.aetna]\nmatch = [\"aetna*\"]\n"
     "unit_metod = \"ama\"\n", 6, "profiles.aetna.unit_metod"),
    ("[nmr]\nca_qualified = true\n", 2, "nmr.ca_qualified"),
    ("[keywords]\nmuscle = [\"x\"]\n", 2, "keywords.muscle"),
    ("[columns]\npatent = [\"pt\"]\n", 2, "columns.patent"),
    ("settings.provider_days = 3\n", 1, "settings.provider_days"),
    ("[profiles]\naetna = { match = [\"a*\"], unit_metod = \"ama\" }\n", 2,
     "profiles.aetna.unit_metod"),
])
def test_unknown_key_names_file_line_and_key(tmp_path: Path, text: str, line: int,
                                             key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: '{key}'"), message
    assert "not a known setting" in message
    assert "\n" not in message


@pytest.mark.parametrize("text, key, expected", [
    ('[settings]\nprovider_day_minutes = "lots"\n', "settings.provider_day_minutes",
     "a whole number above 0"),
    ("[settings]\nprovider_day_minutes = 0\n", "settings.provider_day_minutes",
     "a whole number above 0"),
    ("[settings]\nprovider_day_minutes = true\n", "settings.provider_day_minutes",
     "a whole number above 0"),
    ("[settings]\nepisode_gap_days = 1.5\n", "settings.episode_gap_days",
     "a whole number above 0"),
    ('[settings]\ndate_order = "mdy"\n', "settings.date_order", '"month-first" or "day-first"'),
    ('[profiles.aetna]\nmatch = "aetna*"\n', "profiles.aetna.match", "a list of strings"),
    ('[profiles.aetna]\nmedicare = "yes"\n', "profiles.aetna.medicare", "true or false"),
    ('[profiles.aetna]\nunit_method = "midpoint"\n', "profiles.aetna.unit_method", '"cms"'),
    ('[profiles.aetna.rules]\nNMR206 = "loud"\n', "profiles.aetna.rules.NMR206", '"off"'),
    ("[codes]\ntimed = [97110]\n", "codes.timed", "a list of strings"),
    ('[nmr]\nchiropractic_assistant_qualified = "true"\n',
     "nmr.chiropractic_assistant_qualified", "true or false"),
    ('settings = "x"\n', "settings", "must be a table"),
])
def test_wrong_type_names_the_key_and_what_was_expected(tmp_path: Path, text: str, key: str,
                                                        expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}:"), message
    assert f"'{key}'" in message
    assert expected in message


@pytest.mark.parametrize("text, line, key, expected", [
    ('[settings]\nmue_file = 3\n', 2, "settings.mue_file", "a string"),
    ('[settings]\nncci_file = ["a.txt", 3]\n', 2, "settings.ncci_file", "a string or a list"),
    ('[mue]\n"97112" = -1\n', 2, "mue.97112", "a whole number, 0 or more"),
    ('[mue]\n"97112" = "4"\n', 2, "mue.97112", "a whole number, 0 or more"),
    ('[mue]\n"9711" = 4\n', 2, "mue.9711", "is not a 5-character code"),
    ('[profiles.medicare]\ndiscipline_modifiers = "yes"\n', 2,
     "profiles.medicare.discipline_modifiers", "true or false"),
    ('[modifiers]\nknown = "ZZ"\n', 2, "modifiers.known", "a list of strings"),
    ('[[ncci]]\ncolumn1 = "98940"\ncolumn2 = "97140"\nindicator = 2\n', 4,
     "ncci#1.indicator", "0 or 1 or 9"),
    ('[[ncci]]\ncolumn1 = "98940"\ncolumn2 = "97140"\nindicator = 1\n\n'
     '[[ncci]]\ncolumn1 = "9894"\ncolumn2 = "97140"\nindicator = 1\n', 7,
     "ncci#2.column1", "a 5-character code"),
    ('[[ncci]]\ncolumn1 = "98940"\ncolumn2 = "97140"\nindicator = 1\nmodifier = "59"\n', 5,
     "ncci#1.modifier", "not a known setting"),
    ('[[ncci]]\ncolumn1 = "98940"\ncolumn2 = "97140"\n', 1, "ncci#1", "lacks 'indicator'"),
    ('ncci = {column1 = "98940"}\n', 1, "ncci", "must be an array of tables"),
])
def test_reference_keys_are_validated(tmp_path: Path, text: str, line: int, key: str,
                                      expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: '{key}'"), message
    assert expected in message


def test_wrong_type_error_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[settings]\n\nprovider_day_minutes = "lots"\n')
    with pytest.raises(ConfigError, match=r":3: 'settings.provider_day_minutes' must be"):
        load_config(path)


@pytest.mark.parametrize("text, problem", [
    ('[rules]\nnmr106 = "info"\n', r":2: 'rules.nmr106' is not a rule code"),
    ('[rules]\nNMR999 = "info"\n', r":2: 'rules.NMR999' is not a rule code"),
    ('[profiles.aetna.rules]\nNMR999 = "warning"\n',
     r":2: 'profiles.aetna.rules.NMR999' is not a rule code"),
    ('[profiles."Aetna PPO"]\nmatch = ["x"]\n', "is not a profile id"),
    ('[provider_types]\n"Massage Therapist" = ["lmt"]\n', "is not a role id"),
    ('[nmr]\nunqualified_roles = ["janitor"]\n', "'janitor' is not a role"),
    ("[settings\n", "not valid TOML"),
    ('[settings]\ndate_order = "day-first"\ndate_order = "month-first"\n', "not valid TOML"),
])
def test_other_invalid_files(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load(tmp_path, text)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read rules file"):
        load_config(tmp_path / "nope.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[columns]\npatient = ["n\xba paciente"]\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin)


# --- payer profiles -------------------------------------------------------------------------------


@pytest.mark.parametrize("payer, profile", [
    ("Medicare", "medicare"),
    ("MEDICARE", "medicare"),
    ("  medicare   part B ", "medicare"),
    ("Medicare - Part B", "medicare"),
    ("Medicare (Noridian)", "medicare"),
    ("Noridian JF", "medicare"),
    ("First Coast Service Options", "medicare"),
    ("Aetna", "aetna"),
    ("AETNA Better Health", "aetna"),
    ("BCBS of Tennessee", "bcbs-tennessee"),
    ("bcbst", "bcbs-tennessee"),
    ("BlueCross BlueShield of Tennessee", "bcbs-tennessee"),
    ("BCBS of Texas", "default"),
    ("Medicare Advantage", "medicare-advantage"),  # Part C plans are not Medicare
    ("Humana Medicare Advantage", "medicare-advantage"),
    ("Aetna Medicare Advantage", "medicare-advantage"),  # more specific than aetna*
    ("UHC Medicare HMO", "medicare-advantage"),
    ("Wellcare Medicare PPO", "medicare-advantage"),
    ("AARP Medicare Complete", "medicare-advantage"),
    ("Medicare Part C", "medicare-advantage"),
    ("Humana MAPD", "medicare-advantage"),
    ("Medicare HMO", "medicare-advantage"),  # beats "medicare *"
    ("Medicare - Novitas", "medicare"),
    ("Mcare", "medicare"),  # as clinics abbreviate it (held-out review, 3E)
    ("Medicare/Medicaid", "medicare"),  # dual eligible: Medicare pays first
    ("Aetna Medicare", "medicare-advantage"),  # a carrier's Medicare plan (held-out review, 3E)
    ("Humana Gold Plus", "medicare-advantage"),
    ("WellCare Medicare PPO", "medicare-advantage"),
    ("Cigna Medicare", "medicare-advantage"),
    ("Wellcare Medicare Advantage", "medicare-advantage"),
    ("Wellcare by Allwell", "medicare-advantage"),
    ("WellCare of Kentucky (Medicaid)", "default"),  # a carrier's Medicaid plan is not Part C
    ("WellCare Medicaid", "default"),
    ("Wellcare Prescription Drug Plan", "default"),
    ("WellCare", "default"),  # the brand alone does not say which plan
    ("Humana Healthy Horizons (Medicaid)", "default"),
    ("Aetna Better Health (Medicaid)", "aetna"),
    ("Cigna-HealthSpring Medicaid", "default"),
    ("Aetna PPO", "aetna"),
    ("Novitas Medicare", "medicare"),
    ("MCARE B", "medicare"),
    ("Railroad Medicare", "medicare"),
    ("Medicare (Primary)", "medicare"),
    ("Medicaid", "default"),
    ("Cigna", "default"),
    ("", "default"),
    (None, "default"),
])
def test_profile_matching(payer: str | None, profile: str) -> None:
    assert defaults().profile_for(payer).id == profile


def test_most_specific_match_wins(tmp_path: Path) -> None:
    config = load(tmp_path, """
[profiles.aetna-medicare]
match = ["aetna medicare advantage*"]
medicare = true

[profiles.aetna-choice]
match = ["Aetna Choice POS II"]
""")
    assert config.profile_for("Aetna Medicare Advantage").id == "aetna-medicare"  # longer glob
    assert config.profile_for("aetna choice pos ii").id == "aetna-choice"  # exact, any case
    assert config.profile_for("Aetna Choice POS III").id == "aetna"
    assert config.profile_for("Aetna").id == "aetna"


def test_patterns_are_case_insensitive(tmp_path: Path) -> None:
    config = load(tmp_path, '[profiles.acme]\nmatch = ["ACME*", "Widget Health"]\n')
    assert config.profile_for("acme ppo").id == "acme"
    assert config.profile_for("WIDGET HEALTH").id == "acme"
    assert config.profile_for("widget").id == "default"


def test_profile_lookup_is_stable_when_cached() -> None:
    config = defaults()
    first = config.profile_for("Aetna HMO")
    assert config.profile_for("Aetna HMO") is first
    assert config.profile_for("aetna   hmo") is first


# --- rule levels: global, per profile, Medicare-only ----------------------------------------------


def test_default_severities_apply_without_overrides() -> None:
    config = defaults()
    assert level(config, "NMR206", "Aetna") is Severity.WARNING
    assert level(config, "NMR201", None) is Severity.ERROR
    assert level(config, "NMR104", "Medicare") is Severity.INFO


def test_global_rule_levels(tmp_path: Path) -> None:
    config = load(tmp_path, '[rules]\nNMR106 = "info"\nNMR209 = "off"\n')
    assert level(config, "NMR106", "Cigna") is Severity.INFO
    assert level(config, "NMR106", "Medicare") is Severity.INFO
    assert level(config, "NMR209", "Aetna") is None


def test_per_profile_rule_overrides(tmp_path: Path) -> None:
    config = load(tmp_path, """
[rules]
NMR206 = "off"

[profiles.aetna.rules]
NMR206 = "warning"
NMR209 = "error"
NMR201 = "off"
""")
    assert level(config, "NMR206", "Aetna") is Severity.WARNING  # the profile beats [rules]
    assert level(config, "NMR206", "Cigna") is None
    assert level(config, "NMR209", "Aetna") is Severity.ERROR
    assert level(config, "NMR209", "Cigna") is Severity.WARNING
    assert level(config, "NMR201", "Aetna") is None
    assert level(config, "NMR201", "Medicare") is Severity.ERROR


def test_medicare_only_rule_runs_for_medicare_profiles_only() -> None:
    config = defaults()
    assert get_rule("NMR309").medicare_only  # type: ignore[union-attr]
    assert level(config, "NMR309", "Medicare") is Severity.WARNING
    assert level(config, "NMR309", "Aetna") is None
    assert level(config, "NMR309", None) is None


def test_medicare_advantage_is_not_medicare() -> None:
    config = defaults()
    assert level(config, "NMR301", "Humana Medicare Advantage") is None
    assert level(config, "NMR301", "Medicare") is Severity.ERROR
    assert level(config, "NMR304", "Humana Medicare Advantage") is Severity.ERROR


def test_medicare_only_rule_enabled_by_an_explicit_severity_in_another_profile(
        tmp_path: Path) -> None:
    config = load(tmp_path, '[profiles.aetna.rules]\nNMR309 = "error"\n')
    assert level(config, "NMR309", "Aetna") is Severity.ERROR
    assert level(config, "NMR309", "Cigna") is None


def test_a_global_level_does_not_turn_on_a_medicare_only_rule_elsewhere(tmp_path: Path) -> None:
    config = load(tmp_path, '[rules]\nNMR309 = "error"\n')
    assert level(config, "NMR309", "Medicare") is Severity.ERROR
    assert level(config, "NMR309", "Cigna") is None


def test_profile_levels_reach_the_findings(tmp_path: Path) -> None:
    config = load(tmp_path, '[profiles.aetna.rules]\nNMR206 = "error"\n')
    rows = [
        ["Patient ID", "DOS", "CPT", "Units", "Payer", "Notes"],
        ["P1", dt.date(2026, 3, 2), "97112", 1, "Aetna", "core strengthening"],
        ["P2", dt.date(2026, 3, 2), "97112", 1, "Cigna", "core strengthening"],
    ]
    table = build_table("Sheet1", rows, config)
    assert isinstance(table, Table)
    result = check_table(table, config, dt.date(2026, 6, 30))
    graded = {(f.row, f.severity) for f in result.findings if f.rule == "NMR206"}
    assert graded == {(2, Severity.ERROR), (3, Severity.WARNING)}
    assert result.payers == {"Aetna": "aetna", "Cigna": "default"}


# --- data the rules look things up in -------------------------------------------------------------


@pytest.mark.parametrize("spelling, role", [
    ("LMT", "massage_therapist"), ("L.M.T.", "massage_therapist"), ("lmt", "massage_therapist"),
    ("DC", "chiropractor"), ("D.C.", "chiropractor"), ("PTA", "pt_assistant"),
    ("OTR/L", "occupational_therapist"), ("Rehab Tech", "aide"),
    ("CA", "chiropractic_assistant"), ("Surgeon", None), ("", None), (None, None),
])
def test_provider_type_roles(spelling: str | None, role: str | None) -> None:
    assert defaults().role_of(spelling) == role


@pytest.mark.parametrize("code, inside", [
    ("I63.9", True), ("I69.351", True), ("I70.0", False), ("G20", True), ("g35", True),
    ("S06.0X0A", True), ("S13.4XXA", False), ("R26.89", True), ("R24", False),
    ("M21.371", True), ("M21.3", False), ("M62.81", False), ("M62.830", False),
    ("Z91.81", True), ("Z91.8", False), ("M54.50", False), ("M99.03", False),
])
def test_neuromuscular_families(code: str, inside: bool) -> None:
    assert defaults().value(NEUROMUSCULAR).contains(code) is inside


def test_dx_families_ranges_and_prefixes() -> None:
    families = DxFamilies(["A10-A12", "B20.1"])
    assert families.contains("A11.9") and families.contains("A12")
    assert not families.contains("A13")
    assert families.contains("B20.15") and not families.contains("B20.2")


def test_a_users_ncci_pairs_add_to_ours_and_a_repeated_pair_replaces_ours(tmp_path: Path) -> None:
    config = load(tmp_path, """
[[ncci]]
column1 = "97530"
column2 = "97112"
indicator = 1
[[ncci]]
column1 = "98940"
column2 = "97140"
indicator = 9
""")
    assert [e.column1 for e in config.ncci["97112"]].count("97530") == 1
    assert len(config.ncci["97112"]) == 5  # 3 CMT + 97150 bundled, and the practice's own
    (cmt_97140,) = [e for e in config.ncci["97140"] if e.column1 == "98940"]
    assert cmt_97140.indicator == 9  # switched off by the practice


@pytest.mark.parametrize("payer", ["Railroad Medicare", "RR Medicare", "RRB - Palmetto"])
def test_railroad_medicare_is_medicare(payer: str) -> None:
    assert load_config().profile_for(payer).id == "medicare"
