"""Every command of the built-in runtime by name: where the shell looks a command up."""

from __future__ import annotations

from typing import Dict

from airflow_provider_composer_pod.testing.runtime.builtins import control, files, processes, text
from airflow_provider_composer_pod.testing.runtime.shell_types import Builtin

BUILTINS: Dict[str, Builtin] = {**control.COMMANDS, **files.COMMANDS, **processes.COMMANDS, **text.COMMANDS}
