package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDeploymentSecretsFromEnvironmentAndFiles(t *testing.T) {
	f := writeFile(t, "d.json", `{"name":"rk","mode":"single","engine":"valkey","engineVersion":"8.0","basePort":7000,"dataDir":"/data","auth":{"appToken":"from-file-0123456789"}}`)
	secret := writeFile(t, "admin", "admin-from-mounted-file-0123\n")
	t.Setenv("RK_APP_TOKEN", "from-env-0123456789abc")
	t.Setenv("RK_ADMIN_PASSWORD_FILE", secret)
	d, err := loadDeployment(f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Auth.AppToken != "from-env-0123456789abc" || d.Auth.AdminPassword != "admin-from-mounted-file-0123" {
		t.Fatalf("secrets %q %q", d.Auth.AppToken, d.Auth.AdminPassword)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("a valid deployment: %v", err)
	}
}

func TestLoadDeploymentRejectsUnknownFields(t *testing.T) {
	f := writeFile(t, "d.json", `{"name":"rk","mode":"single","replicas":2}`)
	if _, err := loadDeployment(f); err == nil || !strings.Contains(err.Error(), `unknown field "replicas"`) {
		t.Fatalf("want an unknown-field error, got %v", err)
	}
}

// The probe accepts any RESP reply (a node with the default user off answers NOAUTH) and
// fails when nothing listens.
func TestProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 64)
			_, _ = c.Read(buf)
			_, _ = c.Write([]byte("-NOAUTH Authentication required.\r\n"))
			c.Close()
		}
	}()
	t.Setenv("RK_PORT", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	if err := cmdProbe(nil); err != nil {
		t.Fatalf("probe of a live node: %v", err)
	}
	l.Close()
	if err := cmdProbe(nil); err == nil {
		t.Fatal("probe passed with nothing listening")
	}
}
