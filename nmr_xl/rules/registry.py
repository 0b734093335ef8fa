"""The rule registry: every rule is declared once, with its code, name, severity, docs and the
settings it reads.

A rule's docstring is its documentation and must have these sections (registration fails
otherwise, as sqlfluff refuses an undocumented rule):

    One-line summary.

    What it checks: ...
    Why: ...
    Example: ...
    Configuration: ...
    Source (primary): ...        or  Source (secondary): ...
    Source version: ...          the dates or revisions of those sources as read

A test requires every rule's "Source version"; a datum changed later is a dated [[changes]]
entry in rules.toml, shown with the rule's docs, not an edit of this text.

A rule lists the settings it reads (`settings=(PROVIDER_DAY_MINUTES,)`; a setting several rules
share is declared once in the family module or rules/common.py) and reads them with
`ctx.value(SETTING)`. The loader validates rules.toml against these declarations, and `explain`
and the generated docs show them.

Rule codes are never reused: a rule taken out of the registry keeps its code in
rules/retired.toml, and registering a rule under a retired code fails.

A setting from a dated source (a payer policy, a yearly threshold) is declared `dated=True`:
rules.toml may then give it as versions in force between dates (nmr_xl/config/dated.py), and a
rule reads it for a line's date of service, `ctx.value(SETTING, profile, on=line.dos)` (None: the
as-of date's version), or `ctx.version(...)` for the version itself (dates, source).
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, TypeVar

from nmr_xl.config.dated import Dated, Version
from nmr_xl.config.model import UNDATED, Config, Profile, Undated
from nmr_xl.config.schema import ListOf, Setting
from nmr_xl.model import Field, Line, Severity, Table
from nmr_xl.rules.common import provider_role, visits

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports; the engine adds rule, severity and cell."""

    line: Line
    message: str
    suggestion: str
    field: Field | None = None  # the column to point at; the rule's target when None
    # the most severe this finding may be: a rule that cannot be sure of it (the payer's method
    # is only assumed, the amounts are charges) grades it down; a lower configured level stays
    at_most: Severity | None = None


@dataclass(frozen=True)
class Docs:
    summary: str
    what: str
    why: str
    example: str
    configuration: str
    source: str
    source_kind: Literal["primary", "secondary"]
    # the versions (dates, revisions) of the sources the rule was written from
    source_version: str = ""


@dataclass
class Context:
    """What a rule may see besides lines: settings, the table's shape and the as-of date."""

    config: Config
    table: Table
    as_of: dt.date
    # Work several rules share (visit unit allocations), computed once per table.
    cache: dict[str, Any] = field(default_factory=dict)
    # The rule being run: it may read only the settings it lists (which `explain` shows).
    rule: Rule | None = None

    def profile(self, line: Line) -> Profile:
        return self.config.profile_for(line.payer)

    def value(self, setting: Setting[T], profile: Profile | None = None, *,
              on: dt.date | Undated | None = UNDATED) -> T:
        """A setting's value from the rules file; a per-payer setting's for `profile`. A dated
        setting (declared `dated=True`) must be read for a date: `on=line.dos`, the version in
        force on the line's date of service (None, a line without a date: the as-of date's)."""
        day = self.as_of if on is None else on
        return self._holder(setting, profile).value(setting, on=day)

    def version(self, setting: Setting[T], profile: Profile | None = None, *,
                on: dt.date | None) -> Version[T] | None:
        """The version of a dated setting in force on `on` (None: the as-of date), with its
        dates and source for a message; None when no version covers that date."""
        return self.versions(setting, profile).version_on(self.as_of if on is None else on)

    def versions(self, setting: Setting[T], profile: Profile | None = None) -> Dated[T]:
        """Every version of a dated setting (a date none covers: the nearest one, say)."""
        return self._holder(setting, profile).versions(setting)

    def _holder(self, setting: Setting[Any], profile: Profile | None) -> Config | Profile:
        if self.rule is not None and setting not in self.rule.settings:
            raise LookupError(f"{self.rule.code} reads {setting.path} but does not list it in "
                              "its settings")
        if not setting.profile:
            return self.config
        if profile is None:
            raise LookupError(f"{setting.path} is a per-payer setting: give the profile")
        return profile

    def contractors(self, line: Line) -> frozenset[str]:
        """The ids of the Medicare contractors the line's claim may go to (its payer cell's,
        else the practice's; empty: not known)."""
        return self.config.contractors_for(line.payer)

    def enabled(self, code: str, line: Line) -> bool:
        """Whether rule `code` is on for this line's payer (rules that pool lines need this)."""
        return level_for(RULES[code], self.profile(line), self.config) is not None

    def role(self, line: Line) -> tuple[str | None, str]:
        """The line's provider's role and what it was read from (see provider_role)."""
        return provider_role(line, self.config, self.table.credential_source)

    def visits(self) -> dict[tuple[str, object], list[Line]]:
        """The table's lines grouped by visit, computed once for all the rules that need it."""
        if "visits" not in self.cache:
            self.cache["visits"] = visits(self.table.lines)
        return self.cache["visits"]


