// Command rediskit-operator runs the Kubernetes target's operator: a controller-runtime
// manager that reconciles rediskit.io Caches (kubernetes/operator). It ships in the engine
// image beside rediskit-engine; kubernetes/install renders and applies its Deployment and RBAC.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/rediskit/rediskit/kubernetes/api/crd"
	"github.com/rediskit/rediskit/kubernetes/operator"
	"github.com/rediskit/rediskit/kubernetes/render"
)

type flags struct {
	metricsAddr, probeAddr string
	leaderElect            bool
	leaseNamespace         string
	namespace              string
	installCRD             bool
}

func main() {
	f, zapOpts := newFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(zapOpts)))
	log := ctrl.Log.WithName("rediskit-operator")
	if err := run(ctrl.SetupSignalHandler(), *f); err != nil {
		log.Error(err, "the operator stopped")
		os.Exit(1)
	}
}

// newFlags defines the operator's flags on fs (kubernetes/install.Args writes them).
func newFlags(fs *flag.FlagSet) (*flags, *zap.Options) {
	f := &flags{}
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address the Prometheus metrics are served on (0 turns them off)")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address /healthz and /readyz are served on")
	fs.BoolVar(&f.leaderElect, "leader-elect", true, "take the lease "+operator.LeaseName+" before reconciling, so only one replica acts")
	fs.StringVar(&f.leaseNamespace, "leader-election-namespace", "", "namespace of the lease (default: the pod's own; needed outside a cluster)")
	fs.StringVar(&f.namespace, "namespace", "", "watch Caches in this namespace only (empty: every namespace)")
	fs.BoolVar(&f.installCRD, "install-crd", true, "apply the Cache CRD this binary was built with before starting, so the API server and the operator agree on it")
	zapOpts := &zap.Options{}
	zapOpts.BindFlags(fs)
	return f, zapOpts
}

func run(ctx context.Context, f flags) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("finding the API server (in-cluster, KUBECONFIG or ~/.kube/config): %w", err)
	}
	if f.installCRD {
		// Before the manager exists: its REST mapper would otherwise be built without the kind.
		if err := crd.Install(ctx, cfg); err != nil {
			return err
		}
	}
	mgr, err := newManager(cfg, f)
	if err != nil {
		return err
	}
	r := &operator.Reconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme()}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Cache controller: %w", err)
	}
	ctrl.Log.WithName("rediskit-operator").Info("starting", "namespace", f.namespace, "leaderElect", f.leaderElect, "installCRD", f.installCRD)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

func newManager(cfg *rest.Config, f flags) (manager.Manager, error) {
	scheme, err := operator.Scheme()
	if err != nil {
		return nil, err
	}
	// The reconciler reads only the node pods of caches; caching every pod of the cluster
	// would cost memory in proportion to what runs beside the caches.
	nodePods, err := labels.NewRequirement(render.LabelCache, selection.Exists, nil)
	if err != nil {
		return nil, fmt.Errorf("selecting the caches' pods: %w", err)
	}
	cacheOpts := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}: {Label: labels.NewSelector().Add(*nodePods)},
	}}
	if f.namespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{f.namespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Metrics:                 metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress:  f.probeAddr,
		LeaderElection:          f.leaderElect,
		LeaderElectionID:        operator.LeaseName,
		LeaderElectionNamespace: f.leaseNamespace,
		// The process exits right after the manager stops, so handing the lease back at once
		// is safe and lets a replacement (a Recreate rollout) start without waiting it out.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the liveness check: %w", err)
	}
	// Ready once the informers have synced: before that a reconcile would act on an empty view.
	if err := mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("the caches have not synced")
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	return mgr, nil
}
