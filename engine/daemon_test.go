package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeServer is a stand-in server whose command line (after exec) holds no "redis", the way a
// starting redis-server's reads for a moment while it rewrites its process title.
func fakeServer(t *testing.T) (*DaemonRunner, Process) {
	t.Helper()
	root := t.TempDir()
	bin := filepath.Join(root, "fake-server")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := NewDaemonRunner(filepath.Join(root, "data"))
	p := Process{ID: "n1", Kind: KindRedis, Program: bin, Dir: filepath.Join(root, "data", "n1"), ConfFile: "redis.conf"}
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return r, p
}

func TestDaemonRunnerKnowsItsProcessByStartTimeNotCommandLine(t *testing.T) {
	r, p := fakeServer(t)
	if err := r.Start(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Kill(p.ID) })
	// Until the script execs sleep its command line still names redis.conf; the checks that
	// matter come after, when nothing in it says redis.
	pid := r.PID(p.ID)
	if pid == 0 {
		t.Fatal("not running right after Start")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if len(cmdline) > 0 && !strings.Contains(string(cmdline), "redis") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("command line still %q", cmdline)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; i < 200; i++ {
		if !r.Running(p.ID) {
			t.Fatalf("check %d: a live process whose command line is not redis's counts as exited", i)
		}
	}
	// A later provider run has a fresh runner and finds the process through the pid file.
	again := NewDaemonRunner(r.DataDir)
	if !again.Running(p.ID) {
		t.Fatal("a new runner does not find the running process from its pid file")
	}
	if err := again.Kill(p.ID); err != nil {
		t.Fatal(err)
	}
	if again.Running(p.ID) {
		t.Fatal("still running after Kill")
	}
}

func TestDaemonRunnerTellsAReusedPidApart(t *testing.T) {
	r, p := fakeServer(t)
	if err := r.Start(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Kill(p.ID) })
	file := filepath.Join(p.Dir, PidFile)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(raw))
	if len(fields) != 2 {
		t.Fatalf("pid file %q: want pid and start time", raw)
	}
	// Same pid, another start time: the pid now belongs to some other process.
	if err := os.WriteFile(file, []byte(fields[0]+" 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r.Running(p.ID) {
		t.Fatal("a pid whose start time differs from the recorded one counts as ours")
	}
	if err := r.Kill(p.ID); err != nil {
		t.Fatal(err)
	}
	// Kill must not have touched a process it no longer recognises.
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if !r.Running(p.ID) {
		t.Fatal("Kill signalled a process whose start time did not match")
	}
}

func TestDaemonRunnerPidFileWithoutStartTimeNamesNobody(t *testing.T) {
	r, p := fakeServer(t)
	// A live process whose command line even says redis, named by a pid file without the
	// start time the runner always records: not one of ours.
	other := exec.Command("sh", "-c", "sleep 60", "redis-server")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	if err := os.WriteFile(filepath.Join(p.Dir, PidFile), []byte(strconv.Itoa(other.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r.Running(p.ID) {
		t.Fatal("a pid file without a start time counts as running")
	}
}
