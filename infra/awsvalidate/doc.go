// Package awsvalidate is the aws-validate gate: it hands every AWS resource of every stack's
// offline plan to the real AWS provider (the Terraform provider that pulumi-aws bridges) and
// reports what the provider refuses, without credentials and without a network call.
//
// Pulumi mocks accept any input, so a combination the provider forbids would pass every other
// test and fail on a user's first `pulumi preview`. The gate closes that gap offline:
//
//   - stacks.go names what is checked: the repository's AWS stacks and a generated stack for
//     every mode and option the components support;
//   - mapping.go is the data that turns a Pulumi resource (type token, camelCase inputs) into
//     the provider's resource type and attributes, with the schema differences between the
//     provider build used here and the one pulumi-aws v6.83.4 bridges;
//   - render.go decides the Terraform JSON configuration of a plan (unknowns stay unknown);
//   - terraform.go runs Terraform with the provider on it and reads the provider's diagnostics
//     back onto stack, resource and attribute.
//
// The provider and Terraform are built from the Go module proxy by build.sh (tools/) and cached
// by version; `make aws-validate` builds them and runs this package's tests.
package awsvalidate
