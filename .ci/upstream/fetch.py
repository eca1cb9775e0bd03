"""Download and unpack a cncf-kubernetes provider sdist from PyPI into the cache folder ``.upstream/``.

The sdist is the only place upstream's provider unit tests are published, and nothing upstream is committed here, so
the lane fetches it at run time. PyPI's JSON simple API gives the file's URL and sha256 (per-version JSON pages are
not served by every index mirror); the archive is verified before it is unpacked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tarfile
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT = "apache-airflow-providers-cncf-kubernetes"
INDEX_URL = os.environ.get("UPSTREAM_INDEX_URL", "https://pypi.org/simple")
OPERATOR_TESTS = "tests/unit/cncf/kubernetes/operators/test_pod.py"
TRIGGER_TESTS = "tests/unit/cncf/kubernetes/triggers/test_pod.py"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sdist_file(version: str) -> dict:
    """The index's entry (filename, url, hashes) for the sdist of ``version``."""
    request = urllib.request.Request(
        "{}/{}/".format(INDEX_URL.rstrip("/"), PROJECT), headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    for entry in files:
        filename = entry["filename"]
        if not filename.endswith(".tar.gz"):
            continue
        name, _, file_version = filename[: -len(".tar.gz")].rpartition("-")
        if _normalized(name) == PROJECT and file_version == version:
            return entry
    raise LookupError(f"no sdist of {PROJECT} {version} on {INDEX_URL}")


def fetch_sdist(version: str, cache: Path) -> Path:
    """The unpacked sdist folder for ``version`` under ``cache``, downloading it on first use."""
    target = cache / (f"sdist-{version}")
    marker = target / ".complete"
    if marker.exists():
        return _root(target)
    entry = sdist_file(version)
    log.info("downloading %s", entry["filename"])
    with urllib.request.urlopen(entry["url"], timeout=120) as response:
        data = response.read()
    expected = entry.get("hashes", {}).get("sha256")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise ValueError("sha256 mismatch for {}".format(entry["filename"]))
    target.mkdir(parents=True, exist_ok=True)
    archive = target / entry["filename"]
    archive.write_bytes(data)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    marker.touch()
    return _root(target)


def _root(target: Path) -> Path:
    """The sdist's top folder (the archive holds one, named after the distribution)."""
    folders = [path for path in target.iterdir() if path.is_dir()]
    if len(folders) != 1:
        raise ValueError(f"expected one top folder in {target}, found {folders}")
    return folders[0]


def has_pod_tests(root: Path) -> bool:
    """Whether this sdist ships the pod operator tests the lane runs."""
    return (root / OPERATOR_TESTS).is_file()
