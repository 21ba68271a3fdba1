package v1alpha1

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// fill sets every field reachable from v to a non-zero value: pointers, maps and slices get
// one element each, so a copy that shares any of them is caught by sharesRefs.
func fill(v reflect.Value, depth int) {
	if depth > 8 || !v.CanSet() {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(3)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, depth+1)
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}

// sharesRefs reports the path of the first pointer, map or slice a and b share.
func sharesRefs(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return sharesRefs(a.Elem(), b.Elem(), path)
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if p := sharesRefs(a.MapIndex(k), b.MapIndex(k), path+"[key]"); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := 0; i < a.Len(); i++ {
			if p := sharesRefs(a.Index(i), b.Index(i), path+"[i]"); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).IsExported() {
				if p := sharesRefs(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// TestDeepCopyShares fills every field below Cache, copies it and checks the copy is equal and
// shares no pointer, map or slice: a field added to spec.Cache (or here) without a line in
// copyCache fails it.
func TestDeepCopyShares(t *testing.T) {
	var c Cache
	fill(reflect.ValueOf(&c).Elem(), 0)
	if c.Spec.Shards == nil || c.Spec.AutoScaling.Shards == nil || len(c.Status.Conditions) == 0 {
		t.Fatal("fill left reference fields unset")
	}
	cp := c.DeepCopy()
	if !reflect.DeepEqual(&c, cp) {
		t.Fatalf("the copy differs:\n%+v\n%+v", c, *cp)
	}
	if p := sharesRefs(reflect.ValueOf(&c).Elem(), reflect.ValueOf(cp).Elem(), "Cache"); p != "" {
		t.Errorf("the copy shares %s with the original", p)
	}

	l := CacheList{Items: []Cache{c}}
	lc := l.DeepCopy()
	if p := sharesRefs(reflect.ValueOf(&l).Elem(), reflect.ValueOf(lc).Elem(), "CacheList"); p != "" {
		t.Errorf("the list's copy shares %s", p)
	}
	var nilCache *Cache
	if nilCache.DeepCopy() != nil {
		t.Error("a nil Cache copies to non-nil")
	}
}

// The types are runtime.Objects the scheme knows under rediskit.io/v1alpha1, Kind Cache.
func TestScheme(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	gvks, _, err := s.ObjectKinds(&Cache{})
	if err != nil || len(gvks) != 1 || gvks[0].Group != "rediskit.io" || gvks[0].Version != "v1alpha1" || gvks[0].Kind != "Cache" {
		t.Fatalf("Cache is known as %v (%v)", gvks, err)
	}
	if _, _, err := s.ObjectKinds(&CacheList{}); err != nil {
		t.Fatal(err)
	}
	var _ runtime.Object = &Cache{}
	var _ metav1.Object = &Cache{}
}
