"""Loading rules.toml: the bundled defaults, a practice's file laid over them, strict validation.

The schema is assembled here from declared settings: the core settings (config.core: what the
reader, the engine and the loader read) and every setting a registered rule declares
(rules.registry), with `[rules]` keys checked against the registry. Both are parsed the same
way, once per loaded file, into Config.values. An unknown key or a wrong type is a ConfigError
that names the file, the line and the dotted key, as a linter's config loader would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nmr_xl.config.core import (
    ABBREVIATIONS,
    ATTENDANCE_NO,
    ATTENDANCE_YES,
    CHANGES,
    COLUMNS,
    CONFIRM,
    CONTRACTORS,
    CORE_SETTINGS,
    DATE_ORDER,
    DISCIPLINE_ROLES,
    DISCIPLINES,
    HEADER_SEARCH_ROWS,
    KNOWN_MODIFIERS,
    LAYOUTS,
    MUE,
    MUE_FILE,
    NCCI,
    NCCI_FILE,
    PRACTICE_CONTRACTOR,
    PROVIDER_TYPES,
    QUALIFIERS,
    ROW_KINDS,
    SECOND_CHOICE,
)
from nmr_xl.config.dated import add_versions, as_date, is_versions
from nmr_xl.config.model import Change, Config, Contractor, Profile
from nmr_xl.config.schema import ListOf, MapOf, Setting, is_bool, is_level, is_str_list, parse_toml
from nmr_xl.errors import ConfigError
from nmr_xl.model import Field
from nmr_xl.read.headings import Headings
from nmr_xl.reference import (
    MueTable,
    PtpEdit,
    PtpFile,
    index_by_column2,
    load_mue_file,
    load_ptp_file,
    mue_files,
)
from nmr_xl.rules import RULES, all_settings

# Keys of every [profiles.ID] table the engine reads; the rules declare the others.
CORE_PROFILE: dict[str, Any] = {"match": is_str_list, "medicare": is_bool}



@dataclass(frozen=True)
class _Extending:
    """Where a practice's file adds to the defaults instead of replacing them: the settings
    declared `extends` ([columns] and [headings] spellings, modifiers.known, yearly thresholds,
    the [[ncci]], [[layouts]] and [[changes]] arrays)."""

    lists: frozenset[tuple[str, ...]]  # a list, or a dated setting's versions
    tables: frozenset[tuple[str, ...]]  # a table whose lists each extend
    arrays: frozenset[tuple[str, ...]]  # an array of tables, theirs after ours

    @classmethod
    def of(cls, settings: Iterable[Setting[Any]]) -> _Extending:
        kinds: dict[str, set[tuple[str, ...]]] = {"lists": set(), "tables": set(),
                                                  "arrays": set()}
        for s in settings:
            if s.extends and not s.profile:
                kind = ("lists" if s.dated else "arrays" if isinstance(s.check, ListOf) else
                        "tables" if isinstance(s.check, dict | MapOf) else "lists")
                kinds[kind].add(tuple(s.key.split(".")))
        return cls(*(frozenset(kinds[k]) for k in ("lists", "tables", "arrays")))


def _tables(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the nested tables of a schema, so settings can be placed into it."""
    return {k: _tables(v) if isinstance(v, dict) else v for k, v in schema.items()}


def _place(schema: dict[str, Any], setting: Setting[Any]) -> None:
    *tables, key = setting.key.split(".")
    for table in tables:
        inner = schema.setdefault(table, {})
        if not isinstance(inner, dict):
            raise ValueError(f"setting {setting.path}: [{table}] is not a table of settings")
        schema = inner
    if key in schema:
        raise ValueError(f"setting {setting.path} is declared twice (or is a core setting)")
    value = setting.schema
    schema[key] = _tables(value) if isinstance(value, dict) else value


def full_schema(settings: Iterable[Setting[Any]]) -> dict[str, Any]:
    """The core settings and every rule setting in their places, and [rules] checked by
    code."""
    levels = MapOf(is_level, key_pattern=r"NMR\d{3}", key_check=lambda key: key in RULES,
                   key_hint="a rule code (see `nmr-xl rules`)")
    schema: dict[str, Any] = {}
    for setting in CORE_SETTINGS:
        _place(schema, setting)
    profile = {**CORE_PROFILE, "rules": levels}
    for setting in settings:
        _place(profile if setting.profile else schema, setting)
    schema["rules"] = levels
    schema["profiles"] = MapOf(profile, key_pattern=r"[A-Za-z0-9_-]+", key_hint="a profile id")
    return schema


def parse_rules_text(text: str, source: str) -> dict[str, Any]:
    """Parse and validate one rules file; raise ConfigError naming file, line and key."""
    return parse_toml(text, source, full_schema(all_settings()))


