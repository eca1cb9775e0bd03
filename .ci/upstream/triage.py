"""A first triage of the flips, grouped by a best guess at the cause, written to ``.upstream/triage.md``.

The guesses come from the first line of each rebound failure; they point a reader at the likely product behaviour,
they do not replace reading the test. Rules are tried in order; the first match names the category.
"""

from __future__ import annotations

import re
from pathlib import Path

CATEGORIES = [
    (
        r"image=None is not valid",
        "image=None rejected by our pre-flight (ComposerPodInputError): upstream builds operators without an image",
    ),
    (
        r"ComposerPodConfigError",
        "ComposerPodOperator.hook builds ComposerPodHook, which loads a kube config itself: the test patches "
        "`airflow.providers.cncf.kubernetes.operators.pod.KubernetesHook` (e.g. `_get_default_client`), not our hook",
    ),
    (
        r"expected string or bytes-like object, got 'MagicMock'",
        "our code runs a regex/name check on a pod field that the test's MagicMock pod leaves as a MagicMock "
        "(pod name/identity handling differs on reattach and durable paths)",
    ),
    (
        r"_get_default_client\(\)\.call_api\(\)|API timeout",
        "our pre-flight/re-entry check reads the pod through client methods on a MagicMock client and fails on "
        "its MagicMock status fields",
    ),
    (
        r"'function' object has no attribute '(call_args|assert_called)",
        "test patches a KubernetesPodOperator method through the class; ComposerPodOperator overrides it, so the "
        "test's handle to the mock is lost (the override is called instead)",
    ),
    (
        r"Expected 'Path' to",
        "namespace default: the test patches the in-cluster namespace file lookup (`Path`), our namespace "
        "resolution does not read it there",
    ),
    (
        r"Expected 'get_connection' to be called once\. Called 2 times",
        "our hook reads the Airflow connection twice where KPO reads it once",
    ),
]
OTHER = "other behaviour difference: the call, value or error the test expects is not produced (read the test)"


def category(message: str) -> str:
    for pattern, name in CATEGORIES:
        if re.search(pattern, message):
            return name
    return OTHER


def write(path: Path, version: str, found: dict, trigger_run: dict | None, rebound: dict) -> Path:
    """Write the triage of ``found`` ({test id: (shipped entry, rebound entry)}) and return its path."""
    groups: dict[str, list[str]] = {}
    for test_id, (before, after) in found.items():
        line = "- `{}`: {} -> {}: `{}`".format(test_id, before["outcome"], after["outcome"], after["message"])
        groups.setdefault(category(after["message"]), []).append(line)
    lines = [f"# Upstream conformance triage (cncf-kubernetes {version})", ""]
    lines.append(f"{len(found)} flips (as shipped -> rebound to ComposerPodOperator), by likely cause:")
    lines.append("")
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    for name, entries in ordered:
        lines.append(f"- {len(entries)}: {name}")
    for name, entries in ordered:
        lines += ["", f"## {name} ({len(entries)})", ""] + entries
    if trigger_run is not None:
        extra = {t: e for t, e in trigger_run.items() if rebound.get(t, {}).get("outcome") != e["outcome"]}
        lines += [
            "",
            f"## Variant c: KubernetesPodTrigger also rebound to ComposerPodTrigger ({len(extra)} more flips)",
        ]
        lines.append("")
        for test_id, entry in sorted(extra.items()):
            before = rebound.get(test_id, {}).get("outcome", "absent")
            lines.append("- `{}`: {} -> {}: `{}`".format(test_id, before, entry["outcome"], entry["message"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
