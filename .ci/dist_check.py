"""Check the release artifacts that ``make dist`` built, before anyone uploads them.

    python .ci/dist_check.py DIST_DIR TREE_WHEEL_DIR

``DIST_DIR`` holds the sdist and the wheel pypa build made from that sdist; ``TREE_WHEEL_DIR`` the wheel built
straight from the checkout. Checked:

- the version: one place (``__version__`` in the package's ``__init__.py``, which hatchling reads), in both file
  names and in the metadata, and it agrees with CHANGELOG.md: a release ``X.Y.Z`` is the newest ``## X.Y.Z (date)``
  heading with nothing left under ``## Unreleased``; work in progress is ``X.Y.Z.devN``, newer than the last release;
- the wheel holds exactly the package's tracked files (``git ls-files``), so ``py.typed`` and the rules YAML are in
  and no tests, caches or stray files are, plus the tracked files of each folder pyproject force-includes, at the
  place it names (``example_dags/`` as the demo's packaged copy); its LICENSE is ours; its entry points are
  pyproject's; the dependencies Composer owns have lower bounds only;
- the sdist holds the package, the force-included folders (pyproject's sdist include list names each, or the
  wheel built from the sdist would lack them), README.md, CHANGELOG.md, LICENSE and pyproject.toml, and nothing
  else of ours;
- the wheel built from the sdist has the same files, byte for byte, as the wheel built from the tree.

Standard library only; ``main`` needs Python 3.11+ (tomllib). Exits 1 listing every problem.
"""

from __future__ import annotations

import configparser
import email.parser
import hashlib
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "airflow_provider_composer_pod"
DISTRIBUTION = "airflow-provider-composer-pod"
VERSION_FILE = f"{PACKAGE}/__init__.py"
# Composer installs and upgrades these itself: an upper bound or exact pin would break an environment update.
COMPOSER_OWNED = {"apache-airflow", "apache-airflow-providers-cncf-kubernetes", "kubernetes", "kubernetes-asyncio"}
COMPOSER_OWNED |= {"google-auth"}
# Besides the package: what the sdist must carry (pyproject's include list, plus what every sdist has).
SDIST_FILES = {"README.md", "CHANGELOG.md", "LICENSE", "pyproject.toml", "PKG-INFO"}
STRAY_PARTS = {"tests", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".nox"}
STRAY_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", ".bak", "~")

_FINAL = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_DEV = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.dev\d+$")
_RELEASE_HEADING = re.compile(r"^## (\d+\.\d+\.\d+) \(\d{4}-\d{2}-\d{2}\)$")


def read_version(text: str) -> str:
    found = re.findall(r'^__version__ = "([^"]+)"$', text, flags=re.MULTILINE)
    if len(found) != 1:
        raise SystemExit(f'{VERSION_FILE}: expected one line __version__ = "X.Y.Z", found {len(found)}')
    return found[0]


def _triple(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3])


def changelog_problems(version: str, changelog: str) -> List[str]:
    """Whether ``version`` is what CHANGELOG.md says: the newest release, or a development version after it."""
    problems: List[str] = []
    releases: List[str] = []
    unreleased_entries = 0
    section: Optional[str] = None
    for number, line in enumerate(changelog.splitlines(), start=1):
        if line.startswith("## "):
            heading = _RELEASE_HEADING.match(line)
            if line == "## Unreleased" and not releases and section is None:
                section = "unreleased"
            elif heading:
                section = "release"
                releases.append(heading.group(1))
            else:
                problems.append(
                    f"CHANGELOG.md line {number}: {line!r} is not '## Unreleased' (first only) or "
                    "'## X.Y.Z (YYYY-MM-DD)'"
                )
        elif section == "unreleased" and line.startswith("- "):
            unreleased_entries += 1
    for newer, older in zip(releases, releases[1:]):
        if _triple(newer) <= _triple(older):
            problems.append(f"CHANGELOG.md: release {newer} is listed above {older}; newest first")
    newest = releases[0] if releases else None
    where = f"version {version} ({VERSION_FILE})"
    if _FINAL.match(version):
        if newest is None:
            problems.append(
                f"{where} has no release heading in CHANGELOG.md. To release it, rename '## Unreleased' to "
                f"'## {version} (YYYY-MM-DD)'; until then make the version '{version}.dev0'"
            )
        elif newest != version:
            problems.append(
                f"{where} is not CHANGELOG.md's newest release, {newest}: release it under '## {version} (YYYY-MM-DD)'"
                f" or set the version to {newest}"
            )
        elif unreleased_entries:
            problems.append(
                f"{where} is released, but CHANGELOG.md has {unreleased_entries} "
                f"{'entry' if unreleased_entries == 1 else 'entries'} under '## Unreleased': "
                f"make the version the next one with '.dev0' (e.g. '{_next(version)}.dev0') or release them"
            )
    elif _DEV.match(version):
        if newest is not None and _triple(version) <= _triple(newest):
            problems.append(
                f"{where} would sort before the released {newest} (CHANGELOG.md): make it '{_next(newest)}.dev0'"
            )
    else:
        problems.append(f"{where} is neither a release 'X.Y.Z' nor a development version 'X.Y.Z.devN'")
    return problems


