// Package cache is rediskit's single entry point: NewCache takes the target (aws, selfhosted or
// kubernetes), the shared cache vocabulary and the network, validates all of it at once, and
// builds the right resources for the target and mode.
package cache

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/elasticache"
	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/kube"
	"github.com/rediskit/rediskit/components/selfhosted"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/provider/schema"
)

// CacheArgs is everything a stack says about one cache.
type CacheArgs struct {
	Target  spec.Target
	Cache   spec.Cache
	Network spec.Network
	// Inputs are values the program wires from its other resources (its VPC, subnets and
	// security groups, KMS keys, topic, ...), each in place of the Cache or Network field it
	// names; see package inputs for how they are validated. The self-hosted target takes the
	// AUTH token only.
	Inputs inputs.Inputs
	// SecuritySources grants security groups from the program's other resources (AWS), keyed by
	// rule name: the same as Inputs.AllowedSecurityGroups, kept for programs that use it.
	SecuritySources map[string]pulumi.StringInput
	// Root is the project root (the directory of Pulumi.yaml), under which a relative
	// self-hosted data directory lives. Empty: the Pulumi context's root directory, which the
	// CLI sets; the Automation API's inline programs run without one, so whoever runs them
	// passes the project's root here.
	Root string
	// Kubernetes is where and how the cache runs on the kubernetes target (the stack's
	// rediskit:kubernetes block).
	Kubernetes kube.Settings
}

// Cache is a deployed cache and the facts applications need to connect to it.
type Cache struct {
	pulumi.ResourceState

	Target pulumi.StringOutput `pulumi:"target"`
	Mode   pulumi.StringOutput `pulumi:"mode"`
	// Endpoint is the one clients should use: the configuration endpoint in cluster mode, the
	// primary endpoint otherwise.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// PrimaryEndpoint, ReaderEndpoint and ConfigurationEndpoint are each set where they apply
	// and "" elsewhere: cluster mode has only the configuration endpoint, the other modes a
	// primary and a reader endpoint (serverless: its endpoint and reader endpoint).
	PrimaryEndpoint       pulumi.StringOutput `pulumi:"primaryEndpoint"`
	ReaderEndpoint        pulumi.StringOutput `pulumi:"readerEndpoint"`
	ConfigurationEndpoint pulumi.StringOutput `pulumi:"configurationEndpoint"`
	// ConfigurationEndpoints is the cluster-mode seed list as host:port: every node on the
	// self-hosted target, the configuration endpoint (a DNS name over every node) on AWS.
	ConfigurationEndpoints pulumi.StringArrayOutput `pulumi:"configurationEndpoints"`
	// Sentinels are the Sentinel addresses (host:port) Sentinel-aware clients ask for the current
	// primary: self-hosted replication mode only, empty elsewhere.
	Sentinels          pulumi.StringArrayOutput `pulumi:"sentinels"`
	Port               pulumi.IntOutput         `pulumi:"port"`
	TLSEnabled         pulumi.BoolOutput        `pulumi:"tlsEnabled"`
	ClusterModeEnabled pulumi.BoolOutput        `pulumi:"clusterModeEnabled"`
	AuthMode           pulumi.StringOutput      `pulumi:"authMode"`
	AuthToken          pulumi.StringOutput      `pulumi:"authToken" provider:"secret"`
	AuthSecretArn      pulumi.StringOutput      `pulumi:"authSecretArn"`
	ConnectionURL      pulumi.StringOutput      `pulumi:"connectionUrl"`
	SecurityGroupID    pulumi.StringOutput      `pulumi:"securityGroupId"`
	SubnetGroupName    pulumi.StringOutput      `pulumi:"subnetGroupName"`
	// AuthUser is the user the token belongs to (self-hosted: the app user; ElastiCache's
	// AUTH token needs none).
	AuthUser pulumi.StringOutput `pulumi:"authUser"`
	// CAFile is the CA certificate clients verify a self-hosted deployment with.
	CAFile pulumi.StringOutput `pulumi:"caFile"`
	// MetricsEndpoint is where a self-hosted deployment serves Prometheus metrics under
	// CloudWatch's names ("" on AWS, where they are in CloudWatch, or without metricsPort).
	MetricsEndpoint pulumi.StringOutput `pulumi:"metricsEndpoint"`
	// Nodes lists the nodes: ids on AWS (the member clusters), and on the self-hosted target also
	// shard, observed role, zone, address and liveness.
	Nodes pulumi.ArrayOutput `pulumi:"nodes"`

	// Group is the ElastiCache replication group (AWS target).
	Group *elasticache.ReplicationGroup
}

