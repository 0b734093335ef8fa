"""Rule documentation generated from the registry: `nmr-xl explain`, the README's rule table,
docs/rules.md and tests/rule_catalogue.toml.

    python -m nmr_xl.docs            # write the generated files of this checkout
    python -m nmr_xl.docs --check    # list the stale ones and exit 1 (what the test runs)

Nothing here is written by hand twice: a rule's code, name, severity, docs and settings are
declared once (nmr_xl/rules/), and a test fails when a generated file no longer matches them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import textwrap
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nmr_xl.config.core import CORE_SETTINGS
from nmr_xl.config.dated import Version, as_date, bounds, is_versions
from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.config.schema import ListOf, MapOf, Setting, Versions
from nmr_xl.rules import Rule, all_rules, all_settings
from nmr_xl.rules.registry import RETIRED

ROOT = Path(__file__).resolve().parents[1]
README = Path("README.md")
REFERENCE = Path("docs") / "rules.md"
CATALOGUE = Path("tests") / "rule_catalogue.toml"
COMMAND = "python -m nmr_xl.docs"
_TABLE = re.compile(r"(<!-- rules:start -->\n)(.*?)(\n<!-- rules:end -->)", re.DOTALL)
_SHORT = 100  # a default longer than this is summarised in docs/rules.md


def _scope(rule_: Rule) -> str:
    return "payers with medicare = true" if rule_.medicare_only else "every payer"


def toml_value(value: Any) -> str:
    """A rules.toml value as it would be written there: "cms", 480, true, ["97112"]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _raw(data: Mapping[str, Any], setting: Setting[Any]) -> Any:
    for part in setting.key.split("."):
        if part not in data and setting.absent is not None:
            return setting.absent  # left out everywhere ([[layouts]])
        data = data[part]
    return data


def setting_values(setting: Setting[Any], config: Config) -> list[tuple[str, Any]]:
    """(where, raw value) of a setting in a loaded rules file: one entry for a plain setting,
    one per profile that sets it for a per-payer one."""
    if not setting.profile:
        return [(setting.key, _raw(config.raw, setting))]
    profiles = config.raw.get("profiles", {})
    return [(f"profiles.{pid}.{setting.key}", table[setting.key])
            for pid, table in profiles.items() if setting.key in table]


def raw_versions(raw: Any) -> list[Version[str]] | None:
    """The versions of a dated value as written (values shown as in rules.toml, "not set" for
    a version without one); None for a plain value."""
    if not is_versions(raw):
        return None
    versions = [Version(toml_value(entry["value"]) if "value" in entry else "not set",
                        *bounds(entry), str(entry.get("source", ""))) for entry in raw]
    return sorted(versions, key=lambda v: v.start or dt.date.min)


def version_text(version: Version[str], as_of: dt.date | None = None) -> str:
    """"18 until 2025-10-28 (secondary: ...)", marked when it is in force on `as_of`."""
    mark = f" [in force on {as_of.isoformat()}]" if as_of and version.covers(as_of) else ""
    source = f" ({version.source})" if version.source else ""
    return f"{version.value} {version.period}{mark}{source}"


def value_text(raw: Any, as_of: dt.date | None = None) -> str:
    """A setting's raw value for a person: as in rules.toml, or its versions."""
    versions = raw_versions(raw)
    if versions is None:
        return toml_value(raw)
    return "; ".join(version_text(v, as_of) for v in versions)


def _fill(head: str, items: list[str], sep: str, end: str = "") -> list[str]:
    """`head`, then `items` joined by `sep`, wrapped at 88 columns between items only (a phrase
    of a list is never cut in two); continuation lines indented under the head."""
    pieces = [item + sep for item in items[:-1]] + [items[-1] + end]
    lines = [f"  {head}"]
    for piece in pieces:
        if len(lines[-1]) + 1 + len(piece) > 88 and lines[-1] != f"  {head}":
            lines.append(f"      {piece}")
        else:
            lines[-1] += piece if lines[-1].endswith("[") else f" {piece}"
    return lines


def _versions_lines(where: str, versions: list[Version[str]], as_of: dt.date | None
                    ) -> list[str]:
    wrap = textwrap.TextWrapper(width=88, initial_indent="    ", subsequent_indent="      ")
    return [f"  {where}, by date of service:",
            *(wrap.fill(version_text(v, as_of)) for v in versions)]


