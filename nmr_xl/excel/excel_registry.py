"""Excel's add-in list (File > Options > Add-ins > Excel Add-ins) in the Windows registry.

Excel opens at start every add-in named by the values OPEN, OPEN1, OPEN2 ... of
HKCU\\Software\\Microsoft\\Office\\<version>\\Excel\\Options (Excel stops at the first missing
number), keeps unticked add-ins under ...\\Excel\\Add-in Manager, and add-ins it disabled after a
crash under ...\\Excel\\Resiliency\\DisabledItems (binary values holding the path in UTF-16).
Excel rewrites these lists when it closes, so they are changed only while Excel is closed. An
add-in named there shows in Excel's add-in list, ticked, and can be unticked there.
"""

from __future__ import annotations

import re
import sys
from pathlib import PureWindowsPath
from typing import Any, Protocol

OFFICE = r"Software\Microsoft\Office"
DEFAULT_VERSION = "16.0"  # Excel 2016, 2019, 2021, 2024 and Microsoft 365
_OPEN = re.compile(r"OPEN(\d*)", re.IGNORECASE)
_VERSION = re.compile(r"\d+\.0")


class Registry(Protocol):
    """The few operations on HKEY_CURRENT_USER the add-in list needs."""

    def subkeys(self, key: str) -> list[str]: ...

    def values(self, key: str) -> dict[str, object]: ...  # {} for a missing key

    def set_string(self, key: str, name: str, value: str) -> None: ...  # creates the key

    def delete_value(self, key: str, name: str) -> None: ...


class WindowsRegistry:
    """HKEY_CURRENT_USER through winreg."""

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists on Windows only")
        import winreg

        # Any: mypy also checks this module off Windows, where winreg's stubs are empty
        self._winreg: Any = winreg

    def subkeys(self, key: str) -> list[str]:
        try:
            with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key) as handle:
                count = self._winreg.QueryInfoKey(handle)[0]
                return [self._winreg.EnumKey(handle, i) for i in range(count)]
        except FileNotFoundError:
            return []

    def values(self, key: str) -> dict[str, object]:
        try:
            with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key) as handle:
                count = self._winreg.QueryInfoKey(handle)[1]
                return {name: data for name, data, _ in
                        (self._winreg.EnumValue(handle, i) for i in range(count))}
        except FileNotFoundError:
            return {}

    def set_string(self, key: str, name: str, value: str) -> None:
        with self._winreg.CreateKey(self._winreg.HKEY_CURRENT_USER, key) as handle:
            self._winreg.SetValueEx(handle, name, 0, self._winreg.REG_SZ, value)

    def delete_value(self, key: str, name: str) -> None:
        with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key, 0,
                                  self._winreg.KEY_SET_VALUE) as handle:
            self._winreg.DeleteValue(handle, name)


def excel_versions(registry: Registry) -> list[str]:
    """The Office versions this user has run Excel under (16.0 if none yet)."""
    versions = [v for v in registry.subkeys(OFFICE)
                if _VERSION.fullmatch(v) and "Excel" in registry.subkeys(rf"{OFFICE}\{v}")]
    return sorted(versions, key=float) or [DEFAULT_VERSION]


def open_value(path: PureWindowsPath | str) -> str:
    """An OPENn value: opened read-only (/R), since the add-in never saves itself."""
    return f'/R "{path}"'


def named_file(value: object) -> str:
    """The file an OPENn or Add-in Manager value names: `/R "C:\\x.xlam"` -> C:\\x.xlam."""
    text = str(value).strip()
    quoted = re.search(r'"([^"]+)"', text)
    if quoted:
        return quoted.group(1)
    return re.sub(r"^(/\w+\s+)+", "", text)


def _is_ours(value: object, file_name: str) -> bool:
    return PureWindowsPath(named_file(value)).name.lower() == file_name.lower()


class AddinList:
    """Excel's add-in list, for each Office version this user has run Excel under."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.versions = excel_versions(registry)

    def _options(self, version: str) -> str:
        return rf"{OFFICE}\{version}\Excel\Options"

    def _open_values(self, version: str) -> list[str]:
        """The OPEN, OPEN1, OPEN2 ... values in Excel's order, up to the first gap."""
        values = {name.upper(): data for name, data in
                  self.registry.values(self._options(version)).items() if _OPEN.fullmatch(name)}
        ordered: list[str] = []
        while (name := _open_name(len(ordered))) in values:
            ordered.append(str(values[name]))
        return ordered

    def loaded(self, path: PureWindowsPath) -> dict[str, bool]:
        """Version -> whether Excel opens exactly `path` at start."""
        return {v: open_value(path) in self._open_values(v) for v in self.versions}

    def others(self, path: PureWindowsPath) -> list[str]:
        """Other files of the same name Excel opens at start (an older install elsewhere)."""
        return sorted({named_file(value) for v in self.versions for value in self._open_values(v)
                       if _is_ours(value, path.name) and value != open_value(path)})

    def register(self, path: PureWindowsPath) -> None:
        """Make Excel open `path` at start, replacing any file of the same name it opened, and
        take it off the unticked list."""
        for version in self.versions:
            ordered = [value for value in self._open_values(version)
                       if not _is_ours(value, path.name)]
            self._write_open_values(version, [*ordered, open_value(path)])
            self._forget_unticked(version, path.name)

    def unregister(self, path: PureWindowsPath) -> bool:
        """Take every file of `path`'s name off the list; whether there was one."""
        found = False
        for version in self.versions:
            before = self._open_values(version)
            kept = [value for value in before if not _is_ours(value, path.name)]
            if kept != before:
                self._write_open_values(version, kept)
                found = True
            found = self._forget_unticked(version, path.name) or found
        return found

    def _write_open_values(self, version: str, ordered: list[str]) -> None:
        """OPEN, OPEN1 ... without a gap, and no stale numbered value after them."""
        key = self._options(version)
        old = len(self._open_values(version))
        for index, value in enumerate(ordered):
            self.registry.set_string(key, _open_name(index), value)
        for index in range(len(ordered), old):
            self.registry.delete_value(key, _open_name(index))

    def _forget_unticked(self, version: str, file_name: str) -> bool:
        key = rf"{OFFICE}\{version}\Excel\Add-in Manager"
        stale = [name for name, value in self.registry.values(key).items()
                 if _is_ours(name, file_name) or _is_ours(value, file_name)]
        for name in stale:
            self.registry.delete_value(key, name)
        return bool(stale)

    def disabled(self, file_name: str) -> list[tuple[str, str]]:
        """(version, value name) of each entry with which Excel disabled the add-in."""
        found = []
        for version in self.versions:
            key = rf"{OFFICE}\{version}\Excel\Resiliency\DisabledItems"
            for name, data in self.registry.values(key).items():
                if isinstance(data, bytes) and file_name.lower() in data.decode(
                        "utf-16-le", errors="ignore").lower():
                    found.append((version, name))
        return found

    def enable(self, file_name: str) -> None:
        for version, name in self.disabled(file_name):
            self.registry.delete_value(rf"{OFFICE}\{version}\Excel\Resiliency\DisabledItems",
                                       name)


def _open_name(index: int) -> str:
    return "OPEN" if index == 0 else f"OPEN{index}"
