"""The 8-minute rule (CMS, Pub. 100-04 ch. 5 §20.2) and the AMA midpoint rule, as pure math."""

from __future__ import annotations

import random

import pytest

from nmr_xl.units import Allocation, allocate, allocate_ama, allocate_cms, units_for_minutes

# The manual's chart: units -> (first minute, last minute); "the pattern remains the same for
# treatment times in excess of 2 hours".
CHART = {1: (8, 22), 2: (23, 37), 3: (38, 52), 4: (53, 67), 5: (68, 82), 6: (83, 97),
         7: (98, 112), 8: (113, 127), 9: (128, 142), 10: (143, 157)}


@pytest.mark.parametrize("units, bounds", CHART.items())
def test_chart_boundaries(units: int, bounds: tuple[int, int]) -> None:
    first, last = bounds
    assert units_for_minutes(first - 1) == units - 1
    assert units_for_minutes(first) == units
    assert units_for_minutes(last) == units
    assert units_for_minutes(last + 1) == units + 1


def test_every_minute_of_the_chart() -> None:
    by_minute = {m: u for u, (lo, hi) in CHART.items() for m in range(lo, hi + 1)}
    for minutes in range(0, 158):
        assert units_for_minutes(minutes) == by_minute.get(minutes, 0), minutes


@pytest.mark.parametrize("minutes, units", [(0, 0), (7, 0), (7.9, 0), (8.0, 1), (22.9, 1),
                                            (23, 2)])
def test_a_fraction_of_a_minute_does_not_reach_the_next_threshold(minutes: float,
                                                                  units: int) -> None:
    assert units_for_minutes(minutes) == units


def exact(alloc: Allocation) -> dict[str, int]:
    """The allocation when it leaves no choice (low == high for every code)."""
    assert dict(alloc.low) == dict(alloc.high), f"allocation leaves a choice: {alloc}"
    return dict(alloc.low)


# --- CMS examples, Pub. 100-04 ch. 5 §20.2 ----------------------------------------------------


def test_cms_example_1_24_min_97112_and_23_min_97110() -> None:
    alloc = allocate_cms({"97112": 24, "97110": 23})
    assert alloc.total == 3
    assert exact(alloc) == {"97112": 2, "97110": 1}


def test_cms_example_2_tie_choose_either_code_but_not_3_units_for_one() -> None:
    alloc = allocate_cms({"97112": 20, "97110": 20})
    assert alloc.total == 3
    assert alloc.is_valid({"97112": 2, "97110": 1})
    assert alloc.is_valid({"97112": 1, "97110": 2})
    assert not alloc.is_valid({"97112": 3, "97110": 0})
    assert not alloc.is_valid({"97112": 0, "97110": 3})
    assert not alloc.is_valid({"97112": 2, "97110": 2})


def test_cms_example_3_33_min_97110_and_7_min_97140() -> None:
    alloc = allocate_cms({"97110": 33, "97140": 7})
    assert alloc.total == 3
    assert exact(alloc) == {"97110": 2, "97140": 1}
    assert not alloc.is_valid({"97110": 1, "97140": 2})


def test_cms_example_4_four_codes_49_minutes_no_unit_for_97035() -> None:
    alloc = allocate_cms({"97110": 18, "97140": 13, "97116": 10, "97035": 8})
    assert alloc.total == 3
    assert exact(alloc) == {"97110": 1, "97140": 1, "97116": 1, "97035": 0}


def test_services_of_7_minutes_or_less_reaching_8_bill_one_unit_for_the_longest() -> None:
    alloc = allocate_cms({"97110": 5, "97140": 4})
    assert alloc.total == 1
    assert exact(alloc) == {"97110": 1, "97140": 0}


def test_lone_service_under_8_minutes_earns_nothing() -> None:
    assert exact(allocate_cms({"97110": 7})) == {"97110": 0}
    assert allocate_cms({"97110": 7}).total == 0


def test_8_plus_8_minutes_cms_one_unit_either_code_ama_two_units() -> None:
    cms = allocate_cms({"97110": 8, "97140": 8})
    assert cms.total == 1
    assert cms.is_valid({"97110": 1, "97140": 0})
    assert cms.is_valid({"97110": 0, "97140": 1})
    assert not cms.is_valid({"97110": 1, "97140": 1})
    ama = allocate_ama({"97110": 8, "97140": 8})
    assert ama.total == 2
    assert exact(ama) == {"97110": 1, "97140": 1}


def test_ama_counts_each_code_on_its_own_minutes() -> None:
    ama = allocate_ama({"97112": 20, "97110": 7, "97140": 38})
    assert exact(ama) == {"97112": 1, "97110": 0, "97140": 3}
    assert ama.total == 4
    # CMS on the same minutes: 65 minutes -> 4 units, but shared differently.
    assert allocate_cms({"97112": 20, "97110": 7, "97140": 38}).total == 4


