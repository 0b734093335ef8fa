"""What mailers wrap attachments in, unwrapped: Outlook's winmail.dat (TNEF, read with the
tnefparse package), S/MIME's smime.p7m (recognized, never decrypted) and uuencoded files in a
plain-text body (old mailers, read with the standard library's binascii). Pure functions of
bytes and text: the e-mail reader (nmr_xl.inbox.eml) decides what becomes of what they find."""

from __future__ import annotations

import binascii
import logging
import re
from dataclasses import dataclass
from typing import Any

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature"})
_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_TNEF_ATTACHMENT_LEVEL = 2
_MAX_TNEF_EMBEDDED = 5  # Outlook items attached inside a winmail.dat, inside another...
_MAX_TNEF_OBJECTS = 20_000  # attributes in one winmail.dat (Outlook writes a few per file)
# CMS content types (RFC 5652, RFC 5083) as DER object identifiers
_OID_SIGNED = bytes.fromhex("06092a864886f70d010702")
_OID_ENVELOPED = bytes.fromhex("06092a864886f70d010703")
_OID_AUTH_ENVELOPED = bytes.fromhex("060b2a864886f70d0109100117")
_UU_BEGIN = re.compile(r"^begin(?:-base64)? [0-7]{3,4} (.+?)\s*$")


@dataclass
class Wrapped:
    """A file found inside a wrapper: its name (untrusted) and its bytes (None: damaged)."""

    name: str
    data: bytes | None


def is_tnef(content_type: str, name: str | None, data: bytes | None = None) -> bool:
    if content_type in TNEF_TYPES or (name or "").strip().lower() == "winmail.dat":
        return True
    return data is not None and data[:4] == _TNEF_SIGNATURE


def tnef_files(data: bytes) -> list[Wrapped]:
    """The attached files in a winmail.dat, those of Outlook items attached in it too. Raises
    ValueError when it is not TNEF or is damaged (a checksum that does not match: it was cut
    short or altered)."""
    from tnefparse import TNEF  # only messages with a winmail.dat need it

    _quiet("tnefparse")  # its log lines may carry file names
    if _tnef_objects(data) > _MAX_TNEF_OBJECTS:  # tnefparse copies the rest for each one
        raise ValueError("too many TNEF attributes")  # (or one whose length runs past the end)
    try:
        tnef = TNEF(data, do_checksum=True)
    except Exception as exc:  # it raises what its unpacking of a short file raises
        raise ValueError("not TNEF") from exc
    found: list[Wrapped] = []
    _tnef_attachments(tnef, found, 0)
    return found


def _tnef_attachments(tnef: Any, found: list[Wrapped], level: int) -> None:
    for obj in getattr(tnef, "objects", []):
        if obj.level == _TNEF_ATTACHMENT_LEVEL and not obj.good_checksum:
            raise ValueError("damaged TNEF attribute")
    for attachment in getattr(tnef, "attachments", []):
        embedded = getattr(attachment, "embed", None)
        if embedded is not None:  # an Outlook item (a message) attached in it
            if level < _MAX_TNEF_EMBEDDED:
                _tnef_attachments(embedded, found, level + 1)
            continue
        try:
            name = attachment.long_filename()
        except Exception:  # a title in the message's code page, which tnefparse reads as UTF-8
            name = getattr(attachment, "_name", "")
        if isinstance(name, bytes):
            name = name.decode(getattr(tnef, "codepage", None) or "cp1252", "replace")
        data = attachment.data
        found.append(Wrapped(str(name or "").strip("\x00"),
                             bytes(data) if isinstance(data, bytes | bytearray) else None))


def _tnef_objects(data: bytes) -> int:
    """How many attributes a TNEF stream holds, from their length fields alone; more than
    _MAX_TNEF_OBJECTS when one claims more bytes than the file has (tnefparse would hand on the
    rest of the file as its data, a checksum it never reads passing as good)."""
    offset, count = 6, 0
    while offset + 9 <= len(data) and count <= _MAX_TNEF_OBJECTS:
        offset += 11 + int.from_bytes(data[offset + 5: offset + 9], "little")
        if offset > len(data):
            return _MAX_TNEF_OBJECTS + 1
        count += 1
    return count


def smime_kind(content_type: str, smime_type: str | None, data: bytes) -> str | None:
    """"encrypted" or "signed" for an S/MIME smime.p7m (by its smime-type parameter, else by
    the CMS content type it starts with); None when it is neither."""
    if content_type not in SMIME_TYPES:
        return None
    kind = (smime_type or "").strip().lower()
    if kind in ("enveloped-data", "authenveloped-data"):
        return "encrypted"
    if kind in ("signed-data", "certs-only"):
        return "signed"
    head = data[:64]
    if _OID_ENVELOPED in head or _OID_AUTH_ENVELOPED in head:
        return "encrypted"
    if _OID_SIGNED in head:
        return "signed"
    return "encrypted"  # an S/MIME body that is neither: most often encrypted


def uuencoded_files(text: str) -> list[Wrapped]:
    """Files uuencoded in a plain-text body (`begin 644 name` ... `end`), as old mailers and
    some scanners send them. One whose lines do not decode, or with no `end`, has data None."""
    found: list[Wrapped] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _UU_BEGIN.match(lines[index])
        index += 1
        if not match:
            continue
        name, chunks, ended, damaged = match.group(1), [], False, False
        base64_form = lines[index - 1].startswith("begin-base64")
        while index < len(lines):
            line = lines[index].rstrip("\r")
            index += 1
            if line.strip() in ("end", "===="):
                ended = True
                break
            if not line.strip():
                continue
            try:
                chunks.append(binascii.a2b_base64(line) if base64_form
                              else binascii.a2b_uu(line))
            except (binascii.Error, ValueError):  # ValueError: a line that is not ASCII
                damaged = True
        found.append(Wrapped(name, b"".join(chunks) if ended and not damaged else None))
    return found


def _quiet(logger_name: str) -> None:
    logger = logging.getLogger(logger_name)
    if logger.level < logging.CRITICAL:
        logger.setLevel(logging.CRITICAL + 1)
