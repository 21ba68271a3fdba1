package engine

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rediskit/rediskit/components/paramgroup"
)

// MemoryLimit returns the memory available to this process in bytes: the cgroup limit
// (v2 memory.max, or v1 memory.limit_in_bytes) when one is set, else the machine's
// MemTotal. Containers get their own limit this way instead of the host's RAM, which is
// how a node in a 1 GiB container ends up with a sensible maxmemory.
func MemoryLimit() (int64, error) {
	total, err := memTotal()
	if err != nil {
		return 0, err
	}
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			break
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n < total {
			return n, nil
		}
	}
	return total, nil
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
