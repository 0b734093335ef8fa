"""The notes rules' phrase lists ([keywords] in rules.toml) against notes phrased the way
clinicians chart: each list with phrasings it must recognise and phrasings it must leave alone
(the traps: "muscle group" is anatomy, "ambulates independently" an ability, a balance board is
neuromuscular re-education, not strengthening)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.engine import check_table
from nmr_xl.model import Table
from nmr_xl.normalize import Phrases
from nmr_xl.read.table import build_table
from nmr_xl.rules import SETTINGS


@cache
def config() -> Config:
    return load_config()


def keywords(own: Config, name: str) -> Phrases | None:
    """The [keywords] list `name` as the rules read it (None: no such list)."""
    setting = SETTINGS.get(f"keywords.{name}")
    return own.value(setting) if setting else None


def found(name: str, note: str) -> str | None:
    exceptions = "group_exceptions" if name == "not_one_on_one" else f"{name}_exceptions"
    phrases = keywords(config(), name)
    assert phrases is not None
    return phrases.find(note, ignore=keywords(config(), exceptions))


# (list, note, the phrase the finding quotes)
POSITIVE = [
    ("not_one_on_one", "pt independent on vibration plate 10 min", "independent on"),
    ("not_one_on_one", "while the DC adjusted the next patient, pt performed BAPS",
     "next patient"),
    ("not_one_on_one", "balance circuit on own while DC treated next patient", "on own while"),
    ("not_one_on_one", "HEP reviewed, pt performed independently", "performed independently"),
    ("not_one_on_one", "pt performed exercises independently on the wobble board",
     "independently on"),
    ("not_one_on_one", "DC checked on pt periodically between patients", "between patients"),
    ("not_one_on_one", "2 pts on rehab floor with tech, balance stations", "2 pts"),
    ("not_one_on_one", "balance class (4 pts), fall prevention", "balance class"),
    ("not_one_on_one", "treated concurrently with pt in bay 2", "treated concurrently"),
    ("not_one_on_one", "rehab circuit x20 min", "rehab circuit"),
    ("not_one_on_one", "group balance session", "group"),
    ("muscle_work", "Active Release Technique to R piriformis and glute med",
     "active release technique"),
    ("muscle_work", "IASTM (Graston) L ITB 8 min", "iastm"),
    ("muscle_work", "pin & stretch to B/L upper traps", "pin stretch"),
    ("muscle_work", "strain-counterstrain T4-6 paraspinals", "strain counterstrain"),
    ("muscle_work", "Cupping to lumbar paraspinals 5 min", "cupping"),
    ("muscle_work", "NMT to L upper trap, SCM", "nmt"),
    ("muscle_work", "cross-fiber friction massage supraspinatus tendon", "massage"),
    ("muscle_work", "MET for R SI, STM lumbar paraspinals", "stm"),
    ("muscle_work", "dry needling to R gastroc x3 sites", "dry needling"),
    ("muscle_work", "myofascial release pec minor", "myofascial release"),
    ("passive_device", "pt independent on vibration plate 10 min", "vibration plate"),
    ("passive_device", "Vibe plate 5 min then IST 10 min", "vibe plate"),
    ("passive_device", "roller table x10 min prior to adjustment", "roller table"),
    ("passive_device", "hydromassage 12 min, lumbar", "hydromassage"),
    ("passive_device", "Pettibon wobble chair 2 min", "wobble chair"),
    ("strength_or_rom", "band row green TB 3x15", "band row"),
    ("strength_or_rom", "band rows green TB 3x15", "band rows"),
    ("strength_or_rom", "Seated rows w/ red Thera-Band 2x10", "seated rows"),
    ("strength_or_rom", "s/l clamshells 3x10 blue band", "blue band"),
    ("strength_or_rom", "glute bridges 2x15, wall sits 3x30s", "glute bridges"),
    ("strength_or_rom", "2# cuff weight SAQ 3x10", "cuff weight"),
    ("strength_or_rom", "hip abd with yellow band 3x10", "yellow band"),
    ("strength_or_rom", "UBE 6 min fwd/bwd for warm-up", "ube"),
    ("strength_or_rom", "NuStep L4 10 min", "nustep"),
    ("strength_or_rom", "AAROM shoulder flexion with wand", "aarom"),
    ("strength_or_rom", "leg press 60# 3x12", "leg press"),
    ("strength_or_rom", "core strengthening", "strengthening"),
    ("nmr_activity", "balance board A/P with ball catch, SBA", "balance board"),
    ("nmr_activity", "Rhomberg stance with perturbations 3x30s", "rhomberg"),
    ("nmr_activity", "BAPS board circles L ankle lvl 3, CW/CCW x10", "baps board"),
    ("nmr_activity", "tandem stance on Airex EC 3x20s with CGA", "airex"),
    ("nmr_activity", "weight shifting A/P and M/L at parallel bars w/ mirror", "weight shifting"),
    ("nmr_activity", "PNF D2 flexion pattern RUE with rhythmic stabilization", "pnf"),
    ("nmr_activity", "X1 viewing horizontal 2x60s seated to standing", "x1 viewing"),
    ("stretching", "assisted stretching hamstrings", "stretching"),
]

# (list, note): phrasings the list must not match
NEGATIVE = [
    ("not_one_on_one", "pt ambulates independently on level surfaces"),
    ("not_one_on_one", "ambulates independently 150 ft"),
    ("not_one_on_one", "independent with HEP, demonstrates good form"),
    ("not_one_on_one", "stands on own without UE support 30s"),
    ("not_one_on_one", "PTA under general supervision of PT"),
    ("not_one_on_one", "divided attention task: naming animals during tandem walk"),
    ("not_one_on_one", "intermittent cervical traction 10 min"),
    ("not_one_on_one", "class IV laser to R shoulder"),
    ("not_one_on_one", "attends stroke support group weekly"),
    ("not_one_on_one", "strengthening of major muscle groups"),
    ("not_one_on_one", "pt reports doing exercises on own at home 1x/day"),
    ("not_one_on_one", "lives in a group home"),
    ("muscle_work", "Palpation: trigger points noted in R upper trap"),
    ("muscle_work", "dx: soft tissue injury of neck"),
    ("muscle_work", "tandem stance on half foam roller 3x30s"),
    ("muscle_work", "Neuromuscular re-ed: SLS on Airex"),
    ("muscle_work", "goals met for standing balance"),
    ("muscle_work", "state of the art balance system"),
    ("passive_device", "vibration sense intact B feet"),
    ("passive_device", "wobble board A/P 3x30s"),
    ("passive_device", "NMES to R quad during sit-to-stand x10"),
    ("passive_device", "manual cervical traction 5 min"),
    ("strength_or_rom", "balance board A/P 2 min, SBA"),
    ("strength_or_rom", "IT band tenderness, tandem stance on foam"),
    ("strength_or_rom", "weight shifting in standing with mirror feedback"),
    ("strength_or_rom", "WBAT RLE, gait training with RW"),
    ("strength_or_rom", "SLR negative bilaterally"),
    ("strength_or_rom", "PROMs: LEFS 42/80"),
    ("strength_or_rom", "quick stretch to facilitate ankle DF during swing"),
    ("strength_or_rom", "SLS 3 sets x 30 sec eyes closed"),
    ("strength_or_rom", "PNF D2 flexion with manual resistance"),
    ("strength_or_rom", "rode bike to clinic, reports less pain"),
    ("strength_or_rom", "tandem walk with head turns, from standing"),
    # stretching is NMR202's, by a massage therapist; not flagged as exercise otherwise
    ("strength_or_rom", "PNF stretching hamstrings and hip flexors"),
    ("nmr_activity", "Neuro re-ed x2 units"),
    ("nmr_activity", "pt balance $40 transferred to self pay"),
    ("nmr_activity", "wobble chair 10 min"),
    ("nmr_activity", "COB: coordination of benefits pending"),
    ("nmr_activity", "gait training 150 ft with RW, verbal cues for step length"),
]


@pytest.mark.parametrize(("name", "note", "phrase"), POSITIVE,
                         ids=[f"{n}: {t}" for n, t, _ in POSITIVE])
def test_phrase_is_recognised(name: str, note: str, phrase: str) -> None:
    assert found(name, note) == phrase


@pytest.mark.parametrize(("name", "note"), NEGATIVE, ids=[f"{n}: {t}" for n, t in NEGATIVE])
def test_phrase_is_left_alone(name: str, note: str) -> None:
    assert found(name, note) is None


def _check(note: str, credential: str = "PT") -> list[tuple[str, str]]:
    rows = [["Patient ID", "DOS", "CPT", "Units", "Cred", "Notes", "Dx"],
            ["P1", dt.date(2026, 3, 2), "97112", 1, credential, note, "G20"]]
    table = build_table("Notes", rows, config())
    assert isinstance(table, Table)
    result = check_table(table, config(), dt.date(2026, 3, 31))
    return [(f.rule, f.message) for f in result.findings]


def test_the_rules_use_the_lists_on_97112_lines() -> None:
    assert [rule for rule, _ in _check("pt independent on vibration plate 10 min")] == [
        "NMR201", "NMR203"]
    assert [rule for rule, _ in _check("while the DC adjusted the next patient, BAPS")] == [
        "NMR201"]
    assert _check("balance board A/P, tandem stance on foam, min A") == []
    assert _check("ambulates independently, SLS 3x20s") == []
    (rule, message), = _check("balance board A/P 2 min then band rows red band 2x10")
    assert rule == "NMR206"
    assert message == ("The notes describe \"band rows\" work, which is therapeutic exercise. "
                       "The notes also describe \"balance board\", which is neuromuscular "
                       "re-education.")


def test_an_exception_list_of_a_rules_file_is_used(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[keywords]\nstrength_or_rom_exceptions = ["core strengthening"]\n',
                    encoding="utf-8")
    own = load_config(path)
    phrases = keywords(own, "strength_or_rom")
    assert phrases is not None
    assert phrases.find("core strengthening",
                        ignore=keywords(own, "strength_or_rom_exceptions")) is None
