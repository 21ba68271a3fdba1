// Package provider is the rediskit Pulumi resource provider (pulumi-resource-rediskit): it
// serves rediskit:index:Deployment, whose create, read, update and delete drive the self-hosted
// engine. Processes run detached from the plugin, so a deployment outlives the `pulumi up`
// that made it.
package provider

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Name is the provider's package name; Version its plugin version.
const (
	Name    = "rediskit"
	Version = "0.2.0"
)

// New builds the provider.
func New() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithNamespace("rediskit").
		WithDisplayName("rediskit").
		WithDescription("Redis / Valkey caches with ElastiCache semantics: self-hosted deployments, caches on Kubernetes, and the golden components").
		WithResources(infer.Resource(&Deployment{}), infer.Resource(&KubernetesCache{}), infer.Resource(&KubernetesOperator{})).
		WithComponents(components()...).
		// Go packages name the modules: cache.Cache is the package's entry point, index.
		// The SDKs' names: `pip install rediskit`, `npm install @rediskit/rediskit`.
		WithLanguageMap(map[string]any{
			"python": map[string]any{"packageName": "rediskit"},
			"nodejs": map[string]any{"packageName": "@rediskit/rediskit"},
		}).
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"cache": "index"}).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	return withVocabulary(prov), nil
}
