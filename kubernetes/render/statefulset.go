package render

import (
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/pod"
)

// StartCommand is what a node's container runs: the engine image's entrypoint, which finds
// its node in the shard's ConfigMap by pod name, copies the configuration and users file into
// the node's directory, decides at this start whether the node follows a primary (the start
// guard, see docs/kubernetes.md) and becomes the server.
var StartCommand = []string{"rediskit-engine", pod.Subcommand}

// Environment of a node's container.
const (
	EnvPodName   = pod.EnvPodName
	EnvConfigDir = pod.EnvConfigDir
	EnvDataDir   = pod.EnvDataDir
)

// secretMode is the mode of mounted Secret files: readable by the pod's group (fsGroup, the
// engine's user), by no one else.
const secretMode = 0o440

// volumeName is the node's data volume, and its claim template's name.
const volumeName = "data"

// terminationGrace lets a node finish a shutdown save of its dataset before it is killed.
const terminationGrace = 60

// statefulSet is one shard: a StatefulSet of its primary and replicas, so each node keeps its
// pod name, DNS name and volume across restarts and reschedules. Per shard rather than one
// for the cache, so a shard's pods can be spread over zones by a constraint of their own,
// budgeted by their own PodDisruptionBudget, and shards added or removed whole.
//
// Its pod template carries two annotations the operator reads on each pod: the restart hash
// (what a running node cannot take without a restart: its configuration with only the
// parameters that need one, and its pod spec) and the parameter group (the parameters a
// running node takes with CONFIG SET).
func statefulSet(r *Resolved, p *engine.Plan, shard []Node, restartConf, params string) *appsv1.StatefulSet {
	shardID := shard[0].ShardID
	sel := selector(r, shardID)
	ids := make([]string, len(shard))
	for i, n := range shard {
		ids[i] = n.ID
	}
	m := meta(r, shardName(r.Cache.Name, shardID), map[string]string{LabelShard: shardID, LabelComponent: componentPod})
	m.Annotations = map[string]string{AnnotationNodeIDs: strings.Join(ids, ",")}
	spec := podSpec(r, p, shardID, len(shard))
	return &appsv1.StatefulSet{
		TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
		ObjectMeta: m,
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptrTo(int32(len(shard))),
			ServiceName: headlessName(r.Cache.Name),
			Selector:    &metav1.LabelSelector{MatchLabels: sel},
			// All of a shard's pods start together: after a full restart every node must be up
			// for the shard to re-form, and the start guard, not pod order, keeps data safe.
			PodManagementPolicy: appsv1.ParallelPodManagement,
			// The operator restarts pods itself, replicas first and the primary after a planned
			// failover; a StatefulSet's own rolling update would restart a primary unasked.
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			// A node's volume outlives its pod and the StatefulSet: data is deleted only by the
			// operator, after the final snapshot.
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: labels(r, sel),
					Annotations: map[string]string{AnnotationConfigHash: restartHash(restartConf, spec), AnnotationParameters: params,
						"kubectl.kubernetes.io/default-container": "engine", "prometheus.io/scrape": "true", "prometheus.io/port": strconv.Itoa(pod.MetricsPort), "prometheus.io/path": "/metrics"},
				},
				Spec: spec,
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{volumeClaim(r)},
		},
	}
}

func podSpec(r *Resolved, p *engine.Plan, shardID string, size int) corev1.PodSpec {
	k := r.Kubernetes
	port := clientPort(p)
	probeTLS := "0"
	if p.Nodes[0].TLSPort == port {
		probeTLS = "1"
	}
	// Liveness and readiness ask only whether the process answers on its port, never about
	// the cluster: a node in the middle of a bootstrap or a long load is not restarted.
	probe := func(period, failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"rediskit-engine", "probe"}}},
			PeriodSeconds:    period,
			TimeoutSeconds:   3,
			FailureThreshold: failures,
		}
	}
	container := corev1.Container{
		Name:            "engine",
		Image:           k.Image,
		ImagePullPolicy: k.ImagePullPolicy,
		Command:         StartCommand,
		Env: []corev1.EnvVar{
			{Name: EnvPodName, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: EnvConfigDir, Value: ConfigDir},
			{Name: EnvDataDir, Value: DataDir},
			{Name: pod.EnvCredentialsDir, Value: CredentialsDir},
			{Name: pod.EnvServer, Value: engine.ProgramsFor(p.Deployment.Engine).Server},
			{Name: "RK_PORT", Value: strconv.Itoa(port)},
			{Name: "RK_PROBE_TLS", Value: probeTLS},
		},
		Ports:     ports(p),
		Resources: k.Resources,
		// Up to an hour to load a large dataset before liveness applies.
		StartupProbe:   probe(5, 720),
		LivenessProbe:  probe(5, 3),
		ReadinessProbe: probe(2, 2),
		VolumeMounts: []corev1.VolumeMount{
			{Name: volumeName, MountPath: DataDir},
			{Name: "config", MountPath: ConfigDir, ReadOnly: true},
			{Name: "credentials", MountPath: CredentialsDir, ReadOnly: true},
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptrTo(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	volumes := []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: configName(r.Cache.Name, shardID)}}}},
		{Name: "credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: credentialsName(r.Cache.Name), DefaultMode: ptrTo(int32(secretMode))}}},
	}
	if p.TLS != nil {
		container.VolumeMounts = append(container.VolumeMounts, corev1.VolumeMount{Name: "tls", MountPath: TLSDir, ReadOnly: true})
		volumes = append(volumes, corev1.Volume{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: tlsName(r), DefaultMode: ptrTo(int32(secretMode))}}})
	}
	return corev1.PodSpec{
		Containers:                    []corev1.Container{container, metricsContainer(container)},
		Volumes:                       volumes,
		TerminationGracePeriodSeconds: ptrTo(int64(terminationGrace)),
		SecurityContext:               podSecurity(),
		Affinity:                      affinity(r),
		TopologySpreadConstraints:     []corev1.TopologySpreadConstraint{zoneSpread(r, shardID, size)},
	}
}

