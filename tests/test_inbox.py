"""Collecting a batch's inputs (nmr_xl.inbox): folders, saved e-mails, zips, duplicates, and
every hostile name or archive an inbox can hold. Everything is built in tmp_path with the
standard library; .msg files are faked through a stand-in `extract_msg` module.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import sys
import types
import unicodedata
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from nmr_xl.inbox import InboxItem, collect
from nmr_xl.inbox.names import MAX_NAME_CHARS, printable, safe_name
from nmr_xl.inputs import LABEL_SEP, EmailInfo

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


# --- builders --------------------------------------------------------------------------------


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 3, 2, 9, 15, 0))  # same bytes every time
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def xlsx(tag: str, *, macro: bool = False) -> bytes:
    """A minimal OOXML package: enough for sniff() to call it a workbook; `tag` makes the
    content (and so the hash) unique."""
    kind = "sheet.macroEnabled.main+xml" if macro else "sheet.main+xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_member("[Content_Types].xml"),
                         f'<Types><Override ContentType="application/vnd.ms-excel.{kind}"/>'
                         "</Types>")
        archive.writestr(_member("xl/workbook.xml"), "<workbook/>")
        archive.writestr(_member("xl/worksheets/sheet1.xml"), f"<worksheet>{tag}</worksheet>")
    return buffer.getvalue()


def xls() -> bytes:
    return OLE_MAGIC + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(480)


def encrypted_xlsx() -> bytes:
    return OLE_MAGIC + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(64)


def csv(tag: str) -> bytes:
    return f"Patient ID,DOS,CPT,Units\n{tag},2026-03-02,97112,2\n".encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(_member(name), data)
    return buffer.getvalue()


def eml(subject: str, attachments: list[tuple[str, bytes]], *, date: dt.datetime | None = DAY,
        sender: str = "Front Desk <desk@practice.example>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "billing@service.example"
    message["Subject"] = subject
    if date is not None:
        message["Date"] = format_datetime(date)
    message.set_content("Please find this month's billing attached.\n")
    for name, data in attachments:
        maintype, subtype = _mime(name).split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _mime(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".csv"):
        return "text/csv"
    if lower.endswith(".zip"):
        return "application/zip"
    if lower.endswith(".pdf"):
        return "application/pdf"
    if lower.endswith(".png"):
        return "image/png"
    if lower.endswith(".xlsx"):
        return XLSX_TYPE
    return "application/octet-stream"


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def work_dir(tmp_path: Path, name: str = "work") -> Path:
    work = tmp_path / name
    work.mkdir(mode=0o700)
    return work


def files_under(root: Path, *, excluding: Path | None = None) -> set[Path]:
    return {p for p in root.rglob("*")
            if p.is_file() and not (excluding and excluding in p.parents)}


def by_label(items: list[InboxItem]) -> dict[str, InboxItem]:
    return {item.label: item for item in items}


def is_printable(text: str) -> bool:
    return all(not unicodedata.category(ch).startswith("C") for ch in text)


# --- the new user's inbox --------------------------------------------------------------------

EVIL = "../../evil.xlsx"
CONTROL = "bill\x07ing\x1b[31m \u202eMarch.xlsx"
LONG = "L" * 300 + ".xlsx"


def build_inbox(root: Path) -> None:
    """A dozen saved e-mails, as a billing service's inbox folder holds them, plus clutter."""
    a, b = xlsx("a"), xlsx("b", macro=True)
    mails = {
        "01 march.eml": eml("March billing", [("Smith PT March.xlsx", a),
                                              ("Smith PT March macros.xlsm", b)]),
        "02 fwd.eml": eml("Fwd: March billing", [("copy of March.xlsx", a)],
                          date=DAY + dt.timedelta(days=1)),
        "03 old.eml": eml("Old format", [("legacy.xls", xls())]),
        "04 csv.eml": eml("CSV export", [("export.csv", csv("c"))]),
        "05 zip.eml": eml("Zipped", [("bundle.zip", zipped({"Q1/jan.xlsx": xlsx("jan"),
                                                            "Q1/feb.xlsx": xlsx("feb"),
                                                            "Q1/readme.pdf": b"%PDF-1.4"}))]),
        "06 evil.eml": eml("Slashes", [(EVIL, xlsx("evil"))]),
        "07 control.eml": eml("Control", [(CONTROL, xlsx("control"))]),
        "08 long.eml": eml("Long", [(LONG, xlsx("long"))]),
        "09 locked.eml": eml("Locked", [("locked.xlsx", encrypted_xlsx())]),
        "10 thanks.eml": eml("Thanks", [("logo.png", b"\x89PNG\r\n"), ("memo.pdf", b"%PDF")]),
        "11 march again.eml": eml("March billing", [("Jones.xlsx", xlsx("jones"))]),
        "12 reserved.eml": eml("Re: Q1/Q2 <billing>", [("CON.xlsx", xlsx("con")),
                                                      ("con.csv", csv("con"))],
                               date=None),
    }
    for name, data in mails.items():
        write(root / name, data)
    write(root / "scan.pdf", b"%PDF-1.4")  # folders hold other things too
    write(root / "notes.txt", b"call Dr A")
    write(root / "~$Smith PT March.xlsx", b"lock")
    write(root / "Smith PT March.checked.xlsx", xlsx("ours"))
    write(root / "batch-summary.xlsx", xlsx("summary"))
    write(root / ".nmr-xl-state.json", b"{}")
    write(root / ".hidden" / "secret.xlsx", xlsx("hidden"))


