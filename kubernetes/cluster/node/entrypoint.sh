#!/bin/bash
# PID 1 of a node container until it execs systemd: makes the container look enough like a
# machine for systemd, containerd and the kubelet without --privileged (refused here).
set -euo pipefail

# Docker mounts the container's own cgroup hierarchies read-only; systemd and the kubelet
# create cgroups under them. (The container has a private cgroup namespace, so these are the
# container's cgroups, never the host's.)
for m in /sys/fs/cgroup $(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts); do
  mount -o remount,rw,bind "$m" 2>/dev/null || mount -o remount,rw "$m"
done

# The kubelet's OOM watcher reads the kernel log.
[ -e /dev/kmsg ] || mknod /dev/kmsg c 1 11

# Volumes that containerd mounts into pods must propagate (mountPropagation, CSI-style mounts).
mount --make-rshared /

# Bridged pod traffic must pass iptables for Services to work between pods of one node;
# forwarding for pod traffic between nodes. Both are per network namespace.
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true

# Pods with dnsPolicy Default (CoreDNS itself) get the kubelet's resolv.conf. Docker's points at
# its embedded server on 127.0.0.11, which inside a pod is the pod's own loopback: CoreDNS
# would forward to itself (its loop plugin then stops it). The network's gateway, the host,
# is an address every pod can route to.
gw=$(ip -4 route show default | awk '{ print $3; exit }')
mkdir -p /etc/rediskit
echo "nameserver ${gw:-127.0.0.1}" >/etc/rediskit/resolv.conf

exec /sbin/init
