package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// UpdateAuth changes the application token and RBAC users of a running deployment without
// replacing anything, the ElastiCache way: set PreviousAppToken to the old token to ROTATE
// (both valid while clients move over), clear it to SET (only the new one). Moving from the
// AUTH token to RBAC users is adding users here. Every node's ACL file is rewritten and
// reloaded, and every sentinel gets the same users (and persists them). The admin password
// is the engine's and cannot change this way.
func (e *Engine) UpdateAuth(ctx context.Context, a Auth) error {
	d := e.Plan.Deployment
	if a.AdminPassword != d.Auth.AdminPassword {
		return fmt.Errorf("updating auth: the admin password cannot be changed on a running deployment")
	}
	d.Auth = a
	np, err := PlanFor(d)
	if err != nil {
		return err
	}
	acl := renderACL(&np.Deployment)
	var errs []error
	for _, n := range np.Nodes {
		if err := e.files().Write(ctx, n.Home(), ACLFile, []byte(acl)); err != nil {
			errs = append(errs, err)
			continue
		}
		if !e.Runner.Running(n.ID) {
			continue // it reads the file when it starts
		}
		c := e.admin(n.Addr())
		if err := c.Do(ctx, "acl", "load").Err(); err != nil {
			errs = append(errs, fmt.Errorf("reloading the ACL of %s: %w", n.ID, err))
		}
		c.Close()
	}
	for _, s := range np.Sentinels {
		if !e.Runner.Running(s.ID) {
			errs = append(errs, fmt.Errorf("sentinel %s is not running; start it and update again", s.ID))
			continue
		}
		if err := e.repl().updateSentinelUsers(ctx, s, &e.Plan.Deployment, &np.Deployment); err != nil {
			errs = append(errs, err)
		}
	}
	e.Plan = np
	if len(errs) > 0 {
		return fmt.Errorf("updating auth: %w", errors.Join(errs...))
	}
	e.logf("auth updated: app user %s, %d RBAC users, previous token valid: %v", np.Deployment.AppUserName(), len(a.Users), a.PreviousAppToken != "")
	return nil
}

// updateSentinelUsers makes a sentinel's users match the deployment and rewrites its
// configuration so they survive a restart (sentinels own their config file).
func (e replicationGroup) updateSentinelUsers(ctx context.Context, s *Sentinel, old, cur *Deployment) error {
	c := e.sentinelClient(s)
	defer c.Close()
	want := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(sentinelUsers(cur)), "\n") {
		f := strings.Fields(line)
		if f[1] == "default" || f[1] == AdminUser {
			continue
		}
		want[f[1]] = true
		args := []any{"acl", "setuser", f[1], "reset"}
		for _, r := range f[2:] {
			args = append(args, r)
		}
		if err := c.Process(ctx, redisCmd(ctx, args...)); err != nil {
			return fmt.Errorf("setting user %s on sentinel %s: %w", f[1], s.ID, err)
		}
	}
	for _, u := range append([]User{{Name: old.AppUserName()}}, old.Auth.Users...) {
		if !want[u.Name] {
			if err := c.Process(ctx, redisCmd(ctx, "acl", "deluser", u.Name)); err != nil {
				return fmt.Errorf("removing user %s from sentinel %s: %w", u.Name, s.ID, err)
			}
		}
	}
	if err := c.FlushConfig(ctx).Err(); err != nil {
		return fmt.Errorf("persisting the users of sentinel %s: %w", s.ID, err)
	}
	return nil
}
