package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrapeE fetches a metrics endpoint and returns series -> value.
func scrapeE(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, l := range strings.Split(string(body), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndex(l, " ")
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("bad sample %q", l)
		}
		out[l[:i]] = v
	}
	return out, nil
}

func series(name, node, rg, role, zone string) string {
	return fmt.Sprintf(`%s{CacheClusterId=%q,CacheNodeId="0001",ReplicationGroupId=%q,Role=%q,Zone=%q}`, name, node, rg, role, zone)
}

func TestHealthAndMetrics(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-health"
	e := Up(t, d)

	st := e.Status(ctx)
	if !st.Ready || st.Primary != "rk-health-001" || len(st.Nodes) != 2 {
		t.Fatalf("status %+v", st)
	}
	rep := st.Nodes[1]
	if rep.Role != RoleReplica || !rep.LinkUp || rep.PrimaryAddr != e.Plan.Nodes[0].Addr() || rep.LagBytes < 0 {
		t.Fatalf("replica status %+v", rep)
	}

	c := appClient(e, e.Plan.Nodes[0])
	defer c.Close()
	for i := 0; i < 10; i++ {
		c.Set(ctx, fmt.Sprintf("h%d", i), "v", 0)
		c.Get(ctx, fmt.Sprintf("h%d", i))
	}
	for i := 0; i < 3; i++ {
		c.Get(ctx, "missing")
	}

	srv := httptest.NewServer(&Metrics{Engine: e})
	defer srv.Close()
	m, err := scrapeE(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	prim := e.Plan.Nodes[0]
	want := map[string]func(float64) bool{
		series("CacheHits", prim.ID, d.Name, "primary", prim.Zone):                     func(v float64) bool { return v >= 10 },
		series("CacheMisses", prim.ID, d.Name, "primary", prim.Zone):                   func(v float64) bool { return v >= 3 },
		series("CurrItems", prim.ID, d.Name, "primary", prim.Zone):                     func(v float64) bool { return v == 10 },
		series("CurrConnections", prim.ID, d.Name, "primary", prim.Zone):               func(v float64) bool { return v >= 1 },
		series("IsMaster", prim.ID, d.Name, "primary", prim.Zone):                      func(v float64) bool { return v == 1 },
		series("Evictions", prim.ID, d.Name, "primary", prim.Zone):                     func(v float64) bool { return v == 0 },
		series("DatabaseMemoryUsagePercentage", prim.ID, d.Name, "primary", prim.Zone): func(v float64) bool { return v > 0 && v < 100 },
		series("EngineCPUUtilization", prim.ID, d.Name, "primary", prim.Zone):          func(v float64) bool { return v >= 0 && v <= 200 },
		series("ReplicationLag", rep.ID, d.Name, "replica", rep.Zone):                  func(v float64) bool { return v >= 0 && v < 5 },
	}
	for s, ok := range want {
		v, found := m[s]
		if !found || !ok(v) {
			t.Errorf("%s = %v (found %v)", s, v, found)
		}
	}
	if len(m) < 20 {
		t.Fatalf("only %d series", len(m))
	}
	for s := range m {
		if !regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*\{`).MatchString(s) {
			t.Errorf("invalid series %q", s)
		}
	}

	t.Run("a replica down makes the deployment not ready", func(t *testing.T) {
		if err := e.KillNode(rep.ID); err != nil {
			t.Fatal(err)
		}
		st := e.Status(ctx)
		if st.Ready || st.Nodes[1].Reachable || len(st.Problems) == 0 {
			t.Fatalf("status with a dead replica: %+v", st)
		}
		if err := e.StartNode(ctx, rep.ID); err != nil {
			t.Fatal(err)
		}
		WaitFor(t, "ready again", 20*time.Second, func() error {
			if st := e.Status(ctx); !st.Ready {
				return fmt.Errorf("%v", st.Problems)
			}
			return nil
		})
	})
}
