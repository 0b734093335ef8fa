"""Rule families. Importing this package registers every rule in RULES."""

from nmr_xl.rules import lines, nmr, payer, time_units  # noqa: F401  (registration on import)
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
