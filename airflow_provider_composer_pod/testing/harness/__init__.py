"""The test harness: the ``KubernetesEmulator`` facade, its kubeconfig, the pytest plugin and the emulator command."""
