// Package pod is what runs inside a cache node's pod before its server does: the contract
// between the objects kubernetes/render renders and the pod (paths, environment, the shard's
// nodes.json), and `rediskit-engine pod-start`, which holds the engine's start guards at every
// start of the pod, whoever restarted it (kubelet, a drain, the operator, a machine coming
// back): an empty node never leads a shard whose replicas hold data, and an old primary
// returns as a replica.
//
// Deciding is apart from doing: Gather reads the volume and asks the shard's other nodes
// (Facts), Decide turns Facts into a Plan or a Refusal (pure, tested case by case), Execute
// carries a Plan out and becomes the server. The rules are the engine's (engine.GuardShard,
// engine.PromoteClusterReplica); this package only says what a pod knows of them.
//
// It imports no Kubernetes or Pulumi package: it runs in the engine image, inside the engine
// binary, which stays small (cmd/rediskit-engine's dependency test).
package pod
