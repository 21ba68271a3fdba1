package engine

import (
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/rediskit/rediskit/paramgroup"
)

// Programs are the executables that run a deployment's processes: the engine a stack names
// is the engine that runs, never a stand-in (valkey-server for Valkey, redis-server for
// Redis OSS, each from its own Debian package).
type Programs struct {
	Server, Sentinel string
	// Cli is the engine's command-line client (its --rdb fetches a node's snapshot over the
	// replication protocol).
	Cli string
}

// ProgramsFor names the executables of an engine.
func ProgramsFor(e paramgroup.Engine) Programs {
	if e == paramgroup.Valkey {
		return Programs{Server: "valkey-server", Sentinel: "valkey-sentinel", Cli: "valkey-cli"}
	}
	return Programs{Server: "redis-server", Sentinel: "redis-sentinel", Cli: "redis-cli"}
}

// knownPrograms are the executables `rediskit-engine exec` may replace itself with.
var knownPrograms = map[string]bool{"redis-server": true, "redis-sentinel": true, "valkey-server": true, "valkey-sentinel": true}

// KnownProgram reports whether name is one of the engines' executables.
func KnownProgram(name string) bool { return knownPrograms[name] }

// serverVersionRe reads "v=8.0.1" from `redis-server --version` and `valkey-server --version`.
var serverVersionRe = regexp.MustCompile(`\bv=(\d+)\.(\d+)\.(\d+)`)

// ParseServerVersion returns the major.minor of a server's --version output.
func ParseServerVersion(out string) (string, error) {
	m := serverVersionRe.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("no version in %q", strings.TrimSpace(out))
	}
	return m[1] + "." + m[2], nil
}

var hostVersions sync.Map // program -> major.minor; failures are not kept

// HostVersion is the major.minor of the program installed on this machine's PATH.
func HostVersion(program string) (string, error) {
	if v, ok := hostVersions.Load(program); ok {
		return v.(string), nil
	}
	v, err := probeVersion(program)
	if err != nil {
		return "", err
	}
	hostVersions.Store(program, v)
	return v, nil
}

func probeVersion(program string) (string, error) {
	path, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Errorf("%s is not installed", program)
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", program, err)
	}
	return ParseServerVersion(string(out))
}

// HostEngines lists the engine versions this machine can run as processes, e.g.
// ["redis 7.0", "valkey 8.0"].
func HostEngines() []string {
	var out []string
	for _, e := range []paramgroup.Engine{paramgroup.Redis, paramgroup.Valkey} {
		p := ProgramsFor(e)
		v, err := HostVersion(p.Server)
		if err != nil {
			continue
		}
		if _, err := exec.LookPath(p.Sentinel); err != nil {
			continue
		}
		out = append(out, string(e)+" "+v)
	}
	sort.Strings(out)
	return out
}

// CheckHostEngine fails, naming the field, the value and what this machine can run, unless
// the engine's server and sentinel of exactly that major.minor are installed here.
func CheckHostEngine(e paramgroup.Engine, version string) error {
	p := ProgramsFor(e)
	got, err := HostVersion(p.Server)
	if err == nil && got == majorMinor(version) {
		if _, err := exec.LookPath(p.Sentinel); err == nil {
			return nil
		}
	}
	can := HostEngines()
	if len(can) == 0 {
		can = []string{"none (make tools installs Valkey and Redis)"}
	}
	return fmt.Errorf("engineVersion: %s %s is not allowed; this machine can run %s", e, version, strings.Join(can, ", "))
}

// majorMinor cuts a version such as 7.0.15 to 7.0.
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// ServerIdentity is the engine and major.minor a node says it runs, from its INFO server
// (Valkey also reports redis_version: the Redis OSS version it is compatible with).
func ServerIdentity(info map[string]string) (paramgroup.Engine, string) {
	if v := info["valkey_version"]; v != "" || info["server_name"] == "valkey" {
		return paramgroup.Valkey, majorMinor(v)
	}
	return paramgroup.Redis, majorMinor(info["redis_version"])
}
