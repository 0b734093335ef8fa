"""Cell helpers shared by the copy writer and the summary sheet."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet


def set_text(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Write text that stays text: "=..." or "+..." from a sheet must never become a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = text
    cell.data_type = "s"
