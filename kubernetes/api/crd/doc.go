// Package crd is the CustomResourceDefinition of rediskit.io's Cache: Generate derives it from
// the Go types of kubernetes/api/v1alpha1 (their JSON shape and doc comments), and Manifest is
// the checked-in copy the operator and the Pulumi component install. A test fails when the two
// differ; `go test ./kubernetes/api/crd -update` writes the file again.
//
// The schema is structural (types, nesting, descriptions) and carries no rules of its own:
// ranges, enums and cross-field rules live once, in the shared validation, whose problems the
// operator reports as the Cache's Valid condition with the same words a `pulumi up` shows.
package crd
