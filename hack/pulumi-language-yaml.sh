#!/usr/bin/env bash
# Ensures bin/pulumi-language-yaml, the language host that runs Pulumi YAML programs (examples/yaml),
# at $PULUMI_YAML_VERSION. Pulumi's plugin downloads are not reachable from our machines, so it is
# built from the Go module proxy (its go.mod has no replace directives, so `go install pkg@version`
# works) and cached outside the work tree: a fresh clone on the same machine does not build again.
set -euo pipefail
want="${PULUMI_YAML_VERSION:?}"
bin_dir="${1:?bin dir}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/rediskit/pulumi-language-yaml-$want"
if [ ! -x "$cache_dir/pulumi-language-yaml" ]; then
  echo "building pulumi-language-yaml $want from the Go module proxy (about 5 minutes, once per machine)"
  rm -rf "$cache_dir.tmp" && mkdir -p "$cache_dir.tmp"
  GOBIN="$cache_dir.tmp" GOFLAGS=-mod=mod go install "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$want"
  rm -rf "$cache_dir" && mv "$cache_dir.tmp" "$cache_dir"
fi
mkdir -p "$bin_dir"
if ! cmp -s "$cache_dir/pulumi-language-yaml" "$bin_dir/pulumi-language-yaml"; then
  cp "$cache_dir/pulumi-language-yaml" "$bin_dir/pulumi-language-yaml"
fi
