#!/usr/bin/env bash
# Builds one engine base image without a registry: a minimal Debian of the suite that ships the
# engine version, with its server, sentinel and tools from Debian's mirror, imported into Docker.
#   build-base.sh <image:tag> <suite> <packages> [<backports suite>]
# Packages from a backports suite are installed inside the new root with its own apt (the
# same mirror the host uses), since debootstrap alone resolves one suite.
set -euo pipefail
img=${1:?usage: build-base.sh <image:tag> <suite> <packages> [<backports suite>]}
suite=${2:?suite}
packages=${3:?packages (comma-separated)}
backports=${4:-}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
dir=$(mktemp -d)
trap '$sudo umount "$dir/proc" 2>/dev/null || true; $sudo rm -rf "$dir" "$dir.log"' EXIT
echo "building base image $img from Debian $suite${backports:+ + $backports} with debootstrap (a minute or more)"
include=$packages
[ -z "$backports" ] || include=ca-certificates
$sudo debootstrap --variant=minbase --include="$include" "$suite" "$dir" >"$dir.log" 2>&1 || {
  tail -20 "$dir.log" >&2; exit 1; }
if [ -n "$backports" ]; then
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "deb $mirror $backports main" | $sudo tee "$dir/etc/apt/sources.list.d/backports.list" >/dev/null
  $sudo cp /etc/resolv.conf "$dir/etc/resolv.conf"
  $sudo mount -t proc proc "$dir/proc"
  $sudo chroot "$dir" apt-get update -qq >"$dir.log" 2>&1 &&
    $sudo chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -t "$backports" ${packages//,/ } >>"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
  $sudo chroot "$dir" apt-get clean
  $sudo umount "$dir/proc"
  # Neither the backports source nor this machine's resolver belongs in the image.
  $sudo rm -f "$dir/etc/apt/sources.list.d/backports.list" "$dir/etc/resolv.conf"
fi
# Keep the image small: package caches and docs are not needed at run time.
$sudo rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc "$dir"/usr/share/man
$sudo tar -C "$dir" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$img"
