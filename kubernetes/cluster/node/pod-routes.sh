#!/bin/bash
# Routes to the other nodes' pod CIDRs (the pod network: a bridge per node plus these routes).
# The launcher writes /etc/rediskit/pod-routes ("<cidr> <node ip>" per line); a container's
# routes are lost when it stops, so this runs at every boot.
set -euo pipefail
f=/etc/rediskit/pod-routes
[ -f "$f" ] || exit 0
while read -r cidr via; do
  [ -n "$cidr" ] && ip route replace "$cidr" via "$via"
done <"$f"
