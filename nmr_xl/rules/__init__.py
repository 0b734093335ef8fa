"""Rule families. Importing this package registers every rule in RULES."""

from nmr_xl.rules import lines, nmr, payer, policy, time_units  # noqa: F401  (registration)
from nmr_xl.rules.registry import (
    RULES,
    SETTINGS,
    Rule,
    all_rules,
    all_settings,
    get_rule,
    level_for,
)

__all__ = ["RULES", "SETTINGS", "Rule", "all_rules", "all_settings", "get_rule", "level_for"]
