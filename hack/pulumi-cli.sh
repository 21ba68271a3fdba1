#!/usr/bin/env bash
# Ensures a Pulumi CLI of at least $PULUMI_VERSION is reachable as bin/pulumi.
# A CLI already on PATH is reused; otherwise one is built from the Go module proxy
# (get.pulumi.com is not reachable from our machines) and cached outside the work tree,
# so that a fresh clone on the same machine does not pay the 4-5 minute build again.
set -euo pipefail
want="${PULUMI_VERSION:?}"
bin_dir="${1:?bin dir}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/rediskit"
mkdir -p "$bin_dir" "$cache_dir"

version_ok() { # $1: "vX.Y.Z" -> true when >= $want
  [ "$(printf '%s\n%s\n' "${want#v}" "${1#v}" | sort -V | head -n1)" = "${want#v}" ]
}

if [ -x "$bin_dir/pulumi" ] && version_ok "$("$bin_dir/pulumi" version 2>/dev/null || echo v0)"; then
  exit 0
fi
# Look for a usable CLI on PATH, ignoring our own bin dir.
other=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$bin_dir" | paste -sd:) command -v pulumi || true)
if [ -n "$other" ] && version_ok "$("$other" version 2>/dev/null || echo v0)"; then
  ln -sf "$other" "$bin_dir/pulumi"
  echo "using Pulumi CLI $("$other" version) from $other"
  exit 0
fi
cached="$cache_dir/pulumi-$want"
if [ ! -x "$cached" ]; then
  echo "building Pulumi CLI $want from the Go module proxy (a few minutes, once per machine)"
  go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$want" \
    -o "$cached.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$cached.tmp" "$cached"
fi
cp "$cached" "$bin_dir/pulumi"
"$bin_dir/pulumi" version
