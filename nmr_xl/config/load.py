"""Loading rules.toml: the bundled defaults, a practice's file laid over them, strict validation.

The schema is assembled here: the core settings below (what the reader, the engine and the
command line read) and every setting a registered rule declares (rules.registry), with `[rules]`
keys checked against the registry. An unknown key or a wrong type is a ConfigError that names the
file, the line and the dotted key, as a linter's config loader would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from nmr_xl.config.dated import add_versions, as_date, is_versions, parse_dated
from nmr_xl.config.model import (
    IGNORE,
    Change,
    Config,
    Contractor,
    Layout,
    Profile,
    layout_key,
)
from nmr_xl.config.schema import (
    ListOf,
    MapOf,
    Setting,
    Versions,
    is_bool,
    is_code,
    is_count,
    is_date,
    is_level,
    is_pos_int,
    is_str,
    is_str_list,
    is_str_or_str_list,
    one_of,
    parse_toml,
)
from nmr_xl.errors import ConfigError
from nmr_xl.model import Field
from nmr_xl.normalize import norm
from nmr_xl.read.headings import Headings
from nmr_xl.reference import (
    MueLimit,
    MueTable,
    PtpEdit,
    PtpFile,
    index_by_column2,
    load_mue_file,
    load_ptp_file,
    mue_files,
)
from nmr_xl.rules import RULES, all_settings

# --- the core settings: what the reader, the engine and the command line read -------------------

_FIELD_NAMES = frozenset(f.value for f in Field)
_is_layout_field = one_of(*sorted(_FIELD_NAMES), IGNORE)
_WORD_LISTS = MapOf(is_str_list, key_check=lambda key: key == "any" or key in _FIELD_NAMES,
                    key_hint="a field name (see [columns]) or \"any\"")

CORE: dict[str, Any] = {
    "settings": {
        "date_order": one_of("month-first", "day-first"),
        "header_search_rows": is_pos_int,
        "mue_file": is_str_or_str_list,  # several quarters at once
        "ncci_file": is_str_or_str_list,  # CMS splits the PTP edits over several files
    },
    "modifiers": {"known": is_str_list},
    "attendance": {"yes": is_str_list, "no": is_str_list},
    "provider_types": MapOf(is_str_list, key_pattern=r"[a-z][a-z0-9_]*", key_hint="a role id"),
    "disciplines": MapOf(is_str_list, key_pattern=r"[a-z][a-z0-9_]*",
                         key_hint="a discipline id"),
    "discipline_roles": MapOf(is_str, key_pattern=r"[a-z][a-z0-9_]*",
                              key_hint="a discipline id"),
    "row_kinds": {k: is_str_list for k in ("diagnosis", "void", "not_billed", "payment",
                                           "adjustment", "charge", "total", "page")},
    # a value, or its dated versions (config.dated), per code
    "mue": MapOf(Versions(is_count), key_pattern=r"[A-Z0-9]{5}", key_hint="a 5-character code"),
    # `from` / `until`: the first and last date of service the pair applies to, as the CMS
    # file's effective and deletion dates
    "ncci": ListOf({"column1": is_code, "column2": is_code, "indicator": one_of(0, 1, 9),
                    "from": is_date, "until": is_date, "source": is_str},
                   required=("column1", "column2", "indicator")),
    "columns": {f.value: is_str_list for f in Field},
    "headings": {
        "abbreviations": MapOf(is_str, key_pattern=r"[a-z0-9]+",
                               key_hint="a lower-case word"),
        "confirm": is_str_list,
        "qualifiers": _WORD_LISTS,
        "second_choice": _WORD_LISTS,
    },
    # The practice's Medicare contractor (an id of [contractors], its jurisdiction or a state
    # it serves; "" = not known), and the contractors (A/B MACs): who they are, which payer
    # cells name them. Rules that are one contractor's edit read these.
    "practice": {"contractor": is_str},
    "contractors": MapOf({"name": is_str, "jurisdiction": is_str, "states": is_str_list,
                          "match": is_str_list, "source": is_str},
                         key_pattern=r"[a-z0-9]+(-[a-z0-9]+)*", key_hint="a contractor id"),
    # When the bundled data was last compared with its sources (`nmr-xl rules` prints it).
    "vintage": {"reviewed": is_date},
    # The change log: a changed datum is a dated entry, shown with the rules it concerns.
    "changes": ListOf({"date": is_date, "rules": is_str_list, "setting": is_str,
                       "change": is_str, "source": is_str},
                      required=("date", "rules", "change")),
    # An export layout pinned by its headings: which heading is which field, never guessed.
    "layouts": ListOf({"name": is_str, "headings": is_str_list,
                       "columns": MapOf(_is_layout_field, key_hint="a heading")},
                      required=("headings", "columns")),
}
# Keys of every [profiles.ID] table the engine reads; the rules declare the others.
CORE_PROFILE: dict[str, Any] = {"match": is_str_list, "medicare": is_bool}

# Under these tables a practice's lists extend the defaults instead of replacing them (and so
# does a list setting declared with `extends`).
_EXTENDING_TABLES = {("columns",), ("headings",), ("headings", "qualifiers"),
                     ("headings", "second_choice")}
_EXTENDING_KEYS = {("modifiers", "known")}
# Arrays of tables a practice's file adds to ([[ncci]] pairs, a pair given again replacing ours;
# layouts; its own [[changes]] after ours).
_EXTENDING_ARRAYS = {("ncci",), ("layouts",), ("changes",)}


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
    schema[key] = setting.schema


def full_schema(settings: Iterable[Setting[Any]]) -> dict[str, Any]:
    """The core schema with every rule setting in its place and [rules] checked by code."""
    levels = MapOf(is_level, key_pattern=r"NMR\d{3}", key_check=lambda key: key in RULES,
                   key_hint="a rule code (see `nmr-xl rules`)")
    schema = _tables(CORE)
    profile = {**CORE_PROFILE, "rules": levels}
    for setting in settings:
        _place(profile if setting.profile else schema, setting)
    schema["rules"] = levels
    schema["profiles"] = MapOf(profile, key_pattern=r"[A-Za-z0-9_-]+", key_hint="a profile id")
    return schema


def parse_rules_text(text: str, source: str) -> dict[str, Any]:
    """Parse and validate one rules file; raise ConfigError naming file, line and key."""
    return parse_toml(text, source, full_schema(all_settings()))


def _merge(base: dict[str, Any], over: Mapping[str, Any], extending: set[tuple[str, ...]],
           path: tuple[str, ...] = ()) -> None:
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, extending, here)
        elif here in _EXTENDING_ARRAYS and isinstance(base.get(key), list):
            base[key] = base[key] + list(value)
        elif here in extending and is_versions(base.get(key)) and is_versions(value):
            base[key] = add_versions(base[key], value)  # a dated setting's versions: by date
        elif ((path in _EXTENDING_TABLES or here in extending) and isinstance(base.get(key), list)
              and isinstance(value, list)):
            base[key] = base[key] + [v for v in value if v not in base[key]]
        else:
            base[key] = value


def bundled_rules_path() -> Path:
    """The rules.toml shipped in the wheel, or the repository's own when run from a checkout."""
    packaged = resources.files("nmr_xl") / "rules.toml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules.toml"


