"""The Excel add-in file: reproducible build, structure (ribbon, VBA, settings), install.

No Excel here: the VBA project is read back with oletools (olevba) and olefile, and, where it is
installed, LibreOffice as a third, independent reader; the settings sheet with openpyxl.
"""

from __future__ import annotations

import importlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream

from nmr_xl.cli import main
from nmr_xl.excel import addin
from nmr_xl.excel.cfb import write_compound_file
from nmr_xl.excel.vba import compress

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKED_IN = REPO_ROOT / "workbooks" / addin.ADDIN_NAME
TEMPLATE = Path(xlwings.__file__).parent / addin.TEMPLATE_NAME
REBUILD = f"rebuild it: nmr-xl addin build --out workbooks/{addin.ADDIN_NAME}"
CUSTOM_UI_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
CALLBACKS = ("onAction", "getVisible")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("addin") / addin.ADDIN_NAME
    assert main(["addin", "build", "--out", str(out)]) == 0
    return out


def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def vba_streams(xlam: Path) -> dict[str, bytes]:
    project = zip_parts(xlam.read_bytes())["xl/vbaProject.bin"]
    with olefile.OleFileIO(io.BytesIO(project)) as ole:
        return {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}


def vba_sources(xlam: Path) -> dict[str, str]:
    """Module name -> source (with its Attribute lines), as olevba reads it."""
    parser = VBA_Parser(str(xlam))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def ribbon(xlam: Path) -> ElementTree.Element:
    return ElementTree.fromstring(zip_parts(xlam.read_bytes())["customUI/customUI.xml"])


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


# --- the build --------------------------------------------------------------------------------


def test_rebuild_gives_the_checked_in_file_byte_for_byte(built):
    assert CHECKED_IN.is_file(), REBUILD
    ours, theirs = zip_parts(built.read_bytes()), zip_parts(CHECKED_IN.read_bytes())
    assert list(ours) == list(theirs), f"different zip entries; {REBUILD}"
    changed = [name for name in ours if ours[name] != theirs[name]]
    assert not changed, f"{changed} differ from the checked-in add-in; {REBUILD}"
    assert built.read_bytes() == CHECKED_IN.read_bytes(), f"zip layout differs; {REBUILD}"


def test_zip_is_written_reproducibly(built):
    with zipfile.ZipFile(built) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert infos[0].filename == "[Content_Types].xml"
    assert {(i.date_time, i.compress_type, i.create_system) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), zipfile.ZIP_STORED, 0)}


def test_document_properties_name_the_add_in(built):
    core = ElementTree.fromstring(zip_parts(built.read_bytes())["docProps/core.xml"])
    title = core.find("{http://purl.org/dc/elements/1.1/}title")
    assert title is not None and title.text == "nmr-xl"


# --- the ribbon -------------------------------------------------------------------------------


def test_ribbon_tab_group_and_buttons(built):
    tabs = ribbon(built).findall(f".//{CUSTOM_UI_NS}tab")
    assert [t.get("label") for t in tabs] == ["nmr-xl"]
    groups = {g.get("label"): [b.get("label") for b in g.findall(f"{CUSTOM_UI_NS}button")]
              for g in tabs[0].findall(f"{CUSTOM_UI_NS}group")}
    assert groups == {"Billing check": ["Check sheet", "Clear"],
                      "Worksheet functions": ["Import functions"]}
    for button in tabs[0].iter(f"{CUSTOM_UI_NS}button"):
        assert button.get("imageMso") and button.get("screentip"), button.get("id")
        assert 40 < len(button.get("supertip", "")) <= 1024, button.get("id")  # Office's limit


def test_ids_are_unique_and_ours(built):
    ids = [e.get("id") for e in ribbon(built).iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("nmrXl") for i in ids), ids  # no clash with other add-ins' ids


def callbacks(xlam: Path) -> list[tuple[str, str, str]]:
    """(attribute, module, macro) for every callback the ribbon names."""
    found = []
    for element in ribbon(xlam).iter():
        for attribute in CALLBACKS:
            if element.get(attribute):
                module, _, macro = element.get(attribute, "").partition(".")
                found.append((attribute, module, macro))
    return found


