// Package policies is rediskit's policy pack as plain Go: the ElastiCache (and, later,
// self-hosted) best-practice rules, their configuration and an evaluator, independent of
// any Pulumi policy runtime. The same rules run in three places: inside `pulumi preview`
// and `pulumi policy analyze` through the analyzer server in policies/pack, and offline on a
// stack's plan through `rediskit policy check`. Keeping them free of policyx makes every rule
// a function over a neutral view of a resource that unit tests can call directly.
//
// Rules see caches through CacheView, which adapters build from each resource type's inputs,
// so a rule about "encryption in transit" is written once for every type that means a cache.
package policies
