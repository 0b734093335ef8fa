"""Zip files: their spreadsheet members in name order, and one level of zips and e-mails in
them. A zip is refused when it would unpack to more than the limit or holds a member
compressed more than BOMB_RATIO:1; a member that is a link or a device is an error; one whose
name points out of its folder is checked under a safe name. A zip file on disk gets a folder of
its own under --out; a zip that came with a message shares the message's."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import IO, BinaryIO

from nmr_xl.atomic import create_private
from nmr_xl.errors import InputError
from nmr_xl.inbox.driver import CHUNK, MAX_MEMBERS, Collector, Group, Where
from nmr_xl.inbox.formats import (
    CONTAINER_EXTS,
    INPUT_EXTS,
    corrupt_member,
    corrupt_zip,
    empty,
    input_ext,
    no_spreadsheet_member,
    too_large,
)
from nmr_xl.inbox.names import MAX_SUBDIR_CHARS, safe_name, skipped_in_folder
from nmr_xl.read.package import unpack_guard

BOMB_RATIO = 100  # a zip member compressed more than this (and over 10 MB unpacked) is refused


def read_zip(collector: Collector, source: Path | bytes, name: str, where: Where) -> None:
    here = where
    if where.group is collector.plain:  # a zip file on disk: a folder of its own
        stem = name.replace("\\", "/").rsplit("/", 1)[-1]
        stem = stem[:-4] if stem.lower().endswith(".zip") else stem
        here = where.grouped(Group(safe_name(stem, MAX_SUBDIR_CHARS, "archive"), None))
    try:
        handle: BinaryIO | Path = io.BytesIO(source) if isinstance(source, bytes) else source
        with zipfile.ZipFile(handle) as archive:
            _members(collector, archive, source, name, here)
    except (zipfile.BadZipFile, EOFError, ValueError, zlib.error):
        collector.fail(where, corrupt_zip())


def _members(collector: Collector, archive: zipfile.ZipFile, source: Path | bytes, name: str,
             where: Where) -> None:
    infos = archive.infolist()
    lowered = {info.filename.lower().replace("\\", "/") for info in infos}
    if "[content_types].xml" in lowered and ("xl/workbook.xml" in lowered
                                             or "xl/workbook.bin" in lowered):
        # a workbook someone renamed to .zip
        if isinstance(source, Path):
            collector.file_on_disk(source, ".zip", where)
        else:
            collector.leaf_bytes(source, name, ".zip", where)
        return
    members = []
    others: list[str] = []
    for info in sorted(infos, key=lambda i: i.filename):
        member = info.filename.replace("\\", "/")
        if info.is_dir() or member.endswith("/"):
            continue
        parts = [p for p in member.split("/") if p not in ("", ".", "..")]
        if not parts or any(skipped_in_folder(p) for p in parts):
            continue
        ext = input_ext(member)
        if ext in INPUT_EXTS:
            members.append((info, ext))
        else:
            others.append(ext)
    if not members:
        collector.fail(where, no_spreadsheet_member(others))
        return
    if len(members) > MAX_MEMBERS:
        collector.fail(where, InputError("too-large", f"the zip file holds {len(members):,} "
                                                      "spreadsheets; unzip it and check them "
                                                      "in smaller batches"))
        return
    guard = unpack_guard([info for info, _ in members], what="zip file",
                         max_bytes=collector.max_bytes, ratio=BOMB_RATIO,
                         advice="; unzip it yourself and check the files directly")
    if guard is not None:
        collector.fail(where, guard)
        return
    for info, ext in members:
        child = where.named(info.filename, "zip")
        if not _regular_member(info):
            collector.fail(child, InputError("unsafe-name", "this entry in the zip is a link "
                                                            "(or device), not a file; nmr-xl "
                                                            "does not follow links in zip "
                                                            "files; unzip it and check the "
                                                            "file it points to"))
        elif info.flag_bits & 0x1:
            collector.fail(child, InputError("encrypted", "this file in the zip is "
                                                          "password-protected; unzip it with "
                                                          "the password and check the file"))
        elif info.file_size == 0:
            collector.fail(child, empty())
        elif ext in CONTAINER_EXTS:
            data = _read_member(collector, archive, info, child)
            if data is not None:
                collector.child(data, info.filename, ext, child)
        else:
            _extract_member(collector, archive, info, ext, child)


def _open_member(collector: Collector, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                 where: Where) -> IO[bytes] | None:
    try:
        return archive.open(info)
    except NotImplementedError:
        collector.fail(where, InputError("unsupported-format", "this file in the zip uses a "
                                         "compression method nmr-xl cannot read; unzip it and "
                                         "check the file directly"))
    except RuntimeError:  # zipfile's "encrypted, password required"
        collector.fail(where, InputError("encrypted", "this file in the zip is "
                                                      "password-protected"))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error):
        collector.fail(where, corrupt_member())
    return None


def _read_member(collector: Collector, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                 where: Where) -> bytes | None:
    """A container member (a zip or a message) into memory, within the limit."""
    stream = _open_member(collector, archive, info, where)
    if stream is None:
        return None
    limit = min(info.file_size, collector.max_bytes)
    try:
        with stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error):
        collector.fail(where, corrupt_member())
        return None
    if len(data) > limit:
        collector.fail(where, too_large(len(data), collector.max_bytes))
        return None
    return data


def _extract_member(collector: Collector, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                    ext: str, where: Where) -> None:
    """A spreadsheet member streamed into the work folder, within the limit whatever the zip's
    directory says."""
    stream = _open_member(collector, archive, info, where)
    if stream is None:
        return
    limit = min(info.file_size, collector.max_bytes)
    path = collector.destination(where.group, info.filename, ext)
    digest = hashlib.sha256()
    written = 0
    error: InputError | None = None
    try:
        with stream, os.fdopen(create_private(path), "wb") as out:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if written > limit:  # more than the zip said: never trust the directory
                    error = too_large(written, collector.max_bytes)
                    break
                digest.update(chunk)
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError, zlib.error):
        error = corrupt_member()
    except OSError as exc:
        error = InputError("unreadable", f"cannot be extracted ({exc.strerror})")
    if error is not None:
        collector.release(where.group, path)
        collector.fail(where, error)
        return
    sha = digest.hexdigest()
    if collector.seen(sha, where):
        collector.release(where.group, path)
        return
    collector.extracted(path, ext, sha, where)


def _regular_member(info: zipfile.ZipInfo) -> bool:
    """False for a symlink, device or other special file (by the file type in its Unix mode;
    many zip writers leave the type out, which means a plain file)."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind in (0, stat.S_IFREG)