def _setting_lines(setting: Setting[Any], config: Config, as_of: dt.date | None = None
                   ) -> list[str]:
    """The setting's value(s) in `config` and its docs, wrapped for a terminal; a dated
    setting's versions one a line, the one in force on `as_of` marked."""
    values = setting_values(setting, config)
    lines: list[str] = []
    if setting.profile:
        absent = "not set" if setting.absent is None else toml_value(setting.absent)
        shown = []
        for where, value in values:
            versions = raw_versions(value)
            if versions is None:
                shown.append(f"{where.split('.')[1]} = {toml_value(value)}")
            else:
                lines += _versions_lines(where, versions, as_of)
        lines = _fill(f"{setting.path}:", [*shown, f"a profile without it: {absent}"], ";") \
            + lines
    else:
        ((where, value),) = values
        versions = raw_versions(value)
        if _is_bulky(setting, value):
            lines = [f"  {where}: {_bulky_text(value)}"]
        elif versions is not None:
            lines = _versions_lines(where, versions, as_of)
        elif isinstance(value, Mapping):  # a table of values, each maybe dated
            for key, raw in value.items():
                versions = raw_versions(raw)
                lines += _versions_lines(f"{where}.{key}", versions, as_of) if versions else \
                    [f"  {where}.{key} = {toml_value(raw)}"]
        elif isinstance(value, list) and value:
            lines = _fill(f"{where} = [", [toml_value(v) for v in value], ",", "]")
        else:
            lines = [f"  {where} = {toml_value(value)}"]
    docs = textwrap.TextWrapper(width=88, initial_indent="    ", subsequent_indent="    ")
    return [*lines, docs.fill(setting.docs)]


def explain_text(rule_: Rule, config: Config, as_of: dt.date | None = None) -> str:
    """`nmr-xl explain CODE`: the rule's docs, then the settings it reads with their values in
    `config` (the bundled defaults, or a practice's rules file over them); of a dated setting,
    every version with its source, the one in force on `as_of` marked."""
    d = rule_.docs
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    sections = [
        ("What it checks", d.what), ("Why", d.why), ("Example", d.example),
        ("Configuration", d.configuration), (f"Source ({d.source_kind})", d.source),
        ("Source version", d.source_version),
    ]
    lines = [f"{rule_.code} {rule_.name} ({rule_.severity.value}; applies to {_scope(rule_)})",
             "", d.summary]
    for title, body in sections:
        lines += ["", f"{title}:", wrap.fill(body)]
    changes = config.changes_of(rule_.code)
    if changes:
        item = textwrap.TextWrapper(width=88, initial_indent="  - ", subsequent_indent="    ")
        lines += ["", "Changes (the change log of rules.toml, oldest first):",
                  *(item.fill(change.text()) for change in changes)]
    if rule_.settings:
        lines += ["", "Settings (rules.toml, as loaded):"]
        for setting in rule_.settings:
            lines += _setting_lines(setting, config, as_of)
    return "\n".join(lines)


def dated_data_text(config: Config, as_of: dt.date) -> list[str]:
    """`nmr-xl rules`: every dated datum's version in force on `as_of`, with its source."""
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="      ")
    lines = [f"Dated data in force on {as_of.isoformat()} (a line is checked against the "
             "version in force on its date of service):"]
    for setting in all_settings():
        if not setting.dated:
            if isinstance(setting.check, MapOf) and isinstance(setting.check.value, Versions):
                ((where, table),) = setting_values(setting, config)  # a table of dated values
                lines += [_in_force(f"{where}.{key}", raw, as_of, wrap)
                          for key, raw in table.items()]
            continue
        for where, raw in setting_values(setting, config):
            lines.append(_in_force(where, raw, as_of, wrap))
    return lines


def _in_force(where: str, raw: Any, as_of: dt.date, wrap: textwrap.TextWrapper) -> str:
    versions = raw_versions(raw)
    if versions is None:
        return wrap.fill(f"{where} = {toml_value(raw)} (undated)")
    version = next((v for v in versions if v.covers(as_of)), None)
    return wrap.fill(f"{where} = " + (version_text(version) if version else
                                      "none in force on this date"))


