"""Which Python the add-in starts, and whether xlwings' DLL is where the add-in's VBA looks for it.

From xlwings 0.37.8's VBA (module xlwings: XLPyLoadDLL, XLPyCommand, ExecuteWindows):
- with Interpreter_Win set to a full path, the worksheet functions load xlwings64-<version>.dll
  (32-bit Excel: xlwings32-...) from that file's folder or the folder above it, and from nowhere
  else: there is no setting naming another folder. The buttons do not use the DLL.
- with Conda Path and Conda Env set and no interpreter, the interpreter is <Conda Path>\\pythonw
  (env "base"), <Conda Env>\\pythonw (an env given as a path) or <Conda Path>\\envs\\<Conda
  Env>\\pythonw; the buttons and the functions activate the environment first, which needs
  <Conda Path>\\condabin\\conda.bat (CheckConda).
- the interpreter and the DLL's path reach Windows as ANSI strings (Declare ... As String,
  LoadLibraryA): a character outside the system's code page cannot be passed.
From the xlwings 0.37.8 wheels on PyPI: only the win_amd64 wheel carries the two DLLs, in its
data directory, which pip puts into the environment's prefix (beside python.exe for an ordinary
install, one folder above Scripts\\python.exe in a virtual environment), or into the user base
(%APPDATA%\\Python, or the Microsoft Store Python's LocalCache\\local-packages) with --user.
ARM64 and 32-bit Windows Pythons get the pure-Python wheel, without them.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import struct
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath

from nmr_xl.excel.addin import XLWINGS_VERSION

DLL_NAMES = (f"xlwings64-{XLWINGS_VERSION}.dll", f"xlwings32-{XLWINGS_VERSION}.dll")
_CONDA_BAT = Path("condabin") / "conda.bat"


@dataclass(frozen=True)
class Conda:
    """The settings that make the add-in activate a conda environment."""

    path: Path  # the conda installation (Conda Path)
    env: str  # "base", an environment's name, or its full path (Conda Env)


@dataclass(frozen=True)
class PythonLayout:
    """What the checks need to know of the Python running nmr-xl."""

    executable: Path
    prefix: Path
    machine: str  # platform.machine(): AMD64, ARM64, x86
    bits: int
    dlls: tuple[Path, ...]  # where pip put xlwings' DLLs (from xlwings' RECORD)
    conda_exe: Path | None = None  # CONDA_EXE of an activated conda prompt

    @classmethod
    def current(cls) -> PythonLayout:
        conda_exe = os.environ.get("CONDA_EXE")
        return cls(Path(sys.executable), Path(sys.prefix), platform.machine(),
                   struct.calcsize("P") * 8, xlwings_dlls(importlib.metadata.distribution(
                       "xlwings")), Path(conda_exe) if conda_exe else None)

    @property
    def in_conda_env(self) -> bool:
        return (self.prefix / "conda-meta").is_dir()

    def conda(self) -> Conda | None:
        """The Conda Path and Conda Env that activate this environment, if conda can."""
        if not self.in_conda_env:
            return None
        if (self.prefix / _CONDA_BAT).is_file():
            return Conda(self.prefix, "base")
        if self.prefix.parent.name.lower() == "envs" and (
                self.prefix.parent.parent / _CONDA_BAT).is_file():
            return Conda(self.prefix.parent.parent, self.prefix.name)
        if self.conda_exe is not None:  # <root>\Scripts\conda.exe; an env outside <root>\envs
            root = self.conda_exe.parent.parent
            if (root / _CONDA_BAT).is_file():
                return Conda(root, str(self.prefix))
        return None

    def dll_folders(self, conda: Conda | None) -> tuple[Path, Path]:
        """The two folders the add-in's VBA tries for the DLL, given what install writes."""
        if conda is None:
            interpreter = self.executable
        elif conda.env == "base":
            interpreter = conda.path / "pythonw"
        elif "\\" in conda.env or "/" in conda.env:
            interpreter = Path(conda.env) / "pythonw"
        else:
            interpreter = conda.path / "envs" / conda.env / "pythonw"
        return interpreter.parent, interpreter.parent.parent

    def describe(self) -> str:
        """The kind of Python, in the words of the README's setup guide."""
        text = str(self.executable).lower()
        if self.in_conda_env:
            return "a conda environment"
        if (self.prefix / "pyvenv.cfg").is_file():
            return "a virtual environment"
        if "windowsapps" in text or "pythonsoftwarefoundation.python" in text:
            return "the Microsoft Store Python"
        if "programs" in text and "python" in text:
            return "a Python installed for this user"
        return "a Python installed for all users"


def xlwings_dlls(dist: importlib.metadata.Distribution) -> tuple[Path, ...]:
    """Where pip put xlwings' DLLs, as its RECORD lists them ("../../xlwings64-....dll" from
    site-packages for an ordinary install)."""
    found = []
    for file in dist.files or ():
        if file.name in DLL_NAMES:
            found.append(Path(os.path.normpath(str(dist.locate_file(file)))))
    return tuple(found)


def ansi_problem(path: PurePath, codepage: str) -> str | None:
    """The first character of `path` the system's ANSI code page cannot hold, if any."""
    for char in str(path):
        try:
            char.encode(codepage)
        except UnicodeEncodeError:
            return char
    return None