// Resolve applies the defaults to the cache and network and validates both, returning a single
// error that lists every problem. Nothing is created.
//
// A value wired as an Input that resolves only at deploy time is spec.Pending in the cache or
// network returned, and checked when it resolves (NewCache).
func Resolve(args *CacheArgs) (spec.Cache, spec.Network, error) {
	c, n, _, err := resolve(args)
	return c, n, err
}

func resolve(args *CacheArgs) (spec.Cache, spec.Network, *inputs.Wired, error) {
	if args == nil {
		args = &CacheArgs{}
	}
	target := args.Target
	if target == "" {
		target = spec.TargetAWS
	}
	in, ps := mergeSources(args)
	rawCache, rawNet := args.Cache, args.Network
	w, twice := inputs.Fold(&rawCache, &rawNet, in, inputs.Scope{Cache: "cache", Network: "network"})
	ps.List = append(ps.List, twice...)
	for _, f := range in.Set() {
		switch {
		case target == spec.TargetKubernetes:
			ps.Add("inputs."+f, "set", "not on the kubernetes target, which reads credentials and certificates from Secrets (kubernetes.authSecret, kubernetes.tlsSecret)")
		case target == spec.TargetSelfHosted && f != inputs.AuthToken && !inputs.SelfHostedOnly[f]:
			ps.Add("inputs."+f, "set", "the self-hosted target takes the AUTH token and its certificates (selfHosted.tls*) only; the other inputs are AWS resources")
		case target != spec.TargetSelfHosted && inputs.SelfHostedOnly[f]:
			ps.Add("inputs."+f, "set", "the self-hosted target only: ElastiCache manages the certificates of in-transit encryption")
		}
	}
	c := spec.Defaults(rawCache)
	n := spec.NetworkDefaults(rawNet)
	ps.What = fmt.Sprintf("cache %q", c.Name)
	probs, err := problems(target, c, n, args.Cache, args.Kubernetes)
	if err != nil {
		return c, n, w, err
	}
	ps.List = append(ps.List, probs...)
	w.Validate(inputs.Check{What: ps.What, Cache: c, Network: n, Problems: func(c spec.Cache, n spec.Network) []validate.Problem {
		probs, err := problems(target, c, n, args.Cache, args.Kubernetes)
		if err != nil {
			return []validate.Problem{{Field: "cache", Value: c.Name, Allowed: err.Error()}}
		}
		return probs
	}})
	return c, n, w, ps.Err()
}

// mergeSources adds SecuritySources to the inputs' security groups, refusing a key given twice.
func mergeSources(args *CacheArgs) (inputs.Inputs, *validate.Problems) {
	ps := &validate.Problems{}
	in := args.Inputs
	if len(args.SecuritySources) == 0 {
		return in, ps
	}
	sgs := make(map[string]pulumi.StringInput, len(in.AllowedSecurityGroups)+len(args.SecuritySources))
	for k, v := range in.AllowedSecurityGroups {
		sgs[k] = v
	}
	for k, v := range args.SecuritySources {
		if _, dup := sgs[k]; dup {
			ps.Add("securitySources."+k, "set", "a key of inputs.AllowedSecurityGroups already; give each source once")
			continue
		}
		sgs[k] = v
	}
	in.AllowedSecurityGroups = sgs
	return in, ps
}