def _kinds(sources: list[str]) -> str:
    """"secondary" / "primary" / "2 primary, 17 secondary" for a list of source strings."""
    kinds = [m.group(0) if (m := re.match(r"\w+", s.strip())) else "no source"
             for s in sources]
    counted = {k: kinds.count(k) for k in dict.fromkeys(kinds)}
    return next(iter(counted)) if len(counted) == 1 else ", ".join(
        f"{n} {k}" for k, n in counted.items())


def reference_text(config: Config, as_of: dt.date) -> list[str]:
    """`nmr-xl rules`: the vintage of the bundled data and of the CMS files loaded, and whether
    they cover `as_of`."""
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="      ")
    reviewed = as_date(config.raw.get("vintage", {}).get("reviewed"))
    lines = ["Reference data:"]
    if reviewed:
        lines.append(wrap.fill(f"The bundled data was last compared with its sources on "
                               f"{reviewed.isoformat()}."))
    pairs = config.raw.get("ncci", [])
    undated = sum(1 for p in pairs if "from" not in p and "until" not in p)
    ncci = (f"NCCI pairs (NMR306): {len(pairs)} in the rules, "
            f"{_kinds([p.get('source', '') for p in pairs])}, {undated} undated; ")
    if config.ptp_files:
        current = max((f.current_until for f in config.ptp_files if f.current_until),
                      default=None)
        names = ", ".join(f.name for f in config.ptp_files)
        ncci += f"CMS PTP files {names}: latest edits current until {current}"
        ncci += (f" (before {as_of.isoformat()}: load the current quarter's files)."
                 if current and current < as_of else ", replacing the pairs they hold.")
    else:
        ncci += "no CMS PTP file loaded: load the current quarter's (--ncci or ncci_file)."
    lines.append(wrap.fill(ncci))
    table = config.raw.get("mue", {})
    sources = [v[0].get("source", "") if raw_versions(v) else "" for v in table.values()]
    mue = (f"MUE values (NMR105): {len(table)} in the rules ({', '.join(table)}), "
           f"{_kinds(sources)}; ")
    files = config.mue.files
    if files:
        spans = []
        for index, file in enumerate(files):
            first, last = config.mue.period(index)
            span = "every date" if first is None else f"{first} to {last}"
            spans.append(f"{file.name} in force {span}")
        mue += "CMS MUE files " + "; ".join(spans)
        mue += "." if config.mue.covers(as_of) else \
            f" ({as_of.isoformat()} is outside them: load the MUE file of its quarter)."
    else:
        mue += "no CMS MUE file loaded: load the current quarter's (--mue or mue_file)."
    lines.append(wrap.fill(mue))
    return lines


def rules_table() -> str:
    """The README's rule table (`nmr-xl rules --markdown`)."""
    rows = ["| code | name | default | source | what it catches |",
            "|---|---|---|---|---|"]
    for rule_ in all_rules():
        scope = " (Medicare payers)" if rule_.medicare_only else ""
        rows.append(f"| {rule_.code} | `{rule_.name}` | {rule_.severity.value}{scope} | "
                    f"{rule_.docs.source_kind} | {rule_.docs.summary} |")
    return "\n".join(rows)


def _default_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_default_text(raw)}" for key, raw in value.items())
    if is_versions(value):
        return "by date of service: " + "; ".join(
            f"`{v.value}` {v.period}" + (f" ({v.source})" if v.source else "")
            for v in raw_versions(value) or ())
    text = toml_value(value)
    if len(text) <= _SHORT or not isinstance(value, list):
        return f"`{text}`"
    return f"`{toml_value(value[:3])[:-1]}, ...]` ({len(value)} entries; see rules.toml)"


def _is_bulky(setting: Setting[Any], value: Any) -> bool:
    """An array of tables, or a table of tables (or of many lists): summarised, not printed."""
    if isinstance(setting.check, ListOf):
        return True
    return isinstance(value, Mapping) and not is_versions(value) and (
        len(value) > 8 or any(isinstance(v, Mapping) for v in value.values()))


def _bulky_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"{len(value)} entries ({', '.join(value)}; see rules.toml)"
    return f"{len(value)} entries (see rules.toml)" if value else "none"


