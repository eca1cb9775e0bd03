"""The object store: etcd plus the watch cache, in memory and single-threaded on the emulator's event loop.

Every write takes the next value of one global ``resourceVersion`` counter and appends to a bounded event
history. A watch may resume from any version still inside that window; older versions answer ``410 Expired``,
which tests can force by calling :meth:`Store.compact`.

A stored version is never changed in place: a write stores a new one (sharing unchanged parts with the old), so the
history and the watchers hold stored versions themselves, while readers (``get``, ``find``, ``list``) get copies.
"""

from __future__ import annotations

import asyncio
import collections
import random
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple

from airflow_provider_composer_pod.testing import clock
from airflow_provider_composer_pod.testing.apiserver import errors
from airflow_provider_composer_pod.testing.apiserver.clone import clone
from airflow_provider_composer_pod.testing.apiserver.resources import (
    STORED,
    Resource,
    check_pod_update,
    ensure_namespace_body,
    prepare,
)
from airflow_provider_composer_pod.testing.apiserver.selectors import Requirement, match_fields, match_labels

Obj = Dict[str, Any]
Listener = Callable[[str, str, Obj, Optional[Obj]], None]
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass
class StoredEvent:
    """One change in the history window; ``old`` lets watches notice objects leaving a selector."""

    rv: int
    type: str
    resource: str
    namespace: Optional[str]
    obj: Obj
    old: Optional[Obj]


