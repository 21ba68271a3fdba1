package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestUpdateAuth rotates the AUTH token (ROTATE then SET) and moves to an RBAC user on a
// running replication group, without replacing anything (cloudposse#124, #274, #55).
func TestUpdateAuth(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-auth"
	e := Up(t, d)
	const newToken = "new-app-token-0123456789abcdef"

	// pingAs connects to the primary (through sentinel discovery) with a user and password.
	pingAs := func(user, pass string) error {
		var addrs []string
		for _, s := range e.Plan.Sentinels {
			addrs = append(addrs, s.Addr())
		}
		c := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: d.Name, SentinelAddrs: addrs, SentinelUsername: user, SentinelPassword: pass,
			Username: user, Password: pass, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1, DialerRetries: 1,
		})
		defer c.Close()
		return c.Set(ctx, "auth:"+user, "1", 0).Err()
	}
	mustWork := func(user, pass, what string) {
		t.Helper()
		if err := pingAs(user, pass); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	mustFail := func(user, pass, what string) {
		t.Helper()
		if err := pingAs(user, pass); err == nil {
			t.Fatalf("%s: still accepted", what)
		}
	}
	mustWork("app", appToken, "initial token")

	a := e.Plan.Deployment.Auth
	a.AppToken, a.PreviousAppToken = newToken, appToken
	if err := e.UpdateAuth(ctx, a); err != nil {
		t.Fatal(err)
	}
	mustWork("app", appToken, "old token during ROTATE")
	mustWork("app", newToken, "new token during ROTATE")

	a.PreviousAppToken = ""
	a.Users = []User{{Name: "orders", Password: "orders-password-0123456789", AccessString: "on ~* +@all"}}
	if err := e.UpdateAuth(ctx, a); err != nil {
		t.Fatal(err)
	}
	mustFail("app", appToken, "old token after SET")
	for _, n := range e.Plan.Nodes {
		old := clientFor(e, n, "app", appToken)
		if err := old.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Fatalf("old token on %s after SET: want WRONGPASS, got %v", n.ID, err)
		}
		old.Close()
	}
	mustWork("app", newToken, "new token after SET")
	mustWork("orders", "orders-password-0123456789", "new RBAC user")
	rbac := clientFor(e, e.Plan.Nodes[0], "orders", "orders-password-0123456789")
	defer rbac.Close()
	if err := rbac.ConfigGet(ctx, "maxmemory").Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("RBAC user with +@all ran CONFIG: %v", err)
	}

	// Everything restarted: nodes read their ACL files, sentinels their rewritten configs.
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Up(ctx); err != nil {
		t.Fatal(err)
	}
	mustFail("app", appToken, "old token after a restart")
	mustWork("app", newToken, "new token after a restart")
	mustWork("orders", "orders-password-0123456789", "RBAC user after a restart")

	if err := e.UpdateAuth(ctx, Auth{AppToken: newToken, AdminPassword: "another-admin-password-0123"}); err == nil {
		t.Fatal("admin password changed on a running deployment")
	}
}
