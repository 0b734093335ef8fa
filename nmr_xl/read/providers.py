"""Credentials written into the rendering provider's name ("Dana Cole, LMT", "Mark Ortiz DC",
"Smith, Jane PT, DPT"), as many charge exports print them: read when the sheet has no
credential column, so the rules that need a credential can run, and say where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nmr_xl.config.model import Config
from nmr_xl.model import Field, Table

_WORD = re.compile(r"[A-Za-z][A-Za-z./-]*")
_LETTERS = re.compile(r"[^A-Za-z]")
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "jr", "sr", "ii", "iii"})
# A role written out after the name: "Sam Green (Rehab Aide)", "Kim Lee - Massage Therapist"
_TRAILING_ROLE = re.compile(r"[A-Za-z.]\s*(?:\(([^()]+)\)|\s[-\u2013]\s*([^-\u2013()]+))\s*$")
_SLASHED = re.compile(r"(?<=[a-z])/(?=[A-Z]{2})")  # "Erin Walsh/PTA"


def credential_in_name(name: str, role_of: Callable[[str], str | None]) -> str | None:
    """The credential at the end of a provider's name, or None.

    The credential must be written as one: capitals or dotted letters ("LMT", "D.C.",
    "OTR/L", "PA-C") after at least one word of the name, or a role the rules file spells, in
    any case, in brackets or after a dash at the end ("Sam Green (Rehab Aide)", "Kim Lee -
    Massage Therapist"). In a name written all in capitals,
    where every word looks like a credential, a two-letter credential counts only after a
    comma that follows the full name ("MARK ORTIZ, DC"): "NGUYEN, CA" is a name, not a
    chiropractic assistant.
    """
    name = _SLASHED.sub(" ", name)
    trailing = _TRAILING_ROLE.search(name)
    if trailing is not None:
        role = (trailing.group(1) or trailing.group(2)).strip()
        if role_of(role) is not None:
            return role
    words = [(m.group(), m.start()) for m in _WORD.finditer(name)]
    words = [(w, at) for w, at in words if _LETTERS.sub("", w).lower() not in _TITLES]
    all_caps = not any(c.islower() for w, _ in words for c in w)
    tail: list[tuple[str, int]] = []
    for word, at in reversed(words):
        if not _shaped(word):
            break
        tail.append((word, at))
    tail.reverse()
    if len(tail) >= len(words):  # every word looks like a credential: keep a name in front
        tail = tail[1:] if not all_caps else _after_name(name, words)
    for word, at in tail:
        if role_of(word) is None:
            continue
        letters = len(_LETTERS.sub("", word))
        if all_caps and letters < 3 and not _after_full_name(name, at):
            continue
        return word
    return None


def _shaped(word: str) -> bool:
    letters = _LETTERS.sub("", word)
    return len(letters) >= 2 and (letters.isupper() or "." in word)


def _after_name(name: str, words: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """In an all-capitals name, the words after its first comma-separated part ("COLE, DANA,
    LMT" -> DANA, LMT; "MARK ORTIZ LMT" -> ORTIZ, LMT)."""
    comma = name.find(",")
    if comma < 0:
        return words[2:] if len(words) > 2 else []
    return [(w, at) for w, at in words if at > comma]


def _after_full_name(name: str, at: int) -> bool:
    """A comma right before the credential, after a part of two or more words."""
    before = name[:at].rstrip()
    if not before.endswith(","):
        return False
    parts = before[:-1].split(",")
    return len(parts) >= 2 or len(_WORD.findall(parts[-1])) >= 2


def credentials_from_names(table: Table, config: Config) -> None:
    """With no credential column, take each line's credential from its provider's name; the
    table then counts as having a credential (the provider column), and says so."""
    if Field.PROVIDER_TYPE in table.columns:
        table.credential_source = "column"
        return
    if Field.PROVIDER not in table.columns:
        return
    seen: dict[str, str | None] = {}
    found = 0
    named = 0
    for line in table.lines:
        if not line.provider:
            continue
        named += 1
        if line.provider not in seen:
            seen[line.provider] = credential_in_name(line.provider, config.role_of)
        credential = seen[line.provider]
        if credential:
            line.provider_type = credential
            found += 1
    if not found:
        return
    table.columns[Field.PROVIDER_TYPE] = table.columns[Field.PROVIDER]
    table.credential_source = "name"
    examples = ", ".join(sorted({c for c in seen.values() if c})[:4])
    cols = table.columns[Field.PROVIDER]
    where = f" in \"{table.headers[cols[0]]}\"" if cols else ""
    table.notes.append(
        f"No credential column: the credential was read from the end of the provider's "
        f"name{where} ({examples}) on {found} of {named} lines with a provider"
        + ("; the others carry none." if found < named else "."))
