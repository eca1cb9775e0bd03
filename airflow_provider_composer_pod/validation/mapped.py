"""Mapped pod tasks (``.partial(...).expand(...)``) turned into the operators each map index runs, offline.

A mapped task is a ``MappedOperator``, not a KubernetesPodOperator: its partial arguments and its expansion are only
combined when a map index runs. For ``render`` and ``validate`` we combine them the way Airflow does (``expand``
crosses its lists, the last argument varying fastest; ``expand_kwargs`` takes one dict per index) when every value is
a literal; an expansion that comes from an upstream task is known at run time only, so the partial arguments alone
are checked.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Mapping, Optional, Sequence


def is_mapped_pod_task(task: Any, pod_operator: type) -> bool:
    operator_class = getattr(task, "operator_class", None)
    return isinstance(operator_class, type) and issubclass(operator_class, pod_operator)


def literal_expansions(task: Any) -> Optional[List[Dict[str, Any]]]:
    """Each map index's expanded arguments, in map-index order; None when any of them comes from upstream (XCom)."""
    expand_input = getattr(task, getattr(task, "_expand_input_attr", "expand_input"), None)
    value = getattr(expand_input, "value", None)
    if isinstance(value, Mapping):  # expand(a=[...], b=[...])
        lists: List[Sequence[Any]] = []
        for items in value.values():
            if isinstance(items, Mapping):
                lists.append(list(items.items()))
            elif isinstance(items, (list, tuple)):
                lists.append(items)
            else:
                return None
        return [dict(zip(value.keys(), combination)) for combination in itertools.product(*lists)]
    if isinstance(value, (list, tuple)) and all(isinstance(kwargs, Mapping) for kwargs in value):  # expand_kwargs
        return [dict(kwargs) for kwargs in value]
    return None


def unmapped(task: Any, expanded: Mapping[str, Any]) -> Any:
    """The operator one map index runs: the partial arguments with ``expanded`` over them."""
    return task.unmap(dict(expanded))
