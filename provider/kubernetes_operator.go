package provider

import (
	"context"
	"fmt"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rediskit/rediskit/kubernetes/access"
	"github.com/rediskit/rediskit/kubernetes/install"
)

// KubernetesOperator is the rediskit:kubernetes:Operator resource: the rediskit operator
// installed on a cluster (its namespace, service account, RBAC and Deployment; the operator
// installs its CRD when it starts), which keeps the caches there between `pulumi up`s.
type KubernetesOperator struct{}

// KubernetesOperatorArgs are its inputs.
type KubernetesOperatorArgs struct {
	KubernetesAccess
	Namespace       string `pulumi:"namespace,optional"`
	Image           string `pulumi:"image,optional"`
	ImagePullPolicy string `pulumi:"imagePullPolicy,optional"`
	WatchNamespace  string `pulumi:"watchNamespace,optional"`
	WaitTimeout     string `pulumi:"waitTimeout,optional"`
}

// Annotate describes the inputs.
func (a *KubernetesOperatorArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Namespace, "Namespace the operator runs in (default rediskit-system).")
	an.Describe(&a.Image, "The operator's image: the engine image, which carries it (default rediskit/engine:valkey-8.0).")
	an.Describe(&a.ImagePullPolicy, "IfNotPresent (default), Always or Never.")
	an.Describe(&a.WatchNamespace, "Keep the Caches of this namespace only; empty: every namespace.")
	an.Describe(&a.WaitTimeout, "How long to wait for the operator to be available (a Go duration; default 5m).")
}

// KubernetesOperatorState is its outputs.
type KubernetesOperatorState struct {
	KubernetesOperatorArgs
	// Available is whether the operator's Deployment was available when last read.
	Available bool `pulumi:"available"`
}

// Annotate names and describes the resource.
func (k *KubernetesOperator) Annotate(a infer.Annotator) {
	a.SetToken("kubernetes", "Operator")
	a.Describe(&k, "The rediskit operator on a Kubernetes cluster: it keeps rediskit:kubernetes:Cache objects healthy between deployments.")
}

func operatorOptions(a KubernetesOperatorArgs) (install.Options, error) {
	o := install.Options{Namespace: a.Namespace, Image: a.Image, PullPolicy: corev1.PullPolicy(a.ImagePullPolicy), WatchNamespace: a.WatchNamespace}
	if a.WaitTimeout != "" {
		d, err := time.ParseDuration(a.WaitTimeout)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("waitTimeout %q is not allowed; it must be a positive Go duration such as 5m", a.WaitTimeout)
		}
		o.WaitTimeout = d
	}
	return o, o.Validate()
}

// Check validates the options before anything reaches a cluster.
func (k *KubernetesOperator) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[KubernetesOperatorArgs], error) {
	args, failures, err := infer.DefaultCheck[KubernetesOperatorArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[KubernetesOperatorArgs]{Inputs: args, Failures: failures}, err
	}
	if _, err := operatorOptions(args); err != nil {
		failures = append(failures, p.CheckFailure{Reason: err.Error()})
	}
	return infer.CheckResponse[KubernetesOperatorArgs]{Inputs: args, Failures: failures}, nil
}

func (k *KubernetesOperator) apply(ctx context.Context, args KubernetesOperatorArgs) error {
	o, err := operatorOptions(args)
	if err != nil {
		return err
	}
	cfg, err := args.config()
	if err != nil {
		return err
	}
	p.GetLogger(ctx).InfoStatus("installing the rediskit operator")
	return install.Apply(ctx, cfg, o)
}

// Create installs the operator and waits until it is available.
func (k *KubernetesOperator) Create(ctx context.Context, req infer.CreateRequest[KubernetesOperatorArgs]) (infer.CreateResponse[KubernetesOperatorState], error) {
	id := req.Inputs.Namespace
	if id == "" {
		id = install.DefaultNamespace
	}
	st := KubernetesOperatorState{KubernetesOperatorArgs: req.Inputs, Available: !req.DryRun}
	if req.DryRun {
		return infer.CreateResponse[KubernetesOperatorState]{ID: id, Output: st}, nil
	}
	if err := k.apply(ctx, req.Inputs); err != nil {
		return infer.CreateResponse[KubernetesOperatorState]{}, err
	}
	return infer.CreateResponse[KubernetesOperatorState]{ID: id, Output: st}, nil
}

