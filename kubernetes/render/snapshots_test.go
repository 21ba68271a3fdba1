package render

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// A window opens at its first minute, in UTC, and a missed run may start until it closes.
func TestSnapshotSchedule(t *testing.T) {
	for _, c := range []struct {
		window, schedule string
		deadline         int64
	}{
		{"03:00-04:00", "0 3 * * *", 3600},
		{"23:30-00:45", "30 23 * * *", 75 * 60},
		{"05:15-06:15", "15 5 * * *", 3600},
	} {
		s, d, err := SnapshotSchedule(c.window)
		if err != nil || s != c.schedule || d != c.deadline {
			t.Errorf("%s: %q, %d s (%v); want %q, %d s", c.window, s, d, err, c.schedule, c.deadline)
		}
	}
	if _, _, err := SnapshotSchedule("25:00-26:00"); err == nil {
		t.Error("25:00-26:00 accepted")
	}
}

// With a retention period the cache owns a CronJob whose Jobs take an automatic snapshot of
// the client endpoint into the namespace's volume, with the admin password from the cache's
// Secret and the CA from its TLS Secret; retention 0 (ElastiCache's "no automatic backups")
// renders none.
func TestRenderSnapshotSchedule(t *testing.T) {
	c := clusterCache()
	days := 5
	c.Spec.Snapshots.RetentionDays = &days
	c.Spec.Snapshots.Window = "02:00-03:00"
	r, o := mustRender(t, c)
	cj := o.Snapshots
	if cj == nil {
		t.Fatal("no snapshot CronJob with a retention of 5 days")
	}
	if cj.Name != "rk-snapshot" || cj.Spec.Schedule != "0 2 * * *" || *cj.Spec.TimeZone != "Etc/UTC" || cj.Spec.ConcurrencyPolicy != "Forbid" {
		t.Errorf("CronJob %s: schedule %q tz %v policy %s", cj.Name, cj.Spec.Schedule, cj.Spec.TimeZone, cj.Spec.ConcurrencyPolicy)
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	args := strings.Join(pod.Containers[0].Args, " ")
	for _, want := range []string{SnapshotTakeCmd + " ", "-addr rk.apps.svc.cluster.local:6379", "-cache rk", "-engine valkey", "-engine-version 8.0",
		"-mode cluster", "-store /snapshots", "-cacert /etc/rediskit/tls/ca.crt", "-automatic", "-retention-days 5"} {
		if !strings.Contains(args, want) {
			t.Errorf("job args %q lack %q", args, want)
		}
	}
	env := pod.Containers[0].Env
	if len(env) != 1 || env[0].Name != EnvAdminPassword || env[0].ValueFrom.SecretKeyRef.Name != "rk-auth" || env[0].ValueFrom.SecretKeyRef.Key != KeyAdminPassword {
		t.Errorf("job env %+v; want the admin password from rk-auth", env)
	}
	claims := []string{}
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if !slices.Equal(claims, []string{SnapshotStoreName}) || pod.Containers[0].Image != r.Kubernetes.Image {
		t.Errorf("job claims %v image %s", claims, pod.Containers[0].Image)
	}
	if pod.SecurityContext == nil || !*pod.SecurityContext.RunAsNonRoot || *pod.Containers[0].SecurityContext.AllowPrivilegeEscalation {
		t.Error("snapshot jobs must run as the image's non-root user without privilege escalation")
	}

	none := 0
	c.Spec.Snapshots.RetentionDays = &none
	if _, o := mustRender(t, c); o.Snapshots != nil {
		t.Errorf("retention 0 renders a CronJob %s", o.Snapshots.Name)
	}
}

// The final snapshot's Job names its snapshot and is the cache's (it runs while the cache is
// held, and goes with it); the restore Job is the cache's too, and has room for a shard's data set; the snapshot
// volume is no cache's.
func TestRenderSnapshotJobs(t *testing.T) {
	r, o := mustRender(t, clusterCache())
	final := FinalSnapshotJob(r, o, "rk-final-1")
	if final.Name != "rk-snapshot-final" || len(final.OwnerReferences) != 1 || final.OwnerReferences[0].UID != "uid-1" || final.Annotations[AnnotationSnapshot] != "rk-final-1" {
		t.Errorf("final Job %s owners %v annotations %v", final.Name, final.OwnerReferences, final.Annotations)
	}
	if args := strings.Join(final.Spec.Template.Spec.Containers[0].Args, " "); !strings.HasPrefix(args, SnapshotTakeCmd+" ") || !strings.HasSuffix(args, "-name rk-final-1") || strings.Contains(args, "-automatic") {
		t.Errorf("final Job args %q", args)
	}
	restore := RestoreJob(r, o, "rk-auto-20261201-030000")
	if len(restore.OwnerReferences) != 1 || restore.OwnerReferences[0].UID != "uid-1" {
		t.Errorf("restore Job owners %v; want the cache", restore.OwnerReferences)
	}
	if args := strings.Join(restore.Spec.Template.Spec.Containers[0].Args, " "); !strings.HasPrefix(args, SnapshotRestoreCmd+" ") || !strings.HasSuffix(args, "-name rk-auto-20261201-030000") {
		t.Errorf("restore Job args %q", args)
	}
	limit := restore.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]
	if limit.Value() != r.NodeMemory+256<<20 {
		t.Errorf("restore Job memory limit %s; want the node's memory %d plus 256Mi", limit.String(), r.NodeMemory)
	}
	pvc := SnapshotStore(r)
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if pvc.Name != SnapshotStoreName || len(pvc.OwnerReferences) != 0 || size.String() != DefaultSnapshotStorageSize || pvc.Spec.StorageClassName != nil {
		t.Errorf("snapshot volume %s owners %v size %s class %v", pvc.Name, pvc.OwnerReferences, size.String(), pvc.Spec.StorageClassName)
	}
	if !SnapshotsUsed(r) {
		t.Error("a cache with the default final snapshot does not use the snapshot volume")
	}
}

// Restoring takes a snapshot of the namespace's volume; S3 objects are refused, as are
// snapshot names that cannot be a directory, and a snapshot volume size that is no quantity.
func TestResolveSnapshots(t *testing.T) {
	c := clusterCache()
	c.Spec.Snapshots.RestoreFromSnapshot = "other-auto-20261201-030000"
	if r := mustResolve(t, c); r.Cache.Snapshots.RestoreFromSnapshot != "other-auto-20261201-030000" {
		t.Errorf("restoreFromSnapshot %q", r.Cache.Snapshots.RestoreFromSnapshot)
	}
	c.Spec.Snapshots.RestoreFromSnapshot = "../etc"
	c.Spec.Snapshots.RestoreFromRdb = []string{"arn:aws:s3:::bucket/dump.rdb"}
	c.Spec.Kubernetes.SnapshotStorageSize = "lots"
	_, err := Resolve(c)
	ps := problems(t, err)
	for _, f := range []string{"snapshots.restoreFromSnapshot", "snapshots.restoreFromRdb", "kubernetes.snapshotStorageSize"} {
		if _, ok := ps[f]; !ok {
			t.Errorf("no problem for %s in %v", f, err)
		}
	}
}