Scope = Literal["line", "table", "engine"]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    scope: Scope
    target: Field
    # The columns the rule needs; a tuple inside means any one of those fields will do.
    requires: tuple[Field | tuple[Field, ...], ...]
    medicare_only: bool
    docs: Docs
    check: Callable[..., Iterable[Hit]] | None
    # For line rules: the codes a line must have for the rule to look at it (None: every line).
    codes: Setting[frozenset[str]] | None = None
    # Every setting the rule reads (its `codes` among them), in the order declared.
    settings: tuple[Setting[Any], ...] = ()


@dataclass(frozen=True)
class Retired:
    """A rule code no longer in use, kept so it is never given to another rule."""

    code: str
    name: str
    retired: dt.date
    why: str
    replaced_by: tuple[str, ...] = ()


_RETIRED_KEYS = {"name", "retired", "why", "replaced_by"}


def parse_retired(text: str, source: str = "rules/retired.toml") -> dict[str, Retired]:
    """The retired codes of a retired.toml, validated strictly (a broken entry must not let a
    code be reused)."""
    out: dict[str, Retired] = {}
    for code, entry in tomllib.loads(text).items():
        where = f"{source}: [{code}]"
        if not re.fullmatch(r"NMR\d{3}", code) or not isinstance(entry, dict):
            raise ValueError(f"{where} is not a rule code's table")
        unknown = set(entry) - _RETIRED_KEYS
        missing = {"name", "retired", "why"} - set(entry)
        if unknown or missing:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}" if unknown
                             else f"{where} lacks {', '.join(sorted(missing))}")
        replaced = entry.get("replaced_by", [])
        if not (isinstance(entry["name"], str) and isinstance(entry["why"], str)
                and isinstance(entry["retired"], dt.date)
                and isinstance(replaced, list) and all(isinstance(c, str) for c in replaced)):
            raise ValueError(f"{where}: name and why are strings, retired a date, replaced_by "
                             "a list of codes")
        out[code] = Retired(code, entry["name"], entry["retired"], entry["why"], tuple(replaced))
    return out


# Codes of rules taken out of the registry: never used again.
RETIRED: dict[str, Retired] = parse_retired(
    resources.files("nmr_xl.rules").joinpath("retired.toml").read_text(encoding="utf-8"))

RULES: dict[str, Rule] = {}
# Every setting a registered rule reads, by path: one declaration each, however many rules share it.
SETTINGS: dict[str, Setting[Any]] = {}

_SECTIONS = ("What it checks", "Why", "Example", "Configuration")
_SOURCE = re.compile(r"^Source \((primary|secondary)\):", re.MULTILINE)


