package v1alpha1

import (
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/rediskit/rediskit/components/spec"
)

// The deep copies are written by hand rather than generated: the spec inlines a type of
// another package (spec.Cache), which a generator would need annotated in that package.
// TestDeepCopyShares fails when a field is added anywhere below Cache that a copy shares.

// DeepCopyInto copies c into out, sharing nothing.
func (c *Cache) DeepCopyInto(out *Cache) {
	*out = *c
	out.TypeMeta = c.TypeMeta
	c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	c.Spec.DeepCopyInto(&out.Spec)
	c.Status.DeepCopyInto(&out.Status)
}

// DeepCopy returns a copy of c sharing nothing with it.
func (c *Cache) DeepCopy() *Cache {
	if c == nil {
		return nil
	}
	out := new(Cache)
	c.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (c *Cache) DeepCopyObject() runtime.Object {
	if c := c.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies l into out, sharing nothing.
func (l *CacheList) DeepCopyInto(out *CacheList) {
	*out = *l
	out.TypeMeta = l.TypeMeta
	l.ListMeta.DeepCopyInto(&out.ListMeta)
	if l.Items != nil {
		out.Items = make([]Cache, len(l.Items))
		for i := range l.Items {
			l.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopy returns a copy of l sharing nothing with it.
func (l *CacheList) DeepCopy() *CacheList {
	if l == nil {
		return nil
	}
	out := new(CacheList)
	l.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (l *CacheList) DeepCopyObject() runtime.Object {
	if l := l.DeepCopy(); l != nil {
		return l
	}
	return nil
}

// DeepCopyInto copies s into out, sharing nothing.
func (s *CacheSpec) DeepCopyInto(out *CacheSpec) {
	*out = *s
	copyCache(&s.Cache, &out.Cache)
	s.Kubernetes.DeepCopyInto(&out.Kubernetes)
}

// DeepCopyInto copies k into out, sharing nothing.
func (k *Kubernetes) DeepCopyInto(out *Kubernetes) {
	*out = *k
	k.Resources.DeepCopyInto(&out.Resources)
}

// DeepCopyInto copies s into out, sharing nothing.
func (s *CacheStatus) DeepCopyInto(out *CacheStatus) {
	*out = *s
	if s.Conditions != nil {
		out.Conditions = make([]metav1.Condition, len(s.Conditions))
		for i := range s.Conditions {
			s.Conditions[i].DeepCopyInto(&out.Conditions[i])
		}
	}
	out.Nodes = slices.Clone(s.Nodes) // NodeStatus holds values only
	if s.LastSnapshotTime != nil {
		out.LastSnapshotTime = s.LastSnapshotTime.DeepCopy()
	}
}

// copyCache deep-copies the shared vocabulary: every pointer, map and slice in it.
func copyCache(in, out *spec.Cache) {
	*out = *in
	out.Shards = clonePtr(in.Shards)
	out.Replicas = clonePtr(in.Replicas)
	out.Parameters = maps.Clone(in.Parameters)
	out.Zones = slices.Clone(in.Zones)
	out.AutomaticFailover = clonePtr(in.AutomaticFailover)
	out.MultiAZ = clonePtr(in.MultiAZ)
	out.Auth.Users = slices.Clone(in.Auth.Users) // User holds strings only
	out.Encryption.AtRest = clonePtr(in.Encryption.AtRest)
	out.Encryption.InTransit = clonePtr(in.Encryption.InTransit)
	out.Snapshots.RetentionDays = clonePtr(in.Snapshots.RetentionDays)
	out.Snapshots.FinalSnapshot = clonePtr(in.Snapshots.FinalSnapshot)
	out.Snapshots.RestoreFromRdb = slices.Clone(in.Snapshots.RestoreFromRdb)
	out.AutoMinorVersionUpgrade = clonePtr(in.AutoMinorVersionUpgrade)
	out.ApplyImmediately = clonePtr(in.ApplyImmediately)
	out.AutoScaling.Shards = clonePtr(in.AutoScaling.Shards)
	out.AutoScaling.Replicas = clonePtr(in.AutoScaling.Replicas)
	out.Logs.SlowLog = clonePtr(in.Logs.SlowLog)
	out.Logs.EngineLog = clonePtr(in.Logs.EngineLog)
	out.Alarms.Enabled = clonePtr(in.Alarms.Enabled)
	out.Dashboard.Enabled = clonePtr(in.Dashboard.Enabled)
	out.Tags = maps.Clone(in.Tags)
}

// clonePtr copies what p points to (its pointee holds values only).
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// DeepCopy returns a copy of s sharing nothing with it.
func (s *CacheSpec) DeepCopy() *CacheSpec {
	if s == nil {
		return nil
	}
	out := new(CacheSpec)
	s.DeepCopyInto(out)
	return out
}

// DeepCopy returns a copy of k sharing nothing with it.
func (k *Kubernetes) DeepCopy() *Kubernetes {
	if k == nil {
		return nil
	}
	out := new(Kubernetes)
	k.DeepCopyInto(out)
	return out
}