// zoneSpread places a shard's nodes in distinct zones, as ElastiCache's Multi-AZ places a
// primary's replicas outside its zone: at most one more node in any zone than in another,
// and a pod that cannot be placed so waits (DoNotSchedule) rather than share a zone. With the
// zones listed, minDomains counts the ones without nodes yet, so a shard never doubles up in
// one zone while another listed zone has none; a shard with more nodes than zones shares
// them evenly.
func zoneSpread(r *Resolved, shardID string, size int) corev1.TopologySpreadConstraint {
	c := corev1.TopologySpreadConstraint{
		MaxSkew:           1,
		TopologyKey:       r.Kubernetes.ZoneLabel,
		WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: selector(r, shardID)},
	}
	if z := len(r.Cache.Zones); z > 0 {
		c.MinDomains = ptrTo(int32(min(size, z)))
	}
	return c
}

// affinity keeps pods in the listed zones (when zones are given) and prefers distinct
// machines for the cache's pods, so one machine's loss costs as few nodes as possible.
func affinity(r *Resolved) *corev1.Affinity {
	a := &corev1.Affinity{
		PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100,
				PodAffinityTerm: corev1.PodAffinityTerm{
					TopologyKey:   corev1.LabelHostname,
					LabelSelector: &metav1.LabelSelector{MatchLabels: selector(r, "")},
				},
			}},
		},
	}
	if len(r.Cache.Zones) > 0 {
		a.NodeAffinity = &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: r.Kubernetes.ZoneLabel, Operator: corev1.NodeSelectorOpIn, Values: append([]string(nil), r.Cache.Zones...),
				}}}},
			},
		}
	}
	return a
}

// podSecurity is every rediskit pod's: the image's non-root user, its group owning the
// volumes, the runtime's default seccomp profile.
func podSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptrTo(true),
		RunAsUser:      ptrTo(int64(engine.ImageUID)),
		RunAsGroup:     ptrTo(int64(engine.ImageUID)),
		FSGroup:        ptrTo(int64(engine.ImageUID)),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// volumeClaim is each node's persistent volume: its storage class (the cluster's default when
// none is given) and size.
func volumeClaim(r *Resolved) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: volumeName, Labels: labels(r, nil)},
		Spec:       claimSpec(r.Kubernetes.StorageClass, r.Kubernetes.StorageSize),
	}
}

// claimSpec is a volume of one node's (ReadWriteOnce) of the class ("": the cluster's
// default) and size given.
func claimSpec(class, size string) corev1.PersistentVolumeClaimSpec {
	s := corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceStorage: resource.MustParse(size)}},
	}
	if class != "" {
		s.StorageClassName = ptrTo(class)
	}
	return s
}

// MetricsContainer is the name of a node pod's metrics container.
const MetricsContainer = "metrics"

// metricsContainer serves the node's metrics under CloudWatch's names on pod.MetricsPort
// (Prometheus finds it by the pod's prometheus.io annotations, or by the port's name). It
// reads the same mounted files as the engine container, never the data volume.
func metricsContainer(engineC corev1.Container) corev1.Container {
	var mounts []corev1.VolumeMount
	for _, m := range engineC.VolumeMounts {
		if m.Name != volumeName {
			mounts = append(mounts, m)
		}
	}
	env := []corev1.EnvVar{{Name: pod.EnvCache, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		FieldPath: "metadata.labels['" + LabelCache + "']"}}}}
	for _, e := range engineC.Env {
		if e.Name != "RK_PROBE_TLS" {
			env = append(env, e)
		}
	}
	return corev1.Container{
		Name:            MetricsContainer,
		Image:           engineC.Image,
		ImagePullPolicy: engineC.ImagePullPolicy,
		Command:         []string{"rediskit-engine", pod.MetricsSubcommand},
		Env:             env,
		Ports:           []corev1.ContainerPort{{Name: "metrics", ContainerPort: pod.MetricsPort, Protocol: corev1.ProtocolTCP}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
		VolumeMounts:    mounts,
		SecurityContext: engineC.SecurityContext,
	}
}
