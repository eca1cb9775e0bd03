"""What a pod uses: Secret and ConfigMap manifests, their helpers, names, and masking of their values."""
