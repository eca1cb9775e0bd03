"""Stand-ins for ``tests_common.test_utils``: see the package docstring one level up."""