// problems is the validation of a cache and network with defaults applied, raw being the cache
// as given (the self-hosted target refuses what it sets explicitly).
func problems(target spec.Target, c spec.Cache, n spec.Network, raw spec.Cache, k kube.Settings) ([]validate.Problem, error) {
	ps := &validate.Problems{}
	switch target {
	case spec.TargetAWS, spec.TargetSelfHosted:
	case spec.TargetKubernetes:
		// The operator's rules, the vocabulary's among them: what the Cache's Valid condition
		// would say, said before anything is deployed.
		return kube.Problems(raw, k), nil
	default:
		ps.Add("target", string(target), "aws, selfhosted or kubernetes")
	}
	if err := c.Validate(); err != nil {
		verr, ok := err.(*validate.Error)
		if !ok {
			return nil, err
		}
		ps.Merge("cache", verr.Problems)
	}
	if target == spec.TargetSelfHosted {
		ps.Merge("cache", newFields(ps.List, "cache", selfhosted.Check(&c)))
		ps.Merge("cache", spec.AWSOnly(raw, spec.NonAWSTarget{Name: "self-hosted",
			Addresses: "binds nodes to selfHosted.host", Metrics: "it serves the same metrics on selfHosted.metricsPort"}))
	} else {
		ps.Merge("cache", c.ValidateAWS())
		ps.Merge("network", n.Validate(c.Zones))
	}
	return ps.List, nil
}

// projectRoot is the directory a relative self-hosted data directory is under: root when
// given, else the context's root directory. Where neither is known (a program under the SDK's
// mocks) it is the working directory, which is where both used to be taken from; it differs
// between the CLI (the program's directory) and an inline program (its caller's).
func projectRoot(ctx *pulumi.Context, root string) (string, error) {
	if root == "" {
		root = ctx.RootDirectory()
	}
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("finding the project root for the data directory: %w", err)
		}
		return wd, nil
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("finding the project root for the data directory: %w", err)
	}
	return abs, nil
}

// NewCache builds a cache on its target.
func NewCache(ctx *pulumi.Context, name string, args *CacheArgs, opts ...pulumi.ResourceOption) (*Cache, error) {
	c, n, w, err := resolve(args)
	if err != nil {
		return nil, err
	}
	// The children validate again and name fields as their own args do; the values they get
	// here are already checked under this component's names, which a user's error then shows.
	wired := w.Inputs()
	target := args.Target
	if target == "" {
		target = spec.TargetAWS
	}
	var shArgs schema.DeploymentArgs
	if target == spec.TargetSelfHosted {
		root, err := projectRoot(ctx, args.Root)
		if err != nil {
			return nil, err
		}
		// Resolve ran the provider's rules on these already.
		shArgs = selfhosted.FromSpec(&c, root)
	}
	comp := &Cache{}
	if err := ctx.RegisterComponentResource("rediskit:index:Cache", name, comp, opts...); err != nil {
		return nil, err
	}
	if target == spec.TargetKubernetes {
		root, err := projectRoot(ctx, args.Root)
		if err != nil {
			return nil, err
		}
		// The Cache object carries the cache as the stack wrote it: the operator applies the
		// defaults itself, and refuses what a stack sets that Kubernetes does not do, which a
		// defaulted cache would appear to set.
		raw := args.Cache
		raw.Name = c.Name
		if err := buildKubernetes(ctx, name, comp, &c, raw, args.Kubernetes, root); err != nil {
			return nil, err
		}
	} else if target == spec.TargetSelfHosted {
		if err := buildSelfHosted(ctx, name, comp, &c, shArgs, wired); err != nil {
			return nil, err
		}
	} else if err := buildAWS(ctx, name, comp, &c, &n, wired); err != nil {
		return nil, err
	}
	comp.Target = pulumi.String(string(target)).ToStringOutput()
	comp.Mode = pulumi.String(string(c.Mode)).ToStringOutput()
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"target":                 comp.Target,
		"mode":                   comp.Mode,
		"endpoint":               comp.Endpoint,
		"primaryEndpoint":        comp.PrimaryEndpoint,
		"readerEndpoint":         comp.ReaderEndpoint,
		"configurationEndpoint":  comp.ConfigurationEndpoint,
		"configurationEndpoints": comp.ConfigurationEndpoints,
		"sentinels":              comp.Sentinels,
		"port":                   comp.Port,
		"tlsEnabled":             comp.TLSEnabled,
		"clusterModeEnabled":     comp.ClusterModeEnabled,
		"authMode":               comp.AuthMode,
		"authToken":              comp.AuthToken,
		"authSecretArn":          comp.AuthSecretArn,
		"connectionUrl":          comp.ConnectionURL,
		"securityGroupId":        comp.SecurityGroupID,
		"subnetGroupName":        comp.SubnetGroupName,
		"authUser":               comp.AuthUser,
		"caFile":                 comp.CAFile,
		"metricsEndpoint":        comp.MetricsEndpoint,
		"nodes":                  comp.Nodes,
	})
}

