package engine

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeTree writes files (relative path -> content) under a temporary root.
func fakeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestMemoryLimitFromCgroups(t *testing.T) {
	const unlimitedV1 = "9223372036854771712"
	for _, c := range []struct {
		name   string
		files  map[string]string
		cgroup string
		want   int64
	}{
		{"v2: the process's own cgroup", map[string]string{
			"kubepods/pod1/memory.max": "1073741824",
		}, "0::/kubepods/pod1\n", 1 << 30},
		{"v2: own cgroup max, a parent limits", map[string]string{
			"kubepods/memory.max":      "536870912",
			"kubepods/pod1/memory.max": "max",
		}, "0::/kubepods/pod1\n", 512 << 20},
		{"v2: the lowest of the path wins", map[string]string{
			"a/memory.max":   "268435456",
			"a/b/memory.max": "1073741824",
		}, "0::/a/b\n", 256 << 20},
		{"v2: max everywhere", map[string]string{
			"a/memory.max": "max",
		}, "0::/a\n", 0},
		{"v2: a sibling's limit does not apply", map[string]string{
			"other/memory.max": "268435456",
			"mine/memory.max":  "max",
		}, "0::/mine\n", 0},
		{"v2: in a cgroup namespace (root is the container's cgroup)", map[string]string{
			"memory.max": "805306368",
		}, "0::/\n", 768 << 20},
		{"v1: memory controller line, unlimited root", map[string]string{
			"memory/memory.limit_in_bytes":                   unlimitedV1,
			"memory/process_api/abc/memory.limit_in_bytes":   "2147483648",
			"cpu/process_api/abc/cpu.shares":                 "1024",
			"memory/process_api/other/memory.limit_in_bytes": "1048576",
		}, "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n", 2 << 30},
		{"v1: combined controllers", map[string]string{
			"memory/docker/x/memory.limit_in_bytes": "402653184",
		}, "5:hugetlb,memory:/docker/x\n", 384 << 20},
		{"v1: mount root is the container's cgroup", map[string]string{
			"memory/memory.limit_in_bytes": "268435456",
		}, "4:memory:/docker/0123abcd\n", 256 << 20},
		{"v1: unlimited", map[string]string{
			"memory/memory.limit_in_bytes":   unlimitedV1,
			"memory/a/memory.limit_in_bytes": unlimitedV1,
		}, "4:memory:/a\n", 0},
		{"no cgroup files", map[string]string{}, "0::/\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := memoryLimitFrom(fakeTree(t, c.files), c.cgroup); got != c.want {
				t.Fatalf("memoryLimitFrom = %d, want %d", got, c.want)
			}
		})
	}
}

func TestMemoryLimitAtMostMemTotal(t *testing.T) {
	total, err := memTotal()
	if err != nil {
		t.Skip(err)
	}
	lim, err := MemoryLimit()
	if err != nil || lim <= 0 || lim > total {
		t.Fatalf("MemoryLimit = %d, %v (MemTotal %d)", lim, err, total)
	}
	self, _ := os.ReadFile("/proc/self/cgroup")
	if n := memoryLimitFrom("/sys/fs/cgroup", string(self)); n > 0 && n < total && lim != n {
		t.Fatalf("MemoryLimit = %d, but this process's cgroup limits it to %d", lim, n)
	}
}
