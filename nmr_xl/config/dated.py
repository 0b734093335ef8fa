"""Dated data: a datum from a dated source (a payer's policy, a CMS edit, a yearly threshold) in
the versions it has been in force, each with its dates and its source.

In rules.toml a datum is either a plain value, in force on every date:

    nmr_visit_limit = 18

or its versions, as an array of tables (or an inline array of them):

    [[profiles.aetna.nmr_visit_limit]]
    until = 2025-10-28          # last date of service it applies to (inclusive)
    value = 18
    source = "secondary: ..."   # required: where the value comes from, and its date

    [[profiles.aetna.nmr_visit_limit]]
    from = 2025-10-29           # first date of service it applies to (inclusive)
    source = "primary: ..."     # no value: the setting's "not set" value from this date

`from` and `until` may each be left out (open since before / still in force); `year = 2026`
stands for the calendar year. Versions never overlap; a date no version covers gets the
setting's "not set" value. Dates are TOML dates (2025-10-29) or the same as text.

A line is judged by the version in force on its date of service; a line without a readable
date by the version in force on the as-of date (the date the check treats as today).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

VERSION_KEYS = ("value", "from", "until", "year", "source")


@dataclass(frozen=True, slots=True)
class Version(Generic[T]):
    """One version of a datum: its value from `start` to `end` (both inclusive; None: open)."""

    value: T
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = ""

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    @property
    def period(self) -> str:
        """"until 2025-10-28", "from 2025-10-29", "2026-01-01 to 2026-12-31", "undated"."""
        if self.start and self.end:
            return f"{self.start.isoformat()} to {self.end.isoformat()}"
        if self.start:
            return f"from {self.start.isoformat()}"
        if self.end:
            return f"until {self.end.isoformat()}"
        return "undated"


@dataclass(frozen=True)
class Dated(Generic[T]):
    """A datum's versions in date order (never overlapping), and its value on a date none of
    them covers."""

    versions: tuple[Version[T], ...]
    missing: T

    def version_on(self, day: dt.date) -> Version[T] | None:
        return next((v for v in self.versions if v.covers(day)), None)

    def on(self, day: dt.date) -> T:
        version = self.version_on(day)
        return self.missing if version is None else version.value

    @property
    def dated(self) -> bool:
        """Whether any version has dates (a plain value has one undated version)."""
        return any(v.start or v.end for v in self.versions)


def as_date(value: Any) -> dt.date | None:
    """A TOML date or an ISO date text as a date; None for anything else (a datetime too)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def is_versions(raw: Any) -> bool:
    """Whether a raw value is written as versions (a non-empty array of tables)."""
    return isinstance(raw, list) and bool(raw) and all(isinstance(v, Mapping) for v in raw)


def bounds(entry: Mapping[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    """(start, end) of a version or dated entry as written (`from`/`until`, or `year`)."""
    if "year" in entry:
        year = entry["year"]
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return as_date(entry.get("from")), as_date(entry.get("until"))


def parse_dated(raw: Any, parse: Callable[[Any], T], absent: Any = None) -> Dated[T]:
    """The typed versions of a datum validated by `Versions` (config.schema): a plain value is
    one undated version; a version without `value` has the value of `absent`."""
    missing = parse(absent) if absent is not None else None
    if not is_versions(raw):
        return Dated((Version(parse(raw)),), missing)  # type: ignore[arg-type]
    versions = []
    for entry in raw:
        start, end = bounds(entry)
        value = parse(entry["value"]) if "value" in entry else missing
        versions.append(Version(value, start, end, str(entry.get("source", ""))))
    versions.sort(key=lambda v: v.start or dt.date.min)
    return Dated(tuple(versions), missing)  # type: ignore[arg-type]


def dated_map(parse: Callable[[Any], T]) -> Callable[[Mapping[str, Any]], dict[str, Dated[T]]]:
    """The parse of a table whose every value may be dated (`MapOf(Versions(check))`): key ->
    its versions."""
    def parse_map(raw: Mapping[str, Any]) -> dict[str, Dated[T]]:
        return {key: parse_dated(value, parse) for key, value in raw.items()}

    return parse_map


def overlap(entries: Sequence[Mapping[str, Any]]) -> tuple[int, int] | None:
    """The 0-based indexes (earlier, later) of two entries whose dates overlap, or None."""
    spans = sorted((bounds(e)[0] or dt.date.min, bounds(e)[1] or dt.date.max, i)
                   for i, e in enumerate(entries))
    for (_, end, i), (start, _, j) in itertools.pairwise(spans):
        if start <= end:
            return (i, j) if i < j else (j, i)
    return None
