"""Follow a container's log across broken connections: resume from the last timestamp, each line exactly once.

KubernetesPodOperator follows a log with one long HTTP response. When that breaks (``InvalidChunkLength``,
``IncompleteRead``, a reset connection, an API server that refuses connections for a while), providers before 10.x
stop logging or start over with ``sinceSeconds``, which repeats or drops the lines around the break; and a follow
that the kubelet never closes can hang after the container has ended.

:func:`follow_resumably` replaces one PodManager's ``read_pod_logs`` (the call every provider version makes for each
log read, with ``timestamps=True``) by a :class:`ResumableLog`: an iterable of the same raw lines that reconnects
with ``sinceTime`` from the last timestamp it handed out and skips what it already handed out. The API server cuts
``sinceTime`` to whole seconds, so a resumed read starts at the beginning of that second: lines older than the last
timestamp are skipped, and of the lines that carry exactly the last timestamp (several lines can share one) as many
as were already handed out. Between reconnects it reads the container's state: a container that has ended gets one
last read without ``follow``, so the stream always ends.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Tuple

from airflow_provider_composer_pod.kube.backoff import backoff_delay
from airflow_provider_composer_pod.kube.log_lines import (
    DEFAULT_TAIL_LINES,
    parse_timestamp,
    since_time,
    split_lines,
    stamp_ns,
)
from airflow_provider_composer_pod.kube.retries import transient_reason
from airflow_provider_composer_pod.kube.waits import wait

__all__ = ["LogPositions", "Position", "ResumableLog", "follow_resumably", "parse_timestamp", "since_time"]

_CONNECT_TIMEOUT = 30.0
_MAX_BACKOFF = 5.0


@dataclass
class Position:
    """How far one container's log has been handed out, and its last lines (for the failure message).

    ``tail`` holds the raw lines as read (decoding them waits until a failure message asks, see :meth:`last_lines`).
    """

    last_ns: Optional[int] = None
    at_last: int = 0  # lines handed out that carry exactly last_ns
    lines: int = 0
    tail: Deque[bytes] = field(default_factory=lambda: deque(maxlen=DEFAULT_TAIL_LINES))

    def record(self, line: bytes, stamp: Optional[int]) -> None:
        self.lines += 1
        if stamp is not None:
            if stamp == self.last_ns:
                self.at_last += 1
            elif self.last_ns is None or stamp > self.last_ns:
                self.last_ns, self.at_last = stamp, 1
        self.tail.append(line)

    def last_lines(self) -> List[str]:
        """The tail as text, without the timestamps."""
        texts = []
        for line in self.tail:
            text = line.decode("utf-8", "backslashreplace").rstrip("\r\n")
            if parse_timestamp(line) is not None:
                text = text.partition(" ")[2]
            texts.append(text)
        return texts


class LogPositions:
    """Positions per (namespace, pod, container); owned by the operator, so a rebuilt PodManager keeps them."""

    def __init__(self, tail_lines: int = DEFAULT_TAIL_LINES) -> None:
        self.tail_lines = max(0, int(tail_lines))
        self._positions: Dict[Tuple[str, str, str], Position] = {}

    def get(self, namespace: str, pod: str, container: str) -> Position:
        key = (namespace, pod, container)
        if key not in self._positions:
            self._positions[key] = Position(tail=deque(maxlen=self.tail_lines))
        return self._positions[key]

    def tail(self, namespace: str, pod: str, container: str) -> Optional[List[str]]:
        """The last lines handed out, or None when this container's log was never read."""
        position = self._positions.get((namespace, pod, container))
        return None if position is None or position.lines == 0 else position.last_lines()


def is_transient(error: BaseException) -> bool:
    """Worth reconnecting after: what every API call retries (:func:`~.retries.transient_reason`), and a log body
    cut short in the middle of a read (http.client's ``IncompleteRead``)."""
    return transient_reason(error) is not None or isinstance(error, http.client.HTTPException)


def _is_idle_timeout(error: BaseException) -> bool:
    import urllib3.exceptions

    return isinstance(error, urllib3.exceptions.ReadTimeoutError)


def _status(error: BaseException) -> Optional[int]:
    return getattr(error, "status", None)


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


