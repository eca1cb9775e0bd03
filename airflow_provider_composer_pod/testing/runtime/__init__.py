"""Container runtimes: the built-in shell interpreter and its commands, Python entrypoints, host subprocesses."""
