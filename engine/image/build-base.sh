#!/usr/bin/env bash
# Builds the engine's base image without a registry: a minimal Debian bookworm with
# redis-server, redis-sentinel and redis-tools from Debian's mirror, imported into Docker.
# Usage: build-base.sh <image:tag>
set -euo pipefail
img=${1:?usage: build-base.sh <image:tag>}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
dir=$(mktemp -d)
trap '$sudo rm -rf "$dir"' EXIT
echo "building base image $img with debootstrap (about 30 s)"
$sudo debootstrap --variant=minbase --include=redis-server,redis-sentinel,redis-tools bookworm "$dir" >"$dir.log" 2>&1 || {
  tail -20 "$dir.log" >&2; exit 1; }
rm -f "$dir.log"
# Keep the image small: package caches and docs are not needed at run time.
$sudo rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc "$dir"/usr/share/man
$sudo tar -C "$dir" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$img"
