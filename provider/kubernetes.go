package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/access"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/operator"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// KubernetesCache is the rediskit:kubernetes:Cache resource: one Cache object on a cluster,
// created, changed and deleted through the API server and kept by the rediskit operator there
// (rediskit:kubernetes:Operator installs it).
type KubernetesCache struct{}

// KubernetesAccess says which cluster a Kubernetes resource is on.
type KubernetesAccess struct {
	Kubeconfig string `pulumi:"kubeconfig,optional"`
	Context    string `pulumi:"context,optional"`
}

// Annotate describes the fields.
func (a *KubernetesAccess) Annotate(an infer.Annotator) {
	an.Describe(&a.Kubeconfig, "Path of the kubeconfig naming the cluster; empty: $KUBECONFIG or ~/.kube/config.")
	an.Describe(&a.Context, "Context of the kubeconfig to use; empty: its current context.")
}

// config is the REST config of the cluster.
func (a KubernetesAccess) config() (*rest.Config, error) {
	return access.Config(a.Kubeconfig, a.Context)
}

// KubernetesCacheArgs are its inputs.
type KubernetesCacheArgs struct {
	KubernetesAccess
	Namespace string `pulumi:"namespace"`
	Name      string `pulumi:"name"`
	// Spec is the Cache's spec as JSON (the cache vocabulary and the kubernetes block),
	// stored in its canonical form so a refresh compares like with like.
	Spec         string `pulumi:"spec"`
	ReadyTimeout string `pulumi:"readyTimeout,optional"`
	KeepVolumes  bool   `pulumi:"keepVolumes,optional"`
}

// Annotate describes the inputs.
func (a *KubernetesCacheArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Namespace, "Namespace of the Cache (created when missing).")
	an.Describe(&a.Name, "Name of the Cache object, which is the cache's name.")
	an.Describe(&a.Spec, "The Cache's spec as JSON: the rediskit cache vocabulary and its kubernetes block.")
	an.Describe(&a.ReadyTimeout, "How long create and update wait for the cache to be Ready (a Go duration; default 20m).")
	an.Describe(&a.KeepVolumes, "Keep the nodes' persistent volumes when the cache is deleted (default: they are deleted with it).")
}

// KubernetesNode is one node as the Cache's status reports it.
type KubernetesNode struct {
	ID    string `pulumi:"id"`
	Shard string `pulumi:"shard"`
	Role  string `pulumi:"role"`
	Zone  string `pulumi:"zone"`
	Pod   string `pulumi:"pod"`
	Node  string `pulumi:"node"`
	Ready bool   `pulumi:"ready"`
}

// KubernetesCacheState is its outputs.
type KubernetesCacheState struct {
	KubernetesCacheArgs
	Phase string `pulumi:"phase"`
	// Endpoint is the host clients connect to (at Port): the configuration endpoint in
	// cluster mode, the primary endpoint otherwise.
	Endpoint              string           `pulumi:"endpoint"`
	ConfigurationEndpoint string           `pulumi:"configurationEndpoint"`
	PrimaryEndpoint       string           `pulumi:"primaryEndpoint"`
	ReaderEndpoint        string           `pulumi:"readerEndpoint"`
	Port                  int              `pulumi:"port"`
	AuthUser              string           `pulumi:"authUser"`
	AuthToken             string           `pulumi:"authToken" provider:"secret"`
	CACertificate         string           `pulumi:"caCertificate"`
	Shards                int              `pulumi:"shards"`
	SlotsCovered          int              `pulumi:"slotsCovered"`
	Nodes                 []KubernetesNode `pulumi:"nodes"`
}

// Annotate names and describes the resource.
func (k *KubernetesCache) Annotate(a infer.Annotator) {
	a.SetToken("kubernetes", "Cache")
	a.Describe(&k, "A Redis/Valkey cache on a Kubernetes cluster, kept by the rediskit operator: the same vocabulary as the other targets, pods spread over zones, TLS and auth.")
}

// DefaultReadyTimeout is how long create and update wait for Ready when readyTimeout is unset.
const DefaultReadyTimeout = 20 * time.Minute

// KubernetesPoll is how often the waits look at the Cache's status.
var KubernetesPoll = 2 * time.Second

// parseKubernetesCache decodes and validates the inputs as the operator will, without a
// cluster: every problem names its field.
func parseKubernetesCache(args KubernetesCacheArgs) (*v1alpha1.Cache, []validate.Problem) {
	ps := &validate.Problems{}
	obj := &v1alpha1.Cache{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: v1alpha1.Kind},
		ObjectMeta: metav1.ObjectMeta{Name: args.Name, Namespace: args.Namespace}}
	spec.DecodeStrict(args.Spec, &obj.Spec, "spec", ps)
	if args.ReadyTimeout != "" {
		if d, err := time.ParseDuration(args.ReadyTimeout); err != nil || d <= 0 {
			ps.Add("readyTimeout", args.ReadyTimeout, "a positive Go duration such as 20m")
		}
	}
	if len(ps.List) > 0 {
		return obj, ps.List
	}
	if _, err := render.Resolve(obj); err != nil {
		var verr *validate.Error
		if errors.As(err, &verr) {
			ps.Merge("spec", verr.Problems)
		} else {
			ps.Add("spec", "(the cache)", "%s", err.Error())
		}
	}
	return obj, ps.List
}

