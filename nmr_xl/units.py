"""Units from minutes: the CMS 8-minute rule with its allocation, and the AMA midpoint rule.

CMS (Pub. 100-04 ch. 5 §20.2): total the timed minutes of the visit; units = 0 below 8 minutes,
else (minutes + 7) // 15. Each code first gets minutes // 15; the remaining units go to the codes
with the largest leftover minutes, and on a tie either code may take it.
AMA/CPT: a unit is attained when the midpoint (8 of 15 minutes) is passed, code by code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def units_for_minutes(minutes: float) -> int:
    """Units that `minutes` of timed service support: 8-22 -> 1, 23-37 -> 2, ..."""
    whole = int(minutes)  # a fraction of a minute does not reach the next threshold
    return 0 if whole < 8 else (whole + 7) // 15


@dataclass(frozen=True)
class Allocation:
    """How many units each code may carry: exactly `low` when low == high, else either."""

    total: int
    low: Mapping[str, int]
    high: Mapping[str, int]

    def is_valid(self, billed: Mapping[str, int]) -> bool:
        """True when `billed` is one of the allocations the method allows."""
        return sum(billed.values()) == self.total and all(
            self.low.get(code, 0) <= billed.get(code, 0) <= self.high.get(code, 0)
            for code in set(billed) | set(self.low)
        )

    def units_of(self, code: str) -> str:
        """"2", or "0 or 1 (tie: ...)" for a code a tie may give a unit or not."""
        low, high = self.low[code], self.high[code]
        return f"{low}" if low == high else f"{low} or {high} ({self.tie_note()})"

    def tie_note(self) -> str:
        """How a tie is settled: CMS lets the biller choose which tied code takes the unit(s)
        left, never one code taking them twice."""
        tied = [code for code in self.low if self.low[code] != self.high[code]]
        spare = self.total - sum(self.low.values())
        if len(tied) == 2 and spare == 1:
            return "tie: choose either code"
        if spare == 1:
            return f"tie: give the unit left to one of the {len(tied)} tied codes"
        return f"tie: give one unit each to {spare} of the {len(tied)} tied codes"

    def describe(self) -> str:
        parts = []
        for code in self.low:
            lo, hi = self.low[code], self.high[code]
            parts.append(f"{code} x{lo}" if lo == hi else f"{code} x{lo} or x{hi}")
        return ", ".join(parts)


def allocate_cms(minutes_by_code: Mapping[str, float]) -> Allocation:
    whole = {code: int(m) for code, m in minutes_by_code.items()}
    total = units_for_minutes(sum(whole.values()))
    base = {code: m // 15 for code, m in whole.items()}
    remaining = total - sum(base.values())
    leftover = {code: m % 15 for code, m in whole.items()}
    low = dict(base)
    high = dict(base)
    if remaining > 0:
        ranked = sorted(leftover.values(), reverse=True)
        cutoff = ranked[remaining - 1]  # the smallest leftover that still earns a unit
        above = [c for c, lo in leftover.items() if lo > cutoff]
        tied = [c for c, lo in leftover.items() if lo == cutoff]
        for code in above:
            low[code] += 1
            high[code] += 1
        slots = remaining - len(above)
        for code in tied:
            high[code] += 1
            if slots == len(tied):  # every tied code gets one: no choice left
                low[code] += 1
    return Allocation(total=total, low=low, high=high)


def allocate_ama(minutes_by_code: Mapping[str, float]) -> Allocation:
    units = {code: units_for_minutes(m) for code, m in minutes_by_code.items()}
    return Allocation(total=sum(units.values()), low=units, high=dict(units))


def allocate(minutes_by_code: Mapping[str, float], method: str) -> Allocation:
    return allocate_cms(minutes_by_code) if method == "cms" else allocate_ama(minutes_by_code)
