// Package inputs lets a Go program hand a cache the values its other resources produce (the
// VPC, subnets and security groups it creates, its KMS keys, an SNS topic, a Firehose stream,
// a snapshot, a global datastore, an AUTH token) as Pulumi Inputs, beside the declarative
// spec a stack's config gives as plain strings.
//
// Each rule keeps one home, the spec's validation. A value known while the program runs
// (a plain pulumi.String) is put into the spec and validated with everything else before any
// resource is registered. A value that resolves only at deploy time (an Output) is put into the
// spec as spec.Pending, which the rules between fields count as set and the checks of the value
// itself skip; the Output reaches the resources wrapped in an apply that runs the same
// validation again with the value in place, so a bad value fails the update with the same
// problem (field, value, what is allowed). During a preview an unknown value stays unknown:
// nothing is invented for it, and it is not taken as valid.
package inputs

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// Inputs are the values of a cache a program may wire from its other resources. Each one set
// takes the place of the spec field it names (in stack config terms); setting both to
// different values is an error.
type Inputs struct {
	// VpcID is network.vpcId: an existing VPC (for example vpc.ID() of the program's ec2.Vpc).
	VpcID pulumi.StringInput
	// SubnetIDs is network.subnetIds. A pulumi.StringArray is checked element by element.
	SubnetIDs pulumi.StringArrayInput
	// AllowedSecurityGroups is network.allowedSecurityGroups: security groups granted the
	// cache port, keyed by the rule name.
	AllowedSecurityGroups map[string]pulumi.StringInput
	// KmsKeyID is cache.encryption.kmsKeyId (at rest).
	KmsKeyID pulumi.StringInput
	// LogsKmsKeyID is cache.logs.kmsKeyId (the CloudWatch log groups; an ARN).
	LogsKmsKeyID pulumi.StringInput
	// SecretKmsKeyID is cache.auth.secretKmsKeyId (the credentials secret).
	SecretKmsKeyID pulumi.StringInput
	// NotificationTopicArn is cache.notifications.topicArn.
	NotificationTopicArn pulumi.StringInput
	// FirehoseStream is cache.logs.firehoseStream.
	FirehoseStream pulumi.StringInput
	// RestoreFromSnapshot is cache.snapshots.restoreFromSnapshot.
	RestoreFromSnapshot pulumi.StringInput
	// RestoreFromRdb is cache.snapshots.restoreFromRdb.
	RestoreFromRdb pulumi.StringArrayInput
	// GlobalReplicationGroupID is cache.globalReplicationGroupId.
	GlobalReplicationGroupID pulumi.StringInput
	// AuthToken is the user-chosen AUTH token (both targets); it is made a secret and never
	// named in an error.
	AuthToken pulumi.StringInput
	// TLSCertificate, TLSPrivateKey and TLSCACertificate are certificates of the team's own
	// CA (PEM) for a self-hosted deployment, in place of the generated ones; the key is made
	// a secret and never named in an error. Self-hosted target only.
	TLSCertificate   pulumi.StringInput
	TLSPrivateKey    pulumi.StringInput
	TLSCACertificate pulumi.StringInput
}

// The fields, as stack config names them under rediskit:cache or rediskit:network.
const (
	VpcID                    = "vpcId"
	SubnetIDs                = "subnetIds"
	AllowedSecurityGroups    = "allowedSecurityGroups"
	KmsKeyID                 = "encryption.kmsKeyId"
	LogsKmsKeyID             = "logs.kmsKeyId"
	SecretKmsKeyID           = "auth.secretKmsKeyId"
	NotificationTopicArn     = "notifications.topicArn"
	FirehoseStream           = "logs.firehoseStream"
	RestoreFromSnapshot      = "snapshots.restoreFromSnapshot"
	RestoreFromRdb           = "snapshots.restoreFromRdb"
	GlobalReplicationGroupID = "globalReplicationGroupId"
	AuthToken                = "authToken"
	TLSCertificate           = "selfHosted.tlsCertificate"
	TLSPrivateKey            = "selfHosted.tlsPrivateKey"
	TLSCACertificate         = "selfHosted.tlsCaCertificate"
)

// SelfHostedOnly are the inputs only the self-hosted target takes; AuthToken both do.
var SelfHostedOnly = map[string]bool{TLSCertificate: true, TLSPrivateKey: true, TLSCACertificate: true}