// Check validates the inputs and stores the spec in its canonical JSON.
func (k *KubernetesCache) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[KubernetesCacheArgs], error) {
	args, failures, err := infer.DefaultCheck[KubernetesCacheArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[KubernetesCacheArgs]{Inputs: args, Failures: failures}, err
	}
	obj, probs := parseKubernetesCache(args)
	for _, prob := range probs {
		failures = append(failures, p.CheckFailure{Property: prob.Field, Reason: prob.String()})
	}
	if len(probs) == 0 {
		args.Spec = canonicalSpec(&obj.Spec)
	}
	return infer.CheckResponse[KubernetesCacheArgs]{Inputs: args, Failures: failures}, nil
}

func canonicalSpec(s *v1alpha1.CacheSpec) string {
	b, err := json.Marshal(s)
	if err != nil {
		return ""
	}
	return string(b)
}

func kubeClient(args KubernetesCacheArgs) (client.Client, error) {
	cfg, err := args.config()
	if err != nil {
		return nil, err
	}
	return access.Client(cfg)
}

// Create creates the Cache (and its namespace when missing) and waits until it is Ready.
func (k *KubernetesCache) Create(ctx context.Context, req infer.CreateRequest[KubernetesCacheArgs]) (infer.CreateResponse[KubernetesCacheState], error) {
	args := req.Inputs
	id := args.Namespace + "/" + args.Name
	st := KubernetesCacheState{KubernetesCacheArgs: args}
	if req.DryRun {
		return infer.CreateResponse[KubernetesCacheState]{ID: id, Output: st}, nil
	}
	obj, probs := parseKubernetesCache(args)
	if len(probs) > 0 {
		return infer.CreateResponse[KubernetesCacheState]{}, &validate.Error{What: "cache " + id, Problems: probs}
	}
	cl, err := kubeClient(args)
	if err != nil {
		return infer.CreateResponse[KubernetesCacheState]{}, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: args.Namespace}}
	if err := cl.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return infer.CreateResponse[KubernetesCacheState]{}, fmt.Errorf("creating namespace %s: %w", args.Namespace, err)
	}
	if err := cl.Create(ctx, obj); err != nil {
		if meta.IsNoMatchError(err) {
			return infer.CreateResponse[KubernetesCacheState]{}, fmt.Errorf("creating cache %s: the cluster does not know caches.rediskit.io: install the rediskit operator first (rediskit:kubernetes:Operator): %w", id, err)
		}
		return infer.CreateResponse[KubernetesCacheState]{}, fmt.Errorf("creating cache %s: %w", id, err)
	}
	got, err := waitKubernetesReady(ctx, cl, args, obj.Generation)
	if got != nil {
		fillKubernetesState(ctx, cl, got, &st)
	}
	if err != nil {
		// The Cache exists: the state records it so a later up or destroy finds it.
		return infer.CreateResponse[KubernetesCacheState]{ID: id, Output: st}, infer.ResourceInitFailedError{Reasons: []string{err.Error()}}
	}
	return infer.CreateResponse[KubernetesCacheState]{ID: id, Output: st}, nil
}

// waitKubernetesReady waits until the operator reports the cache Ready at generation gen (or
// later): phase Ready, the Ready condition True, the status observed at that generation. An
// invalid spec ends the wait at once with the operator's words.
func waitKubernetesReady(ctx context.Context, cl client.Client, args KubernetesCacheArgs, gen int64) (*v1alpha1.Cache, error) {
	timeout := DefaultReadyTimeout
	if args.ReadyTimeout != "" {
		timeout, _ = time.ParseDuration(args.ReadyTimeout)
	}
	log := p.GetLogger(ctx)
	key := types.NamespacedName{Namespace: args.Namespace, Name: args.Name}
	deadline := time.Now().Add(timeout)
	var last *v1alpha1.Cache
	lastSaid := ""
	for {
		c := &v1alpha1.Cache{}
		if err := cl.Get(ctx, key, c); err != nil {
			return last, fmt.Errorf("reading cache %s: %w", key, err)
		}
		last = c
		ready := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionReady)
		if c.Status.ObservedGeneration >= gen && c.Status.Phase == v1alpha1.PhaseReady && ready != nil && ready.Status == metav1.ConditionTrue {
			return c, nil
		}
		if c.Status.Phase == v1alpha1.PhaseInvalid && c.Status.ObservedGeneration >= gen {
			valid := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionValid)
			msg := "the operator refused the spec"
			if valid != nil {
				msg = valid.Message
			}
			return c, fmt.Errorf("cache %s: %s", key, msg)
		}
		said := fmt.Sprintf("cache %s: phase %q", key, c.Status.Phase)
		if ready != nil && ready.Message != "" {
			said += ": " + ready.Message
		}
		if said != lastSaid {
			log.InfoStatus(said)
			lastSaid = said
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("cache %s not Ready after %s (readyTimeout): %s; is the rediskit operator running?", key, timeout, said)
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(KubernetesPoll):
		}
	}
}

