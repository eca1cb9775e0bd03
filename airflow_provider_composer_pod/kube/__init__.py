"""Talking to the Kubernetes API: clients, retries, pod identity, log streaming, failure diagnosis, teardown."""