def test_every_callback_is_a_macro_with_the_ribbon_signature(built):
    sources = vba_sources(built)
    found = callbacks(built)
    assert len(found) == 4
    for attribute, module, macro in found:
        assert module in sources, f"{module}.{macro}: no VBA module {module}"
        extra = r", ByRef returnedVal\)" if attribute == "getVisible" else r"\)"
        signature = rf"^Sub {macro}\(control As IRibbonControl{extra}\r$"
        assert re.search(signature, sources[module], re.MULTILINE), f"{module}.{macro}"


# --- the VBA project --------------------------------------------------------------------------


def test_vba_modules_as_intended(built):
    ours, template = vba_sources(built), vba_sources(TEMPLATE)
    assert list(ours) == list(template)
    assert ours[addin.RIBBON_MODULE] == addin.RIBBON_VBA
    for module in template:
        if module != addin.RIBBON_MODULE:
            assert ours[module] == template[module], module


def test_every_other_stream_is_the_templates_byte_for_byte(built):
    ours, template = vba_streams(built), vba_streams(TEMPLATE)
    assert set(ours) == set(template)
    changed = {path for path in template if ours[path] != template[path]}
    assert changed == {"VBA/dir", f"VBA/{addin.RIBBON_MODULE}"}


def test_dir_stream_only_drops_the_ribbon_modules_compiled_code(built):
    """The one change in `dir`: RibbonMyAddin's MODULEOFFSET is 0 (source only, no stale
    compiled code); the new module stream is the compressed source alone."""
    ours, template = vba_streams(built), vba_streams(TEMPLATE)
    new, old = (bytes(decompress_stream(bytearray(s["VBA/dir"]))) for s in (ours, template))
    assert len(new) == len(old)
    differing = [i for i in range(len(new)) if new[i] != old[i]]
    assert differing and differing[-1] - differing[0] < 4
    stream_name_at = new.index(addin.RIBBON_MODULE.encode() + b"\x32\x00")  # unicode copy next
    assert new[differing[0] - 6:differing[0] - 4] == b"\x31\x00"  # a MODULEOFFSET record...
    assert differing[0] > stream_name_at  # ...after RibbonMyAddin's stream name
    assert new[differing[0]:differing[0] + 4] == bytes(4)
    module = ours[f"VBA/{addin.RIBBON_MODULE}"]
    assert bytes(decompress_stream(bytearray(module))).decode("cp1252") == addin.RIBBON_VBA


def test_olevba_sees_no_stomped_code(built):
    """Compiled code that disagrees with the source ("VBA stomping") is what malware does and
    what virus scanners flag; the build leaves none."""
    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_stomping() is False
    finally:
        parser.close()


def test_template_version_is_the_pinned_xlwings(built):
    xlwings_module = vba_sources(built)["xlwings"]
    assert f'XLWINGS_VERSION As String = "{addin.XLWINGS_VERSION}"' in xlwings_module
    assert xlwings.__version__ == addin.XLWINGS_VERSION, (
        f"the add-in holds xlwings {addin.XLWINGS_VERSION}'s VBA: pin that version or {REBUILD}")
    # the settings sheet is named after PROJECT_NAME
    assert f'PROJECT_NAME As String = "{addin.SETTINGS_SHEET.removesuffix(".conf")}"' in (
        xlwings_module)


RUNPYTHON = re.compile(r'RunPython "import ([\w.]+); \1\.(\w+)\(\)"')


def test_ribbon_macros_run_existing_python_functions():
    commands = RUNPYTHON.findall(addin.RIBBON_VBA)
    assert len(commands) == addin.RIBBON_VBA.count("RunPython") == 2
    for module_name, function in commands:
        module = importlib.import_module(module_name)
        assert callable(getattr(module, function, None)), f"{module_name}.{function}"


def test_udf_module_exists():
    importlib.import_module(addin.UDF_MODULE)


# --- the settings sheet -----------------------------------------------------------------------


def test_settings_sheet_is_active_and_filled_in(built):
    sheets, rows = settings_rows(built.read_bytes())
    assert sheets == [addin.SETTINGS_SHEET]
    assert rows == [*addin.SETTINGS]
    assert ("UDF Modules", "nmr_xl.excel.functions") in rows


# --- MS-OVBA compression and the compound-file writer ------------------------------------------


