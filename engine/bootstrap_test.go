package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A new deployment's replicas sync from their empty primary at once: the primary never
// delays the first sync (repl-diskless-sync-delay, 5 s by default), and it has its delay back
// once the replicas are in sync. A primary that holds data keeps the delay.
func TestBootstrapSyncsReplicasWithoutDelay(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	for _, mode := range []Mode{ModeCluster, ModeReplication} {
		t.Run(string(mode), func(t *testing.T) {
			d := newDeployment(t, mode, 1, 1)
			d.Name = "rk-boot-" + string(mode)
			e := Up(t, d)
			prim := e.Plan.Nodes[0]
			log, err := os.ReadFile(filepath.Join(prim.Dir, "redis.log"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(log), "Delay next BGSAVE") {
				t.Errorf("primary %s delayed its replica's first sync:\n%s", prim.ID, TailLines(string(log), 15))
			}
			if !strings.Contains(string(log), "Synchronization with replica") {
				t.Errorf("primary %s never synchronized a replica:\n%s", prim.ID, TailLines(string(log), 15))
			}
			a := adminClient(e, prim)
			defer a.Close()
			delay := func() string {
				v, err := a.ConfigGet(ctx, syncDelayParam).Result()
				if err != nil {
					t.Fatal(err)
				}
				return v[syncDelayParam]
			}
			if got := delay(); got != "5" {
				t.Errorf("after Up %s has %s %q, want the server's 5 back", prim.ID, syncDelayParam, got)
			}
			if err := a.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			hold, err := e.dropSyncDelay(ctx, []*Node{prim})
			if err != nil {
				t.Fatal(err)
			}
			if got := delay(); got != "5" || len(hold.saved) != 0 {
				t.Errorf("a primary holding keys must keep its delay: %s %q, %d held", syncDelayParam, got, len(hold.saved))
			}
		})
	}
}
