package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// appDenied is what the application and RBAC users may never run. ElastiCache's restricted
// commands come first; psync is sync's modern form; ACL (other than looking at oneself) is
// denied because a user who may run ACL SETUSER could lift every other restriction; the
// CLUSTER subcommands that change topology and FAILOVER/MODULE/MONITOR are the engine's.
var appDenied = append(append([]string{}, RestrictedCommands...),
	"psync", "acl", "failover", "module", "monitor", "cluster")

// appReallowed are read-only subcommands of denied commands that clients need.
var appReallowed = []string{
	"acl|whoami", "acl|cat",
	"cluster|info", "cluster|slots", "cluster|shards", "cluster|nodes", "cluster|myid",
	"cluster|keyslot", "cluster|countkeysinslot", "cluster|getkeysinslot", "cluster|links",
}

func hashed(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return "#" + hex.EncodeToString(sum[:])
}

func restrictions() string {
	var b strings.Builder
	for _, c := range appDenied {
		b.WriteString(" -" + c)
	}
	for _, c := range appReallowed {
		b.WriteString(" +" + c)
	}
	return b.String()
}

// ACL is the users file every data node of the plan loads (aclfile): hashed passwords, the
// default user off and the restricted commands denied to the app and RBAC users.
func (p *Plan) ACL() string { return renderACL(&p.Deployment) }

// renderACL is the users file of every data node. Passwords are stored as SHA-256 hashes.
// The default user is off, so an unauthenticated connection can do nothing.
func renderACL(d *Deployment) string {
	var b strings.Builder
	b.WriteString("user default off resetpass resetkeys resetchannels -@all\n")
	fmt.Fprintf(&b, "user %s on %s ~* &* +@all\n", AdminUser, hashed(d.Auth.AdminPassword))
	fmt.Fprintf(&b, "user %s on %s ~* &* +@all%s\n", d.AppUserName(), appPasswords(d), restrictions())
	for _, u := range d.Auth.Users {
		// The user's access string first, then the password and restrictions, so nothing in
		// the access string can re-allow a restricted command.
		fmt.Fprintf(&b, "user %s %s %s%s\n", u.Name, u.AccessString, hashed(u.Password), restrictions())
	}
	return b.String()
}

// sentinelUsers are the ACL lines of a sentinel: the engine's admin, and the application
// user limited to discovering the primary (what Sentinel-aware clients need).
func sentinelUsers(d *Deployment) string {
	var b strings.Builder
	b.WriteString("user default off resetpass -@all\n")
	fmt.Fprintf(&b, "user %s on %s +@all\n", AdminUser, hashed(d.Auth.AdminPassword))
	discover := "-@all +ping +hello +auth +client +info +role +subscribe +psubscribe +unsubscribe +punsubscribe" +
		" +sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas +sentinel|slaves" +
		" +sentinel|master +sentinel|masters +sentinel|myid +sentinel|ckquorum"
	fmt.Fprintf(&b, "user %s on %s &* %s\n", d.AppUserName(), appPasswords(d), discover)
	for _, u := range d.Auth.Users {
		fmt.Fprintf(&b, "user %s on %s &* %s\n", u.Name, hashed(u.Password), discover)
	}
	return b.String()
}

// appPasswords are the app user's password rules: the token, and during a rotation the
// previous one as well.
func appPasswords(d *Deployment) string {
	if d.Auth.PreviousAppToken != "" && d.Auth.PreviousAppToken != d.Auth.AppToken {
		return hashed(d.Auth.AppToken) + " " + hashed(d.Auth.PreviousAppToken)
	}
	return hashed(d.Auth.AppToken)
}
