package provider

import (
	"reflect"
	"testing"

	"github.com/rediskit/rediskit/provider/schema"
)

func clusterArgs(shards int, driver string) schema.DeploymentArgs {
	return schema.DeploymentArgs{Name: "rk", Mode: "cluster", Shards: shards, ReplicasPerShard: 1, Engine: "redis",
		EngineVersion: "7.0", AuthMode: "token", TLS: true, TLSMode: "required", Persistence: "rdb", Driver: driver,
		Host: "127.0.0.1", BasePort: 7000, DataDir: "/tmp/rk-placement", NodeMemoryMB: 64,
		Zones: []string{"a", "b", "c"}}
}

var testSecrets = schema.Secrets{AppToken: "app-token-0123456789", AdminPassword: "admin-password-0123"}

// A new deployment takes consecutive ports; growing it pins every existing process and gives
// the new ones the ports after the highest in use, so no running node moves.
func TestPlaceKeepsRunningNodesWhereTheyAre(t *testing.T) {
	first, err := place(clusterArgs(2, "process"), testSecrets, schema.Placement{}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"rk-0001-001": 7000, "rk-0001-002": 7001, "rk-0002-001": 7002, "rk-0002-002": 7003}
	if !reflect.DeepEqual(first.Ports, want) || first.Hosts != nil {
		t.Fatalf("new deployment: ports %v hosts %v, want %v and no hosts", first.Ports, first.Hosts, want)
	}
	// Someone moved a node earlier: 7003 -> 7010. The scaled layout keeps that too.
	first.Ports["rk-0002-002"] = 7010
	grown, err := place(clusterArgs(3, "process"), testSecrets, first, "")
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"rk-0001-001": 7000, "rk-0001-002": 7001, "rk-0002-001": 7002, "rk-0002-002": 7010,
		"rk-0003-001": 7011, "rk-0003-002": 7012}
	if !reflect.DeepEqual(grown.Ports, want) {
		t.Errorf("grown: got %v, want %v", grown.Ports, want)
	}
}

// With TLS preferred a process holds its port and the next one: new processes step by two.
func TestPlaceStepsOverTheSecondPortOfPreferredTLS(t *testing.T) {
	a := clusterArgs(1, "process")
	a.TLSMode = "preferred"
	held := schema.Placement{Ports: map[string]int{"rk-0001-001": 7000, "rk-0001-002": 7002}}
	a.Shards = 2
	got, err := place(a, testSecrets, held, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"rk-0001-001": 7000, "rk-0001-002": 7002, "rk-0002-001": 7004, "rk-0002-002": 7006}
	if !reflect.DeepEqual(got.Ports, want) {
		t.Errorf("got %v, want %v", got.Ports, want)
	}
	// And the engine plans those pinned ports as plaintext + TLS pairs.
	e, err := engineFor(t.Context(), a, testSecrets, got)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Plan.Nodes {
		if n.PlainPort != want[n.ID] || n.TLSPort != want[n.ID]+1 {
			t.Errorf("%s: plain %d tls %d, want %d and %d", n.ID, n.PlainPort, n.TLSPort, want[n.ID], want[n.ID]+1)
		}
	}
}

// The docker driver gives each container its own address on the deployment's subnet, keeps
// them across updates, and the generated certificate names the whole subnet.
func TestPlaceDockerAddresses(t *testing.T) {
	first, err := place(clusterArgs(1, "docker"), testSecrets, schema.Placement{}, "10.201.3.0/24")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"rk-0001-001": "10.201.3.10", "rk-0001-002": "10.201.3.11"}
	if !reflect.DeepEqual(first.Hosts, want) {
		t.Fatalf("hosts %v, want %v", first.Hosts, want)
	}
	if len(first.CertHosts) != 254 {
		t.Errorf("the certificate must name the subnet's 254 addresses, got %d", len(first.CertHosts))
	}
	grown, err := place(clusterArgs(2, "docker"), testSecrets, first, "10.201.3.0/24")
	if err != nil {
		t.Fatal(err)
	}
	want["rk-0002-001"], want["rk-0002-002"] = "10.201.3.12", "10.201.3.13"
	if !reflect.DeepEqual(grown.Hosts, want) {
		t.Errorf("grown hosts %v, want %v", grown.Hosts, want)
	}
	e, err := engineFor(t.Context(), clusterArgs(2, "docker"), testSecrets, grown)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Plan.Nodes {
		if n.Host != want[n.ID] {
			t.Errorf("%s planned on %s, want %s", n.ID, n.Host, want[n.ID])
		}
	}
}