def test_three_way_tie_for_two_remaining_units() -> None:
    alloc = allocate_cms({"97110": 10, "97112": 10, "97140": 10})  # 30 min -> 2 units
    assert alloc.total == 2
    assert dict(alloc.low) == {"97110": 0, "97112": 0, "97140": 0}
    assert dict(alloc.high) == {"97110": 1, "97112": 1, "97140": 1}
    assert alloc.is_valid({"97110": 1, "97112": 1, "97140": 0})
    assert not alloc.is_valid({"97110": 2, "97112": 0, "97140": 0})


def test_allocate_dispatches_on_method() -> None:
    minutes = {"97110": 8, "97140": 8}
    assert allocate(minutes, "cms") == allocate_cms(minutes)
    assert allocate(minutes, "ama") == allocate_ama(minutes)


def test_describe_names_the_choice_on_a_tie() -> None:
    assert allocate_cms({"97110": 33, "97140": 7}).describe() == "97110 x2, 97140 x1"
    assert allocate_cms({"97112": 20, "97110": 20}).describe() == "97112 x1 or x2, 97110 x1 or x2"


def test_cms_allocation_invariants_on_random_visits() -> None:
    """For any visit: the total follows the chart, every code keeps its full 15-minute units,
    a valid allocation exists, and no code gets a unit while a code with more leftover minutes
    gets none."""
    rng = random.Random(20260302)  # fixed seed: deterministic
    codes = ["97110", "97112", "97116", "97140", "97035"]
    for _ in range(2000):
        chosen = rng.sample(codes, rng.randint(1, len(codes)))
        minutes = {c: rng.randint(0, 70) for c in chosen}
        alloc = allocate_cms(minutes)
        assert alloc.total == units_for_minutes(sum(minutes.values()))
        assert sum(alloc.low.values()) <= alloc.total <= sum(alloc.high.values())
        for code, m in minutes.items():
            assert m // 15 <= alloc.low[code] <= alloc.high[code] <= m // 15 + 1
        # one concrete valid allocation: the lows plus extra units to the tied codes in order
        billed = dict(alloc.low)
        spare = alloc.total - sum(billed.values())
        for code in minutes:
            if spare and alloc.high[code] > billed[code]:
                billed[code] += 1
                spare -= 1
        assert spare == 0 and alloc.is_valid(billed), (minutes, alloc)
        # a leftover unit never goes past a code with strictly more leftover minutes
        for a in minutes:
            for b in minutes:
                if minutes[a] % 15 > minutes[b] % 15 and alloc.high[b] > minutes[b] // 15:
                    assert alloc.low[a] > minutes[a] // 15, (minutes, alloc)


@pytest.mark.parametrize(("minutes", "note"), [
    ({"97110": 20, "97140": 20}, "choose either code"),
    ({"97110": 20, "97140": 20, "97530": 5}, "give the unit left to one of the 3 tied codes"),
    ({"a": 10, "b": 10, "c": 10}, "give one unit each to 2 of the 3 tied codes"),
])
def test_a_tie_says_how_many_of_the_tied_codes_take_a_unit(minutes: dict[str, float],
                                                           note: str) -> None:
    allocation = allocate_cms(minutes)
    assert allocation.tie_note() == f"tie: {note}"
    tied = [code for code in minutes if allocation.low[code] != allocation.high[code]]
    assert [allocation.units_of(code) for code in tied] == [
        f"{allocation.low[code]} or {allocation.high[code]} (tie: {note})" for code in tied]


def test_the_units_command_leaves_an_untimed_code_out(cli) -> None:
    run = cli("units", "98940=30", "97112=24", "97110=23")
    assert run.code == 0
    assert run.out.splitlines() == [
        "98940 is not a timed code ([codes] timed in the rules file): it is billed per service, "
        "not per 15 minutes, and its minutes do not count toward the units.",
        "47 timed minutes -> 3 units (CMS 8-minute rule)",
        "  97112: 24 min -> 2",
        "  97110: 23 min -> 1",
    ]


def test_more_units_are_never_suggested_past_the_mue(tmp_path) -> None:
    import datetime as dt

    from nmr_xl.config.load import load_config
    from nmr_xl.engine import check_table
    from nmr_xl.read.table import build_table

    rules = tmp_path / "rules.toml"
    rules.write_text('[mue]\n"97110" = 4\n', encoding="utf-8")
    config = load_config(rules)
    table = build_table("S", [["Patient ID", "DOS", "CPT", "Units", "Minutes", "Payer"],
                              ["P1", dt.date(2026, 3, 2), "97110", 2, 90, "Medicare"]], config)
    (finding,) = check_table(table, config, dt.date(2026, 6, 30)).findings  # type: ignore[arg-type]
    assert finding.rule == "NMR104"
    assert finding.suggestion.startswith(
        "If the minutes are right, the visit may bill 97110 x4 (97110's Medically "
        "Unlikely Edit allows 4 units)")
