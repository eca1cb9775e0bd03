"""The pod's startup: the wait, the story told of it, the shared pod watch and the deferral deadline."""
