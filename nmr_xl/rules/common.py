"""What the rule families share: the settings more than one family reads, grouping lines into
visits, labels for messages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nmr_xl.config.dated import Dated, Version
from nmr_xl.config.model import Config
from nmr_xl.config.schema import Setting, is_str_list
from nmr_xl.model import FIELD_LABELS, Line

VisitKey = tuple[str, object]

LABELS = FIELD_LABELS  # field -> its name in messages


def code_set(codes: list[str]) -> frozenset[str]:
    """A [codes] list as the rules compare it: upper-cased."""
    return frozenset(code.upper() for code in codes)


TIMED_CODES = Setting(
    "codes.timed", is_str_list, code_set,
    "The 15-minute timed therapy codes: their units are earned by minutes (the 8-minute rule).")


ContractorEdits = Mapping[str, Dated[Any]]


def applied_by(edits: ContractorEdits, contractors: frozenset[str], day: dt.date,
               applies: Callable[[Any], bool] = bool) -> Version[Any] | None:
    """The version in force on `day` of a contractor edit when each of a line's possible
    contractors applies it (`applies(value)`); None when one does not, or none is known: the
    edit is then another contractor's, a warning."""
    versions = [edits[c].version_on(day) if c in edits else None for c in sorted(contractors)]
    if not versions or any(v is None or not applies(v.value) for v in versions):
        return None
    return versions[0]


def contractor_labels(ids: Iterable[str], config: Config) -> str:
    """"Palmetto GBA (JJ, JM) and Noridian Healthcare Solutions (JE)": contractors by name."""
    by_name: dict[str, list[str]] = {}
    for cid in sorted(ids):
        contractor = config.contractors[cid]
        by_name.setdefault(contractor.name, []).append(contractor.jurisdiction)
    named = [f"{name} ({', '.join(js)})" for name, js in by_name.items()]
    return " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)


def enforcers(edits: ContractorEdits, config: Config, day: dt.date,
              applies: Callable[[Any], bool] = bool) -> str:
    """Who applies a contractor edit on `day` ("" when no one does); `applies(value)` says
    whether a contractor's value counts."""
    return contractor_labels((cid for cid, dated in edits.items()
                              if (v := dated.version_on(day)) is not None and applies(v.value)),
                             config)


def contractor_text(contractors: frozenset[str], config: Config) -> str:
    """That the line's contractor does not apply an edit, or is not known."""
    if not contractors:
        return ("this line's Medicare contractor is not known (set [practice] contractor in "
                "your rules file)")
    return (f"this line's contractor, {contractor_labels(contractors, config)}, is not known "
            "to apply it")


def provider_role(line: Line, config: Config, credential_source: str | None
                  ) -> tuple[str | None, str]:
    """The role of the line's provider and what it was read from, for messages: the
    credential ("credential LMT", "credential LMT, from the provider's name"), else a
    discipline that settles the role ("discipline Massage Therapy")."""
    role = config.role_of(line.provider_type)
    if role is not None:
        where = ", read from the provider's name" if credential_source == "name" else ""
        return role, f"credential {line.provider_type}{where}"
    discipline = config.discipline_of(line.discipline)
    role = config.discipline_roles.get(discipline or "")
    if role is not None:
        return role, f"discipline {line.discipline}"
    return None, ""


def visit_key(line: Line) -> VisitKey | None:
    """The line's visit: its patient (case ignored: "ROE, MAX" and "Roe, Max" are one patient)
    and date of service; None without either. The one key every visit grouping uses."""
    if line.patient is None or line.dos is None:
        return None
    return (line.patient.casefold(), line.dos)


def visits(lines: Iterable[Line]) -> dict[VisitKey, list[Line]]:
    """Lines grouped by visit (one patient on one date of service), in sheet order."""
    grouped: dict[VisitKey, list[Line]] = defaultdict(list)
    for line in lines:
        key = visit_key(line)
        if key is not None:
            grouped[key].append(line)
    return grouped


def rows_text(lines: Iterable[Line]) -> str:
    rows = [str(line.row) for line in lines]
    return rows[0] if len(rows) == 1 else ", ".join(rows[:-1]) + " and " + rows[-1]


def units_text(n: int | float) -> str:
    n = int(n)
    return f"{n} unit" if n == 1 else f"{n} units"


def billed_text(n: int | float) -> str:
    n = int(n)
    return "1 unit is billed" if n == 1 else f"{n} units are billed"
