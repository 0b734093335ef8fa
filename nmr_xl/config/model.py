"""The loaded rules file, typed: what the reader, the engine and the command line read as fields
(dates, headers, columns, vocabularies, payer profiles, rule levels, MUE and NCCI data), and the
values of the settings the rules declare, read through `Config.value(SETTING)`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from nmr_xl.config.schema import Setting
from nmr_xl.model import Field
from nmr_xl.normalize import norm
from nmr_xl.read.headings import Headings

if TYPE_CHECKING:
    from nmr_xl.reference import MueLimit, PtpEdit

T = TypeVar("T")


def _undeclared(setting: Setting[Any]) -> LookupError:
    return LookupError(f"setting {setting.path} is read but no registered rule lists it in "
                       "its settings")


def _wrong_kind(setting: Setting[Any]) -> LookupError:
    kind = "a per-payer setting: read it from a profile" if setting.profile else \
        "not a per-payer setting: read it from the config"
    return LookupError(f"setting {setting.path} is {kind}")


@dataclass(frozen=True)
class Profile:
    id: str
    match: tuple[str, ...] = ()
    medicare: bool = False
    rule_levels: Mapping[str, str] = field(default_factory=dict)
    # profile setting key -> typed value, for every profile setting a rule declares
    values: Mapping[str, Any] = field(default_factory=dict)

    def value(self, setting: Setting[T]) -> T:
        """This payer's value of a per-profile setting (nmr_visit_limit, unit_method ...)."""
        if not setting.profile:
            raise _wrong_kind(setting)
        if setting.key not in self.values:
            raise _undeclared(setting)
        return cast(T, self.values[setting.key])


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


IGNORE = "ignore"  # a layout's column that must never be read


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
    # every code of the [codes] lists: a column of them is a code column, whatever its heading
    known_codes: frozenset[str]
    known_modifiers: frozenset[str]
    attendance_yes: frozenset[str]
    attendance_no: frozenset[str]
    roles: Mapping[str, frozenset[str]]
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
    # setting key -> typed value, for every (non-profile) setting a rule declares
    values: Mapping[str, Any]
    # payer cell text -> profile; filled as payers are met (a sheet has few distinct payers)
    profile_cache: dict[str, Profile] = field(default_factory=dict, compare=False, repr=False)
    role_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    discipline_cache: dict[str, str | None] = field(default_factory=dict, compare=False,
                                                    repr=False)

    def value(self, setting: Setting[T]) -> T:
        """The typed value of a setting a rule declares (parsed once, when the file was loaded)."""
        if setting.profile:
            raise _wrong_kind(setting)
        if setting.key not in self.values:
            raise _undeclared(setting)
        return cast(T, self.values[setting.key])

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
