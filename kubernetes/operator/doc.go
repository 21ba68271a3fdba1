// Package operator is the Kubernetes target's operator: a level-triggered reconciler
// (controller-runtime) of rediskit's Cache custom resource. Each pass reads the Cache, decides
// with kubernetes/render (Resolve: every rule, as the Valid condition; Render: the desired
// objects as data), makes the cluster match (apply.go), and reports what it observes in the
// status (status.go). Every step is idempotent, so a pass interrupted anywhere is finished by
// the next one.
//
// Past the objects, each pass asks every node what it is (facts.go), decides from the
// answers alone the steps that bring the nodes to the plan (topology.go: form a new cluster
// once every node answers, meet nodes at their pods' current addresses, serve unserved slots,
// attach replicas, forget identities gone), takes them (heal.go), labels each pod with its
// node's role, and reports phase, roles and slots in the status.
package operator
