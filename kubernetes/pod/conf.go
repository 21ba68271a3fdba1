package pod

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// ParseConf reads what pod-start needs from a node's rendered redis.conf. The configuration
// is the engine's rendering (engine.Plan.RedisConf), so the pod learns its directory, ports
// and persistence from the one file the server itself reads, never from a second source that
// could disagree.
func ParseConf(text string) (Conf, error) {
	var c Conf
	var port, tlsPort int
	save, aof := "", false
	s := bufio.NewScanner(strings.NewReader(text))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		key, val := strings.ToLower(f[0]), strings.Join(f[1:], " ")
		var err error
		switch key {
		case "dir":
			c.Dir = val
		case "port":
			port, err = strconv.Atoi(val)
		case "tls-port":
			tlsPort, err = strconv.Atoi(val)
		case "cluster-port":
			c.BusPort, err = strconv.Atoi(val)
		case "cluster-enabled":
			c.Cluster = val == "yes"
		case "tls-ca-cert-file":
			c.CAFile = val
		case "appendonly":
			aof = val == "yes"
		case "save":
			save = val
		}
		if err != nil {
			return Conf{}, fmt.Errorf("%s %q is not a port number", key, val)
		}
	}
	if c.Dir == "" {
		return Conf{}, fmt.Errorf("no dir line; a node's configuration names its directory")
	}
	c.Port, c.TLS = port, false
	if tlsPort != 0 {
		c.Port, c.TLS = tlsPort, true
	}
	if c.Port == 0 {
		return Conf{}, fmt.Errorf("port 0 and no tls-port: the node listens nowhere")
	}
	if c.Cluster && c.BusPort == 0 {
		return Conf{}, fmt.Errorf("cluster-enabled yes without cluster-port")
	}
	c.Persistent = aof || (save != "" && save != `""`)
	return c, nil
}