def _merge(base: dict[str, Any], over: Mapping[str, Any], extending: _Extending,
           path: tuple[str, ...] = ()) -> None:
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, extending, here)
        elif here in extending.arrays and isinstance(base.get(key), list):
            base[key] = base[key] + list(value)
        elif here in extending.lists and is_versions(base.get(key)) and is_versions(value):
            base[key] = add_versions(base[key], value)  # a dated setting's versions: by date
        elif ((path in extending.tables or here in extending.lists)
              and isinstance(base.get(key), list) and isinstance(value, list)):
            base[key] = base[key] + [v for v in value if v not in base[key]]
        else:
            base[key] = value


def bundled_rules_path() -> Path:
    """The rules.toml shipped in the wheel, or the repository's own when run from a checkout."""
    packaged = resources.files("nmr_xl") / "rules.toml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules.toml"


def _paths(given: Path | Sequence[Path] | None, named: list[str]) -> list[Path]:
    """The files of the command line, else those the rules files name."""
    if given is not None:
        return [given] if isinstance(given, Path) else list(given)
    return [Path(f) for f in named]


def load_config(user_file: Path | None = None, *, mue_file: Path | Sequence[Path] | None = None,
                ncci_file: Path | Sequence[Path] | None = None) -> Config:
    """Bundled defaults, the user's rules file over them, then the CMS reference files (from
    the rules file's settings, or the command line's, which win)."""
    settings = list(all_settings())
    schema = full_schema(settings)
    base_path = bundled_rules_path()
    data = parse_toml(base_path.read_text(encoding="utf-8"), "rules.toml (bundled)", schema)
    sources = ["bundled rules.toml"]
    if user_file is not None:
        try:
            text = user_file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"{user_file}: cannot read rules file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{user_file}: rules file is not UTF-8 text") from None
        user = parse_toml(text, str(user_file), schema)
        named = user.get("settings", {})
        for key in ("mue_file", "ncci_file"):  # relative to the rules file naming them
            if named.get(key):
                files = named[key]
                named[key] = [str(user_file.parent / f)
                              for f in ([files] if isinstance(files, str) else files) if f]
        _merge(data, user, _Extending.of([*CORE_SETTINGS, *settings]))
        sources.append(str(user_file))
    mue_paths = _paths(mue_file, MUE_FILE.load(_raw_value(data, MUE_FILE)))
    ncci_paths = _paths(ncci_file, NCCI_FILE.load(_raw_value(data, NCCI_FILE)))
    sources += [f"MUE file {p}" for p in mue_paths]
    sources += [f"PTP file {p}" for p in ncci_paths]
    return build_config(data, tuple(sources), mue_paths, ncci_paths)


def _ncci_edits(pairs: Sequence[Mapping[str, Any]], files: Sequence[PtpFile]) -> list[PtpEdit]:
    # A pair listed again (a practice's own [[ncci]] after ours) replaces the earlier entry.
    by_pair = {frozenset((e["column1"], e["column2"])):
               PtpEdit(e["column1"], e["column2"], e["indicator"], as_date(e.get("from")),
                       as_date(e.get("until")), source=e.get("source", ""))
               for e in pairs}
    edits = list(by_pair.values())
    if files:
        # The same row in several quarters' files: the newest file's copy (it knows of a
        # deletion the older one does not).
        rows: dict[tuple[str, str, dt.date | None], PtpEdit] = {}
        for file in sorted(files, key=lambda f: f.latest or dt.date.min):
            rows.update({(e.column1, e.column2, e.effective): e for e in file.edits})
        loaded = list(rows.values())
        # The CMS file's dated edits replace the rules.toml entries for the same two codes:
        # otherwise a deleted, not-yet-effective or indicator-9 edit would still fire.
        in_file = {frozenset((e.column1, e.column2)) for e in loaded}
        edits = [e for e in edits if frozenset((e.column1, e.column2)) not in in_file] + loaded
    # Of a pair's rows, the most recent in force on a date of service is found first.
    return sorted(edits, key=lambda e: e.effective or dt.date.min, reverse=True)


def _ptp_files(data: Mapping[str, Any], ncci_paths: Sequence[Path]) -> tuple[PtpFile, ...]:
    """The PTP files, keeping the pairs among the practice's therapy, timed and CMT codes and
    the codes of its [[ncci]] pairs."""
    codes = data["codes"]
    scope = {*codes["timed"], *_referenced(codes["always_therapy"]), *codes["cmt"],
             *(c for e in data.get("ncci", []) for c in (e["column1"], e["column2"]))}
    return tuple(load_ptp_file(path, lambda c1, c2: c1 in scope and c2 in scope)
                 for path in ncci_paths)


def _raw_value(data: Mapping[str, Any], setting: Setting[Any]) -> Any:
    value: Any = data
    for part in setting.key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            if setting.absent is not None:
                return setting.absent
            reader = setting.read_by or "a rule"
            raise ConfigError(f"rules.toml (bundled) has no value for {setting.key}, which "
                              f"{reader} reads: its default belongs there")
        value = value[part]
    return value


