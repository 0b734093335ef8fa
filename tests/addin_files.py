"""Reading an add-in file's parts in the tests: the zip's entries, the settings sheet."""

from __future__ import annotations

import io
import zipfile

import openpyxl


def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def settings_rows(xlam: bytes) -> tuple[list[str], list[tuple]]:
    """Sheet names and the settings rows. openpyxl refuses an add-in's content type, so the
    package is handed over labelled as a macro-enabled workbook; nothing else changes."""
    parts = zip_parts(xlam)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"ms-excel.addin.macroEnabled.main", b"ms-excel.sheet.macroEnabled.main")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    book = openpyxl.load_workbook(buffer)
    return book.sheetnames, list(book.worksheets[0].iter_rows(values_only=True))
