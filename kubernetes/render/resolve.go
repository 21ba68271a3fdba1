package render

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// Resolved is a Cache with every default applied and every rule checked: what Render takes.
type Resolved struct {
	// Namespace and UID of the Cache object, which owns everything rendered.
	Namespace string
	UID       types.UID
	// Cache is the shared vocabulary with spec.Defaults applied; its Name is the object's.
	Cache spec.Cache
	// Kubernetes is the kubernetes block with its defaults applied.
	Kubernetes v1alpha1.Kubernetes
	// NodeMemory is each node's memory in bytes: the container's memory limit.
	NodeMemory int64
	// Persistence is what each node writes to its volume.
	Persistence engine.Persistence
}

// kubernetesTarget is how AWSOnly's messages speak of this target.
var kubernetesTarget = spec.NonAWSTarget{
	Name:      "Kubernetes",
	Addresses: "gives every node a stable DNS name of its pod",
	Metrics:   "the operator serves the same metrics, under CloudWatch's names, for Prometheus",
}

// Resolve applies the defaults to a Cache and checks it with every rule that applies on
// Kubernetes: the shared vocabulary's (spec.Validate), the AWS-only features a non-AWS target
// refuses (spec.AWSOnly), the engine's own (engine.Deployment.Validate, on the deployment the
// pods will run) and the kubernetes block's. The error is a *validate.Error listing every
// problem, fields named as under the Cache's spec; ValidCondition turns it into a condition.
func Resolve(obj *v1alpha1.Cache) (*Resolved, error) {
	raw := obj.Spec.DeepCopy().Cache
	ps := &validate.Problems{What: fmt.Sprintf("cache %s/%s", obj.Namespace, obj.Name)}
	switch raw.Name {
	case "":
		raw.Name = obj.Name
	case obj.Name:
	default:
		// One name everywhere: the object's is the one kubectl, owner references and the
		// pods' names use.
		ps.Add("name", raw.Name, "empty or the object's own name %q", obj.Name)
	}
	c := spec.Defaults(raw)
	r := &Resolved{Namespace: obj.Namespace, UID: obj.UID, Cache: c}
	if err := c.Validate(); err != nil {
		verr, ok := err.(*validate.Error)
		if !ok {
			return r, err
		}
		ps.List = append(ps.List, verr.Problems...)
	}
	ps.List = append(ps.List, spec.AWSOnly(raw, kubernetesTarget)...)
	ps.List = append(ps.List, notOnKubernetes(raw, c)...)
	var kps []validate.Problem
	r.Kubernetes, r.NodeMemory, r.Persistence, kps = resolveKubernetes(obj.Spec.Kubernetes, raw, c)
	ps.List = append(ps.List, kps...)
	ps.List = append(ps.List, newFields(ps.List, engineProblems(r))...)
	return r, ps.Err()
}

// notOnKubernetes refuses what the vocabulary has but this target does not (yet) do, so a
// stack never silently loses a setting it asked for.
func notOnKubernetes(raw, c spec.Cache) []validate.Problem {
	ps := &validate.Problems{}
	switch c.Mode {
	case spec.ModeSingle, spec.ModeReplication, spec.ModeCluster:
	case spec.ModeServerless:
		ps.Add("mode", string(c.Mode), "single, replication or cluster: serverless is ElastiCache's")
	}
	if c.Auth.Mode == spec.AuthNone {
		// The engine's default user is always off: every connection authenticates.
		ps.Add("auth.mode", string(c.Auth.Mode), "token or rbac: the engine always authenticates")
	}
	if raw.SelfHosted != (spec.SelfHosted{}) {
		ps.Add("selfHosted", "set", "the Kubernetes target takes its settings from the kubernetes block")
	}
	if c.Encryption.KmsKeyID != "" {
		ps.Add("encryption.kmsKeyId", c.Encryption.KmsKeyID, "volumes are encrypted at rest by their storage class on Kubernetes; choose one with kubernetes.storageClass")
	}
	if c.GlobalReplicationGroupID != "" || c.CreateGlobalDatastore {
		ps.Add("globalReplicationGroupId", c.GlobalReplicationGroupID, "global datastores are ElastiCache's")
	}
	if len(c.Snapshots.RestoreFromRdb) > 0 {
		ps.Add("snapshots.restoreFromRdb", c.Snapshots.RestoreFromRdb, "S3 objects are ElastiCache's; on Kubernetes restore from a snapshot of the namespace's snapshot volume (snapshots.restoreFromSnapshot)")
	}
	if n := c.Snapshots.RestoreFromSnapshot; n != "" {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 || strings.Contains(n, "/") {
			ps.Add("snapshots.restoreFromSnapshot", n, "the name of a snapshot on the namespace's snapshot volume, such as mycache-auto-20261201-030000 (%s)", strings.Join(errs, "; "))
		}
	}
	return ps.List
}

// engineProblems checks the deployment the pods will run with the engine's own rules
// (placeholder credentials stand in for the ones the operator generates or reads), naming
// each field as the Cache's spec spells it.
func engineProblems(r *Resolved) []validate.Problem {
	cr := Credentials{AppToken: "placeholder-token-0000", AdminPassword: "placeholder-admin-0000", UserPasswords: map[string]string{}}
	for _, u := range r.Cache.Auth.Users {
		cr.UserPasswords[u.Name] = "placeholder-user-0000"
	}
	d := deploymentFor(r, cr, nil)
	err := d.Validate()
	if err == nil {
		return nil
	}
	verr, ok := err.(*validate.Error)
	if !ok {
		return []validate.Problem{{Field: "name", Value: r.Cache.Name, Allowed: err.Error()}}
	}
	var out []validate.Problem
	for _, p := range verr.Problems {
		if f, ok := engineFields[p.Field]; ok {
			p.Field = f
		} else if user, ok := strings.CutSuffix(p.Field, ".accessString"); ok {
			p.Field = user + ".access"
		} else if strings.HasPrefix(p.Field, "auth.users[") && strings.HasSuffix(p.Field, ".password") {
			p.Field = "kubernetes.authSecret"
		}
		if p.Field == "kubernetes.resources.limits.memory" {
			if b, ok := p.Value.(int64); ok {
				p.Value = fmt.Sprintf("%dMi", b>>20)
			}
		}
		out = append(out, p)
	}
	return out
}

// engineFields names the engine's fields as the Cache's spec spells them, where they differ.
var engineFields = map[string]string{
	"replicasPerShard":       "replicas",
	"snapshot.retentionDays": "snapshots.retentionDays",
	"snapshot.window":        "snapshots.window",
	"tls.mode":               "encryption.transitMode",
	"auth.appToken":          "kubernetes.authSecret",
	"nodeMemory":             "kubernetes.resources.limits.memory",
	"basePort":               "port",
}

// newFields keeps the problems whose field has none reported yet: the engine checks some
// fields the vocabulary's rules checked already, and a user should read each problem once.
func newFields(have, more []validate.Problem) []validate.Problem {
	seen := map[string]bool{}
	for _, p := range have {
		seen[p.Field] = true
	}
	var out []validate.Problem
	for _, p := range more {
		if !seen[p.Field] {
			out = append(out, p)
		}
	}
	return out
}
