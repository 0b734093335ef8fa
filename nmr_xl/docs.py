"""Rule documentation generated from the registry: `nmr-xl explain`, the README's rule table,
docs/rules.md and tests/rule_catalogue.toml.

    python -m nmr_xl.docs            # write the generated files of this checkout
    python -m nmr_xl.docs --check    # list the stale ones and exit 1 (what the test runs)

Nothing here is written by hand twice: a rule's code, name, severity, docs and settings are
declared once (nmr_xl/rules/), and a test fails when a generated file no longer matches them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.config.schema import Setting
from nmr_xl.rules import Rule, all_rules

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


def _raw(data: Mapping[str, Any], key: str) -> Any:
    for part in key.split("."):
        data = data[part]
    return data


def setting_values(setting: Setting[Any], config: Config) -> list[tuple[str, Any]]:
    """(where, raw value) of a setting in a loaded rules file: one entry for a plain setting,
    one per profile that sets it for a per-payer one."""
    if not setting.profile:
        return [(setting.key, _raw(config.raw, setting.key))]
    profiles = config.raw.get("profiles", {})
    return [(f"profiles.{pid}.{setting.key}", table[setting.key])
            for pid, table in profiles.items() if setting.key in table]


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


def _setting_lines(setting: Setting[Any], config: Config) -> list[str]:
    """The setting's value(s) in `config` and its docs, wrapped for a terminal."""
    values = setting_values(setting, config)
    if setting.profile:
        absent = "not set" if setting.absent is None else toml_value(setting.absent)
        shown = [f"{where.split('.')[1]} = {toml_value(value)}" for where, value in values]
        lines = _fill(f"{setting.path}:", [*shown, f"a profile without it: {absent}"], ";")
    else:
        ((where, value),) = values
        if isinstance(value, list) and value:
            lines = _fill(f"{where} = [", [toml_value(v) for v in value], ",", "]")
        else:
            lines = [f"  {where} = {toml_value(value)}"]
    docs = textwrap.TextWrapper(width=88, initial_indent="    ", subsequent_indent="    ")
    return [*lines, docs.fill(setting.docs)]


def explain_text(rule_: Rule, config: Config) -> str:
    """`nmr-xl explain CODE`: the rule's docs, then the settings it reads with their values in
    `config` (the bundled defaults, or a practice's rules file over them)."""
    d = rule_.docs
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    sections = [
        ("What it checks", d.what), ("Why", d.why), ("Example", d.example),
        ("Configuration", d.configuration), (f"Source ({d.source_kind})", d.source),
    ]
    lines = [f"{rule_.code} {rule_.name} ({rule_.severity.value}; applies to {_scope(rule_)})",
             "", d.summary]
    for title, body in sections:
        lines += ["", f"{title}:", wrap.fill(body)]
    if rule_.settings:
        lines += ["", "Settings (rules.toml, as loaded):"]
        for setting in rule_.settings:
            lines += _setting_lines(setting, config)
    return "\n".join(lines)


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
    text = toml_value(value)
    if len(text) <= _SHORT or not isinstance(value, list):
        return f"`{text}`"
    return f"`{toml_value(value[:3])[:-1]}, ...]` ({len(value)} entries; see rules.toml)"


def _settings_md(rules: list[Rule], defaults: Config) -> list[str]:
    readers: dict[str, list[str]] = {}
    declared: dict[str, Setting[Any]] = {}
    for rule_ in rules:
        for setting in rule_.settings:
            declared[setting.path] = setting
            readers.setdefault(setting.path, []).append(rule_.code)
    out = ["## Settings", "",
           "Each setting the rules read, its default (the bundled `rules.toml`) and the rules "
           "that read it. `profiles.<id>.KEY` is a key of every payer profile.", ""]
    for path in sorted(declared):
        setting = declared[path]
        out.append(f"### `{path}`")
        out.append("")
        out.append(setting.docs)
        out.append("")
        values = setting_values(setting, defaults)
        if setting.profile:
            absent = "not set" if setting.absent is None else f"`{toml_value(setting.absent)}`"
            out.append(f"- A profile without it: {absent}")
            out.append("- Bundled profiles: " + ("; ".join(
                f"{where.split('.')[1]} = {_default_text(value)}" for where, value in values)
                or "none sets it"))
        else:
            out.append(f"- Default: {_default_text(values[0][1])}")
        if setting.extends:
            out.append("- A practice's list is added to the default list.")
        out.append(f"- Read by: {', '.join(readers[path])}")
        out.append("")
    return out


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
                f"- **Source ({d.source_kind}):** {d.source}"]
        if rule_.settings:
            out.append("- **Settings:** " + ", ".join(f"`{s.path}`" for s in rule_.settings))
        out.append("")
    out += _settings_md(rules, defaults)
    return "\n".join(out).rstrip("\n") + "\n"


def catalogue() -> str:
    """tests/rule_catalogue.toml: the reviewed contract of codes, names and severities."""
    out = [f"# The rule catalogue, generated by `{COMMAND}` from the rule registry.",
           "# Rule codes are a public contract: never renumbered or reused. A rename, a re-grade",
           "# or a removed rule shows up here as a diff for review; tests/test_rule_docs.py",
           "# checks the registry against it."]
    for rule_ in all_rules():
        out += ["", f"[{rule_.code}]", f"name = {toml_value(rule_.name)}",
                f"severity = {toml_value(rule_.severity.value)}",
                f"medicare_only = {toml_value(rule_.medicare_only)}"]
    return "\n".join(out) + "\n"


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
    paths = stale(args.root) if args.check else write(args.root)
    for path in paths:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if args.check and paths else 0


if __name__ == "__main__":
    sys.exit(main())