def _next(version: str) -> str:
    major, minor, _ = _triple(version)
    return f"{major}.{minor + 1}.0"


def stray(names: Iterable[str]) -> List[str]:
    """Files no artifact should carry: tests, caches, compiled bytecode, editor and merge leftovers."""
    found = []
    for name in names:
        parts = name.split("/")
        last = parts[-1]
        if (
            STRAY_PARTS.intersection(parts)
            or last.endswith(STRAY_SUFFIXES)
            or last == "conftest.py"
            or (last.startswith("test_") and last.endswith(".py"))
        ):
            found.append(name)
    return sorted(found)


def force_included(pyproject: dict) -> Dict[str, str]:
    """pyproject's ``[tool.hatch.build.targets.wheel.force-include]``: a folder of the repository -> its place in the
    wheel."""
    wheel = pyproject.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    return {source.strip("/"): target.strip("/") for source, target in wheel.get("force-include", {}).items()}


def wheel_files(tracked: Set[str], forced: Dict[str, str]) -> Set[str]:
    """What the wheel holds besides its .dist-info: the tracked package files, and each force-included folder's
    tracked files at the place pyproject names."""
    files = {name for name in tracked if name.startswith(PACKAGE + "/")}
    for source, target in forced.items():
        # A folder's files keep their path below it; a file is renamed.
        files |= {target + name[len(source) :] for name in tracked if name == source or name.startswith(source + "/")}
    return files


def pyproject_problems(pyproject: dict) -> List[str]:
    """Each force-included folder is in the sdist too: the wheel built from the sdist needs it."""
    include = pyproject.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {}).get("sdist", {})
    include = include.get("include", [])
    return [
        f"pyproject.toml force-includes {source} in the wheel, but the sdist's include list has no '/{source}'"
        for source in force_included(pyproject)
        if f"/{source}" not in include
    ]


def wheel_problems(wheel: Path, version: str, tracked: Set[str], license_text: bytes, pyproject: dict) -> List[str]:
    """``tracked``: the package's tracked files and those of the folders pyproject force-includes."""
    problems: List[str] = []
    expected = wheel_files(tracked, force_included(pyproject))
    expected_name = f"{PACKAGE}-{version}-py3-none-any.whl"
    if wheel.name != expected_name:
        problems.append(f"{wheel.name}: expected the file name {expected_name}")
    info = f"{PACKAGE}-{version}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_files = {n for n in names if n.startswith(info + "/")}
        package_files = names - metadata_files
        missing = sorted(expected - package_files)
        extra = sorted(package_files - expected)
        if missing:
            problems.append(f"{wheel.name}: tracked files missing from the wheel: {', '.join(missing)}")
        if extra:
            problems.append(f"{wheel.name}: files that are not tracked package files: {', '.join(extra)}")
        problems += [f"{wheel.name}: carries {name}" for name in stray(names)]
        for needed in ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE"):
            if f"{info}/{needed}" not in names:
                problems.append(f"{wheel.name}: no {info}/{needed}")
        if problems:
            return problems
        problems += _metadata_problems(wheel.name, archive.read(f"{info}/METADATA").decode(), version)
        if archive.read(f"{info}/licenses/LICENSE") != license_text:
            problems.append(f"{wheel.name}: {info}/licenses/LICENSE differs from LICENSE")
        problems += _entry_point_problems(wheel.name, archive.read(f"{info}/entry_points.txt").decode(), pyproject)
    return problems