// Set lists the fields given, as stack config names them.
func (in Inputs) Set() []string {
	var out []string
	for _, f := range stringFields {
		if *f.in(&in) != nil {
			out = append(out, f.path)
		}
	}
	for _, f := range arrayFields {
		if *f.in(&in) != nil {
			out = append(out, f.path)
		}
	}
	if len(in.AllowedSecurityGroups) > 0 {
		out = append(out, AllowedSecurityGroups)
	}
	return out
}

// stringField is one string input and the spec field it fills.
type stringField struct {
	path    string
	network bool
	secret  bool
	in      func(*Inputs) *pulumi.StringInput
	at      func(*spec.Cache, *spec.Network) *string
}

var stringFields = []stringField{
	{VpcID, true, false, func(i *Inputs) *pulumi.StringInput { return &i.VpcID },
		func(_ *spec.Cache, n *spec.Network) *string { return &n.VpcID }},
	{KmsKeyID, false, false, func(i *Inputs) *pulumi.StringInput { return &i.KmsKeyID },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Encryption.KmsKeyID }},
	{LogsKmsKeyID, false, false, func(i *Inputs) *pulumi.StringInput { return &i.LogsKmsKeyID },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Logs.KmsKeyID }},
	{SecretKmsKeyID, false, false, func(i *Inputs) *pulumi.StringInput { return &i.SecretKmsKeyID },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Auth.SecretKmsKeyID }},
	{NotificationTopicArn, false, false, func(i *Inputs) *pulumi.StringInput { return &i.NotificationTopicArn },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Notifications.TopicArn }},
	{FirehoseStream, false, false, func(i *Inputs) *pulumi.StringInput { return &i.FirehoseStream },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Logs.FirehoseStream }},
	{RestoreFromSnapshot, false, false, func(i *Inputs) *pulumi.StringInput { return &i.RestoreFromSnapshot },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Snapshots.RestoreFromSnapshot }},
	{GlobalReplicationGroupID, false, false, func(i *Inputs) *pulumi.StringInput { return &i.GlobalReplicationGroupID },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.GlobalReplicationGroupID }},
	{AuthToken, false, true, func(i *Inputs) *pulumi.StringInput { return &i.AuthToken },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.Auth.Token }},
	{TLSCertificate, false, false, func(i *Inputs) *pulumi.StringInput { return &i.TLSCertificate },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.SelfHosted.TLSCertificate }},
	{TLSPrivateKey, false, true, func(i *Inputs) *pulumi.StringInput { return &i.TLSPrivateKey },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.SelfHosted.TLSPrivateKey }},
	{TLSCACertificate, false, false, func(i *Inputs) *pulumi.StringInput { return &i.TLSCACertificate },
		func(c *spec.Cache, _ *spec.Network) *string { return &c.SelfHosted.TLSCACertificate }},
}

// arrayField is one list input and the spec field it fills.
type arrayField struct {
	path    string
	network bool
	in      func(*Inputs) *pulumi.StringArrayInput
	at      func(*spec.Cache, *spec.Network) *[]string
}

var arrayFields = []arrayField{
	{SubnetIDs, true, func(i *Inputs) *pulumi.StringArrayInput { return &i.SubnetIDs },
		func(_ *spec.Cache, n *spec.Network) *[]string { return &n.SubnetIDs }},
	{RestoreFromRdb, false, func(i *Inputs) *pulumi.StringArrayInput { return &i.RestoreFromRdb },
		func(c *spec.Cache, _ *spec.Network) *[]string { return &c.Snapshots.RestoreFromRdb }},
}

// Scope is how the caller names fields in its problems: NewCache under "cache" and
// "network", the ElastiCache components without a prefix.
type Scope struct{ Cache, Network string }

func (s Scope) name(network bool, path string) string {
	p := s.Cache
	if network {
		p = s.Network
	}
	if p == "" {
		return path
	}
	return p + "." + path
}

// Wired are the inputs of one component after Fold: the ones that resolve at deploy time,
// which the component renders in place of the spec's Pending.
type Wired struct {
	scope  Scope
	str    map[string]pulumi.StringInput         // by path
	elems  map[string]map[int]pulumi.StringInput // by path, then index: a StringArray's Outputs
	arrays map[string]pulumi.StringArrayInput    // by path: a whole array resolving at once
	sgs    map[string]pulumi.StringInput         // allowedSecurityGroups by key
	check  *Check
}

// known returns the value of an input that is known while the program runs: only the plain
// types are, an Output (even one already resolved) is not read here, since awaiting it would
// block the program on another resource.
func known(in pulumi.StringInput) (string, bool) {
	if s, ok := in.(pulumi.String); ok {
		return string(s), true
	}
	return "", false
}