// buildSelfHosted registers the deployment with the rediskit provider.
func buildSelfHosted(ctx *pulumi.Context, name string, comp *Cache, c *spec.Cache, a schema.DeploymentArgs, wired inputs.Inputs) error {
	in := selfhosted.DeploymentInputs{AuthToken: wired.AuthToken}
	if a.TLSCertificate == nil {
		// Some certificate resolves at deploy time: all three go as inputs, the provider's
		// Check validating them together.
		known := func(w pulumi.StringInput, v string) pulumi.StringInput {
			if w == nil && v != "" {
				return pulumi.String(v)
			}
			return w
		}
		in.TLSCertificate = known(wired.TLSCertificate, c.SelfHosted.TLSCertificate)
		in.TLSPrivateKey = known(wired.TLSPrivateKey, c.SelfHosted.TLSPrivateKey)
		in.TLSCACertificate = known(wired.TLSCACertificate, c.SelfHosted.TLSCACertificate)
	}
	d, err := selfhosted.NewDeploymentWithInputs(ctx, name, a, in, pulumi.Parent(comp))
	if err != nil {
		return err
	}
	scheme := setOffAWS(comp, c)
	empty := pulumi.String("").ToStringOutput()
	comp.Endpoint = d.Endpoint
	comp.ReaderEndpoint = empty
	if c.Mode == spec.ModeCluster {
		comp.PrimaryEndpoint, comp.ConfigurationEndpoint = empty, d.Endpoint
	} else {
		comp.PrimaryEndpoint, comp.ConfigurationEndpoint = d.Endpoint, empty
	}
	comp.Sentinels = d.Sentinels
	comp.ConfigurationEndpoints = d.ConfigurationEndpoints
	comp.Port = d.Port
	comp.AuthToken = d.AppToken
	comp.AuthUser = d.AppUser
	comp.CAFile = d.CAFile
	comp.MetricsEndpoint = d.MetricsEndpoint
	comp.Nodes = d.Nodes
	comp.ConnectionURL = pulumi.Sprintf("%s://%s:%d", scheme, d.Endpoint, d.Port)
	return nil
}

// setOffAWS sets the outputs every target but AWS has alike (what the cache says of TLS,
// cluster mode and auth; no AWS secret, security group or subnet group) and returns the
// connection URL's scheme.
func setOffAWS(comp *Cache, c *spec.Cache) string {
	tls := spec.Bool(c.Encryption.InTransit)
	empty := pulumi.String("").ToStringOutput()
	comp.TLSEnabled = pulumi.Bool(tls).ToBoolOutput()
	comp.ClusterModeEnabled = pulumi.Bool(c.Mode == spec.ModeCluster).ToBoolOutput()
	comp.AuthMode = pulumi.String(string(c.Auth.Mode)).ToStringOutput()
	comp.AuthSecretArn, comp.SecurityGroupID, comp.SubnetGroupName = empty, empty, empty
	if tls {
		return "rediss"
	}
	return "redis"
}

