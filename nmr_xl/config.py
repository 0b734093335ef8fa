"""rules.toml: load the bundled defaults, lay a practice's file over them, validate strictly.

Every key is declared in SCHEMA; an unknown key or a wrong type is a ConfigError that names the
file, the line and the dotted key, as a linter's config loader would.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nmr_xl.errors import ConfigError
from nmr_xl.model import Field, Severity
from nmr_xl.normalize import Phrases, norm
from nmr_xl.read.headings import Headings

if TYPE_CHECKING:
    from nmr_xl.reference import MueLimit, PtpEdit


# --- schema ---------------------------------------------------------------------------------

Check = Callable[[Any], str | None]  # returns a description of what was expected, or None


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "a string"


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _is_pos_int(v: Any) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and v > 0
    return None if ok else "a whole number above 0"


def _is_str_or_str_list(v: Any) -> str | None:
    ok = isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    return None if ok else "a string or a list of strings"


def _is_str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
    return None if ok else "a list of strings"


def _is_count(v: Any) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return None if ok else "a whole number, 0 or more"


def _is_code(v: Any) -> str | None:
    ok = isinstance(v, str) and re.fullmatch(r"[A-Z0-9]{5}", v) is not None
    return None if ok else "a 5-character code such as \"97112\""


def _one_of(*choices: Any) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else " or ".join(
            f'"{c}"' if isinstance(c, str) else str(c) for c in choices)

    return check


_LEVELS = (*tuple(s.value for s in Severity), "off")
_is_level = _one_of(*_LEVELS)


@dataclass(frozen=True)
class MapOf:
    """A table whose keys are free (profile ids, rule codes) and whose values share a schema."""

    value: Any
    key_pattern: str | None = None
    key_hint: str = ""
    key_check: Callable[[str], bool] | None = None


def _is_rule_code(key: str) -> bool:
    from nmr_xl.rules import RULES  # late import: rules depend on Config

    return key in RULES


@dataclass(frozen=True)
class ListOf:
    """An array of tables sharing a schema ([[ncci]])."""

    item: dict[str, Any]
    required: tuple[str, ...] = ()


def _is_field_key(key: str) -> bool:
    return key == "any" or key in _FIELD_NAMES


_FIELD_NAMES = frozenset(f.value for f in Field)
IGNORE = "ignore"  # a layout's column that must never be read
_is_layout_field = _one_of(*sorted(_FIELD_NAMES), IGNORE)
_WORD_LISTS = MapOf(_is_str_list, key_check=_is_field_key,
                    key_hint="a field name (see [columns]) or \"any\"")

RULE_LEVELS = MapOf(_is_level, key_pattern=r"NMR\d{3}", key_check=_is_rule_code,
                    key_hint="a rule code (see `nmr-xl rules`)")

PROFILE: dict[str, Any] = {
    "match": _is_str_list,
    "medicare": _is_bool,
    "unit_method": _one_of("cms", "ama"),
    "nmr_visit_limit": _is_pos_int,
    "nmr_window_days": _is_pos_int,
    "nmr_excluded": _is_bool,
    "discipline_modifiers": _is_bool,
    "rules": RULE_LEVELS,
}

SCHEMA: dict[str, Any] = {
    "settings": {
        "date_order": _one_of("month-first", "day-first"),
        "header_search_rows": _is_pos_int,
        "provider_day_minutes": _is_pos_int,
        "likely_typo_minutes": _is_pos_int,
        "episode_gap_days": _is_pos_int,
        "mue_file": _is_str,
        "ncci_file": _is_str_or_str_list,  # CMS splits the PTP edits over several files
    },
    "codes": {
        "nmr": _is_str_list,
        "timed": _is_str_list,
        "cmt": _is_str_list,
        "always_therapy": _is_str_list,
        "re_evaluation": _is_str_list,
        "group_therapy": _is_str,
        "therapeutic_exercise": _is_str,
        "manual_therapy": _is_str,
        "massage": _is_str,
    },
    "modifiers": {"known": _is_str_list, "distinct": _is_str_list},
    "attendance": {"yes": _is_str_list, "no": _is_str_list},
    "provider_types": MapOf(_is_str_list, key_pattern=r"[a-z][a-z0-9_]*", key_hint="a role id"),
    "disciplines": MapOf(_is_str_list, key_pattern=r"[a-z][a-z0-9_]*",
                         key_hint="a discipline id"),
    "discipline_roles": MapOf(_is_str, key_pattern=r"[a-z][a-z0-9_]*",
                              key_hint="a discipline id"),
    "row_kinds": {k: _is_str_list for k in ("diagnosis", "void", "not_billed", "payment",
                                            "adjustment", "charge", "total", "page")},
    "nmr": {"unqualified_roles": _is_str_list, "chiropractic_assistant_qualified": _is_bool},
    "keywords": {
        "not_one_on_one": _is_str_list,
        "group_exceptions": _is_str_list,
        "muscle_work": _is_str_list,
        "muscle_work_exceptions": _is_str_list,
        "stretching": _is_str_list,
        "passive_device": _is_str_list,
        "passive_device_exceptions": _is_str_list,
        "strength_or_rom": _is_str_list,
        "strength_or_rom_exceptions": _is_str_list,
        "nmr_activity": _is_str_list,
    },
    "diagnoses": {"neuromuscular": _is_str_list, "subluxation": _is_str_list},
    "mue": MapOf(_is_count, key_pattern=r"[A-Z0-9]{5}", key_hint="a 5-character code"),
    "ncci": ListOf({"column1": _is_code, "column2": _is_code, "indicator": _one_of(0, 1, 9),
                    "source": _is_str}, required=("column1", "column2", "indicator")),
    "columns": {f.value: _is_str_list for f in Field},
    "headings": {
        "abbreviations": MapOf(_is_str, key_pattern=r"[a-z0-9]+",
                               key_hint="a lower-case word"),
        "confirm": _is_str_list,
        "qualifiers": _WORD_LISTS,
        "second_choice": _WORD_LISTS,
    },
    # An export layout pinned by its headings: which heading is which field, never guessed.
    "layouts": ListOf({"name": _is_str, "headings": _is_str_list,
                       "columns": MapOf(_is_layout_field, key_hint="a heading")},
                      required=("headings", "columns")),
    "rules": RULE_LEVELS,
    "profiles": MapOf(PROFILE, key_pattern=r"[A-Za-z0-9_-]+", key_hint="a profile id"),
}

# Under these tables a user's lists extend the defaults instead of replacing them.
_EXTENDING_TABLES = {("columns",), ("modifiers",), ("headings",), ("headings", "qualifiers"),
                     ("headings", "second_choice")}
# Arrays of tables a user's file adds to ([[ncci]] pairs; a pair given again replaces ours).
_EXTENDING_ARRAYS = {("ncci",), ("layouts",)}


# --- locating keys in the file, for error messages --------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return tuple(p.strip("\"'") for p in parts)


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Dotted key path -> 1-based line where it is defined (tables and plain keys)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            if line.lstrip().startswith("[["):  # an array of tables: entries are numbered
                arrays[table] = arrays.get(table, 0) + 1
                table = (*table, f"#{arrays[table]}")
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(table + _split_key(key.group(1)), number)
    return lines


def _line_of(lines: Mapping[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    # Keys inside inline tables are not indexed: fall back to the nearest enclosing key.
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


# --- validation ---------------------------------------------------------------------------------


def _validate(data: Mapping[str, Any], schema: Any, path: tuple[str, ...], fail: Callable) -> None:
    if isinstance(schema, MapOf):
        if not isinstance(data, Mapping):
            fail(path, "must be a table")
        for key, value in data.items():
            if ((schema.key_pattern and not re.fullmatch(schema.key_pattern, key))
                    or (schema.key_check and not schema.key_check(key))):
                fail((*path, key), f"is not {schema.key_hint}")
            _validate_value(value, schema.value, (*path, key), fail)
        return
    if not isinstance(data, Mapping):
        fail(path, "must be a table")
    for key, value in data.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            fail((*path, key), f"is not a known setting (known here: {known})")
        _validate_value(value, schema[key], (*path, key), fail)


def _validate_value(value: Any, schema: Any, path: tuple[str, ...], fail: Callable) -> None:
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            fail(path, "must be an array of tables ([[...]])")
        for index, item in enumerate(value, start=1):
            entry = (*path, f"#{index}")
            _validate(item, schema.item, entry, fail)
            for key in schema.required:
                if key not in item:
                    fail(entry, f"lacks '{key}'")
        return
    if isinstance(schema, dict | MapOf):
        _validate(value, schema, path, fail)
        return
    expected = schema(value)
    if expected:
        fail(path, f"must be {expected}, not {value!r}")


def parse_rules_text(text: str, source: str) -> dict[str, Any]:
    """Parse and validate one rules file; raise ConfigError naming file, line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    lines = _key_lines(text)

    def fail(path: tuple[str, ...], problem: str) -> None:
        line = _line_of(lines, path)
        where = f"{source}:{line}" if line else source
        dotted = ".".join(path).replace(".#", "#")  # ncci#3.indicator: the third [[ncci]]
        raise ConfigError(f"{where}: '{dotted}' {problem}")

    _validate(data, SCHEMA, (), fail)
    return data