def test_inbox_of_a_dozen_emails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "inbox"
    build_inbox(inbox)
    before = files_under(tmp_path)
    work = work_dir(tmp_path)

    items = collect([inbox], work)

    s = LABEL_SEP
    m = f"{inbox}/01 march.eml{s}"
    assert [item.label for item in items] == [
        f"{m}Smith PT March.xlsx",
        f"{m}Smith PT March macros.xlsm",
        f"{inbox}/03 old.eml{s}legacy.xls",
        f"{inbox}/04 csv.eml{s}export.csv",
        f"{inbox}/05 zip.eml{s}bundle.zip{s}Q1/feb.xlsx",  # zip members by name
        f"{inbox}/05 zip.eml{s}bundle.zip{s}Q1/jan.xlsx",
        f"{inbox}/06 evil.eml{s}{EVIL}",
        f"{inbox}/07 control.eml{s}billing[31m March.xlsx",
        f"{inbox}/08 long.eml{s}{'L' * 159}…",
        f"{inbox}/09 locked.eml{s}locked.xlsx",
        f"{inbox}/10 thanks.eml",  # nothing to check in it: said so
        f"{inbox}/11 march again.eml{s}Jones.xlsx",
        f"{inbox}/12 reserved.eml{s}CON.xlsx",
        f"{inbox}/12 reserved.eml{s}con.csv",
    ]
    items_by = by_label(items)

    # the duplicate is one item listing both messages, first arrival first
    first = items_by[f"{m}Smith PT March.xlsx"]
    assert first.sources == [first.label, f"{inbox}/02 fwd.eml{s}copy of March.xlsx"]
    assert first.kind == "workbook" and first.error is None
    assert first.path.read_bytes() == xlsx("a") and first.path.name == "Smith PT March.xlsx"
    assert first.email is not None
    assert first.email.sender == "Front Desk <desk@practice.example>"
    assert first.email.subject == "March billing"
    assert first.email.date == "2026-03-02T09:15:00-05:00"
    assert first.sha256 is not None and len(first.sha256) == 64

    # one folder per message under --out; the same date and subject twice stays apart
    assert first.out_subdir == "2026-03-02 March billing"
    assert items_by[f"{m}Smith PT March macros.xlsm"].out_subdir == "2026-03-02 March billing"
    assert items_by[f"{inbox}/11 march again.eml{s}Jones.xlsx"].out_subdir == (
        "2026-03-02 March billing (2)")
    reserved = items_by[f"{inbox}/12 reserved.eml{s}CON.xlsx"]
    assert reserved.out_subdir == "Re Q1 Q2 billing" and reserved.email is not None
    assert reserved.email.date is None
    # a device name is never a file name, and "CON" and "con" (.csv) may not share a stem
    assert reserved.path.name == "_CON.xlsx"
    assert items_by[f"{inbox}/12 reserved.eml{s}con.csv"].path.name == "_con (2).csv"

    old = items_by[f"{inbox}/03 old.eml{s}legacy.xls"]
    assert old.error is not None and old.error.code == "unsupported-format"
    assert "holds no Excel 97-2003 (.xls) workbook" in old.error.message and old.kind is None
    export = items_by[f"{inbox}/04 csv.eml{s}export.csv"]
    assert export.kind == "csv" and export.path.suffix == ".csv" and export.error is None
    jan = items_by[f"{inbox}/05 zip.eml{s}bundle.zip{s}Q1/jan.xlsx"]
    assert jan.out_subdir == "2026-03-02 Zipped" and jan.email is not None
    assert jan.path.name == "jan.xlsx" and jan.path.read_bytes() == xlsx("jan")
    locked = items_by[f"{inbox}/09 locked.eml{s}locked.xlsx"]
    assert locked.kind == "workbook" and locked.error is None  # the checker says "encrypted"
    thanks = items.pop(items.index(items_by[f"{inbox}/10 thanks.eml"]))
    assert thanks.error is not None and thanks.error.code == "no-spreadsheet"
    assert thanks.error.message == ("the e-mail has no spreadsheet attachment, only 2 other "
                                    "attachments (.pdf, .png): nothing to check (was the "
                                    "billing workbook left off?)")
    assert thanks.path == inbox / "10 thanks.eml" and thanks.out_subdir == ""
    assert thanks.email is not None and thanks.email.subject == "Thanks"  # who sent it

    # hostile names: extracted under a plain name inside the work folder, shown printable
    evil = items_by[f"{inbox}/06 evil.eml{s}{EVIL}"]
    assert evil.path.name == "evil.xlsx" and evil.path.parent.parent == work
    control = items_by[f"{inbox}/07 control.eml{s}billing[31m March.xlsx"]
    assert control.path.name == "billing[31m March.xlsx"
    long = next(item for item in items if item.label.startswith(f"{inbox}/08 long.eml"))
    assert long.path.name == "L" * MAX_NAME_CHARS + ".xlsx"
    for item in items:
        assert is_printable(item.label) and is_printable(item.out_subdir)
        assert is_printable(item.path.name)
        assert work in item.path.parents and item.path.is_file()
        assert "/" not in item.out_subdir and "\\" not in item.out_subdir
        assert len(item.out_subdir) <= 60
    assert files_under(tmp_path, excluding=work) == before  # nothing written outside work
    for folder in work.iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    # deterministic: a second collection gives the same items
    again = [i for i in collect([inbox], work_dir(tmp_path, "work2")) if i.label != thanks.label]
    assert [(i.label, i.sources, i.out_subdir, i.sha256, i.path.relative_to(tmp_path / "work2"))
            for i in again] == [(i.label, i.sources, i.out_subdir, i.sha256,
                                 i.path.relative_to(work)) for i in items]
    assert capsys.readouterr() == ("", "")  # never prints


