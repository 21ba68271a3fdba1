//go:build tools

// Package tools pins the program this module builds: the Terraform CLI that drives the AWS
// provider for the aws-validate gate.
package tools

import _ "github.com/hashicorp/terraform"
