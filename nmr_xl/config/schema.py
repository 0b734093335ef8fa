"""The check language of rules.toml: value checks, tables of them, strict validation that names
the file, line and dotted key of a problem, and the declaration of one setting.

Nothing here knows which keys exist: the loader assembles the schema from the core settings
(config.load) and the settings every registered rule declares (rules.registry).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

from nmr_xl.config.dated import VERSION_KEYS, as_date, bounds, is_versions, overlap, parse_dated
from nmr_xl.errors import ConfigError
from nmr_xl.model import Severity

T = TypeVar("T")

Check = Callable[[Any], str | None]  # returns a description of what was expected, or None
Fail = Callable[[tuple[str, ...], str], NoReturn]


def is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "a string"


def is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def is_pos_int(v: Any) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and v > 0
    return None if ok else "a whole number above 0"


def is_str_or_str_list(v: Any) -> str | None:
    ok = isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    return None if ok else "a string or a list of strings"


def is_str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
    return None if ok else "a list of strings"


def is_count(v: Any) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return None if ok else "a whole number, 0 or more"


def is_code(v: Any) -> str | None:
    ok = isinstance(v, str) and re.fullmatch(r"[A-Z0-9]{5}", v) is not None
    return None if ok else "a 5-character code such as \"97112\""


def is_date(v: Any) -> str | None:
    return None if as_date(v) is not None else "a date like 2025-10-29"


def one_of(*choices: Any) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else " or ".join(
            f'"{c}"' if isinstance(c, str) else str(c) for c in choices)

    return check


LEVELS = (*tuple(s.value for s in Severity), "off")
is_level = one_of(*LEVELS)


@dataclass(frozen=True)
class MapOf:
    """A table whose keys are free (profile ids, rule codes) and whose values share a schema."""

    value: Any
    key_pattern: str | None = None
    key_hint: str = ""
    key_check: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class ListOf:
    """An array of tables sharing a schema ([[ncci]])."""

    item: dict[str, Any]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Versions:
    """A value that may instead be written as its dated versions (see config.dated): an array
    of tables with `value`, `from`, `until` (or `year`) and a required `source`."""

    value: Any  # the check of one version's value
    optional: bool = False  # a version may leave `value` out (the setting's "not set" value)


@dataclass(frozen=True, eq=False)
class Setting(Generic[T]):
    """One key of rules.toml, declared once: beside the rules that read it, or for what the
    reader, the engine and the loader read, in config.core.

    The loader validates it with `check`, turns it into its typed value with `parse` once per
    loaded file, and `explain` and docs/rules.md show it with `docs`. Its default is the value
    in the bundled rules.toml (a test checks every setting has one there).
    """

    key: str  # dotted path ("settings.provider_day_minutes"); a profile setting: its key there
    check: Any  # a Check, or a MapOf / ListOf / dict of them
    parse: Callable[[Any], T]  # the raw TOML value -> what the rules use
    docs: str
    profile: bool = False  # a per-payer key of every [profiles.ID] table
    # The raw value where the key is left out: of a profile setting, in a profile; of another,
    # in every rules file (the bundled one too). None: the bundled rules.toml must set it.
    absent: Any = None
    extends: bool = False  # a practice's list is added to the default list, not put in its place
    # (table, noun): each item of a list, or each key of a table, must be a key of `table`
    refers_to: tuple[str, str] | None = None
    # The datum comes from a dated source: it may be written as versions in force between
    # dates (config.dated), and a rule reads it for a date: ctx.value(SETTING, on=line.dos).
    dated: bool = False
    # A core setting (config.core): who reads it instead of a rule ("the reader", "the loader",
    # "NMR105, with the CMS MUE files"); "" for a setting rules list and read.
    read_by: str = ""

    @property
    def path(self) -> str:
        """Where it is written: "settings.provider_day_minutes", "profiles.<id>.unit_method"."""
        return f"profiles.<id>.{self.key}" if self.profile else self.key

    @property
    def schema(self) -> Any:
        """What the loader validates the raw value with: a dated setting's versions too."""
        if not self.dated:
            return self.check
        return Versions(self.check, optional=self.profile or self.absent is not None)

    def load(self, raw: Any) -> Any:
        """The raw TOML value -> what `Config.value` hands out: the parsed value, or for a
        dated setting its parsed versions (a Dated)."""
        return parse_dated(raw, self.parse, self.absent) if self.dated else self.parse(raw)


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


def _validate(data: Mapping[str, Any], schema: Any, path: tuple[str, ...], fail: Fail) -> None:
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


def _validate_versions(entries: list[Any], schema: Versions, path: tuple[str, ...],
                       fail: Fail) -> None:
    for index, entry in enumerate(entries, start=1):
        here = (*path, f"#{index}")
        for key in entry:
            if key not in VERSION_KEYS:
                fail((*here, key), "is not a key of a dated version (known: "
                     f"{', '.join(VERSION_KEYS)})")
        if "value" in entry:
            _validate_value(entry["value"], schema.value, (*here, "value"), fail)
        elif not schema.optional:
            fail(here, "lacks 'value'")
        source = entry.get("source")
        if not (isinstance(source, str) and source.strip()):
            fail((*here, "source") if "source" in entry else here,
                 "lacks 'source': say where the value comes from (a policy, a CMS file, a "
                 "contract) and its date")
        for key in ("from", "until"):
            if key in entry and as_date(entry[key]) is None:
                fail((*here, key), f"must be a date like 2025-10-29, not {entry[key]!r}")
        if "year" in entry:
            year = entry["year"]
            if not (isinstance(year, int) and not isinstance(year, bool) and 1900 < year < 3000):
                fail((*here, "year"), f"must be a year like 2026, not {year!r}")
            if "from" in entry or "until" in entry:
                fail((*here, "year"), "cannot be given with 'from' or 'until'")
        start, end = bounds(entry)
        if start and end and start > end:
            fail((*here, "until"), f"is before the start {start.isoformat()}")
    clash = overlap(entries)
    if clash:
        earlier, later = clash
        fail((*path, f"#{later + 1}"), f"overlaps version #{earlier + 1}: the versions of one "
             "datum never overlap (each date of service has one)")


def _validate_value(value: Any, schema: Any, path: tuple[str, ...], fail: Fail) -> None:
    if isinstance(schema, Versions):
        if is_versions(value):
            _validate_versions(value, schema, path, fail)
        else:
            _validate_value(value, schema.value, path, fail)
        return
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


def parse_toml(text: str, source: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Parse one rules file and validate it against `schema`; raise ConfigError naming the file,
    the line and the dotted key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    lines = _key_lines(text)

    def fail(path: tuple[str, ...], problem: str) -> NoReturn:
        line = _line_of(lines, path)
        where = f"{source}:{line}" if line else source
        dotted = ".".join(path).replace(".#", "#")  # ncci#3.indicator: the third [[ncci]]
        raise ConfigError(f"{where}: '{dotted}' {problem}")

    _validate(data, schema, (), fail)
    return data
