"""Saved e-mails (.eml, RFC 5322 with MIME, CRLF or LF line ends) and mailboxes (.mbox, one
file of many messages, read with the standard library's mailbox): their spreadsheet
attachments, found by name (RFC 2231 and RFC 2047 encoded names too) or, for an attachment
whose name says nothing, by MIME type and then by content; those wrapped in Outlook's
winmail.dat or uuencoded in a plain-text body (nmr_xl.inbox.wrappers); and forwarded messages
(message/rfc822), up to MAX_FORWARDS inside each other. S/MIME signed mail (multipart/signed)
is read as any other; an S/MIME smime.p7m (encrypted, or signed with the content inside the
signature) cannot be opened and gets a disposition saying so. Each message's attachments
share a folder under --out named by its date and subject."""

from __future__ import annotations

import io
import mailbox
import os
import zipfile
from email import errors, policy
from email.message import MIMEPart
from email.parser import BytesParser
from pathlib import Path

from nmr_xl.atomic import create_private
from nmr_xl.errors import InputError
from nmr_xl.inbox.driver import MAX_FORWARDS, MAX_MEMBERS, Collector, Contents, Group, Where
from nmr_xl.inbox.formats import (
    INPUT_EXTS,
    MIME_EXTS,
    no_messages,
    smime_encrypted,
    smime_wrapped,
    tnef_damaged,
    too_many_attachments,
    too_many_forwards,
    too_many_messages,
    uu_damaged,
)
from nmr_xl.inbox.names import file_ext, iso_date, message_folder, printable
from nmr_xl.inbox.wrappers import (
    SIGNATURE_TYPES,
    SMIME_TYPES,
    Wrapped,
    is_tnef,
    smime_kind,
    tnef_files,
    uuencoded_files,
)
from nmr_xl.inputs import EmailInfo

_EMAIL_HEADERS = frozenset({"from", "to", "cc", "subject", "date", "message-id", "mime-version",
                            "received", "return-path", "reply-to", "sender", "delivered-to"})
_MAX_MIME_DEPTH = 50
# Missing padding alone is harmless (some mailers leave it off); these lose data
_DAMAGED_ENCODING = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64LengthDefect)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFFED_TYPES = ("text", "application")  # unnamed parts whose content is looked at


def read_eml(collector: Collector, source: Path | bytes, name: str, where: Where) -> None:
    data = source.read_bytes() if isinstance(source, Path) else source
    message = _parsed(data)
    if message is None:
        collector.fail(where, InputError("corrupt", "this is not a saved e-mail, or it is "
                                                    "damaged (it has no message headers); save "
                                                    "the message again from the mail program"))
        return
    _message(collector, message, where, 0)


def read_mbox(collector: Collector, source: Path | bytes, name: str, where: Where) -> None:
    """A mailbox file (mbox: Thunderbird, Apple Mail and Google Takeout exports): each message
    read as a saved e-mail, labelled by its place in the file ("message 3")."""
    path = source if isinstance(source, Path) else _spooled(collector, source)
    try:
        box = mailbox.mbox(str(path), create=False)
        try:
            keys = list(box.iterkeys())  # from a scan of the lines: no message is parsed
            if len(keys) > MAX_MEMBERS:
                collector.fail(where, too_many_messages(len(keys)))
                return
            for number, key in enumerate(keys, start=1):
                here = where.inside(f"message {number}")
                message = _parsed(box.get_bytes(key))
                if message is None:
                    collector.fail(here, InputError("corrupt", "this message in the mailbox "
                                                               "has no message headers "
                                                               "(damaged?)"))
                else:
                    _message(collector, message, here, 0)
        finally:
            box.close()
    except (OSError, mailbox.Error, ValueError):
        collector.fail(where, InputError("corrupt", "the mailbox file (.mbox) cannot be read; "
                                                    "export it again from the mail program"))
        return
    finally:
        if not isinstance(source, Path):
            path.unlink(missing_ok=True)
    if not keys:
        collector.fail(where, no_messages())


def _spooled(collector: Collector, data: bytes) -> Path:
    """A mailbox from a zip or an attachment, in a private file (the mailbox module reads
    files, not bytes)."""
    collector.work_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    number = 0
    while True:
        number += 1
        path = collector.work_dir / f"mailbox-{number}.mbox"
        try:
            handle = create_private(path)
        except FileExistsError:
            continue
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return path


