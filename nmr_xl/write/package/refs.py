"""Cell references and attribute values as SpreadsheetML writes them, and text as a cell holds
it."""

from __future__ import annotations

import re

from nmr_xl.model import column_letter
from nmr_xl.write.package.opc import Unsupported

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_MAX_CELL_TEXT = 32_767
# Characters XML 1.0 cannot hold; Excel writes them as _xHHHH_ (ST_Xstring)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell_column(ref: str) -> int:
    """The column of a cell reference ("D12", "$D$12")."""
    column = _COLUMNS.get(ref.rstrip(_DIGITS)) if ref[-1:].isdigit() else None
    if column is not None:
        return column
    match = _REF.match(ref)
    if not match:
        raise Unsupported(f"a cell reference {ref[:20]!r} cannot be read")
    column = column_index(match.group(1))
    if len(_COLUMNS) < 100_000:
        _COLUMNS[match.group(1)] = column
    return column


_COLUMNS: dict[str, int] = {}  # the letters of references read, by their column
_DIGITS = "0123456789"


def xstring(text: str) -> str:
    """`text` as a cell or note holds it: what XML cannot carry escaped as Excel escapes it."""
    if len(text) > _MAX_CELL_TEXT:
        text = text[:_MAX_CELL_TEXT]
    if "_x" not in text and not _ILLEGAL.search(text):  # nearly always: nothing to escape
        return text
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def number(value: str | None, default: int = 0) -> int:
    """A style index or count as Excel reads it: missing or empty is the default (0)."""
    return int(value) if value and value.isdigit() else default


def decimal(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def letters_after(column: int) -> bytes:
    """A pattern for the letters of every column right of `column` (in either case)."""
    letters = column_letter(column) if column > 0 else ""
    if len(letters) > 3:
        return rb"(?!)"
    options = [rb"[A-Za-z]{%d,3}" % (len(letters) + 1)] if len(letters) < 3 else []
    for i, letter in enumerate(letters):
        if letter == "Z":
            continue
        after = chr(ord(letter) + 1)
        options.append(b"".join(_either(ch) for ch in letters[:i])
                       + f"[{after}-Z{after.lower()}-z]".encode()
                       + b"[A-Za-z]" * (len(letters) - i - 1))
    return b"|".join(options) or rb"(?!)"


def _either(letter: str) -> bytes:
    return f"[{letter}{letter.lower()}]".encode()
