#!/usr/bin/env bash
# Builds the engine images, one per engine version listed in engine/image/versions (or only
# those named, e.g. `build.sh valkey-8.0`): a debootstrap base (built once, cached as a Docker
# image) and the rediskit-engine and rediskit-operator binaries on top, labelled with the
# engine and version the image's server really reports, so the docker driver can refuse an
# image of another engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
want=" $* "
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$ctx/rediskit-engine" ./cmd/rediskit-engine)
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$ctx/rediskit-operator" ./cmd/rediskit-operator)
cp "$here/Dockerfile" "$ctx/"
built=0
while read -r -u 3 engine version suite packages backports; do
  case "$engine" in ''|'#'*) continue ;; esac
  tag="$engine-$version"
  [ "$want" = "  " ] || [[ "$want" == *" $tag "* ]] || continue
  base="rediskit/engine-base:$tag"
  bp=""; [ "$backports" = "-" ] || bp=$backports
  # The base is rebuilt when its line of the versions file changes (suite, packages, backports)
  # or with REBUILD_BASE=1 (Debian's security updates); otherwise it is reused.
  recipe="$suite $packages $backports"
  have=$(docker image inspect -f '{{index .Config.Labels "io.rediskit.base-recipe"}}' "$base" 2>/dev/null || true)
  if [ "$have" != "$recipe" ] || [ "${REBUILD_BASE:-0}" = 1 ]; then
    bash "$here/build-base.sh" "$base" "$suite" "$packages" $bp </dev/null
    echo "FROM $base" | DOCKER_BUILDKIT=0 docker build -q --label "io.rediskit.base-recipe=$recipe" -t "$base" - >/dev/null 2>&1
  fi
  server="$engine-server"
  # The version the packaged server reports is the label, never what the table hopes for.
  got=$(docker run --rm --entrypoint "$server" "$base" --version </dev/null | sed -n 's/.* v=\([0-9]*\.[0-9]*\)\..*/\1/p')
  if [ "$got" != "$version" ]; then
    echo "$base runs $server $got, not $version: fix engine/image/versions" >&2
    exit 1
  fi
  # The classic builder uses the local base image without contacting a registry.
  DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$base" --build-arg ENGINE="$engine" \
    --build-arg ENGINE_VERSION="$got" -t "rediskit/engine:$tag" "$ctx" >"$ctx/build.log" 2>&1 || {
    grep -v -e DEPRECATED -e BuildKit -e 'environment-variable' "$ctx/build.log" >&2; exit 1; }
  echo "built rediskit/engine:$tag ($server $got, Debian $suite${bp:+ + $bp})"
  built=$((built + 1))
done 3<"$here/versions"
if [ "$built" = 0 ]; then
  echo "no engine version matched '$*'; engine/image/versions lists them" >&2
  exit 1
fi