def _metadata_problems(where: str, text: str, version: str) -> List[str]:
    problems = []
    metadata = email.parser.Parser().parsestr(text)
    for field, expected in (("Name", DISTRIBUTION), ("Version", version), ("License-Expression", "Apache-2.0")):
        if metadata.get(field) != expected:
            problems.append(f"{where}: METADATA {field} is {metadata.get(field)!r}, expected {expected!r}")
    if "LICENSE" not in (metadata.get_all("License-File") or []):
        problems.append(f"{where}: METADATA names no License-File: LICENSE")
    for requirement in metadata.get_all("Requires-Dist") or []:
        name = re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        specifier = requirement.split(";")[0]
        if name in COMPOSER_OWNED and re.search(r"<|==|~=|!=", specifier):
            problems.append(f"{where}: Requires-Dist {requirement!r} bounds a package Composer owns; lower bounds only")
    return problems


def _entry_point_problems(where: str, text: str, pyproject: dict) -> List[str]:
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    found = {section: dict(parser.items(section)) for section in parser.sections()}
    expected = {group: dict(points) for group, points in pyproject["project"].get("entry-points", {}).items()}
    expected["console_scripts"] = dict(pyproject["project"].get("scripts", {}))
    problems = []
    for group in ("apache_airflow_provider", "pytest11", "console_scripts"):
        if not expected.get(group):
            problems.append(f"pyproject.toml declares no {group} entry point")
    for group, points in expected.items():
        got = {name: value.strip() for name, value in found.get(group, {}).items()}
        if got != points:
            problems.append(f"{where}: entry points [{group}] are {got}, pyproject.toml says {points}")
    return problems


def sdist_problems(sdist: Path, version: str, tracked: Set[str]) -> List[str]:
    problems: List[str] = []
    top = f"{PACKAGE}-{version}"
    if sdist.name != f"{top}.tar.gz":
        problems.append(f"{sdist.name}: expected the file name {top}.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {m.name for m in archive.getmembers() if m.isfile()}
    outside = sorted(n for n in names if not n.startswith(top + "/"))
    if outside:
        problems.append(f"{sdist.name}: files outside {top}/: {', '.join(outside)}")
    inside = {n[len(top) + 1 :] for n in names if n.startswith(top + "/")}
    expected = tracked | SDIST_FILES
    missing = sorted(expected - inside)
    # hatchling adds the .gitignore it read; anything else is a stray.
    extra = sorted(inside - expected - {".gitignore"})
    if missing:
        problems.append(f"{sdist.name}: missing {', '.join(missing)}")
    if extra:
        problems.append(f"{sdist.name}: files that are not part of the release: {', '.join(extra)}")
    problems += [f"{sdist.name}: carries {name}" for name in stray(inside)]
    return problems


def digests(wheel: Path) -> Dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}


def same_wheel_problems(from_sdist: Path, from_tree: Path) -> List[str]:
    a, b = digests(from_sdist), digests(from_tree)
    differing = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
    if not differing:
        return []
    return [f"the wheel built from the sdist differs from the tree's in: {', '.join(differing)}"]


def tracked_package_files(root: Path, forced: Iterable[str] = ()) -> Set[str]:
    """The package's tracked files and those of the folders ``forced`` (pyproject's force-include sources)."""
    command = ["git", "ls-files", "-z", "--", PACKAGE, *forced]
    out = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
    return {name for name in out.stdout.split("\0") if name}


def _one(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    if len(found) != 1:
        raise SystemExit(f"{directory}: expected one {pattern}, found {[p.name for p in found]}")
    return found[0]


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    import tomllib  # Python 3.11+; imported here so that the test suite can load this module on 3.8 too

    dist_dir, tree_dir = Path(argv[0]), Path(argv[1])
    version = read_version((ROOT / VERSION_FILE).read_text(encoding="utf-8"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tracked = tracked_package_files(ROOT, force_included(pyproject))
    license_text = (ROOT / "LICENSE").read_bytes()
    sdist, wheel, tree_wheel = _one(dist_dir, "*.tar.gz"), _one(dist_dir, "*.whl"), _one(tree_dir, "*.whl")
    problems = changelog_problems(version, (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    problems += pyproject_problems(pyproject)
    problems += wheel_problems(wheel, version, tracked, license_text, pyproject)
    problems += sdist_problems(sdist, version, tracked)
    problems += same_wheel_problems(wheel, tree_wheel)
    for problem in problems:
        print(f"dist check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"dist check: {wheel.name} ({len(digests(wheel))} files) and {sdist.name} are release-ready: version")
    print(f"  {version} agrees with CHANGELOG.md, contents as tracked, entry points as declared, and the sdist")
    print("  builds the same wheel byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