// buildKubernetes registers the Cache object with the rediskit provider, which creates it on
// the cluster and waits until the operator there reports it Ready.
func buildKubernetes(ctx *pulumi.Context, name string, comp *Cache, c *spec.Cache, raw spec.Cache, k kube.Settings, root string) error {
	kc, err := kube.NewCache(ctx, name, raw, k, root, pulumi.Parent(comp))
	if err != nil {
		return err
	}
	scheme := setOffAWS(comp, c)
	empty := pulumi.String("").ToStringOutput()
	comp.Endpoint = kc.Endpoint
	comp.PrimaryEndpoint, comp.ReaderEndpoint, comp.ConfigurationEndpoint = kc.PrimaryEndpoint, kc.ReaderEndpoint, kc.ConfigurationEndpoint
	// The configuration endpoint is a Service over every node: one seed is enough.
	comp.ConfigurationEndpoints = pulumi.All(kc.ConfigurationEndpoint, kc.Port).ApplyT(func(v []any) []string {
		host, _ := v[0].(string)
		if host == "" {
			return []string{}
		}
		return []string{fmt.Sprintf("%s:%d", host, v[1])}
	}).(pulumi.StringArrayOutput)
	comp.Sentinels = pulumi.StringArray{}.ToStringArrayOutput()
	comp.Port = kc.Port
	comp.AuthToken = kc.AuthToken
	comp.AuthUser = kc.AuthUser
	comp.CAFile = empty
	comp.MetricsEndpoint = empty
	comp.Nodes = kc.Nodes
	comp.ConnectionURL = pulumi.Sprintf("%s://%s:%d", scheme, kc.Endpoint, kc.Port)
	return nil
}

