package pod

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/rediskit/rediskit/engine"
)

// retryEvery is how often a start that was refused with Retry asks again.
const retryEvery = 2 * time.Second

// Run is pod-start: Load the pod's files, Gather and Decide until a plan comes (a refusal
// that may clear is asked again until wait has passed), Prepare, and become the server; with
// steps to take once the server answers, stay its parent instead (Supervise).
func Run(ctx context.Context, env Env, wait time.Duration, logf func(string, ...any)) error {
	s, err := Load(env)
	if err != nil {
		return err
	}
	s.Logf = logf
	plan, err := s.Decide(ctx, wait)
	if err != nil {
		return err
	}
	if err := s.Prepare(ctx, plan); err != nil {
		return err
	}
	if len(plan.After) == 0 {
		return Become(plan.Argv)
	}
	return s.Supervise(ctx, plan)
}

func (s *Start) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Decide gathers and decides until a plan comes, a refusal is final, or wait has passed.
func (s *Start) Decide(ctx context.Context, wait time.Duration) (Plan, error) {
	deadline := time.Now().Add(wait)
	last := ""
	for {
		if err := s.Gather(ctx); err != nil {
			return Plan{}, err
		}
		plan, err := Decide(s.Facts)
		if err == nil {
			s.logf("node %s (pod %s): %s", s.Facts.Node.ID, s.Env.Pod, plan.Reason)
			return plan, nil
		}
		var r *Refusal
		if !errors.As(err, &r) || !r.Retry || time.Now().After(deadline) {
			return Plan{}, err
		}
		if r.Reason != last {
			s.logf("%v; asking again every %s", err, retryEvery)
			last = r.Reason
		}
		select {
		case <-ctx.Done():
			return Plan{}, fmt.Errorf("%w (%v)", ctx.Err(), err)
		case <-time.After(retryEvery):
		}
	}
}

// Prepare lays out the node's directory as the engine does on a machine (its redis.conf, with
// the replicaof line the plan decided, and the users file from the Secret), marks the volume
// as this node's, and takes the steps before the server starts.
func (s *Start) Prepare(ctx context.Context, plan Plan) error {
	f := s.Facts
	home := engine.FileHome{ID: f.Node.ID, Dir: f.Conf.Dir}
	files := engine.LocalFiles{}
	conf := s.conf
	if plan.ReplicaOf != "" {
		p, ok := s.peers[plan.ReplicaOf]
		if !ok {
			return fmt.Errorf("the plan follows %q, which is not a peer of %s", plan.ReplicaOf, f.Node.ID)
		}
		conf += fmt.Sprintf("# decided by pod-start: %s\nreplicaof %s %d\n", plan.Reason, p.node.Host, p.conf.Port)
	}
	if err := files.Write(ctx, home, engine.RedisConfFile, []byte(conf)); err != nil {
		return err
	}
	acl, err := os.ReadFile(filepath.Join(s.Env.CredentialsDir, engine.ACLFile))
	if err != nil {
		return fmt.Errorf("reading the users file: %w", err)
	}
	if err := files.Write(ctx, home, engine.ACLFile, acl); err != nil {
		return err
	}
	if !f.Volume.Started {
		b := fmt.Sprintf("{\"node\": %q, \"first\": %q}\n", f.Node.ID, time.Now().UTC().Format(time.RFC3339))
		if err := files.Write(ctx, home, StartedFile, []byte(b)); err != nil {
			return err
		}
	}
	for _, st := range plan.Before {
		if err := s.step(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// step carries one step out with the engine's own operations.
func (s *Start) step(ctx context.Context, st Step) error {
	s.logf("%s", st)
	timeout := engine.DefaultTimeouts.Start
	switch st.Kind {
	case Promote:
		p := s.peers[st.Peer]
		c := s.client(p.node.Host, p.conf.Port)
		defer c.Close()
		if s.Facts.Conf.Cluster {
			return engine.PromoteClusterReplica(ctx, c, st.Peer, timeout, s.logf)
		}
		if err := engine.PromoteReplicationReplica(ctx, c); err != nil {
			return fmt.Errorf("promoting %s: %w", st.Peer, err)
		}
		return nil
	case Follow:
		p, t := s.peers[st.Peer], s.peers[st.Target]
		c := s.client(p.node.Host, p.conf.Port)
		defer c.Close()
		if err := c.Do(ctx, "replicaof", t.node.Host, strconv.Itoa(t.conf.Port)).Err(); err != nil {
			return fmt.Errorf("pointing %s at %s: %w", st.Peer, st.Target, err)
		}
		return nil
	case Join:
		t := s.peers[st.Target]
		tc := s.client(t.node.Host, t.conf.Port)
		defer tc.Close()
		id, err := tc.ClusterMyID(ctx).Result()
		if err != nil {
			return fmt.Errorf("reading the cluster id of %s: %w", st.Target, err)
		}
		me := s.client(s.Facts.Node.Host, s.Facts.Conf.Port)
		defer me.Close()
		if err := engine.MeetAt(ctx, me, t.node.Host, t.conf.Port, t.conf.BusPort); err != nil {
			return fmt.Errorf("meeting %s: %w", st.Target, err)
		}
		// The replicate is refused until the node has heard of its primary by gossip.
		return engine.Poll(ctx, timeout, 0, s.Facts.Node.ID+" to replicate "+st.Target, func(ctx context.Context) error {
			return me.ClusterReplicate(ctx, id).Err()
		})
	}
	return fmt.Errorf("step %q is not one pod-start knows", st.Kind)
}

// Become replaces pod-start with the server (the same PID, so the container's signals reach
// the server and it shuts down cleanly).
func Become(argv []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	return syscall.Exec(path, argv, os.Environ())
}

// Supervise starts the server as a child, takes the plan's steps once it answers, then passes
// the container's signals on to it and returns when it exits. A step that fails stops the
// server, so the pod is restarted and its start decided again, rather than left running
// outside the topology the plan wanted.
func (s *Start) Supervise(ctx context.Context, plan Plan) error {
	path, err := exec.LookPath(plan.Argv[0])
	if err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	cmd := exec.Command(path, plan.Argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	var waitErr error
	exited := make(chan struct{}) // closed when the server has exited, waitErr then set
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stepsErr := make(chan error, 1)
	go func() { stepsErr <- s.after(ctx, plan, exited) }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-stepsErr:
			if err != nil {
				s.logf("%v; stopping the server", err)
				_ = cmd.Process.Signal(syscall.SIGTERM)
				<-exited
				return err
			}
		case <-exited:
			if waitErr != nil {
				return fmt.Errorf("the server exited: %w", waitErr)
			}
			return nil
		}
	}
}

// after waits until the server answers (its dataset loaded), then takes the plan's After steps.
func (s *Start) after(ctx context.Context, plan Plan, exited <-chan struct{}) error {
	me := s.client(s.Facts.Node.Host, s.Facts.Conf.Port)
	defer me.Close()
	err := engine.Poll(ctx, engine.DefaultTimeouts.Start, 0, "node "+s.Facts.Node.ID+" to answer", func(ctx context.Context) error {
		select {
		case <-exited:
			return errors.New("the server exited")
		default:
		}
		info, err := engine.Info(ctx, me, "persistence")
		if err != nil {
			return err
		}
		if info["loading"] != "0" {
			return errors.New("still loading its dataset")
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, st := range plan.After {
		if err := s.step(ctx, st); err != nil {
			return err
		}
	}
	return nil
}
