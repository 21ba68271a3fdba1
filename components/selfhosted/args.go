// Package selfhosted is the self-hosted target's component side: it derives the inputs of the
// rediskit provider's Deployment resource (provider/schema) from a resolved spec.Cache and
// registers the resource. The wire format and its validation live with the provider.
package selfhosted

import (
	"path/filepath"
	"slices"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/provider/schema"
)

// FromSpec derives the deployment inputs from a resolved cache. root anchors a relative data
// directory (the program's working directory).
func FromSpec(c *spec.Cache, root string) schema.DeploymentArgs {
	s := c.SelfHosted
	dataDir := s.DataDir
	if dataDir == "" {
		dataDir = filepath.Join(".rediskit", c.Name)
	}
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(root, dataDir)
	}
	mem := s.NodeMemoryMB
	if nt, ok := spec.LookupNodeType(c.NodeType); ok && mem == 0 {
		mem = int(nt.MemoryGiB * 1024)
	}
	a := schema.DeploymentArgs{
		Name:                  c.Name,
		Environment:           c.Environment,
		Mode:                  string(c.Mode),
		ReplicasPerShard:      spec.Int(c.Replicas),
		Engine:                string(c.Engine),
		EngineVersion:         c.EngineVersion,
		Parameters:            c.Parameters,
		Zones:                 c.Zones,
		AuthMode:              string(c.Auth.Mode),
		TokenRevision:         c.Auth.TokenRevision,
		TokenUpdateStrategy:   c.Auth.UpdateStrategy,
		TLS:                   spec.Bool(c.Encryption.InTransit),
		Persistence:           s.Persistence,
		SnapshotRetentionDays: spec.Int(c.Snapshots.RetentionDays),
		SnapshotWindow:        c.Snapshots.Window,
		FinalSnapshot:         spec.Bool(c.Snapshots.FinalSnapshot),
		Driver:                s.Driver,
		Host:                  s.Host,
		BasePort:              s.BasePort,
		DataDir:               dataDir,
		NodeMemoryMB:          mem,
		Image:                 s.Image,
		MetricsPort:           s.MetricsPort,
		AutoRecover:           s.AutoRecover,
	}
	if c.Mode == spec.ModeCluster {
		a.Shards = c.ShardCount()
	}
	if a.TLS {
		a.TLSMode = c.Encryption.TransitMode
	}
	if c.Auth.Token != "" && !spec.IsPending(c.Auth.Token) {
		tok := c.Auth.Token
		a.AuthToken = &tok
	}
	// Brought certificates known now are validated before anything is registered; any that
	// resolves only at deploy time sends all three as inputs, checked by the provider.
	if certs := []string{s.TLSCertificate, s.TLSPrivateKey, s.TLSCACertificate}; !slices.ContainsFunc(certs, func(v string) bool { return v == "" || spec.IsPending(v) }) {
		a.TLSCertificate, a.TLSPrivateKey, a.TLSCACertificate = &certs[0], &certs[1], &certs[2]
	}
	for _, u := range c.Auth.Users {
		access := u.Access
		if access == "" {
			access = "on ~* &* +@all"
		}
		a.Users = append(a.Users, schema.User{Name: u.Name, Access: access})
	}
	for _, k := range spec.SortedKeys(c.Tags) {
		a.Tags = append(a.Tags, k+"="+c.Tags[k])
	}
	return a
}

// Check validates what a cache becomes on the self-hosted target with the provider's own
// rules (schema.Validate, which its Check runs too), naming each field as the cache's
// configuration spells it. Nothing is created.
func Check(c *spec.Cache) []validate.Problem {
	// The root only anchors a relative data directory, which no rule looks at.
	ps := schema.Validate(FromSpec(c, "/"))
	for i, p := range ps {
		if f, ok := specFields[p.Field]; ok {
			ps[i].Field = f
		}
	}
	return ps
}

// specFields maps the Deployment's inputs to the cache fields they come from, where the names
// differ (FromSpec is the other direction).
var specFields = map[string]string{
	"driver":                "selfHosted.driver",
	"image":                 "selfHosted.image",
	"host":                  "selfHosted.host",
	"basePort":              "selfHosted.basePort",
	"dataDir":               "selfHosted.dataDir",
	"nodeMemoryMb":          "selfHosted.nodeMemoryMb",
	"persistence":           "selfHosted.persistence",
	"metricsPort":           "selfHosted.metricsPort",
	"replicasPerShard":      "replicas",
	"snapshotRetentionDays": "snapshots.retentionDays",
	"snapshotWindow":        "snapshots.window",
	"tlsMode":               "encryption.transitMode",
	"authMode":              "auth.mode",
	"tokenUpdateStrategy":   "auth.updateStrategy",
	"tokenRevision":         "auth.tokenRevision",
}