def _parsed(data: bytes) -> MIMEPart | None:
    """A message from its bytes, or None when it has no message headers."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        headers = {key.lower() for key in message}
    except Exception:
        return None
    return message if headers & _EMAIL_HEADERS else None


def _message(collector: Collector, message: MIMEPart, where: Where, forwards: int) -> None:
    info = EmailInfo(sender=_header(message, "From"), subject=_header(message, "Subject"),
                     date=iso_date(_header(message, "Date")))
    # Counted before any part is decoded: each may become an input (MAX_MEMBERS, as a zip's).
    leaves = sum(1 for part in message.walk() if not part.is_multipart())
    if leaves > MAX_MEMBERS:
        collector.fail(where, too_many_attachments(leaves))
        return
    contents = Contents()
    try:
        _parts(collector, message, where.grouped(Group(message_folder(info), info)), 0,
               contents, forwards)
    except RecursionError:
        collector.fail(where, InputError("corrupt", "the e-mail's structure is nested too "
                                                    "deeply to read"))
        return
    collector.nothing_attached(contents, info, where)


def _parts(collector: Collector, part: MIMEPart, where: Where, level: int,
           contents: Contents, forwards: int) -> None:
    if level > _MAX_MIME_DEPTH:
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822" and level > 0:
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, MIMEPart):
            contents.spreadsheets += 1  # a forwarded message: its own disposition
            subject = _header(inner, "Subject") or "message"
            # already read with this one: not a container opened again (MAX_NESTING)
            child = where.inside(printable(_filename(part) or f"{subject}.eml", 160))
            if forwards >= MAX_FORWARDS:
                collector.fail(child, too_many_forwards())
            else:
                _message(collector, inner, child, forwards + 1)
        return
    if part.is_multipart():  # multipart/signed too: its first part is the message
        for sub in part.iter_parts():
            _parts(collector, sub, where, level + 1, contents, forwards)
        return
    if ctype in SIGNATURE_TYPES:  # the detached signature of S/MIME signed mail
        return
    name = _filename(part)
    ext = file_ext(name) if name else ""
    if ext not in INPUT_EXTS:
        if is_tnef(ctype, name):
            _tnef(collector, part, where, contents)
            return
        if ctype in SMIME_TYPES:
            _smime(collector, part, ctype, where, contents)
            return
        mime_ext = MIME_EXTS.get(ctype, "")
        if not mime_ext and not name:
            mime_ext, name = _sniffed(part)
        if not mime_ext:  # a body, an image, a PDF: not ours
            if name or part.get_content_disposition() == "attachment":
                contents.others.append(ext)
            elif ctype == "text/plain":
                _uuencoded(collector, part, where, contents)
            return
        ext = mime_ext
    contents.spreadsheets += 1
    name = name or f"attachment{ext}"
    child = where.named(name, "e-mail")
    data = _decoded(part)
    if data is None:
        collector.fail(child, InputError("corrupt", "the attachment cannot be decoded from "
                                                    "the e-mail"))
        return
    if any(isinstance(defect, _DAMAGED_ENCODING) for defect in part.defects):
        # the decoder skipped what it could not read: what is left is not the file sent
        collector.fail(child, InputError("corrupt", "the attachment is damaged in the e-mail "
                                                    "(its base64 encoding has errors: the "
                                                    "message was cut short or altered on the "
                                                    "way); ask for it to be sent again"))
        return
    collector.child(data, name, ext, child)


def _decoded(part: MIMEPart) -> bytes | None:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return None
    return data if isinstance(data, bytes) else None


def _sniffed(part: MIMEPart) -> tuple[str, str | None]:
    """(extension, name) for an unnamed part whose type says nothing (text/plain,
    application/octet-stream) but whose content is a workbook or a zip; ("", None) else."""
    if part.get_content_maintype() not in _SNIFFED_TYPES:
        return "", None
    data = _decoded(part)
    if not data:
        return "", None
    if data[:8] == _OLE_MAGIC:
        return ".xls", "attachment.xls"  # read by content: whatever it is, it is said
    if data[:4] != b"PK\x03\x04":
        return "", None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {n.lower() for n in archive.namelist()}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        return ".zip", "attachment.zip"  # a damaged zip: read_zip says so
    if "xl/workbook.xml" in names:
        return ".xlsx", "attachment.xlsx"
    return ".zip", "attachment.zip"


def _wrapped(collector: Collector, found: Wrapped, where: Where, contents: Contents,
             damaged: InputError) -> None:
    """A file out of a wrapper (winmail.dat, a uuencoded body): the message's own attachment
    as the sender attached it, so it is labelled as one."""
    ext = file_ext(found.name)
    if ext not in INPUT_EXTS:
        contents.others.append(ext)
        return
    contents.spreadsheets += 1
    child = where.named(found.name, "e-mail")
    if found.data is None:
        collector.fail(child, damaged)
    else:
        collector.child(found.data, found.name, ext, child)


def _tnef(collector: Collector, part: MIMEPart, where: Where, contents: Contents) -> None:
    """winmail.dat: the attachments of a message Outlook sent in its own format (TNEF)."""
    data = _decoded(part)
    try:
        if data is None:
            raise ValueError("undecodable")
        found = tnef_files(data)
    except ValueError:
        contents.spreadsheets += 1  # it may have held the workbook: a disposition of its own
        collector.fail(where.named("winmail.dat", "e-mail"), tnef_damaged())
        return
    for wrapped in found:
        _wrapped(collector, wrapped, where, contents, tnef_damaged())


def _smime(collector: Collector, part: MIMEPart, ctype: str, where: Where,
           contents: Contents) -> None:
    """smime.p7m: encrypted, or signed with the message inside the signature. Neither is
    opened (that needs the recipient's key, or a CMS library): said plainly."""
    contents.spreadsheets += 1  # the whole message is in it: a disposition of its own
    param = part.get_param("smime-type")
    kind = smime_kind(ctype, param if isinstance(param, str) else None, _decoded(part) or b"")
    # like a message with nothing attached: no folder under --out, as it has no copies
    collector.fail(where.grouped(Group("", where.group.email)),
                   smime_encrypted() if kind == "encrypted" else smime_wrapped())


def _uuencoded(collector: Collector, part: MIMEPart, where: Where, contents: Contents) -> None:
    """Files uuencoded in a plain-text body (begin 644 name ... end)."""
    try:
        text = part.get_content()
    except Exception:
        return
    if not isinstance(text, str) or "begin" not in text:
        return
    files = uuencoded_files(text)
    if len(files) > MAX_MEMBERS:
        contents.spreadsheets += 1  # they may hold the workbook: this is their disposition
        collector.fail(where, too_many_attachments(len(files)))
        return
    for wrapped in files:
        _wrapped(collector, wrapped, where, contents, uu_damaged())


def _header(message: MIMEPart, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:  # a malformed header may fail to parse; it is only metadata
        return None
    if value is None:
        return None
    return printable(str(value), 300) or None


def _filename(part: MIMEPart) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # a malformed RFC 2231 parameter
        return None
    return name if isinstance(name, str) and name.strip() else None