def _setting_md(setting: Setting[Any], defaults: Config, read_by: str) -> list[str]:
    out = [f"### `{setting.path}`", "", setting.docs, ""]
    values = setting_values(setting, defaults)
    if setting.profile:
        absent = "not set" if setting.absent is None else f"`{toml_value(setting.absent)}`"
        out.append(f"- A profile without it: {absent}")
        out.append("- Bundled profiles: " + ("; ".join(
            f"{where.split('.')[1]} = {_default_text(value)}" for where, value in values)
            or "none sets it"))
    else:
        value = values[0][1]
        shown = _bulky_text(value) if _is_bulky(setting, value) else _default_text(value)
        out.append(f"- Default: {shown}")
    if setting.extends:
        out.append("- A practice's list is added to the default list." if not isinstance(
            setting.check, dict | MapOf | ListOf) else "- A practice's entries are added to ours.")
    if setting.dated:
        out.append("- Dated: may be written as versions in force between dates, each with "
                   "its source (see the README, \"Dated data\").")
    out.append(f"- Read by: {read_by}")
    out.append("")
    return out


def setting_readers(setting: Setting[Any]) -> str:
    """Who reads a setting: a core setting's reader, or the codes of the rules that list it."""
    return setting.read_by or ", ".join(r.code for r in all_rules() if setting in r.settings)


def _settings_md(rules: list[Rule], defaults: Config) -> list[str]:
    declared = {setting.path: setting for rule_ in rules for setting in rule_.settings}
    out = ["## Settings", "",
           "Each setting the rules read, its default (the bundled `rules.toml`) and the rules "
           "that read it. `profiles.<id>.KEY` is a key of every payer profile.", ""]
    for path in sorted(declared):
        out += _setting_md(declared[path], defaults, setting_readers(declared[path]))
    out += ["## Core settings", "",
            "The settings the reader, the engine and the loader read rather than a rule, "
            "declared the same way (nmr_xl/config/core.py), with their defaults and who reads "
            "them. `nmr-xl explain KEY` shows any setting's value in your rules file.", ""]
    for setting in sorted(CORE_SETTINGS, key=lambda s: s.key):
        out += _setting_md(setting, defaults, setting.read_by)
    return out


def find_setting(key: str) -> Setting[Any] | None:
    """A setting by its key or path ("settings.date_order", "profiles.<id>.unit_method")."""
    return next((s for s in (*CORE_SETTINGS, *all_settings()) if key in (s.key, s.path)),
                None)


def setting_text(setting: Setting[Any], config: Config, as_of: dt.date | None = None) -> str:
    """`nmr-xl explain KEY`: a setting's value in `config` (its versions, the one in force on
    `as_of` marked), its docs and who reads it."""
    return "\n".join([f"{setting.path} (read by {setting_readers(setting)})", "",
                      *_setting_lines(setting, config, as_of)])


def rules_reference() -> str:
    """docs/rules.md: every rule's full documentation and the settings it reads."""
    rules = list(all_rules())
    defaults = load_config()
    out = ["# Rule reference", "",
           f"<!-- Generated by `{COMMAND}` from the rule registry (nmr_xl/rules/); "
           "do not edit by hand. -->", "",
           "Every rule nmr-xl checks: what it checks, why, an example, how to configure it, "
           "its source (primary or secondary) and the `rules.toml` settings it reads. "
           "`nmr-xl explain CODE` prints the same for one rule, with the values of your own "
           "rules file. Rule codes are never renumbered or reused.", ""]
    for rule_ in rules:
        d = rule_.docs
        out += [f"## {rule_.code} `{rule_.name}`", "",
                f"Default severity: **{rule_.severity.value}**; applies to {_scope(rule_)}.",
                "", d.summary, "",
                f"- **What it checks:** {d.what}",
                f"- **Why:** {d.why}",
                f"- **Example:** {d.example}",
                f"- **Configuration:** {d.configuration}",
                f"- **Source ({d.source_kind}):** {d.source}",
                f"- **Source version:** {d.source_version}"]
        changes = defaults.changes_of(rule_.code)
        if changes:
            out.append("- **Changes:**")
            out += [f"  - {change.text()}" for change in changes]
        if rule_.settings:
            out.append("- **Settings:** " + ", ".join(f"`{s.path}`" for s in rule_.settings))
        out.append("")
    out += _settings_md(rules, defaults)
    return "\n".join(out).rstrip("\n") + "\n"


