"""The emulated scheduler and kubelet: pod lifecycles, scenarios, Events, and the environment a container gets."""
