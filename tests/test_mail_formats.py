"""The e-mails billers really save: winmail.dat (TNEF), S/MIME signed and encrypted mail,
attachment names in every encoding mailers use, workbooks under the wrong content type,
uuencoded attachments, forwarded forwards, mailbox (.mbox) files, Gmail's "Download all" zip
and Outlook messages with attached messages or links to cloud files. Every message is built
here with the standard library (and .msg files with extract-msg's own writer)."""

from __future__ import annotations

import base64
import binascii
import json
import quopri
import struct
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path

import pytest
from test_inbox import DAY, XLSX_TYPE, build_msg, csv, work_dir, write, xlsx, zipped

from nmr_xl.inbox import InboxItem, collect
from nmr_xl.inbox.wrappers import uuencoded_files
from nmr_xl.inputs import LABEL_SEP

S = LABEL_SEP
HEAD = ("From: Front Desk <desk@practice.example>\nTo: billing@service.example\n"
        f"Subject: March billing\nDate: {format_datetime(DAY)}\nMIME-Version: 1.0\n")


# --- builders --------------------------------------------------------------------------------


def raw(body_headers: str, body: str) -> bytes:
    """A message from its text: the usual headers, then `body_headers` and `body` (LF)."""
    return (HEAD + body_headers + "\n" + body).encode()


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode()


def mixed(*parts: str) -> bytes:
    """multipart/mixed with a text body and the given parts (each its headers, a blank line
    and its body)."""
    text = "Content-Type: text/plain\n\nPlease find this month's billing attached.\n"
    body = "".join(f"--XX\n{part}\n" for part in (text, *parts)) + "--XX--\n"
    return raw('Content-Type: multipart/mixed; boundary="XX"\n', body)


def attachment(headers: str, data: bytes) -> str:
    return f"{headers}Content-Transfer-Encoding: base64\n\n{b64(data)}"


def tnef(attachments: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat as Outlook writes it (MS-OXTNEF): the signature, a key, the TNEF version
    and code page, then per attachment its rendering, title (file name) and data."""

    def attribute(level: int, tag: int, kind: int, data: bytes) -> bytes:
        return (struct.pack("<BHHI", level, tag, kind, len(data)) + data
                + struct.pack("<H", sum(data) & 0xFFFF))

    out = struct.pack("<IH", 0x223E9F78, 0x0101)
    out += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += attribute(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\0")  # attMessageClass
    for name, data in attachments:
        out += attribute(2, 0x9002, 0x0006, struct.pack("<HIhhhhI", 1, 0xFFFFFFFF, 0, 0, 0,
                                                        0, 0))  # attAttachRendData
        out += attribute(2, 0x8010, 0x0001, name.encode("cp1252") + b"\0")  # attAttachTitle
        out += attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return out


def uuencoded(name: str, data: bytes) -> str:
    lines = [f"begin 644 {name}"]
    lines += [binascii.b2a_uu(data[i:i + 45]).decode().rstrip("\n")
              for i in range(0, len(data), 45)]
    return "\n".join([*lines, "`", "end"]) + "\n"


def der(tag: int, content: bytes) -> bytes:
    size = len(content)
    length = bytes([size]) if size < 0x80 else b"\x82" + struct.pack(">H", size)
    return bytes([tag]) + length + content


def cms(oid: bytes) -> bytes:
    """The start of a CMS (PKCS #7) ContentInfo: its content type, then a stand-in content."""
    return der(0x30, der(0x06, oid) + der(0xA0, der(0x30, b"\x02\x01\x00" + bytes(40))))


SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
ENVELOPED_DATA = bytes.fromhex("2a864886f70d010703")


def forwarded(inner: bytes, subject: str) -> bytes:
    """A message with `inner` attached as a message (message/rfc822)."""
    outer = EmailMessage()
    outer["From"] = "Office Manager <office@practice.example>"
    outer["To"] = "billing@service.example"
    outer["Subject"] = subject
    outer["Date"] = format_datetime(DAY)
    outer.set_content("Forwarding.\n")
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))
    return outer.as_bytes()


