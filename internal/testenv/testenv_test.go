package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

func TestStrict(t *testing.T) {
	for _, tc := range []struct {
		ci, require string
		want        bool
	}{{"", "", false}, {"true", "", true}, {"", "1", true}, {"", "0", false}, {"false", "", false}, {"", "false", false}} {
		t.Setenv("CI", tc.ci)
		t.Setenv("RK_REQUIRE_DEPS", tc.require)
		if got := Strict(); got != tc.want {
			t.Errorf("CI=%q RK_REQUIRE_DEPS=%q: Strict() = %v, want %v", tc.ci, tc.require, got, tc.want)
		}
	}
}

// Under strict mode a missing command fails the test; otherwise it skips. Run in a child
// test binary so the failure can be observed rather than failing this test.
func TestMissingFailsWhenStrict(t *testing.T) {
	for _, strict := range []string{"1", "0"} {
		cmd := exec.Command("go", "test", "-count=1", "-run", "^TestHelperMissing$", "-v", ".")
		cmd.Env = append(cmd.Environ(), "RK_REQUIRE_DEPS="+strict, "CI=", "RK_TESTENV_HELPER=1")
		out, err := cmd.CombinedOutput()
		s := string(out)
		switch strict {
		case "1":
			if err == nil || !strings.Contains(s, "--- FAIL: TestHelperMissing") || !strings.Contains(s, "no-such-command-rk") {
				t.Errorf("strict: want a failure naming the command, got err %v:\n%s", err, s)
			}
		default:
			if err != nil || !strings.Contains(s, "--- SKIP: TestHelperMissing") {
				t.Errorf("lenient: want a skip, got err %v:\n%s", err, s)
			}
		}
	}
}
