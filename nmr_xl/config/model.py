"""The loaded rules file, typed: what the reader, the engine and the command line read as fields
(dates, headers, columns, vocabularies, payer profiles, rule levels, MUE and NCCI data), and the
values of the settings the rules declare, read through `Config.value(SETTING)`.
"""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from nmr_xl.config.dated import Dated
from nmr_xl.config.schema import Setting
from nmr_xl.model import Field
from nmr_xl.normalize import norm
from nmr_xl.read.headings import Headings

if TYPE_CHECKING:
    from nmr_xl.reference import MueTable, PtpEdit, PtpFile

T = TypeVar("T")


def _undeclared(setting: Setting[Any]) -> LookupError:
    return LookupError(f"setting {setting.path} is read but no registered rule lists it in "
                       "its settings")


def _wrong_kind(setting: Setting[Any]) -> LookupError:
    kind = "a per-payer setting: read it from a profile" if setting.profile else \
        "not a per-payer setting: read it from the config"
    return LookupError(f"setting {setting.path} is {kind}")


class Undated(enum.Enum):
    """No date given: what a read of a dated setting must not be."""

    UNDATED = "undated"


UNDATED = Undated.UNDATED


def _on(setting: Setting[T], stored: Any, on: dt.date | Undated) -> T:
    """A stored setting value as read: a dated setting's version in force on `on`."""
    if not setting.dated:
        return cast(T, stored)
    if on is UNDATED:
        raise LookupError(f"setting {setting.path} varies by date of service: read it with "
                          "on=the line's date (a line without a date: the as-of date)")
    return cast(T, stored.on(on))


def _versions(setting: Setting[T], stored: Any) -> Dated[T]:
    if not setting.dated:
        raise LookupError(f"setting {setting.path} is not dated: read it with value()")
    return cast(Dated[T], stored)


@dataclass(frozen=True)
class Profile:
    id: str
    match: tuple[str, ...] = ()
    medicare: bool = False
    rule_levels: Mapping[str, str] = field(default_factory=dict)
    # profile setting key -> typed value, for every profile setting a rule declares
    values: Mapping[str, Any] = field(default_factory=dict)

    def value(self, setting: Setting[T], *, on: dt.date | Undated = UNDATED) -> T:
        """This payer's value of a per-profile setting (nmr_visit_limit, unit_method ...); a
        dated one's in force on the date `on`."""
        return _on(setting, self._stored(setting), on)

    def versions(self, setting: Setting[T]) -> Dated[T]:
        """Every version of this payer's dated setting, with its dates and source."""
        return _versions(setting, self._stored(setting))

    def _stored(self, setting: Setting[Any]) -> Any:
        if not setting.profile:
            raise _wrong_kind(setting)
        if setting.key not in self.values:
            raise _undeclared(setting)
        return self.values[setting.key]


@dataclass(frozen=True)
class Contractor:
    """A Medicare Administrative Contractor (MAC) and the jurisdiction it processes Part B
    claims for: rules that are one contractor's edit apply as errors only where it is the
    line's contractor."""

    id: str
    name: str
    jurisdiction: str
    states: tuple[str, ...] = ()
    match: tuple[str, ...] = ()  # payer-cell patterns that name it ("*first coast*")
    source: str = ""


@dataclass(frozen=True)
class Change:
    """One entry of the change log: on `date`, `change` was made to the data of `rules`."""

    date: dt.date
    rules: tuple[str, ...]
    change: str
    setting: str = ""  # the rules.toml key changed, when one is
    source: str = ""

    def text(self) -> str:
        """"2026-12-06 (diagnoses.neuromuscular): M62.81 removed ... Source: ..."."""
        where = f" ({self.setting})" if self.setting else ""
        source = f" Source: {self.source}" if self.source else ""
        return f"{self.date.isoformat()}{where}: {self.change}{source}"


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
    # NMR105: code and date of service -> most units per visit (the CMS files' values over
    # rules.toml's)
    mue: MueTable
    # NMR306: column-2 code -> the PTP edits that restrict it, the most recent first
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
    # the CMS PTP files loaded (their edits are in `ncci`): how current they are
    ptp_files: tuple[PtpFile, ...] = ()
    # Medicare contractors by id, and the one the practice's Part B claims go to ([practice])
    contractors: Mapping[str, Contractor] = field(default_factory=dict)
    practice_contractor: str | None = None
    # the change log of the data ([[changes]]), oldest first
    changes: tuple[Change, ...] = ()
    # payer cell text -> profile; filled as payers are met (a sheet has few distinct payers)
    profile_cache: dict[str, Profile] = field(default_factory=dict, compare=False, repr=False)
    contractor_cache: dict[str, frozenset[str]] = field(default_factory=dict, compare=False,
                                                        repr=False)
    role_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    discipline_cache: dict[str, str | None] = field(default_factory=dict, compare=False,
                                                    repr=False)

    def value(self, setting: Setting[T], *, on: dt.date | Undated = UNDATED) -> T:
        """The typed value of a setting a rule declares (parsed once, when the file was
        loaded); a dated one's in force on the date `on`."""
        return _on(setting, self._stored(setting), on)

    def versions(self, setting: Setting[T]) -> Dated[T]:
        """Every version of a dated setting, with its dates and source."""
        return _versions(setting, self._stored(setting))

    def _stored(self, setting: Setting[Any]) -> Any:
        if setting.profile:
            raise _wrong_kind(setting)
        if setting.key not in self.values:
            raise _undeclared(setting)
        return self.values[setting.key]

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

    def changes_of(self, code: str) -> list[Change]:
        """The change-log entries that concern rule `code`, oldest first."""
        return sorted((c for c in self.changes if code in c.rules), key=lambda c: c.date)

    def contractors_for(self, payer: str | None) -> frozenset[str]:
        """The ids of the Medicare contractors a line's claim may go to: those its payer cell
        names ("Medicare - Palmetto GBA": JJ and JM; "Noridian JF": JF), narrowed to the
        practice's own when it is one of them; else the practice's; else none (unknown)."""
        key = " ".join(payer.lower().split()) if payer else ""
        cached = self.contractor_cache.get(key)
        if cached is None:
            named = _best_matches(key, ((c.id, c.match) for c in self.contractors.values()))
            own = self.practice_contractor
            if named:
                cached = frozenset({own}) if own in named else frozenset(named)
            else:
                cached = frozenset({own}) if own else frozenset()
            self.contractor_cache[key] = cached
        return cached


def _specificity(pattern: str) -> tuple[int, int]:
    # An exact name beats a glob; among globs, more literal characters win.
    wild = sum(pattern.count(c) for c in "*?[")
    return (0 if wild else 1, len(pattern) - wild)


def _best_matches(key: str, candidates: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """The ids whose patterns match `key` most specifically (all of them on a tie)."""
    best: tuple[int, int] | None = None
    found: list[str] = []
    for ident, patterns in candidates:
        ranks = [_specificity(p) for p in patterns if key and fnmatch.fnmatchcase(key, p.lower())]
        if not ranks:
            continue
        rank = max(ranks)
        if best is None or rank > best:
            best, found = rank, [ident]
        elif rank == best:
            found.append(ident)
    return found


def _resolve_profile(config: Config, payer: str | None) -> Profile:
    cached = config.profile_cache.get(payer or "")
    if cached is not None:
        return cached
    key = " ".join(payer.lower().split()) if payer else ""
    # a tie between profiles: the first declared, as before
    best = _best_matches(key, ((p.id, p.match) for p in config.profiles.values()))
    resolved = config.profiles[best[0]] if best else config.profiles["default"]
    config.profile_cache[payer or ""] = resolved
    return resolved
