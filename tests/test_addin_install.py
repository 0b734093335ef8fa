"""`nmr-xl addin install`, `doctor` and `uninstall` (nmr_xl.excel.install), without Windows:
each Python layout billers have is a fake directory tree laid out as Windows lays it out, with
xlwings' RECORD listing its DLL where pip puts it (or not at all, as on ARM64); Excel's add-in
list is a fake registry. The checks must find the DLL where the add-in's VBA will look, or print
exactly what to do.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from dataclasses import replace
from pathlib import Path, PureWindowsPath

import pytest
from addin_files import settings_rows
from conftest import CliRun

from nmr_xl.excel import addin, install
from nmr_xl.excel.excel_registry import OFFICE, AddinList
from nmr_xl.excel.install import Machine, source_from_direct_url
from nmr_xl.excel.python_layout import DLL_NAMES, PythonLayout, xlwings_dlls

WHEEL = r"C:\Users\biller\Downloads\nmr_xl-0.1.0-py3-none-any.whl"
OPTIONS = rf"{OFFICE}\16.0\Excel\Options"


class FakeRegistry:
    """HKEY_CURRENT_USER as a dict: key path -> {value name: data}."""

    def __init__(self, keys: dict[str, dict[str, object]] | None = None) -> None:
        self.keys = keys or {}

    def subkeys(self, key: str) -> list[str]:
        prefix = key + "\\"
        return sorted({k[len(prefix):].split("\\")[0] for k in self.keys
                       if k.startswith(prefix)})

    def values(self, key: str) -> dict[str, object]:
        return dict(self.keys.get(key, {}))

    def set_string(self, key: str, name: str, value: str) -> None:
        self.keys.setdefault(key, {})[name] = value

    def delete_value(self, key: str, name: str) -> None:
        del self.keys[key][name]


# --- fake Python installations ------------------------------------------------------------------


def python_tree(root: Path, *, exe: str, prefix: str, site: str, dll_dir: str | None,
                machine: str = "AMD64", bits: int = 64, venv: bool = False,
                conda: str | None = None, conda_exe: str | None = None) -> PythonLayout:
    """A Python at root/exe with xlwings installed in root/site, its DLLs in root/dll_dir as
    RECORD says; `conda` marks a conda environment ("base", "env": beside a conda install)."""
    executable = root / exe
    executable.parent.mkdir(parents=True, exist_ok=True)
    executable.touch()
    site_packages = root / site
    info = site_packages / f"xlwings-{addin.XLWINGS_VERSION}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Name: xlwings\nVersion: {addin.XLWINGS_VERSION}\n")
    record = ["xlwings/__init__.py,,"]
    if dll_dir is not None:
        (root / dll_dir).mkdir(parents=True, exist_ok=True)
        for name in DLL_NAMES:
            (root / dll_dir / name).write_bytes(b"MZ")
            record.append(f"{os.path.relpath(root / dll_dir / name, site_packages)},,")
    (info / "RECORD").write_text("\n".join(record) + "\n")
    home = root / prefix
    if venv:
        (home / "pyvenv.cfg").write_text("home = C:\\Python311\n")
    if conda:
        (home / "conda-meta").mkdir(parents=True)
        base = home if conda == "base" else home.parent.parent
        if conda in ("base", "env"):
            (base / "condabin").mkdir(parents=True, exist_ok=True)
            (base / "condabin" / "conda.bat").touch()
    (dist,) = importlib.metadata.distributions(name="xlwings", path=[str(site_packages)])
    return PythonLayout(executable, home, machine, bits, xlwings_dlls(dist),
                        root / conda_exe if conda_exe else None)


LAYOUTS = {
    "per-machine": dict(exe="Program Files/Python311/python.exe", prefix="Program Files/Python311",
                        site="Program Files/Python311/Lib/site-packages",
                        dll_dir="Program Files/Python311"),
    "per-machine, pip --user": dict(
        exe="Program Files/Python311/python.exe", prefix="Program Files/Python311",
        site="AppData/Roaming/Python/Python311/site-packages", dll_dir="AppData/Roaming/Python"),
    "per-user": dict(exe="AppData/Local/Programs/Python/Python311/python.exe",
                     prefix="AppData/Local/Programs/Python/Python311",
                     site="AppData/Local/Programs/Python/Python311/Lib/site-packages",
                     dll_dir="AppData/Local/Programs/Python/Python311"),
    "Microsoft Store": dict(
        exe="AppData/Local/Microsoft/WindowsApps/PythonSoftwareFoundation.Python.3.11_"
            "qbz5n2kfra8p0/python.exe",
        prefix="Program Files/WindowsApps/PythonSoftwareFoundation.Python.3.11_3.11.2544.0_"
               "x64__qbz5n2kfra8p0",
        site="AppData/Local/Packages/PythonSoftwareFoundation.Python.3.11_qbz5n2kfra8p0/"
             "LocalCache/local-packages/Python311/site-packages",
        dll_dir="AppData/Local/Packages/PythonSoftwareFoundation.Python.3.11_qbz5n2kfra8p0/"
                "LocalCache/local-packages"),
    "virtual environment": dict(exe="AppData/Local/nmr-xl/Scripts/python.exe",
                                prefix="AppData/Local/nmr-xl",
                                site="AppData/Local/nmr-xl/Lib/site-packages",
                                dll_dir="AppData/Local/nmr-xl", venv=True),
    "conda base": dict(exe="miniconda3/python.exe", prefix="miniconda3",
                       site="miniconda3/Lib/site-packages", dll_dir="miniconda3", conda="base"),
    "conda environment": dict(exe="miniconda3/envs/billing/python.exe",
                              prefix="miniconda3/envs/billing",
                              site="miniconda3/envs/billing/Lib/site-packages",
                              dll_dir="miniconda3/envs/billing", conda="env"),
    "conda environment elsewhere": dict(
        exe="D/envs/billing/python.exe", prefix="D/envs/billing",
        site="D/envs/billing/Lib/site-packages", dll_dir="D/envs/billing", conda="path",
        conda_exe="miniconda3/Scripts/conda.exe"),
    "ARM64": dict(exe="AppData/Local/Programs/Python/Python311-arm64/python.exe",
                  prefix="AppData/Local/Programs/Python/Python311-arm64",
                  site="AppData/Local/Programs/Python/Python311-arm64/Lib/site-packages",
                  dll_dir=None, machine="ARM64"),
    "32-bit": dict(exe="AppData/Local/Programs/Python/Python311-32/python.exe",
                   prefix="AppData/Local/Programs/Python/Python311-32",
                   site="AppData/Local/Programs/Python/Python311-32/Lib/site-packages",
                   dll_dir=None, machine="AMD64", bits=32),
}


def windows(root: Path, layout: str, registry: FakeRegistry | None = None, **changes: object
            ) -> Machine:
    """A Windows machine under `root` with the Python `layout` running nmr-xl."""
    if layout == "conda environment elsewhere":  # the conda that CONDA_EXE names
        (root / "miniconda3" / "condabin").mkdir(parents=True)
        (root / "miniconda3" / "condabin" / "conda.bat").touch()
    machine = Machine("win32", python_tree(root, **LAYOUTS[layout]),  # type: ignore[arg-type]
                      root / ".nmr-xl" / "nmr-xl.conf", WHEEL,
                      appdata=root / "AppData" / "Roaming",
                      local_appdata=root / "AppData" / "Local",
                      registry=registry if registry is not None else FakeRegistry())
    return replace(machine, **changes)


# --- where the DLL is, against where the add-in looks -----------------------------------------


@pytest.mark.parametrize("layout", ["per-machine", "per-user", "virtual environment",
                                    "conda base", "conda environment",
                                    "conda environment elsewhere"])
def test_the_dll_is_where_the_add_in_looks(tmp_path: Path, layout: str) -> None:
    machine = windows(tmp_path, layout)
    _, conda = install.addin_settings(machine)
    check = install.check_dll(machine, conda)
    assert check is not None and check.state == "ok", check
    folder = machine.layout.dlls[0].parent
    assert check.detail == (f"{', '.join(sorted(DLL_NAMES))} in {folder}, where the worksheet "
                            "functions look for it")
    assert folder in machine.layout.dll_folders(conda)


@pytest.mark.parametrize("layout", ["per-machine, pip --user", "Microsoft Store"])
def test_a_dll_out_of_reach_gets_the_commands_for_a_virtual_environment(tmp_path: Path,
                                                                        layout: str) -> None:
    machine = windows(tmp_path, layout)
    check = install.check_dll(machine, None)
    assert check is not None and check.state == "problem"
    dll = machine.layout.dlls[0]
    looked = machine.layout.dll_folders(None)
    assert check.detail == (
        f"{dll.name} is in {dll.parent}, but the worksheet functions look for it only in "
        f"{looked[0]} and {looked[1]} (xlwings has no setting for another folder): they would "
        f'stop with "Could not load {dll.name}". The buttons work.')
    venv = PureWindowsPath(str(tmp_path / "AppData" / "Local" / "nmr-xl"))
    assert check.fix.splitlines() == [
        "Set nmr-xl up in a virtual environment of its own, where pip puts the DLL where the "
        "add-in looks:",
        f'"{machine.layout.executable}" -m venv "{venv}"',
        f'"{venv}\\Scripts\\python.exe" -m pip install "{WHEEL}[excel]"',
        f'"{venv}\\Scripts\\nmr-xl.exe" addin install']


@pytest.mark.parametrize(("layout", "kind"), [("ARM64", "an ARM64 Python"),
                                              ("32-bit", "a 32-bit Python")])
def test_a_python_without_the_dll_is_told_to_use_64_bit_python(tmp_path: Path, layout: str,
                                                                kind: str) -> None:
    machine = windows(tmp_path, layout)
    check = install.check_dll(machine, None)
    assert check is not None and check.state == "problem"
    assert check.detail.startswith(f"this is {kind}, and xlwings 0.37.8 ships its DLL "
                                   f"({DLL_NAMES[0]}) only for 64-bit Intel/AMD (x64) Python")
    assert "the buttons work" in check.detail
    assert check.fix.startswith('Install the 64-bit Python from python.org ("Windows installer '
                                '(64-bit)"; it also runs on ARM64 Windows 11)')


def test_a_64_bit_python_whose_xlwings_lost_its_dll_reinstalls_it(tmp_path: Path) -> None:
    machine = windows(tmp_path, "per-machine")
    machine.layout = replace(machine.layout, dlls=())
    check = install.check_dll(machine, None)
    assert check is not None and check.state == "problem"
    assert check.fix == (f'"{machine.layout.executable}" -m pip install --force-reinstall '
                         "xlwings==0.37.8\nthen run nmr-xl addin install again.")


def test_each_layout_is_named(tmp_path: Path) -> None:
    names = {layout: windows(tmp_path / str(n), layout).layout.describe()
             for n, layout in enumerate(LAYOUTS)}
    assert names["per-machine"] == "a Python installed for all users"
    assert names["per-user"] == "a Python installed for this user"
    assert names["Microsoft Store"] == "the Microsoft Store Python"
    assert names["virtual environment"] == "a virtual environment"
    assert names["conda environment"] == "a conda environment"


# --- conda activation --------------------------------------------------------------------------


@pytest.mark.parametrize(("layout", "path", "env"), [
    ("conda base", "miniconda3", "base"),
    ("conda environment", "miniconda3", "billing"),
    ("conda environment elsewhere", "miniconda3", "D/envs/billing"),
])
def test_conda_gets_the_settings_that_activate_it(tmp_path: Path, layout: str, path: str,
                                                  env: str) -> None:
    """No interpreter: with Conda Path and Conda Env xlwings activates the environment for the
    buttons and the worksheet functions alike."""
    machine = windows(tmp_path, layout)
    settings, conda = install.addin_settings(machine)
    expected_env = str(tmp_path / env) if "/" in env else env
    assert settings == (("Conda Path", str(tmp_path / path)), ("Conda Env", expected_env),
                        *addin.SETTINGS)
    check = install.check_conda(machine, conda)
    assert check is not None and check.state == "ok"


def test_conda_without_conda_bat_is_a_problem_with_a_fix(tmp_path: Path) -> None:
    machine = windows(tmp_path, "per-user")  # a micromamba environment: conda-meta, no conda
    (machine.layout.prefix / "conda-meta").mkdir()
    settings, conda = install.addin_settings(machine)
    assert conda is None and settings[0] == ("Interpreter_Win", str(machine.layout.executable))
    check = install.check_conda(machine, conda)
    assert check is not None and check.state == "problem"
    assert check.fix == ("Open an Anaconda Prompt, run: conda activate "
                         f"{machine.layout.prefix}\nthen run nmr-xl addin install again in it.")


def test_a_path_excel_cannot_pass_to_windows(tmp_path: Path) -> None:
    machine = windows(tmp_path / "张伟", "virtual environment")
    check = install.check_python(machine)
    assert check.state == "problem" and "holds '张', which Excel's VBA cannot pass" in check.detail
    assert 'm venv "C:\\nmr-xl"' in check.fix


# --- Excel's add-in list -----------------------------------------------------------------------


def test_a_first_add_in_is_open(tmp_path: Path) -> None:
    registry = FakeRegistry()
    path = PureWindowsPath(r"C:\Users\b\AppData\Roaming\Microsoft\AddIns\nmr-xl.xlam")
    AddinList(registry).register(path)
    assert registry.keys == {OPTIONS: {"OPEN": f'/R "{path}"'}}


def test_registering_keeps_the_other_add_ins_and_replaces_an_old_copy() -> None:
    old = r'"C:\Users\b\AppData\Roaming\Microsoft\Excel\XLSTART\nmr-xl.xlam"'
    registry = FakeRegistry({
        OPTIONS: {"OPEN": r'/R "C:\Program Files\Analysis\ANALYS32.XLL"', "OPEN1": old,
                  "OPEN2": "solver.xlam", "Font": "Calibri"},
        rf"{OFFICE}\16.0\Excel\Add-in Manager": {r"C:\old\nmr-xl.xlam": ""},
        rf"{OFFICE}\15.0\Excel\Options": {}, rf"{OFFICE}\Common\General": {}})
    addins = AddinList(registry)
    assert addins.versions == ["15.0", "16.0"]
    ours = PureWindowsPath(r"C:\Users\b\AppData\Roaming\Microsoft\AddIns\nmr-xl.xlam")
    assert addins.others(ours) == [old.strip('"')]
    addins.register(ours)
    assert registry.keys[OPTIONS] == {
        "OPEN": r'/R "C:\Program Files\Analysis\ANALYS32.XLL"', "OPEN1": "solver.xlam",
        "OPEN2": f'/R "{ours}"', "Font": "Calibri"}
    assert registry.keys[rf"{OFFICE}\15.0\Excel\Options"] == {"OPEN": f'/R "{ours}"'}
    assert registry.keys[rf"{OFFICE}\16.0\Excel\Add-in Manager"] == {}
    assert addins.loaded(ours) == {"15.0": True, "16.0": True}

    assert addins.unregister(ours)
    assert registry.keys[OPTIONS] == {  # no gap: Excel stops at the first missing number
        "OPEN": r'/R "C:\Program Files\Analysis\ANALYS32.XLL"', "OPEN1": "solver.xlam",
        "Font": "Calibri"}
    assert not addins.unregister(ours)


def test_taking_ours_out_of_the_middle_closes_the_gap() -> None:
    ours = PureWindowsPath(r"C:\a\nmr-xl.xlam")
    registry = FakeRegistry({OPTIONS: {"OPEN": "a.xlam", "OPEN1": f'/R "{ours}"',
                                       "OPEN2": "b.xlam"}})
    AddinList(registry).unregister(ours)
    assert registry.keys[OPTIONS] == {"OPEN": "a.xlam", "OPEN1": "b.xlam"}


def test_an_add_in_excel_disabled_is_found_and_enabled() -> None:
    path = r"C:\Users\b\AppData\Roaming\Microsoft\AddIns\nmr-xl.xlam"
    key = rf"{OFFICE}\16.0\Excel\Resiliency\DisabledItems"
    registry = FakeRegistry({OPTIONS: {}, key: {
        "1A2B": b"\x01\x00\x00\x00" + path.encode("utf-16-le") + b"\x00\x00",
        "3C4D": b"\x01\x00\x00\x00" + r"C:\other.xlam".encode("utf-16-le")}})
    addins = AddinList(registry)
    assert addins.disabled("nmr-xl.xlam") == [("16.0", "1A2B")]
    addins.enable("nmr-xl.xlam")
    assert list(registry.keys[key]) == ["3C4D"]


# --- the commands, end to end --------------------------------------------------------------------


@pytest.fixture
def as_on(monkeypatch: pytest.MonkeyPatch):
    def use(machine: Machine) -> Machine:
        monkeypatch.setattr(install.Machine, "current", classmethod(lambda cls: machine))
        return machine

    return use


def test_install_doctor_uninstall_on_windows(tmp_path: Path, cli, as_on) -> None:
    machine = as_on(windows(tmp_path, "virtual environment"))
    stale = machine.xlstart_copy
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an earlier install")

    run: CliRun = cli("addin", "install")
    assert run.code == 0, run.out + run.err
    installed = machine.addins_folder / addin.ADDIN_NAME
    assert not stale.exists()
    _, rows = settings_rows(installed.read_bytes())
    assert rows == [("Interpreter_Win", str(machine.layout.executable)), *addin.SETTINGS]
    assert machine.registry.keys[OPTIONS] == {  # type: ignore[union-attr]
        "OPEN": f'/R "{PureWindowsPath(str(installed))}"'}
    lines = run.out.splitlines()
    assert lines[0] == f"[ok] Python: {machine.layout.executable} (a virtual environment)"
    assert f"[fixed] XLSTART: removed {stale}, an earlier install that would open a second " \
           "copy" in lines
    assert lines[-1] == ("nmr-xl add-in installed. Start Excel: the nmr-xl tab appears on the "
                         "ribbon.")
    assert "Trust" not in run.out and "Import functions" not in run.out

    run = cli("addin", "doctor")
    assert run.code == 0 and run.out.splitlines()[-1] == (
        "Checked. Everything the add-in needs is in place."), run.out
    assert not [line for line in run.out.splitlines() if line.startswith("[PROBLEM]")]

    run = cli("addin", "uninstall")
    assert run.code == 0
    assert not installed.exists()
    assert machine.registry.keys[OPTIONS] == {}  # type: ignore[union-attr]
    assert run.out.splitlines() == [
        "took nmr-xl off Excel's add-in list", f"deleted {installed}",
        f"Your settings file stays: {machine.settings_path} (delete it if you no longer need "
        "it). To remove nmr-xl itself: pip uninstall nmr-xl"]


def test_doctor_before_install_lists_what_is_missing(tmp_path: Path, cli, as_on) -> None:
    machine = as_on(windows(tmp_path, "per-machine, pip --user"))
    run = cli("addin", "doctor")
    assert run.code == 1
    problems = [line for line in run.out.splitlines() if line.startswith("[PROBLEM]")]
    assert [p.split(":")[0] for p in problems] == [
        "[PROBLEM] xlwings DLL", "[PROBLEM] Add-in file", "[PROBLEM] Excel's add-in list"]
    assert f"{machine.addins_folder / addin.ADDIN_NAME} is missing" in run.out
    assert run.out.splitlines()[-1] == "Checked. 3 problems left: see the fixes above."


def test_install_with_the_dll_out_of_reach_installs_and_says_what_is_left(
        tmp_path: Path, cli, as_on) -> None:
    as_on(windows(tmp_path, "Microsoft Store"))
    run = cli("addin", "install")
    assert run.code == 1
    assert "[PROBLEM] xlwings DLL:" in run.out and "-m venv" in run.out
    assert run.out.splitlines()[-1] == ("nmr-xl add-in installed. 1 problem left: see the fixes "
                                        "above.")


def test_install_refuses_while_excel_runs(tmp_path: Path, cli, as_on) -> None:
    machine = as_on(windows(tmp_path, "virtual environment", excel_running=lambda: True))
    run = cli("addin", "install")
    assert run.code == 2 and run.out == ""
    assert run.err.strip() == (
        "nmr-xl: Excel is running: quit Excel (every window) and run nmr-xl addin install "
        "again (Excel rewrites its add-in list when it closes)")
    assert not (machine.addins_folder / addin.ADDIN_NAME).exists()
    assert machine.registry.keys == {}  # type: ignore[union-attr]


def test_doctor_finds_what_excel_would_trip_over(tmp_path: Path, cli, as_on) -> None:
    """Installed, then Excel disabled the add-in, an old copy came back into XLSTART, and the
    practice's rules file named in the settings is gone."""
    machine = as_on(windows(tmp_path, "virtual environment"))
    assert cli("addin", "install").code == 0
    key = rf"{OFFICE}\16.0\Excel\Resiliency\DisabledItems"
    installed = machine.addins_folder / addin.ADDIN_NAME
    registry = machine.registry
    assert isinstance(registry, FakeRegistry)
    registry.keys[key] = {"x": str(installed).encode("utf-16-le")}  # as Excel writes it
    machine.xlstart_copy.parent.mkdir(parents=True)
    machine.xlstart_copy.write_bytes(b"old")
    machine.settings_path.parent.mkdir(parents=True)
    machine.settings_path.write_text(f'"RULES FILE","{tmp_path / "gone.toml"}"\r\n')
    run = cli("addin", "doctor")
    assert run.code == 1
    problems = [line.split(":")[0] for line in run.out.splitlines()
                if line.startswith("[PROBLEM]")]
    assert problems == ["[PROBLEM] Disabled items", "[PROBLEM] XLSTART", "[PROBLEM] Settings"]
    assert "gone.toml: file not found" in run.out

    assert cli("addin", "install").code == 1  # the settings file is the biller's to fix
    assert not machine.xlstart_copy.exists()
    assert machine.registry.keys[key] == {}  # type: ignore[union-attr]


