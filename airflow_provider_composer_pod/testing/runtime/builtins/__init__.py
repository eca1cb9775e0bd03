"""Commands of the built-in runtime: enough of busybox for KPO, xcom, and log-heavy test containers.

Grouped by kind; ``table.BUILTINS`` holds them all. They get the running shell as a ``shell_types.ShellApi``.
"""
