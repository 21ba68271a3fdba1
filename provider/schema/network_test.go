package schema

import (
	"reflect"
	"strings"
	"testing"
)

func TestSubnetHosts(t *testing.T) {
	hosts := SubnetHosts("10.210.7.0/24")
	if len(hosts) != 254 || hosts[0] != "10.210.7.1" || hosts[253] != "10.210.7.254" {
		t.Fatalf("got %d hosts from %v to %v", len(hosts), hosts[0], hosts[len(hosts)-1])
	}
	for _, bad := range []string{"", "10.0.0.0/16", "fd00::/64", "nonsense"} {
		if got := SubnetHosts(bad); got != nil {
			t.Errorf("%q: want nothing, got %d hosts", bad, len(got))
		}
	}
}

func TestAssignHostsKeepsHeldAddresses(t *testing.T) {
	held := map[string]string{"n-002": "10.1.2.10"}
	got, err := AssignHosts("10.1.2.0/24", []string{"n-001", "n-002", "n-003"}, held)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"n-001": "10.1.2.11", "n-002": "10.1.2.10", "n-003": "10.1.2.12"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := AssignHosts("10.1.2.0/16", []string{"a"}, nil); err == nil || !strings.Contains(err.Error(), "/24") {
		t.Errorf("a subnet that is not a /24 must be refused, got %v", err)
	}
	ids := make([]string, 246)
	for i := range ids {
		ids[i] = strings.Repeat("x", i+1)
	}
	if _, err := AssignHosts("10.1.2.0/24", ids, nil); err == nil || !strings.Contains(err.Error(), "no free address") {
		t.Errorf("245 addresses (.10-.254) cannot hold 246 nodes, got %v", err)
	}
}

func TestNetworkName(t *testing.T) {
	for in, want := range map[string]string{"rediskit-local": "rediskit-local", "orders": "rediskit-orders"} {
		if got := NetworkName(in); got != want {
			t.Errorf("NetworkName(%q) = %q, want %q", in, got, want)
		}
	}
}
