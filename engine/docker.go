package engine

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rediskit/rediskit/paramgroup"
)

// ImageUID is the non-root user the engine image runs as.
const ImageUID = 10001

// ImageRepository is where `make image` puts the engine images, one tag per engine version.
const ImageRepository = "rediskit/engine"

// The labels an engine image carries, so the docker driver can tell which engine it runs.
const (
	ImageEngineLabel  = "io.rediskit.engine"
	ImageVersionLabel = "io.rediskit.engine-version"
)

// ImageFor is the image `make image` builds for an engine version, e.g. rediskit/engine:valkey-8.0.
func ImageFor(e paramgroup.Engine, version string) string {
	return ImageRepository + ":" + string(e) + "-" + majorMinor(version)
}

// DockerRunner runs each process of a plan in its own container of the engine image, on a
// private Docker network with the node's planned address (Deployment.NodeHosts). The
// process directory is mounted at the same path, so the rendered configuration is valid
// inside the container unchanged; the container runs `rediskit-engine exec`, which
// replaces itself with the process's program (valkey-server, redis-sentinel, ...).
type DockerRunner struct {
	Image   string
	Network string
	// Prefix is prepended to process ids to name containers.
	Prefix string
	// Mounts are extra host paths mounted at the same path (e.g. the TLS directory).
	Mounts []string
	// UID runs the containers; mounted paths are handed to it (default ImageUID).
	UID int
}

func (r *DockerRunner) uid() int {
	if r.UID == 0 {
		return ImageUID
	}
	return r.UID
}

func (r *DockerRunner) name(id string) string { return r.Prefix + id }

// Docker runs the docker command line and returns its trimmed output; a failure names the
// command and carries what docker said.
func Docker(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s := strings.TrimSpace(out.String())
	if err != nil {
		return s, fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, s)
	}
	return s, nil
}

// CheckEngine implements EngineChecker: the image must exist and say (by its labels, which
// `make image` sets) that it runs exactly this engine version.
func (r *DockerRunner) CheckEngine(ctx context.Context, e paramgroup.Engine, version string) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("driver docker: the docker command is not installed")
	}
	out, err := Docker(ctx, "image", "inspect", "-f", `{{index .Config.Labels "`+ImageEngineLabel+`"}} {{index .Config.Labels "`+ImageVersionLabel+`"}}`, r.Image)
	if err != nil {
		return fmt.Errorf("image: %q is not on this machine (make image builds %s): %w", r.Image, ImageFor(e, version), err)
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return fmt.Errorf("image: %q does not say which engine it runs (no %s/%s labels); make image builds %s", r.Image, ImageEngineLabel, ImageVersionLabel, ImageFor(e, version))
	}
	if f[0] != string(e) || majorMinor(f[1]) != majorMinor(version) {
		return fmt.Errorf("engineVersion: %s %s is not allowed; image %s runs %s %s (make image builds %s)", e, version, r.Image, f[0], f[1], ImageFor(e, version))
	}
	return nil
}

// chownTree hands a host directory to the container user, so a non-root process can write
// its data and read its configuration (needs privileges on the host; a no-op as that user).
func chownTree(root string, uid int) error {
	if os.Getuid() == uid {
		return nil
	}
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
}

// Start implements Runner.
func (r *DockerRunner) Start(ctx context.Context, p Process) error {
	name := r.name(p.ID)
	for _, dir := range append([]string{p.Dir}, r.Mounts...) {
		if err := chownTree(dir, r.uid()); err != nil {
			return fmt.Errorf("starting %s: handing %s to uid %d: %w", p.ID, dir, r.uid(), err)
		}
	}
	// A stopped container of the same name is an earlier incarnation: its state lives in
	// the mounted directory, so it is replaced.
	_, _ = Docker(ctx, "rm", "-f", name)
	args := []string{"run", "-d", "--name", name, "--hostname", p.ID, "--network", r.Network,
		"--user", fmt.Sprintf("%d:%d", r.uid(), r.uid()),
		"--label", "rediskit.process=" + p.ID,
		"-e", "RK_PORT=" + strconv.Itoa(p.Port),
		"-v", p.Dir + ":" + p.Dir}
	if p.TLS {
		args = append(args, "-e", "RK_PROBE_TLS=1") // the HEALTHCHECK speaks TLS to the port
	}
	if p.Memory > 0 {
		// The node type's memory is the container's limit: maxmemory was planned below it
		// (reserved-memory-percent), so forks and buffers fit and the cgroup sees the size.
		args = append(args, "--memory", strconv.FormatInt(p.Memory, 10))
	}
	if p.Host != "" && p.Host != "127.0.0.1" {
		args = append(args, "--ip", p.Host)
	}
	for _, m := range r.Mounts {
		args = append(args, "-v", m+":"+m+":ro")
	}
	args = append(args, r.Image, "exec", p.Program, filepath.Join(p.Dir, p.ConfFile))
	if _, err := Docker(ctx, args...); err != nil {
		return fmt.Errorf("starting %s: %w", p.ID, err)
	}
	return nil
}

// Stop implements Runner.
func (r *DockerRunner) Stop(ctx context.Context, id string) error {
	if !r.Running(id) {
		return nil
	}
	if _, err := Docker(ctx, "stop", "-t", "30", r.name(id)); err != nil {
		return fmt.Errorf("stopping %s: %w", id, err)
	}
	return nil
}

// Kill implements Runner.
func (r *DockerRunner) Kill(id string) error {
	if !r.Running(id) {
		return nil
	}
	if _, err := Docker(context.Background(), "kill", r.name(id)); err != nil {
		return fmt.Errorf("killing %s: %w", id, err)
	}
	return nil
}

// Running implements Runner.
func (r *DockerRunner) Running(id string) bool {
	out, err := Docker(context.Background(), "inspect", "-f", "{{.State.Running}}", r.name(id))
	return err == nil && out == "true"
}

// Remove deletes the containers of the given process ids.
func (r *DockerRunner) Remove(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if _, err := Docker(ctx, "rm", "-f", r.name(id)); err != nil && !strings.Contains(err.Error(), "No such container") {
			return err
		}
	}
	return nil
}