def parse_docs(code: str, doc: str | None) -> Docs:
    if not doc:
        raise TypeError(f"{code}: a rule needs a docstring")
    text = inspect.cleandoc(doc)
    summary, _, body = text.partition("\n\n")
    heads = [*_SECTIONS, "Source", "Source version"]
    pattern = re.compile(r"^(" + "|".join(re.escape(h) for h in heads) + r")( \(\w+\))?:\s*",
                         re.MULTILINE)
    parts: dict[str, str] = {}
    marks = list(pattern.finditer(body))
    for mark, nxt in zip(marks, [*marks[1:], None], strict=True):
        end = nxt.start() if nxt else len(body)
        text_ = " ".join(body[mark.end():end].split())
        parts[mark.group(1)] = text_[:1].upper() + text_[1:]
    source = _SOURCE.search(body)
    missing = [h for h in heads if h not in parts and h != "Source version"]
    if missing or not source:
        raise TypeError(f"{code}: docstring lacks {', '.join(missing) or 'Source (kind)'}")
    return Docs(
        summary=" ".join(summary.split()),
        what=parts["What it checks"],
        why=parts["Why"],
        example=parts["Example"],
        configuration=parts["Configuration"],
        source=parts["Source"],
        source_kind=source.group(1),  # type: ignore[arg-type]
        source_version=parts.get("Source version", ""),
    )


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    scope: Scope,
    target: Field,
    requires: tuple[Field | tuple[Field, ...], ...] = (),
    medicare_only: bool = False,
    codes: Setting[frozenset[str]] | None = None,
    settings: tuple[Setting[Any], ...] = (),
) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Register a rule; the decorated function is its check and its docstring its docs."""
    if not re.fullmatch(r"NMR\d{3}", code):
        raise ValueError(f"bad rule code {code!r}")
    if code in RETIRED:
        raise ValueError(f"rule code {code} is retired ({RETIRED[code].name}, "
                         f"{RETIRED[code].retired.isoformat()}): codes are never reused, take "
                         "the next free one")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise ValueError(f"{code}: name must be kebab-case, got {name!r}")
    reads = tuple(dict.fromkeys((codes, *settings) if codes else settings))
    if len({s.path for s in reads}) < len(reads):
        raise ValueError(f"{code}: two settings with the same path")
    for setting in reads:
        _check_setting(code, setting)

    if medicare_only and Field.PAYER not in requires:
        # Without a payer column every line is the default payer: say the rule could not run.
        requires = (*requires, Field.PAYER)

    def register(check: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        if code in RULES:
            raise ValueError(f"rule code {code} registered twice")
        if any(r.name == name for r in RULES.values()):
            raise ValueError(f"rule name {name} registered twice")
        RULES[code] = Rule(
            code=code,
            name=name,
            severity=severity,
            scope=scope,
            target=target,
            requires=requires,
            medicare_only=medicare_only,
            docs=parse_docs(code, check.__doc__),
            check=None if scope == "engine" else check,
            codes=codes,
            settings=reads,
        )
        for setting in reads:
            SETTINGS.setdefault(setting.path, setting)
        return check

    return register


def _check_setting(code: str, setting: Setting[Any]) -> None:
    """A setting's path is a key in a table, or a plain key of a profile; one object per path."""
    shape = r"[a-z0-9_]+" if setting.profile else r"[a-z0-9_]+(\.[a-z0-9_]+)+"
    if not re.fullmatch(shape, setting.key):
        raise ValueError(f"{code}: bad setting key {setting.key!r}")
    if not setting.docs.strip():
        raise ValueError(f"{code}: setting {setting.path} has no docs")
    if setting.dated and isinstance(setting.check, ListOf):
        raise ValueError(f"{code}: setting {setting.path} is an array of tables: date its "
                         "entries (from/until keys) instead of declaring it dated")
    known = SETTINGS.get(setting.path)
    if known is not None and known is not setting:
        raise ValueError(f"{code}: setting {setting.path} is declared twice; declare it once "
                         "and list it in every rule that reads it")


def level_for(rule_: Rule, profile: Profile, config: Config) -> Severity | None:
    """The severity a rule has for a payer profile, or None when it is off for that payer."""
    explicit = profile.rule_levels.get(rule_.code)
    if explicit is not None:
        return None if explicit == "off" else Severity(explicit)
    if rule_.medicare_only and not profile.medicare:
        return None
    level = config.rule_levels.get(rule_.code)
    if level is None:
        return rule_.severity
    return None if level == "off" else Severity(level)
