"""The held-out export shapes (bench/heldout: 28 files built blind from the rule docs and the
export research, with planted problems): every planted problem found, no finding on a correctly
billed line or a row that is not a charge, and no file reported as not fully checked. The
scorecard itself, before and after the reading work, is bench/heldout/SCORE.md."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "bench" / "heldout"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"heldout_{name}", HELDOUT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_planted_problem_found_and_nothing_false(tmp_path: Path) -> None:
    generate, score = _load("generate"), _load("score")
    generate.OUT = tmp_path  # the generator writes into its module's OUT folder
    generate.main()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scores = score.score(tmp_path, tmp_path / "report.json", env)
    assert len(scores) == 28
    for name, result in scores.items():
        assert result.status == "checked", (name, result.status, result.error)
        assert result.planted - result.found == set(), name
        assert result.false == [], name
        assert result.not_fully_checked == [], name
