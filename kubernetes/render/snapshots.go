package render

import (
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/snapshot"
	"github.com/rediskit/rediskit/window"
)

// Snapshots on Kubernetes live on one volume per namespace, SnapshotStoreName, in the
// engine's snapshot layout (a directory per snapshot: each shard's RDB and a manifest; see
// engine.SnapshotStore). Jobs running the cache's own engine image take and restore them:
// `rediskit-engine snapshot-take` fetches each shard's RDB from a replica in sync over the
// replication protocol, `snapshot-restore` loads a snapshot's RDBs into a new cache.
const (
	SnapshotStoreName  = "rediskit-snapshots"
	SnapshotMountPath  = snapshot.MountPath
	SnapshotTakeCmd    = snapshot.TakeCmd
	SnapshotRestoreCmd = snapshot.RestoreCmd
	EnvAdminPassword   = snapshot.EnvAdminPassword
	// LabelSnapshotJob says what a Job does: scheduled, final or restore.
	LabelSnapshotJob = "rediskit.io/snapshot-job"
	// AnnotationSnapshot on a final-snapshot or restore Job names its snapshot.
	AnnotationSnapshot = "rediskit.io/snapshot"
	tlsMountPath       = "/etc/rediskit/tls"
)

// SnapshotJobKind is what a snapshot Job does.
type SnapshotJobKind string

const (
	JobScheduled SnapshotJobKind = "scheduled"
	JobFinal     SnapshotJobKind = "final"
	JobRestore   SnapshotJobKind = "restore"
)

// SnapshotsUsed tells whether a cache needs the snapshot volume: scheduled snapshots
// (retention above 0, as ElastiCache's SnapshotRetentionLimit), a final snapshot, a restore.
func SnapshotsUsed(r *Resolved) bool {
	s := r.Cache.Snapshots
	return spec.Int(s.RetentionDays) > 0 || spec.Bool(s.FinalSnapshot) || s.RestoreFromSnapshot != ""
}

// SnapshotStore is the namespace's snapshot volume, as the first cache that needs it creates
// it. No cache owns it: snapshots outlive their cache.
func SnapshotStore(r *Resolved) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta: typeMeta("v1", "PersistentVolumeClaim"),
		ObjectMeta: metav1.ObjectMeta{Name: SnapshotStoreName, Namespace: r.Namespace,
			Labels: map[string]string{LabelName: appName, LabelManagedBy: managedBy, LabelComponent: "snapshots"}},
		Spec: claimSpec(r.Kubernetes.SnapshotStorageClass, r.Kubernetes.SnapshotStorageSize),
	}
}

// SnapshotSchedule is the cron schedule (UTC) of a daily window: at its opening minute.
// startingDeadline is how late a missed run may still start: until the window closes.
func SnapshotSchedule(w string) (schedule string, startingDeadline int64, err error) {
	d, err := window.ParseDaily(w)
	if err != nil {
		return "", 0, err
	}
	start := d.Start % (24 * 60)
	return fmt.Sprintf("%d %d * * *", start%60, start/60), int64(d.Minutes()) * 60, nil
}

// SnapshotCronJob takes the cache's automatic snapshots in its window and prunes the ones
// older than the retention period; nil without automatic snapshots (retention 0). The cache
// owns it.
func SnapshotCronJob(r *Resolved, o *Objects) (*batchv1.CronJob, error) {
	days := spec.Int(r.Cache.Snapshots.RetentionDays)
	if days <= 0 {
		return nil, nil
	}
	schedule, deadline, err := SnapshotSchedule(r.Cache.Snapshots.Window)
	if err != nil {
		return nil, fmt.Errorf("snapshots.window %q: %w", r.Cache.Snapshots.Window, err)
	}
	args := append(snapshotTarget(r, o), "-automatic", "-retention-days", strconv.Itoa(days))
	job := snapshotJobSpec(r, o, JobScheduled, append([]string{SnapshotTakeCmd}, args...))
	job.TTLSecondsAfterFinished = nil // the CronJob's history limits keep its Jobs
	return &batchv1.CronJob{
		TypeMeta:   typeMeta("batch/v1", "CronJob"),
		ObjectMeta: meta(r, SnapshotScheduleName(r.Cache.Name), map[string]string{LabelComponent: "snapshots"}),
		Spec: batchv1.CronJobSpec{
			Schedule:                   schedule,
			TimeZone:                   ptrTo("Etc/UTC"),
			StartingDeadlineSeconds:    ptrTo(deadline),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptrTo(int32(1)),
			FailedJobsHistoryLimit:     ptrTo(int32(2)),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: snapshotJobLabels(r, JobScheduled)},
				Spec:       job,
			},
		},
	}, nil
}

