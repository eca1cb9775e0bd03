"""Discovery documents (``/version``, ``/api``, ``/api/v1``, ``/apis``…) in the shapes kubectl expects.

Aggregated discovery (``apidiscovery.k8s.io/v2``) is not served; clients fall back to these legacy documents
because the response Content-Type is plain ``application/json``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from airflow_provider_composer_pod.testing.apiserver.resources import CORE, GROUPS, discovery_entry

Obj = Dict[str, Any]


def version(minor: str = "32") -> Obj:
    return {
        "major": "1",
        "minor": minor,
        "emulationMajor": "1",
        "emulationMinor": minor,
        "gitVersion": f"v1.{minor}.4-gke.1415000",
        "gitCommit": "emulator",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def core_resources() -> Obj:
    resources = []
    for resource in CORE.values():
        resources.extend(discovery_entry(resource))
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources}


def _group(name: str, version_: str) -> Obj:
    gv = {"groupVersion": f"{name}/{version_}", "version": version_}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def api_groups() -> Obj:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g, v) for g, v in GROUPS]}


def api_group(name: str) -> Optional[Obj]:
    for group, version_ in GROUPS:
        if group == name:
            return dict(_group(group, version_), kind="APIGroup", apiVersion="v1")
    return None


def group_resources(group: str, version_: str) -> Optional[Obj]:
    resources = GROUPS.get((group, version_))
    if resources is None:
        return None
    entries = []
    for resource in resources.values():
        entries.extend(discovery_entry(resource))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version_}", "resources": entries}
