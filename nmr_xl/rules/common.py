"""What the rule families share: the settings more than one family reads, grouping lines into
visits, labels for messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

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


def visits(lines: Iterable[Line]) -> dict[VisitKey, list[Line]]:
    """Lines grouped by visit (one patient on one date of service), in sheet order."""
    grouped: dict[VisitKey, list[Line]] = defaultdict(list)
    for line in lines:
        if line.patient is not None and line.dos is not None:
            grouped[(line.patient.casefold(), line.dos)].append(line)
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