def _paths(given: Path | Sequence[Path] | None, named: str | list[str]) -> list[Path]:
    """The files of the command line, else those the rules files name."""
    if given is not None:
        return [given] if isinstance(given, Path) else list(given)
    return [Path(f) for f in ([named] if isinstance(named, str) else named) if f]


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
        extending = _EXTENDING_KEYS | {tuple(s.key.split(".")) for s in settings
                                       if s.extends and not s.profile}
        _merge(data, user, extending)
        sources.append(str(user_file))
    named_settings = data["settings"]
    mue_paths = _paths(mue_file, named_settings["mue_file"])
    ncci_paths = _paths(ncci_file, named_settings["ncci_file"])
    sources += [f"MUE file {p}" for p in mue_paths]
    sources += [f"PTP file {p}" for p in ncci_paths]
    return build_config(data, tuple(sources), mue_paths, ncci_paths)


def _ncci_edits(data: Mapping[str, Any], files: Sequence[PtpFile]) -> list[PtpEdit]:
    # A pair listed again (a practice's own [[ncci]] after ours) replaces the earlier entry.
    by_pair = {frozenset((e["column1"], e["column2"])):
               PtpEdit(e["column1"], e["column2"], e["indicator"], as_date(e.get("from")),
                       as_date(e.get("until")), source=e.get("source", ""))
               for e in data.get("ncci", [])}
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
            raise ConfigError(f"rules.toml (bundled) has no value for {setting.key}, which a "
                              "rule reads: its default belongs there")
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
    mue = MueTable(mue_files([load_mue_file(path) for path in mue_paths]),
                   {code: parse_dated(value, MueLimit) for code, value in
                    data.get("mue", {}).items()})
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
    roles = {role: frozenset(norm(s) for s in spellings)
             for role, spellings in data["provider_types"].items()}
    values = _setting_values(data, (s for s in settings if not s.profile))
    disciplines = {d: frozenset(norm(s) for s in spellings)
                   for d, spellings in data["disciplines"].items()}
    for discipline, role in data["discipline_roles"].items():
        if discipline not in disciplines:
            raise ConfigError(f"discipline_roles: '{discipline}' is not a discipline in "
                              "[disciplines]")
        if role not in roles:
            raise ConfigError(f"discipline_roles.{discipline}: '{role}' is not a role in "
                              "[provider_types]")
    headings = data["headings"]
    contractors, practice_contractor = _contractors(data)
    changes = tuple(_change(entry) for entry in data.get("changes", []))
    return Config(
        raw=data,
        sources=sources,
        day_first=data["settings"]["date_order"] == "day-first",
        header_search_rows=data["settings"]["header_search_rows"],
        known_codes=frozenset(code.upper() for codes in data.get("codes", {}).values()
                              if isinstance(codes, list) for code in _referenced(codes)),
        known_modifiers=frozenset(m.upper() for m in data["modifiers"]["known"]),
        attendance_yes=frozenset(norm(v) for v in data["attendance"]["yes"]),
        attendance_no=frozenset(norm(v) for v in data["attendance"]["no"]),
        roles=roles,
        mue=mue,
        ncci=index_by_column2(_ncci_edits(data, ptp_files)),
        ptp_files=ptp_files,
        contractors=contractors,
        practice_contractor=practice_contractor,
        changes=changes,
        columns={Field(k): tuple(norm(s) for s in v) for k, v in data["columns"].items()},
        rule_levels=dict(data.get("rules", {})),
        profiles=profiles,
        headings=Headings({Field(k): v for k, v in data["columns"].items()},
                          headings["abbreviations"], headings["qualifiers"],
                          headings["second_choice"], headings["confirm"]),
        layouts=tuple(_layout(entry, n) for n, entry in enumerate(data.get("layouts", []), 1)),
        disciplines=disciplines,
        discipline_roles=dict(data["discipline_roles"]),
        row_kinds={k: frozenset(norm(w) for w in v) for k, v in data["row_kinds"].items()},
        values=values,
    )


