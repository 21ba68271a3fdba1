// Package v1alpha1 is the rediskit.io/v1alpha1 API: the Cache custom resource the rediskit
// operator reconciles on Kubernetes. Its spec is rediskit's shared cache vocabulary
// (components/spec.Cache, inlined unchanged, so a stack's `rediskit:cache` and a Cache's
// spec are the same document) plus a small `kubernetes` block for what only a cluster has
// (storage, resources, Services, image, Secrets). Its status is what the operator observes.
//
// The types are plain Go with hand-written deep copies (deepcopy.go, guarded by a test that
// finds any reference-typed field a copy would share); the CRD manifest is derived from them
// by package kubernetes/api/crd.
package v1alpha1
