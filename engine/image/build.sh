#!/usr/bin/env bash
# Builds the engine image: the base (debootstrap, once, cached as a Docker image) and the
# engine image on top of it. Usage: build.sh <base-image> <image>
set -euo pipefail
base=${1:?usage: build.sh <base-image> <image>}
img=${2:?usage: build.sh <base-image> <image>}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
docker image inspect "$base" >/dev/null 2>&1 || bash "$here/build-base.sh" "$base"
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$ctx/rediskit-engine" ./cmd/rediskit-engine)
cp "$here/Dockerfile" "$ctx/"
# The classic builder uses the local base image without contacting a registry.
DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$base" -t "$img" "$ctx" >/dev/null
echo "built $img (base $base)"
