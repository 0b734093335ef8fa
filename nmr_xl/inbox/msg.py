"""Outlook messages (.msg), read with the optional extract-msg package (GPL-3.0, so opt-in):
their spreadsheet attachments and the messages attached to them (up to MAX_FORWARDS inside each
other). An attachment that is a link to a file kept online (a OneDrive or SharePoint "cloud
attachment") holds no file: it is said so. Each message's attachments share a folder under
--out named by its date and subject."""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from typing import Any

from nmr_xl.errors import InputError
from nmr_xl.inbox.driver import MAX_FORWARDS, MAX_MEMBERS, Collector, Contents, Group, Where
from nmr_xl.inbox.formats import (
    INPUT_EXTS,
    cloud_attachment,
    corrupt_msg,
    input_ext,
    smime_encrypted,
    smime_wrapped,
    too_many_attachments,
    too_many_forwards,
)
from nmr_xl.inbox.names import iso_date, message_folder, printable
from nmr_xl.inbox.wrappers import smime_kind
from nmr_xl.inputs import EmailInfo


def read_msg(collector: Collector, source: Path | bytes, name: str, where: Where) -> None:
    try:
        import extract_msg  # only .msg inputs need it
    except ImportError:
        collector.fail(where, InputError("unsupported-format", "reading Outlook .msg files "
                                         "needs the optional extract-msg package (GPL-3.0): "
                                         "pip install 'nmr-xl[msg]', or save the message as "
                                         ".eml"))
        return
    _quiet("extract_msg")
    _quiet("olefile")
    options: dict[str, Any] = {}
    behaviour = getattr(getattr(extract_msg, "enums", None), "ErrorBehavior", None)
    if behaviour is not None:  # one odd attachment must not make the whole message unreadable
        options["errorBehavior"] = behaviour.ATTACH_SUPPRESS_ALL
    try:  # bytes go in a file object: olefile reads short bytes as a file *name*
        message = extract_msg.openMsg(
            io.BytesIO(source) if isinstance(source, bytes) else str(source), **options)
    except Exception:
        collector.fail(where, corrupt_msg())
        return
    try:
        _message(collector, message, where, 0)
    finally:
        with contextlib.suppress(Exception):
            message.close()


def _message(collector: Collector, message: Any, where: Where, forwards: int) -> None:
    info = EmailInfo(sender=_text(message, "sender"), subject=_text(message, "subject"),
                     date=iso_date(_attr(message, "date")))
    if str(_attr(message, "classType") or "").lower().endswith(".smime"):
        _smime(collector, message, where.grouped(Group("", info)))
        return
    here = where.grouped(Group(message_folder(info), info))
    try:
        attachments = list(message.attachments or [])
    except Exception:
        collector.fail(where, corrupt_msg())
        return
    if len(attachments) > MAX_MEMBERS:  # each may become an input, as a zip's members
        collector.fail(where, too_many_attachments(len(attachments)))
        return
    contents = Contents()
    for attachment in attachments:
        name = None
        for attr in ("longFilename", "shortFilename", "name"):
            value = _attr(attachment, attr)
            if isinstance(value, str) and value.strip():
                name = value
                break
        data = _attr(attachment, "data")
        if hasattr(data, "attachments") and not isinstance(data, bytes | bytearray):
            subject = _attr(data, "subject")
            label = name or f"{subject if isinstance(subject, str) else 'message'}.msg"
            contents.spreadsheets += 1  # a forwarded message: its own disposition
            # read with this one: not a container opened again (MAX_NESTING)
            child = here.inside(printable(label, 160))
            if forwards >= MAX_FORWARDS:
                collector.fail(child, too_many_forwards())
            else:
                _message(collector, data, child, forwards + 1)
            continue
        ext = input_ext(name) if name else ""
        if ext not in INPUT_EXTS:
            contents.others.append(ext)
            continue
        contents.spreadsheets += 1
        child = here.named(name or "attachment", "message")
        if _is_link(attachment):
            collector.fail(child, cloud_attachment())
            continue
        if not isinstance(data, bytes | bytearray):
            collector.fail(child, InputError("corrupt", "the attachment cannot be read from "
                                                        "the message"))
            continue
        collector.child(bytes(data), name or f"attachment{ext}", ext, child)
    collector.nothing_attached(contents, info, where)


def _smime(collector: Collector, message: Any, where: Where) -> None:
    """An Outlook S/MIME message (IPM.Note.SMIME): its one attachment, smime.p7m, holds the
    whole message, encrypted or inside its signature. (Clear-signed mail,
    IPM.Note.SMIME.MultipartSigned, is read as any other.)"""
    data = b""
    for attachment in _attr(message, "rawAttachments") or []:
        value = _attr(attachment, "data")
        if isinstance(value, bytes | bytearray):
            data = bytes(value)
            break
    kind = smime_kind("application/pkcs7-mime", None, data)
    collector.fail(where, smime_encrypted() if kind == "encrypted" else smime_wrapped())


def _is_link(attachment: Any) -> bool:
    """A web reference attachment (attach method 7): a link to a file kept online."""
    kind = _attr(attachment, "type")
    return getattr(kind, "name", None) == "WEB" or type(attachment).__name__ == "WebAttachment"


def _attr(message: Any, name: str) -> Any:
    try:
        return getattr(message, name, None)
    except Exception:  # extract-msg computes these lazily and may fail on odd files
        return None


def _text(message: Any, name: str) -> str | None:
    value = _attr(message, name)
    return (printable(value, 300) or None) if isinstance(value, str) else None


def _quiet(logger_name: str) -> None:
    """Library loggers may carry names and subjects: keep them out of any log."""
    logger = logging.getLogger(logger_name)
    if logger.level < logging.CRITICAL:
        logger.setLevel(logging.CRITICAL + 1)
