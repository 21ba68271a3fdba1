package schema

import (
	"fmt"
	"net"
	"strings"
)

// SubnetHosts lists the usable host addresses of a /24 subnet ("10.1.2.0/24" -> 10.1.2.1 ..
// 10.1.2.254); nothing for an empty or malformed subnet.
func SubnetHosts(subnet string) []string {
	ip, n, err := net.ParseCIDR(subnet)
	if err != nil || ip.To4() == nil {
		return nil
	}
	if ones, _ := n.Mask.Size(); ones != 24 {
		return nil
	}
	base := n.IP.To4()
	out := make([]string, 0, 254)
	for i := 1; i < 255; i++ {
		out = append(out, fmt.Sprintf("%d.%d.%d.%d", base[0], base[1], base[2], i))
	}
	return out
}

// AssignHosts gives every id without an address the next free one of subnet, from .10 up
// (.1 is the bridge's gateway), keeping the addresses existing ids hold.
func AssignHosts(subnet string, ids []string, held map[string]string) (map[string]string, error) {
	hosts := SubnetHosts(subnet)
	if hosts == nil {
		return nil, fmt.Errorf("subnet %q: want an IPv4 /24 such as 10.210.7.0/24", subnet)
	}
	out := map[string]string{}
	used := map[string]bool{}
	for id, h := range held {
		out[id] = h
		used[h] = true
	}
	next := 9 // index into hosts: address .10
	for _, id := range ids {
		if out[id] != "" {
			continue
		}
		for next < len(hosts) && used[hosts[next]] {
			next++
		}
		if next >= len(hosts) {
			return nil, fmt.Errorf("subnet %s has no free address left for %s", subnet, id)
		}
		out[id] = hosts[next]
		used[hosts[next]] = true
		next++
	}
	return out, nil
}

// NetworkName is the Docker network of a docker-driver deployment.
func NetworkName(deployment string) string {
	return "rediskit-" + strings.TrimPrefix(deployment, "rediskit-")
}