def container_state(pod: Any, container: str) -> str:
    """``running``, ``terminated``, ``waiting`` or ``unknown`` for one container of a V1Pod."""
    statuses = [
        *(getattr(pod.status, "init_container_statuses", None) or []),
        *(getattr(pod.status, "container_statuses", None) or []),
    ]
    for status in statuses:
        if status.name == container and status.state is not None:
            for state in ("running", "terminated", "waiting"):
                if getattr(status.state, state, None) is not None:
                    return state
    return "unknown"


class ResumableLog:
    """One log read that survives broken connections; iterate it for raw ``<timestamp> <line>`` bytes.

    :param client: the CoreV1Api the PodManager uses.
    :param position: where this container's log stands (shared by every read of it).
    :param follow: keep reading until the container ends, as KPO asks.
    :param since_seconds: KPO's own resume hint, used only when this container was never read.
    :param idle_timeout: seconds without a byte after which the container's state is read (a follow the kubelet
        never closes ends here once the container has ended).
    :param give_up_after: seconds of failed reconnects after which the last error is raised (KPO's own handling
        then takes over, and its next read resumes from the same position).
    """

    def __init__(
        self,
        client: Any,
        pod: Any,
        container: str,
        position: Position,
        log: logging.Logger,
        *,
        follow: bool,
        since_seconds: Optional[int] = None,
        idle_timeout: float = 60.0,
        give_up_after: float = 600.0,
        sleep: Callable[[float], None] = wait,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.name: str = pod.metadata.name
        self.namespace: str = pod.metadata.namespace
        self.container = container
        self.position = position
        self.log = log
        self.follow = follow
        self.since_seconds = since_seconds
        self.idle_timeout = idle_timeout
        self.give_up_after = give_up_after
        self.sleep = sleep
        self.clock = clock
        self.reconnects = 0

    # ------------------------------------------------------------------------------------------------ reading
    def _open(self, follow: bool) -> Any:
        query: List[Tuple[str, str]] = [("container", self.container), ("timestamps", "true")]
        if follow:
            query.append(("follow", "true"))
        if self.position.last_ns is not None:
            query.append(("sinceTime", since_time(self.position.last_ns)))
        elif self.since_seconds:
            query.append(("sinceSeconds", str(int(self.since_seconds))))
        # sinceTime is not a parameter of the client's read_namespaced_pod_log, so this is the call it would make.
        return self.client.api_client.call_api(
            "/api/v1/namespaces/{namespace}/pods/{name}/log",
            "GET",
            path_params={"namespace": self.namespace, "name": self.name},
            query_params=query,
            header_params={"Accept": "text/plain, */*"},
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _preload_content=False,
            _request_timeout=(_CONNECT_TIMEOUT, self.idle_timeout),
        )

    def _read(self, response: Any) -> Iterator[bytes]:
        """The complete lines of one response not handed out before, each recorded as it is handed out.

        A line cut off by a broken connection is never handed out. An earlier read of this container may have handed
        out the start of this one: lines older than its last timestamp are skipped, and of those with exactly that
        timestamp as many as it handed out. This runs once per log line, so it parses only the timestamps that
        differ from the line before's and keeps each line as the bytes it arrived in.
        """
        position = self.position
        record = position.record
        resume_ns, skip_at_resume = position.last_ns, position.at_last
        catching_up = resume_ns is not None
        previous_raw, previous_ns = b"", None
        for line in split_lines(response.stream(amt=None, decode_content=True)):
            space = line.find(b" ")
            raw = line[:space] if space > 0 else line.rstrip(b"\r\n")
            if raw != previous_raw:
                previous_raw, previous_ns = raw, stamp_ns(raw)
            stamp = previous_ns
            if catching_up and stamp is not None:
                if stamp < resume_ns:  # type: ignore[operator]
                    continue
                if stamp == resume_ns and skip_at_resume:
                    skip_at_resume -= 1
                    continue
            catching_up = False
            record(line, stamp)
            yield line

    # ------------------------------------------------------------------------------------------------ state
    def _state(self) -> str:
        """The container's state, ``gone`` when the pod no longer exists; transient errors are raised."""
        from kubernetes.client.exceptions import ApiException

        try:
            pod = self.client.read_namespaced_pod(self.name, self.namespace)
        except ApiException as error:
            if error.status == 404:
                return "gone"
            raise
        return container_state(pod, self.container)

    def _resume_point(self) -> str:
        last = self.position.last_ns
        return "the start" if last is None else since_time(last)

    # ------------------------------------------------------------------------------------------------ loop
    def __iter__(self) -> Iterator[bytes]:
        follow = self.follow
        failing_since: Optional[float] = None
        attempt = 0
        while True:
            error: Optional[BaseException] = None
            handed_out = self.position.lines
            try:
                response = self._open(follow)
            except Exception as exc:
                if _status(exc) == 404:
                    return  # the pod is gone: nothing more to read
                if not is_transient(exc):
                    raise
                error = exc
            else:
                try:
                    yield from self._read(response)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    error = exc
                finally:
                    _close(response)
                if self.position.lines != handed_out:  # this read brought lines: the failures so far are over
                    failing_since, attempt = None, 0
            if error is None and not follow:
                return
            # The response ended, broke, or was idle too long: what does the container do now?
            try:
                state = self._state()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                state, error = "unknown", error or exc
            if state == "gone":
                return
            if error is None and state != "running":
                return  # a follow that ended with the container: the normal end
            if error is not None and _is_idle_timeout(error) and state == "running":
                self.log.debug("No log output from %s/%s for %.0f s; reconnecting.", self.name, self.container,
                               self.idle_timeout)  # fmt: skip
                continue
            if state in ("terminated", "waiting"):
                follow = False  # read what is left without follow: this read ends even if the kubelet hangs
            if error is None:
                # The server closed a follow of a running container: read on, and wait a little first when that read
                # brought nothing new (the container's status may lag behind the end of its log).
                if self.position.lines == handed_out:
                    attempt += 1
                    self.sleep(backoff_delay(attempt + 1, 0.1, _MAX_BACKOFF))
                continue
            if failing_since is None:
                failing_since = self.clock()
            elif self.clock() - failing_since > self.give_up_after:
                self.log.error(
                    "Log stream of pod %s container %s: no connection for %.0f s; giving up (%s).",
                    self.name,
                    self.container,
                    self.give_up_after,
                    _describe(error),
                )
                raise error
            attempt += 1
            self.reconnects += 1
            delay = 0.0 if attempt == 1 else backoff_delay(attempt - 1, 0.25, _MAX_BACKOFF)
            self.log.warning(
                "Log stream of pod %s container %s broke (%s); resuming from %s in %.1f s.",
                self.name,
                self.container,
                _describe(error),
                self._resume_point(),
                delay,
            )
            if delay:
                self.sleep(delay)


def _close(response: Any) -> None:
    for name in ("release_conn", "close"):
        method = getattr(response, name, None)
        if method is not None:
            try:
                method()
            except Exception:  # a broken connection may fail to close; it is dropped either way
                pass


def follow_resumably(
    manager: Any,
    client: Any,
    positions: LogPositions,
    *,
    idle_timeout: float = 60.0,
    give_up_after: float = 600.0,
) -> Any:
    """Make ``manager`` (a KPO PodManager of any provider version) read timestamped logs through ResumableLog.

    ``client`` is the CoreV1Api the manager was built with (the operator's ``client``).

    Every version reads a container's log by calling ``self.read_pod_logs(pod, container_name, ...,
    timestamps=True, since_seconds=..., follow=...)`` and iterating the result for raw lines; reads without
    timestamps go to the provider's own method unchanged.
    """
    original = manager.read_pod_logs

    def read_pod_logs(pod: Any, container_name: str, *args: Any, **kwargs: Any) -> Any:
        arguments = dict(zip(("tail_lines", "timestamps", "since_seconds", "follow"), args), **kwargs)
        if not arguments.get("timestamps") or arguments.get("tail_lines"):
            return original(pod, container_name, *args, **kwargs)
        return ResumableLog(
            client,
            pod,
            container_name,
            positions.get(pod.metadata.namespace, pod.metadata.name, container_name),
            manager.log,
            follow=bool(arguments.get("follow", True)),
            since_seconds=arguments.get("since_seconds"),
            idle_timeout=idle_timeout,
            give_up_after=give_up_after,
        )

    manager.read_pod_logs = read_pod_logs
    return manager
