// Package operator is the Kubernetes target's operator: a level-triggered reconciler
// (controller-runtime) of rediskit's Cache custom resource. Each pass reads the Cache, decides
// with kubernetes/render (Resolve: every rule, as the Valid condition; Render: the desired
// objects as data), makes the cluster match (apply.go), and reports what it observes in the
// status (status.go). Every step is idempotent, so a pass interrupted anywhere is finished by
// the next one.
//
// What exists so far: validation into conditions, the credentials Secret, creating and healing
// the rendered objects, and the observed nodes (pod, Kubernetes node, zone, readiness). The
// cluster's bootstrap, failover, scaling and rolling changes (issue 14) come next; until then
// a valid cache stays in phase Creating with the Ready condition False, reason
// BootstrapPending, and never reports Ready.
package operator
