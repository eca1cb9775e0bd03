"""Each pod argument's type, checked before any pod exists: literals at construction, templates after rendering.

KubernetesPodOperator passes most arguments straight into the client's models, which check no types: ``cmds="echo
hi"`` becomes a pod whose command is a string (the API server refuses it, or a runtime chokes on it), a
``container_resources="4Gi"`` reads as "requests unset", and ``env_vars=["A=1"]`` fails far away with the wrong
value quoted. Here each argument's value is held to what KPO accepts on every provider from 4.x to 10.x (dicts where
KPO converts them, the client's models, and objects with ``to_k8s_client_obj``), so a subclass keeps its parent's
promises, and anything else gets an error naming the argument, the value, the rule and the fix.

At construction a value that Airflow will render later (a Jinja string in a template field, an XComArg) is skipped;
:func:`check_task_arguments` checks the rendered values, right before KPO builds the pod.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Collection, Dict, FrozenSet, Mapping, Optional, Tuple

from airflow_provider_composer_pod.compat import RESOURCES_ATTRIBUTE
from airflow_provider_composer_pod.errors import ComposerPodInputError

# KPO's own rule for ``name`` (Airflow's validate_key), before it lowercases it and turns other runs into "-".
_NAME = re.compile(r"^[\w.-]+$", re.ASCII)
_JINJA = ("{{", "{%")


def _model(value: Any, *class_names: str) -> bool:
    """A client model of one of ``class_names`` (sync or async client), or an object KPO converts with
    ``to_k8s_client_obj`` (the provider's legacy Volume, VolumeMount, Port)."""
    return type(value).__name__ in class_names or callable(getattr(value, "to_k8s_client_obj", None))


def _strings(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _string_map(value: Any, *, values_may_be_none: bool = False) -> bool:
    if not isinstance(value, dict):
        return False
    return all(
        isinstance(key, str) and (isinstance(item, str) or (values_may_be_none and item is None))
        for key, item in value.items()
    )


def _models(*class_names: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, (list, tuple)) and all(
            isinstance(item, dict) or _model(item, *class_names) for item in value
        )

    return check


def _env_vars(value: Any) -> bool:
    if isinstance(value, dict):  # a None value is an unset one, as in V1EnvVar(name="A")
        return _string_map(value, values_may_be_none=True)
    return isinstance(value, (list, tuple)) and all(
        (isinstance(item, dict) and isinstance(item.get("name"), str)) or _model(item, "V1EnvVar") for item in value
    )


def _labels(value: Any) -> bool:
    """KPO makes label values strings itself (None -> "", 0 -> "0", False -> "False")."""
    return isinstance(value, dict) and all(
        isinstance(key, str) and (item is None or isinstance(item, (str, int, float, bool)))
        for key, item in value.items()
    )


def _image_pull_secrets(value: Any) -> bool:
    return isinstance(value, str) or _models("V1LocalObjectReference")(value)


# argument: (does the value pass, the rule, the fix)
RULES: Dict[str, Tuple[Callable[[Any], bool], str, str]] = {
    "cmds": (
        _strings,
        "the container's entrypoint is a list of strings, one per word; a string is not split into words",
        "pass a list, e.g. cmds=['bash', '-c', 'echo hi'] (numbers quoted: ['sleep', '5'])",
    ),
    "arguments": (
        _strings,
        "the entrypoint's arguments are a list of strings, one per argument",
        "pass a list, e.g. arguments=['--date', '{{ ds }}'] (numbers quoted: ['5'])",
    ),
    "env_vars": (
        _env_vars,
        "environment variables are a dict of names to string values, or a list of k8s.V1EnvVar",
        "pass env_vars={'A': '1'} or env_vars=[k8s.V1EnvVar(name='A', value='1')] (values quoted)",
    ),
    "container_resources": (
        lambda value: isinstance(value, dict) or _model(value, "V1ResourceRequirements"),
        "the container's resources are a k8s.V1ResourceRequirements (or a dict of requests and limits)",
        "pass container_resources=k8s.V1ResourceRequirements(requests={'cpu': '1', 'memory': '4Gi'})",
    ),
    "volumes": (
        _models("V1Volume"),
        "volumes are a list of k8s.V1Volume",
        "pass volumes=[k8s.V1Volume(name='data', empty_dir=k8s.V1EmptyDirVolumeSource())]",
    ),
    "volume_mounts": (
        _models("V1VolumeMount"),
        "volume mounts are a list of k8s.V1VolumeMount",
        "pass volume_mounts=[k8s.V1VolumeMount(name='data', mount_path='/data')]",
    ),
    "tolerations": (
        _models("V1Toleration"),
        "tolerations are a list of k8s.V1Toleration or of dicts",
        "pass tolerations=[k8s.V1Toleration(key='dedicated', operator='Equal', value='x', effect='NoSchedule')]",
    ),
    "affinity": (
        lambda value: isinstance(value, dict) or _model(value, "V1Affinity"),
        "affinity is a k8s.V1Affinity or a dict in the Pod API's shape",
        "pass affinity=k8s.V1Affinity(node_affinity=...) or {'nodeAffinity': {...}}",
    ),
    "node_selector": (
        lambda value: _string_map(value, values_may_be_none=True),  # JSON null decodes as ""
        "the node selector is a dict of label keys to string values",
        "pass node_selector={'cloud.google.com/compute-class': 'Balanced'} (values quoted)",
    ),
    "labels": (
        _labels,
        "labels are a dict of label keys to string values (KubernetesPodOperator turns numbers, booleans and None "
        "into strings)",
        "pass labels={'team': 'data'} (values quoted: {'version': '2'})",
    ),
    "annotations": (
        lambda value: _string_map(value, values_may_be_none=True),
        "annotations are a dict of keys to string values",
        "pass annotations={'example.com/owner': 'data-team'} (values quoted)",
    ),
    "name": (
        lambda value: isinstance(value, str) and _NAME.match(value) is not None,
        "a pod name argument is letters, digits, '-', '.' and '_' (KubernetesPodOperator lowercases it and turns "
        "'_' and '.' into '-')",
        "use a name such as 'my-pod', or leave name unset to derive it from task_id",
    ),
    "image_pull_secrets": (
        _image_pull_secrets,
        "image pull secrets are Secret names in one comma-separated string, or a list of k8s.V1LocalObjectReference",
        "pass image_pull_secrets='my-registry' or [k8s.V1LocalObjectReference(name='my-registry')]",
    ),
    "ports": (
        _models("V1ContainerPort"),
        "ports are a list of k8s.V1ContainerPort",
        "pass ports=[k8s.V1ContainerPort(container_port=8080, name='http')]",
    ),
}
CHECKED = tuple(RULES)


def _rendered_later(value: Any, templated: bool, template_ext: Tuple[str, ...]) -> bool:
    """Whether Airflow renders ``value`` before the task runs: then only the rendered value can be checked."""
    if callable(getattr(value, "resolve", None)) and callable(getattr(value, "iter_references", None)):
        return True  # an XComArg (or another of Airflow's ResolveMixin)
    if templated and isinstance(value, str):
        return "{{" in value or "{%" in value or (bool(template_ext) and value.endswith(template_ext))
    if templated and isinstance(value, (list, tuple)):  # Airflow renders each item: ["{{ dag.dag_id }}"]
        return any(_rendered_later(item, True, ()) for item in value)
    return False


def check_argument_types(
    values: Mapping[str, Any],
    *,
    template_fields: Collection[str] = (),
    template_ext: Collection[str] = (),
    rendered: bool = True,
) -> None:
    """Raise :class:`ComposerPodInputError` for the first argument of ``values`` whose type KPO would mishandle.

    Unset values pass: None, and the empty values KPO turns into its defaults (``cmds or []``), except an empty
    ``name``, which KPO refuses. Before rendering (``rendered=False``), values Airflow will render are skipped.
    """
    ext = tuple(template_ext)
    for name, (_, rule, fix) in RULES.items():
        value = values.get(name)
        if _fails(name, value, template_fields, ext, rendered):
            raise ComposerPodInputError(name, value, f"{rule}; got {_kind(value)}", fix)


def _fails(
    name: str, value: Any, template_fields: Collection[str], template_ext: Tuple[str, ...], rendered: bool
) -> bool:
    if value is None or (name != "name" and isinstance(value, (str, list, tuple, dict, int, float)) and not value):
        return False
    # A value that passes needs no more looking at (the usual case: this runs for every task on every DAG parse).
    return not RULES[name][0](value) and (rendered or not _rendered_later(value, name in template_fields, template_ext))


def _a(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _kind(value: Any) -> str:
    """What the value is, in a few words: ``a str``, ``a list with a str item``, ``a dict with an int value``."""
    if isinstance(value, (list, tuple)):
        odd: Optional[Any] = next((item for item in value if not isinstance(item, (str, dict))), None)
        odd = odd if odd is not None else next((item for item in value if isinstance(item, str)), None)
        return _a(value) + (f" with {_a(odd)} item" if odd is not None else "")
    if isinstance(value, dict):
        odd = next((item for item in value.values() if not isinstance(item, str)), None)
        return "a dict" + (f" with {_a(odd)} value" if odd is not None else "")
    return _a(value)


# Each operator class's template fields (a set) and extensions (a tuple), looked up once per class, not per task.
_TEMPLATES: Dict[Any, Tuple[Any, Any, FrozenSet[str], Tuple[str, ...]]] = {}


def _templates(operator_class: Any) -> Tuple[FrozenSet[str], Tuple[str, ...]]:
    fields = getattr(operator_class, "template_fields", ())
    ext = getattr(operator_class, "template_ext", ())
    known = _TEMPLATES.get(operator_class)
    if known is None or known[0] is not fields or known[1] is not ext:  # a class may set new ones later
        known = _TEMPLATES[operator_class] = (fields, ext, frozenset(fields), tuple(ext))
    return known[2], known[3]


def check_literal_arguments(operator_class: Any, name: Any, arguments: Mapping[str, Any]) -> None:
    """At construction, before KPO converts anything: the literal values (``arguments`` in the installed provider's
    words, and the ``name`` the user gave)."""
    fields, ext = _templates(operator_class)
    # Only the arguments given are looked at (a loop, not any(): this runs for every task on every DAG parse); should
    # one fail, check_argument_types raises for the first in RULES' order, as it would for all of them.
    failed = _fails("name", name, fields, ext, False)
    for key, value in arguments.items():
        if failed:
            break
        failed = key in RULES and _fails(key, value, fields, ext, False)
    if failed:
        check_argument_types({**arguments, "name": name}, template_fields=fields, template_ext=ext, rendered=False)


def check_task_arguments(task: Any) -> None:
    """After rendering: the task's own values (the resources under the installed provider's attribute)."""
    values = {name: getattr(task, name, None) for name in CHECKED}
    values["container_resources"] = getattr(task, RESOURCES_ATTRIBUTE, None)
    check_argument_types(values)


__all__ = ["CHECKED", "RULES", "check_argument_types", "check_literal_arguments", "check_task_arguments"]
