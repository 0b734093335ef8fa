"""Which files are inputs, by extension (and, for attachments whose name says nothing, by MIME
type), and the one-line errors of those that cannot be checked. An error names kinds of file,
never a file's name: attachment names may name a patient."""

from __future__ import annotations

from nmr_xl.errors import InputError
from nmr_xl.inbox.names import file_ext, printable
from nmr_xl.read.csv_source import CSV_SUFFIXES
from nmr_xl.read.package import megabytes

WORKBOOK_EXTS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})  # .xls / .ods: copied as .xlsx
OOXML_EXTS = frozenset({".xlsx", ".xlsm"})
CSV_EXTS = CSV_SUFFIXES  # .csv and .tsv: the CSV reader detects delimiter and encoding
# ".winmail" is no file's extension: it stands for winmail.dat (input_ext), and no other .dat
WINMAIL_EXT = ".winmail"
CONTAINER_EXTS = frozenset({".eml", ".msg", ".mbox", ".zip", WINMAIL_EXT})
_UNSUPPORTED_MESSAGES = {
    ".xlt": "this is an old Excel 97-2003 template (.xlt); open it in Excel and save it as .xlsx",
    ".xlsb": "this is an Excel binary (.xlsb) workbook; save it as .xlsx",
    ".numbers": "this is an Apple Numbers file; export it as Excel (.xlsx)",
}
# Names that look like a spreadsheet nmr-xl cannot read: reported, never silently dropped.
SPREADSHEET_LIKE_EXTS = frozenset(_UNSUPPORTED_MESSAGES) | {
    ".xltx", ".xltm", ".xlw", ".xlam", ".ots", ".fods", ".tab", ".wk1", ".wks", ".123", ".slk",
    ".dif", ".qpw", ".gsheet",
} - CSV_EXTS
# Everything that becomes an input (or an input's error) rather than being passed over
INPUT_EXTS = WORKBOOK_EXTS | CSV_EXTS | CONTAINER_EXTS | SPREADSHEET_LIKE_EXTS
MIME_EXTS = {  # for attachments whose name says nothing
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": ".xlsb",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.apple.numbers": ".numbers",
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/x-zip": ".zip",
    "application/vnd.ms-outlook": ".msg",
    "application/mbox": ".mbox",
}


