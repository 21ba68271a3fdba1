// Package render decides what a rediskit Cache is on Kubernetes, without touching a cluster:
// Resolve applies the shared defaults and every rule (the shared vocabulary's, the engine's,
// the kubernetes block's) and returns all problems at once; Render turns a resolved cache
// and its credentials into the desired objects as data (StatefulSets, Services,
// PodDisruptionBudgets, ConfigMaps, a Secret), with each node's configuration rendered by the
// engine's own code. The operator applies what Render returns; tests inspect it.
package render
