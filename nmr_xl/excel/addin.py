r"""The Excel add-in file, nmr-xl.xlam: built from xlwings' ribbon add-in template.

`xlwings quickstart NAME --addin --ribbon` only copies that template to NAME.xlam; the build
starts from the same template and changes, the same way every time:
- the ribbon (customUI/customUI.xml): our tab, buttons, Excel's own icons and tips;
- the VBA module RibbonMyAddin: one callback per button, the worksheet functions' wrappers
  (nmr_xl.excel.udf_vba: what xlwings' "Import functions" would write, so the functions work
  the moment the add-in is installed) and the macro giving them their help in Insert Function;
- ThisWorkbook: runs that macro when the add-in opens;
- the xlwings module: its PROJECT_NAME becomes "nmr-xl", so the add-in reads the settings sheet
  `nmr-xl.conf` and the settings file %USERPROFILE%\.nmr-xl\nmr-xl.conf, not the template's
  `myaddin.conf` that every add-in built from it shares (xlwings' own instructions for
  renaming an add-in); every other line, and every other module, is kept byte for byte;
- the settings sheet: activated under that name and filled in (`install` adds the Python that
  runs nmr-xl);
- the document properties Excel shows for the add-in.
The zip is written with fixed dates, a fixed entry order and no compression, so a rebuild gives
the same bytes on every platform (zlib builds differ; stored entries do not). The callbacks stay
in the module RibbonMyAddin and the VBA project keeps its name: renaming either would change
more streams of the VBA project than its modules' source.
"""

from __future__ import annotations

import importlib.metadata
import io
import re
import zipfile
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from nmr_xl.excel.settings import (
    MUE_KEY,
    NCCI_KEY,
    PATH_SEPARATOR,
    PROJECT_NAME,
    RULES_KEY,
    SETTINGS_SHEET,
)

ADDIN_NAME = "nmr-xl.xlam"
# The template's VBA loads xlwings64-<version>.dll (worksheet functions, Windows) and
# xlwings-<version>.applescript (buttons, macOS): the Python package must be this exact version.
XLWINGS_VERSION = "0.37.8"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
TEMPLATE_PROJECT_NAME = "myaddin"
RIBBON_MODULE = "RibbonMyAddin"
WORKBOOK_MODULE = "ThisWorkbook"
XLWINGS_MODULE = "xlwings"
UDF_MODULE = "nmr_xl.excel.functions"
DESCRIBE_MACRO = "NmrXlDescribeFunctions"

# Fixed for reproducible builds: zip entry dates and the document dates.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_DOC_DATE = "2026-01-01T00:00:00Z"

