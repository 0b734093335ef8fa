"""The README's rule table is generated from the rule docs; this keeps the two in sync."""

from __future__ import annotations

import re
from pathlib import Path

from nmr_xl.cli import rules_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rule_table_matches_rule_docs() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules:start -->\n(.*?)\n<!-- rules:end -->", text, re.DOTALL)
    assert match, "README.md lacks the rules:start / rules:end markers"
    assert match.group(1) == rules_markdown(), (
        "README rule table is stale: paste the output of `nmr-xl rules --markdown`")