def input_ext(name: str) -> str:
    """The extension that says what a file is as an input: its own, lower-cased, except for
    Outlook's winmail.dat (and the `winmail (2).dat` of a second download), WINMAIL_EXT, and the
    file `mbox` in an Apple Mail export, .mbox."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    if base.startswith("winmail") and base.endswith(".dat"):
        return WINMAIL_EXT
    if base == "mbox":  # Apple Mail exports a mailbox as a folder Inbox.mbox/ holding it
        return ".mbox"
    return file_ext(name)


def has_unsupported_message(ext: str) -> bool:
    """Whether the extension alone says best what to do with the file."""
    return ext in _UNSUPPORTED_MESSAGES


def too_large(size: int, limit: int) -> InputError:
    return InputError("too-large", f"the file is {megabytes(size)}, over the {megabytes(limit)} "
                                   "limit for one input; split it or check it on its own")


def unsupported(ext: str) -> InputError:
    message = _UNSUPPORTED_MESSAGES.get(ext) or (
        f"nmr-xl cannot read {ext or 'these'} files; save it as .xlsx (or .csv) and check that")
    return InputError("unsupported-format", message)


def not_an_input() -> InputError:
    return InputError("unsupported-format", "this is not a file nmr-xl checks: give it .xlsx, "
                                            ".xlsm, .xls, .ods or .csv files, saved e-mails "
                                            "(.eml, .msg, .mbox) or .zip files")


def nested() -> InputError:
    return InputError("unsupported-format", "nested archive: this is an archive or message "
                                            "inside another one inside a third; unpack it and "
                                            "check the spreadsheets directly")


def empty() -> InputError:
    return InputError("empty", "the file is empty (0 bytes)")


def corrupt_zip() -> InputError:
    return InputError("corrupt", "the zip file is damaged (was it cut short while downloading?); "
                                 "download or save it again")


def corrupt_member() -> InputError:
    return InputError("corrupt", "this file in the zip is damaged (the zip was cut short or "
                                 "altered); download or save the zip again")


def corrupt_msg() -> InputError:
    return InputError("corrupt", "this Outlook message (.msg) is damaged or not a message; "
                                 "save it again from Outlook")


def no_spreadsheet_attachment(others: list[str]) -> InputError:
    if not others:
        return InputError("no-spreadsheet", "the e-mail has no attachments: nothing to check "
                                            "(was the billing workbook left off?)")
    return InputError("no-spreadsheet", "the e-mail has no spreadsheet attachment, "
                                        f"{_only(others, 'attachment')}: nothing to check "
                                        "(was the billing workbook left off?)")


def no_messages() -> InputError:
    return InputError("no-spreadsheet", "the mailbox file (.mbox) holds no messages: nothing "
                                        "to check (is it a mailbox export?)")


def too_many_messages(count: int) -> InputError:
    return InputError("too-large", f"the mailbox file (.mbox) holds {count:,} messages, more "
                                   "than one input may; export only the folder (or the "
                                   "messages) with the billing workbooks, or save those "
                                   "messages as .eml files")


def too_many_attachments(count: int) -> InputError:
    return InputError("too-large", f"the e-mail holds {count:,} attachments or parts, more than "
                                   "one input may; save the billing workbooks from it and "
                                   "check those")


def too_many_forwards() -> InputError:
    return InputError("unsupported-format", "this message was forwarded as an attachment "
                                            "inside too many others to read; save the "
                                            "innermost message and check it")


def tnef_damaged() -> InputError:
    return InputError("corrupt", "the attachments Outlook wrapped in winmail.dat are damaged "
                                 "(the message was cut short or altered on the way); ask for "
                                 "the workbook to be sent again")


def uu_damaged() -> InputError:
    return InputError("corrupt", "the attachment written into the message's text (uuencoded) "
                                 "is damaged or cut short; ask for it to be sent again")


def smime_encrypted() -> InputError:
    return InputError("encrypted", "the e-mail is encrypted (S/MIME): nmr-xl cannot open it; "
                                   "open it in the mail program it was sent to, save the "
                                   "workbook attached to it, and check that file")


def smime_wrapped() -> InputError:
    return InputError("unsupported-format", "the e-mail is digitally signed (S/MIME) in a form "
                                            "that wraps its attachments inside the signature, "
                                            "which nmr-xl cannot unwrap; open it in the mail "
                                            "program, save the workbook attached to it, and "
                                            "check that file")


def cloud_attachment() -> InputError:
    return InputError("not-found", "the attachment is a link to a file kept online (OneDrive, "
                                   "SharePoint or another cloud service), not the file: "
                                   "nothing was attached to check; open the link, download "
                                   "the workbook and check that file")


def no_spreadsheet_in_winmail(others: list[str]) -> InputError:
    if not others:
        return InputError("no-spreadsheet", "the winmail.dat (Outlook's wrapper for "
                                            "attachments) holds no files: nothing to check")
    return InputError("no-spreadsheet", "the winmail.dat (Outlook's wrapper for attachments) "
                                        f"holds no spreadsheet, {_only(others, 'file')}: "
                                        "nothing to check")


def no_spreadsheet_member(others: list[str]) -> InputError:
    if not others:
        return InputError("no-spreadsheet", "the zip file holds no files: nothing to check")
    return InputError("no-spreadsheet", "the zip file holds no spreadsheet, "
                                        f"{_only(others, 'file')}: nothing to check")


def _only(exts: list[str], noun: str) -> str:
    """What else came, by kind only: "only one attachment (.pdf)". Never the names, which
    may name a patient; an extension is untrusted text too."""
    kinds = ", ".join(sorted({printable(ext, 12) or "no extension" for ext in exts}))
    if len(exts) == 1:
        return f"only one {noun} ({kinds})"
    return f"only {len(exts)} other {noun}s ({kinds})"


def internal(exc: Exception) -> InputError:
    return InputError("internal-error", f"nmr-xl failed on this input ({type(exc).__name__}); "
                                        "please report it")