def _merge(base: dict[str, Any], over: Mapping[str, Any], path: tuple[str, ...] = ()) -> None:
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, here)
        elif here in _EXTENDING_ARRAYS and isinstance(base.get(key), list):
            base[key] = base[key] + list(value)
        elif path in _EXTENDING_TABLES and isinstance(base.get(key), list):
            base[key] = base[key] + [v for v in value if v not in base[key]]
        else:
            base[key] = value


# --- typed settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    id: str
    match: tuple[str, ...] = ()
    medicare: bool = False
    unit_method: str = "cms"
    nmr_visit_limit: int | None = None
    nmr_window_days: int | None = None
    nmr_excluded: bool = False
    discipline_modifiers: bool = False
    rule_levels: Mapping[str, str] = field(default_factory=dict)


class DxFamilies:
    """ICD-10-CM families: "I60-I69" is a range of 3-character categories, "M21.37" a prefix."""

    def __init__(self, entries: list[str]) -> None:
        self._ranges: list[tuple[str, str]] = []
        self._prefixes: list[str] = []
        self._seen: dict[str, bool] = {}
        for entry in entries:
            lo, _, hi = entry.upper().replace(".", "").partition("-")
            if hi:
                self._ranges.append((lo.strip()[:3], hi.strip()[:3]))
            else:
                self._prefixes.append(lo.strip())

    def contains(self, code: str) -> bool:
        known = self._seen.get(code)
        if known is None:
            key = code.upper().replace(".", "")
            category = key[:3]
            known = any(lo <= category <= hi for lo, hi in self._ranges) or any(
                key.startswith(p) for p in self._prefixes)
            self._seen[code] = known  # a sheet repeats the same few diagnoses
        return known


