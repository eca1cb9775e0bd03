"""The Autopilot and Composer rule tables (``autopilot.yaml``, ``security.yaml``), read once, on first use, never at
import.

The rules live in the YAML files next to this module, each with its source URL and whether it was verified; this
module only turns them into typed, read-only objects. Validation code asks :func:`rule_book` and
:func:`security_rules` for them.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Mapping, Optional, Tuple

from airflow_provider_composer_pod.validation.quantities import parse_quantity

RESOURCES = ("cpu", "memory", "ephemeral-storage")
GENERAL_PURPOSE = "general-purpose"


@dataclass(frozen=True)
class Entry:
    """One documented value: what it is, where it comes from, and whether someone read it there."""

    value: Any
    source: str
    verified: bool
    note: str = ""
    table: str = "autopilot.yaml"

    @property
    def citation(self) -> str:
        """The source as a finding shows it: unverified rules say so."""
        return self.source if self.verified else f"{self.source}; unverified, see rules/{self.table}"


@dataclass(frozen=True)
class ClassRules:
    """What Autopilot enforces for one compute class."""

    name: str
    selector: Optional[str]
    defaults: Mapping[str, Entry]
    minimums: Mapping[str, Entry]
    maximums: Mapping[str, Entry]
    ratio_min: Optional[Entry]
    ratio_max: Optional[Entry]
    cpu_increment: Optional[Entry]
    limits_equal_requests: Optional[Entry]
    arm64_maximums: Mapping[str, Entry] = field(default_factory=dict)
    """Maximums on Arm nodes (``kubernetes.io/arch: arm64``), where the class has them (Scale-Out)."""


@dataclass(frozen=True)
class GpuRules:
    """What a pod that requests GPUs must say, and what each GPU type allows at most (over every GPU count)."""

    resource: str
    type_selector: Entry
    init_containers_allowed: Optional[Entry]
    type_maximums: Mapping[str, Mapping[str, Entry]]


@dataclass(frozen=True)
class GenerationRules:
    """What a Composer generation adds on top of (or instead of) Autopilot."""

    generation: int
    autopilot: bool
    entries: Mapping[str, Entry] = field(default_factory=dict)

    def get(self, name: str) -> Optional[Entry]:
        return self.entries.get(name)


@dataclass(frozen=True)
class RuleBook:
    """The whole table: compute classes by name, generations by number, and the xcom sidecar's defaults."""

    selector_key: str
    classes: Mapping[str, ClassRules]
    aliases: Mapping[str, str]
    generations: Mapping[int, GenerationRules]
    bursting: Mapping[str, ClassRules]
    sidecar_name: str
    sidecar_requests: Mapping[str, Entry]
    minimum_scope: str
    maximum_scope: str
    sources: Mapping[str, str]
    gpus: Optional[GpuRules] = None
    entries: Mapping[str, Entry] = field(default_factory=dict)
    """Single documented values: ``spot``, ``custom_compute_classes``, ``arch_selector``, ``node_pool_selector``,
    ``primary_container_annotation``."""

    def compute_class(self, name: Optional[str], pod_bursting: bool = False) -> Optional[ClassRules]:
        """The class called ``name`` (any alias, any case), or None when Autopilot has no such class."""
        canonical = self.canonical_class(name)
        if canonical is None:
            return None
        table = self.bursting if pod_bursting else self.classes
        return table[canonical]

    def canonical_class(self, name: Optional[str]) -> Optional[str]:
        return self.aliases.get((name or "").strip().lower())

    def generation(self, generation: Optional[int]) -> Optional[GenerationRules]:
        return self.generations.get(generation) if generation is not None else None

    def autopilot(self, generation: Optional[int]) -> bool:
        """Whether Autopilot's rules apply. Outside Composer (None) they do: the pod is meant for Composer 2 or 3."""
        rules = self.generation(generation)
        return rules.autopilot if rules is not None else generation is None


@dataclass(frozen=True)
class SecurityRules:
    """What Autopilot's admission policies reject (``security.yaml``); each ``value`` is what Autopilot allows."""

    privileged: Entry
    capabilities: Entry
    cluster_optional_capabilities: Entry
    disputed_capabilities: Entry
    host_namespaces: Entry
    host_path_prefixes: Entry
    host_path_read_only: Entry
    host_port: Entry


def _entry(raw: Any, *, quantity: bool = False) -> Optional[Entry]:
    if raw is None:
        return None
    value = raw.get("value")
    if quantity and value is not None:
        value = parse_quantity(str(value), "rules")
    return Entry(value, str(raw.get("source", "")), bool(raw.get("verified", False)), str(raw.get("note", "")))


def _quantities(raw: Optional[Mapping[str, Any]]) -> Dict[str, Entry]:
    entries: Dict[str, Entry] = {}
    for resource, item in (raw or {}).items():
        entry = _entry(item, quantity=True)
        if entry is not None and entry.value is not None:
            entries[resource] = entry
    return entries


def _enforced(entry: Optional[Entry]) -> Optional[Entry]:
    return entry if entry is not None and entry.value is not None else None


