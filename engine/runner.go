package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/rediskit/rediskit/paramgroup"
)

// ProcessKind says which program a process runs.
type ProcessKind string

const (
	KindRedis    ProcessKind = "redis"
	KindSentinel ProcessKind = "sentinel"
)

// Process is one program the engine asks a Runner to run. Its configuration file has
// already been written to Dir/ConfFile by the engine.
type Process struct {
	ID   string
	Kind ProcessKind
	// Program is the executable the deployment's engine runs for this kind (valkey-server,
	// redis-sentinel, ...): see ProgramsFor.
	Program  string
	Dir      string
	ConfFile string
	Host     string
	Port     int
	// TLS is set when Port speaks TLS (health probes must use it).
	TLS bool
	// Memory is the memory the process may use in bytes (the node type's memory), 0 when
	// the deployment does not size its nodes. A container runner makes it the limit.
	Memory int64
}

// Runner executes processes of a plan. The engine decides what runs, with which file and
// in which order; a Runner only knows how to start and stop one process. LocalRunner runs
// them as child processes on this machine; a container runner maps the same Process onto a
// container with Dir mounted.
type Runner interface {
	// Start launches the process and returns once it was spawned (readiness is checked by
	// the engine over the network). Starting a running process is an error.
	Start(ctx context.Context, p Process) error
	// Stop shuts the process down gracefully (SIGTERM: redis saves if persistence is on).
	Stop(ctx context.Context, id string) error
	// Kill ends the process at once, as a crash would.
	Kill(id string) error
	// Running reports whether the process is alive.
	Running(id string) bool
}

// EngineChecker is a Runner that can tell, before anything starts, whether it can run an
// engine version: the process runners look at this machine's executables, the container
// runner at its image. New asks it, so a stack never silently runs another engine.
type EngineChecker interface {
	CheckEngine(ctx context.Context, e paramgroup.Engine, version string) error
}

// LocalRunner runs each process's program (valkey-server, redis-sentinel, ...) from PATH as
// a child of this process.
type LocalRunner struct {
	// StopGrace is how long a process has to exit after SIGTERM (redis saves its data then)
	// before it is killed; 0: DefaultStopGrace.
	StopGrace time.Duration

	mu    sync.Mutex
	procs map[string]*localProc
}

type localProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// NewLocalRunner returns a runner of programs from PATH.
func NewLocalRunner() *LocalRunner {
	return &LocalRunner{procs: map[string]*localProc{}}
}

// CheckEngine implements EngineChecker: the engine version's programs must be installed here.
func (r *LocalRunner) CheckEngine(_ context.Context, e paramgroup.Engine, version string) error {
	return CheckHostEngine(e, version)
}

// Start implements Runner.
func (r *LocalRunner) Start(ctx context.Context, p Process) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lp, ok := r.procs[p.ID]; ok && !lp.exited() {
		return fmt.Errorf("starting %s: already running (pid %d)", p.ID, lp.cmd.Process.Pid)
	}
	bin := p.Program
	if bin == "" {
		return fmt.Errorf("starting %s: no program to run", p.ID)
	}
	logf, err := os.OpenFile(filepath.Join(p.Dir, string(p.Kind)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("starting %s: opening log: %w", p.ID, err)
	}
	// Not exec.CommandContext: the process must outlive the request that started it.
	cmd := exec.Command(bin, filepath.Join(p.Dir, p.ConfFile))
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group so a terminal's signals do not reach it; killed if we die, so a
	// crashed test or engine does not leave orphans holding ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s (%s): %w", p.ID, bin, err)
	}
	lp := &localProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(lp.done)
	}()
	r.procs[p.ID] = lp
	return nil
}

func (lp *localProc) exited() bool {
	select {
	case <-lp.done:
		return true
	default:
		return false
	}
}

func (r *LocalRunner) get(id string) *localProc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.procs[id]
}

// DefaultStopGrace is how long a stopping node may take to save and exit.
const DefaultStopGrace = 30 * time.Second

// Stop implements Runner: SIGTERM, then SIGKILL after StopGrace or when ctx ends.
func (r *LocalRunner) Stop(ctx context.Context, id string) error {
	lp := r.get(id)
	if lp == nil || lp.exited() {
		return nil
	}
	if err := lp.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", id, err)
	}
	select {
	case <-lp.done:
		return nil
	case <-time.After(r.stopGrace()):
	case <-ctx.Done():
	}
	_ = lp.cmd.Process.Kill()
	<-lp.done
	return fmt.Errorf("stopping %s: did not exit after SIGTERM, killed", id)
}

func (r *LocalRunner) stopGrace() time.Duration {
	if r.StopGrace == 0 {
		return DefaultStopGrace
	}
	return r.StopGrace
}

// Kill implements Runner.
func (r *LocalRunner) Kill(id string) error {
	lp := r.get(id)
	if lp == nil || lp.exited() {
		return nil
	}
	if err := lp.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", id, err)
	}
	<-lp.done
	return nil
}

// Running implements Runner.
func (r *LocalRunner) Running(id string) bool {
	lp := r.get(id)
	return lp != nil && !lp.exited()
}