@dataclass(frozen=True)
class Layout:
    """An export layout a rules file pins: recognised by its headings (all of them on one row),
    it says which heading is which field ("ignore": never read that column)."""

    name: str
    headings: frozenset[str]  # normalised (norm)
    # (normalised heading, n) -> field name or IGNORE: n is 0 for every column with that
    # heading, or k for only the k-th ("Date [2]": the second column headed "Date")
    columns: Mapping[tuple[str, int], str]

    def field_for(self, heading: str, occurrence: int) -> str | None:
        key = norm(heading)
        return self.columns.get((key, occurrence)) or self.columns.get((key, 0))


_OCCURRENCE = re.compile(r"(.*?)\s*\[(\d+)\]\s*")


def layout_key(heading: str) -> tuple[str, int]:
    """"Date [2]" -> ("date", 2); "Svc Date" -> ("svc date", 0)."""
    match = _OCCURRENCE.fullmatch(heading)
    return (norm(match.group(1)), int(match.group(2))) if match else (norm(heading), 0)


def _lookup(text: str, table: Mapping[str, frozenset[str]]) -> str | None:
    """The key whose spellings hold `text` ("L.M.T." -> "l m t", also tried as "lmt")."""
    key = norm(text)
    squeezed = key.replace(" ", "")
    return next((name for name, spellings in table.items()
                 if key in spellings or squeezed in spellings), None)


