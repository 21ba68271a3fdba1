package engine

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rediskit/rediskit/paramgroup"
)

// MemoryLimit returns the memory available to this process in bytes: the lowest cgroup
// memory limit on the way from this process's own cgroup (as /proc/self/cgroup names it)
// up to the root, v2 memory.max or v1 memory.limit_in_bytes, when one is set below the
// machine's MemTotal; else MemTotal. Containers and jobs get their own limit this way
// instead of the host's RAM, which is how a node in a 1 GiB container ends up with a
// sensible maxmemory.
func MemoryLimit() (int64, error) {
	total, err := memTotal()
	if err != nil {
		return 0, err
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		self = []byte("0::/\n")
	}
	if n := memoryLimitFrom("/sys/fs/cgroup", string(self)); n > 0 && n < total {
		return n, nil
	}
	return total, nil
}

// memoryLimitFrom returns the cgroup memory limit that applies to a process whose
// /proc/self/cgroup reads procCgroup, with the cgroup file systems mounted under root, or
// 0 when no limit is set. Limits are hierarchical, so the lowest one between the process's
// cgroup and the root counts. "max" (v2) and v1's page-rounded maximum mean no limit. When
// the mount shows only the process's own cgroup (a container without a cgroup namespace,
// where /proc/self/cgroup still names the host path), the mount root is that cgroup and
// is read as well.
func memoryLimitFrom(root, procCgroup string) int64 {
	var limit int64
	consider := func(file string) {
		b, err := os.ReadFile(file)
		if err != nil {
			return
		}
		v := strings.TrimSpace(string(b))
		if v == "max" {
			return
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 {
			return
		}
		if limit == 0 || n < limit {
			limit = n
		}
	}
	for _, line := range strings.Split(procCgroup, "\n") {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir, file string
		switch {
		case f[0] == "0" && f[1] == "":
			dir, file = root, "memory.max" // v2, unified hierarchy
		case hasController(f[1], "memory"):
			dir, file = filepath.Join(root, "memory"), "memory.limit_in_bytes" // v1
		default:
			continue
		}
		for p := path.Clean("/" + f[2]); ; p = path.Dir(p) {
			consider(filepath.Join(dir, p, file))
			if p == "/" {
				break
			}
		}
	}
	return limit
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

func memTotal() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("reading memory size: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fs[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing MemTotal: %w", err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

// nodeMemory is the memory one node may use: the deployment's node size, or the limit of
// this machine shared by every node planned on it.
func nodeMemory(d Deployment) (int64, error) {
	if d.NodeMemory > 0 {
		return d.NodeMemory, nil
	}
	lim, err := MemoryLimit()
	if err != nil {
		return 0, err
	}
	return lim / int64(d.nodeCount()), nil
}

// maxMemory applies ElastiCache's reservation: reserved-memory (bytes) when set, else
// reserved-memory-percent of the node's memory, is kept for forks, replication buffers
// and the OS; the rest is maxmemory.
func maxMemory(mem int64, params map[string]string) (int64, error) {
	reserved, err := paramgroup.ParseMemory(params["reserved-memory"])
	if err != nil {
		return 0, fmt.Errorf("reserved-memory: %w", err)
	}
	if reserved == 0 {
		pct, err := strconv.ParseInt(params["reserved-memory-percent"], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reserved-memory-percent: %w", err)
		}
		reserved = mem * pct / 100
	}
	if reserved >= mem {
		return 0, fmt.Errorf("reserved memory %d leaves nothing of the node's %d bytes", reserved, mem)
	}
	return mem - reserved, nil
}
