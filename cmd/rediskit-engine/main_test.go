package main

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/engine"
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

// A node whose port requires TLS (tls.mode required: plaintext port 0) is alive for the
// probe when RK_PROBE_TLS=1 (the docker runner sets it) and also when it is unset (the
// image's all-in-one default); forcing plaintext fails, so the probe really speaks TLS.
func TestProbeTLS(t *testing.T) {
	dir := t.TempDir()
	files := &engine.TLSFiles{CertFile: dir + "/node.crt", KeyFile: dir + "/node.key", CAFile: dir + "/ca.crt"}
	if err := engine.GenerateCerts(files); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
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
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				if n, err := c.Read(buf); err == nil && strings.HasPrefix(string(buf[:n]), "PING") {
					_, _ = c.Write([]byte("-NOAUTH Authentication required.\r\n"))
				}
			}()
		}
	}()
	t.Setenv("RK_PORT", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	for _, c := range []struct {
		env  string
		live bool
	}{{"1", true}, {"", true}, {"0", false}} {
		t.Setenv("RK_PROBE_TLS", c.env)
		if err := cmdProbe(nil); (err == nil) != c.live {
			t.Errorf("RK_PROBE_TLS=%q: probe error %v, want live=%v", c.env, err, c.live)
		}
	}
}
