package deploy

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"

	"github.com/rediskit/rediskit/internal/testenv"
)

// An inline program gets no project root from the CLI and runs in its caller's directory: the
// local stack's data directory (relative, the default .rediskit/<name>) must still be under
// the project root, as it is when the CLI runs the program itself (`pulumi up -s local`), not
// under the directory `rediskit up` happens to be started from.
func TestInlineProgramDataDirIsUnderTheProjectRoot(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"bin/pulumi", "bin/pulumi-resource-rediskit"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			testenv.Missing(t, "%s (make pulumi-cli provider): %v", f, err)
		}
	}
	t.Chdir(t.TempDir())
	ctx := context.Background()
	st, err := Stack(ctx, Options{Root: root, Stack: "local", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan events.EngineEvent)
	got := make(chan []string)
	go func() {
		var dirs []string
		for e := range ch {
			if pre := e.ResourcePreEvent; pre != nil && pre.Metadata.Type == "rediskit:index:Deployment" && pre.Metadata.New != nil {
				dir, _ := pre.Metadata.New.Inputs["dataDir"].(string)
				dirs = append(dirs, dir)
			}
		}
		got <- dirs
	}()
	if _, err := st.Preview(ctx, optpreview.EventStreams(ch)); err != nil {
		t.Fatalf("previewing the local stack: %v", err)
	}
	dirs := <-got
	want := filepath.Join(root, ".rediskit", "rediskit-local")
	if len(dirs) != 1 || dirs[0] != want {
		t.Fatalf("the deployment's dataDir in the preview: %q, want [%q]", dirs, want)
	}
}