Setting = tuple[str, str | bool]
# The settings sheet, read by xlwings' GetConfig (keys are case-insensitive). A key on the sheet
# wins over the user's settings file even when blank, so only keys with a value are written.
# The workbook's folder stays off sys.path: a stray .py file next to a biller's workbook must
# not shadow a module (and OneDrive/SharePoint paths need no extra settings).
SETTINGS: tuple[Setting, ...] = (
    ("UDF Modules", UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
    ("ADD_WORKBOOK_TO_PYTHONPATH", False),
)


def _button(id_: str, label: str, image: str, action: str, tip: str, supertip: str,
            large: bool = True) -> str:
    size = ' size="large"' if large else ""
    return (f'<button id="{id_}" label="{escape(label)}"{size} imageMso="{image}" '
            f'onAction="{RIBBON_MODULE}.{action}" screentip="{escape(tip)}" '
            f'supertip="{escape(supertip)}" />')


_CHECK = _button(
    "nmrXlCheckSheet", "Check sheet", "DataValidation", "NmrXlCheckSheet", "Check this sheet",
    "Runs every nmr-xl billing rule on the billing table of the active sheet and marks what it "
    "finds in place: coloured cells, notes, a Findings column and a summary sheet. Checking "
    "again replaces the earlier marks. Your billing data is never changed.")
_CLEAR = _button(
    "nmrXlClearSheet", "Clear", "ClearFormats", "NmrXlClearSheet", "Clear the check",
    "Takes off everything Check sheet added to the active sheet: the original fills and notes "
    "come back, the Findings column and the summary sheet go. Your billing data is never "
    "changed.")
_VALUES_ONLY = _button(
    "nmrXlValuesOnly", "Values only copy", "PasteValues", "NmrXlValuesOnly",
    "Save a copy without nmr-xl formulas",
    "Saves a copy of this workbook beside it in which every formula using =NMR_CHECK, "
    "=NMR_CHECK_TABLE, =NMR_UNITS or =NMR_EXPLAIN is replaced by the value it shows, and opens "
    "it: send that copy to someone without the add-in. This workbook is not changed.")
_SETTINGS_ITEMS = "".join((
    _button("nmrXlChooseRules", "Practice rules file...", "FileOpen", "NmrXlChooseRules",
            "Choose your practice rules file",
            "A rules.toml with your practice's changes to the bundled rules (see the README): "
            "Check sheet and the worksheet functions use it from now on.", large=False),
    _button("nmrXlChooseMue", "CMS MUE files...", "FileOpen", "NmrXlChooseMue",
            "Choose CMS's MUE files",
            "The practitioner services MUE tables (CSV) from CMS, for NMR105: select one, or "
            "several quarters' at once (each applies to the dates of service of its quarter).",
            large=False),
    _button("nmrXlChooseNcci", "CMS NCCI files...", "FileOpen", "NmrXlChooseNcci",
            "Choose CMS's NCCI PTP files",
            "The practitioner PTP edit files (tab-separated .txt) from CMS, for NMR306: select "
            "all of them at once.", large=False),
    '<menuSeparator id="nmrXlSettingsSeparator" />',
    _button("nmrXlShowSettings", "Show and test settings", "ErrorChecking",
            "NmrXlShowSettings", "Show the settings",
            "Shows which files nmr-xl checks with and whether each one loads.", large=False),
    _button("nmrXlBundledRules", "Bundled rules only", "ClearAll", "NmrXlBundledRules",
            "Forget the chosen files",
            "Checks with the bundled rules again: forgets the practice rules, MUE and NCCI "
            "files chosen here (the files themselves are not touched).", large=False),
))

RIBBON_XML = f"""\
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
  <ribbon>
    <tabs>
      <tab id="nmrXlTab" label="nmr-xl">
        <group id="nmrXlCheckGroup" label="Billing check">
          {_CHECK}
          {_CLEAR}
        </group>
        <group id="nmrXlShareGroup" label="Share" getVisible="{RIBBON_MODULE}.NmrXlWindowsOnly">
          {_VALUES_ONLY}
        </group>
        <group id="nmrXlSettingsGroup" label="Settings">
          <menu id="nmrXlSettingsMenu" label="Reference files" size="large" \
imageMso="PropertySheet" screentip="Your practice's reference files" supertip="Choose the \
practice rules file and CMS's MUE and NCCI files that Check sheet and the worksheet functions \
use, or show and test the current choice.">
            {_SETTINGS_ITEMS}
          </menu>
        </group>
      </tab>
    </tabs>
  </ribbon>
</customUI>
"""

_RUN = "import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon."
# Each button's macro hands over to Python, or (settings) writes the user's settings file with
# xlwings' own SaveConfigToFile. RunPython needs an open workbook: without one it would stop on a
# raw VBA error.
RIBBON_CALLBACKS = f"""\
Sub NmrXlCheckSheet(control As IRibbonControl)
    NmrXlRun "{_RUN}check_sheet()"
End Sub

Sub NmrXlClearSheet(control As IRibbonControl)
    NmrXlRun "{_RUN}clear_sheet()"
End Sub

Sub NmrXlValuesOnly(control As IRibbonControl)
    NmrXlRun "{_RUN}values_only_copy()"
End Sub

Sub NmrXlShowSettings(control As IRibbonControl)
    NmrXlRun "{_RUN}show_settings()"
End Sub

Sub NmrXlChooseRules(control As IRibbonControl)
    NmrXlChooseFile "{RULES_KEY}", "Practice rules file (rules.toml)", "Rules files (*.toml),*.toml"
End Sub

Sub NmrXlChooseMue(control As IRibbonControl)
    NmrXlChooseFiles "{MUE_KEY}", "CMS MUE practitioner files (one or several quarters)", _
        "CSV files (*.csv),*.csv"
End Sub

Sub NmrXlChooseNcci(control As IRibbonControl)
    NmrXlChooseFiles "{NCCI_KEY}", "CMS NCCI practitioner PTP files (select all of them)", _
        "PTP files (*.txt),*.txt"
End Sub

Sub NmrXlBundledRules(control As IRibbonControl)
    SaveConfigToFile GetConfigFilePath(), "{RULES_KEY}", ""
    SaveConfigToFile GetConfigFilePath(), "{MUE_KEY}", ""
    NmrXlSaveSetting "{NCCI_KEY}", ""
End Sub

Sub NmrXlWindowsOnly(control As IRibbonControl, ByRef returnedVal)
    ' Worksheet functions need Excel for Windows: so does a copy without them.
    #If Mac Then
        returnedVal = False
    #Else
        returnedVal = True
    #End If
End Sub

Private Sub NmrXlChooseFile(settingKey As String, dialogTitle As String, fileFilter As String)
    Dim chosen As Variant
    #If Mac Then
        chosen = Application.GetOpenFilename(, , dialogTitle)
    #Else
        chosen = Application.GetOpenFilename(fileFilter & ",All files (*.*),*.*", 1, dialogTitle)
    #End If
    If VarType(chosen) = vbBoolean Then Exit Sub  ' cancelled
    NmrXlSaveSetting settingKey, CStr(chosen)
End Sub

Private Sub NmrXlChooseFiles(settingKey As String, dialogTitle As String, fileFilter As String)
    ' Several files, saved as one setting with "{PATH_SEPARATOR}" between the paths.
    Dim chosen As Variant, paths As String, i As Long
    #If Mac Then
        chosen = Application.GetOpenFilename(, , dialogTitle)  ' one file at a time
        If VarType(chosen) = vbBoolean Then Exit Sub
        paths = CStr(chosen)
    #Else
        chosen = Application.GetOpenFilename(fileFilter & ",All files (*.*),*.*", 1, _
            dialogTitle, , True)
        If Not IsArray(chosen) Then Exit Sub
        For i = LBound(chosen) To UBound(chosen)
            If Len(paths) > 0 Then paths = paths & "{PATH_SEPARATOR}"
            paths = paths & chosen(i)
        Next i
    #End If
    NmrXlSaveSetting settingKey, paths
End Sub

Private Sub NmrXlSaveSetting(settingKey As String, settingValue As String)
    ' The user's settings file (nmr-xl.conf), then what Python makes of the files now.
    SaveConfigToFile GetConfigFilePath(), settingKey, settingValue
    NmrXlRun "{_RUN}show_settings()"
End Sub

Private Sub NmrXlRun(pythonCommand As String)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a workbook first: nmr-xl works on the workbook in front.", _
            vbInformation, "nmr-xl"
        Exit Sub
    End If
    RunPython pythonCommand
End Sub
"""

WORKBOOK_OPEN = f"""\
Private Sub Workbook_Open()
    {DESCRIBE_MACRO}
End Sub
"""

CORE_PROPERTIES = f"""\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties \
xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<dc:title>nmr-xl</dc:title>\
<dc:description>Billing-compliance checks for chiropractic and physical-therapy billing \
sheets: the nmr-xl tab checks the active sheet in place; =NMR_CHECK and the other worksheet \
functions check lines as you type.</dc:description>\
<dc:creator>nmr-xl</dc:creator><cp:lastModifiedBy>nmr-xl addin build</cp:lastModifiedBy>\
<dcterms:created xsi:type="dcterms:W3CDTF">{_DOC_DATE}</dcterms:created>\
<dcterms:modified xsi:type="dcterms:W3CDTF">{_DOC_DATE}</dcterms:modified>\
</cp:coreProperties>"""

_SHEET = "xl/worksheets/sheet1.xml"
_STRINGS = "xl/sharedStrings.xml"
_WORKBOOK = "xl/workbook.xml"
_VBA_PROJECT = "xl/vbaProject.bin"


class AddinError(Exception):
    """The add-in cannot be built or installed here: one line for the user."""


def build_addin(out: Path) -> Path:
    """Write nmr-xl.xlam, built from xlwings' template, to `out`."""
    try:  # olefile and oletools (the `test` extra) are needed here only, not by `install`
        from nmr_xl.excel.vba import module_sources, replace_module_sources
    except ImportError as exc:
        raise AddinError(f'building the add-in needs {exc.name}: pip install "nmr-xl[test]"') \
            from None

    parts = _read_zip(_template_path().read_bytes())
    template = module_sources(parts[_VBA_PROJECT])
    parts["customUI/customUI.xml"] = RIBBON_XML.encode("utf-8")
    parts[_VBA_PROJECT] = replace_module_sources(parts[_VBA_PROJECT], {
        RIBBON_MODULE: ribbon_module_source(),
        WORKBOOK_MODULE: _crlf(template[WORKBOOK_MODULE] + WORKBOOK_OPEN),
        XLWINGS_MODULE: _no_workbook_settings(_named_project(template[XLWINGS_MODULE])),
    })
    parts[_WORKBOOK] = _activate_settings_sheet(parts[_WORKBOOK])
    parts.update(_settings_parts(parts[_SHEET], SETTINGS))
    parts["docProps/core.xml"] = CORE_PROPERTIES.encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_write_zip(parts))
    return out


