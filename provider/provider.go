// Package provider is the rediskit Pulumi resource provider (pulumi-resource-rediskit): it
// serves rediskit:index:Deployment, whose create, read, update and delete drive the self-hosted
// engine. Processes run detached from the plugin, so a deployment outlives the `pulumi up`
// that made it.
package provider

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Name is the provider's package name; Version its plugin version.
const (
	Name    = "rediskit"
	Version = "0.1.0"
)

// New builds the provider.
func New() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithNamespace("rediskit").
		WithDisplayName("rediskit").
		WithDescription("Self-hosted Redis / Valkey deployments with ElastiCache semantics").
		WithResources(infer.Resource(&Deployment{})).
		Build()
}
