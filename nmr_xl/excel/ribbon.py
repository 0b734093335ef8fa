"""What the add-in's ribbon buttons run (RunPython):

    import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon.check_sheet()
    import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon.clear_sheet()
    import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon.values_only_copy()
    import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon.show_settings()

Check and Clear act on the active sheet of the workbook the button was pressed in, Values only
on that workbook; each ends with one message box: what was done, or why nothing was (never a
Python traceback). The rules are the bundled ones with the practice's files from the add-in's
settings laid over (nmr_xl.excel.settings), and the check is as of today. Each click runs in a
new Python process (RunPython without the UDF server), so nothing is cached between clicks.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import xlwings as xw

from nmr_xl.errors import ConfigError, InputError
from nmr_xl.excel import settings, values_only
from nmr_xl.excel.in_place import check_in_place, clear

TITLE = "nmr-xl"
_log = logging.getLogger(__name__)


def check_sheet() -> None:
    """The Check button: check the active sheet and mark it in place."""
    _run(lambda book: check_in_place(book, book.sheets.active, settings.excel_config(),
                                        dt.date.today()))


def clear_sheet() -> None:
    """The Clear button: take the marks off the active sheet."""
    _run(lambda book: clear(book, book.sheets.active))


def values_only_copy() -> None:
    """The Values only copy button: a copy of the workbook without nmr-xl formulas."""
    _run(values_only.values_only_copy)


def show_settings() -> None:
    """Settings > Show and test settings (and after a file is chosen): the files the checks use
    and whether they load."""
    _run(lambda _: settings_message())


def settings_message() -> str:
    path = settings.settings_file()
    files = settings.current_files(path)
    lines = "\n".join(files.describe())
    try:
        files.load()
    except ConfigError as exc:
        raise ConfigError(f"{lines}\n\nThis does not load: {exc}\n\nChoose the file again "
                          f"under nmr-xl > Reference files, or Bundled rules only. (Settings "
                          f"file: {path})") from None
    return (f"{lines}\n\nEverything loads: Check sheet and the worksheet functions use these. "
            f"(Settings file: {path})")


def _run(action: Callable[[xw.Book], str]) -> None:
    book = xw.Book.caller()
    try:
        message, mode = action(book), "info"
    except (InputError, ConfigError) as exc:
        message, mode = str(exc), "critical"
    except Exception as exc:  # Excel refused a change (a protected sheet, say), or a bug
        # Logged by type and place only: a message could quote a cell, and cells hold patient
        # data. The check rolls back its marks; Clear takes off any the rollback could not.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        _log.error("%s at %s:%s", type(exc).__name__, Path(frame.filename).name, frame.lineno)
        message = (f"nmr-xl could not finish ({type(exc).__name__}). Your data is unchanged; "
                   "if any marks are left on the sheet, Clear takes them off.")
        mode = "critical"
    book.app.alert(message, title=TITLE, mode=mode)