def test_an_add_in_for_another_python_is_found(tmp_path: Path, cli, as_on) -> None:
    machine = as_on(windows(tmp_path, "virtual environment"))
    assert cli("addin", "install").code == 0
    as_on(replace(machine, layout=replace(machine.layout,
                                          executable=tmp_path / "other" / "python.exe")))
    run = cli("addin", "doctor")
    assert "[PROBLEM] Add-in file: " in run.out and "set up for another Python" in run.out


def test_install_on_a_mac_goes_through_xlwings(tmp_path: Path, cli, as_on,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    startup = tmp_path / "Startup" / "Excel"
    layout = python_tree(tmp_path, exe="venv/bin/python", prefix="venv",
                         site="venv/lib/python3.11/site-packages", dll_dir=None, machine="arm64")
    as_on(Machine("darwin", layout, tmp_path / "nmr-xl.conf", WHEEL,
                  mac_addin_dir=lambda: startup))
    copied: list[str] = []

    def xlwings_addin_install(args) -> None:
        assert (args.dir, args.glob) == (None, False)
        copied.append(Path(args.file).name)
        startup.mkdir(parents=True, exist_ok=True)
        (startup / Path(args.file).name).write_bytes(Path(args.file).read_bytes())

    monkeypatch.setattr("xlwings.cli.addin_install", xlwings_addin_install)
    run = cli("addin", "install")
    assert run.code == 0, run.out
    assert copied == [addin.ADDIN_NAME]
    _, rows = settings_rows((startup / addin.ADDIN_NAME).read_bytes())
    assert rows == [("Interpreter_Mac", str(layout.executable)), *addin.SETTINGS]
    assert "DLL" not in run.out  # the Mac's buttons need none, and it has no functions

    monkeypatch.setattr("xlwings.cli.addin_install", lambda args: print("PermissionError(13)"))
    (startup / addin.ADDIN_NAME).unlink()
    run = cli("addin", "install")
    assert run.code == 2
    assert "could not be copied into Excel's startup folder" in run.err


@pytest.mark.parametrize("command", ["install", "doctor", "uninstall"])
def test_on_linux_excel_is_not_there(cli, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    run = cli("addin", command)
    assert run.code == 2 and run.out == ""
    assert run.err.strip() == ("nmr-xl: Excel is not available on Linux; run this on the "
                               "Windows or Mac computer where Excel is installed")


def test_install_refuses_another_xlwings_version(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(addin, "XLWINGS_VERSION", "0.0.1")
    run = cli("addin", "install")
    assert run.code == 2 and "pip install xlwings==0.0.1" in run.err


@pytest.mark.parametrize(("raw", "source"), [
    ('{"url": "file:///C:/Users/b/Downloads/nmr_xl-0.1.0-py3-none-any.whl", "archive_info": {}}',
     "C:/Users/b/Downloads/nmr_xl-0.1.0-py3-none-any.whl"),
    ('{"url": "file:///home/b/src/nmr%20xl", "dir_info": {"editable": true}}',
     "/home/b/src/nmr xl"),
    ('{"url": "https://example.org/nmr_xl.whl"}', "<the nmr-xl wheel file>"),
    (None, "<the nmr-xl wheel file>"),
])
def test_the_fix_names_the_wheel_nmr_xl_came_from(raw: str | None, source: str) -> None:
    assert source_from_direct_url(raw) == source
