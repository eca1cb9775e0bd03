"""The request log: what the API server received, for tests to assert on."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

QueryValue = Union[str, List[str]]


@dataclass
class RequestRecord:
    """One request. ``query`` values are strings, or lists when a key repeats (exec ``command``)."""

    method: str
    path: str
    query: Dict[str, QueryValue]
    status: Optional[int] = None
    time: float = field(default_factory=time.time)
    is_watch: bool = False
    user_agent: str = ""
    content_type: str = ""
    body: Any = None
    verb: str = ""
    resource: str = ""
    namespace: Optional[str] = None
    name: Optional[str] = None
    # The connection was dropped unanswered (an injected outage); ``status`` is what the server did, 0 if nothing.
    dropped: bool = False

    @property
    def url(self) -> str:
        return self.path


class RequestLog:
    """Thread-safe: the server appends from its loop, tests read from theirs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: List[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records = []

    def select(
        self,
        method: Optional[str] = None,
        path: Optional[str] = None,
        path_contains: Optional[str] = None,
        status: Optional[int] = None,
        is_watch: Optional[bool] = None,
        verb: Optional[str] = None,
        resource: Optional[str] = None,
        namespace: Optional[str] = None,
    ) -> List[RequestRecord]:
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (method is None or r.method == method.upper())
            and (path is None or r.path == path)
            and (path_contains is None or path_contains in r.path)
            and (status is None or r.status == status)
            and (is_watch is None or r.is_watch == is_watch)
            and (verb is None or r.verb == verb)
            and (resource is None or r.resource == resource)
            and (namespace is None or r.namespace == namespace)
        ]
