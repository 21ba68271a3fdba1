package install

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/operator"
)

func testCache(ns, name string, finalizer, deleting bool) *v1alpha1.Cache {
	c := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if finalizer {
		c.Finalizers = []string{operator.FinalSnapshotFinalizer}
	}
	if deleting {
		now := metav1.Now()
		c.DeletionTimestamp = &now
	}
	return c
}

// Removing the operator must not strand a cache that waits for a final snapshot only the
// operator takes; every such cache is named, and caches nothing holds are no reason to wait.
func TestRemovalBlockers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		caches    []*v1alpha1.Cache
		removeCRD bool
		want      []string // each must appear in the error; none means no error
	}{
		{name: "no caches"},
		{name: "serving caches stay, unmanaged", caches: []*v1alpha1.Cache{testCache("a", "c1", true, false)}},
		{name: "a cache being deleted waits for the operator",
			caches: []*v1alpha1.Cache{testCache("a", "c1", true, true), testCache("b", "c2", true, true)},
			want:   []string{"cache a/c1 is being deleted", "cache b/c2 is being deleted", "wait until it is gone", operator.FinalSnapshotFinalizer}},
		{name: "the CRD would delete a cache that then waits forever", removeCRD: true,
			caches: []*v1alpha1.Cache{testCache("a", "c1", true, false), testCache("a", "new", false, false)},
			want:   []string{"RemoveCRD", "cache a/c1,", "delete the caches first"}},
		{name: "caches nothing holds go with the CRD", removeCRD: true,
			caches: []*v1alpha1.Cache{testCache("a", "new", false, false), testCache("a", "off", false, false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var caches []v1alpha1.Cache
			for _, c := range tc.caches {
				caches = append(caches, *c)
			}
			err := removalBlockers(caches, Options{RemoveCRD: tc.removeCRD})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("removal refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("removal allowed, want it refused naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "a/new") {
				t.Errorf("error %q names a cache nothing holds", err)
			}
		})
	}
}

// The operator watches one namespace: only its caches hold the removal, unless the CRD goes
// too, which takes every namespace's.
func TestListCachesScope(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	cl := fake.NewClientBuilder().WithScheme(s).WithObjects(
		testCache("watched", "c1", true, true), testCache("other", "c2", true, true)).Build()
	for _, tc := range []struct {
		o    Options
		want int
	}{
		{Options{WatchNamespace: "watched"}, 1},
		{Options{WatchNamespace: "watched", RemoveCRD: true}, 2},
		{Options{}, 2},
	} {
		got, err := listCaches(context.Background(), cl, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("options %+v: %d caches listed, want %d", tc.o, len(got), tc.want)
		}
	}
}
