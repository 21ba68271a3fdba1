package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// Ports hands out ports of one range (8000-8999 by default): a client port p always comes
// with p+Half for a cluster bus, so every process stays inside the range.
type Ports struct {
	Lo, Hi int // [Lo, Hi); client ports come from [Lo, Lo+Half)
	next   int
}

// Half is the distance of a client port to its cluster bus port.
func (p *Ports) Half() int { return (p.Hi - p.Lo) / 2 }

// Block returns n consecutive free client ports whose bus ports are free too.
func (p *Ports) Block(n int) (int, error) {
	half := p.Half()
	if p.next < p.Lo {
		p.next = p.Lo
	}
	for tries := 0; tries < half; tries++ {
		base := p.next
		if base+n > p.Lo+half {
			base = p.Lo
		}
		ok := true
		for q := base; q < base+n && ok; q++ {
			ok = portFree(q) && portFree(q+half)
		}
		p.next = base + n
		if ok {
			return base, nil
		}
		p.next = base + 1
	}
	return 0, fmt.Errorf("no %d free consecutive ports in %d-%d", n, p.Lo, p.Lo+half-1)
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Proc is one hand-started server or sentinel (the reference side).
type Proc struct {
	Name string
	Port int
	Dir  string
	Conf string
	TLS  *tls.Config
	// Program is the executable it runs (valkey-server, redis-sentinel, ...).
	Program string
	cmd     *exec.Cmd
	done    chan struct{}
}

// StartProc writes conf into dir/redis.conf and starts bin on it; it returns once the
// process answers PING (or fails after timeout). bin is named as Redis names it
// (redis-server, redis-sentinel) and runs the run's engine's program (see engineProgram).
func StartProc(ctx context.Context, bin, dir string, port int, conf string, tlsConf *tls.Config) (*Proc, error) {
	return startProcAs(ctx, engineProgram(bin), dir, port, conf, tlsConf)
}

// startProcAs is StartProc of exactly prog, whatever the run's engine (the engines section
// runs both).
func startProcAs(ctx context.Context, prog, dir string, port int, conf string, tlsConf *tls.Config) (*Proc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("starting %s: %w", prog, err)
	}
	p := &Proc{Name: filepath.Base(dir), Port: port, Dir: dir, Conf: filepath.Join(dir, "redis.conf"), TLS: tlsConf, Program: prog}
	if err := os.WriteFile(p.Conf, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("starting %s: %w", prog, err)
	}
	if err := p.start(ctx, prog); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Proc) start(ctx context.Context, bin string) error {
	log, err := os.OpenFile(filepath.Join(p.Dir, "log.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, p.Conf)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(p.done) }()
	c := p.Client("", "")
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := c.Ping(ctx).Err(); err == nil {
			return nil
		} else if time.Now().After(deadline) || p.exited() {
			b, _ := os.ReadFile(filepath.Join(p.Dir, "log.txt"))
			return fmt.Errorf("%s on port %d did not answer: %v\n%s", bin, p.Port, err, engine.TailLines(string(b), 10))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart starts the same program on the same configuration again (after Kill); bin is
// only kept for callers that name it.
func (p *Proc) Restart(ctx context.Context, bin string) error {
	if p.Program == "" {
		p.Program = engineProgram(bin)
	}
	return p.start(ctx, p.Program)
}

// Pid is the process's id (0 when it is not running).
func (p *Proc) Pid() int {
	if p == nil || p.cmd == nil || p.exited() {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL, as a crash would, and waits for the process to be gone.
func (p *Proc) Kill() {
	if p == nil || p.cmd == nil || p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// Addr is 127.0.0.1:port.
func (p *Proc) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// Client connects to the process.
func (p *Proc) Client(user, pass string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: p.Addr(), Username: user, Password: pass, TLSConfig: p.TLS,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, MaxRetries: -1})
}

// KillAll kills every process.
func KillAll(ps []*Proc) {
	for _, p := range ps {
		p.Kill()
	}
}

// bareConf is a redis.conf with Redis's own defaults and only what a hand-started node
// needs: its port (and cluster bus port), its directory, no daemonizing.
func bareConf(port int, dir string, extra ...string) string {
	lines := []string{
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"dir " + dir,
		"daemonize no",
		`logfile ""`,
	}
	return strings.Join(append(lines, extra...), "\n") + "\n"
}

// bareTLS is what a hand-started server needs to serve TLS with the certificate the engine
// generated for our side of the same comparison.
type bareTLS struct {
	files  *engine.TLSFiles
	client *tls.Config
}

// conf is the minimum that makes redis-server listen on TLS only: tls-port, the certificate
// and key, and tls-auth-clients no (as ours: TLS for transport, no client certificates;
// Redis refuses TLS without a CA otherwise). A cluster node also needs tls-cluster (with the
// plaintext port closed it would announce port 0) and a replica tls-replication; both make
// Redis require the CA file, which then verifies the peers.
func (t *bareTLS) conf(port int, cluster, replication bool) []string {
	lines := []string{"tls-port " + strconv.Itoa(port), "tls-cert-file " + t.files.CertFile,
		"tls-key-file " + t.files.KeyFile, "tls-auth-clients no"}
	if cluster || replication {
		lines = append(lines, "tls-ca-cert-file "+t.files.CAFile)
	}
	if cluster {
		lines = append(lines, "tls-cluster yes")
	}
	if replication {
		lines = append(lines, "tls-replication yes")
	}
	return lines
}

// clientConf is the Go client TLS configuration (nil without TLS).
func (t *bareTLS) clientConf() *tls.Config {
	if t == nil {
		return nil
	}
	return t.client
}

// cliArgs are redis-cli's and redis-benchmark's TLS flags (none without TLS).
func (t *bareTLS) cliArgs() []string {
	if t == nil {
		return nil
	}
	return []string{"--tls", "--cacert", t.files.CAFile}
}

// runCmd runs a command with a deadline and returns its combined output. name is mapped to
// the run's engine (redis-cli is valkey-cli on a Valkey run).
func runCmd(ctx context.Context, timeout time.Duration, name string, args ...string) (string, error) {
	return runCmdAs(ctx, timeout, engineProgram(name), args...)
}

// runCmdAs is runCmd of exactly name.
func runCmdAs(ctx context.Context, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, engine.TailLines(string(out), 15))
	}
	return string(out), nil
}