// buildAWS composes the ElastiCache components for a resolved cache and network.
func buildAWS(ctx *pulumi.Context, name string, comp *Cache, c *spec.Cache, n *spec.Network, in inputs.Inputs) error {
	comp.Sentinels = pulumi.StringArray{}.ToStringArrayOutput()
	parent := pulumi.Parent(comp)
	net, err := elasticache.NewNetwork(ctx, name+"-network", &elasticache.NetworkArgs{Network: *n, Zones: c.Zones, Cache: *c,
		VpcID: in.VpcID, SubnetIDs: in.SubnetIDs}, parent)
	if err != nil {
		return fmt.Errorf("creating network: %w", err)
	}
	sg, err := elasticache.NewSecurityGroup(ctx, name+"-sg", &elasticache.SecurityGroupArgs{
		VpcID: net.VpcID, Network: *n, Sources: in.AllowedSecurityGroups, Cache: *c,
	}, parent)
	if err != nil {
		return fmt.Errorf("creating security group: %w", err)
	}
	comp.SecurityGroupID = sg.ID
	if c.Mode == spec.ModeServerless {
		// Serverless caches take subnet ids directly; no subnet group or parameter group.
		comp.SubnetGroupName = pulumi.String("").ToStringOutput()
		sc, err := elasticache.NewServerlessCache(ctx, name, &elasticache.ServerlessArgs{
			Cache: *c, SubnetIDs: net.SubnetIDs, SecurityGroupIDs: pulumi.StringArray{sg.ID}, Inputs: cacheInputs(in),
		}, parent)
		if err != nil {
			return fmt.Errorf("creating serverless cache: %w", err)
		}
		comp.Endpoint, comp.ReaderEndpoint, comp.Port = sc.Endpoint, sc.ReaderEndpoint, sc.Port
		comp.PrimaryEndpoint, comp.ConfigurationEndpoint = sc.Endpoint, pulumi.String("").ToStringOutput()
		comp.ConfigurationEndpoints = pulumi.StringArray{}.ToStringArrayOutput()
		comp.TLSEnabled = pulumi.Bool(true).ToBoolOutput()
		comp.ClusterModeEnabled = pulumi.Bool(false).ToBoolOutput()
		comp.AuthMode = pulumi.String(string(c.Auth.Mode)).ToStringOutput()
		comp.AuthToken = pulumi.String("").ToStringOutput()
		comp.AuthSecretArn = sc.AuthSecretArn
		comp.ConnectionURL = sc.ConnectionURL
		comp.Nodes = pulumi.Array{}.ToArrayOutput()
		comp.AuthUser = pulumi.String("").ToStringOutput()
		comp.CAFile = pulumi.String("").ToStringOutput()
		comp.MetricsEndpoint = pulumi.String("").ToStringOutput()
		return nil
	}
	subnets, err := elasticache.NewSubnetGroup(ctx, name+"-subnets", &elasticache.SubnetGroupArgs{SubnetIDs: net.SubnetIDs, Cache: *c}, parent)
	if err != nil {
		return fmt.Errorf("creating subnet group: %w", err)
	}
	comp.SubnetGroupName = subnets.Name
	pg, err := elasticache.NewParameterGroup(ctx, name+"-params", &elasticache.ParameterGroupArgs{Cache: *c}, parent)
	if err != nil {
		return fmt.Errorf("creating parameter group: %w", err)
	}
	rg, err := elasticache.NewReplicationGroup(ctx, name, &elasticache.GroupArgs{
		Cache:              *c,
		SubnetGroupName:    subnets.Name,
		SecurityGroupIDs:   pulumi.StringArray{sg.ID},
		ParameterGroupName: pg.Name,
		Inputs:             cacheInputs(in),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating %s group: %w", c.Mode, err)
	}
	comp.Group = rg
	comp.Endpoint = rg.Endpoint
	comp.PrimaryEndpoint = rg.PrimaryEndpoint
	comp.ReaderEndpoint = rg.ReaderEndpoint
	comp.ConfigurationEndpoint = rg.ConfigurationEndpoint
	// AWS's configuration endpoint is already a DNS name over every node: one seed is enough.
	comp.ConfigurationEndpoints = pulumi.All(rg.ConfigurationEndpoint, rg.Port).ApplyT(func(v []any) []string {
		host, _ := v[0].(string)
		if host == "" {
			return []string{}
		}
		return []string{fmt.Sprintf("%s:%d", host, v[1])}
	}).(pulumi.StringArrayOutput)
	comp.Port = rg.Port
	comp.TLSEnabled = rg.TLSEnabled
	comp.ClusterModeEnabled = rg.ClusterModeEnabled
	comp.AuthMode = rg.AuthMode
	comp.AuthToken = rg.AuthToken
	comp.AuthSecretArn = rg.AuthSecretArn
	comp.ConnectionURL = rg.ConnectionURL
	comp.Nodes = rg.MemberClusters.ApplyT(func(ids []string) []any {
		out := make([]any, len(ids))
		for i, id := range ids {
			out[i] = map[string]any{"id": id}
		}
		return out
	}).(pulumi.ArrayOutput)
	comp.AuthUser = pulumi.String("").ToStringOutput()
	comp.CAFile = pulumi.String("").ToStringOutput()
	comp.MetricsEndpoint = pulumi.String("").ToStringOutput()
	return nil
}

// cacheInputs are the inputs a replication group or serverless cache takes: the network's
// reach it as its subnets and security group.
func cacheInputs(in inputs.Inputs) inputs.Inputs {
	in.VpcID, in.SubnetIDs, in.AllowedSecurityGroups = nil, nil, nil
	return in
}

// newFields keeps the problems whose field has no problem reported yet: the provider's rules
// check some fields the cache's own validation checked already (name, version, windows), and
// a user should read each problem once.
func newFields(have []validate.Problem, prefix string, ps []validate.Problem) []validate.Problem {
	seen := map[string]bool{}
	for _, p := range have {
		seen[p.Field] = true
	}
	var out []validate.Problem
	for _, p := range ps {
		if !seen[prefix+"."+p.Field] {
			out = append(out, p)
		}
	}
	return out
}
