// Package testenv decides what a test does when something it needs (redis-server, docker,
// an image, the Pulumi CLI) is missing. A developer running `go test ./...` on a bare machine
// gets a skip that says what to install; under `make test` and in CI (CI=true, or
// RK_REQUIRE_DEPS=1, which the Makefile sets) the same gap is a failure, so a green run there
// can never mean that the real-process tests quietly did not run.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Strict reports whether missing dependencies fail tests instead of skipping them.
func Strict() bool {
	if v := os.Getenv("RK_REQUIRE_DEPS"); v != "" && v != "0" && v != "false" {
		return true
	}
	return os.Getenv("CI") == "true"
}

// Missing stops the test because what is named is not there: a skip for a developer's quick
// run, a failure under make test and CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Strict() {
		t.Fatalf("missing dependency (make test installs it): "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireCommands stops the test (see Missing) unless every command is on PATH.
func RequireCommands(t testing.TB, hint string, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		Missing(t, "%s not installed (%s)", strings.Join(missing, ", "), hint)
	}
}
