"""The ``composer-pod`` command line."""
