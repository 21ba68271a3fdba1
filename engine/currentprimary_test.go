package engine

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

// fakeSentinel answers AUTH and SENTINEL GET-MASTER-ADDR-BY-NAME with a fixed address, like
// a sentinel holding that view of the group.
func fakeSentinel(t *testing.T, primary string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	host, port, _ := net.SplitHostPort(primary)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					args, err := readCommand(r)
					if err != nil {
						return
					}
					var reply string
					switch strings.ToLower(args[0]) {
					case "auth":
						reply = "+OK\r\n"
					case "sentinel":
						reply = fmt.Sprintf("*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(host), host, len(port), port)
					default:
						reply = "-ERR unknown command\r\n"
					}
					if _, err := c.Write([]byte(reply)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		s, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(s, "\r\n")
	}
	return args, nil
}

// closedPort is a port nothing listens on (a sentinel that is down).
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// CurrentPrimary believes a primary only when a majority of all the group's sentinels name
// it: sentinels that are down do not shrink the electorate.
func TestCurrentPrimaryNeedsMajorityOfAllSentinels(t *testing.T) {
	d := testDeployment(ModeReplication, 1, 1)
	d.DataDir = t.TempDir()
	base, err := PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	prim, rep := base.Nodes[0], base.Nodes[1]
	for _, c := range []struct {
		name  string
		views []string // per sentinel: the primary it names, "" = down
		want  string   // node id, "" = error
		err   string
	}{
		{"all agree", []string{prim.Addr(), prim.Addr(), prim.Addr()}, prim.ID, ""},
		{"two of three agree", []string{prim.Addr(), rep.Addr(), prim.Addr()}, prim.ID, ""},
		{"two of three agree, one down", []string{prim.Addr(), "", prim.Addr()}, prim.ID, ""},
		{"only one answers", []string{"", "", rep.Addr()}, "", "no majority of the 3 sentinels names one primary: 1 answered"},
		{"split, one down", []string{prim.Addr(), rep.Addr(), ""}, "", "no majority of the 3 sentinels"},
		{"all down", []string{"", "", ""}, "", "no sentinel answered"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dd := d
			dd.NodePorts = map[string]int{}
			for i, s := range base.Sentinels {
				if c.views[i] == "" {
					dd.NodePorts[s.ID] = closedPort(t)
				} else {
					dd.NodePorts[s.ID] = fakeSentinel(t, c.views[i])
				}
			}
			p, err := PlanFor(dd)
			if err != nil {
				t.Fatal(err)
			}
			e := &Engine{Plan: p, Runner: NewLocalRunner()}
			n, err := e.CurrentPrimary(context.Background())
			switch {
			case c.want != "" && (err != nil || n == nil || n.ID != c.want):
				t.Fatalf("CurrentPrimary = %v, %v; want %s", n, err, c.want)
			case c.want == "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("CurrentPrimary = %v, %v; want an error with %q", n, err, c.err)
			}
		})
	}
}
