package selfhosted

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/provider/schema"
)

// Type is the token of the provider's resource.
const Type = "rediskit:index:Deployment"

// Deployment is the program-side handle of a rediskit:index:Deployment.
type Deployment struct {
	pulumi.CustomResourceState

	Endpoint  pulumi.StringOutput      `pulumi:"endpoint"`
	Port      pulumi.IntOutput         `pulumi:"port"`
	Sentinels pulumi.StringArrayOutput `pulumi:"sentinels"`
	// ConfigurationEndpoints are every node's host:port in cluster mode (a client's seed list).
	ConfigurationEndpoints pulumi.StringArrayOutput `pulumi:"configurationEndpoints"`
	CAFile                 pulumi.StringOutput      `pulumi:"caFile"`
	AppUser                pulumi.StringOutput      `pulumi:"appUser"`
	AppToken               pulumi.StringOutput      `pulumi:"appToken"`
	Healthy                pulumi.BoolOutput        `pulumi:"healthy"`
	SlotsCovered           pulumi.IntOutput         `pulumi:"slotsCovered"`
	Nodes                  pulumi.ArrayOutput       `pulumi:"nodes"`
	SnapshotDir            pulumi.StringOutput      `pulumi:"snapshotDir"`
	DataDir                pulumi.StringOutput      `pulumi:"dataDir"`
	Mode                   pulumi.StringOutput      `pulumi:"mode"`
	TLS                    pulumi.BoolOutput        `pulumi:"tls"`
	UserPasswords          pulumi.StringMapOutput   `pulumi:"userPasswords"`
	// MetricsEndpoint is the controller's /metrics URL ("" without metricsPort).
	MetricsEndpoint pulumi.StringOutput `pulumi:"metricsEndpoint"`
}

// Inputs renders the args as the resource's inputs; the token, when given, as a secret.
func Inputs(a schema.DeploymentArgs) pulumi.Map {
	m := pulumi.Map{
		"name":                  pulumi.String(a.Name),
		"mode":                  pulumi.String(a.Mode),
		"engine":                pulumi.String(a.Engine),
		"engineVersion":         pulumi.String(a.EngineVersion),
		"authMode":              pulumi.String(a.AuthMode),
		"tls":                   pulumi.Bool(a.TLS),
		"persistence":           pulumi.String(a.Persistence),
		"snapshotRetentionDays": pulumi.Int(a.SnapshotRetentionDays),
		"finalSnapshot":         pulumi.Bool(a.FinalSnapshot),
		"driver":                pulumi.String(a.Driver),
		"host":                  pulumi.String(a.Host),
		"basePort":              pulumi.Int(a.BasePort),
		"dataDir":               pulumi.String(a.DataDir),
	}
	opt := func(k string, set bool, v pulumi.Input) {
		if set {
			m[k] = v
		}
	}
	opt("environment", a.Environment != "", pulumi.String(a.Environment))
	opt("shards", a.Shards != 0, pulumi.Int(a.Shards))
	opt("replicasPerShard", a.ReplicasPerShard != 0, pulumi.Int(a.ReplicasPerShard))
	opt("parameters", len(a.Parameters) > 0, pulumi.ToStringMap(a.Parameters))
	opt("zones", len(a.Zones) > 0, pulumi.ToStringArray(a.Zones))
	opt("tlsMode", a.TLSMode != "", pulumi.String(a.TLSMode))
	opt("snapshotWindow", a.SnapshotWindow != "", pulumi.String(a.SnapshotWindow))
	opt("nodeMemoryMb", a.NodeMemoryMB != 0, pulumi.Int(a.NodeMemoryMB))
	opt("tags", len(a.Tags) > 0, pulumi.ToStringArray(a.Tags))
	opt("image", a.Image != "", pulumi.String(a.Image))
	opt("metricsPort", a.MetricsPort != 0, pulumi.Int(a.MetricsPort))
	opt("autoRecover", a.AutoRecover, pulumi.Bool(a.AutoRecover))
	opt("tokenRevision", a.TokenRevision != "", pulumi.String(a.TokenRevision))
	opt("tokenUpdateStrategy", a.TokenUpdateStrategy != "", pulumi.String(a.TokenUpdateStrategy))
	if a.AuthToken != nil {
		m["authToken"] = pulumi.ToSecret(pulumi.String(*a.AuthToken))
	}
	if a.TLSCertificate != nil && a.TLSPrivateKey != nil && a.TLSCACertificate != nil {
		m["tlsCertificate"] = pulumi.String(*a.TLSCertificate)
		m["tlsPrivateKey"] = pulumi.ToSecret(pulumi.String(*a.TLSPrivateKey))
		m["tlsCaCertificate"] = pulumi.String(*a.TLSCACertificate)
	}
	if len(a.Users) > 0 {
		var us pulumi.Array
		for _, u := range a.Users {
			us = append(us, pulumi.Map{"name": pulumi.String(u.Name), "access": pulumi.String(u.Access)})
		}
		m["users"] = us
	}
	return m
}

