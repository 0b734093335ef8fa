"""Rule families. Importing this package registers every rule in RULES, so the look-ups here
see them all (the registry itself never imports the families: no import loop)."""

from collections.abc import Iterator
from typing import Any

from nmr_xl.config.schema import Setting
from nmr_xl.rules import lines, nmr, payer, time_units  # noqa: F401  (registration on import)
from nmr_xl.rules.registry import RULES, SETTINGS, Rule, level_for

__all__ = ["RULES", "SETTINGS", "Rule", "all_rules", "all_settings", "get_rule", "level_for"]


def all_rules() -> Iterator[Rule]:
    """Every rule, in code order."""
    yield from (RULES[c] for c in sorted(RULES))


def all_settings() -> Iterator[Setting[Any]]:
    """Every setting the registered rules read, by path."""
    yield from (SETTINGS[p] for p in sorted(SETTINGS))


def get_rule(code: str) -> Rule | None:
    return RULES.get(code.upper())
