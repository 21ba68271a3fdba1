package render

import (
	"reflect"
	"testing"
)

// Scaling a cluster renders the shards it keeps exactly as before: their pods are not marked
// outdated (no restart) by a shard count change, only shards are added or removed.
func TestRenderScalingKeepsShards(t *testing.T) {
	c3 := clusterCache()
	_, three := mustRender(t, c3)
	c4 := clusterCache()
	c4.Spec.Shards = ptrTo(4)
	_, four := mustRender(t, c4)
	if len(four.Shards) != 4 {
		t.Fatalf("%d StatefulSets for 4 shards", len(four.Shards))
	}
	for i := range three.Shards {
		if !reflect.DeepEqual(three.Shards[i], four.Shards[i]) || !reflect.DeepEqual(three.Configs[i], four.Configs[i]) {
			t.Errorf("shard %s renders differently with 4 shards", three.Shards[i].Name)
		}
	}
	objs, claims := four.ShardObjects("0004")
	if len(objs) != 3 || objs[0].GetName() != "rk-0004" || objs[1].GetName() != "rk-0004-config" || objs[2].GetName() != "rk-0004" {
		t.Errorf("shard 0004's objects: %v", names(objs))
	}
	if !reflect.DeepEqual(claims, []string{"data-rk-0004-0", "data-rk-0004-1"}) {
		t.Errorf("shard 0004's volume claims %v", claims)
	}
	if objs, claims := three.ShardObjects("0004"); len(objs) != 0 || len(claims) != 0 {
		t.Errorf("a shard not rendered has objects %v %v", names(objs), claims)
	}
}

func TestShardsToRender(t *testing.T) {
	for _, tc := range []struct {
		want    int
		running []string
		out     int
	}{
		{3, nil, 3},
		{3, []string{"0001", "0002", "0003"}, 3},
		{4, []string{"0001", "0002", "0003"}, 4},
		{3, []string{"0001", "0002", "0003", "0004"}, 4},
		{2, []string{"0001", "0002", "0003", "0004"}, 4},
		{3, []string{"0001", "junk", ""}, 3},
	} {
		if got := ShardsToRender(tc.want, tc.running); got != tc.out {
			t.Errorf("ShardsToRender(%d, %v) = %d, want %d", tc.want, tc.running, got, tc.out)
		}
	}
	if _, err := ShardIndex("4"); err == nil {
		t.Error("shard id 4 accepted; ids have four digits")
	}
}

func names[T interface{ GetName() string }](objs []T) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return out
}