def _referenced(raw: Any) -> list[str]:
    """The names a setting refers to: a list's items, a table's keys, every version's."""
    if is_versions(raw):
        return [item for entry in raw if "value" in entry for item in _referenced(entry["value"])]
    return list(raw)


def _setting_values(data: Mapping[str, Any], settings: Iterable[Setting[Any]]
                    ) -> dict[str, Any]:
    values = {}
    for setting in settings:
        raw = _raw_value(data, setting)
        if setting.refers_to is not None:
            table, noun = setting.refers_to
            for item in _referenced(raw):
                if item not in data[table]:
                    raise ConfigError(f"{setting.key}: '{item}' is not {noun} in [{table}]")
        values[setting.key] = setting.load(raw)
    return values


def build_config(data: Mapping[str, Any], sources: tuple[str, ...],
                 mue_paths: Sequence[Path] = (), ncci_paths: Sequence[Path] = ()) -> Config:
    settings = list(all_settings())
    # every core setting and every rule's (not per payer), parsed once as declared
    values = _setting_values(data, [*CORE_SETTINGS, *(s for s in settings if not s.profile)])
    mue = MueTable(mue_files([load_mue_file(path) for path in mue_paths]), values[MUE.key])
    ptp_files = _ptp_files(data, ncci_paths)
    profiles_raw = data.get("profiles", {})
    if "default" not in profiles_raw:
        raise ConfigError("rules file: profiles.default is missing")
    per_profile = [s for s in settings if s.profile]
    profiles = {
        pid: Profile(
            id=pid,
            match=tuple(p.get("match", ())),
            medicare=p.get("medicare", False),
            rule_levels=dict(p.get("rules", {})),
            values={s.key: s.load(p.get(s.key, s.absent)) for s in per_profile},
        )
        for pid, p in profiles_raw.items()
    }
    roles = values[PROVIDER_TYPES.key]
    discipline_roles = values[DISCIPLINE_ROLES.key]
    for discipline, role in discipline_roles.items():
        if role not in roles:
            raise ConfigError(f"discipline_roles.{discipline}: '{role}' is not a role in "
                              "[provider_types]")
    contractors = values[CONTRACTORS.key]
    changes = tuple(_change(entry) for entry in values[CHANGES.key])
    return Config(
        raw=data,
        sources=sources,
        day_first=values[DATE_ORDER.key] == "day-first",
        header_search_rows=values[HEADER_SEARCH_ROWS.key],
        known_codes=frozenset(code.upper() for codes in data.get("codes", {}).values()
                              if isinstance(codes, list) for code in _referenced(codes)),
        known_modifiers=values[KNOWN_MODIFIERS.key],
        attendance_yes=values[ATTENDANCE_YES.key],
        attendance_no=values[ATTENDANCE_NO.key],
        roles=roles,
        mue=mue,
        ncci=index_by_column2(_ncci_edits(values[NCCI.key], ptp_files)),
        ptp_files=ptp_files,
        contractors=contractors,
        practice_contractor=_practice_contractor(values[PRACTICE_CONTRACTOR.key], contractors),
        changes=changes,
        columns=values[COLUMNS.key],
        rule_levels=dict(data.get("rules", {})),
        profiles=profiles,
        headings=Headings({Field(k): v for k, v in _raw_value(data, COLUMNS).items()},
                          values[ABBREVIATIONS.key], values[QUALIFIERS.key],
                          values[SECOND_CHOICE.key], values[CONFIRM.key]),
        layouts=values[LAYOUTS.key],
        disciplines=values[DISCIPLINES.key],
        discipline_roles=discipline_roles,
        row_kinds=values[ROW_KINDS.key],
        values=values,
    )


def _practice_contractor(named: str, contractors: Mapping[str, Contractor]) -> str | None:
    """The id of the practice's contractor ([practice] contractor: an id, a jurisdiction such
    as "JN", or a state such as "FL"); None when not known."""
    if not named:
        return None
    wanted = named.upper()
    found = [c.id for c in contractors.values()
             if named.lower() == c.id or wanted in (c.jurisdiction.upper(),
                                                    *(s.upper() for s in c.states))]
    if len(found) != 1:
        problem = "names several contractors" if found else "is not a contractor id, " \
            "jurisdiction or state of [contractors]"
        raise ConfigError(f"practice.contractor: '{named}' {problem}")
    return found[0]


def _change(entry: Mapping[str, Any]) -> Change:
    unknown = [code for code in entry["rules"] if code not in RULES]
    if unknown:
        raise ConfigError(f"changes: '{unknown[0]}' is not a rule code (change of "
                          f"{as_date(entry['date'])})")
    return Change(as_date(entry["date"]) or dt.date.min, tuple(entry["rules"]), entry["change"],
                  entry.get("setting", ""), entry.get("source", ""))