def _contractors(data: Mapping[str, Any]) -> tuple[dict[str, Contractor], str | None]:
    """The contractors of [contractors], and the id of the practice's ([practice] contractor:
    an id, a jurisdiction such as "JN", or a state such as "FL")."""
    contractors = {cid: Contractor(cid, c.get("name", cid), c.get("jurisdiction", ""),
                                   tuple(c.get("states", ())), tuple(c.get("match", ())),
                                   c.get("source", ""))
                   for cid, c in data.get("contractors", {}).items()}
    named = data.get("practice", {}).get("contractor", "").strip()
    if not named:
        return contractors, None
    wanted = named.upper()
    found = [c.id for c in contractors.values()
             if named.lower() == c.id or wanted in (c.jurisdiction.upper(),
                                                    *(s.upper() for s in c.states))]
    if len(found) != 1:
        problem = "names several contractors" if found else "is not a contractor id, " \
            "jurisdiction or state of [contractors]"
        raise ConfigError(f"practice.contractor: '{named}' {problem}")
    return contractors, found[0]


def _change(entry: Mapping[str, Any]) -> Change:
    unknown = [code for code in entry["rules"] if code not in RULES]
    if unknown:
        raise ConfigError(f"changes: '{unknown[0]}' is not a rule code (change of "
                          f"{as_date(entry['date'])})")
    return Change(as_date(entry["date"]) or dt.date.min, tuple(entry["rules"]), entry["change"],
                  entry.get("setting", ""), entry.get("source", ""))


def _layout(entry: Mapping[str, Any], number: int) -> Layout:
    columns = {layout_key(heading): value for heading, value in entry["columns"].items()}
    return Layout(name=entry.get("name") or f"layout {number}",
                  headings=frozenset(layout_key(h)[0] for h in entry["headings"] if norm(h)),
                  columns=columns)
