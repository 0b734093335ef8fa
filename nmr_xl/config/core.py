"""The core settings: the keys of rules.toml that the reader, the engine and the loader read
rather than a rule, declared as rules declare theirs (config.schema.Setting): key, check, parse,
docs, and `read_by` for who reads them. The loader validates and parses them like every rule
setting, `nmr-xl explain KEY` shows them, and docs/rules.md lists them with their defaults.

Each default is in the bundled rules.toml (a test checks it), except where a key may be left out
everywhere (`absent`: [[layouts]]).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nmr_xl.config.dated import Dated, as_date, parse_dated
from nmr_xl.config.model import IGNORE, Contractor, Layout, layout_key
from nmr_xl.config.schema import (
    ListOf,
    MapOf,
    Setting,
    Versions,
    is_code,
    is_count,
    is_date,
    is_pos_int,
    is_str,
    is_str_list,
    is_str_or_str_list,
    one_of,
)
from nmr_xl.model import Field
from nmr_xl.normalize import norm
from nmr_xl.reference import MueLimit

_FIELD_NAMES = frozenset(f.value for f in Field)
_is_layout_field = one_of(*sorted(_FIELD_NAMES), IGNORE)
_WORD_LISTS = MapOf(is_str_list, key_check=lambda key: key == "any" or key in _FIELD_NAMES,
                    key_hint="a field name (see [columns]) or \"any\"")
_ID = r"[a-z][a-z0-9_]*"
READER = "the reader"


def _words(values: list[str]) -> frozenset[str]:
    return frozenset(norm(v) for v in values)


def _word_table(raw: Mapping[str, list[str]]) -> dict[str, frozenset[str]]:
    return {key: _words(values) for key, values in raw.items()}


def _file_list(raw: str | list[str]) -> list[str]:
    return [f for f in ([raw] if isinstance(raw, str) else raw) if f]


def _contractors(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Contractor]:
    return {cid: Contractor(cid, c.get("name", cid), c.get("jurisdiction", ""),
                            tuple(c.get("states", ())), tuple(c.get("match", ())),
                            c.get("source", ""))
            for cid, c in raw.items()}


def _layout(entry: Mapping[str, Any], number: int) -> Layout:
    columns = {layout_key(heading): value for heading, value in entry["columns"].items()}
    return Layout(name=entry.get("name") or f"layout {number}",
                  headings=frozenset(layout_key(h)[0] for h in entry["headings"] if norm(h)),
                  columns=columns)


def _layouts(raw: list[Mapping[str, Any]]) -> tuple[Layout, ...]:
    return tuple(_layout(entry, n) for n, entry in enumerate(raw, 1))


def _mue(raw: Mapping[str, Any]) -> dict[str, Dated[MueLimit]]:
    return {code: parse_dated(value, MueLimit) for code, value in raw.items()}


# --- the data's vintage, and the command line's files --------------------------------------------

VINTAGE = Setting(
    "vintage.reviewed", is_date, as_date,
    "When nmr-xl's bundled data (payer standards, NCCI pairs, MUE values, contractor edits) was "
    "last compared with its sources; `nmr-xl rules` prints it.",
    read_by="nmr-xl rules")
MUE_FILE = Setting(
    "settings.mue_file", is_str_or_str_list, _file_list,
    "The CMS practitioner MUE files (CSV), one or several quarters' (paths relative to the rules "
    "file naming them; \"\" = none): they set NMR105's limits. `--mue` overrides it.",
    read_by="the loader")
NCCI_FILE = Setting(
    "settings.ncci_file", is_str_or_str_list, _file_list,
    "The CMS practitioner PTP edit files (tab-separated .TXT; CMS splits them in four: list "
    "them all; paths relative to the rules file naming them; \"\" = none): they add NCCI pairs "
    "for NMR306. `--ncci` overrides it.",
    read_by="the loader")

# --- reading a sheet --------------------------------------------------------------------------

DATE_ORDER = Setting(
    "settings.date_order", one_of("month-first", "day-first"), str,
    "How text dates such as 03/04/2026 are read: \"month-first\" (US, March 4) or "
    "\"day-first\".",
    read_by=READER)
HEADER_SEARCH_ROWS = Setting(
    "settings.header_search_rows", is_pos_int, int,
    "How many rows from the top of a sheet are searched for the header row.",
    read_by=READER)
COLUMNS = Setting(
    "columns", {f.value: is_str_list for f in Field},
    lambda raw: {Field(k): tuple(norm(s) for s in v) for k, v in raw.items()},
    "Header spellings mapped to each field, read by their words (case, punctuation, line "
    "breaks, abbreviations and plurals do not matter). A practice's spellings are added to ours.",
    read_by=READER, extends=True)
CONFIRM = Setting(
    "headings.confirm", is_str_list, list,
    "Headings too plain to trust alone: read as their field only when the column's values agree "
    "(\"Date\" over dates, \"Code\" over CPT/HCPCS codes).",
    read_by=READER, extends=True)
ABBREVIATIONS = Setting(
    "headings.abbreviations", MapOf(is_str, key_pattern=r"[a-z0-9]+",
                                    key_hint="a lower-case word"), dict,
    "Words expanded before headings are compared, on both sides (\"svc\" -> \"service\").",
    read_by=READER)
QUALIFIERS = Setting(
    "headings.qualifiers", _WORD_LISTS, dict,
    "Words a heading may add to a known spelling of a field and still be that field (\"Service "
    "Date From\", \"Charge Amount ($)\"), by field (\"any\": every field).",
    read_by=READER, extends=True)
SECOND_CHOICE = Setting(
    "headings.second_choice", _WORD_LISTS, dict,
    "Words that make a heading its field's second choice, read only when the sheet has no "
    "better column for the field (the \"to\" date of a from/to pair, a provider's NPI).",
    read_by=READER, extends=True)
LAYOUTS = Setting(
    "layouts", ListOf({"name": is_str, "headings": is_str_list,
                       "columns": MapOf(_is_layout_field, key_hint="a heading")},
                      required=("headings", "columns")),
    _layouts,
    "Export layouts pinned by their headings ([[layouts]]: `headings`, all on one row, and "
    "`columns`, heading -> field or \"ignore\"): which heading is which field, never guessed. "
    "A practice's layouts are added to ours.",
    read_by=READER, extends=True, absent=[])
KNOWN_MODIFIERS = Setting(
    "modifiers.known", is_str_list, lambda raw: frozenset(m.upper() for m in raw),
    "Modifiers nmr-xl accepts; any other is reported (NMR002) rather than silently kept. A "
    "practice's list is added to ours.",
    read_by=READER, extends=True)
ATTENDANCE_YES = Setting(
    "attendance.yes", is_str_list, _words,
    "What a one-on-one / attendance cell says for yes (compared case-insensitively, "
    "punctuation ignored).",
    read_by=READER)
ATTENDANCE_NO = Setting(
    "attendance.no", is_str_list, _words,
    "What a one-on-one / attendance cell says for no (compared case-insensitively, punctuation "
    "ignored).",
    read_by=READER)
PROVIDER_TYPES = Setting(
    "provider_types", MapOf(is_str_list, key_pattern=_ID, key_hint="a role id"), _word_table,
    "Credentials by role: what a credential cell, or the end of a provider's name (\"Dana Cole, "
    "LMT\"), may say (compared case-insensitively, punctuation ignored).",
    read_by="the reader and the rules that need a role")
DISCIPLINES = Setting(
    "disciplines", MapOf(is_str_list, key_pattern=_ID, key_hint="a discipline id"), _word_table,
    "What a discipline / department cell may say, by discipline: the kind of therapy, not the "
    "person (never a stand-in for the credential, except through [discipline_roles]).",
    read_by="the reader and the rules that need a role")
DISCIPLINE_ROLES = Setting(
    "discipline_roles", MapOf(is_str, key_pattern=_ID, key_hint="a discipline id"), dict,
    "Disciplines that settle who gave the service when a line has no credential (discipline -> "
    "a role of [provider_types]).",
    read_by="the rules that need a role", refers_to=("disciplines", "a discipline"))
ROW_KINDS = Setting(
    "row_kinds", {k: is_str_list for k in ("diagnosis", "void", "not_billed", "payment",
                                           "adjustment", "charge", "total", "page")},
    _word_table,
    "Words that mark rows inside a billing table that are not charge lines (diagnosis rows, "
    "voided and not-billed lines, payments, adjustments, totals, page headers), by kind: left "
    "out of the checks and counted in the report.",
    read_by=READER)

# --- data the engine and the rules read through the loaded config -------------------------------

MUE = Setting(
    "mue", MapOf(Versions(is_count), key_pattern=r"[A-Z0-9]{5}",
                 key_hint="a 5-character code"), _mue,
    "Medically Unlikely Edits: the most units of a code per patient per date of service, a "
    "value or its dated versions per code. The CMS MUE files' values take precedence.",
    read_by="NMR105, with the CMS MUE files")
NCCI = Setting(
    "ncci", ListOf({"column1": is_code, "column2": is_code, "indicator": one_of(0, 1, 9),
                    "from": is_date, "until": is_date, "source": is_str},
                   required=("column1", "column2", "indicator")),
    list,
    "NCCI procedure-to-procedure pairs ([[ncci]]: column1, column2, indicator, and `from` / "
    "`until`, the first and last date of service the pair applies to). A practice's pairs are "
    "added to ours (a pair given again replaces ours); the CMS PTP files' edits replace both.",
    read_by="NMR306, with the CMS PTP files", extends=True)
PRACTICE_CONTRACTOR = Setting(
    "practice.contractor", is_str, str.strip,
    "The practice's Medicare Part B contractor: an id of [contractors], its jurisdiction (\"JM\") "
    "or the practice's state (\"NC\"); \"\" = not known, and contractor edits are warnings.",
    read_by="the contractors' edits (NMR005, NMR302)")
CONTRACTORS = Setting(
    "contractors", MapOf({"name": is_str, "jurisdiction": is_str, "states": is_str_list,
                          "match": is_str_list, "source": is_str},
                         key_pattern=r"[a-z0-9]+(-[a-z0-9]+)*", key_hint="a contractor id"),
    _contractors,
    "The Medicare A/B contractors (MACs): name, jurisdiction, the states they serve and what a "
    "payer cell naming them says.",
    read_by="the contractors' edits (NMR005, NMR302)")
CHANGES = Setting(
    "changes", ListOf({"date": is_date, "rules": is_str_list, "setting": is_str,
                       "change": is_str, "source": is_str},
                      required=("date", "rules", "change")),
    list,
    "The change log of the data ([[changes]]: date, rules, what changed, and optionally the "
    "setting and source), shown with the rules it concerns. A practice's entries are added "
    "after ours.",
    read_by="nmr-xl explain and docs/rules.md", extends=True)

CORE_SETTINGS: tuple[Setting[Any], ...] = (
    VINTAGE, DATE_ORDER, HEADER_SEARCH_ROWS, MUE_FILE, NCCI_FILE, KNOWN_MODIFIERS,
    ATTENDANCE_YES, ATTENDANCE_NO, PROVIDER_TYPES, DISCIPLINES, DISCIPLINE_ROLES, ROW_KINDS, MUE,
    NCCI, COLUMNS, CONFIRM, ABBREVIATIONS, QUALIFIERS, SECOND_CHOICE, PRACTICE_CONTRACTOR,
    CONTRACTORS, CHANGES, LAYOUTS)