def ribbon_module_source() -> str:
    """RibbonMyAddin: the ribbon's callbacks, then the worksheet functions as xlwings' importer
    writes them into its module xlwings_udfs (with that module's #Const App line, which its
    #If lines read), then the macro giving them their help."""
    from nmr_xl.excel import functions
    from nmr_xl.excel.udf_vba import describe_functions, module_functions, wrappers

    found = module_functions(functions)
    return _crlf(
        f'Attribute VB_Name = "{RIBBON_MODULE}"\n'
        "' nmr-xl: the ribbon's callbacks and the worksheet functions, written by "
        "`nmr-xl addin build`.\n"
        "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel\n\n"
        f"{RIBBON_CALLBACKS}\n"
        "' --- The worksheet functions: what xlwings' ImportPythonUDFs writes for "
        f"{UDF_MODULE} ---\n\n"
        f"{wrappers(found, UDF_MODULE)}"
        f"{describe_functions(found, functions.CATEGORY, DESCRIBE_MACRO)}")


def _named_project(xlwings_module: str) -> str:
    """xlwings' module with PROJECT_NAME "nmr-xl" instead of the template's "myaddin"."""
    old = f'Public Const PROJECT_NAME As String = "{TEMPLATE_PROJECT_NAME}"'
    if xlwings_module.count(old) != 1:
        raise AddinError(f"xlwings' template has no line {old}")
    return xlwings_module.replace(old, f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"')


# xlwings' GetConfig lets a settings sheet inside the *active* workbook, or a settings file
# beside it, override the add-in's own settings (the interpreter included). A workbook received
# by e-mail must never choose which program the add-in starts, so those two layers are switched
# off: settings come from the add-in's own sheet and the user's nmr-xl.conf only.
WORKBOOK_SETTINGS_LINES = {
    '            If SheetExists(ActiveWorkbook, PROJECT_NAME & ".conf") = True Then':
        "            If False Then ' nmr-xl: never settings from the workbook being checked",
    '            If GetFullName(ActiveWorkbook) <> "" Then '
    "' Empty if local dir can't be figured out (e.g. SharePoint)":
        "            If False Then ' nmr-xl: never settings from the workbook's folder",
}


def _no_workbook_settings(xlwings_module: str) -> str:
    """xlwings' module without the settings layers a received workbook could control."""
    for old, new in WORKBOOK_SETTINGS_LINES.items():
        if xlwings_module.count(old) != 1:
            raise AddinError(f"xlwings' template has no line {old.strip()}")
        xlwings_module = xlwings_module.replace(old, new)
    return xlwings_module


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def shipped_addin() -> Path:
    """The add-in in the wheel, or the repository's own when run from a checkout."""
    packaged = resources.files("nmr_xl.excel") / ADDIN_NAME
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "workbooks" / ADDIN_NAME
    if not checkout.is_file():
        raise AddinError(f"{ADDIN_NAME} is missing from this installation; reinstall nmr-xl")
    return checkout


def with_settings(xlam: bytes, settings: tuple[Setting, ...]) -> bytes:
    """The add-in `xlam` with its settings sheet holding `settings`, everything else as it was."""
    parts = _read_zip(xlam)
    parts.update(_settings_parts(parts[_SHEET], settings))
    return _write_zip(parts)


def require_xlwings() -> None:
    try:
        installed = importlib.metadata.version("xlwings")
    except importlib.metadata.PackageNotFoundError:
        raise AddinError('the Excel add-in needs xlwings: pip install "nmr-xl[excel]"') from None
    if installed != XLWINGS_VERSION:
        raise AddinError(f"the add-in is built for xlwings {XLWINGS_VERSION} but {installed} is "
                         f"installed: pip install xlwings=={XLWINGS_VERSION}")


def _template_path() -> Path:
    require_xlwings()
    return Path(str(resources.files("xlwings") / TEMPLATE_NAME))


def _activate_settings_sheet(workbook: bytes) -> bytes:
    """The template ships its settings sheet disabled (a leading "_"), named after its project:
    it becomes the active settings sheet of ours."""
    disabled = f'name="_{TEMPLATE_PROJECT_NAME}.conf"'.encode()
    if workbook.count(disabled) != 1:
        raise AddinError(f"xlwings' template has no sheet _{TEMPLATE_PROJECT_NAME}.conf")
    return workbook.replace(disabled, f'name="{SETTINGS_SHEET}"'.encode())


def _settings_parts(sheet: bytes, settings: tuple[Setting, ...]) -> dict[str, bytes]:
    """The settings sheet (key in column A, value in B) and its shared strings, laid into the
    template's sheet XML in place of its rows."""
    strings: list[str] = []

    def cell(ref: str, value: str | bool) -> str:
        if isinstance(value, bool):
            return f'<c r="{ref}" s="1" t="b"><v>{int(value)}</v></c>'
        if value not in strings:
            strings.append(value)
        return f'<c r="{ref}" s="1" t="s"><v>{strings.index(value)}</v></c>'

    rows = "".join(f'<row r="{n}" spans="1:2">{cell(f"A{n}", key)}{cell(f"B{n}", value)}</row>'
                   for n, (key, value) in enumerate(settings, start=1))
    text = sheet.decode("utf-8")
    text, dimensions = re.subn(r"<dimension [^>]*/>", f'<dimension ref="A1:B{len(settings)}" />',
                               text)
    text, data = re.subn(r"<sheetData>.*</sheetData>", f"<sheetData>{rows}</sheetData>", text,
                         flags=re.DOTALL)
    if (dimensions, data) != (1, 1):
        raise AddinError("the add-in's settings sheet is not laid out as expected")
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    table = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>')
    return {_SHEET: text.encode("utf-8"), _STRINGS: table.encode("utf-8")}


def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(parts):  # "[Content_Types].xml" sorts first, as Office writes it
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 0  # not the building platform's (3 on Linux and macOS)
            archive.writestr(info, parts[name])
    return buffer.getvalue()