// fillKubernetesState copies the Cache's status into the outputs and reads the app token and
// the CA from their Secrets (a Secret not there yet leaves its output empty).
func fillKubernetesState(ctx context.Context, cl client.Client, c *v1alpha1.Cache, st *KubernetesCacheState) {
	st.Phase = string(c.Status.Phase)
	e := c.Status.Endpoints
	st.ConfigurationEndpoint, st.PrimaryEndpoint, st.ReaderEndpoint, st.Port = e.Configuration, e.Primary, e.Reader, e.Port
	host := e.Configuration
	if host == "" {
		host = e.Primary
	}
	st.Endpoint = host
	st.Shards, st.SlotsCovered = c.Status.Shards, c.Status.SlotsCovered
	st.Nodes = nil
	for _, n := range c.Status.Nodes {
		st.Nodes = append(st.Nodes, KubernetesNode{ID: n.ID, Shard: n.Shard, Role: n.Role, Zone: n.Zone, Pod: n.Pod, Node: n.Node, Ready: n.Ready})
	}
	st.AuthUser = "app"
	name, key := operator.AppTokenSecret(c)
	s := &corev1.Secret{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, s); err == nil {
		st.AuthToken = string(s.Data[key])
	}
	if tlsName := operator.TLSSecret(c); tlsName != "" {
		if err := cl.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: tlsName}, s); err == nil {
			st.CACertificate = string(s.Data["ca.crt"])
		}
	}
}

// Read refreshes the outputs from the Cache, and its spec from the cluster: an edit made with
// kubectl shows as drift. A Cache that is gone no longer exists.
func (k *KubernetesCache) Read(ctx context.Context, req infer.ReadRequest[KubernetesCacheArgs, KubernetesCacheState]) (infer.ReadResponse[KubernetesCacheArgs, KubernetesCacheState], error) {
	resp := infer.ReadResponse[KubernetesCacheArgs, KubernetesCacheState]{ID: req.ID, Inputs: req.Inputs, State: req.State}
	cl, err := kubeClient(req.State.KubernetesCacheArgs)
	if err != nil {
		return resp, err
	}
	c := &v1alpha1.Cache{}
	err = cl.Get(ctx, types.NamespacedName{Namespace: req.State.Namespace, Name: req.State.Name}, c)
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		resp.ID = ""
		return resp, nil
	}
	if err != nil {
		return resp, fmt.Errorf("reading cache %s: %w", req.ID, err)
	}
	live := canonicalSpec(&c.Spec)
	resp.Inputs.Spec, resp.State.Spec = live, live
	fillKubernetesState(ctx, cl, c, &resp.State)
	return resp, nil
}

// Diff: the cluster access fields and the spec update in place; the namespace and name are
// the object's identity.
func (k *KubernetesCache) Diff(_ context.Context, req infer.DiffRequest[KubernetesCacheArgs, KubernetesCacheState]) (infer.DiffResponse, error) {
	resp := infer.DiffResponse{DetailedDiff: map[string]p.PropertyDiff{}}
	old, new := req.State.KubernetesCacheArgs, req.Inputs
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(new)
	for i := 0; i < ov.NumField(); i++ {
		name := pulumiName(ov.Type().Field(i).Tag.Get("pulumi"))
		if reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			continue
		}
		kind := p.Update
		if name == "namespace" || name == "name" {
			kind = p.UpdateReplace
			resp.DeleteBeforeReplace = true
		}
		resp.DetailedDiff[name] = p.PropertyDiff{Kind: kind, InputDiff: true}
	}
	// A cache the operator does not report Ready is drift to show (an update waits for it).
	if req.State.Phase != string(v1alpha1.PhaseReady) {
		resp.DetailedDiff["phase"] = p.PropertyDiff{Kind: p.Update}
	}
	resp.HasChanges = len(resp.DetailedDiff) > 0
	return resp, nil
}

