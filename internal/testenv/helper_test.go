package testenv

import (
	"os"
	"testing"
)

// TestHelperMissing is run by TestMissingFailsWhenStrict in a child process only.
func TestHelperMissing(t *testing.T) {
	if os.Getenv("RK_TESTENV_HELPER") != "1" {
		t.Skip("helper for TestMissingFailsWhenStrict; runs only in its child process")
	}
	RequireCommands(t, "nothing installs it", "no-such-command-rk")
}
