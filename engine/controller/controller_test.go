package controller

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/internal/testports"
)

// Run serves the endpoints, starts a crashed node again when asked to supervise, and closes
// the endpoints when its context ends.
func TestRunServesAndSupervises(t *testing.T) {
	testenv.RequireCommands(t, "make apt-packages installs it", "redis-server")
	port, err := testports.Block(1, false)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Deployment{
		Name: "rk-controller", Mode: engine.ModeSingle, Shards: 1, Engine: "redis", EngineVersion: "7.0",
		Auth:     engine.Auth{AppToken: "app-token-0123456789abcdef", AdminPassword: "admin-password-0123456789abcdef"},
		BasePort: port, DataDir: t.TempDir(), NodeMemory: 64 << 20,
	}, engine.NewLocalRunner())
	if err != nil {
		t.Fatal(err)
	}
	e.Logf = t.Logf
	if err := e.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/healthz"
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		Run(ctx, e, Options{Metrics: ln, Supervise: true, SuperviseEvery: 100 * time.Millisecond, Logf: t.Logf})
		close(done)
	}()
	defer func() { cancel(); <-done }()

	healthz := func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz: %s", resp.Status)
		}
		return nil
	}
	if err := engine.Poll(t.Context(), 10*time.Second, 0, "/healthz ready", func(context.Context) error { return healthz() }); err != nil {
		t.Fatal(err)
	}
	id := e.Plan.Nodes[0].ID
	if err := e.KillNode(id); err != nil {
		t.Fatal(err)
	}
	// Ready again only once the supervisor has started the node again.
	if err := engine.Poll(t.Context(), 30*time.Second, 0, id+" started again", func(context.Context) error {
		if !e.Runner.Running(id) {
			return fmt.Errorf("%s is not running", id)
		}
		return healthz()
	}); err != nil {
		t.Fatal(err)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if healthz() == nil {
		t.Error("the endpoints still answer after Run returned")
	}
}