// Update writes the new spec and waits until the operator reports it Ready.
func (k *KubernetesCache) Update(ctx context.Context, req infer.UpdateRequest[KubernetesCacheArgs, KubernetesCacheState]) (infer.UpdateResponse[KubernetesCacheState], error) {
	args := req.Inputs
	st := KubernetesCacheState{KubernetesCacheArgs: args}
	if req.DryRun {
		return infer.UpdateResponse[KubernetesCacheState]{Output: st}, nil
	}
	want, probs := parseKubernetesCache(args)
	if len(probs) > 0 {
		return infer.UpdateResponse[KubernetesCacheState]{}, &validate.Error{What: "cache " + req.ID, Problems: probs}
	}
	cl, err := kubeClient(args)
	if err != nil {
		return infer.UpdateResponse[KubernetesCacheState]{}, err
	}
	c := &v1alpha1.Cache{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: args.Namespace, Name: args.Name}, c); err != nil {
		return infer.UpdateResponse[KubernetesCacheState]{}, fmt.Errorf("reading cache %s: %w", req.ID, err)
	}
	c.Spec = want.Spec
	if err := cl.Update(ctx, c); err != nil {
		return infer.UpdateResponse[KubernetesCacheState]{}, fmt.Errorf("updating cache %s: %w", req.ID, err)
	}
	got, err := waitKubernetesReady(ctx, cl, args, c.Generation)
	if got != nil {
		fillKubernetesState(ctx, cl, got, &st)
	}
	if err != nil {
		return infer.UpdateResponse[KubernetesCacheState]{Output: st}, infer.ResourceInitFailedError{Reasons: []string{err.Error()}}
	}
	return infer.UpdateResponse[KubernetesCacheState]{Output: st}, nil
}

// KubernetesDeleteTimeout bounds how long Delete waits for the Cache to go: its final
// snapshot is taken first.
var KubernetesDeleteTimeout = 20 * time.Minute

// Delete deletes the Cache and then its nodes' volumes, which outlive their pods on purpose,
// unless keepVolumes. The operator takes the final snapshot (unless
// snapshots.finalSnapshot is false) before it lets the Cache go; deletion is in the
// background, so the nodes run until then and their objects go after it (they are owned).
func (k *KubernetesCache) Delete(ctx context.Context, req infer.DeleteRequest[KubernetesCacheState]) (infer.DeleteResponse, error) {
	st := req.State
	cl, err := kubeClient(st.KubernetesCacheArgs)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	key := types.NamespacedName{Namespace: st.Namespace, Name: st.Name}
	c := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: st.Name, Namespace: st.Namespace}}
	if err := cl.Delete(ctx, c, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil && !meta.IsNoMatchError(err) {
		return infer.DeleteResponse{}, fmt.Errorf("deleting cache %s: %w", key, err)
	}
	deadline := time.Now().Add(KubernetesDeleteTimeout)
	for {
		cur := &v1alpha1.Cache{}
		err := cl.Get(ctx, key, cur)
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			break
		}
		if time.Now().After(deadline) {
			why := "its final snapshot may still be running"
			if cond := meta.FindStatusCondition(cur.Status.Conditions, v1alpha1.ConditionFinalSnapshot); cond != nil {
				why = cond.Message
			}
			return infer.DeleteResponse{}, fmt.Errorf("cache %s still there %s after deleting it: %s (%v)", key, KubernetesDeleteTimeout, why, err)
		}
		time.Sleep(KubernetesPoll)
	}
	// The garbage collector removes the cache's objects once it is gone: done when its pods
	// are (they hold the volumes), then the volumes.
	owned := client.MatchingLabels{render.LabelCache: st.Name}
	nodes := client.MatchingLabels(render.ShardSelector(st.Name))
	if err := waitGone(ctx, cl, &corev1.PodList{}, st.Namespace, nodes, deadline, "the node pods of cache "+key.String()); err != nil {
		return infer.DeleteResponse{}, err
	}
	if st.KeepVolumes {
		return infer.DeleteResponse{}, nil
	}
	if err := cl.DeleteAllOf(ctx, &corev1.PersistentVolumeClaim{}, client.InNamespace(st.Namespace), owned); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("deleting the volumes of cache %s: %w", key, err)
	}
	if err := waitGone(ctx, cl, &corev1.PersistentVolumeClaimList{}, st.Namespace, owned, deadline, "the volumes of cache "+key.String()); err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}

// waitGone waits until list finds nothing in ns with the labels.
func waitGone(ctx context.Context, cl client.Client, list client.ObjectList, ns string, labels client.MatchingLabels, deadline time.Time, what string) error {
	for {
		if err := cl.List(ctx, list, client.InNamespace(ns), labels); err != nil {
			return fmt.Errorf("listing %s: %w", what, err)
		}
		n := meta.LenList(list)
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d still there %s after deleting the cache", what, n, KubernetesDeleteTimeout)
		}
		time.Sleep(KubernetesPoll)
	}
}