def test_compressor_reproduces_the_templates_own_streams():
    """xlwings' template holds streams written outside Excel (its xlwings module, `dir`): our
    compressor gives the same bytes, so it follows the same reading of the spec."""
    template = vba_streams(TEMPLATE)
    for path in ("VBA/xlwings", "VBA/dir"):
        source = bytes(decompress_stream(bytearray(template[path])))
        assert compress(source) == template[path], path


def test_compressor_round_trips_through_olevba():
    samples = [b"", b"a", b"abc" * 3000, bytes(range(256)) * 8, b"Sub X()\r\n" * 1000]
    for sample in samples:
        assert bytes(decompress_stream(bytearray(compress(sample)))) == sample


def test_compound_file_reads_back_with_olefile():
    streams = {"PROJECT": b"p" * 10, "VBA/dir": b"d" * 5000, "VBA/Module1": bytes(range(256)),
               "VBA/Sub/Deep": b"x" * 4096, "A": b"a" * 100_000}
    with olefile.OleFileIO(io.BytesIO(write_compound_file(streams))) as ole:
        assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams


def test_compound_file_refuses_empty_streams():
    with pytest.raises(ValueError, match="empty"):
        write_compound_file({"PROJECT": b""})


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_reads_the_vba_project(built, tmp_path):
    """A third reader of the VBA project. LibreOffice does not open add-ins, so it gets the
    package labelled as a macro-enabled workbook and saves it as .ods with its Basic modules."""
    parts = zip_parts(built.read_bytes())
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"ms-excel.addin.macroEnabled.main", b"ms-excel.sheet.macroEnabled.main")
    book = tmp_path / "nmr-xl.xlsm"
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    profile = tmp_path / "lo-profile"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", "ods", "--outdir", str(tmp_path), str(book)],
                       capture_output=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("LibreOffice did not convert the add-in within 180 s")
    ods = zip_parts((tmp_path / "nmr-xl.ods").read_bytes())
    module = ods["Basic/MyAddin/RibbonMyAddin.xml"].decode("utf-8")
    assert "nmr_xl.excel.ribbon.clear_sheet()" in module
    assert "Public Function RunPython" in ods["Basic/MyAddin/xlwings.xml"].decode("utf-8")


# --- install ----------------------------------------------------------------------------------


def test_install_on_linux_says_excel_is_not_there(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["addin", "install"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [err.strip()] and "Excel is not available on Linux" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("platform", "interpreter"),
                         [("win32", "Interpreter_Win"), ("darwin", "Interpreter_Mac")])
def test_install_hands_our_addin_to_xlwings(monkeypatch, capsys, tmp_path, platform,
                                            interpreter):
    installed: dict[str, bytes] = {}

    def xlwings_addin_install(args):
        assert (args.dir, args.glob) == (None, False)
        installed[Path(args.file).name] = Path(args.file).read_bytes()
        (tmp_path / Path(args.file).name).write_bytes(Path(args.file).read_bytes())

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr("xlwings.cli.addin_install", xlwings_addin_install)
    monkeypatch.setattr("xlwings.cli.get_addin_dir", lambda: str(tmp_path))
    assert main(["addin", "install"]) == 0
    out = capsys.readouterr().out
    assert list(installed) == [addin.ADDIN_NAME]
    ours, shipped = zip_parts(installed[addin.ADDIN_NAME]), zip_parts(CHECKED_IN.read_bytes())
    assert {n for n in ours if ours[n] != shipped[n]} == {
        "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"}
    _, rows = settings_rows(installed[addin.ADDIN_NAME])
    assert rows == [(interpreter, sys.executable), *addin.SETTINGS]
    assert "restart Excel" in out
    assert ("Import functions" in out) == (platform == "win32")


def test_install_says_so_when_xlwings_could_not_copy_it(monkeypatch, capsys, tmp_path):
    # xlwings prints a failed copy (Excel still running, say) and returns as if it worked.
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr("xlwings.cli.addin_install", lambda args: print("PermissionError(13)"))
    monkeypatch.setattr("xlwings.cli.get_addin_dir", lambda: str(tmp_path))
    assert main(["addin", "install"]) == 2
    out, err = capsys.readouterr()
    assert "could not be copied into Excel's startup folder" in err
    assert "installed" not in out.replace("PermissionError(13)", "")


def test_install_refuses_another_xlwings_version(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(addin, "XLWINGS_VERSION", "0.0.1")
    assert main(["addin", "install"]) == 2
    assert "pip install xlwings==0.0.1" in capsys.readouterr().err
