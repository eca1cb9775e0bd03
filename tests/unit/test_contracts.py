"""The house rules of ARCHITECTURE.md, checked on the source: who may import whom, no circles, small modules.

An AST walk over every module of the package: each ``import`` and ``from ... import`` (at module level or inside a
function, both count) becomes an edge from the importing module to the imported one.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

PACKAGE = "airflow_provider_composer_pod"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE
MAX_LINES = 400

# ARCHITECTURE.md, "Rooms": the shells hold the glue that imports Airflow's classes; the plain subpackages hold the
# logic; the emulator is a test double that stands alone.
SHELLS = ("operators", "hooks", "triggers", "cli")
PLAIN = ("validation", "startup", "workloads", "kube", "composer_api")
EMULATOR = "testing"
# The one room of the emulator that runs Airflow (``composer-pod demo`` runs ``airflow dags test``).
EMULATOR_DEMO = "testing.demo"
# Only these modules may name a provider module (airflow.providers...) or branch on the provider's version.
COMPAT = ("compat",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> Dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports, absolute (``from x import y`` yields ``x.y`` too when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}"


def _local(name: str) -> str:
    """``airflow_provider_composer_pod.kube.retries`` -> ``kube.retries``."""
    return name[len(PACKAGE) + 1 :] if name.startswith(PACKAGE + ".") else ""


def _in(local: str, rooms: Tuple[str, ...]) -> bool:
    return any(local == room or local.startswith(room + ".") for room in rooms)


GRAPH: Dict[str, Set[str]] = {
    name: {target for target in _imports(name, path) if target in MODULES} for name, path in MODULES.items()
}
EXTERNAL: Dict[str, Set[str]] = {
    name: {target for target in _imports(name, path) if not target.startswith(PACKAGE)}
    for name, path in MODULES.items()
}


def _edges(source_rooms: Tuple[str, ...]) -> Iterator[Tuple[str, str]]:
    for source, targets in GRAPH.items():
        if _in(_local(source), source_rooms):
            for target in sorted(targets):
                yield _local(source), _local(target)


def test_the_rooms_exist():
    # A rule over rooms that are not there would pass for nothing.
    for room in (*SHELLS, *PLAIN, EMULATOR, EMULATOR_DEMO, *COMPAT):
        assert any(_local(name) == room or _local(name).startswith(room + ".") for name in MODULES), room


def test_shells_do_not_import_the_emulator():
    bad = [(s, t) for s, t in _edges(SHELLS) if _in(t, (EMULATOR,))]
    assert bad == []


def test_plain_subpackages_do_not_import_the_shells():
    bad = [(s, t) for s, t in _edges(PLAIN) if _in(t, SHELLS)]
    assert bad == []


def test_the_emulator_stands_alone():
    """No Airflow and none of the rest of the package, except its demo, which runs DAGs."""
    bad: List[Tuple[str, str]] = []
    for name in MODULES:
        local = _local(name)
        if not _in(local, (EMULATOR,)) or _in(local, (EMULATOR_DEMO,)):
            continue
        bad += [(local, t) for t in GRAPH[name] if not _in(_local(t), (EMULATOR,))]
        bad += [(local, t) for t in EXTERNAL[name] if t == "airflow" or t.startswith("airflow.")]
    assert bad == []


def test_provider_paths_only_in_compat():
    """A version-specific provider path (``airflow.providers.cncf.kubernetes...``) is named only in compat."""
    bad = []
    for name, path in MODULES.items():
        local = _local(name)
        if _in(local, COMPAT):
            continue
        imported = [t for t in EXTERNAL[name] if t.startswith("airflow.providers")]
        named = [
            node.value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "airflow.providers." in node.value
        ]
        if imported or named:
            bad.append((local, imported + named))
    assert bad == []


def test_provider_version_branches_only_in_compat():
    """Only compat compares the installed provider's version; everyone else asks one of its named helpers."""
    bad = []
    for name, path in MODULES.items():
        local = _local(name)
        if _in(local, COMPAT) or _in(local, (EMULATOR,)):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                if names & {"PROVIDER_VERSION", "AIRFLOW_VERSION", "AIRFLOW_V_3"}:
                    bad.append((local, node.lineno))
    assert bad == []


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(_local(m) or PACKAGE for m in component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_edges_ignored(source: str, target: str) -> bool:
    """A package's ``__init__`` re-exporting its own modules (lazily or not) is not a circle of logic."""
    return MODULES[source].name == "__init__.py" and target.startswith(source + ".")


def test_no_import_circles():
    graph = {source: {t for t in targets if not _package_edges_ignored(source, t)} for source, targets in GRAPH.items()}
    assert _cycles(graph) == []


@pytest.mark.parametrize("name", sorted(MODULES), ids=_local)
def test_modules_stay_small(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_local(name)} has {lines} lines; split it along a real seam"


def test_the_contracts_catch_a_violation(tmp_path):
    """The walk sees function-level imports and relative imports: the rules above can fail."""
    source = "def f():\n    from ..testing import emulator\n    import airflow.providers.cncf.kubernetes\n"
    path = ROOT / "operators" / "_probe.py"
    name = f"{PACKAGE}.operators._probe"
    path_in_tmp = tmp_path / "_probe.py"
    path_in_tmp.write_text(source, encoding="utf-8")
    found = set(_imports(name, path_in_tmp))
    assert f"{PACKAGE}.testing" in found
    assert "airflow.providers.cncf.kubernetes" in found
    assert not path.exists()


# ARCHITECTURE.md's table, "May import", for the rooms of logic (the shells may import any of them).
ALLOWED = {
    "compat": {"errors"},
    "errors": {"validation"},  # for type hints only (Finding)
    "environment": {"errors"},
    "extras": set(),
    "fields": set(),
    "validation": {"compat", "errors", "environment", "fields", "workloads"},
    "startup": {"compat", "errors", "fields", "kube", "workloads", "validation"},
    "workloads": {"compat", "errors", "environment", "fields"},
    "kube": {"compat", "errors", "fields", "validation"},
    "composer_api": set(),
}


def _room(local: str) -> str:
    return local.split(".")[0] if local else ""


def test_rooms_import_only_what_the_architecture_page_allows():
    bad = []
    for source, targets in GRAPH.items():
        room = _room(_local(source))
        if room not in ALLOWED:
            continue
        for target in targets:
            other = _room(_local(target))
            if other != room and other not in ALLOWED[room]:
                bad.append((_local(source), _local(target)))
    assert bad == []
