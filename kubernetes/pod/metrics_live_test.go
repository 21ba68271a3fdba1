package pod_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/kubernetes/pod"
)

// A node pod's metrics container reads its own node only, with the pod's mounted files, and
// reports it under CloudWatch's names with ElastiCache's dimensions.
func TestPodMetricsReadOwnNode(t *testing.T) {
	sh := liveShard(t)
	p := sh.engine.Plan
	primary := p.Nodes[0]
	c := admin(primary)
	defer c.Close()
	writeKeys(t, c, 25)

	for i, n := range p.Nodes {
		env := pod.Env{Pod: fmt.Sprintf("rkpod-0001-%d", i), ConfigDir: sh.configDir, DataDir: sh.dataDir, CredentialsDir: sh.creds, Server: "valkey-server"}
		m, err := pod.Metrics(env, "rkpod")
		if err != nil {
			t.Fatal(err)
		}
		text := m.Gather(context.Background())
		master := "0"
		if n.ID == primary.ID {
			master = "1"
		}
		for _, want := range []string{
			`NodesUp{ReplicationGroupId="rkpod"} 1`,
			fmt.Sprintf(`IsMaster{CacheClusterId=%q,CacheNodeId="0001",ReplicationGroupId="rkpod"`, n.ID),
			fmt.Sprintf(`CurrItems{CacheClusterId=%q,CacheNodeId="0001",ReplicationGroupId="rkpod"`, n.ID),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("pod %s: no %s in\n%s", env.Pod, want, text)
			}
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "IsMaster{") && !strings.HasSuffix(line, " "+master) {
				t.Errorf("pod %s: %s, want %s", env.Pod, line, master)
			}
			if strings.HasPrefix(line, "CurrItems{") && !strings.HasSuffix(line, " 25") {
				t.Errorf("pod %s: %s, want the 25 keys written", env.Pod, line)
			}
			for _, other := range p.Nodes {
				if other.ID != n.ID && strings.Contains(line, other.ID) {
					t.Errorf("pod %s reports another node: %s", env.Pod, line)
				}
			}
		}
	}
}
