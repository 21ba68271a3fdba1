// Package testports hands tests and benchmarks blocks of TCP ports that nothing else on the
// machine is about to take. A port that is free when a test looks is not free when the node
// binds it if it lies in the kernel's ephemeral range: any outgoing connection in between (a
// client, the Go toolchain, docker) may be given it. So blocks are picked below that range,
// where only explicit binds land.
package testports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// BusOffset is the cluster bus port's distance from a node's client port.
const BusOffset = 10000

// lowest is the first port handed out: below it sit well-known services and the fixed ports
// the end-to-end tests and benchmarks use (7000-9999).
const lowest = 10000

// EphemeralRange reads the kernel's range for outgoing connections' local ports
// (Linux's default when it cannot be read).
func EphemeralRange() (lo, hi int) {
	lo, hi = 32768, 60999
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(raw))
	if len(f) != 2 {
		return lo, hi
	}
	a, err1 := strconv.Atoi(f[0])
	b, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || a > b {
		return lo, hi
	}
	return a, b
}

// Block returns the first of n consecutive ports that are free now, with their cluster bus
// ports (+BusOffset) when bus is set, all below the ephemeral range.
func Block(n int, bus bool) (int, error) {
	lo, _ := EphemeralRange()
	top := lo - n // every port of the block stays below the ephemeral range
	if bus {
		top -= BusOffset
	}
	if top <= lowest {
		return 0, fmt.Errorf("no room for %d ports below the ephemeral range (starts at %d)", n, lo)
	}
	for attempt := 0; attempt < 100; attempt++ {
		base := lowest + rand.IntN(top-lowest)
		if free(base, n, bus) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free block of %d ports between %d and %d", n, lowest, top)
}

// free reports whether every port of the block (and its bus port) can be bound on loopback.
func free(base, n int, bus bool) bool {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		ports := []int{p}
		if bus {
			ports = append(ports, p+BusOffset)
		}
		for _, q := range ports {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				return false
			}
			held = append(held, l)
		}
	}
	return true
}