func TestSecretsRotateAndSet(t *testing.T) {
	a := clusterArgs(1, "process")
	s, err := secretsFor(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.AppToken) != 48 || len(s.AdminPassword) != 48 || s.PreviousAppToken != "" {
		t.Fatalf("a new deployment gets a 48-character token and admin password, nothing previous: %+v", s)
	}
	st := schema.DeploymentState{DeploymentArgs: a, AppToken: s.AppToken, AdminPassword: s.AdminPassword}

	same, _ := secretsFor(a, &st)
	if same.AppToken != s.AppToken || same.PreviousAppToken != "" || same.AdminPassword != s.AdminPassword {
		t.Errorf("an unchanged revision keeps the credentials: %+v", same)
	}

	a.TokenRevision = "2"
	rotated, _ := secretsFor(a, &st)
	if rotated.AppToken == s.AppToken || rotated.PreviousAppToken != s.AppToken || rotated.AdminPassword != s.AdminPassword {
		t.Errorf("a new revision rotates: new token, the old one kept as previous, admin unchanged: %+v", rotated)
	}

	st2 := schema.DeploymentState{DeploymentArgs: a, AppToken: rotated.AppToken, PreviousAppToken: rotated.PreviousAppToken, AdminPassword: s.AdminPassword}
	a.TokenUpdateStrategy = "set"
	set, _ := secretsFor(a, &st2)
	if set.AppToken != rotated.AppToken || set.PreviousAppToken != "" {
		t.Errorf("SET keeps the current token and drops the previous one: %+v", set)
	}

	given := "given-token-0123456789"
	a.AuthToken, a.TokenUpdateStrategy = &given, "rotate"
	g, _ := secretsFor(a, &st2)
	if g.AppToken != given || g.PreviousAppToken != rotated.AppToken {
		t.Errorf("a given token rotates in the same way: %+v", g)
	}
}

func TestDiffNamesChangedInputsAndReplacements(t *testing.T) {
	old := clusterArgs(3, "process")
	nu := old
	nu.Shards = 4
	nu.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru"}
	if got := diffArgs(old, nu); !reflect.DeepEqual(got, []string{"parameters", "shards"}) {
		t.Errorf("diff %v", got)
	}
	nu = old
	nu.Parameters = map[string]string{}
	if got := diffArgs(old, nu); len(got) != 0 {
		t.Errorf("nil and empty parameters are the same, got %v", got)
	}
	for f := range map[string]bool{"name": true, "mode": true, "driver": true, "basePort": true} {
		if !replaceFields[f] {
			t.Errorf("%s must force a replacement", f)
		}
	}
}

// Growing a deployment never gives a new node the metrics port (nor a bus port on it).
func TestPlaceStepsOverTheMetricsPort(t *testing.T) {
	a := clusterArgs(1, "process")
	a.MetricsPort = 7002
	held := schema.Placement{Ports: map[string]int{"rk-0001-001": 7000, "rk-0001-002": 7001}}
	a.Shards = 2
	got, err := place(a, testSecrets, held, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"rk-0001-001": 7000, "rk-0001-002": 7001, "rk-0002-001": 7003, "rk-0002-002": 7004}
	if !reflect.DeepEqual(got.Ports, want) {
		t.Errorf("got %v, want %v", got.Ports, want)
	}
	e, err := engineFor(t.Context(), a, testSecrets, got)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMetricsPort(a, e.Plan); err != nil {
		t.Errorf("the grown plan still clashes: %v", err)
	}
}
