// Package kube is the cache component's Kubernetes target: the stack's `rediskit:kubernetes`
// settings, their validation by the operator's own rules, and the resources that put a cache
// on a cluster (the rediskit operator, when the stack installs it, and the Cache object) through
// the rediskit provider plugin.
package kube

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/install"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// Resource types of the rediskit plugin this target registers.
const (
	CacheType    = "rediskit:kubernetes:Cache"
	OperatorType = "rediskit:kubernetes:Operator"
)

// OperatorInstallation is the rediskit:kubernetes:Operator resource as a program sees it.
type OperatorInstallation struct {
	pulumi.CustomResourceState

	Available pulumi.BoolOutput `pulumi:"available"`
}

// Settings is a stack's `rediskit:kubernetes` block: where the cluster is, and the Cache's
// kubernetes block (storage, resources, Service type, image, Secrets) inlined beside it.
type Settings struct {
	// Kubeconfig is the kubeconfig file naming the cluster, relative to the project's root
	// when not absolute; empty: $KUBECONFIG or ~/.kube/config.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Context of the kubeconfig; empty: its current context.
	Context string `json:"context,omitempty"`
	// Namespace of the cache (created when missing); default "default".
	Namespace string `json:"namespace,omitempty"`
	// ReadyTimeout is how long `pulumi up` waits for the cache to be Ready (default 20m).
	ReadyTimeout string `json:"readyTimeout,omitempty"`
	// KeepVolumes keeps the nodes' volumes when the cache is destroyed.
	KeepVolumes bool `json:"keepVolumes,omitempty"`
	// Operator says whether the stack installs the rediskit operator, and how.
	Operator Operator `json:"operator,omitempty"`

	v1alpha1.Kubernetes
}

// Operator is the stack's installation of the rediskit operator. One operator serves every
// cache of a cluster: a stack installs it by default (and removes it when destroyed); where
// the cluster's operator is managed elsewhere, or several stacks share a cluster, set install
// false in all but one.
type Operator struct {
	Install         *bool  `json:"install,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Image           string `json:"image,omitempty"`
	ImagePullPolicy string `json:"imagePullPolicy,omitempty"`
	WatchNamespace  string `json:"watchNamespace,omitempty"`
}

// Installs tells whether the stack installs the operator (the default).
func (o Operator) Installs() bool { return o.Install == nil || *o.Install }

func (o Operator) options() install.Options {
	return install.Options{Namespace: o.Namespace, Image: o.Image, PullPolicy: corev1.PullPolicy(o.ImagePullPolicy), WatchNamespace: o.WatchNamespace}
}

// Defaults fills what the stack leaves out.
func (s Settings) Defaults() Settings {
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	return s
}

// Object is the Cache object a resolved cache and settings make.
func Object(c spec.Cache, s Settings) *v1alpha1.Cache {
	s = s.Defaults()
	obj := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: s.Namespace}}
	obj.Spec.Cache = c
	obj.Spec.Kubernetes = s.Kubernetes
	return obj
}

// Problems judges the raw cache (as the stack wrote it) and the settings by the operator's
// rules: the same words the Cache's Valid condition would say, under the stack's keys
// (cache.<field>, kubernetes.<field>).
func Problems(raw spec.Cache, s Settings) []validate.Problem {
	ps := &validate.Problems{}
	if s.Namespace != "" && len(validation.IsDNS1123Label(s.Namespace)) > 0 {
		ps.Add("kubernetes.namespace", s.Namespace, "a DNS label: at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit")
	}
	if s.Operator.Installs() {
		if err := s.Operator.options().Validate(); err != nil {
			ps.Add("kubernetes.operator", "(the installation)", "%s", err.Error())
		}
	}
	if _, err := render.Resolve(Object(raw, s)); err != nil {
		verr, ok := err.(*validate.Error)
		if !ok {
			ps.Add("cache", raw.Name, "%s", err.Error())
			return ps.List
		}
		for _, p := range verr.Problems {
			if !strings.HasPrefix(p.Field, "kubernetes.") {
				p.Field = "cache." + p.Field
			}
			ps.List = append(ps.List, p)
		}
	}
	return ps.List
}

// Cache is the rediskit:kubernetes:Cache resource as a program sees it.
type Cache struct {
	pulumi.CustomResourceState

	Phase                 pulumi.StringOutput `pulumi:"phase"`
	Endpoint              pulumi.StringOutput `pulumi:"endpoint"`
	ConfigurationEndpoint pulumi.StringOutput `pulumi:"configurationEndpoint"`
	PrimaryEndpoint       pulumi.StringOutput `pulumi:"primaryEndpoint"`
	ReaderEndpoint        pulumi.StringOutput `pulumi:"readerEndpoint"`
	Port                  pulumi.IntOutput    `pulumi:"port"`
	AuthUser              pulumi.StringOutput `pulumi:"authUser"`
	AuthToken             pulumi.StringOutput `pulumi:"authToken"`
	CACertificate         pulumi.StringOutput `pulumi:"caCertificate"`
	Shards                pulumi.IntOutput    `pulumi:"shards"`
	SlotsCovered          pulumi.IntOutput    `pulumi:"slotsCovered"`
	Nodes                 pulumi.ArrayOutput  `pulumi:"nodes"`
}

// NewCache registers the Cache object of a resolved cache; root is the project's root, which
// a relative kubeconfig path is under.
func NewCache(ctx *pulumi.Context, name string, c spec.Cache, s Settings, root string, opts ...pulumi.ResourceOption) (*Cache, error) {
	s = s.Defaults()
	obj := Object(c, s)
	specJSON, err := json.Marshal(obj.Spec)
	if err != nil {
		return nil, fmt.Errorf("encoding the spec of cache %s: %w", c.Name, err)
	}
	kubeconfig := s.Kubeconfig
	if kubeconfig != "" && !filepath.IsAbs(kubeconfig) {
		kubeconfig = filepath.Join(root, kubeconfig)
	}
	in := pulumi.Map{
		"namespace": pulumi.String(s.Namespace),
		"name":      pulumi.String(c.Name),
		"spec":      pulumi.String(string(specJSON)),
	}
	if kubeconfig != "" {
		in["kubeconfig"] = pulumi.String(kubeconfig)
	}
	if s.Context != "" {
		in["context"] = pulumi.String(s.Context)
	}
	if s.ReadyTimeout != "" {
		in["readyTimeout"] = pulumi.String(s.ReadyTimeout)
	}
	if s.KeepVolumes {
		in["keepVolumes"] = pulumi.Bool(true)
	}
	if s.Operator.Installs() {
		op := s.Operator
		oin := pulumi.Map{}
		for k, v := range map[string]string{"kubeconfig": kubeconfig, "context": s.Context, "namespace": op.Namespace, "image": op.Image,
			"imagePullPolicy": op.ImagePullPolicy, "watchNamespace": op.WatchNamespace} {
			if v != "" {
				oin[k] = pulumi.String(v)
			}
		}
		operator := &OperatorInstallation{}
		if err := ctx.RegisterResource(OperatorType, name+"-operator", oin, operator, opts...); err != nil {
			return nil, fmt.Errorf("registering the rediskit operator for cache %s: %w", c.Name, err)
		}
		// The Cache is created once the operator runs (and has installed the CRD), and
		// deleted before it goes.
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{operator}))
	}
	res := &Cache{}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"authToken"}))
	if err := ctx.RegisterResource(CacheType, name, in, res, opts...); err != nil {
		return nil, fmt.Errorf("registering cache %s on Kubernetes: %w", c.Name, err)
	}
	return res, nil
}