// NewDeployment registers a deployment with the rediskit provider after validating it.
func NewDeployment(ctx *pulumi.Context, name string, args schema.DeploymentArgs, opts ...pulumi.ResourceOption) (*Deployment, error) {
	return NewDeploymentWithToken(ctx, name, args, nil, opts...)
}

// DeploymentInputs are a deployment's values from other resources of the program, in place of
// the args' fields of the same names: the app user's token (a secret, a generated password)
// and brought certificates (a tls provider's, a vault's). Their values are checked when they
// resolve, by the provider's Check.
type DeploymentInputs struct {
	AuthToken        pulumi.StringInput
	TLSCertificate   pulumi.StringInput
	TLSPrivateKey    pulumi.StringInput
	TLSCACertificate pulumi.StringInput
}

// NewDeploymentWithToken is NewDeployment with the app user's token from another resource.
func NewDeploymentWithToken(ctx *pulumi.Context, name string, args schema.DeploymentArgs, token pulumi.StringInput, opts ...pulumi.ResourceOption) (*Deployment, error) {
	return NewDeploymentWithInputs(ctx, name, args, DeploymentInputs{AuthToken: token}, opts...)
}

// NewDeploymentWithInputs is NewDeployment with values from other resources of the program.
func NewDeploymentWithInputs(ctx *pulumi.Context, name string, args schema.DeploymentArgs, in DeploymentInputs, opts ...pulumi.ResourceOption) (*Deployment, error) {
	ps := &validate.Problems{What: fmt.Sprintf("registering deployment %s", name)}
	for _, f := range []struct {
		name  string
		input pulumi.StringInput
		given bool
	}{{"authToken", in.AuthToken, args.AuthToken != nil}, {"tlsCertificate", in.TLSCertificate, args.TLSCertificate != nil},
		{"tlsPrivateKey", in.TLSPrivateKey, args.TLSPrivateKey != nil}, {"tlsCaCertificate", in.TLSCACertificate, args.TLSCACertificate != nil}} {
		if f.input != nil && f.given {
			ps.Add(f.name, "given twice", "pass it in the args or as an input, not both")
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	if err := schema.Err(fmt.Sprintf("self-hosted deployment %q", args.Name), schema.Validate(args)); err != nil {
		return nil, err
	}
	var res Deployment
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"appToken", "previousAppToken", "adminPassword", "userPasswords"}))
	m := Inputs(args)
	if in.AuthToken != nil {
		m["authToken"] = pulumi.ToSecret(in.AuthToken)
	}
	if in.TLSCertificate != nil {
		m["tlsCertificate"] = in.TLSCertificate
	}
	if in.TLSPrivateKey != nil {
		m["tlsPrivateKey"] = pulumi.ToSecret(in.TLSPrivateKey)
	}
	if in.TLSCACertificate != nil {
		m["tlsCaCertificate"] = in.TLSCACertificate
	}
	if err := ctx.RegisterResource(Type, name, m, &res, opts...); err != nil {
		return nil, fmt.Errorf("registering deployment %s: %w", name, err)
	}
	return &res, nil
}
