"""`nmr-xl addin install`, `doctor` and `uninstall`: put the add-in into Excel, check the whole
chain it needs, and take it out again.

On Windows the add-in is copied to Excel's add-ins folder (%APPDATA%\\Microsoft\\AddIns) and put
on Excel's add-in list (nmr_xl.excel.excel_registry), so it shows, ticked, under File > Options
> Add-ins and opens with Excel. On a Mac xlwings copies it to Excel's startup folder and installs
the script that lets Excel start Python. The add-in's settings sheet gets the Python that runs
nmr-xl: its interpreter, or for a conda environment the settings that activate it.

Every step is a Check: what was found, and when something stands in the way, exactly what to
do. Everything read or changed comes through a Machine, so the checks run in the tests against
fake Python installations and a fake registry.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import locale
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from urllib.parse import unquote, urlparse

from nmr_xl.errors import ConfigError
from nmr_xl.excel.addin import (
    ADDIN_NAME,
    SETTINGS,
    XLWINGS_VERSION,
    AddinError,
    Setting,
    require_xlwings,
    shipped_addin,
    with_settings,
)
from nmr_xl.excel.excel_registry import AddinList, Registry, WindowsRegistry
from nmr_xl.excel.python_layout import DLL_NAMES, Conda, PythonLayout, ansi_problem
from nmr_xl.excel.settings import current_files, settings_file

VENV_NAME = "nmr-xl"


@dataclass(frozen=True)
class Check:
    """One link of the chain: what was found, and what to do when it stands in the way."""

    topic: str
    state: str  # "ok", "fixed" (install changed it), "problem" or "note"
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        mark = {"ok": "ok", "fixed": "fixed", "problem": "PROBLEM", "note": "note"}[self.state]
        return [f"[{mark}] {self.topic}: {self.detail}",
                *(f"        {line}" for line in self.fix.splitlines() if self.fix)]


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, check: Check | None) -> None:
        if check is not None:
            self.checks.append(check)

    @property
    def problems(self) -> int:
        return sum(check.state == "problem" for check in self.checks)

    def text(self, summary: str) -> str:
        return "\n".join([line for check in self.checks for line in check.lines()] + [summary])


@dataclass
class Machine:
    """What install, doctor and uninstall read and change."""

    platform: str
    layout: PythonLayout
    settings_path: Path
    source: str  # where nmr-xl was installed from, for the commands a fix prints
    appdata: Path | None = None  # Windows: %APPDATA%, %LOCALAPPDATA%
    local_appdata: Path | None = None
    codepage: str = "cp1252"  # Windows' ANSI code page
    registry: Registry | None = None
    excel_running: Callable[[], bool] = lambda: False
    mac_addin_dir: Callable[[], Path] | None = None  # asks Excel (xlwings)

    @classmethod
    def current(cls) -> Machine:
        if sys.platform not in ("win32", "darwin"):
            system = "Linux" if sys.platform.startswith("linux") else sys.platform
            raise AddinError(f"Excel is not available on {system}; run this on the Windows or "
                             "Mac computer where Excel is installed")
        require_xlwings()
        machine = cls(sys.platform, PythonLayout.current(), settings_file(), install_source(),
                      excel_running=_excel_running)
        if sys.platform == "win32":
            machine.appdata = Path(os.environ["APPDATA"])
            machine.local_appdata = Path(os.environ["LOCALAPPDATA"])
            machine.codepage = locale.getencoding()  # the ANSI code page, even in UTF-8 mode
            machine.registry = WindowsRegistry()
        else:
            from xlwings import cli as xlwings_cli

            machine.mac_addin_dir = lambda: Path(str(xlwings_cli.get_addin_dir()))
        return machine

    @property
    def addins_folder(self) -> Path:
        assert self.appdata is not None
        return self.appdata / "Microsoft" / "AddIns"

    @property
    def xlstart_copy(self) -> Path:
        """Where xlwings' own install (and nmr-xl's before) put the add-in."""
        assert self.appdata is not None
        return self.appdata / "Microsoft" / "Excel" / "XLSTART" / ADDIN_NAME

    def addin_path(self) -> Path:
        if self.platform == "win32":
            return self.addins_folder / ADDIN_NAME
        assert self.mac_addin_dir is not None
        return self.mac_addin_dir() / ADDIN_NAME

    def addin_list(self) -> AddinList:
        assert self.registry is not None
        return AddinList(self.registry)

    def windows_path(self, path: Path) -> PureWindowsPath:
        return PureWindowsPath(str(path))


def install_source() -> str:
    """The wheel file or folder nmr-xl was installed from, if pip recorded it."""
    try:
        raw = importlib.metadata.distribution("nmr-xl").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        raw = None
    return source_from_direct_url(raw)


def source_from_direct_url(raw: str | None) -> str:
    """pip's direct_url.json -> the local file or folder it names (file:///C:/x.whl ->
    C:/x.whl), or a placeholder for the README's wheel file."""
    try:
        url = urlparse(json.loads(raw)["url"]) if raw else None
    except (ValueError, KeyError, TypeError):
        url = None
    if url is None or url.scheme != "file":
        return "<the nmr-xl wheel file>"
    path = unquote(url.path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":  # /C:/... on Windows
        path = path[1:]
    return path


def _excel_running() -> bool:
    import xlwings

    try:
        return len(xlwings.apps) > 0
    except Exception:  # xlwings could not ask: better to go on than to refuse
        return False


# --- the settings the add-in gets ------------------------------------------------------------


def addin_settings(machine: Machine) -> tuple[tuple[Setting, ...], Conda | None]:
    """The settings sheet for this Python: how to start it, then the fixed settings. A conda
    environment gets no interpreter: with Conda Path and Conda Env xlwings activates it."""
    if machine.platform == "darwin":
        return (("Interpreter_Mac", str(machine.layout.executable)), *SETTINGS), None
    conda = machine.layout.conda()
    start: tuple[Setting, ...] = (
        (("Conda Path", str(conda.path)), ("Conda Env", conda.env)) if conda
        else (("Interpreter_Win", str(machine.layout.executable)),))
    return (*start, *SETTINGS), conda


def expected_addin(machine: Machine) -> bytes:
    return with_settings(shipped_addin().read_bytes(), addin_settings(machine)[0])


# --- the checks -------------------------------------------------------------------------------


def check_python(machine: Machine) -> Check:
    layout = machine.layout
    detail = f"{layout.executable} ({layout.describe()})"
    if machine.platform == "win32":
        for path in (layout.executable, *layout.dlls):
            char = ansi_problem(path, machine.codepage)
            if char:
                return Check("Python", "problem", f"{detail}; the path {path} holds '{char}', "
                             f"which Excel's VBA cannot pass to Windows ({machine.codepage})",
                             _venv_fix(machine, PureWindowsPath("C:/nmr-xl")))
    return Check("Python", "ok", detail)


def check_conda(machine: Machine, conda: Conda | None) -> Check | None:
    if machine.platform != "win32" or not machine.layout.in_conda_env:
        return None
    if conda is not None:
        return Check("Conda", "ok", f"the add-in activates the environment {conda.env} with "
                                    f"{conda.path / 'condabin' / 'conda.bat'} before starting "
                                    "Python")
    return Check("Conda", "problem",
                 f"{machine.layout.prefix} is a conda environment, but no conda installation "
                 "with condabin\\conda.bat was found to activate it with; the add-in starts its "
                 "python.exe unactivated, and packages that need the activated environment "
                 "(pywin32's DLLs) may fail to load",
                 "Open an Anaconda Prompt, run: conda activate "
                 f"{machine.layout.prefix}\nthen run nmr-xl addin install again in it.")


def check_dll(machine: Machine, conda: Conda | None) -> Check | None:
    """Windows: the worksheet functions load xlwings' DLL from the interpreter's folder or the
    one above it; the buttons work without it."""
    if machine.platform != "win32":
        return None
    layout = machine.layout
    folders = layout.dll_folders(conda)
    looked = f"{folders[0]} and {folders[1]}"
    where = {dll.name: dll.parent for dll in layout.dlls}
    if not where:
        return Check("xlwings DLL", "problem", _no_dll(layout), _no_dll_fix(machine))
    looked_in = {os.path.normcase(folder) for folder in folders}
    missing = [name for name, folder in where.items()
               if os.path.normcase(folder) not in looked_in]
    if not missing:
        return Check("xlwings DLL", "ok", f"{', '.join(sorted(where))} in "
                                          f"{next(iter(where.values()))}, where the worksheet "
                                          "functions look for it")
    return Check("xlwings DLL", "problem",
                 f"{missing[0]} is in {where[missing[0]]}, but the worksheet functions look for "
                 f"it only in {looked} (xlwings has no setting for another folder): they would "
                 f"stop with \"Could not load {missing[0]}\". The buttons work.",
                 "Set nmr-xl up in a virtual environment of its own, where pip puts the DLL "
                 "where the add-in looks:\n" + _venv_fix(machine, _venv_folder(machine)))


def _no_dll(layout: PythonLayout) -> str:
    if layout.machine.upper() == "ARM64":
        kind = "an ARM64 Python"
    elif layout.bits == 32:
        kind = "a 32-bit Python"
    else:
        return (f"xlwings {XLWINGS_VERSION} is installed without its DLL "
                f"({DLL_NAMES[0]}): the worksheet functions cannot start; the buttons work")
    return (f"this is {kind}, and xlwings {XLWINGS_VERSION} ships its DLL ({DLL_NAMES[0]}) only "
            "for 64-bit Intel/AMD (x64) Python: the worksheet functions cannot start; the "
            "buttons work")


def _no_dll_fix(machine: Machine) -> str:
    layout = machine.layout
    if layout.machine.upper() == "ARM64" or layout.bits == 32:
        return ("Install the 64-bit Python from python.org (\"Windows installer (64-bit)\"; "
                "it also runs on ARM64 Windows 11), then set nmr-xl up with it as the README's "
                "Windows setup shows (its python.exe instead of `py` in the first command).")
    return (f'"{layout.executable}" -m pip install --force-reinstall xlwings=={XLWINGS_VERSION}'
            "\nthen run nmr-xl addin install again.")


def _venv_folder(machine: Machine) -> PureWindowsPath:
    assert machine.local_appdata is not None
    folder = machine.windows_path(machine.local_appdata / VENV_NAME)
    return PureWindowsPath("C:/nmr-xl") if ansi_problem(folder, machine.codepage) else folder


def _venv_fix(machine: Machine, folder: PureWindowsPath) -> str:
    """The three commands that set nmr-xl up in a virtual environment at `folder`."""
    wheel = machine.source
    return "\n".join([f'"{machine.layout.executable}" -m venv "{folder}"',
                      f'"{folder}\\Scripts\\python.exe" -m pip install "{wheel}[excel]"',
                      f'"{folder}\\Scripts\\nmr-xl.exe" addin install'])


def check_addin_file(machine: Machine, path: Path) -> Check:
    if not path.is_file():
        return Check("Add-in file", "problem", f"{path} is missing", "nmr-xl addin install")
    if path.read_bytes() != expected_addin(machine):
        return Check("Add-in file", "problem",
                     f"{path} is from another nmr-xl version or set up for another Python",
                     "Run nmr-xl addin install with the Python that should run nmr-xl.")
    return Check("Add-in file", "ok", f"{path}, set up for this Python")


def check_addin_list(machine: Machine, path: Path) -> list[Check]:
    """Windows: on Excel's add-in list, not disabled, not also opened from XLSTART."""
    addins = machine.addin_list()
    where = machine.windows_path(path)
    checks = []
    loaded = addins.loaded(where)
    if all(loaded.values()):
        checks.append(Check("Excel's add-in list", "ok",
                            f"ticked under File > Options > Add-ins (Excel {', '.join(loaded)})"))
    else:
        checks.append(Check("Excel's add-in list", "problem",
                            "Excel does not open the add-in at start (Excel "
                            f"{', '.join(v for v, ok in loaded.items() if not ok)})",
                            "nmr-xl addin install (with Excel closed)"))
    for other in addins.others(where):
        checks.append(Check("Excel's add-in list", "problem",
                            f"Excel also opens {other}, an nmr-xl add-in from elsewhere",
                            "nmr-xl addin install (with Excel closed) replaces it"))
    if addins.disabled(ADDIN_NAME):
        checks.append(Check("Disabled items", "problem",
                            "Excel has disabled the add-in (after a crash or a slow start)",
                            "nmr-xl addin install (with Excel closed) re-enables it, or File > "
                            "Options > Add-ins > Manage: Disabled Items > Go > Enable"))
    if machine.xlstart_copy.is_file():
        checks.append(Check("XLSTART", "problem",
                            f"{machine.xlstart_copy} opens a second copy of the add-in",
                            "nmr-xl addin install (with Excel closed) removes it"))
    return checks


def check_settings(machine: Machine) -> Check:
    files = current_files(machine.settings_path)
    detail = f"{machine.settings_path}: " + "; ".join(files.describe())
    try:
        files.load()
    except ConfigError as exc:
        return Check("Settings", "problem", f"{detail}. {exc}",
                     "Choose the file again under nmr-xl > Reference files, or Bundled rules "
                     "only.")
    return Check("Settings", "ok", detail)


# --- the commands -----------------------------------------------------------------------------


def install(machine: Machine) -> Report:
    """Put the add-in into Excel for this Python; the report says what is left to do."""
    settings, conda = addin_settings(machine)
    content = with_settings(shipped_addin().read_bytes(), settings)
    report = Report()
    report.add(check_python(machine))
    report.add(check_conda(machine, conda))
    report.add(check_dll(machine, conda))
    if machine.platform == "win32":
        _install_windows(machine, content, report)
    else:
        _install_mac(machine, content, report)
    report.add(check_settings(machine))
    return report


def _refuse_while_excel_runs(machine: Machine, verb: str) -> None:
    if machine.excel_running():
        raise AddinError(f"Excel is running: quit Excel (every window) and run nmr-xl addin "
                         f"{verb} again (Excel rewrites its add-in list when it closes)")


def _install_windows(machine: Machine, content: bytes, report: Report) -> None:
    _refuse_while_excel_runs(machine, "install")
    path = machine.addins_folder / ADDIN_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    except OSError as exc:
        raise AddinError(f"cannot write {path} ({exc.strerror}); quit Excel and run nmr-xl "
                         "addin install again") from None
    report.add(Check("Add-in file", "ok", f"{path}, set up for this Python"))
    if machine.xlstart_copy.is_file():
        machine.xlstart_copy.unlink()
        report.add(Check("XLSTART", "fixed", f"removed {machine.xlstart_copy}, an earlier "
                                             "install that would open a second copy"))
    addins = machine.addin_list()
    where = machine.windows_path(path)
    replaced = addins.others(where)
    addins.register(where)
    report.add(Check("Excel's add-in list", "fixed" if replaced else "ok",
                     "ticked under File > Options > Add-ins, opened when Excel starts"
                     + (f" (instead of {', '.join(replaced)})" if replaced else "")))
    if addins.disabled(ADDIN_NAME):
        addins.enable(ADDIN_NAME)
        report.add(Check("Disabled items", "fixed", "Excel had disabled the add-in; enabled "
                                                    "again"))


def _install_mac(machine: Machine, content: bytes, report: Report) -> None:
    """xlwings copies the add-in to Excel's startup folder (it prints the outcome itself, and
    a failed copy too, carrying on) and installs its AppleScript: look whether it got there."""
    import tempfile

    from xlwings import cli as xlwings_cli

    with tempfile.TemporaryDirectory() as folder:
        addin = Path(folder) / ADDIN_NAME  # xlwings installs it under this file name
        addin.write_bytes(content)
        xlwings_cli.addin_install(argparse.Namespace(file=str(addin), dir=None, glob=False))
    path = machine.addin_path()
    try:
        copied = path.is_file() and path.read_bytes() == content
    except OSError:
        copied = False
    if not copied:
        raise AddinError("the add-in could not be copied into Excel's startup folder; quit "
                         "Excel and run nmr-xl addin install again")
    report.add(Check("Add-in file", "ok", f"{path}, set up for this Python"))


def doctor(machine: Machine) -> Report:
    """Every check, nothing changed."""
    _, conda = addin_settings(machine)
    report = Report()
    report.add(Check("xlwings", "ok", f"{XLWINGS_VERSION}, the version the add-in is built "
                                      "for"))
    report.add(check_python(machine))
    report.add(check_conda(machine, conda))
    report.add(check_dll(machine, conda))
    path = machine.addin_path()
    report.add(check_addin_file(machine, path))
    if machine.platform == "win32":
        for check in check_addin_list(machine, path):
            report.add(check)
    report.add(check_settings(machine))
    return report


def uninstall(machine: Machine) -> list[str]:
    """Take the add-in out of Excel; what was done, one line each."""
    done = []
    if machine.platform == "win32":
        _refuse_while_excel_runs(machine, "uninstall")
        path = machine.addins_folder / ADDIN_NAME
        if machine.addin_list().unregister(machine.windows_path(path)):
            done.append("took nmr-xl off Excel's add-in list")
        candidates = [path, machine.xlstart_copy]
    else:
        candidates = [machine.addin_path()]
    for candidate in candidates:
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise AddinError(f"cannot delete {candidate} ({exc.strerror}); quit Excel and run "
                             "nmr-xl addin uninstall again") from None
        done.append(f"deleted {candidate}")
    return done
