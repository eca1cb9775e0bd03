from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

SCRIPT = Path(__file__).parents[2] / ".ci" / "compat_table.py"

_SKIP_52 = '<skipped type="pytest.skip" message="deferrable needs provider &gt;= 5.2.0">'
CASES = [
    ("test_a", "test_ok", ""),
    ("test_a", "test_ok_too", ""),
    ("test_a", "test_broken", '<failure message="assert 1 == 2">tb</failure>'),
    ("test_a", "test_error", '<error message="fixture failed">tb</error>'),
    ("test_b", "test_defer", _SKIP_52 + "tests/unit/test_b.py:9: deferrable needs provider &gt;= 5.2.0</skipped>"),
    ("test_b", "test_defer_2", _SKIP_52 + "x</skipped>"),
    ("test_b", "test_pipe", '<skipped type="pytest.skip" message="Skipped: a | b">x</skipped>'),
]
JUNIT = (
    '<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" tests="7">\n'
    + "".join(
        f'<testcase classname="tests.unit.{module}" name="{name}" time="0.1">{body}</testcase>\n'
        for module, name, body in CASES
    )
    + "</testsuite></testsuites>\n"
)


def _load() -> ModuleType:
    return load_script(".ci/compat_table.py", "compat_table_under_test")


@pytest.fixture
def compat_table() -> ModuleType:
    return _load()


def _cell(matrix: Path, name: str, junit: str | None, install_ok: bool = True, **versions: str) -> None:
    cell_dir = matrix / name
    cell_dir.mkdir(parents=True)
    info = {
        "cell": name,
        "versions": {"python": "3.11.7", "airflow": "2.11.2", "provider": "5.3.0", "kubernetes": "23.6.0", **versions},
        "install_check": {
            "ok": install_ok,
            "changed": [] if install_ok else ["kubernetes 23.6.0 -> 29.0.0"],
            "removed": [],
            "added": [],
        },
        "problems": [] if junit is not None else ["uv pip install failed"],
    }
    if junit is None:
        del info["install_check"]
    (cell_dir / "cell.json").write_text(json.dumps(info))
    if junit is not None:
        (cell_dir / "junit.xml").write_text(junit)


def test_junit_counts_errors_as_failures_and_keeps_distinct_skip_reasons(compat_table, tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)

    counts, reasons = compat_table.read_junit(path)

    assert counts == {"passed": 2, "skipped": 3, "failed": 2}
    assert reasons == ["deferrable needs provider >= 5.2.0", "a | b"]


def test_rows_are_sorted_by_airflow_then_provider_and_show_install_and_skips(compat_table, tmp_path):
    matrix = tmp_path / ".matrix"
    _cell(matrix, "b", JUNIT, provider="10.25.0", airflow="3.3.2", kubernetes="36.0.3")
    _cell(matrix, "a", JUNIT, install_ok=False, provider="5.3.0")
    _cell(matrix, "c", None, provider="4.4.0")

    table = compat_table.render(compat_table.read_cells(matrix)).splitlines()

    assert len(table) == 2 + 3
    assert "| 4.4.0 |" in table[2]
    assert "not run: uv pip install failed" in table[2]
    assert "| 5.3.0 |" in table[3]
    assert "**changed** kubernetes 23.6.0 -> 29.0.0" in table[3]
    assert "| 3.3.2 | 10.25.0 | 36.0.3 | 2 | 3 | **2** | changed nothing |" in table[4]
    assert "deferrable needs provider >= 5.2.0; a \\| b |" in table[4]


def test_main_rewrites_only_between_the_markers(compat_table, tmp_path):
    matrix = tmp_path / ".matrix"
    _cell(matrix, "a", JUNIT)
    page = tmp_path / "compatibility.md"
    before = "# Title\r\n\r\nintro\n<!-- compat-table:start -->\nold table\n<!-- compat-table:end -->\ntail\r\n"
    page.write_bytes(before.encode())

    assert compat_table.main(["--matrix-dir", str(matrix), "--page", str(page), "--check"]) == 1
    assert compat_table.main(["--matrix-dir", str(matrix), "--page", str(page)]) == 0

    after = page.read_bytes().decode()
    assert after.startswith("# Title\r\n\r\nintro\n<!-- compat-table:start -->\n| Python |")
    assert after.endswith("|\n<!-- compat-table:end -->\ntail\r\n")
    assert "old table" not in after
    assert compat_table.main(["--matrix-dir", str(matrix), "--page", str(page), "--check"]) == 0


def test_missing_markers_leave_the_page_alone(compat_table, tmp_path):
    matrix = tmp_path / ".matrix"
    _cell(matrix, "a", JUNIT)
    page = tmp_path / "compatibility.md"
    page.write_text("no markers here\n")

    assert compat_table.main(["--matrix-dir", str(matrix), "--page", str(page)]) == 2
    assert page.read_text() == "no markers here\n"


def test_the_docs_page_carries_the_one_table(compat_table):
    """docs/compatibility.md, the generator's target, has its markers once and the generated table between them."""
    text = (SCRIPT.parents[1] / "docs" / "compatibility.md").read_text()

    table = text[text.index(compat_table.START) + len(compat_table.START) : text.index(compat_table.END)]
    assert table.strip().splitlines()[:2] == compat_table.HEADER.splitlines()
    assert compat_table.replace_between_markers(text, "x").count("x\n" + compat_table.END) == 1


def test_the_default_targets_are_the_docs_page_and_the_readme_summary(compat_table, tmp_path, monkeypatch):
    _cell(tmp_path / ".matrix", "a", JUNIT)
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "compatibility.md"
    page.write_text(f"# Compatibility\n{compat_table.START}\nold\n{compat_table.END}\n")
    readme = tmp_path / "README.md"
    readme.write_text(f"# Front door\n{compat_table.SUMMARY_START}\nold\n{compat_table.SUMMARY_END}\nend\n")
    monkeypatch.setattr(compat_table, "ROOT", tmp_path)

    assert compat_table.main(["--matrix-dir", str(tmp_path / ".matrix"), "--check"]) == 1
    assert compat_table.main(["--matrix-dir", str(tmp_path / ".matrix")]) == 0
    assert page.read_text().count("| Python | Airflow | cncf-kubernetes | kubernetes |") == 1
    summary = readme.read_text()
    assert summary.startswith(f"# Front door\n{compat_table.SUMMARY_START}\n{compat_table.SUMMARY_HEADER}\n")
    assert summary.endswith(f"|\n{compat_table.SUMMARY_END}\nend\n")
    assert "old" not in summary
    assert compat_table.main(["--matrix-dir", str(tmp_path / ".matrix"), "--check"]) == 0


def test_the_readme_carries_the_summary_markers(compat_table):
    text = (SCRIPT.parents[1] / "README.md").read_text()
    assert text.count(compat_table.SUMMARY_START) == 1
    assert text.count(compat_table.SUMMARY_END) == 1


def test_a_cell_whose_suite_runs_elsewhere_says_so(compat_table, tmp_path):
    _cell(tmp_path / ".matrix", "a", JUNIT)
    record = tmp_path / ".matrix" / "a" / "cell.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "suite": "make test"}))

    (cell,) = compat_table.read_cells(tmp_path / ".matrix")
    assert "(wheel checks; the whole suite: `make test`)" in compat_table.render([cell])
    assert "(wheel checks; the whole suite: `make test`)" in compat_table.render_summary([cell])
