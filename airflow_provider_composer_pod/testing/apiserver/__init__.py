"""The emulated kube-apiserver: object storage, validation, the REST paths over HTTP, and fault injection."""