@dataclass(frozen=True)
class Config:
    raw: Mapping[str, Any]
    sources: tuple[str, ...]
    day_first: bool
    header_search_rows: int
    provider_day_minutes: int
    likely_typo_minutes: int
    episode_gap_days: int
    nmr_codes: frozenset[str]
    timed_codes: frozenset[str]
    cmt_codes: frozenset[str]
    always_therapy: frozenset[str]
    re_evaluation: frozenset[str]
    known_modifiers: frozenset[str]
    distinct_modifiers: frozenset[str]
    suggest: Mapping[str, str]
    attendance_yes: frozenset[str]
    attendance_no: frozenset[str]
    roles: Mapping[str, frozenset[str]]
    nmr_unqualified_roles: frozenset[str]
    ca_qualified: bool
    keywords: Mapping[str, Phrases]
    neuromuscular: DxFamilies
    subluxation: DxFamilies
    # NMR105: code -> most units per visit (the CMS file's values over rules.toml's)
    mue: Mapping[str, MueLimit]
    # NMR306: column-2 code -> the PTP edits that restrict it
    ncci: Mapping[str, list[PtpEdit]]
    columns: Mapping[Field, tuple[str, ...]]
    rule_levels: Mapping[str, str]
    profiles: Mapping[str, Profile]
    headings: Headings
    layouts: tuple[Layout, ...]
    disciplines: Mapping[str, frozenset[str]]
    discipline_roles: Mapping[str, str]
    # row kind (diagnosis, void, payment ...) -> the words that mark it, normalised
    row_kinds: Mapping[str, frozenset[str]]
    # payer cell text -> profile; filled as payers are met (a sheet has few distinct payers)
    profile_cache: dict[str, Profile] = field(default_factory=dict, compare=False, repr=False)
    role_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    discipline_cache: dict[str, str | None] = field(default_factory=dict, compare=False,
                                                    repr=False)

    def role_of(self, provider_type: str | None) -> str | None:
        """The role a credential names ("PTA" -> pt_assistant), or None."""
        if not provider_type:
            return None
        if provider_type not in self.role_cache:
            found = _lookup(provider_type, self.roles)
            if found is None:  # several credentials in one cell: "PTA, LMT", "PT/ATC"
                found = next(filter(None, (_lookup(part, self.roles) for part in
                                           re.split(r"[,;/&+]", provider_type) if part.strip())),
                             None)
            self.role_cache[provider_type] = found
        return self.role_cache[provider_type]

    def discipline_of(self, text: str | None) -> str | None:
        """The discipline a cell names ("Massage Therapy" -> massage_therapy), or None."""
        if not text:
            return None
        if text not in self.discipline_cache:
            self.discipline_cache[text] = _lookup(text, self.disciplines)
        return self.discipline_cache[text]

    def profile_for(self, payer: str | None) -> Profile:
        return _resolve_profile(self, payer)


def _specificity(pattern: str) -> tuple[int, int]:
    # An exact name beats a glob; among globs, more literal characters win.
    wild = sum(pattern.count(c) for c in "*?[")
    return (0 if wild else 1, len(pattern) - wild)


def _resolve_profile(config: Config, payer: str | None) -> Profile:
    cached = config.profile_cache.get(payer or "")
    if cached is not None:
        return cached
    key = " ".join(payer.lower().split()) if payer else ""
    best: tuple[tuple[int, int], Profile] | None = None
    for profile in config.profiles.values():
        for pattern in profile.match:
            if key and fnmatch.fnmatchcase(key, pattern.lower()):
                rank = _specificity(pattern)
                if best is None or rank > best[0]:
                    best = (rank, profile)
    resolved = best[1] if best else config.profiles["default"]
    config.profile_cache[payer or ""] = resolved
    return resolved


def bundled_rules_path() -> Path:
    """The rules.toml shipped in the wheel, or the repository's own when run from a checkout."""
    packaged = resources.files("nmr_xl") / "rules.toml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "rules.toml"


def load_config(user_file: Path | None = None, *, mue_file: Path | None = None,
                ncci_file: Path | Sequence[Path] | None = None) -> Config:
    """Bundled defaults, the user's rules file over them, then the CMS reference files (from
    the rules file's settings, or the command line's, which win)."""
    base_path = bundled_rules_path()
    data = parse_rules_text(base_path.read_text(encoding="utf-8"), "rules.toml (bundled)")
    sources = ["bundled rules.toml"]
    if user_file is not None:
        try:
            text = user_file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"{user_file}: cannot read rules file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{user_file}: rules file is not UTF-8 text") from None
        user = parse_rules_text(text, str(user_file))
        named = user.get("settings", {})
        if named.get("mue_file"):  # reference files are relative to the rules file naming them
            named["mue_file"] = str(user_file.parent / named["mue_file"])
        if named.get("ncci_file"):
            files = named["ncci_file"]
            named["ncci_file"] = [str(user_file.parent / f)
                                  for f in ([files] if isinstance(files, str) else files) if f]
        _merge(data, user)
        sources.append(str(user_file))
    settings = data["settings"]
    mue_path = mue_file or (Path(settings["mue_file"]) if settings["mue_file"] else None)
    if ncci_file is not None:
        ncci_paths = [ncci_file] if isinstance(ncci_file, Path) else list(ncci_file)
    else:
        named_files = settings["ncci_file"]
        ncci_paths = [Path(f) for f in ([named_files] if isinstance(named_files, str)
                                        else named_files) if f]
    sources += [f"MUE file {mue_path}"] if mue_path else []
    sources += [f"PTP file {p}" for p in ncci_paths]
    return build_config(data, tuple(sources), mue_path, ncci_paths)