// Fold puts the inputs into c and n: a known value as itself, an Output as spec.Pending. A
// field whose spec value is already Pending (a caller's Fold) takes the input again. It
// returns the deploy-time inputs and the problems of giving a field twice.
func Fold(c *spec.Cache, n *spec.Network, in Inputs, scope Scope) (*Wired, []validate.Problem) {
	w := &Wired{scope: scope, str: map[string]pulumi.StringInput{}, elems: map[string]map[int]pulumi.StringInput{},
		arrays: map[string]pulumi.StringArrayInput{}, sgs: map[string]pulumi.StringInput{}}
	ps := &validate.Problems{}
	twice := func(network bool, path string, have any) {
		ps.Add(scope.name(network, path), have, "set either the spec field or the input of the same name, not both")
	}
	for _, f := range stringFields {
		i := *f.in(&in)
		if i == nil {
			continue
		}
		at := f.at(c, n)
		v, ok := known(i)
		switch {
		case *at != "" && !spec.IsPending(*at) && (!ok || v != *at):
			shown := any(*at)
			if f.secret {
				shown = "(secret)"
			}
			twice(f.network, f.path, shown)
		case ok:
			*at = v
		default:
			*at = spec.Pending
			w.str[f.path] = i
		}
	}
	for _, f := range arrayFields {
		i := *f.in(&in)
		if i == nil {
			continue
		}
		at := f.at(c, n)
		if len(*at) > 0 && !slices.Contains(*at, spec.Pending) {
			twice(f.network, f.path, *at)
			continue
		}
		arr, ok := i.(pulumi.StringArray)
		if !ok {
			*at = []string{spec.Pending}
			w.arrays[f.path] = i
			continue
		}
		vs := make([]string, len(arr))
		for k, e := range arr {
			if v, ok := known(e); ok {
				vs[k] = v
				continue
			}
			vs[k] = spec.Pending
			if w.elems[f.path] == nil {
				w.elems[f.path] = map[int]pulumi.StringInput{}
			}
			w.elems[f.path][k] = e
		}
		*at = vs
	}
	for _, k := range sortedKeys(in.AllowedSecurityGroups) {
		i := in.AllowedSecurityGroups[k]
		have := n.AllowedSecurityGroups[k]
		v, ok := known(i)
		switch {
		case i == nil:
			continue
		case have != "" && !spec.IsPending(have) && (!ok || v != have):
			twice(true, AllowedSecurityGroups+"."+k, have)
			continue
		}
		m := make(map[string]string, len(n.AllowedSecurityGroups)+1)
		for kk, vv := range n.AllowedSecurityGroups {
			m[kk] = vv
		}
		if ok {
			m[k] = v
		} else {
			m[k] = spec.Pending
			w.sgs[k] = i
		}
		n.AllowedSecurityGroups = m
	}
	return w, ps.List
}

// Check is the validation a component ran before registering anything, to run again with each
// deploy-time value in place.
type Check struct {
	// What is validated, as the component's own error names it (`cache "rk"`).
	What string
	// Cache and Network are what the component validated (defaults applied, Pending in place).
	Cache   spec.Cache
	Network spec.Network
	// Problems is that validation; it found nothing with the values Pending.
	Problems func(c spec.Cache, n spec.Network) []validate.Problem
}

// Validate sets the validation the deploy-time values go through when they resolve.
func (w *Wired) Validate(k Check) { w.check = &k }

// Inputs returns the deploy-time inputs, each checked, for a child component to take: the
// values known now are in the spec the child gets. Validate must have been called.
func (w *Wired) Inputs() Inputs {
	if w.check == nil {
		panic("inputs: Wired.Inputs before Wired.Validate")
	}
	var in Inputs
	for path := range w.str {
		*fieldOf(path).in(&in) = w.String(path, "")
	}
	for _, f := range arrayFields {
		if w.arrays[f.path] != nil || len(w.elems[f.path]) > 0 {
			c, n := w.check.Cache, w.check.Network
			*f.in(&in) = w.Strings(f.path, *f.at(&c, &n))
		}
	}
	if len(w.sgs) > 0 {
		in.AllowedSecurityGroups = map[string]pulumi.StringInput{}
		for k := range w.sgs {
			in.AllowedSecurityGroups[k] = w.SecurityGroup(k, spec.Pending)
		}
	}
	return in
}

// String renders a string field: its checked input when it resolves at deploy time, else the
// spec's value.
func (w *Wired) String(path, plain string) pulumi.StringInput {
	i, ok := w.str[path]
	if !ok {
		return pulumi.String(plain)
	}
	f := fieldOf(path)
	return w.checked(i, w.scope.name(f.network, path), f.secret, func(c *spec.Cache, n *spec.Network, v string) { *f.at(c, n) = v })
}