def _class_rules(name: str, raw: Mapping[str, Any]) -> ClassRules:
    ratio = raw.get("ratio") or {}
    selector = _entry(raw.get("selector"))
    return ClassRules(
        name=name,
        selector=selector.value if selector else None,
        defaults=_quantities(raw.get("default")),
        minimums=_quantities(raw.get("minimum")),
        maximums=_quantities(raw.get("maximum")),
        ratio_min=_enforced(_entry(ratio.get("min"), quantity=True)),
        ratio_max=_enforced(_entry(ratio.get("max"), quantity=True)),
        cpu_increment=_enforced(_entry(raw.get("cpu_increment"), quantity=True)),
        limits_equal_requests=_enforced(_entry(raw.get("limits_equal_requests"))),
        arm64_maximums=_quantities((raw.get("arm64") or {}).get("maximum")),
    )


def _gpu_rules(raw: Optional[Mapping[str, Any]]) -> Optional[GpuRules]:
    if not raw:
        return None
    types = {name: _quantities(item.get("maximum")) for name, item in (raw.get("types") or {}).items()}
    return GpuRules(
        resource=str(raw["resource"]["value"]),
        type_selector=_entry(raw["type_selector"]),  # type: ignore[arg-type]
        init_containers_allowed=_entry(raw.get("init_containers_allowed")),
        type_maximums=types,
    )


def _with_bursting(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    overrides = raw.get("with_pod_bursting") or {}
    merged = dict(raw)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and "value" not in value:
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _generation_rules(number: int, raw: Mapping[str, Any]) -> GenerationRules:
    entries = {key: entry for key, entry in ((k, _entry(v)) for k, v in raw.items()) if entry is not None}
    for key in ("max_memory",):
        if key in raw:
            entries[key] = _entry(raw[key], quantity=True)  # type: ignore[assignment]
    if "sidecars" in raw:
        entries["sidecars_max"] = Entry(int(raw["sidecars"].get("max", 1)), entries["sidecars"].source, True)
    autopilot = entries.get("autopilot")
    return GenerationRules(number, bool(autopilot.value) if autopilot else False, entries)


def parse_rule_book(data: Mapping[str, Any]) -> RuleBook:
    """Build a :class:`RuleBook` from the YAML's mapping (tests feed their own)."""
    classes: Dict[str, ClassRules] = {}
    bursting: Dict[str, ClassRules] = {}
    aliases: Dict[str, str] = {}
    for name, raw in data["compute_classes"].items():
        classes[name] = _class_rules(name, raw)
        bursting[name] = _class_rules(name, _with_bursting(raw))
        aliases[name.lower()] = name
        for alias in raw.get("aliases") or ():
            aliases[str(alias).lower()] = name
    sidecar = data["xcom_sidecar"]
    scopes = data.get("scopes") or {}
    return RuleBook(
        selector_key=data["compute_class_selector"]["value"],
        classes=classes,
        aliases=aliases,
        generations={int(k): _generation_rules(int(k), v) for k, v in data["generations"].items()},
        bursting=bursting,
        sidecar_name=sidecar["name"]["value"],
        sidecar_requests=_quantities(sidecar.get("requests")),
        minimum_scope=str((scopes.get("minimum") or {}).get("value", "container")),
        maximum_scope=str((scopes.get("maximum") or {}).get("value", "pod")),
        sources=dict(data.get("sources") or {}),
        gpus=_gpu_rules(data.get("gpus")),
        entries={
            name: entry
            for name, entry in (
                ("spot", _entry((data.get("spot") or {}).get("selector"))),
                ("custom_compute_classes", _entry(data.get("custom_compute_classes"))),
                ("arch_selector", _entry(data.get("arch_selector"))),
                ("node_pool_selector", _entry(data.get("node_pool_selector"))),
                ("primary_container_annotation", _entry(scopes.get("primary_container_annotation"))),
            )
            if entry is not None
        },
    )


def parse_security_rules(data: Mapping[str, Any]) -> SecurityRules:
    """Build :class:`SecurityRules` from ``security.yaml``'s mapping (tests feed their own)."""

    def entry(raw: Mapping[str, Any]) -> Entry:
        value = raw.get("value")
        if isinstance(value, list):
            value = tuple(str(item) for item in value)
        return Entry(
            value, str(raw["source"]), bool(raw.get("verified", False)), str(raw.get("note", "")), "security.yaml"
        )

    capabilities, host_path = data["capabilities"], data["host_path"]
    return SecurityRules(
        privileged=entry(data["privileged"]),
        capabilities=entry(capabilities["allowed"]),
        cluster_optional_capabilities=entry(capabilities["cluster_optional"]),
        disputed_capabilities=entry(capabilities["disputed"]),
        host_namespaces=entry(data["host_namespaces"]),
        host_path_prefixes=entry(host_path["allowed_prefixes"]),
        host_path_read_only=entry(host_path["read_only"]),
        host_port=entry(data["host_port"]),
    )


def _load(name: str) -> Any:
    """A YAML file of this package (wheel, zip or source tree), parsed with a safe loader."""
    import yaml  # Airflow depends on PyYAML; imported here so that importing this package stays cheap

    raw = pkgutil.get_data(__name__, name)
    if raw is None:  # pragma: no cover - only with a loader that cannot read data files
        raise RuntimeError(f"airflow_provider_composer_pod/validation/rules/{name} is missing from the installation")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw, Loader=loader)  # a safe loader


@lru_cache(maxsize=1)
def rule_book() -> RuleBook:
    """Read ``autopilot.yaml`` once per process."""
    return parse_rule_book(_load("autopilot.yaml"))


@lru_cache(maxsize=1)
def security_rules() -> SecurityRules:
    """Read ``security.yaml`` once per process."""
    return parse_security_rules(_load("security.yaml"))


def known_classes() -> Tuple[str, ...]:
    return tuple(rule_book().classes)