def _ncci_edits(data: Mapping[str, Any], ncci_paths: Sequence[Path]) -> list[PtpEdit]:
    from nmr_xl.reference import PtpEdit, load_ptp_file

    # A pair listed again (a practice's own [[ncci]] after ours) replaces the earlier entry.
    by_pair = {frozenset((e["column1"], e["column2"])):
               PtpEdit(e["column1"], e["column2"], e["indicator"], source=e.get("source", ""))
               for e in data.get("ncci", [])}
    edits = list(by_pair.values())
    if ncci_paths:
        codes = data["codes"]
        scope = {*codes["timed"], *codes["always_therapy"], *codes["cmt"],
                 *(c for e in edits for c in (e.column1, e.column2))}
        loaded = [edit for path in ncci_paths
                  for edit in load_ptp_file(path, lambda c1, c2: c1 in scope and c2 in scope)]
        # The CMS file's dated edits replace the undated rules.toml entries for the same two
        # codes: otherwise a deleted, not-yet-effective or indicator-9 edit would still fire.
        in_file = {frozenset((e.column1, e.column2)) for e in loaded}
        edits = [e for e in edits if frozenset((e.column1, e.column2)) not in in_file] + loaded
    return edits


def build_config(data: Mapping[str, Any], sources: tuple[str, ...],
                 mue_path: Path | None = None, ncci_paths: Sequence[Path] = ()) -> Config:
    from nmr_xl.reference import MueLimit, index_by_column2, load_mue_file

    mue = {code: MueLimit(value) for code, value in data.get("mue", {}).items()}
    if mue_path is not None:
        mue.update(load_mue_file(mue_path))
    profiles_raw = data.get("profiles", {})
    if "default" not in profiles_raw:
        raise ConfigError("rules file: profiles.default is missing")
    profiles = {
        pid: Profile(
            id=pid,
            match=tuple(p.get("match", ())),
            medicare=p.get("medicare", False),
            unit_method=p.get("unit_method", "cms"),
            nmr_visit_limit=p.get("nmr_visit_limit"),
            nmr_window_days=p.get("nmr_window_days"),
            nmr_excluded=p.get("nmr_excluded", False),
            discipline_modifiers=p.get("discipline_modifiers", False),
            rule_levels=dict(p.get("rules", {})),
        )
        for pid, p in profiles_raw.items()
    }
    roles = {role: frozenset(norm(s) for s in spellings)
             for role, spellings in data["provider_types"].items()}
    nmr = data["nmr"]
    for role in nmr["unqualified_roles"]:
        if role not in roles:
            raise ConfigError(f"nmr.unqualified_roles: '{role}' is not a role in [provider_types]")
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
    settings = data["settings"]
    codes = data["codes"]
    return Config(
        raw=data,
        sources=sources,
        day_first=settings["date_order"] == "day-first",
        header_search_rows=settings["header_search_rows"],
        provider_day_minutes=settings["provider_day_minutes"],
        likely_typo_minutes=settings["likely_typo_minutes"],
        episode_gap_days=settings["episode_gap_days"],
        nmr_codes=frozenset(c.upper() for c in codes["nmr"]),
        timed_codes=frozenset(c.upper() for c in codes["timed"]),
        cmt_codes=frozenset(c.upper() for c in codes["cmt"]),
        always_therapy=frozenset(c.upper() for c in codes["always_therapy"]),
        re_evaluation=frozenset(c.upper() for c in codes["re_evaluation"]),
        known_modifiers=frozenset(m.upper() for m in data["modifiers"]["known"]),
        distinct_modifiers=frozenset(m.upper() for m in data["modifiers"]["distinct"]),
        suggest={k: v for k, v in codes.items() if isinstance(v, str)},
        attendance_yes=frozenset(norm(v) for v in data["attendance"]["yes"]),
        attendance_no=frozenset(norm(v) for v in data["attendance"]["no"]),
        roles=roles,
        nmr_unqualified_roles=frozenset(nmr["unqualified_roles"]),
        ca_qualified=nmr["chiropractic_assistant_qualified"],
        keywords={k: Phrases(v) for k, v in data["keywords"].items()},
        neuromuscular=DxFamilies(data["diagnoses"]["neuromuscular"]),
        subluxation=DxFamilies(data["diagnoses"]["subluxation"]),
        mue=mue,
        ncci=index_by_column2(_ncci_edits(data, ncci_paths)),
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
    )


def _layout(entry: Mapping[str, Any], number: int) -> Layout:
    columns = {layout_key(heading): value for heading, value in entry["columns"].items()}
    return Layout(name=entry.get("name") or f"layout {number}",
                  headings=frozenset(layout_key(h)[0] for h in entry["headings"] if norm(h)),
                  columns=columns)
