package test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/retry"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
	apimeta "k8s.io/apimachinery/pkg/api/meta"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/cluster"
	"github.com/rediskit/rediskit/kubernetes/snapshot"
)

// Timeouts of the Kubernetes suite, named so a slower machine can raise them in one place.
var (
	k8sReadyTimeout    = 10 * time.Minute
	k8sFailoverTimeout = 5 * time.Minute
)

// TestKubernetesTarget deploys stacks/Pulumi.k8s.yaml (cluster mode, 3 shards x 1 replica over
// three zones, TLS and auth) to the local multi-node cluster through the Automation API, the
// rediskit operator installed by the same `pulumi up`, and validates it as its users would:
// every slot served, each shard's nodes in distinct zones by the nodes' labels, a cluster-aware
// client with TLS and the app token round-trips from a pod and is denied a restricted command;
// a primary pod deleted and then a whole zone lost (its worker's container stopped) while a
// client writes, with no WAIT-acknowledged write lost; every pod restarted at once, with the
// same topology and data after; scaled 3 -> 4 -> 3 shards and rolled for a restart-only
// parameter while a client writes, no acknowledged write lost; then destroyed, nothing left.
func TestKubernetesTarget(t *testing.T) {
	_, _ = e2e(t)
	if err := cluster.Available(); err != nil {
		testenv.Missing(t, "the local Kubernetes cluster cannot run here: %v", err)
	}
	kubeconfig := cluster.Ensure(t)
	ctx := context.Background()
	ns := "rk-e2e-" + strings.ToLower(random.UniqueId())
	// The test's own operator, in its namespace and keeping only that namespace's caches, so
	// that it never meets an operator a developer installed with `make k8s-up`.
	settings, _ := json.Marshal(map[string]any{"kubeconfig": kubeconfig, "namespace": ns, "storageSize": "256Mi",
		"resources": map[string]any{"limits": map[string]any{"memory": "256Mi"}},
		"operator":  map[string]any{"namespace": ns, "watchNamespace": ns}})
	opts := deploy.Options{Root: "..", Stack: "k8s", StateDir: filepath.Join(t.TempDir(), "state"),
		Config: map[string]string{"rediskit:kubernetes": string(settings)}, Progress: testWriter{t}}
	kc := KubeCache{Opts: k8s.NewKubectlOptions("", kubeconfig, ns), Name: "rediskit-k8s"}
	var lostWorker string

	defer test_structure.RunTestStage(t, "destroy", func() {
		if lostWorker != "" {
			cluster.StartNode(t, lostWorker)
		}
		image := ""
		if obj, err := kc.GetE(t); err == nil {
			image, _ = EngineImageE(obj)
		}
		destroyed := deploy.Destroy(ctx, opts)
		if destroyed != nil {
			t.Errorf("destroy: %v", destroyed)
		}
		for _, kind := range []string{"caches", "statefulsets", "pods", "persistentvolumeclaims", "services", "cronjobs", "jobs"} {
			out, err := k8s.RunKubectlAndGetOutputE(t, kc.Opts, "get", kind, "-l", "rediskit.io/cache="+kc.Name, "-o", "name")
			if err != nil || strings.TrimSpace(out) != "" {
				t.Errorf("%s left after destroy: %q %v", kind, out, err)
			}
		}
		// pulumi destroy took the cache's final snapshot before the cache went.
		if destroyed == nil && image != "" {
			out, err := ReadSnapshotStoreE(t, kc.Opts, "read-final", image, "ls /snapshots")
			if err != nil || !strings.Contains(out, kc.Name+"-final-") {
				t.Errorf("no final snapshot of %s on the snapshot volume after destroy (%v):\n%s", kc.Name, err, out)
			}
		}
		// Caches left by a failed run must not hold the namespace's deletion forever on
		// their final snapshot (their operator goes with the namespace).
		for _, c := range []string{kc.Name, "rk-restored"} {
			_, _ = k8s.RunKubectlAndGetOutputE(t, kc.Opts, "patch", "cache", c, "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
		}
		_, _ = k8s.RunKubectlAndGetOutputE(t, kc.Opts, "delete", "namespace", ns, "--wait=false")
	})

	test_structure.RunTestStage(t, "deploy", func() {
		start := time.Now()
		if _, err := deploy.Up(ctx, opts); err != nil {
			t.Fatalf("pulumi up of the k8s stack: %v", err)
		}
		t.Logf("time to Ready (pulumi up, operator included): %s", time.Since(start).Round(time.Second))
	})

	test_structure.RunTestStage(t, "validate", func() {
		obj := kc.WaitReady(t, "the cache Ready", k8sReadyTimeout, nil)
		if obj.Status.SlotsCovered != engine.TotalSlots || obj.Status.Shards != 3 || len(obj.Status.Nodes) != 6 {
			t.Errorf("status: %d slots, %d shards, %d nodes; want %d, 3, 6", obj.Status.SlotsCovered, obj.Status.Shards, len(obj.Status.Nodes), engine.TotalSlots)
		}
		if err := kc.ZonesE(t, obj); err != nil {
			t.Error(err)
		}
		rep := kc.StartLoad(t, "load-validate", LoadOptions{Args: []string{"-duration", "5s"}}).Report(t, 3*time.Minute)
		t.Logf("client from a pod: %+v", rep)
		if rep.Acked < 20 || rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("a cluster client with TLS and the token, from a pod: %d writes acknowledged, %d lost (%s)", rep.Acked, rep.Lost, rep.FirstError)
		}
		if !rep.RestrictedDenied {
			t.Errorf("CONFIG GET as the app user: %s; want NOPERM", rep.RestrictedReply)
		}
		// Each pod serves its node's metrics under CloudWatch's names (read here through the
		// API server's proxy, as a Prometheus outside the cluster could).
		primary, _ := ShardPrimary(obj, "0001")
		text, err := retry.DoWithRetryE(t, "metrics of "+primary.Pod, 30, 2*time.Second, func() (string, error) {
			return k8s.RunKubectlAndGetOutputE(t, kc.Opts, "get", "--raw", fmt.Sprintf("/api/v1/namespaces/%s/pods/%s:9121/proxy/metrics", ns, primary.Pod))
		})
		want := fmt.Sprintf(`IsMaster{CacheClusterId=%q,CacheNodeId="0001",ReplicationGroupId=%q,Role="primary",Zone=""} 1`, primary.ID, kc.Name)
		if err != nil || !strings.Contains(text, want) || !strings.Contains(text, "CurrConnections{") {
			t.Errorf("metrics of %s (%v): want %s in\n%s", primary.Pod, err, want, text)
		}
	})

	test_structure.RunTestStage(t, "delete a primary pod", func() {
		before := kc.Get(t)
		victim, ok := ShardPrimary(before, "0001")
		if !ok {
			t.Fatalf("shard 0001 has no primary: %+v", before.Status.Nodes)
		}
		old := k8s.GetPod(t, kc.Opts, victim.Pod)
		load := kc.StartLoad(t, "load-pod-loss", LoadOptions{Args: []string{"-duration", "60s"}})
		if err := load.WaitRunningE(t, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		k8s.RunKubectl(t, kc.Opts, "delete", "pod", victim.Pod, "--wait=false")
		// The replica takes over; the pod comes back (a new pod of the same name) as its
		// replica, and may be made primary again afterwards when the operator spreads the
		// primaries over the zones.
		kc.WaitReady(t, victim.Pod+" back and the cache Ready", k8sFailoverTimeout, func(obj *v1alpha1.Cache) error {
			p, err := k8s.GetPodE(t, kc.Opts, victim.Pod)
			if err != nil || p.UID == old.UID {
				return fmt.Errorf("%s not recreated yet (%v)", victim.Pod, err)
			}
			if _, ok := ShardPrimary(obj, "0001"); !ok {
				return fmt.Errorf("shard 0001 has no primary")
			}
			return nil
		})
		rep := load.Report(t, 3*time.Minute)
		t.Logf("primary pod deleted: %+v", rep)
		if rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("%d WAIT-acknowledged writes lost to the failover (%v), %d unverified (%s)", rep.Lost, rep.LostKeys, rep.Unverified, rep.ReadError)
		}
		t.Logf("primary pod loss: writes resumed after %d ms (longest gap between OK writes), acknowledged after %d ms", rep.MaxWriteGapMS, rep.MaxGapMS)
	})

	test_structure.RunTestStage(t, "lose a zone", func() {
		obj := kc.Get(t)
		primary, _ := ShardPrimary(obj, "0002")
		zone := primary.Zone
		lostWorker = cluster.Worker(zone)
		load := kc.StartLoad(t, "load-zone-loss", LoadOptions{Args: []string{"-duration", "90s"}, AvoidZone: zone})
		if err := load.WaitRunningE(t, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		cluster.StopNode(t, lostWorker)
		rep := load.Report(t, 4*time.Minute)
		t.Logf("zone %s lost: %+v", zone, rep)
		t.Logf("zone loss: writes resumed after %d ms (longest gap between OK writes)", rep.MaxWriteGapMS)
		if rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("%d WAIT-acknowledged writes lost with zone %s (%v), %d unverified (%s)", rep.Lost, zone, rep.LostKeys, rep.Unverified, rep.ReadError)
		}
		if rep.MaxWriteGapMS > 30_000 {
			t.Errorf("writes stopped for %d ms when zone %s was lost", rep.MaxWriteGapMS, zone)
		}
		// Written while the zone is still away (the failovers done), acknowledged by the
		// primaries serving then (a shard whose replica is in the lost zone has none to WAIT
		// for): the returning nodes must rejoin behind them, never bring back what they had.
		orep := kc.StartLoad(t, "load-during-outage", LoadOptions{Args: []string{"-prefix", "outage:", "-count", "300", "-wait", "0", "-duration", "3m"}, AvoidZone: zone}).Report(t, 4*time.Minute)
		if orep.Acked < 300 {
			t.Fatalf("writing while zone %s is away: %+v", zone, orep)
		}
		cluster.StartNode(t, lostWorker)
		lostWorker = ""
		// Back and in their roles (pod-start returns them as replicas; the operator may then
		// move a primary back to spread the primaries over the zones).
		kc.WaitReady(t, "zone "+zone+"'s nodes back", k8sReadyTimeout, nil)
		vrep := kc.StartLoad(t, "load-after-outage", LoadOptions{Args: []string{"-prefix", "outage:", "-verify", "300"}}).Report(t, 4*time.Minute)
		if vrep.Lost != 0 || vrep.Unverified != 0 {
			t.Errorf("%d of 300 writes made while zone %s was away are gone after it returned (%v)", vrep.Lost, zone, vrep.LostKeys)
		}
	})

	test_structure.RunTestStage(t, "restart every pod", func() {
		const keys = 2000
		rep := kc.StartLoad(t, "load-before-restart", LoadOptions{Args: []string{"-prefix", "keep:", "-count", fmt.Sprint(keys), "-duration", "3m"}}).Report(t, 5*time.Minute)
		if rep.Acked < keys {
			t.Fatalf("writing %d keys before the restart: %+v", keys, rep)
		}
		k8s.RunKubectl(t, kc.Opts, "delete", "pod", "-l", "rediskit.io/cache="+kc.Name, "--wait=false")
		obj := kc.WaitReady(t, "the cache Ready after every pod restarted", k8sReadyTimeout, nil)
		if obj.Status.SlotsCovered != engine.TotalSlots || obj.Status.Shards != 3 {
			t.Errorf("after the restart: %d slots, %d shards", obj.Status.SlotsCovered, obj.Status.Shards)
		}
		if err := kc.ZonesE(t, obj); err != nil {
			t.Error(err)
		}
		rep = kc.StartLoad(t, "load-after-restart", LoadOptions{Args: []string{"-prefix", "keep:", "-verify", fmt.Sprint(keys)}}).Report(t, 5*time.Minute)
		if rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("%d of %d keys lost across a restart of every pod (%v)", rep.Lost, keys, rep.LostKeys)
		}
	})

	test_structure.RunTestStage(t, "snapshot, restore into a new cache, final snapshot", func() {
		// The keep: keys written before the restart are in the cache; a Job of the
		// snapshot schedule (what runs in the window) takes every shard from a replica.
		replicas := map[string]bool{}
		for _, n := range kc.WaitReady(t, "the cache Ready before the snapshot", k8sReadyTimeout, nil).Status.Nodes {
			replicas[n.Pod] = n.Role == "replica"
		}
		m, err := kc.RunSnapshotJobE(t, "rk-snapshot-now", 5*time.Minute)
		// A Job made by hand is nobody's: it goes now, not with the cache.
		_ = k8s.RunKubectlE(t, kc.Opts, "delete", "job", "rk-snapshot-now", "--cascade=background", "--wait=false")
		if err != nil {
			t.Fatalf("the scheduled snapshot, run now: %v", err)
		}
		t.Logf("snapshot %s: %d shards", m.Name, len(m.Shards))
		if len(m.Shards) != 3 || !m.Automatic || !strings.HasPrefix(m.Name, kc.Name+"-auto-") {
			t.Fatalf("snapshot manifest %+v; want 3 shards, automatic", m)
		}
		// The operator may hand a shard's primary role over (spreading primaries over zones)
		// while the Job runs: the source must have been a replica when the Job chose it (its
		// own record) and by the operator's account before or after.
		for _, n := range kc.Get(t).Status.Nodes {
			replicas[n.Pod] = replicas[n.Pod] || n.Role == "replica"
		}
		for _, sh := range m.Shards {
			pod, _, _ := strings.Cut(sh.Source, ".")
			if sh.Size == 0 || !replicas[pod] || sh.SourceRole != snapshot.RoleReplica {
				t.Errorf("shard %s: %d bytes from %s (%s when chosen); want a non-empty RDB from its replica", sh.ShardID, sh.Size, sh.Source, sh.SourceRole)
			}
		}
		// A new cache of another shape (2 shards, no replicas) created from it has every
		// key before it is first Ready.
		restored := KubeCache{Opts: kc.Opts, Name: "rk-restored"}
		k8s.KubectlApplyFromString(t, kc.Opts, fmt.Sprintf(`apiVersion: rediskit.io/v1alpha1
kind: Cache
metadata: {name: %s}
spec:
  mode: cluster
  engine: valkey
  engineVersion: "8.0"
  shards: 2
  replicas: 0
  encryption: {inTransit: true}
  auth: {mode: token}
  snapshots: {restoreFromSnapshot: %s}
  kubernetes: {storageSize: 256Mi, resources: {limits: {memory: 256Mi}}}
`, restored.Name, m.Name))
		start := time.Now()
		obj := restored.WaitReady(t, "the restored cache Ready", k8sReadyTimeout, nil)
		t.Logf("restored cache Ready after %s", time.Since(start).Round(time.Second))
		if obj.Status.RestoredFrom != m.Name || !apimeta.IsStatusConditionTrue(obj.Status.Conditions, v1alpha1.ConditionRestored) {
			t.Errorf("restored cache: restoredFrom %q, conditions %+v", obj.Status.RestoredFrom, obj.Status.Conditions)
		}
		rep := restored.StartLoad(t, "load-restored", LoadOptions{Args: []string{"-prefix", "keep:", "-verify", "2000"}}).Report(t, 5*time.Minute)
		if rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("%d of 2000 keys missing from the restored cache (%v)", rep.Lost, rep.LostKeys)
		}
		// Deleting it takes its final snapshot before it goes.
		k8s.RunKubectl(t, kc.Opts, "delete", "cache", restored.Name, "--wait=false")
		final := ""
		_, err = retry.DoWithRetryE(t, "the restored cache deleted after its final snapshot", 150, 2*time.Second, func() (string, error) {
			obj, err := restored.GetE(t)
			if err != nil {
				if strings.Contains(err.Error(), "NotFound") {
					return "", nil
				}
				return "", err
			}
			if obj.Status.FinalSnapshot != "" {
				final = obj.Status.FinalSnapshot
			}
			return "", fmt.Errorf("still there (final snapshot %q)", final)
		})
		if err != nil || final == "" {
			t.Fatalf("deleting the restored cache: %v (final snapshot %q)", err, final)
		}
		image, err := EngineImageE(obj)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ReadSnapshotStoreE(t, kc.Opts, "read-snapshots", image,
			fmt.Sprintf("ls /snapshots; cat /snapshots/%s/manifest.json", final))
		if err != nil || !strings.Contains(out, m.Name) || !strings.Contains(out, `"deployment": "rk-restored"`) || !strings.Contains(out, "shard-0002.rdb") {
			t.Errorf("the snapshot volume after deleting rk-restored (%v):\n%s", err, out)
		}
		k8s.RunKubectl(t, kc.Opts, "delete", "persistentvolumeclaims", "-l", "rediskit.io/cache="+restored.Name, "--wait=false")
	})

	test_structure.RunTestStage(t, "scale 3 -> 4 -> 3 shards while a client writes", func() {
		const keys = 20000
		fill := kc.StartLoad(t, "load-fill", LoadOptions{Args: []string{"-prefix", "fill:", "-count", fmt.Sprint(keys), "-wait", "0", "-every", "0s", "-duration", "5m"}}).Report(t, 6*time.Minute)
		if fill.Acked < keys {
			t.Fatalf("writing %d keys before scaling: %+v", keys, fill)
		}
		load := kc.StartLoad(t, "load-scaling", LoadOptions{Args: []string{"-duration", "30m"}})
		if err := load.WaitRunningE(t, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		for _, shards := range []int{4, 3} {
			start := time.Now()
			opts.Config["rediskit:cache"] = k8sStackCache(t, map[string]any{"shards": shards})
			if _, err := deploy.Up(ctx, opts); err != nil {
				t.Fatalf("pulumi up to %d shards: %v", shards, err)
			}
			obj := kc.WaitReady(t, fmt.Sprintf("%d shards", shards), k8sReadyTimeout, func(obj *v1alpha1.Cache) error {
				if obj.Status.Shards != shards || len(obj.Status.Nodes) != 2*shards {
					return fmt.Errorf("%d shards, %d nodes", obj.Status.Shards, len(obj.Status.Nodes))
				}
				return nil
			})
			took := time.Since(start)
			if obj.Status.SlotsCovered != engine.TotalSlots {
				t.Errorf("%d shards: %d slots served", shards, obj.Status.SlotsCovered)
			}
			if err := kc.ZonesE(t, obj); err != nil {
				t.Error(err)
			}
			moved := kc.SlotMoves(t, start)
			t.Logf("scaled to %d shards in %s (pulumi up to Ready); slots moved: %s", shards, took.Round(time.Second), moved)
		}
		load.Stop(t)
		rep := load.Report(t, 3*time.Minute)
		t.Logf("writing while scaling 3 -> 4 -> 3: %+v", rep)
		if rep.Acked < 100 || rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("scaling: %d writes acknowledged, %d lost (%v), %d unverified (%s)", rep.Acked, rep.Lost, rep.LostKeys, rep.Unverified, rep.ReadError)
		}
		vrep := kc.StartLoad(t, "load-after-scaling", LoadOptions{Args: []string{"-prefix", "fill:", "-verify", fmt.Sprint(keys)}}).Report(t, 5*time.Minute)
		if vrep.Lost != 0 || vrep.Unverified != 0 {
			t.Errorf("%d of %d keys written before scaling are gone after 3 -> 4 -> 3 (%v)", vrep.Lost, keys, vrep.LostKeys)
		}
		// The volume claims go once their pods have (a claim in use waits for its pod).
		if _, err := retry.DoWithRetryE(t, "shard 0004's objects gone", 60, 2*time.Second, func() (string, error) {
			out, err := k8s.RunKubectlAndGetOutputE(t, kc.Opts, "get", "statefulsets,pvc,configmaps,pdb", "-l", "rediskit.io/cache="+kc.Name, "-o", "name")
			if err != nil || strings.Contains(out, "-0004") {
				return "", fmt.Errorf("left (%v):\n%s", err, out)
			}
			return "", nil
		}); err != nil {
			t.Errorf("the removed shard's objects: %v", err)
		}
	})

	test_structure.RunTestStage(t, "change a restart-only parameter (rolling)", func() {
		before := map[string]string{}
		for _, n := range kc.Get(t).Status.Nodes {
			before[n.Pod] = string(k8s.GetPod(t, kc.Opts, n.Pod).UID)
		}
		load := kc.StartLoad(t, "load-rolling", LoadOptions{Args: []string{"-duration", "30m"}})
		if err := load.WaitRunningE(t, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		start := time.Now()
		opts.Config["rediskit:cache"] = k8sStackCache(t, map[string]any{"parameters": map[string]string{"databases": "32"}})
		if _, err := deploy.Up(ctx, opts); err != nil {
			t.Fatalf("pulumi up with databases 32: %v", err)
		}
		obj := kc.WaitReady(t, "every pod restarted", k8sReadyTimeout, func(obj *v1alpha1.Cache) error {
			for _, n := range obj.Status.Nodes {
				p, err := k8s.GetPodE(t, kc.Opts, n.Pod)
				if err != nil || string(p.UID) == before[n.Pod] {
					return fmt.Errorf("pod %s not restarted yet", n.Pod)
				}
			}
			return nil
		})
		t.Logf("rolling restart of %d pods for a restart-only parameter: %s (pulumi up to Ready)", len(obj.Status.Nodes), time.Since(start).Round(time.Second))
		load.Stop(t)
		rep := load.Report(t, 3*time.Minute)
		t.Logf("writing while rolling: %+v", rep)
		if rep.Acked < 100 || rep.Lost != 0 || rep.Unverified != 0 {
			t.Errorf("rolling: %d writes acknowledged, %d lost (%v), %d unverified (%s)", rep.Acked, rep.Lost, rep.LostKeys, rep.Unverified, rep.ReadError)
		}
		t.Logf("rolling restart: longest gap between OK writes %d ms", rep.MaxWriteGapMS)
		// A cluster-mode server reports databases as 1 whatever it was started with, so the
		// configuration each restarted node started from is read instead (pod-start copies it
		// into the node's directory at every start).
		for _, n := range obj.Status.Nodes {
			if got := kc.StartedConfig(t, n.Pod, n.ID, "databases"); got != "32" {
				t.Errorf("databases in the configuration %s started from: %q, want 32", n.Pod, got)
			}
		}
	})
}
