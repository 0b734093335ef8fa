"""nmr-xl's own add-in settings: the settings file, and the practice's reference files named in it.

The add-in's VBA is xlwings' with its project name set to "nmr-xl", so xlwings' GetConfig looks
for a sheet `nmr-xl.conf` (in the active workbook, then in the add-in), a file `nmr-xl.conf`
beside the active workbook, and the user's settings file below: no other add-in built from
xlwings' template reads or writes these. The ribbon's Settings menu writes the practice's
reference files into the user's settings file (xlwings' SaveConfigToFile: one `"KEY","VALUE"`
line each), and the Python side reads them from that file only: a worksheet function cannot ask
Excel for a sheet while Excel is calculating, so the file is the one place both the buttons and
the functions can read.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.errors import ConfigError

PROJECT_NAME = "nmr-xl"  # the add-in's VBA PROJECT_NAME: names its settings sheet and files
SETTINGS_SHEET = f"{PROJECT_NAME}.conf"
RULES_KEY = "RULES FILE"
# Several paths each, separated by ";", as the command line's --mue and --ncci take several
# files: MUE files of several quarters, and CMS splits the PTP edits over four files. The MUE
# key keeps its name from when it held one path: a settings file written then reads the same.
MUE_KEY = "MUE FILE"
NCCI_KEY = "NCCI FILES"
PATH_SEPARATOR = ";"
RECHECK_SECONDS = 2.0  # how often the worksheet functions look for changed settings
_LINE = re.compile(r'"([^"]*)"\s*,\s*"([^"]*)"')


def settings_file(platform: str = sys.platform, home: Path | None = None) -> Path:
    """Where xlwings' VBA keeps the add-in's user settings (GetConfigFilePath): on Windows
    %USERPROFILE%\\.nmr-xl\\nmr-xl.conf; on a Mac Excel's sandbox folder, which Python, outside
    the sandbox, finds under ~/Library/Containers."""
    if platform == "win32":
        base = home or Path(os.environ.get("USERPROFILE") or Path.home())
        return base / f".{PROJECT_NAME}" / SETTINGS_SHEET
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / SETTINGS_SHEET
    return home / f".{PROJECT_NAME}" / SETTINGS_SHEET  # no Excel here; kept for the tests


def read_settings(path: Path) -> dict[str, str]:
    """The settings file's keys (upper case, as xlwings compares them) and values, with
    %VARIABLES% expanded as xlwings' VBA expands them. A missing file has no settings."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the nmr-xl settings file ({exc.strerror})") \
            from None
    # VBA writes the file in the system's ANSI code page on Windows
    text = raw.decode("mbcs" if sys.platform == "win32" else "utf-8", errors="replace")
    settings: dict[str, str] = {}
    for line in text.splitlines():
        found = _LINE.match(line.strip())
        if found:
            settings[found.group(1).strip().upper()] = os.path.expandvars(found.group(2).strip())
    return settings


@dataclass(frozen=True)
class ReferenceFiles:
    """The practice's own files the add-in checks with; none: the bundled rules only."""

    rules: Path | None = None
    mue: tuple[Path, ...] = ()
    ncci: tuple[Path, ...] = ()

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> ReferenceFiles:
        def paths(key: str) -> tuple[Path, ...]:
            return tuple(Path(part.strip()) for part in settings.get(key, "").split(
                PATH_SEPARATOR) if part.strip())

        rules = settings.get(RULES_KEY, "")
        return cls(Path(rules) if rules else None, paths(MUE_KEY), paths(NCCI_KEY))

    def load(self) -> Config:
        """The rules with these files laid over the bundled ones (ConfigError names a file that
        is missing or wrong)."""
        for path in (self.rules, *self.mue, *self.ncci):
            if path is not None and not path.is_file():
                raise ConfigError(f"{path}: file not found (chosen under nmr-xl > Settings)")
        return load_config(self.rules, mue_file=self.mue or None, ncci_file=self.ncci or None)

    def describe(self) -> list[str]:
        """One line per setting, for the ribbon's settings message and `addin doctor`."""
        mue, ncci = ("; ".join(str(p) for p in paths) for paths in (self.mue, self.ncci))
        return [f"Practice rules file: {self.rules or 'none (the bundled rules.toml)'}",
                f"CMS MUE files: {mue or 'none (the MUE values in the rules)'}",
                f"CMS NCCI files: {ncci or 'none (the NCCI pairs in the rules)'}"]


def current_files(path: Path | None = None) -> ReferenceFiles:
    return ReferenceFiles.from_settings(read_settings(path or settings_file()))


def excel_config() -> Config:
    """The rules for a ribbon click: the bundled ones with the practice's files laid over."""
    return current_files().load()


class ConfigCache:
    """The rules for the worksheet functions: loaded once, and again when the settings file or a
    file it names has changed. Looked for at most every RECHECK_SECONDS, since a sheet of
    formulas asks once per cell."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._checked_at: float | None = None
        self._stamp: tuple[object, ...] | None = None
        self._config: Config | None = None
        self._error: ConfigError | None = None

    def get(self) -> Config:
        now = self._clock()
        if self._checked_at is None or now - self._checked_at >= RECHECK_SECONDS:
            self._checked_at = now
            path = settings_file()
            files = current_files(path)
            stamp = tuple(_stamp(p) for p in (path, files.rules, *files.mue, *files.ncci))
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._config, self._error = files.load(), None
                except ConfigError as exc:
                    self._config, self._error = None, exc
        if self._error is not None:
            raise self._error
        assert self._config is not None
        return self._config


def _stamp(path: Path | None) -> object:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_mtime_ns, stat.st_size)