// Strings renders a list field from the spec's values, with the deploy-time elements (or the
// whole list) from their inputs. The list is checked as a whole once every element resolves,
// so the rules over all of it (subnet zones) hold as for a list known now.
func (w *Wired) Strings(path string, plain []string) pulumi.StringArrayInput {
	f := arrayOf(path)
	put := func(c *spec.Cache, n *spec.Network, vs []string) { *f.at(c, n) = vs }
	name := w.scope.name(f.network, path)
	if a, ok := w.arrays[path]; ok {
		return w.checkedArray(a, name, put)
	}
	elems := w.elems[path]
	if len(elems) == 0 {
		return pulumi.ToStringArray(plain)
	}
	out := make(pulumi.StringArray, len(plain))
	for k, v := range plain {
		if e, ok := elems[k]; ok {
			out[k] = e
		} else {
			out[k] = pulumi.String(v)
		}
	}
	return w.checkedArray(out, name, put)
}

// SecurityGroup renders allowedSecurityGroups.<key>.
func (w *Wired) SecurityGroup(key, plain string) pulumi.StringInput {
	i, ok := w.sgs[key]
	if !ok {
		return pulumi.String(plain)
	}
	return w.checked(i, w.scope.name(true, AllowedSecurityGroups+"."+key), false, func(_ *spec.Cache, n *spec.Network, v string) {
		m := make(map[string]string, len(n.AllowedSecurityGroups))
		for k, x := range n.AllowedSecurityGroups {
			m[k] = x
		}
		m[key] = v
		n.AllowedSecurityGroups = m
	})
}

// checked returns in with its value validated when it resolves.
func (w *Wired) checked(in pulumi.StringInput, field string, secret bool, put func(*spec.Cache, *spec.Network, string)) pulumi.StringOutput {
	o := in.ToStringOutput()
	return o.ApplyT(func(v string) (string, error) {
		return v, w.verify(field, secret || pulumi.IsSecret(o), []string{v}, func(c *spec.Cache, n *spec.Network) { put(c, n, v) })
	}).(pulumi.StringOutput)
}

func (w *Wired) checkedArray(in pulumi.StringArrayInput, field string, put func(*spec.Cache, *spec.Network, []string)) pulumi.StringArrayOutput {
	o := in.ToStringArrayOutput()
	return o.ApplyT(func(vs []string) ([]string, error) {
		resolved := vs
		if len(vs) == 0 {
			resolved = []string{""}
		}
		return vs, w.verify(field, pulumi.IsSecret(o), resolved, func(c *spec.Cache, n *spec.Network) { put(c, n, vs) })
	}).(pulumi.StringArrayOutput)
}

// verify runs the component's validation with resolved values in place. A value resolving to
// nothing is refused here: the spec would read it as "not set" and change what it means (a
// new VPC instead of the given one).
func (w *Wired) verify(field string, secret bool, vs []string, put func(*spec.Cache, *spec.Network)) error {
	if w.check == nil {
		return fmt.Errorf("internal error: a deploy-time input was rendered before its component validated it")
	}
	c, n := w.check.Cache, w.check.Network
	put(&c, &n)
	probs := w.check.Problems(c, n)
	for _, v := range vs {
		if v == "" || spec.IsPending(v) {
			probs = append(probs, validate.Problem{Field: field, Value: v, Allowed: "a value: the input resolved to none"})
		}
	}
	if len(probs) == 0 {
		return nil
	}
	if secret {
		hidden := map[string]bool{}
		for _, v := range vs {
			hidden[v] = true
		}
		for i, p := range probs {
			if s, ok := p.Value.(string); ok && hidden[s] {
				probs[i].Value = "(secret)"
			}
		}
	}
	ps := &validate.Problems{What: w.check.What, List: probs}
	return fmt.Errorf("checking a value resolved at deploy time: %w", ps.Err())
}

func fieldOf(path string) stringField {
	for _, f := range stringFields {
		if f.path == path {
			return f
		}
	}
	panic("inputs: no string field " + path)
}

func arrayOf(path string) arrayField {
	for _, f := range arrayFields {
		if f.path == path {
			return f
		}
	}
	panic("inputs: no list field " + path)
}

func sortedKeys(m map[string]pulumi.StringInput) []string {
	plain := make(map[string]string, len(m))
	for k := range m {
		plain[k] = ""
	}
	return spec.SortedKeys(plain)
}
