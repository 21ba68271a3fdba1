package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rediskit/rediskit/paramgroup"
)

// DaemonRunner runs the engine's processes detached from whoever started them: the Pulumi
// provider plugin lives only as long as one `pulumi up`, while the cache must keep running
// after it. Each process
// gets its own session and a pid file in its directory, which later provider runs (refresh,
// update, destroy) use to find it again.
type DaemonRunner struct {
	// DataDir is the deployment's root; process id X lives in DataDir/X.
	DataDir string

	mu   sync.Mutex
	dirs map[string]string
}

// NewDaemonRunner returns a runner for a deployment rooted at dataDir.
func NewDaemonRunner(dataDir string) *DaemonRunner {
	return &DaemonRunner{DataDir: dataDir, dirs: map[string]string{}}
}

// How a DaemonRunner waits for a process to leave: looking every daemonPoll; after SIGKILL,
// which cannot be refused, only daemonKilledGone, looking every daemonKilledPoll.
const (
	daemonPoll       = 50 * time.Millisecond
	daemonKilledGone = 2 * time.Second
	daemonKilledPoll = 20 * time.Millisecond
)

// PidFile is where a DaemonRunner records a process: its pid and start time.
const PidFile = "process.pid"

func (r *DaemonRunner) dir(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.dirs[id]; ok {
		return d
	}
	return filepath.Join(r.DataDir, id)
}

// Start implements Runner.
func (r *DaemonRunner) Start(_ context.Context, p Process) error {
	if p.Program == "" {
		return fmt.Errorf("starting %s: no program to run", p.ID)
	}
	return r.startDaemon(p.ID, p.Dir, string(p.Kind)+".log", p.Program, filepath.Join(p.Dir, p.ConfFile))
}

// CheckEngine implements EngineChecker: the programs run on this machine.
func (r *DaemonRunner) CheckEngine(_ context.Context, e paramgroup.Engine, version string) error {
	return CheckHostEngine(e, version)
}

// startDaemon starts argv as process id, detached, working in dir with its output appended
// to dir/logName, and records it in dir's pid file.
func (r *DaemonRunner) startDaemon(id, dir, logName string, argv ...string) error {
	return r.StartDaemon(id, dir, logName, nil, argv...)
}

// startDaemonEnv is startDaemon with the given environment (nil: the provider's own).
func (r *DaemonRunner) StartDaemon(id, dir, logName string, env []string, argv ...string) error {
	if r.Running(id) {
		return fmt.Errorf("starting %s: already running", id)
	}
	logf, err := os.OpenFile(filepath.Join(dir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("starting %s: opening log: %w", id, err)
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s (%s): %w", id, argv[0], err)
	}
	pid := cmd.Process.Pid
	// Read before the reaper below can let the pid go.
	start, err := startTime(pid)
	if err != nil {
		// Without its start time the process could never be found again: do not leave it.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("starting %s: reading its start time: %w", id, err)
	}
	// Reap it if it dies while we live; once we exit, init adopts it.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(filepath.Join(dir, PidFile), []byte(fmt.Sprintf("%d %s\n", pid, start)), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("starting %s: writing pid file: %w", id, err)
	}
	r.mu.Lock()
	r.dirs[id] = dir
	r.mu.Unlock()
	return nil
}

// pid returns the live process of id, or 0.
//
// The pid file holds the pid and the process's start time (field 22 of /proc/<pid>/stat):
// together they name one process since boot (a reboot ends the processes too), so a reused pid is told
// apart without looking at the command line, which redis rewrites (setproctitle) while it
// starts and which reads empty for a moment while it does.
func (r *DaemonRunner) PID(id string) int {
	raw, err := os.ReadFile(filepath.Join(r.dir(id), PidFile))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 0
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return 0
	}
	stat, err := readStat(pid)
	if err != nil || len(stat) < 20 || stat[0] == "Z" {
		// Gone, or a zombie: dead either way.
		return 0
	}
	// Every pid file the runner writes has the start time; one without it names nobody.
	if len(fields) < 2 || stat[19] != fields[1] {
		return 0
	}
	return pid
}

// readStat returns the fields of /proc/<pid>/stat after the command name, so that index 0
// is the state (field 3) and index 19 the start time (field 22).
func readStat(pid int) ([]string, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name is in parentheses and may itself hold spaces or parentheses.
	return strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])), nil
}

// startTime returns the start time of pid in clock ticks since boot, as /proc prints it.
func startTime(pid int) (string, error) {
	stat, err := readStat(pid)
	if err != nil {
		return "", err
	}
	if len(stat) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields", pid, len(stat))
	}
	return stat[19], nil
}

// Running implements Runner.
func (r *DaemonRunner) Running(id string) bool { return r.PID(id) != 0 }

// Stop implements Runner: SIGTERM (redis saves on the way out), SIGKILL when the
// process is still there after DefaultStopGrace (30 s) or ctx ends.
func (r *DaemonRunner) Stop(ctx context.Context, id string) error {
	pid := r.PID(id)
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping %s: %w", id, err)
	}
	if r.WaitGone(ctx, id, DefaultStopGrace, daemonPoll) == nil {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return fmt.Errorf("stopping %s: did not exit after SIGTERM, killed", id)
}

// waitGone waits until process id is no longer running, for at most timeout or until ctx
// ends, looking every interval.
func (r *DaemonRunner) WaitGone(ctx context.Context, id string, timeout, interval time.Duration) error {
	return Poll(ctx, timeout, interval, id+" to exit", func(context.Context) error {
		if r.Running(id) {
			return fmt.Errorf("%s is still running", id)
		}
		return nil
	})
}

// Kill implements Runner.
func (r *DaemonRunner) Kill(id string) error {
	pid := r.PID(id)
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s: %w", id, err)
	}
	// SIGKILL cannot be refused: the wait only lets the caller see it gone, and a process
	// still there (its exit not reaped yet) is not an error.
	_ = r.WaitGone(context.Background(), id, daemonKilledGone, daemonKilledPoll)
	return nil
}

// TestConfig implements ConfigTester with the host's program, as Start runs it.
func (r *DaemonRunner) TestConfig(ctx context.Context, program string, conf []byte) (string, error) {
	return TestConfigLocal(ctx, program, conf)
}
