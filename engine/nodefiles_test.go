package engine

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// recordingFiles is LocalFiles that remembers what the engine asked of it.
type recordingFiles struct {
	LocalFiles
	mu    sync.Mutex
	calls []string
}

func (r *recordingFiles) note(op string, h FileHome, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, op+" "+h.ID+" "+name)
}

func (r *recordingFiles) Write(ctx context.Context, h FileHome, name string, data []byte) error {
	r.note("write", h, name)
	return r.LocalFiles.Write(ctx, h, name, data)
}

func (r *recordingFiles) Export(ctx context.Context, h FileHome, name string, w io.Writer) (int64, error) {
	r.note("export", h, name)
	return r.LocalFiles.Export(ctx, h, name, w)
}

func (r *recordingFiles) Import(ctx context.Context, h FileHome, name string, rd io.Reader) error {
	r.note("import", h, name)
	return r.LocalFiles.Import(ctx, h, name, rd)
}

func (r *recordingFiles) has(call string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c == call {
			return true
		}
	}
	return false
}

// Every file in a node's directory is one the engine wrote through NodeFiles or one the
// server writes itself: a file the engine put there another way would be out of reach of a
// node whose files live in a pod.
func TestNodeFilesCarryEveryNodeFile(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	rec := &recordingFiles{}
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-files"
	e, err := New(d, NewLocalRunner())
	if err != nil {
		t.Fatal(err)
	}
	e.Files = rec
	t.Cleanup(func() { e.Kill() })
	if err := e.Up(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := e.Snapshot(ctx, "files-snap")
	if err != nil {
		t.Fatal(err)
	}
	n := e.Plan.Nodes[0]
	for _, call := range []string{"write " + n.ID + " " + RedisConfFile, "write " + n.ID + " " + ACLFile, "export " + n.ID + " " + RDBFile} {
		if !rec.has(call) {
			t.Errorf("the engine did not %s through NodeFiles (calls: %v)", call, rec.calls)
		}
	}

	// A second deployment seeded from the snapshot gets its RDB through Import.
	d2 := newDeployment(t, ModeSingle, 1, 0)
	d2.Name = "rk-files2"
	d2.Snapshot.RestoreFrom = snap
	e2, err := New(d2, NewLocalRunner())
	if err != nil {
		t.Fatal(err)
	}
	e2.Files = rec
	t.Cleanup(func() { e2.Kill() })
	if err := e2.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if n2 := e2.Plan.Nodes[0]; !rec.has("import " + n2.ID + " " + RDBFile) {
		t.Errorf("the restore did not import %s through NodeFiles (calls: %v)", RDBFile, rec.calls)
	}

	// What the server writes itself (its log goes through the runner).
	own := map[string]bool{RDBFile: true, NodesConfFile: true, AOFDir: true, "redis.log": true}
	for _, dep := range []*Engine{e, e2} {
		for _, n := range dep.Plan.Nodes {
			ents, err := os.ReadDir(n.Dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, ent := range ents {
				name := ent.Name()
				if own[name] || strings.HasPrefix(name, "temp-") {
					continue
				}
				if !rec.has("write "+n.ID+" "+name) && !rec.has("import "+n.ID+" "+name) {
					t.Errorf("%s of %s was not written through NodeFiles", name, n.ID)
				}
			}
		}
	}
}

// No engine source outside the NodeFiles implementation and the runners reaches into a
// node's directory with the os package: a static check, so a new direct write is caught
// even on a path no test runs.
func TestNoDirectNodeFileAccess(t *testing.T) {
	allowed := map[string]bool{"nodefiles.go": true, "runner.go": true, "docker.go": true, "daemon.go": true}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var found []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || allowed[f] {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(x ast.Node) bool {
			call, ok := x.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := fn.X.(*ast.Ident); !ok || pkg.Name != "os" {
				return true
			}
			for _, arg := range call.Args {
				ast.Inspect(arg, func(y ast.Node) bool {
					sel, ok := y.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Dir" {
						return true
					}
					if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "filepath" || pkg.Name == "path") {
						return true // filepath.Dir, not a node's directory
					}
					found = append(found, fset.Position(call.Pos()).String()+": os."+fn.Sel.Name)
					return true
				})
			}
			return true
		})
	}
	if len(found) > 0 {
		t.Fatalf("node directories reached around NodeFiles:\n%s", strings.Join(found, "\n"))
	}
}
