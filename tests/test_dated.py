"""Dated data (nmr_xl/config/dated.py): a setting declared `dated=True` may be written as
versions in force between dates, each with its source; a line is judged by the version in force
on its date of service. Validation names the file, the line and the version."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRun

from nmr_xl.config.dated import Dated, Version, is_versions, parse_dated
from nmr_xl.config.load import bundled_rules_path, full_schema, load_config
from nmr_xl.config.schema import MapOf, Setting, Versions, is_pos_int, parse_toml
from nmr_xl.engine import check_table
from nmr_xl.errors import ConfigError
from nmr_xl.model import Table
from nmr_xl.read.table import build_table
from nmr_xl.rules import RULES, all_settings
from nmr_xl.rules.nmr import NMR_VISIT_LIMIT, NMR_WINDOW_DAYS
from nmr_xl.rules.payer import ALWAYS_THERAPY
from nmr_xl.rules.registry import Context
from nmr_xl.rules.time_units import PROVIDER_DAY_MINUTES

REVISION = dt.date(2025, 10, 29)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "practice-rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_aetna_standard_changes_on_the_revision_date() -> None:
    aetna = load_config().profiles["aetna"]
    day_before = REVISION - dt.timedelta(days=1)
    assert aetna.value(NMR_VISIT_LIMIT, on=day_before) == 18
    assert aetna.value(NMR_WINDOW_DAYS, on=day_before) == 42
    assert aetna.value(NMR_VISIT_LIMIT, on=REVISION) is None
    assert aetna.value(NMR_WINDOW_DAYS, on=REVISION) is None
    assert aetna.value(NMR_VISIT_LIMIT, on=dt.date(1999, 7, 20)) == 18  # open at the start
    old, new = aetna.versions(NMR_VISIT_LIMIT).versions
    assert old.source.startswith("secondary:") and "seed article" in old.source
    assert new.source.startswith("primary:") and "06/02/2026" in new.source
    assert (old.end, new.start) == (day_before, REVISION)


def test_a_plain_value_is_one_undated_version(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[profiles.aetna]\nnmr_visit_limit = 12\n"))
    aetna = config.profiles["aetna"]
    assert aetna.value(NMR_VISIT_LIMIT, on=dt.date(2020, 1, 1)) == 12
    assert aetna.value(NMR_VISIT_LIMIT, on=dt.date(2030, 1, 1)) == 12
    assert aetna.value(NMR_WINDOW_DAYS, on=dt.date(2020, 1, 1)) == 42  # the bundled versions
    (only,) = aetna.versions(NMR_VISIT_LIMIT).versions
    assert only == Version(12)
    assert not aetna.versions(NMR_VISIT_LIMIT).dated


def test_versions_as_array_of_tables_years_and_gaps(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        "[profiles.acme]\nmatch = [\"acme*\"]\n"
        "[[profiles.acme.nmr_visit_limit]]\nyear = 2025\nvalue = 10\nsource = \"manual 2025\"\n"
        "[[profiles.acme.nmr_visit_limit]]\nfrom = \"2026-03-01\"\nvalue = 8\n"
        "source = \"manual 2026\"\n")))
    acme = config.profiles["acme"]
    assert acme.value(NMR_VISIT_LIMIT, on=dt.date(2024, 12, 31)) is None  # before every version
    assert acme.value(NMR_VISIT_LIMIT, on=dt.date(2025, 1, 1)) == 10
    assert acme.value(NMR_VISIT_LIMIT, on=dt.date(2025, 12, 31)) == 10
    assert acme.value(NMR_VISIT_LIMIT, on=dt.date(2026, 2, 28)) is None  # a gap: not set
    assert acme.value(NMR_VISIT_LIMIT, on=dt.date(2026, 3, 1)) == 8
    assert [v.period for v in acme.versions(NMR_VISIT_LIMIT).versions] == [
        "2025-01-01 to 2025-12-31", "from 2026-03-01"]


@pytest.mark.parametrize("versions, line, key, problem", [
    ('{until = 2025-10-28, value = 18}', 2, "profiles.aetna.nmr_visit_limit#1",
     "lacks 'source'"),
    ('{until = 2025-10-28, value = 18, source = " "}', 2,
     "profiles.aetna.nmr_visit_limit#1.source", "lacks 'source'"),
    ('{until = "28/10/2025", value = 18, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.until", "must be a date like 2025-10-29"),
    ('{until = 2025-10-28T00:00:00, value = 18, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.until", "must be a date like"),
    ('{year = 2025, from = 2025-01-01, value = 18, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.year", "cannot be given with 'from'"),
    ('{year = "2025", value = 18, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.year", "must be a year"),
    ('{from = 2025-10-29, until = 2025-10-01, value = 18, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.until", "is before the start 2025-10-29"),
    ('{until = 2025-10-28, value = 0, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.value", "a whole number above 0"),
    ('{until = 2025-10-28, valu = 18, source = "x"}', 2,
     "profiles.aetna.nmr_visit_limit#1.valu", "is not a key of a dated version"),
    ('{until = 2025-10-28, value = 18, source = "a"}, {from = 2025-10-28, source = "b"}', 2,
     "profiles.aetna.nmr_visit_limit#2", "overlaps version #1"),
    ('{value = 18, source = "a"}, {year = 2026, source = "b"}', 2,
     "profiles.aetna.nmr_visit_limit#2", "overlaps version #1"),
])
def test_versions_are_validated_with_file_line_and_key(tmp_path: Path, versions: str, line: int,
                                                       key: str, problem: str) -> None:
    path = write(tmp_path, f"[profiles.aetna]\nnmr_visit_limit = [{versions}]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: '{key}'"), message
    assert problem in message
    assert "\n" not in message


def test_a_version_written_as_a_table_gets_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "[[profiles.aetna.nmr_visit_limit]]\nuntil = 2025-10-28\nvalue = 18\nsource = \"a\"\n\n"
        "[[profiles.aetna.nmr_visit_limit]]\nfrom = 2025-10-29\nsource = \"b\"\n"
        "until = \"soon\"\n"))
    with pytest.raises(ConfigError, match=rf"^{path}:9: 'profiles.aetna.nmr_visit_limit#2.until'"):
        load_config(path)


def test_a_setting_that_is_not_dated_takes_no_versions(tmp_path: Path) -> None:
    path = write(tmp_path, '[settings]\nprovider_day_minutes = [{value = 400, source = "x"}]\n')
    with pytest.raises(ConfigError, match=r":2: 'settings.provider_day_minutes' must be a whole"):
        load_config(path)


def test_a_dated_setting_is_read_for_a_date() -> None:
    """Reading a dated setting without a date is refused: the rule would silently judge every
    line by one version. In a rule, on=None (a line without a date) means the as-of date."""
    config = load_config()
    aetna = config.profiles["aetna"]
    with pytest.raises(LookupError, match="varies by date of service"):
        aetna.value(NMR_VISIT_LIMIT)
    with pytest.raises(LookupError, match="is not dated"):
        config.versions(PROVIDER_DAY_MINUTES)
    table = build_table("Sheet1", [["Patient ID", "DOS", "CPT", "Units"]], config)
    assert isinstance(table, Table)
    before = Context(config=config, table=table, as_of=dt.date(2025, 6, 30), rule=RULES["NMR207"])
    after = Context(config=config, table=table, as_of=dt.date(2026, 6, 30), rule=RULES["NMR207"])
    assert before.value(NMR_VISIT_LIMIT, aetna, on=None) == 18
    assert after.value(NMR_VISIT_LIMIT, aetna, on=None) is None
    assert after.value(NMR_VISIT_LIMIT, aetna, on=dt.date(2025, 1, 2)) == 18
    version = after.version(NMR_VISIT_LIMIT, aetna, on=dt.date(2025, 1, 2))
    assert version is not None and version.period == "until 2025-10-28"
    with pytest.raises(LookupError, match="varies by date of service"):
        after.value(NMR_VISIT_LIMIT, aetna)


def test_parse_dated_directly() -> None:
    dated = parse_dated([{"from": dt.date(2026, 1, 1), "value": "2480", "source": "CMS"},
                         {"year": 2025, "value": "2410", "source": "secondary"}], int)
    assert isinstance(dated, Dated)
    assert [v.value for v in dated.versions] == [2410, 2480]  # sorted by date
    assert dated.on(dt.date(2025, 12, 31)) == 2410 and dated.on(dt.date(2026, 1, 1)) == 2480
    assert dated.on(dt.date(2024, 12, 31)) is None
    assert dated.dated


def test_rules_as_of_shows_the_version_in_force_and_its_source(cli: Callable[..., CliRun]
                                                               ) -> None:
    old = cli("rules", "--as-of", "2025-10-28")
    assert old.code == 0, old.err
    text = " ".join(old.out.split())
    assert "Dated data in force on 2025-10-28" in text
    assert "profiles.aetna.nmr_visit_limit = 18 until 2025-10-28 (secondary: Aetna CPB 0325" in text
    assert "profiles.aetna.nmr_window_days = 42 until 2025-10-28" in text
    new = " ".join(cli("rules", "--as-of", "2025-10-29").out.split())
    assert ("profiles.aetna.nmr_visit_limit = not set from 2025-10-29 (primary: Aetna CPB 0325"
            in new)


def test_explain_marks_the_version_in_force(cli: Callable[..., CliRun]) -> None:
    run = cli("explain", "NMR207", "--as-of", "2026-03-01")
    assert run.code == 0, run.err
    text = " ".join(run.out.split())
    assert "profiles.aetna.nmr_visit_limit, by date of service:" in text
    assert "18 until 2025-10-28 (secondary:" in text  # not in force: unmarked
    assert "not set from 2025-10-29 [in force on 2026-03-01] (primary:" in text
    earlier = " ".join(cli("explain", "NMR207", "--as-of", "2025-03-01").out.split())
    assert "18 until 2025-10-28 [in force on 2025-03-01] (secondary:" in earlier


# --- every datum of the bundled rules.toml from a dated source has its source and dates -------

BUNDLED = tomllib.loads(bundled_rules_path().read_text(encoding="utf-8"))


def _undated_ok(entry: dict) -> bool:
    """A version has dates, or its source says plainly that they are not known."""
    return any(key in entry for key in ("from", "until", "year")) or "undated" in entry["source"]


def _check_versions(where: str, raw: object) -> list[str]:
    if not is_versions(raw):
        return [f"{where}: a plain value; write its versions with their source and dates"]
    problems = []
    for index, entry in enumerate(raw, start=1):  # type: ignore[arg-type]
        if not str(entry.get("source", "")).strip():
            problems.append(f"{where}#{index}: no source")
        elif not _undated_ok(entry):
            problems.append(f"{where}#{index}: no from/until and the source does not say "
                            "'undated'")
    return problems


def dated_data(data: dict) -> dict[str, object]:
    """Where each datum from a dated source is in a rules file: the settings declared dated
    (in every profile that sets one), every dated value of a table of them ([mue], the
    contractor edits)."""
    found: dict[str, object] = {}
    for setting in all_settings():
        if setting.dated and setting.profile:
            found.update({f"profiles.{pid}.{setting.key}": table[setting.key]
                          for pid, table in data["profiles"].items() if setting.key in table})
        elif setting.dated:
            found[setting.key] = data
            for part in setting.key.split("."):
                found[setting.key] = found[setting.key][part]  # type: ignore[index]
        elif isinstance(setting.check, MapOf) and isinstance(setting.check.value, Versions):
            table, key = setting.key.split(".")
            found.update({f"{setting.key}.{k}": v for k, v in data[table][key].items()})
    found.update({f"mue.{code}": value for code, value in data["mue"].items()})
    return found


def test_every_dated_datum_of_the_bundled_file_has_its_source_and_dates() -> None:
    data = dated_data(BUNDLED)
    assert {"profiles.aetna.nmr_visit_limit", "profiles.aetna.nmr_window_days",
            "profiles.bcbs-tennessee.nmr_excluded", "mue.98940",
            "contractor_edits.at_with_modifiers.palmetto-jm",
            "contractor_edits.split_timed_code.first-coast-jn"} <= set(data)
    problems = [p for where, raw in data.items() for p in _check_versions(where, raw)]
    for index, pair in enumerate(BUNDLED["ncci"], start=1):  # CMS edits: dated pairs
        if not str(pair.get("source", "")).strip():
            problems.append(f"ncci#{index}: no source")
        elif not _undated_ok(pair):
            problems.append(f"ncci#{index}: no from/until and the source does not say 'undated'")
    problems += [f"contractors.{cid}: no source" for cid, c in BUNDLED["contractors"].items()
                 if not c.get("source", "").strip()]
    assert not problems, problems


def test_the_dated_data_check_can_fail() -> None:
    """A plain value, a version without a source and one without dates are each caught."""
    data = copy.deepcopy(BUNDLED)
    data["profiles"]["aetna"]["nmr_visit_limit"] = 18
    data["mue"]["98940"] = [{"value": 1, "source": "commonly cited"}]
    data["contractor_edits"]["split_timed_code"]["first-coast-jn"] = [{"value": True,
                                                                       "source": " "}]
    problems = [p for where, raw in dated_data(data).items() for p in _check_versions(where, raw)]
    assert sorted(problems) == [
        "contractor_edits.split_timed_code.first-coast-jn#1: no source",
        "mue.98940#1: no from/until and the source does not say 'undated'",
        "profiles.aetna.nmr_visit_limit: a plain value; write its versions with their source "
        "and dates"]


def test_a_yearly_threshold_is_one_dated_setting() -> None:
    """What a threshold that changes every calendar year looks like (the KX threshold of
    outpatient therapy): a setting declared dated, its versions by `year`, read for a line's
    date of service. The years meet, so the day the threshold changes is a boundary."""
    threshold: Setting[int | None] = Setting(
        "settings.example_threshold", is_pos_int, int, "A yearly amount.", dated=True)
    schema = full_schema([*all_settings(), threshold])
    text = ("[settings]\nexample_threshold = [\n"
            '  {year = 2025, value = 2410, source = "secondary: billing publishers agree"},\n'
            '  {year = 2026, value = 2480, source = "primary: CMS Therapy Services, CR 14252"},\n'
            "]\n")
    dated = threshold.load(parse_toml(text, "kx.toml", schema)["settings"]["example_threshold"])
    assert dated.on(dt.date(2025, 12, 31)) == 2410
    assert dated.on(dt.date(2026, 1, 1)) == 2480
    assert dated.on(dt.date(2027, 1, 1)) is None  # next year's not given yet: not set
    version = dated.version_on(dt.date(2026, 1, 1))
    assert version is not None and version.source.startswith("primary: CMS")
    with pytest.raises(ConfigError, match=r"kx.toml:2: 'settings.example_threshold#1' lacks "
                                          "'value'"):
        parse_toml(text.replace("value = 2410, ", ""), "kx.toml", schema)


def test_a_code_list_is_dated_like_any_datum(tmp_path: Path) -> None:
    """[codes] always_therapy comes from CMS's Annual Therapy Update: its versions each hold a
    list, and a line is judged by the list in force on its date of service (here by NMR304,
    a line rule the engine runs only on the lines whose code is on the list)."""
    bundled = load_config()
    (only,) = bundled.versions(ALWAYS_THERAPY).versions
    assert (only.start, only.end) == (None, None) and "undated" in only.source
    rules = write(tmp_path, '[[codes.always_therapy]]\nuntil = 2026-06-30\nvalue = ["97112"]\n'
                  'source = "CMS Annual Therapy Update, as an example"\n\n'
                  '[[codes.always_therapy]]\nfrom = 2026-07-01\nvalue = ["97110"]\n'
                  'source = "the next update, as an example"\n')
    config = load_config(rules)
    assert config.value(ALWAYS_THERAPY, on=dt.date(2026, 6, 30)) == {"97112"}
    assert config.value(ALWAYS_THERAPY, on=dt.date(2026, 7, 1)) == {"97110"}
    assert {"97112", "97110"} <= config.known_codes  # every version's codes are known codes
    rows = [["Patient ID", "DOS", "CPT", "Units", "Modifiers", "Primary Payer"],
            *(["P1", day, code, 1, "", "Medicare"]
              for day in ("2026-06-30", "2026-07-01") for code in ("97112", "97110"))]
    table = build_table("Sheet1", rows, config)
    assert isinstance(table, Table)
    found = check_table(table, config, dt.date(2026, 7, 31)).findings
    assert [(f.row, f.rule) for f in found if f.rule == "NMR304"] == [(2, "NMR304"),
                                                                        (5, "NMR304")]
    plain = check_table(table, bundled, dt.date(2026, 7, 31)).findings  # undated: every line
    assert [f.row for f in plain if f.rule == "NMR304"] == [2, 3, 4, 5]