def test_same_content_as_file_and_attachment_is_one_item(tmp_path: Path) -> None:
    plain = write(tmp_path / "in" / "a.xlsx", xlsx("same"))
    mail = write(tmp_path / "in" / "b.eml", eml("Billing", [("March.xlsx", xlsx("same"))]))
    items = collect([plain, mail, plain], work_dir(tmp_path))  # the file named twice, too
    assert len(items) == 1
    assert items[0].path == plain and items[0].out_subdir == ""
    assert items[0].sources == [str(plain), f"{mail}{LABEL_SEP}March.xlsx"]
    # it also came by e-mail: who sent it, and when, are not lost with the duplicate
    assert items[0].email == EmailInfo("Front Desk <desk@practice.example>", "Billing",
                                       "2026-03-02T09:15:00-05:00")
    assert not any((tmp_path / "work").rglob("*.xlsx"))  # the duplicate copy was removed


def test_a_workbook_in_a_zip_and_by_email_keeps_the_first_email(tmp_path: Path) -> None:
    """The zip on disk sorts first, so its member is the item; the e-mails that bring the same
    workbook again give it their sender, subject and date, the first of them only."""
    write(tmp_path / "in" / "a archive.zip", zipped({"March.xlsx": xlsx("same")}))
    write(tmp_path / "in" / "b first.eml", eml("March billing", [("March.xlsx", xlsx("same"))]))
    write(tmp_path / "in" / "c second.eml", eml("Again", [("copy.xlsx", xlsx("same"))],
                                                date=DAY + dt.timedelta(days=1)))
    [item] = collect([tmp_path / "in"], work_dir(tmp_path))
    assert item.label.endswith(f"a archive.zip{LABEL_SEP}March.xlsx")
    assert item.out_subdir == "a archive"  # its copy still goes where the zip's members go
    assert item.email is not None and item.email.subject == "March billing"
    assert item.email.date == "2026-03-02T09:15:00-05:00"
    assert len(item.sources) == 3


# --- zips ------------------------------------------------------------------------------------


def test_zip_bomb_refused_by_total_size(tmp_path: Path) -> None:
    bomb = write(tmp_path / "bomb.zip", zipped({"a.csv": bytes(4000), "b.csv": bytes(4000)}))
    work = work_dir(tmp_path)
    [item] = collect([bomb], work, max_bytes=6000)
    assert item.error is not None and item.error.code == "too-large"
    assert "decompression bomb" in item.error.message
    assert not files_under(work)


def test_zip_bomb_refused_by_compression_ratio(tmp_path: Path) -> None:
    # 11 MiB of zeros packs into ~11 KiB: over 100:1 and over 10 MiB, under the default cap
    bomb = write(tmp_path / "bomb.zip", zipped({"zeros.csv": bytes(11 * 1024 * 1024)}))
    assert bomb.stat().st_size < 100_000
    work = work_dir(tmp_path)
    [item] = collect([bomb], work)
    assert item.error is not None and item.error.code == "too-large"
    assert not files_under(work)


