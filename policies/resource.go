package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Resource is the neutral view of one resource a rule sees: what a preview, a stack export
// and the offline plan all know about it.
type Resource struct {
	URN    string
	Type   string // e.g. "aws:elasticache/replicationGroup:ReplicationGroup"
	Name   string
	Custom bool // false for component resources
	Parent string
	// Inputs are the resource's properties in the Pulumi SDK's names (camelCase). Unknown
	// values are property.Computed and are never reported as violations.
	Inputs    property.Map
	DependsOn []string
}

// Stack is what stack-level rules and production detection see.
type Stack struct {
	Name    string
	Project string
	// Config is the stack's configuration ("rediskit:environment" -> "prod"), when known.
	Config map[string]string
	// Tags are the stack's tags, when known.
	Tags      map[string]string
	Resources []Resource
}

// StackFromURN returns the stack name embedded in a resource URN
// ("urn:pulumi:<stack>::<project>::<type>::<name>"). `pulumi policy analyze` never tells an
// analyzer which stack it looks at, so the URNs are the only place the name can come from.
func StackFromURN(urn string) string {
	rest, ok := strings.CutPrefix(urn, "urn:pulumi:")
	if !ok {
		return ""
	}
	stack, _, ok := strings.Cut(rest, "::")
	if !ok {
		return ""
	}
	return stack
}

// ProjectFromURN returns the project name embedded in a resource URN.
func ProjectFromURN(urn string) string {
	parts := strings.Split(strings.TrimPrefix(urn, "urn:pulumi:"), "::")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}
