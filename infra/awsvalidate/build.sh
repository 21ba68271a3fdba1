#!/usr/bin/env bash
# Builds what the aws-validate gate runs, from the Go module proxy, once per version:
#   - terraform-provider-aws (the provider pulumi-aws bridges; tools/provider pins the build),
#   - the Terraform CLI that drives it (tools/terraform pins v1.5.7, MPL-2.0).
# Both are cached outside the work tree under ~/.cache/rediskit/aws-validate/<name>-<version>/,
# so a fresh clone on a warm machine builds nothing. The provider takes 20-30 minutes and
# ~1 GB on 2 cores the first time; a later run returns at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rediskit/aws-validate"
mkdir -p "$cache"
log() { echo "aws-validate: $*" >&2; }

# version <tools module> <module path>: the version its go.mod requires.
version() {
  awk -v m="$2" '($1 == m) { print $2 } ($1 == "require" && $2 == m) { print $3 }' "$here/tools/$1/go.mod"
}

# build <tools module> <module path> <binary name>
build() {
  local mod=$1 path=$2 name=$3 ver out start
  ver=$(version "$mod" "$path")
  [ -n "$ver" ] || { log "no version of $path in tools/$mod/go.mod"; return 1; }
  out="$cache/$name-$ver"
  if [ -x "$out/$name" ]; then
    return 0
  fi
  mkdir -p "$out"
  log "building $name $ver from the Go module proxy (once per machine; the provider takes 20-30 minutes)"
  start=$SECONDS
  (cd "$here/tools/$mod" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out/$name.tmp" "$path")
  mv "$out/$name.tmp" "$out/$name"
  log "built $name $ver in $((SECONDS - start))s"
}

build terraform github.com/hashicorp/terraform terraform
build provider github.com/hashicorp/terraform-provider-aws terraform-provider-aws
