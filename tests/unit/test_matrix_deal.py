""".ci/matrix.py deals the cells to its jobs longest first, by the last run's records or the committed estimates."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script


@pytest.fixture
def matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = load_script(".ci/matrix.py", "ci_matrix")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "ESTIMATES", tmp_path / "matrix_seconds.json")
    return module


def _record(root: Path, cell: str, seconds: float) -> None:
    (root / ".matrix" / cell).mkdir(parents=True)
    (root / ".matrix" / cell / "cell.json").write_text(json.dumps({"timings": {"tests_s": seconds}}))


def test_a_clean_clone_deals_by_the_committed_estimates(matrix: ModuleType, tmp_path: Path) -> None:
    matrix.ESTIMATES.write_text(json.dumps({"a": 100, "b": 400, "c": 300, "d": 200}))

    assert matrix.deal(["a", "b", "c", "d"], 2) == [["b", "a"], ["c", "d"]]


def test_a_cells_own_record_wins_over_the_estimate(matrix: ModuleType, tmp_path: Path) -> None:
    matrix.ESTIMATES.write_text(json.dumps({"a": 100, "b": 400}))
    _record(tmp_path, "a", 900)

    assert matrix.last_seconds("a") == 900
    assert matrix.last_seconds("b") == 400
    assert matrix.last_seconds("unknown") == matrix.DEFAULT_SECONDS


def test_record_rewrites_the_estimates_only_after_a_full_run(matrix: ModuleType, tmp_path: Path) -> None:
    _record(tmp_path, "a", 120.4)

    assert matrix.record(["a", "b"]) == 2
    assert not matrix.ESTIMATES.exists()
    _record(tmp_path, "b", 80)
    assert matrix.record(["a", "b"]) == 0
    assert json.loads(matrix.ESTIMATES.read_text()) == {"a": 120, "b": 80}
