"""`make dist`'s checks (.ci/dist_check.py): the version against CHANGELOG.md, and what the artifacts may carry."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Dict

import pytest

from tests.scripts import load_script

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def dist_check() -> ModuleType:
    return load_script(".ci/dist_check.py", "dist_check")


UNRELEASED = "# Changelog\n\n## Unreleased\n\n### Features\n- a thing\n\n"
EMPTY_UNRELEASED = "# Changelog\n\n## Unreleased\n\n"
RELEASED = "## 0.2.0 (2027-01-10)\n\n### Features\n- b\n\n## 0.1.0 (2026-12-20)\n\n- a\n"


@pytest.mark.parametrize(
    ("version", "changelog", "expected"),
    [
        pytest.param("0.1.0.dev0", UNRELEASED, None, id="dev-before-first-release"),
        pytest.param("0.2.0", "# Changelog\n\n" + RELEASED, None, id="release-is-newest-heading"),
        pytest.param("0.2.0", EMPTY_UNRELEASED + RELEASED, None, id="release-with-empty-unreleased"),
        pytest.param("0.3.0.dev0", UNRELEASED + RELEASED, None, id="dev-after-release"),
        pytest.param("0.1.0", UNRELEASED, "rename '## Unreleased' to '## 0.1.0 (YYYY-MM-DD)'", id="no-heading"),
        pytest.param("0.1.0", "# Changelog\n\n" + RELEASED, "not CHANGELOG.md's newest release, 0.2.0", id="older"),
        pytest.param("0.2.0", UNRELEASED + RELEASED, "has 1 entry under '## Unreleased'", id="unreleased-entries"),
        pytest.param("0.2.0.dev0", UNRELEASED + RELEASED, "make it '0.3.0.dev0'", id="dev-not-after-release"),
        pytest.param("0.2.0rc1", UNRELEASED, "neither a release", id="other-version-form"),
        pytest.param("0.3.0.dev0", UNRELEASED + "## 0.2.0\n", "'## 0.2.0' is not", id="heading-without-date"),
        pytest.param(
            "0.3.0.dev0",
            UNRELEASED + "## 0.1.0 (2026-12-20)\n## 0.2.0 (2027-01-10)\n",
            "0.1.0 is listed above 0.2.0",
            id="out-of-order",
        ),
    ],
)
def test_version_against_changelog(dist_check, version, changelog, expected):
    problems = dist_check.changelog_problems(version, changelog)

    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1, problems
        assert expected in problems[0]


def test_this_checkout_version_agrees_with_its_changelog(dist_check):
    version = dist_check.read_version((ROOT / dist_check.VERSION_FILE).read_text(encoding="utf-8"))

    assert dist_check.changelog_problems(version, (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")) == []


def test_license_is_the_apache_2_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")

    assert text.split("\n")[1].strip() == "Apache License"
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


@pytest.mark.parametrize(
    "name",
    [
        "airflow_provider_composer_pod/__pycache__/fields.cpython-311.pyc",
        "airflow_provider_composer_pod/fields.pyc",
        "tests/unit/test_wording.py",
        "airflow_provider_composer_pod/conftest.py",
        "airflow_provider_composer_pod/test_something.py",
        "airflow_provider_composer_pod/.hypothesis/examples/x",
        "airflow_provider_composer_pod/fields.py.orig",
    ],
)
def test_stray_files_are_named(dist_check, name):
    assert dist_check.stray(["airflow_provider_composer_pod/testing/pytest_plugin.py", name]) == [name]


VERSION = "1.2.0.dev0"
INFO = f"airflow_provider_composer_pod-{VERSION}.dist-info"
TRACKED = {"airflow_provider_composer_pod/__init__.py", "airflow_provider_composer_pod/py.typed"}
PYPROJECT = {
    "project": {
        "entry-points": {
            "apache_airflow_provider": {"provider_info": "airflow_provider_composer_pod.get_provider_info:x"},
            "pytest11": {"composer_pod_emulator": "airflow_provider_composer_pod.testing.pytest_plugin"},
        },
        "scripts": {"composer-pod": "airflow_provider_composer_pod.cli.main:main"},
    }
}
ENTRY_POINTS = (
    "[apache_airflow_provider]\nprovider_info = airflow_provider_composer_pod.get_provider_info:x\n\n"
    "[console_scripts]\ncomposer-pod = airflow_provider_composer_pod.cli.main:main\n\n"
    "[pytest11]\ncomposer_pod_emulator = airflow_provider_composer_pod.testing.pytest_plugin\n"
)
METADATA = (
    "Metadata-Version: 2.4\nName: airflow-provider-composer-pod\nVersion: 1.2.0.dev0\nLicense-Expression: Apache-2.0\n"
    "License-File: LICENSE\nRequires-Dist: apache-airflow>=2.6.0\nRequires-Dist: kubernetes-asyncio>=24.2.3; "
    "extra == 'defer'\n\nbody\n"
)


def _wheel(tmp_path: Path, files: Dict[str, str]) -> Path:
    path = tmp_path / f"airflow_provider_composer_pod-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def _good() -> Dict[str, str]:
    return {
        **{name: "x" for name in TRACKED},
        f"{INFO}/METADATA": METADATA,
        f"{INFO}/WHEEL": "",
        f"{INFO}/RECORD": "",
        f"{INFO}/entry_points.txt": ENTRY_POINTS,
        f"{INFO}/licenses/LICENSE": "the license",
    }


def test_a_good_wheel_passes(dist_check, tmp_path):
    wheel = _wheel(tmp_path, _good())

    assert dist_check.wheel_problems(wheel, VERSION, TRACKED, b"the license", PYPROJECT) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"drop": "airflow_provider_composer_pod/py.typed"}, "missing from the wheel: ", id="no-py.typed"),
        pytest.param(
            {"add": "airflow_provider_composer_pod/__pycache__/x.pyc"},
            "carries airflow_provider_composer_pod/__pyc",
            id="pycache",
        ),
        pytest.param({"add": "tests/unit/test_x.py"}, "not tracked package files: tests/unit/test_x.py", id="tests"),
        pytest.param({"add": "airflow_provider_composer_pod/scratch.txt"}, "not tracked package files", id="stray"),
        pytest.param({"drop": f"{INFO}/entry_points.txt"}, "no " + INFO + "/entry_points.txt", id="no-entry-points"),
        pytest.param(
            {f"{INFO}/entry_points.txt": ENTRY_POINTS.split("[pytest11]")[0]},
            "entry points [pytest11] are {}",
            id="no-pytest-plugin",
        ),
        pytest.param(
            {f"{INFO}/METADATA": METADATA.replace("apache-airflow>=2.6.0", "apache-airflow>=2.6.0,<3")},
            "bounds a package Composer owns",
            id="upper-bound",
        ),
        pytest.param(
            {f"{INFO}/METADATA": METADATA.replace("Version: 1.2.0.dev0", "Version: 1.1.0")},
            "METADATA Version is '1.1.0'",
            id="metadata-version",
        ),
        pytest.param({f"{INFO}/licenses/LICENSE": "MIT"}, "licenses/LICENSE differs from LICENSE", id="license"),
    ],
)
def test_a_bad_wheel_is_named(dist_check, tmp_path, change, expected):
    files = _good()
    files.pop(change.pop("drop", ""), None)
    if "add" in change:
        files[change.pop("add")] = "x"
    files.update(change)
    wheel = _wheel(tmp_path, files)

    problems = dist_check.wheel_problems(wheel, VERSION, TRACKED, b"the license", PYPROJECT)

    assert any(expected in problem for problem in problems), problems


def _sdist(tmp_path: Path, names) -> Path:
    path = tmp_path / f"airflow_provider_composer_pod-{VERSION}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name in names:
            info = tarfile.TarInfo(f"airflow_provider_composer_pod-{VERSION}/{name}")
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))
    return path


def test_sdist_contents(dist_check, tmp_path):
    good = TRACKED | dist_check.SDIST_FILES | {".gitignore"}
    assert dist_check.sdist_problems(_sdist(tmp_path, good), VERSION, TRACKED) == []

    bad = (good - {"LICENSE"}) | {"tests/unit/cli/snapshots/README.md"}
    problems = dist_check.sdist_problems(_sdist(tmp_path, bad), VERSION, TRACKED)

    assert any("missing LICENSE" in p for p in problems), problems
    assert any("not part of the release: tests/unit/cli/snapshots/README.md" in p for p in problems), problems


def test_wheels_compared_by_content(dist_check, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    same = _wheel(tmp_path / "a", _good())
    other_files = _good()
    other_files["airflow_provider_composer_pod/__init__.py"] = "y"
    other = _wheel(tmp_path / "b", other_files)

    assert dist_check.same_wheel_problems(same, same) == []
    assert dist_check.same_wheel_problems(same, other) == [
        "the wheel built from the sdist differs from the tree's in: airflow_provider_composer_pod/__init__.py"
    ]


# The demo's example DAGs: a top-level folder of the repository, force-included into the package in the wheel.
DAG = "example_dags/pod_ex_minimum.py"
PACKAGED_DAG = "airflow_provider_composer_pod/testing/demo/example_dags/pod_ex_minimum.py"
FORCED = {"example_dags": "airflow_provider_composer_pod/testing/demo/example_dags"}
PYPROJECT_FORCED = {
    **PYPROJECT,
    "tool": {
        "hatch": {
            "build": {
                "targets": {
                    "wheel": {"force-include": FORCED},
                    "sdist": {"include": ["/airflow_provider_composer_pod", "/example_dags", "/README.md"]},
                }
            }
        }
    },
}


def test_force_included_files_are_expected_at_their_place_in_the_wheel(dist_check, tmp_path):
    tracked = TRACKED | {DAG}
    (tmp_path / "good").mkdir()
    (tmp_path / "top-level").mkdir()
    (tmp_path / "missing").mkdir()
    good = _wheel(tmp_path / "good", {**_good(), PACKAGED_DAG: "x"})
    top_level = _wheel(tmp_path / "top-level", {**_good(), DAG: "x"})
    missing = _wheel(tmp_path / "missing", _good())

    assert dist_check.wheel_problems(good, VERSION, tracked, b"the license", PYPROJECT_FORCED) == []
    problems = dist_check.wheel_problems(top_level, VERSION, tracked, b"the license", PYPROJECT_FORCED)
    assert any(f"not tracked package files: {DAG}" in p for p in problems), problems
    assert any(f"missing from the wheel: {PACKAGED_DAG}" in p for p in problems), problems
    problems = dist_check.wheel_problems(missing, VERSION, tracked, b"the license", PYPROJECT_FORCED)
    assert any(f"missing from the wheel: {PACKAGED_DAG}" in p for p in problems), problems


def test_a_force_included_folder_must_be_in_the_sdist(dist_check, tmp_path):
    assert dist_check.pyproject_problems(PYPROJECT_FORCED) == []
    sdist_section = PYPROJECT_FORCED["tool"]["hatch"]["build"]["targets"]["sdist"]
    without = {**sdist_section, "include": [p for p in sdist_section["include"] if p != "/example_dags"]}
    targets = {**PYPROJECT_FORCED["tool"]["hatch"]["build"]["targets"], "sdist": without}
    pyproject = {**PYPROJECT, "tool": {"hatch": {"build": {"targets": targets}}}}

    assert dist_check.pyproject_problems(pyproject) == [
        "pyproject.toml force-includes example_dags in the wheel, but the sdist's include list has no '/example_dags'"
    ]

    tracked = TRACKED | {DAG}
    good = tracked | dist_check.SDIST_FILES
    assert dist_check.sdist_problems(_sdist(tmp_path, good), VERSION, tracked) == []
    problems = dist_check.sdist_problems(_sdist(tmp_path, good - {DAG}), VERSION, tracked)
    assert any(f"missing {DAG}" in p for p in problems), problems


def test_this_checkout_ships_the_example_dags_in_the_package(dist_check):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as dist_check.main
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    forced = dist_check.force_included(pyproject)
    tracked = dist_check.tracked_package_files(ROOT, forced)

    assert forced == FORCED
    assert dist_check.pyproject_problems(pyproject) == []
    assert DAG in tracked
    assert PACKAGED_DAG in dist_check.wheel_files(tracked, forced)
    assert not dist_check.stray(dist_check.wheel_files(tracked, forced))
