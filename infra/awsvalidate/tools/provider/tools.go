//go:build tools

// Package tools pins the program this module builds: the AWS provider that the aws-validate gate
// runs offline against every stack's plan.
package tools

import _ "github.com/hashicorp/terraform-provider-aws"