// FinalSnapshotJob takes the snapshot named name as the cache is deleted. The cache owns it,
// like the rest: deleted in the background, the cache and its nodes stay until the operator
// releases it after the Job succeeded, and the Job goes with the rest afterwards.
func FinalSnapshotJob(r *Resolved, o *Objects, name string) *batchv1.Job {
	args := append([]string{SnapshotTakeCmd}, snapshotTarget(r, o)...)
	args = append(args, "-name", name)
	j := snapshotJob(r, o, JobFinal, name, args)
	j.OwnerReferences = meta(r, "", nil).OwnerReferences
	return j
}

// RestoreJob loads snapshot name into the cache, once it is formed and empty. The cache owns it.
func RestoreJob(r *Resolved, o *Objects, name string) *batchv1.Job {
	args := append([]string{SnapshotRestoreCmd}, snapshotTarget(r, o)...)
	args = append(args, "-name", name)
	j := snapshotJob(r, o, JobRestore, name, args)
	j.OwnerReferences = meta(r, "", nil).OwnerReferences
	// The throwaway server holds one shard's data set in memory while its keys are copied.
	j.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory] =
		*resource.NewQuantity(r.NodeMemory+(256<<20), resource.BinarySI)
	return j
}

// SnapshotJobName is the name of a cache's final-snapshot or restore Job.
func SnapshotJobName(cache string, kind SnapshotJobKind) string {
	return fmt.Sprintf("%s-%s", SnapshotScheduleName(cache), kind)
}

// SnapshotScheduleName is the cache's snapshot CronJob (its final and restore Jobs' names
// start with it too).
func SnapshotScheduleName(cache string) string { return cache + "-snapshot" }

func snapshotJobLabels(r *Resolved, kind SnapshotJobKind) map[string]string {
	return labels(r, map[string]string{LabelComponent: "snapshots", LabelSnapshotJob: string(kind)})
}

func snapshotJob(r *Resolved, o *Objects, kind SnapshotJobKind, snapshot string, args []string) *batchv1.Job {
	return &batchv1.Job{
		TypeMeta: typeMeta("batch/v1", "Job"),
		ObjectMeta: metav1.ObjectMeta{Name: SnapshotJobName(r.Cache.Name, kind), Namespace: r.Namespace,
			Labels: snapshotJobLabels(r, kind), Annotations: map[string]string{AnnotationSnapshot: snapshot}},
		Spec: snapshotJobSpec(r, o, kind, args),
	}
}

// snapshotTarget are the arguments naming the cache to the Job's command: its client
// endpoint, engine and mode, and where the snapshots live.
func snapshotTarget(r *Resolved, o *Objects) []string {
	host := o.Endpoints.Configuration
	if host == "" {
		host = o.Endpoints.Primary
	}
	args := []string{"-addr", fmt.Sprintf("%s:%d", host, o.Endpoints.Port), "-cache", r.Cache.Name,
		"-engine", string(r.Cache.Engine), "-engine-version", r.Cache.EngineVersion, "-mode", string(r.Cache.Mode),
		"-store", SnapshotMountPath}
	if o.TLSSecret != "" {
		args = append(args, "-cacert", tlsMountPath+"/ca.crt")
	}
	return args
}

func snapshotJobSpec(r *Resolved, o *Objects, kind SnapshotJobKind, args []string) batchv1.JobSpec {
	volumes := []corev1.Volume{{Name: "snapshots", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: SnapshotStoreName}}}}
	mounts := []corev1.VolumeMount{{Name: "snapshots", MountPath: SnapshotMountPath}}
	if o.TLSSecret != "" {
		volumes = append(volumes, corev1.Volume{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: o.TLSSecret, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, DefaultMode: ptrTo(int32(0o440))}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "tls", MountPath: tlsMountPath, ReadOnly: true})
	}
	return batchv1.JobSpec{
		// A failed attempt leaves nothing behind (a snapshot is "<name>.partial" until it is
		// complete; a restore replaces keys), so attempts may repeat.
		BackoffLimit:            ptrTo(int32(3)),
		ActiveDeadlineSeconds:   ptrTo(int64(3600)),
		TTLSecondsAfterFinished: ptrTo(int32(24 * 3600)),
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: snapshotJobLabels(r, kind)},
			Spec: corev1.PodSpec{
				RestartPolicy:   corev1.RestartPolicyNever,
				SecurityContext: podSecurity(),
				Containers: []corev1.Container{{
					Name:            "snapshot",
					Image:           r.Kubernetes.Image,
					ImagePullPolicy: r.Kubernetes.ImagePullPolicy,
					Command:         []string{"rediskit-engine"},
					Args:            args,
					Env: []corev1.EnvVar{{Name: EnvAdminPassword, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: AuthSecretName(r.Cache.Name)}, Key: KeyAdminPassword}}}},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
						Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
					},
					VolumeMounts: mounts,
					SecurityContext: &corev1.SecurityContext{
						AllowPrivilegeEscalation: ptrTo(false),
						Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					},
				}},
				Volumes: volumes,
			},
		},
	}
}