def test_zip_members_with_unsafe_names_all_get_a_disposition(tmp_path: Path) -> None:
    """A member named to unzip outside the zip's folder (zip-slip) is checked all the same,
    under a safe name, and says so; a link is an error (`unsafe-name`). None is dropped without
    a word, and nothing is written outside the private work folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("../escape.xlsx", "sub/../../escape2.xlsx", "/abs.xlsx", "C:/win.xlsx",
                     "..\\back.xlsx", "dir.xlsx/"):
            archive.writestr(name, xlsx(name))
        link = zipfile.ZipInfo("link.xlsx")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("__MACOSX/._fine.xlsx", b"resource fork")
        archive.writestr("ok/fine.xlsx", xlsx("fine"))
    archive_path = write(tmp_path / "deep" / "er" / "slip.zip", buffer.getvalue())
    before = files_under(tmp_path)
    work = work_dir(tmp_path)

    items = collect([archive_path], work)

    found = {item.label.split(LABEL_SEP)[1]: item for item in items}
    assert sorted(found) == sorted(["../escape.xlsx", "sub/../../escape2.xlsx", "/abs.xlsx",
                                    "C:/win.xlsx", "..\\back.xlsx", "link.xlsx",
                                    "ok/fine.xlsx"])
    assert found["link.xlsx"].error is not None
    assert found["link.xlsx"].error.code == "unsafe-name"
    assert "link" in found["link.xlsx"].error.message
    for name, item in found.items():
        if name == "link.xlsx":
            continue
        assert item.error is None and item.kind == "workbook", name
        assert item.out_subdir == "slip"
        assert item.path.parent.parent == work  # extracted under a safe name, in the work folder
        if name == "ok/fine.xlsx":
            assert item.warnings == []
        else:
            assert item.warnings == [f"Its name in the zip ({name}) is a path leading out of "
                                     "its folder; it was checked under a safe name."]
    assert sorted(p.name for p in files_under(work)) == [
        "abs.xlsx", "back.xlsx", "escape.xlsx", "escape2.xlsx", "fine.xlsx", "win.xlsx"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in files_under(work)} == {0o600}
    assert files_under(tmp_path, excluding=work) == before


def test_attachments_with_unsafe_names_are_checked_under_safe_names(tmp_path: Path) -> None:
    mail = write(tmp_path / "in" / "m.eml", eml("March", [
        ("../../../march.xlsx", xlsx("march")), ("C:\\Users\\x\\april.xlsx", xlsx("april"))]))
    work = work_dir(tmp_path)
    items = collect([mail], work)
    assert [(i.label.split(LABEL_SEP)[1], i.kind, i.path.name) for i in items] == [
        ("../../../march.xlsx", "workbook", "march.xlsx"),
        ("C:\\Users\\x\\april.xlsx", "workbook", "april.xlsx")]
    assert all(i.path.parent.parent == work for i in items)
    assert items[0].warnings == ["Its name in the e-mail (../../../march.xlsx) is a path "
                                 "leading out of its folder; it was checked under a safe name."]


def test_nested_zip(tmp_path: Path) -> None:
    inner = zipped({"inner.xlsx": xlsx("inner"), "deeper.zip": zipped({"x.xlsx": xlsx("x")})})
    outer = zipped({"top.csv": csv("top"), "inner.zip": inner})
    plain = write(tmp_path / "in" / "Outer Archive.zip", outer)
    mail = write(tmp_path / "in" / "m.eml", eml("Nested", [("outer.zip", outer)]))
    items = collect([plain, mail], work_dir(tmp_path))
    s = LABEL_SEP
    labels = [(item.label, item.error.code if item.error else item.kind) for item in items]
    assert labels == [
        # a plain zip, a zip in it (one level), a zip in that: refused
        (f"{plain}{s}inner.zip{s}deeper.zip", "unsupported-format"),
        (f"{plain}{s}inner.zip{s}inner.xlsx", "workbook"),
        (f"{plain}{s}top.csv", "csv"),
        # from the e-mail: top.csv is the same content (a source above); one level deeper
        (f"{mail}{s}outer.zip{s}inner.zip", "unsupported-format"),  # e-mail > zip > zip
    ]
    assert "nested archive" in items[0].error.message  # type: ignore[union-attr]
    assert items[1].out_subdir == "Outer Archive"
    assert items[1].sources == [items[1].label]  # the e-mail's copy is one level deeper
    assert items[2].sources == [items[2].label, f"{mail}{s}outer.zip{s}top.csv"]
    assert items[3].out_subdir == "2026-03-02 Nested"


def test_messages_and_zips_with_nothing_to_check_say_so(tmp_path: Path) -> None:
    """Every input gets a disposition: a message without a spreadsheet (the workbook left off)
    is one item with an error, and its other attachments are named by their kind only."""
    inbox = tmp_path / "in"
    bare = EmailMessage()
    bare["From"], bare["Subject"] = "desk@practice.example", "Thanks!"
    bare.set_content("No attachment here.")
    write(inbox / "1 bare.eml", bare.as_bytes())
    write(inbox / "2 eob.eml", eml("EOB", [("Smith John EOB.pdf", b"%PDF-1.4")]))
    write(inbox / "3 zipped.eml", eml("Scans", [("scans.zip", zipped({"a.pdf": b"%PDF"}))]))
    write(inbox / "4 docs.zip", zipped({"a.pdf": b"%PDF", "b.do\x1b[31mcx": b"PK",
                                        "c.pdf": b"%"}))
    write(inbox / "5 empty.zip", zipped({}))
    forwarded = EmailMessage()
    forwarded["From"], forwarded["Subject"] = "desk@practice.example", "Fwd: EOB"
    forwarded.set_content("see below")
    forwarded.add_attachment(_message_with([("eob.pdf", b"%PDF")]), filename="EOB.eml")
    write(inbox / "6 fwd.eml", forwarded.as_bytes())

    items = collect([inbox], work_dir(tmp_path))

    s = LABEL_SEP
    got = [(i.label.removeprefix(f"{inbox}/"), i.error.code if i.error else i.kind,
            i.error.message if i.error else "") for i in items]
    left_off = ": nothing to check (was the billing workbook left off?)"
    assert got == [
        ("1 bare.eml", "no-spreadsheet", "the e-mail has no attachments" + left_off),
        ("2 eob.eml", "no-spreadsheet",
         "the e-mail has no spreadsheet attachment, only one attachment (.pdf)" + left_off),
        (f"3 zipped.eml{s}scans.zip", "no-spreadsheet",
         "the zip file holds no spreadsheet, only one file (.pdf): nothing to check"),
        ("4 docs.zip", "no-spreadsheet",  # an extension is untrusted: shown printable
         "the zip file holds no spreadsheet, only 3 other files (.do[31mcx, .pdf): nothing to "
         "check"),
        ("5 empty.zip", "no-spreadsheet", "the zip file holds no files: nothing to check"),
        (f"6 fwd.eml{s}EOB.eml", "no-spreadsheet",
         "the e-mail has no spreadsheet attachment, only one attachment (.pdf)" + left_off),
    ]
    assert not any("Smith" in message for *_, message in got)  # a name may name a patient
    assert all(item.out_subdir == "" and item.sha256 is None for item in items[:2])
    assert items[1].email is not None and items[1].email.subject == "EOB"
    assert items[3].email is None  # a zip on disk came with no message


def _message_with(attachments: list[tuple[str, bytes]]) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["Subject"] = "payer@insurer.example", "EOB"
    message.set_content("attached")
    for name, data in attachments:
        maintype, subtype = _mime(name).split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def test_msg_with_nothing_to_check(tmp_path: Path,
                                   fake_extract_msg: dict[bytes, FakeMessage]) -> None:
    fake_extract_msg[b"MSG-PDF"] = FakeMessage("EOB", [FakeAttachment("eob.pdf", b"%PDF"),
                                                       FakeAttachment("logo.png", b"\x89PNG")])
    msg = write(tmp_path / "eob.msg", b"MSG-PDF")
    [item] = collect([msg], work_dir(tmp_path))
    assert item.label == str(msg) and item.error is not None
    assert (item.error.code, item.error.message) == (
        "no-spreadsheet", "the e-mail has no spreadsheet attachment, only 2 other attachments "
                          "(.pdf, .png): nothing to check (was the billing workbook left off?)")


def test_broken_containers_are_corrupt(tmp_path: Path) -> None:
    whole = zipped({"a.xlsx": xlsx("a")})
    cut = write(tmp_path / "in" / "cut.zip", whole[: len(whole) // 2])
    junk = write(tmp_path / "in" / "junk.eml", os.urandom(2000).replace(b":", b"."))
    mail = write(tmp_path / "in" / "mail.eml", eml("Broken zip", [("b.zip", b"PK\x03\x04xx")]))
    items = collect([tmp_path / "in"], work_dir(tmp_path))
    assert [(item.label, item.error.code if item.error else None) for item in items] == [
        (str(cut), "corrupt"),
        (str(junk), "corrupt"),
        (f"{mail}{LABEL_SEP}b.zip", "corrupt"),
    ]
    assert items[2].email is not None and items[2].email.subject == "Broken zip"
    assert items[2].out_subdir == "2026-03-02 Broken zip"


def test_corrupt_zip_member(tmp_path: Path) -> None:
    good = xlsx("member")
    data = bytearray(zipped({"a.xlsx": good, "b.csv": csv("b") * 50}))
    data[data.find(b"b.csv") + 40] ^= 0xFF  # damage the deflated data of b.csv
    archive = write(tmp_path / "damaged.zip", bytes(data))
    items = collect([archive], work_dir(tmp_path))
    assert [(i.label.rsplit(LABEL_SEP, 1)[1], i.error.code if i.error else None)
            for i in items] == [("a.xlsx", None), ("b.csv", "corrupt")]


# --- folders, sizes, names ---------------------------------------------------------------------


def test_folders_ignore_other_files_but_named_files_get_a_disposition(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    pdf = write(folder / "scan.pdf", b"%PDF-1.4")
    write(folder / "sub" / "b.xlsx", xlsx("b"))
    write(folder / "a.csv", csv("a"))
    write(folder / "a.tsv", csv("t").replace(b",", b"\t"))
    old = write(folder / "old.xls", xls())
    ods = write(folder / "z.ods", zipped({"mimetype": b"application/vnd.oasis.opendocument."
                                                      b"spreadsheet", "content.xml": b"<x/>"}))
    (folder / "Budget.numbers").mkdir()
    write(folder / "Budget.numbers" / "Index" / "Document.iwa", b"x")
    items = collect([folder, pdf, tmp_path / "missing.xlsx"], work_dir(tmp_path))
    assert [(i.label, i.error.code if i.error else i.kind) for i in items] == [
        (str(folder / "Budget.numbers"), "unsupported-format"),
        (str(folder / "a.csv"), "csv"),
        (str(folder / "a.tsv"), "csv"),
        (str(old), "unsupported-format"),
        (str(folder / "sub" / "b.xlsx"), "workbook"),
        (str(ods), "workbook"),  # an OpenDocument file: read (this one is damaged)
        (str(pdf), "unsupported-format"),
        (str(tmp_path / "missing.xlsx"), "not-found"),
    ]
    assert all(i.out_subdir == "" and i.email is None for i in items)
    assert items[1].path == folder / "a.csv"  # plain files are checked where they are


def test_excluded_folder_is_not_searched(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.xlsx", xlsx("a"))
    write(tmp_path / "in" / "out" / "2026-03-02 March" / "March.xlsx", xlsx("copy"))
    items = collect([tmp_path / "in"], work_dir(tmp_path), exclude=[tmp_path / "in" / "out"])
    assert [i.label for i in items] == [str(tmp_path / "in" / "a.xlsx")]


def test_sizes(tmp_path: Path) -> None:
    big = write(tmp_path / "big.csv", csv("x") * 100)
    empty = write(tmp_path / "empty.xlsx", b"")
    mail = write(tmp_path / "m.eml", eml("Sizes", [("nothing.csv", b"")]))
    huge = write(tmp_path / "huge.eml", eml("Sizes", [("huge.xlsx", bytes(3000))]))
    items = collect([big, empty, mail, huge], work_dir(tmp_path), max_bytes=2500)
    assert [(i.label, i.error.code if i.error else None, i.sha256) for i in items] == [
        (str(big), "too-large", None),
        (str(empty), "empty", None),
        (f"{mail}{LABEL_SEP}nothing.csv", "empty", None),
        (str(huge), "too-large", None),  # an attachment is never larger than its message
    ]
    assert "over the 2,500 bytes limit" in items[0].error.message  # type: ignore[union-attr]


def test_workbook_behind_another_name_is_found_by_content(tmp_path: Path) -> None:
    mail = write(tmp_path / "m.eml", eml("Renamed", [("report.xls", xlsx("r")),
                                                    ("data.csv", xlsx("d")),
                                                    ("really old.xlsx", xls())]))
    plain = write(tmp_path / "plain.xls", xlsx("p"))
    items = collect([mail, plain], work_dir(tmp_path))
    got = [(i.label.rsplit(LABEL_SEP, 1)[-1], i.kind, i.path.name) for i in items]
    assert got[0] == ("report.xls", "workbook", "report.xlsx")
    assert got[1] == ("data.csv", "workbook", "data.xlsx")
    assert got[2] == ("really old.xlsx", "workbook", "really old.xlsx")  # the checker says .xls
    assert got[3] == (str(plain), "workbook", "plain.xls")


def test_workbook_that_unpacks_too_large(tmp_path: Path) -> None:
    book = write(tmp_path / "big.xlsx", xlsx("z" * 5000))
    [item] = collect([book], work_dir(tmp_path), max_bytes=4000)
    assert item.error is not None and item.error.code == "too-large"


def test_attachment_without_a_useful_name_is_known_by_its_type(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "a@b.example", "No names"
    message.set_content("see attached")
    message.add_attachment(xlsx("noname"), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    message.add_attachment(b"x", maintype="application", subtype="pdf")
    mail = write(tmp_path / "m.eml", message.as_bytes())
    [item] = collect([mail], work_dir(tmp_path))
    assert item.label == f"{mail}{LABEL_SEP}attachment.xlsx" and item.kind == "workbook"
    assert item.out_subdir == "No names"


def test_forwarded_message_gets_its_own_folder(tmp_path: Path) -> None:
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "Dr A <a@practice.example>", "April billing"
    inner["Date"] = format_datetime(DAY + dt.timedelta(days=30))
    inner.set_content("attached")
    inner.add_attachment(xlsx("april"), maintype="application", subtype="octet-stream",
                         filename="April.xlsx")
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "desk@service.example", "Fwd: April billing"
    outer["Date"] = format_datetime(DAY)
    outer.set_content("forwarding")
    outer.add_attachment(inner)
    mail = write(tmp_path / "fwd.eml", outer.as_bytes())
    [item] = collect([mail], work_dir(tmp_path))
    assert item.label == f"{mail}{LABEL_SEP}April billing.eml{LABEL_SEP}April.xlsx"
    assert item.email is not None and item.email.sender == "Dr A <a@practice.example>"
    assert item.out_subdir == "2026-04-01 April billing"


def test_hostile_names_from_rfc2231(tmp_path: Path) -> None:
    raw = (b"From: a@b.example\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\n'
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; "
           b"filename*=utf-8''..%2F..%2Fbad%0D%0Aname%00%E2%80%AE.xlsx\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n"
           + __import__("base64").encodebytes(xlsx("h")) + b"\r\n--XX--\r\n")
    mail = write(tmp_path / "m.eml", raw)
    work = work_dir(tmp_path)
    [item] = collect([mail], work)
    assert item.path.name == "bad name.xlsx" and item.path.parent.parent == work
    assert item.label == f"{mail}{LABEL_SEP}../../bad name.xlsx"


@pytest.mark.parametrize(("text", "expected"), [
    ("../../etc/passwd", "etc passwd"),
    ("CON", "_CON"),
    ("lpt1.report", "_lpt1.report"),
    ("  ...  ", "fallback"),
    ("a\x00b\x07c\u202ed\x1fe", "abcd e"),  # U+001F is a separator: a space
    ("Re: a|b*c?", "Re a b c"),
    ("trailing dots...", "trailing dots"),
])
def test_safe_name(text: str, expected: str) -> None:
    assert safe_name(text, 60, "fallback") == expected


def test_safe_name_limits_length_and_bytes() -> None:
    assert len(safe_name("x" * 500, 60, "f")) == 60
    assert len(safe_name("€" * 100, 100, "f").encode()) <= 200
    assert printable("a\tb\n\nc" + "d" * 300, 20) == "a b c" + "d" * 14 + "…"


# --- Outlook .msg ----------------------------------------------------------------------------


class FakeAttachment:
    def __init__(self, long: str | None, data: object, short: str | None = None) -> None:
        self.longFilename, self.shortFilename, self.data = long, short, data


class FakeMessage:
    def __init__(self, subject: str, attachments: list[FakeAttachment],
                 date: dt.datetime | None = DAY) -> None:
        self.sender = "Front Desk <desk@practice.example>"
        self.subject, self.date, self.attachments = subject, date, attachments
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_extract_msg(monkeypatch: pytest.MonkeyPatch) -> dict[bytes, FakeMessage]:
    """A stand-in `extract_msg`: openMsg(path) returns the message registered for the file's
    bytes, and fails like the real one for anything else."""
    registry: dict[bytes, FakeMessage] = {}
    module = types.ModuleType("extract_msg")

    def open_msg(source: str | io.BytesIO, **_: object) -> FakeMessage:
        data = source.read() if isinstance(source, io.BytesIO) else Path(source).read_bytes()
        if data not in registry:
            raise ValueError("not an OLE2 structured storage file")
        return registry[data]

    module.openMsg = open_msg  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "extract_msg", module)
    return registry


def test_msg_attachments(tmp_path: Path, fake_extract_msg: dict[bytes, FakeMessage]) -> None:
    forwarded = FakeMessage("Inner", [FakeAttachment("inner.csv", csv("inner"))], date=None)
    message = FakeMessage("March: billing", [
        FakeAttachment(None, xlsx("m"), short="MARCH~1.XLS"),  # the short name's .xls
        FakeAttachment("../evil.xlsx", xlsx("evil")),
        FakeAttachment("image001.png", b"\x89PNG"),
        FakeAttachment("b.zip", zipped({"z.csv": csv("z")})),
        FakeAttachment(None, forwarded),  # an attached message
    ])
    fake_extract_msg[b"MSG-1"] = message
    good = write(tmp_path / "in" / "a.msg", b"MSG-1")
    bad = write(tmp_path / "in" / "b.msg", b"not a message")
    work = work_dir(tmp_path)

    items = collect([tmp_path / "in"], work)

    s = LABEL_SEP
    assert [(i.label, i.error.code if i.error else i.kind) for i in items] == [
        (f"{good}{s}MARCH~1.XLS", "workbook"),  # an xlsx behind an .xls name
        (f"{good}{s}../evil.xlsx", "workbook"),
        (f"{good}{s}b.zip{s}z.csv", "csv"),
        (f"{good}{s}Inner.msg{s}inner.csv", "csv"),
        (str(bad), "corrupt"),
    ]
    assert message.closed
    first = items[0]
    assert first.email is not None and first.email.subject == "March: billing"
    assert first.email.date == "2026-03-02T09:15:00-05:00"
    assert first.out_subdir == "2026-03-02 March billing"
    assert items[1].path.name == "evil.xlsx" and items[1].path.parent.parent == work
    assert items[3].out_subdir == "Inner" and items[3].email.subject == "Inner"  # type: ignore
    assert "Outlook" in items[4].error.message  # type: ignore[union-attr]


def test_msg_without_extract_msg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "extract_msg", None)  # import fails
    msg = write(tmp_path / "a.msg", b"x")
    [item] = collect([msg], work_dir(tmp_path))
    assert item.error is not None and "extract-msg" in item.error.message


def build_msg(subject: str, attachments: list[tuple[str, object]], *,
              sent: dt.datetime | None = DAY, message_class: str = "IPM.Note") -> bytes:
    """A real Outlook message (MS-OXMSG) written with extract-msg's own OLE writer: a subject,
    a sender, a send date, attachments by value, links to files kept online (name, "https://...")
    and attached messages (name, (subject, [...]))."""
    extract_msg = pytest.importorskip("extract_msg")
    import struct

    def utf16(text: str) -> bytes:
        return text.encode("utf-16-le")

    def fixed(tag: int, value: bytes) -> bytes:
        return struct.pack("<II", tag, 6) + value

    def variable(tag: int, size: int) -> bytes:
        return struct.pack("<IIII", tag, 6, size, 0)

    def message(prefix: str, subject: str, attachments: list[tuple[str, object]],
                sent: dt.datetime | None, top: bool) -> None:
        count = len(attachments)
        props = bytes(8) + struct.pack("<IIII", 0, count, 0, count) + (bytes(8) if top else b"")
        props += fixed(0x0E070003, struct.pack("<II", 1, 0))  # flags: read, sent
        if sent is not None:
            ticks = (sent - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
            props += fixed(0x00390040, struct.pack("<Q", ticks * 10))
        for tag, text in ((0x0037001F, subject), (0x001A001F, message_class if top else "IPM.Note"),
                          (0x0C1A001F, "Front Desk"), (0x5D01001F, "desk@practice.example")):
            props += variable(tag, len(utf16(text)) + 2)
            writer.addEntry(f"{prefix}__substg1.0_{tag:08X}", utf16(text))
        writer.addEntry(prefix + "__properties_version1.0", props)
        for index, (name, data) in enumerate(attachments):
            folder = f"{prefix}__attach_version1.0_#{index:08X}"
            writer.addEntry(folder, storage=True)
            writer.addEntry(folder + "/__substg1.0_3707001F", utf16(name))
            naming = variable(0x3707001F, len(utf16(name)) + 2)
            if isinstance(data, str):  # a link to a file kept online (attach method 7)
                writer.addEntry(folder + "/__substg1.0_370D001F", utf16(data))
                writer.addEntry(folder + "/__properties_version1.0", bytes(8) + fixed(
                    0x37050003, struct.pack("<II", 7, 0)) + variable(
                    0x370D001F, len(utf16(data)) + 2) + naming)
            elif isinstance(data, bytes):
                writer.addEntry(folder + "/__substg1.0_37010102", data)
                writer.addEntry(folder + "/__properties_version1.0", bytes(8) + fixed(
                    0x37050003, struct.pack("<II", 1, 0)) + variable(0x37010102, len(data))
                    + naming)
            else:
                inner_subject, inner_attachments = data  # type: ignore[misc]
                writer.addEntry(folder + "/__substg1.0_3701000D", storage=True)
                writer.addEntry(folder + "/__properties_version1.0", bytes(8) + fixed(
                    0x37050003, struct.pack("<II", 5, 0)) + variable(0x3701000D, 0xFFFFFFFF)
                    + naming)
                message(folder + "/__substg1.0_3701000D/", inner_subject, inner_attachments,
                        None, top=False)

    writer = extract_msg.OleWriter()
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    message("", subject, attachments, sent, top=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_real_msg_files(tmp_path: Path) -> None:
    msg = build_msg("March: billing", [
        ("../March.xlsx", xlsx("march")),
        ("image001.png", b"\x89PNG"),
        ("", ("Forwarded", [("inner.csv", csv("inner"))])),
    ])
    folder = tmp_path / "in"
    good = write(folder / "a.msg", msg)
    bad = write(folder / "b.msg", OLE_MAGIC + bytes(3000))
    tiny = write(folder / "c.msg", b"/etc/passwd")  # never read as a file name
    archived = write(folder / "d.zip", zipped({"again.msg": build_msg("Again", [
        ("April.xlsx", xlsx("april"))])}))
    work = work_dir(tmp_path)

    items = collect([folder], work)

    s = LABEL_SEP
    assert [(i.label, i.error.code if i.error else i.kind) for i in items] == [
        (f"{good}{s}../March.xlsx", "workbook"),
        (f"{good}{s}Forwarded.msg{s}inner.csv", "csv"),
        (str(bad), "corrupt"),
        (str(tiny), "corrupt"),
        (f"{archived}{s}again.msg{s}April.xlsx", "workbook"),
    ]
    march = items[0]
    assert march.email == EmailInfo("Front Desk <desk@practice.example>", "March: billing",
                                    "2026-03-02T14:15:00+00:00")
    assert march.out_subdir == "2026-03-02 March billing"
    assert march.path.name == "March.xlsx" and march.path.read_bytes() == xlsx("march")
    assert march.path.parent.parent == work
    assert items[1].out_subdir == "Forwarded" and items[1].email is not None
    assert items[4].out_subdir == "2026-03-02 Again"


def test_real_msg_file_if_the_corpus_has_one(tmp_path: Path) -> None:
    pytest.importorskip("extract_msg")
    found = sorted(CORPUS.rglob("*.msg")) if CORPUS.is_dir() else []
    if not found:
        pytest.skip("no .msg file in the shared corpus")
    items = collect(found[:5], work_dir(tmp_path))
    for item in items:
        assert item.error is None or item.error.code in {"corrupt", "unsupported-format",
                                                          "too-large", "empty"}
        assert is_printable(item.label)