def catalogue() -> str:
    """tests/rule_catalogue.toml: the reviewed contract of codes, names and severities, and
    each rule's change log (entries are only ever added: `write` refuses to drop one)."""
    defaults = load_config()
    out = [f"# The rule catalogue, generated by `{COMMAND}` from the rule registry and the",
           "# change log of rules.toml. Rule codes are a public contract: never renumbered or",
           "# reused. A rename, a re-grade, a removed rule or a new change-log entry shows up",
           "# here as a diff for review; tests/test_rule_docs.py checks the registry against it,",
           f"# and `{COMMAND}` refuses to drop or rewrite a change already recorded here."]
    live = {rule_.code: rule_ for rule_ in all_rules()}
    for code in sorted({*live, *RETIRED}):
        out += ["", f"[{code}]"]
        if code in RETIRED:  # kept, so the code is never used again
            gone = RETIRED[code]
            out += [f"name = {toml_value(gone.name)}", f"retired = {gone.retired.isoformat()}",
                    f"why = {toml_value(gone.why)}"]
            if gone.replaced_by:
                out.append(f"replaced_by = {toml_value(list(gone.replaced_by))}")
            continue
        rule_ = live[code]
        out += [f"name = {toml_value(rule_.name)}",
                f"severity = {toml_value(rule_.severity.value)}",
                f"medicare_only = {toml_value(rule_.medicare_only)}"]
        changes = [change.text() for change in defaults.changes_of(rule_.code)]
        if changes:
            out += ["changes = [", *(f"  {toml_value(text)}," for text in changes), "]"]
    return "\n".join(out) + "\n"


def rewritten_history(root: Path = ROOT) -> list[str]:
    """Change-log entries of the committed catalogue that the registry's would lose (a changed
    datum is a new dated entry, never an edit of an old one), and codes it would drop (a rule
    taken out keeps its code in nmr_xl/rules/retired.toml)."""
    path = root / CATALOGUE
    if not path.is_file():
        return []
    recorded = tomllib.loads(path.read_text(encoding="utf-8"))
    now = tomllib.loads(catalogue())
    dropped = [f"{code}: rule code dropped; a rule taken out keeps its code in "
               "nmr_xl/rules/retired.toml" for code in recorded if code not in now]
    return dropped + [f"{code}: {text}" for code, entry in recorded.items()
                      for text in entry.get("changes", ())
                      if text not in now.get(code, {}).get("changes", ())]


def _readme(current: str) -> str:
    if not _TABLE.search(current):
        raise ValueError(f"{README} lacks the <!-- rules:start --> / <!-- rules:end --> markers")
    return _TABLE.sub(lambda m: m.group(1) + rules_table() + m.group(3), current, count=1)


def generated(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file of a checkout (relative path -> content it must have)."""
    readme = (root / README).read_text(encoding="utf-8")
    return {README: _readme(readme), REFERENCE: rules_reference(), CATALOGUE: catalogue()}


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose content differs from what the registry gives."""
    return [path for path, text in generated(root).items()
            if not (root / path).is_file()
            or (root / path).read_text(encoding="utf-8") != text]


def write(root: Path = ROOT) -> list[Path]:
    """Write the stale generated files; return them."""
    changed = stale(root)
    for path, text in generated(root).items():
        if path in changed:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    return changed


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the stale files and exit 1 if there are any")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout to write into (default: this one)")
    args = parser.parse_args(None if argv is None else list(argv))
    lost = rewritten_history(args.root)
    if lost:
        for text in lost:
            print(f"change log entry dropped or rewritten: {text}", file=sys.stderr)
        print("Changes are dated entries that stay: add a new [[changes]] entry to rules.toml "
              "instead of editing or removing one. A rule code stays too: a rule taken out "
              "goes into nmr_xl/rules/retired.toml.", file=sys.stderr)
        return 1
    paths = stale(args.root) if args.check else write(args.root)
    for path in paths:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if args.check and paths else 0


if __name__ == "__main__":
    sys.exit(main())
