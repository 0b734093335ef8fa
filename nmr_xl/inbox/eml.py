"""Saved e-mails (.eml, RFC 5322 with MIME): their spreadsheet attachments, found by name or,
for an attachment whose name says nothing, by MIME type, and one level of forwarded messages.
Each message's attachments share a folder under --out named by its date and subject."""

from __future__ import annotations

from email import errors, policy
from email.message import MIMEPart
from email.parser import BytesParser
from pathlib import Path

from nmr_xl.errors import InputError
from nmr_xl.inbox.driver import MAX_NESTING, Collector, Contents, Group, Where
from nmr_xl.inbox.formats import INPUT_EXTS, MIME_EXTS, nested
from nmr_xl.inbox.names import file_ext, iso_date, message_folder, printable
from nmr_xl.inputs import EmailInfo

_EMAIL_HEADERS = frozenset({"from", "to", "cc", "subject", "date", "message-id", "mime-version",
                            "received", "return-path", "reply-to", "sender", "delivered-to"})
_MAX_MIME_DEPTH = 50
# Missing padding alone is harmless (some mailers leave it off); these lose data
_DAMAGED_ENCODING = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64LengthDefect)


def read_eml(collector: Collector, source: Path | bytes, name: str, where: Where) -> None:
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        headers = {key.lower() for key in message}
    except Exception:
        headers = set()
    if not headers & _EMAIL_HEADERS:
        collector.fail(where, InputError("corrupt", "this is not a saved e-mail, or it is "
                                                    "damaged (it has no message headers); save "
                                                    "the message again from the mail program"))
        return
    _message(collector, message, where)


def _message(collector: Collector, message: MIMEPart, where: Where) -> None:
    info = EmailInfo(sender=_header(message, "From"), subject=_header(message, "Subject"),
                     date=iso_date(_header(message, "Date")))
    contents = Contents()
    try:
        _parts(collector, message, where.grouped(Group(message_folder(info), info)), 0,
               contents)
    except RecursionError:
        collector.fail(where, InputError("corrupt", "the e-mail's structure is nested too "
                                                    "deeply to read"))
        return
    collector.nothing_attached(contents, info, where)


def _parts(collector: Collector, part: MIMEPart, where: Where, level: int,
           contents: Contents) -> None:
    if level > _MAX_MIME_DEPTH:
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822" and level > 0:
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, MIMEPart):
            contents.spreadsheets += 1  # a forwarded message: its own disposition
            subject = _header(inner, "Subject") or "message"
            child = where.child(printable(_filename(part) or f"{subject}.eml", 160))
            if child.depth > MAX_NESTING:
                collector.fail(child, nested())
            else:
                _message(collector, inner, child)
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            _parts(collector, sub, where, level + 1, contents)
        return
    name = _filename(part)
    ext = file_ext(name) if name else ""
    if ext not in INPUT_EXTS:
        mime_ext = MIME_EXTS.get(ctype, "")
        if not mime_ext:  # a body, an image, a PDF, a signature: not ours
            if name or part.get_content_disposition() == "attachment":
                contents.others.append(ext)
            return
        ext = mime_ext
    contents.spreadsheets += 1
    name = name or f"attachment{ext}"
    child = where.named(name, "e-mail")
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
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