class Watcher:
    """A live watch: filters history and live changes into an asyncio queue of ``(type, object)``."""

    def __init__(
        self,
        resource: Resource,
        namespace: Optional[str],
        labels: List[Requirement],
        fields: List[Requirement],
        transform: Callable[[Obj], Obj],
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.transform = transform
        self.queue: asyncio.Queue[Tuple[str, Obj]] = asyncio.Queue()
        self.closed = asyncio.Event()

    def _matches(self, obj: Optional[Obj]) -> bool:
        if obj is None:
            return False
        view = self.transform(obj)
        return match_labels(self.labels, (view.get("metadata") or {}).get("labels")) and match_fields(self.fields, view)

    def offer(self, event: StoredEvent) -> None:
        if event.resource != self.resource.name:
            return
        if self.namespace and event.namespace != self.namespace:
            return
        now_matches = self._matches(event.obj)
        if event.type == "MODIFIED":
            was_matching = self._matches(event.old)
            if was_matching and not now_matches:
                self.queue.put_nowait(("DELETED", self.transform(event.obj)))
            elif now_matches and not was_matching:
                self.queue.put_nowait(("ADDED", self.transform(event.obj)))
            elif now_matches:
                self.queue.put_nowait(("MODIFIED", self.transform(event.obj)))
        elif now_matches:
            self.queue.put_nowait((event.type, self.transform(event.obj)))


class Store:
    """Objects keyed by resource, namespace and name, with the global resourceVersion counter."""

    def __init__(self, history_size: int = 1000) -> None:
        self.history_size = history_size
        self.listeners: List[Listener] = []
        self.reset()

    def reset(self) -> None:
        self.objects: Dict[str, Dict[Tuple[str, str], Obj]] = {name: {} for name in STORED}
        self.rv = 0
        self.history: Deque[StoredEvent] = collections.deque()
        self.compacted_rv = 0
        self.watchers: Set[Watcher] = set()

    # ---------------------------------------------------------------------------------------------- helpers
    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _emit(self, type_: str, resource: Resource, obj: Obj, old: Optional[Obj]) -> None:
        """Record and announce a write; ``obj`` and ``old`` are stored versions, which nothing changes in place.

        The history and the watchers keep them as they are. Listeners get one copy of each, shared by all of them
        (cloning per listener was most of the emulator's CPU at thousands of pods), so a listener must not change
        what it is given; the kubelet keeps the pod it gets, which is why there is a copy at all.
        """
        event = StoredEvent(self.rv, type_, resource.name, obj["metadata"].get("namespace"), obj, old)
        self.history.append(event)
        while len(self.history) > self.history_size:
            self.compacted_rv = self.history.popleft().rv
        for watcher in list(self.watchers):
            watcher.offer(event)
        if self.listeners:
            obj_copy, old_copy = clone(obj), (clone(old) if old else None)
            for listener in list(self.listeners):
                listener(type_, resource.name, obj_copy, old_copy)

    def compact(self) -> int:
        """Drop the whole history so every resourceVersion before now is "too old"; returns the new floor."""
        self.history.clear()
        self.compacted_rv = self.rv
        return self.compacted_rv

    def _key(self, namespace: Optional[str], name: str) -> Tuple[str, str]:
        return (namespace or "", name)

    def check_namespace(self, resource: Resource, namespace: Optional[str], name: str) -> None:
        """Creates into a missing namespace are 404 (namespace), into a terminating one 403."""
        if not resource.namespaced:
            return
        ns = self.objects["namespaces"].get(("", namespace or ""))
        if ns is None:
            raise errors.not_found("namespaces", namespace or "")
        if ns["status"].get("phase") == "Terminating":
            raise errors.namespace_terminating(resource.name, name, namespace or "")

    # ----------------------------------------------------------------------------------------------- reads
    def get(self, resource: Resource, namespace: Optional[str], name: str) -> Obj:
        obj = self.objects[resource.name].get(self._key(namespace if resource.namespaced else None, name))
        if obj is None:
            raise errors.not_found(resource.name, name, resource.group)
        return clone(obj)

    def find(self, resource: Resource, namespace: Optional[str], name: str) -> Optional[Obj]:
        """Like :meth:`get` without raising; internal callers (kubelet) use it."""
        obj = self.objects[resource.name].get(self._key(namespace if resource.namespaced else None, name))
        return clone(obj) if obj is not None else None

    def list(
        self,
        resource: Resource,
        namespace: Optional[str],
        labels: Optional[List[Requirement]] = None,
        fields: Optional[List[Requirement]] = None,
        transform: Optional[Callable[[Obj], Obj]] = None,
    ) -> List[Obj]:
        """Matching objects sorted by namespace/name, the order etcd keys give the real server."""
        transform = transform or (lambda o: o)
        result = []
        for (ns, _), obj in sorted(self.objects[resource.name].items()):
            if namespace and resource.namespaced and ns != namespace:
                continue
            view = transform(obj)
            if match_labels(labels or [], (view.get("metadata") or {}).get("labels")) and match_fields(
                fields or [], view
            ):
                result.append(clone(view))
        return result

    # ---------------------------------------------------------------------------------------------- writes
    def create(self, resource: Resource, namespace: Optional[str], body: Obj, dry_run: bool = False) -> Obj:
        meta: Obj = body["metadata"] if isinstance(body.get("metadata"), dict) else {}
        if not meta.get("name") and meta.get("generateName"):
            body = clone(body)
            body["metadata"]["name"] = meta["generateName"] + "".join(
                random.choice(_GENERATE_ALPHABET) for _ in range(5)
            )
        obj = prepare(resource, body)
        ensure_namespace_body(resource, obj, namespace)
        meta = obj["metadata"]
        self.check_namespace(resource, namespace, meta.get("name", ""))
        key = self._key(meta.get("namespace"), meta["name"])
        if key in self.objects[resource.name]:
            raise errors.already_exists(resource.name, meta["name"], resource.group)
        for transient in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"):
            meta.pop(transient, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = clock.rfc3339()
        if resource.has_generation:
            meta["generation"] = 1
        if dry_run:
            meta["resourceVersion"] = ""
            return obj
        meta["resourceVersion"] = str(self._next_rv())
        self.objects[resource.name][key] = obj
        self._emit("ADDED", resource, obj, None)
        return clone(obj)

    def update(
        self,
        resource: Resource,
        namespace: Optional[str],
        name: str,
        body: Obj,
        subresource: Optional[str] = None,
        check_rv: bool = True,
        dry_run: bool = False,
    ) -> Obj:
        """PUT semantics (also used after PATCH): optimistic concurrency, immutable identity, no-op detection."""
        key = self._key(namespace if resource.namespaced else None, name)
        old = self.objects[resource.name].get(key)
        if old is None:
            raise errors.not_found(resource.name, name, resource.group)
        new_meta: Obj = body["metadata"] if isinstance(body.get("metadata"), dict) else {}
        if new_meta.get("name") not in (None, name):
            raise errors.bad_request(
                "the name of the object ({}) does not match the name on the URL ({})".format(new_meta.get("name"), name)
            )
        if (
            check_rv
            and new_meta.get("resourceVersion")
            and new_meta["resourceVersion"] != old["metadata"]["resourceVersion"]
        ):
            raise errors.conflict(resource.name, name, resource.group)
        if subresource == "status":
            merged = clone(old)
            merged["status"] = clone(body.get("status") or {})
            obj = merged
        else:
            candidate = clone(body)
            candidate.setdefault("metadata", {})["name"] = name
            if resource.name == "pods":
                candidate["status"] = clone(old.get("status") or {})
            obj = prepare(resource, candidate)
            ensure_namespace_body(resource, obj, namespace)
            if resource.name == "pods":
                check_pod_update(old, obj)
        meta = obj["metadata"]
        for immutable in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if immutable in old["metadata"]:
                meta[immutable] = old["metadata"][immutable]
            else:
                meta.pop(immutable, None)
        meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        if resource.has_generation and obj.get("spec") != old.get("spec"):
            meta["generation"] = old["metadata"].get("generation", 1) + 1
        if obj == old:
            return clone(old)
        if dry_run:
            return obj
        meta["resourceVersion"] = str(self._next_rv())
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and old["metadata"].get("finalizers"):
            return self._remove(resource, key, obj)
        self.objects[resource.name][key] = obj
        self._emit("MODIFIED", resource, obj, old)
        return clone(obj)

    def set_status(self, resource: Resource, namespace: Optional[str], name: str, status: Obj) -> bool:
        """Kubelet-style status write without concurrency checks; ``False`` if the object is gone or unchanged.

        The new version shares everything but ``metadata`` and ``status`` with the old one: stored versions are
        never changed in place, so sharing is safe, and it spares copying the whole pod on every status change.
        """
        key = self._key(namespace, name)
        old = self.objects[resource.name].get(key)
        if old is None or old.get("status") == status:
            return False
        meta = dict(old["metadata"])
        meta["resourceVersion"] = str(self._next_rv())
        obj = dict(old)
        obj["metadata"] = meta
        obj["status"] = clone(status)
        self.objects[resource.name][key] = obj
        self._emit("MODIFIED", resource, obj, old)
        return True

    def bind(self, namespace: str, name: str, node_name: str) -> None:
        """The scheduler's binding: the stored pod's ``spec.nodeName``, without a new resourceVersion or event.

        The kubelet's next status write carries it to watchers. A new version replaces the stored one, since the
        history may hold the old one.
        """
        key = self._key(namespace, name)
        pod = self.objects["pods"][key]
        self.objects["pods"][key] = {**pod, "spec": {**pod["spec"], "nodeName": node_name}}

    def mark_deleting(self, resource: Resource, namespace: Optional[str], name: str, grace: int) -> Obj:
        """Graceful deletion: stamp ``deletionTimestamp`` and leave removal to the kubelet or finalizers."""
        key = self._key(namespace if resource.namespaced else None, name)
        old = self.objects[resource.name].get(key)
        if old is None:
            raise errors.not_found(resource.name, name, resource.group)
        if old["metadata"].get("deletionTimestamp"):
            return clone(old)
        obj = clone(old)
        obj["metadata"]["deletionTimestamp"] = clock.rfc3339(clock.now_ns() + grace * 1_000_000_000)
        obj["metadata"]["deletionGracePeriodSeconds"] = grace
        obj["metadata"]["resourceVersion"] = str(self._next_rv())
        self.objects[resource.name][key] = obj
        self._emit("MODIFIED", resource, obj, old)
        return clone(obj)

    def delete(self, resource: Resource, namespace: Optional[str], name: str) -> Obj:
        """Remove now (finalizers permitting); returns the object as last stored."""
        key = self._key(namespace if resource.namespaced else None, name)
        old = self.objects[resource.name].get(key)
        if old is None:
            raise errors.not_found(resource.name, name, resource.group)
        obj = clone(old)
        if not obj["metadata"].get("deletionTimestamp"):
            obj["metadata"]["deletionTimestamp"] = clock.rfc3339()
            obj["metadata"]["deletionGracePeriodSeconds"] = 0
        if obj["metadata"].get("finalizers"):
            obj["metadata"]["resourceVersion"] = str(self._next_rv())
            self.objects[resource.name][key] = obj
            self._emit("MODIFIED", resource, obj, old)
            return clone(obj)
        obj["metadata"]["resourceVersion"] = str(self._next_rv())
        return self._remove(resource, key, obj)

    def _remove(self, resource: Resource, key: Tuple[str, str], obj: Obj) -> Obj:
        self.objects[resource.name].pop(key, None)
        self._emit("DELETED", resource, obj, None)
        return clone(obj)

    # ----------------------------------------------------------------------------------------------- watch
    def watch(
        self,
        resource: Resource,
        namespace: Optional[str],
        labels: List[Requirement],
        fields: List[Requirement],
        since_rv: Optional[int],
        transform: Optional[Callable[[Obj], Obj]] = None,
    ) -> Watcher:
        """Register a watch; replay history after ``since_rv`` or, with ``None``, synthetic ADDED for all.

        Raises ``ApiError(410)`` when ``since_rv`` predates the history window; the HTTP layer turns it into
        the ERROR watch event a real server sends.
        """
        transform = transform or (lambda o: o)
        watcher = Watcher(resource, namespace if resource.namespaced else None, labels, fields, transform)
        if since_rv is None:
            for obj in self.list(resource, namespace, labels, fields, transform):
                watcher.queue.put_nowait(("ADDED", obj))
        else:
            if since_rv < self.compacted_rv:
                raise errors.gone(f"too old resource version: {since_rv} ({self.compacted_rv + 1})")
            for event in self.history:
                if event.rv > since_rv:
                    watcher.offer(event)
        self.watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)
        watcher.closed.set()

    def close_watches(self) -> None:
        """End every open watch (clients see a clean end of stream and must re-watch)."""
        for watcher in list(self.watchers):
            self.unwatch(watcher)


def namespace_object(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
