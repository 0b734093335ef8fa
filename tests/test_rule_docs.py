"""Every rule is registered with a stable code, a kebab-case name and complete documentation, and
every rule has a fixture file with at least one firing and one clean case."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from nmr_xl.model import Severity
from nmr_xl.rules import RULES, all_rules, get_rule
from nmr_xl.rules.registry import parse_docs, rule

FIXTURES = Path(__file__).parent / "fixtures" / "rules"

# The rule catalogue (RULES.md): code -> (name, default severity). Codes are never renumbered
# or reused, so a rename or a re-grade here is a deliberate, reviewed change.
CATALOGUE = {
    "NMR001": ("missing-required-field", Severity.ERROR),
    "NMR002": ("unreadable-value", Severity.ERROR),
    "NMR003": ("duplicate-line", Severity.WARNING),
    "NMR004": ("future-date-of-service", Severity.ERROR),
    "NMR005": ("split-timed-code", Severity.WARNING),
    "NMR090": ("unused-suppression", Severity.INFO),
    "NMR101": ("timed-code-without-minutes", Severity.ERROR),
    "NMR102": ("units-exceed-time", Severity.ERROR),
    "NMR103": ("unit-allocation", Severity.WARNING),
    "NMR104": ("possible-underbilling", Severity.INFO),
    "NMR105": ("units-over-mue", Severity.ERROR),
    "NMR106": ("provider-day-over-capacity", Severity.WARNING),
    "NMR201": ("nmr-not-one-on-one", Severity.ERROR),
    "NMR202": ("nmr-for-muscle-work", Severity.WARNING),
    "NMR203": ("nmr-passive-device", Severity.WARNING),
    "NMR204": ("nmr-provider-not-qualified", Severity.ERROR),
    "NMR205": ("nmr-dx-not-neuromuscular", Severity.WARNING),
    "NMR206": ("nmr-for-strength-or-rom", Severity.WARNING),
    "NMR207": ("nmr-visit-frequency", Severity.WARNING),
    "NMR208": ("payer-excludes-nmr", Severity.ERROR),
    "NMR209": ("nmr-missing-goal", Severity.WARNING),
    "NMR301": ("medicare-dc-excluded-service", Severity.ERROR),
    "NMR302": ("medicare-cmt-modifier", Severity.ERROR),
    "NMR303": ("medicare-cmt-primary-dx", Severity.ERROR),
    "NMR304": ("therapy-modifier-missing", Severity.ERROR),
    "NMR305": ("assistant-modifier-missing", Severity.ERROR),
    "NMR306": ("ncci-pair-without-modifier", Severity.ERROR),
    "NMR307": ("conflicting-distinct-modifiers", Severity.WARNING),
    "NMR308": ("plan-of-care", Severity.ERROR),
    "NMR309": ("progress-report-due", Severity.WARNING),
}
MEDICARE_ONLY = {"NMR005", "NMR301", "NMR302", "NMR303", "NMR305", "NMR309"}

REGISTERED = sorted(RULES)


def test_rules_are_registered() -> None:
    assert REGISTERED, "no rules registered"
    assert [r.code for r in all_rules()] == REGISTERED  # code order


@pytest.mark.parametrize("code", REGISTERED)
def test_code_and_name(code: str) -> None:
    r = RULES[code]
    assert r.code == code
    assert re.fullmatch(r"NMR\d{3}", code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name)
    assert code in CATALOGUE, f"{code} is not in the rule catalogue (RULES.md)"
    assert (r.name, r.severity) == CATALOGUE[code]
    assert r.medicare_only == (code in MEDICARE_ONLY)
    assert get_rule(code.lower()) is r


def test_codes_and_names_are_unique() -> None:
    codes = [r.code for r in all_rules()]
    names = [r.name for r in all_rules()]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
    catalogue_names = [name for name, _ in CATALOGUE.values()]
    assert len(catalogue_names) == len(set(catalogue_names))


@pytest.mark.parametrize("code", REGISTERED)
def test_docs_sections(code: str) -> None:
    docs = RULES[code].docs
    for section in ("summary", "what", "why", "example", "source"):
        text = getattr(docs, section)
        assert len(text) >= 10, f"{code}: docs section {section!r} is empty or a stub"
    assert docs.configuration.strip(" ."), f"{code}: docs section 'configuration' is empty"
    assert docs.source_kind in ("primary", "secondary")
    assert "\n" not in docs.summary


@pytest.mark.parametrize("code", ["NMR205", "NMR207", "NMR208"])
def test_secondary_sources_say_so(code: str) -> None:
    """RULES.md: where the source is secondary or unconfirmed, the rule's docs must say so."""
    docs = RULES[code].docs
    assert docs.source_kind == "secondary"
    if code == "NMR205":
        assert "not a published list" in docs.source
    if code == "NMR208":
        assert "secondary copy" in docs.source


def test_registration_refuses_bad_declarations() -> None:
    with pytest.raises(ValueError, match="bad rule code"):
        rule("NMR1", "some-name", Severity.INFO, scope="line", target=RULES["NMR001"].target)
    with pytest.raises(ValueError, match="kebab-case"):
        rule("NMR998", "Some_Name", Severity.INFO, scope="line", target=RULES["NMR001"].target)
    with pytest.raises(TypeError, match="docstring"):
        parse_docs("NMR998", None)
    with pytest.raises(TypeError, match="Why"):
        parse_docs("NMR998", "Summary.\n\nWhat it checks: x.\nExample: y.\nConfiguration: none."
                             "\nSource (primary): z.")
    with pytest.raises(ValueError, match="registered twice"):
        rule("NMR001", "another-name", Severity.INFO, scope="line",
             target=RULES["NMR001"].target)(lambda line, ctx: ())
    assert "NMR998" not in RULES


# --- fixtures -------------------------------------------------------------------------------------


def fixture_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(FIXTURES.glob("*.toml"))}


@pytest.mark.parametrize("code", REGISTERED)
def test_every_rule_has_a_fixture_file_with_firing_and_clean_cases(code: str) -> None:
    path = fixture_files().get(code)
    assert path is not None, f"{code} has no fixture file {FIXTURES / (code + '.toml')}"
    cases = tomllib.loads(path.read_text(encoding="utf-8"))["case"]
    fires = [c for c in cases if any(e[1] == code for e in c["expect"])]
    clean = [c for c in cases if not c["expect"]]
    assert fires, f"{path.name}: no case where {code} fires"
    assert clean, f"{path.name}: no clean case (expect = [])"


def test_every_fixture_file_is_a_registered_rule() -> None:
    names = set(fixture_files())
    assert names, "no fixture files found"
    assert names <= set(RULES), f"fixtures for unknown rules: {sorted(names - set(RULES))}"