// Read reports whether the operator's Deployment is there and available: a deleted or broken
// operator shows as drift, which the next `pulumi up` repairs.
func (k *KubernetesOperator) Read(ctx context.Context, req infer.ReadRequest[KubernetesOperatorArgs, KubernetesOperatorState]) (infer.ReadResponse[KubernetesOperatorArgs, KubernetesOperatorState], error) {
	resp := infer.ReadResponse[KubernetesOperatorArgs, KubernetesOperatorState]{ID: req.ID, Inputs: req.Inputs, State: req.State}
	cfg, err := req.State.config()
	if err != nil {
		return resp, err
	}
	cl, err := access.Client(cfg)
	if err != nil {
		return resp, err
	}
	d := &appsv1.Deployment{}
	err = cl.Get(ctx, types.NamespacedName{Namespace: req.ID, Name: install.Name}, d)
	if apierrors.IsNotFound(err) {
		resp.ID = ""
		return resp, nil
	}
	if err != nil {
		return resp, fmt.Errorf("reading the operator's Deployment %s/%s: %w", req.ID, install.Name, err)
	}
	resp.State.Available = false
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			resp.State.Available = true
		}
	}
	return resp, nil
}

// Diff: a new namespace is a new installation; the rest is applied in place.
func (k *KubernetesOperator) Diff(_ context.Context, req infer.DiffRequest[KubernetesOperatorArgs, KubernetesOperatorState]) (infer.DiffResponse, error) {
	resp := infer.DiffResponse{DetailedDiff: map[string]p.PropertyDiff{}}
	o, n := req.State.KubernetesOperatorArgs, req.Inputs
	for name, changed := range map[string]bool{
		"kubeconfig": o.Kubeconfig != n.Kubeconfig, "context": o.Context != n.Context, "image": o.Image != n.Image,
		"imagePullPolicy": o.ImagePullPolicy != n.ImagePullPolicy, "watchNamespace": o.WatchNamespace != n.WatchNamespace,
		"waitTimeout": o.WaitTimeout != n.WaitTimeout,
	} {
		if changed {
			resp.DetailedDiff[name] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
		}
	}
	if o.Namespace != n.Namespace {
		resp.DetailedDiff["namespace"] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
	}
	if !req.State.Available {
		resp.DetailedDiff["available"] = p.PropertyDiff{Kind: p.Update}
	}
	resp.HasChanges = len(resp.DetailedDiff) > 0
	return resp, nil
}

// Update applies the installation again.
func (k *KubernetesOperator) Update(ctx context.Context, req infer.UpdateRequest[KubernetesOperatorArgs, KubernetesOperatorState]) (infer.UpdateResponse[KubernetesOperatorState], error) {
	st := KubernetesOperatorState{KubernetesOperatorArgs: req.Inputs, Available: true}
	if req.DryRun {
		return infer.UpdateResponse[KubernetesOperatorState]{Output: st}, nil
	}
	if err := k.apply(ctx, req.Inputs); err != nil {
		return infer.UpdateResponse[KubernetesOperatorState]{}, err
	}
	return infer.UpdateResponse[KubernetesOperatorState]{Output: st}, nil
}

// Delete removes the operator (not its CRD: deleting that would delete every Cache of the
// cluster, other stacks' included).
func (k *KubernetesOperator) Delete(ctx context.Context, req infer.DeleteRequest[KubernetesOperatorState]) (infer.DeleteResponse, error) {
	o, err := operatorOptions(req.State.KubernetesOperatorArgs)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	cfg, err := req.State.config()
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, install.Remove(ctx, cfg, o)
}
