package crd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// modulePath is the module whose packages' doc comments become descriptions. Types from
// elsewhere (Kubernetes' own) get none: reading them would tie the output to a module cache.
const modulePath = "github.com/rediskit/rediskit"

// docs are the doc comments of the module's struct fields, by package path, type and field.
type docs struct {
	root string
	pkgs map[string]map[string]string // package path -> "Type.Field" -> text
	err  error
}

func (d *docs) field(t reflect.Type, field string) string {
	return d.load(t.PkgPath())[t.Name()+"."+field]
}

func (d *docs) load(pkg string) map[string]string {
	if m, ok := d.pkgs[pkg]; ok {
		return m
	}
	m := map[string]string{}
	d.pkgs[pkg] = m
	rel, ok := strings.CutPrefix(pkg, modulePath)
	if !ok {
		return m
	}
	dir := filepath.Join(d.root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		d.err = err
		return m
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			d.err = err
			return m
		}
		ast.Inspect(f, func(node ast.Node) bool {
			ts, ok := node.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, fl := range st.Fields.List {
				text := fl.Doc.Text()
				if text == "" {
					text = fl.Comment.Text()
				}
				for _, name := range fl.Names {
					m[ts.Name.Name+"."+name.Name] = clean(text)
				}
			}
			return false
		})
	}
	return m
}

// clean joins a comment's lines into one paragraph.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }
