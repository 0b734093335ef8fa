"""The VBA the add-in carries for its worksheet functions, written at build time, so nothing needs
xlwings' "Import functions" (which edits the VBA project from Python and so needs Excel's "Trust
access to the VBA project object model" setting).

- wrappers(): one VBA function per Python function, the text xlwings' importer writes for it
  (xlwings.udfs.generate_vba_wrapper, for an add-in); tests/test_addin.py compares the two.
- describe_functions(): a macro registering what the importer registers after importing (each
  function's description, category and argument help, through Application.MacroOptions), which
  the add-in runs when it opens: Excel keeps argument help only for the session.

Only the part of xlwings' generator our functions use is written: plain and optional arguments,
call_in_wizard. A function asking for more (*args, a `caller` argument, volatile, a Sub) is
refused rather than wrapped differently from xlwings.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

_INDENT = "    "
_MAX_LINE = 1024  # xlwings' VBAWriter splits longer lines; ours never are
_MAX_DOC = 255  # Excel's limit for a description; xlwings cuts there too


@dataclass(frozen=True)
class Argument:
    name: str
    optional: bool
    doc: str


@dataclass(frozen=True)
class WorksheetFunction:
    """What the add-in needs to know of one Python worksheet function."""

    name: str
    arguments: tuple[Argument, ...]
    call_in_wizard: bool
    description: str

    @classmethod
    def of(cls, udf: Callable[..., Any]) -> WorksheetFunction:
        hints = typing.get_type_hints(udf, include_extras=True)
        arguments = []
        for position, param in enumerate(inspect.signature(udf).parameters.values(), start=1):
            if param.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD or param.name == "caller":
                raise ValueError(f"{udf.__name__}({param.name}): only plain and optional "
                                 "arguments are written into the add-in")
            extras: dict[str, Any] = getattr(hints.get(param.name), "__metadata__", ({},))[0]
            arguments.append(Argument(param.name, param.default is not inspect.Parameter.empty,
                                      extras.get("doc", f"Positional argument {position}")))
        # xlwings describes a function by its docstring as it stands, or by where it is defined
        description = udf.__doc__ or (f"Python function '{udf.__name__}' defined in "
                                      f"'{udf.__code__.co_filename}'.")
        return cls(udf.__name__, tuple(arguments), udf.call_in_wizard,  # type: ignore[attr-defined]
                   description)


def module_functions(module: ModuleType) -> list[WorksheetFunction]:
    """The module's worksheet functions (marked by @worksheet_function), in the order xlwings'
    importer finds them: dir(module), which is alphabetical."""
    found = (getattr(module, name) for name in dir(module))
    return [WorksheetFunction.of(f) for f in found
            if callable(f) and hasattr(f, "call_in_wizard")]


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, depth: int, text: str) -> None:
        line = _INDENT * depth + text
        if len(line) > _MAX_LINE:
            raise ValueError(f"VBA line longer than {_MAX_LINE} characters: {line[:60]}...")
        self.lines.append(line)


def wrappers(functions: Iterable[WorksheetFunction], module_name: str) -> str:
    """The wrappers xlwings' importer writes for `functions` of the Python module `module_name`,
    for an add-in (the workbook passed to Python is ActiveWorkbook), lines ending in "\\n"."""
    out = _Lines()
    for f in functions:
        params = ", ".join(("Optional " if a.optional else "") + a.name for a in f.arguments)
        args = "Array(" + ", ".join(a.name for a in f.arguments) + ")"
        call = f'XLPy.CallUDF("{module_name}", "{f.name}", {args}'
        out.add(0, f"Function {f.name}({params})")
        if not f.call_in_wizard:
            out.add(1, 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then '
                       "Exit Function")
        out.add(1, '#If App = "Microsoft Excel" Then')
        out.add(2, "If TypeOf Application.Caller Is Range Then On Error GoTo failed")
        out.add(2, f"{f.name} = {call}, ActiveWorkbook, Application.Caller)")
        out.add(2, "Exit Function")
        out.add(1, "#Else")
        out.add(2, f"{f.name} = {call})")
        out.add(2, "Exit Function")
        out.add(1, "#End If")
        out.add(0, "failed:")
        out.add(1, f"{f.name} = Err.Description")
        out.add(0, "End Function")
        out.add(0, "")
    return "".join(line + "\n" for line in out.lines)


def describe_functions(functions: Iterable[WorksheetFunction], category: str,
                       macro: str) -> str:
    """A VBA Sub `macro` giving each function the description, category and argument help
    xlwings' importer gives it (Application.MacroOptions), lines ending in "\\n". Failing
    silently: without it the functions still work, only Insert Function shows less."""
    out = _Lines()
    out.add(0, f"Sub {macro}()")
    out.add(1, "' Insert Function's help for the worksheet functions, as xlwings' import "
               "registers it.")
    # Compiled only where the functions exist: Excel for Windows 2010 or newer (VBA7), whose
    # MacroOptions knows ArgumentDescriptions. Elsewhere an unknown named argument would stop
    # the whole module, the ribbon's macros with it, from compiling.
    out.add(1, "#If VBA7 And Not Mac Then")
    out.add(2, "On Error Resume Next")
    for f in functions:
        docs = ", ".join(_vba_string(a.doc[:_MAX_DOC]) for a in f.arguments)
        out.add(2, f"Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!{f.name}\", _")
        out.add(3, f"Description:={_vba_string(f.description[:_MAX_DOC])}, _")
        out.add(3, f"Category:={_vba_string(category)}, _")
        out.add(3, f"ArgumentDescriptions:=Array({docs})")
    out.add(2, "ThisWorkbook.Saved = True  ' nothing for Excel to offer to save")
    out.add(1, "#End If")
    out.add(0, "End Sub")
    return "".join(line + "\n" for line in out.lines)


def _vba_string(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise ValueError(f"a VBA string cannot hold a line break: {text[:60]!r}")
    return '"' + text.replace('"', '""') + '"'
