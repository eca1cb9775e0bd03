"""The repository's scripts (``.ci/*.py``, ``docs/check_links.py``) loaded as modules for their unit tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative_path: str, name: str) -> ModuleType:
    """``relative_path`` (from the repository root) executed as module ``name``, registered in ``sys.modules`` (its
    dataclasses and pickling look themselves up there)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative_path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
