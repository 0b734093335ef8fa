"""Untrusted text made safe: names of attachments and zip members, e-mail headers. Shared by
the container readers, and by the packet writer's file names (nmr_xl.runner)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from email.utils import parsedate_to_datetime

from nmr_xl.inputs import STATE_FILE, SUMMARY_FILE, EmailInfo

MAX_NAME_CHARS = 80  # stem of an extracted file's name
MAX_SUBDIR_CHARS = 60  # an e-mail's or zip's folder under --out

_FORBIDDEN_IN_NAMES = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                               *(f"lpt{i}" for i in range(10))})


def printable(text: str, limit: int = 200) -> str:
    """`text` safe to show: control and format characters dropped, whitespace collapsed,
    at most `limit` characters (cut with an ellipsis)."""
    chars: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Zl", "Zp"):
            chars.append(" ")
        elif not category.startswith("C"):  # Cc control, Cf format (bidi), Cs surrogate, ...
            chars.append(ch)
    result = " ".join("".join(chars).split())
    if len(result) > limit:
        result = result[: limit - 1].rstrip() + "…"
    return result


def shown(text: str, control: str = "?") -> str:
    """A path or name from the file system made safe to show on one line, with nothing left
    out: bytes that are not UTF-8 (a Linux file name may hold any) become U+FFFD, control
    characters (a newline in a file name) become `control`."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(control if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch
                   for ch in text)


def safe_name(text: str, limit: int, fallback: str) -> str:
    """One path component made from untrusted text: printable, no separators or characters
    Windows forbids, no leading dots, no trailing dots or spaces, not a reserved device name,
    at most `limit` characters and 200 bytes of UTF-8."""
    cleaned = "".join(" " if ch in _FORBIDDEN_IN_NAMES else ch for ch in printable(text, 10_000))
    cleaned = " ".join(cleaned.split()).strip(" .")[:limit]
    while len(cleaned.encode("utf-8")) > 200:
        cleaned = cleaned[:-1]
    cleaned = cleaned.strip(" .") or fallback
    if cleaned.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def unique_name(name: str, used: set[str], limit: int) -> str:
    """`name`, or `name (2)`, `name (3)` ... not yet in `used` (compared case-insensitively, as
    Windows and macOS do); records the result in `used`."""
    candidate, number = name, 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[: limit - len(suffix)].rstrip(" .") + suffix
    used.add(candidate.casefold())
    return candidate


def file_ext(name: str) -> str:
    """The extension of the last part of a name with / or \\ separators, lower-cased."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def skipped_in_folder(name: str) -> bool:
    """Hidden files, Excel's lock files and our own outputs, never inputs in a folder or zip."""
    lower = name.lower()
    return (name.startswith((".", "~$")) or ".checked." in lower
            or lower in (SUMMARY_FILE, STATE_FILE, "__macosx"))


def inside_folder(name: str) -> bool:
    """False for absolute, drive-letter and `..` names, which unzip outside the zip's folder
    (zip-slip). Extraction never uses a member's name, so this decides only a warning."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return False
    return ".." not in name.split("/")


def iso_date(value: object) -> str | None:
    """A message's date (a date-time, or an RFC 2822 or ISO 8601 text) in ISO 8601."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and value.strip():
        try:
            return parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            try:
                return dt.datetime.fromisoformat(value.strip()).isoformat()
            except ValueError:
                return None
    return None


def message_folder(info: EmailInfo) -> str:
    """The folder under --out for a message's copies: its date and subject."""
    subject = safe_name(info.subject or "", MAX_SUBDIR_CHARS, "message")
    text = f"{info.date[:10]} {subject}" if info.date else subject
    return safe_name(text, MAX_SUBDIR_CHARS, "message")