def cases() -> dict[str, bytes]:
    """Every case by name: the file's bytes (named <case>.eml unless the name has a suffix)."""
    wb = xlsx("wb")
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    inner = MIMEMultipart("mixed")
    inner.attach(MIMEText("Billing attached.\n"))
    part = MIMEApplication(wb, "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    part.add_header("Content-Disposition", "attachment", filename="March.xlsx")
    inner.attach(part)
    signed.attach(inner)
    signature = MIMEApplication(cms(SIGNED_DATA), "pkcs7-signature", name="smime.p7s")
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    signed.attach(signature)
    for key, value in (("From", "Front Desk <desk@practice.example>"),
                       ("Subject", "March billing"), ("Date", format_datetime(DAY))):
        signed[key] = value
    crlf = mixed(attachment(f'Content-Type: {XLSX_TYPE}; name="March.xlsx"\n'
                            'Content-Disposition: attachment; filename="March.xlsx"\n', wb))
    plain = EmailMessage()
    plain["From"], plain["Subject"] = "Front Desk <desk@practice.example>", "Old mailer"
    plain.set_content("Billing below.\n\n" + uuencoded("March.xlsx", wb) + "\nThanks\n")
    mbox = b"".join(b"From desk@practice.example Mon Mar  2 09:15:00 2026\n"
                    + mixed(attachment(f'Content-Type: {XLSX_TYPE}\nContent-Disposition: '
                                       f'attachment; filename="{n}.xlsx"\n', xlsx(n)))
                    + b"\n" for n in ("one", "two"))
    return {
        "tnef": mixed(attachment('Content-Type: application/ms-tnef; name="winmail.dat"\n'
                                 'Content-Disposition: attachment; filename="winmail.dat"\n',
                                 tnef([("March billing.xlsx", wb), ("scan.pdf", b"%PDF-1.4")]))),
        "signed": signed.as_bytes(),
        "opaque-signed": raw('Content-Type: application/pkcs7-mime; smime-type=signed-data; '
                             'name="smime.p7m"\nContent-Disposition: attachment; '
                             'filename="smime.p7m"\nContent-Transfer-Encoding: base64\n',
                             b64(cms(SIGNED_DATA))),
        "encrypted": raw('Content-Type: application/pkcs7-mime; smime-type=enveloped-data; '
                         'name="smime.p7m"\nContent-Disposition: attachment; '
                         'filename="smime.p7m"\nContent-Transfer-Encoding: base64\n',
                         b64(cms(ENVELOPED_DATA))),
        "rfc2231": mixed(attachment("Content-Type: application/octet-stream\n"
                                    "Content-Disposition: attachment; "
                                    "filename*=UTF-8''Fakt%C3%BCra.xlsx\n", wb)),
        "rfc2047": mixed(attachment('Content-Type: application/octet-stream; name='
                                    '"=?UTF-8?B?RmFrdMO8cmEueGxzeA==?="\n'
                                    'Content-Disposition: attachment; filename='
                                    '"=?UTF-8?B?RmFrdMO8cmEueGxzeA==?="\n', wb)),
        "ctype-name": mixed(attachment('Content-Type: application/octet-stream; '
                                       'name="March.xlsx"\n', wb)),
        "no-name": mixed(attachment(f"Content-Type: {XLSX_TYPE}\n", wb)),
        "octet-stream": mixed(attachment('Content-Type: application/octet-stream\n'
                                         'Content-Disposition: attachment; '
                                         'filename="March.xlsx"\n', wb)),
        "inline": mixed(attachment(f'Content-Type: {XLSX_TYPE}\n'
                                   'Content-Disposition: inline; filename="March.xlsx"\n', wb)),
        "wrong-type": mixed(attachment('Content-Type: text/plain; name="March.xlsx"\n', wb)),
        "wrong-type-no-name": mixed(attachment("Content-Type: text/plain\n", wb)),
        "uuencoded": plain.as_bytes(),
        "quoted-printable": mixed(f'Content-Type: {XLSX_TYPE}\nContent-Disposition: attachment;'
                                  ' filename="March.xlsx"\nContent-Transfer-Encoding: '
                                  f'quoted-printable\n\n{quopri.encodestring(wb).decode()}'),
        "forwarded-twice": forwarded(forwarded(crlf, "Fwd: March billing"),
                                     "Fwd: Fwd: March billing"),
        "crlf": crlf.replace(b"\n", b"\r\n"),
        "lf": crlf,
        "gmail.zip": zipped({"March.xlsx": wb, "April.csv": csv("april"),
                             "image001.png": b"\x89PNG"}),
        "inbox.mbox": mbox,
        "unix-from": b"From desk@practice.example Mon Mar  2 09:15:00 2026\n" + crlf,
        "rfc2231-continued": mixed(attachment(
            "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n"
            " filename*0*=UTF-8''Fakt%C3%BCra%20M%C3%A4rz%20;\n filename*1*=2026.xlsx\n", wb)),
        "rfc2231-latin1": mixed(attachment("Content-Type: application/octet-stream\n"
                                           "Content-Disposition: attachment; "
                                           "filename*=iso-8859-1''Fakt%FCra.xlsx\n", wb)),
        "rfc2047-split": mixed(attachment('Content-Type: application/octet-stream; name="=?UTF-8'
                                          '?Q?Fakt=C3=BCra?= =?UTF-8?Q?_M=C3=A4rz.xlsx?="\n',
                                          wb)),
        "x-uuencode": mixed('Content-Type: application/octet-stream; name="March.xlsx"\n'
                            "Content-Transfer-Encoding: x-uuencode\n\n"
                            + uuencoded("March.xlsx", wb)),
    }


def outcome(items: list[InboxItem], root: Path) -> list[tuple[str, str]]:
    return [(i.label.replace(str(root) + "/", ""),
             f"{i.error.code}: {i.error.message}" if i.error else f"{i.kind}")
            for i in items]


def collected(tmp_path: Path, name: str, data: bytes) -> list[tuple[str, str]]:
    root = tmp_path / "in"
    path = write(root / (name if "." in name else name + ".eml"), data)
    return outcome(collect([path], work_dir(tmp_path)), root)


WORKBOOK = [("{f} > March.xlsx", "workbook")]
# case -> what a biller gets: (label with " > ", kind or "code|words of its message")
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "tnef": [("{f} > March billing.xlsx", "workbook")],  # winmail.dat: was no-spreadsheet
    "signed": WORKBOOK,
    "opaque-signed": [("{f}", "unsupported-format|digitally signed (S/MIME)")],
    "encrypted": [("{f}", "encrypted|the e-mail is encrypted (S/MIME)")],
    "rfc2231": [("{f} > Faktüra.xlsx", "workbook")],
    "rfc2047": [("{f} > Faktüra.xlsx", "workbook")],
    "ctype-name": WORKBOOK,
    "no-name": [("{f} > attachment.xlsx", "workbook")],
    "octet-stream": WORKBOOK,
    "inline": WORKBOOK,
    "wrong-type": WORKBOOK,
    "wrong-type-no-name": [("{f} > attachment.xlsx", "workbook")],  # was no-spreadsheet
    "uuencoded": WORKBOOK,  # was no-spreadsheet
    "quoted-printable": WORKBOOK,
    # was a "nested archive" error
    "forwarded-twice": [("{f} > Fwd: March billing.eml > March billing.eml > March.xlsx",
                         "workbook")],
    "crlf": WORKBOOK,
    "lf": WORKBOOK,
    "gmail.zip": [("{f} > April.csv", "csv"), ("{f} > March.xlsx", "workbook")],
    # was "not a file nmr-xl checks"
    "inbox.mbox": [("{f} > message 1 > one.xlsx", "workbook"),
                   ("{f} > message 2 > two.xlsx", "workbook")],
    "unix-from": WORKBOOK,
    "rfc2231-continued": [("{f} > Faktüra März 2026.xlsx", "workbook")],
    "rfc2231-latin1": [("{f} > Faktüra.xlsx", "workbook")],
    "rfc2047-split": [("{f} > Faktüra März.xlsx", "workbook")],
    "x-uuencode": WORKBOOK,
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_every_saved_mail_gets_its_workbook_checked_or_a_plain_disposition(
        tmp_path: Path, case: str) -> None:
    name = case if "." in case else case + ".eml"
    got = collected(tmp_path, case, cases()[case])
    expected = [(label.format(f=name).replace(" > ", S), what)
                for label, what in EXPECTED[case]]
    assert [label for label, _ in got] == [label for label, _ in expected]
    for (_, outcome_), (_, what) in zip(got, expected, strict=True):
        code, _, words = what.partition("|")
        assert outcome_ == code or outcome_.startswith(code + ": ")
        assert words in outcome_
        assert "smime.p7m" not in outcome_ and "March" not in outcome_  # kinds, never names


def test_email_headers_stay_on_each_entry(tmp_path: Path) -> None:
    subjects = {"tnef": "March billing", "uuencoded": "Old mailer", "encrypted": "March billing",
                "forwarded-twice": "March billing",  # the innermost message's
                "inbox.mbox": "March billing"}
    for case, subject in subjects.items():
        path = write(tmp_path / case / "in" / (case if "." in case else case + ".eml"),
                     cases()[case])
        items = collect([path], work_dir(tmp_path / case))
        assert items and all(i.email is not None and i.email.subject == subject
                             for i in items), case
        if case != "uuencoded":
            assert all(i.email.date == "2026-03-02T09:15:00-05:00" for i in items)  # type: ignore[union-attr]


def test_winmail_dat_with_no_workbook_and_damaged(tmp_path: Path) -> None:
    only_pdf = mixed(attachment("Content-Type: application/ms-tnef\n",  # no name: by type
                                tnef([("scan.pdf", b"%PDF-1.4")])))
    assert collected(tmp_path / "a", "pdf", only_pdf) == [
        ("pdf.eml", "no-spreadsheet: the e-mail has no spreadsheet attachment, only one "
                    "attachment (.pdf): nothing to check (was the billing workbook left off?)")]
    cut = tnef([("March.xlsx", xlsx("cut"))])[:-40]
    damaged = mixed(attachment('Content-Type: application/octet-stream; name="winmail.dat"\n',
                               cut))
    [(label, what)] = collected(tmp_path / "b", "cut", damaged)
    assert label == f"cut.eml{S}winmail.dat" and what.startswith("corrupt: the attachments "
                                                                 "Outlook wrapped")


def test_smime_kind_without_its_parameter_is_read_from_the_content(tmp_path: Path) -> None:
    for oid, code in ((ENVELOPED_DATA, "encrypted"), (SIGNED_DATA, "unsupported-format")):
        message = raw("Content-Type: application/x-pkcs7-mime; name=smime.p7m\n"
                      "Content-Transfer-Encoding: base64\n", b64(cms(oid)))
        [(_, what)] = collected(tmp_path / code, "m", message)
        assert what.startswith(code + ": ")


def test_uuencoded_file_cut_short_is_corrupt(tmp_path: Path) -> None:
    plain = EmailMessage()
    plain["From"], plain["Subject"] = "desk@practice.example", "Old mailer"
    text = uuencoded("March.xlsx", xlsx("uu"))
    plain.set_content(text[: text.index("`")])  # no end line
    [(label, what)] = collected(tmp_path, "uu", plain.as_bytes())
    assert label == f"uu.eml{S}March.xlsx" and what.startswith("corrupt: ")


def test_forwards_inside_forwards_have_a_limit(tmp_path: Path) -> None:
    message = cases()["lf"]
    for level in range(12):
        message = forwarded(message, f"Fwd {level}")
    [(label, what)] = collected(tmp_path, "deep", message)
    assert label.count(S) == 11 and what.startswith("unsupported-format: this message was "
                                                     "forwarded")


def test_zip_in_a_forwarded_message_is_opened(tmp_path: Path) -> None:
    inner = mixed(attachment('Content-Type: application/zip; name="all.zip"\n',
                             zipped({"March.xlsx": xlsx("z")})))
    got = collected(tmp_path, "fwd", forwarded(inner, "Fwd: March"))
    assert got == [(f"fwd.eml{S}March billing.eml{S}all.zip{S}March.xlsx", "workbook")]


def test_mailboxes_empty_and_in_a_zip(tmp_path: Path) -> None:
    assert collected(tmp_path / "a", "empty.mbox", b"no messages here\n") == [
        ("empty.mbox", "no-spreadsheet: the mailbox file (.mbox) holds no messages: nothing "
                       "to check (is it a mailbox export?)")]
    box = cases()["inbox.mbox"]
    got = collected(tmp_path / "b", "export.zip", zipped({"Billing.mbox": box}))
    assert got == [(f"export.zip{S}Billing.mbox{S}message 1{S}one.xlsx", "workbook"),
                   (f"export.zip{S}Billing.mbox{S}message 2{S}two.xlsx", "workbook")]
    assert not list((tmp_path / "b" / "work").rglob("*.mbox"))  # the spooled copy is gone


def test_outlook_link_to_a_cloud_file_and_messages_in_messages(tmp_path: Path) -> None:
    msg = build_msg("March billing", [
        ("March.xlsx", "https://practice-my.sharepoint.com/personal/desk/March.xlsx"),
        ("Fwd.msg", ("Fwd: April", [("Inner.msg", ("April", [("April.xlsx", xlsx("a"))]))])),
        ("One.msg", ("May", [("May.xlsx", xlsx("m"))])),
    ])
    got = collected(tmp_path, "a.msg", msg)
    assert got == [
        (f"a.msg{S}March.xlsx", "not-found: the attachment is a link to a file kept online "
                                "(OneDrive, SharePoint or another cloud service), not the file: "
                                "nothing was attached to check; open the link, download the "
                                "workbook and check that file"),
        (f"a.msg{S}Fwd.msg{S}Inner.msg{S}April.xlsx", "workbook"),  # was "nested archive"
        (f"a.msg{S}One.msg{S}May.xlsx", "workbook"),
    ]


def test_a_batch_of_real_mail_reports_one_line_each_and_no_traceback(cli, tmp_path: Path
                                                                     ) -> None:  # type: ignore[no-untyped-def]
    from conftest import AS_OF, CLEAN_ROWS, build_billing_workbook

    book = build_billing_workbook(tmp_path / "src.xlsx", CLEAN_ROWS, extras=False).read_bytes()
    root = tmp_path / "in"
    write(root / "winmail.eml", mixed(attachment("Content-Type: application/ms-tnef; "
                                                 'name="winmail.dat"\n',
                                                 tnef([("March.xlsx", book)]))))
    write(root / "secret.eml", cases()["encrypted"])
    run = cli("check", root, "--no-annotate", "--as-of", AS_OF, "--format", "json")
    assert "Traceback" not in run.err
    files = {Path(f["input"].split(S)[0]).name: f for f in json.loads(run.out)["files"]}
    assert files["winmail.eml"]["status"] == "checked"
    assert files["winmail.eml"]["email"]["subject"] == "March billing"
    assert files["secret.eml"]["error"]["code"] == "encrypted"


def test_winmail_dat_names_in_the_code_page_and_a_flood_of_attributes(tmp_path: Path) -> None:
    accented = mixed(attachment("Content-Type: application/ms-tnef\n",
                                tnef([("Factura_Febrero_Peña.xlsx", xlsx("cp"))])))
    assert collected(tmp_path / "a", "cp", accented) == [
        (f"cp.eml{S}Factura_Febrero_Peña.xlsx", "workbook")]
    flood = tnef([]) + struct.pack("<BHHIH", 1, 0x8008, 0x0007, 0, 0) * 30_000
    [(label, what)] = collected(tmp_path / "b", "flood", mixed(attachment(
        "Content-Type: application/ms-tnef\n", flood)))
    assert label == f"flood.eml{S}winmail.dat" and what.startswith("corrupt: ")


def test_a_winmail_dat_saved_alone_or_in_a_gmail_zip(tmp_path: Path) -> None:
    winmail = tnef([("March.xlsx", xlsx("w")), ("scan.pdf", b"%PDF-1.4")])
    assert collected(tmp_path / "a", "winmail.dat", winmail) == [
        (f"winmail.dat{S}March.xlsx", "workbook")]
    got = collected(tmp_path / "b", "gmail.zip", zipped({"winmail (1).dat": winmail,
                                                       "notes.dat": b"not ours"}))
    assert got == [(f"gmail.zip{S}winmail (1).dat{S}March.xlsx", "workbook")]
    only_pdf = collected(tmp_path / "c", "winmail.dat", tnef([("scan.pdf", b"%PDF")]))
    assert only_pdf == [("winmail.dat", "no-spreadsheet: the winmail.dat (Outlook's wrapper for "
                                        "attachments) holds no spreadsheet, only one file "
                                        "(.pdf): nothing to check")]
    assert collected(tmp_path / "d", "winmail.dat", b"x" * 40)[0][1].startswith("corrupt: ")
    root = tmp_path / "e"
    write(root / "other.dat", b"not ours")  # any other .dat in a folder is passed over
    assert collect([root], work_dir(tmp_path, "work-e")) == []


@pytest.mark.parametrize(("oid", "code"), [(ENVELOPED_DATA, "encrypted"),
                                           (SIGNED_DATA, "unsupported-format")])
def test_outlook_smime_message_says_what_it_is(tmp_path: Path, oid: bytes, code: str) -> None:
    msg = build_msg("March billing", [("smime.p7m", cms(oid))], message_class="IPM.Note.SMIME")
    [(label, what)] = collected(tmp_path, "a.msg", msg)
    assert label == "a.msg" and what.startswith(code + ": the e-mail is ")


def test_an_apple_mail_export_folder(tmp_path: Path) -> None:
    export = tmp_path / "in" / "Billing.mbox"
    write(export / "mbox", cases()["inbox.mbox"])
    write(export / "Info.plist", b"<plist/>")
    items = collect([export], work_dir(tmp_path))
    assert outcome(items, tmp_path / "in") == [
        (f"Billing.mbox/mbox{S}message 1{S}one.xlsx", "workbook"),
        (f"Billing.mbox/mbox{S}message 2{S}two.xlsx", "workbook")]


def test_a_mailbox_of_more_messages_than_one_input_may_hold_is_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 messages made 100,000 `no-spreadsheet` inputs (23 s). The messages are counted
    from the file's lines before any is parsed: over MAX_MEMBERS (as a zip's members) the
    mailbox is one `too-large` input."""
    from nmr_xl.inbox import eml

    monkeypatch.setattr(eml, "MAX_MEMBERS", 1)
    got = collected(tmp_path, "inbox.mbox", cases()["inbox.mbox"])
    assert got == [("inbox.mbox", "too-large: the mailbox file (.mbox) holds 2 messages, more "
                                  "than one input may; export only the folder (or the messages) "
                                  "with the billing workbooks, or save those messages as .eml "
                                  "files")]


def test_uuencoded_lines_that_are_not_ascii_are_damaged_not_a_crash() -> None:
    """binascii.a2b_uu raises ValueError, not binascii.Error, for text that is not ASCII: the
    whole e-mail was an internal-error."""
    found = uuencoded_files("begin 644 March.csv\n\xff garbage\nend\n")
    assert [(w.name, w.data) for w in found] == [("March.csv", None)]


def test_a_winmail_attribute_claiming_more_bytes_than_the_file_has_is_damaged(
        tmp_path: Path) -> None:
    """An attachment's length field of 4 GB in a 165-byte winmail.dat: tnefparse handed on the
    rest of the file as the attachment, which was checked. Lengths are measured first."""
    data = bytearray(tnef([("March.csv", b"DOS,CPT,Units\n")]))
    at = data.rfind(struct.pack("<BHH", 2, 0x800F, 0x0006))
    data[at + 5: at + 9] = struct.pack("<I", 0xFFFFFFF0)
    got = collected(tmp_path, "winmail.dat", bytes(data))
    assert [(label, outcome.split(":")[0]) for label, outcome in got] == [
        ("winmail.dat", "corrupt")]


def test_an_email_of_more_parts_than_one_input_may_hold_is_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each attachment may become an input: an e-mail of 100,000 of them (or of uuencoded
    blocks) is one `too-large` input, its parts counted before any is decoded, as a mailbox's
    messages and a zip's members are."""
    from nmr_xl.inbox import eml

    monkeypatch.setattr(eml, "MAX_MEMBERS", 2)
    message = MIMEMultipart("mixed")
    message["Subject"] = "March billing"
    message.attach(MIMEText("Billing attached.\n"))
    for month in ("March", "April"):
        part = MIMEApplication(csv(month), "octet-stream")
        part.add_header("Content-Disposition", "attachment", filename=f"{month}.csv")
        message.attach(part)
    got = collected(tmp_path, "many", message.as_bytes())
    assert got == [("many.eml", "too-large: the e-mail holds 3 attachments or parts, more than "
                                "one input may; save the billing workbooks from it and check "
                                "those")]
    blocks = "".join(f"begin 644 m{n}.csv\n#86%R8V@*\n`\nend\n" for n in range(3))
    plain = EmailMessage()
    plain["Subject"] = "old mailer"
    plain.set_content(blocks)
    got = collected(tmp_path / "uu", "uu", plain.as_bytes())
    assert got == [("uu.eml", "too-large: the e-mail holds 3 attachments or parts, more than "
                              "one input may; save the billing workbooks from it and check "
                              "those")]
