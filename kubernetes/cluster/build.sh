#!/usr/bin/env bash
# Builds everything the local Kubernetes cluster runs, without a registry:
#   - the Kubernetes, etcd, CoreDNS, local-path-provisioner and pause binaries, from the Go
#     module proxy (tools/*), cached outside the work tree by version;
#   - two Debian trixie root filesystems (debootstrap), imported as Docker images;
#   - the node image and every image the cluster's pods use, tagged exactly as kubeadm and the
#     add-on manifests name them.
# Each image carries a label with a hash of its inputs and is rebuilt only when they change,
# so a second run takes seconds. Usage: build.sh [dir to put a matching kubectl in]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/rediskit/k8s"
mkdir -p "$cache"
log() { echo "k8s-build: $*" >&2; }

# --- binaries -------------------------------------------------------------------------------
# build_bin <tools module> <output dir> <go package> <name> [ldflags]
build_bin() {
  local mod=$1 out=$2 pkg=$3 name=$4 ldflags=${5:-}
  [ -x "$out/$name" ] && return 0
  mkdir -p "$out"
  log "building $name ($pkg) from the Go module proxy"
  local start=$SECONDS
  # Static binaries: most of them go into FROM-scratch images.
  (cd "$here/tools/$mod" && CGO_ENABLED=0 nice -n 10 go build -trimpath \
    -ldflags "-s -w $ldflags" -o "$out/$name.tmp" "$pkg")
  mv "$out/$name.tmp" "$out/$name"
  log "built $name in $((SECONDS - start))s"
}

kbin="$cache/kubernetes-$K8S_VERSION"
# kubeadm's preflight reads "Kubernetes vX.Y.Z" from `kubelet --version`, and kubeadm picks the
# images to run from its own version, so the version must be stamped into every binary.
kflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
kflags+=" -X k8s.io/component-base/version.gitMajor=$(echo "${K8S_VERSION#v}" | cut -d. -f1)"
kflags+=" -X k8s.io/component-base/version.gitMinor=$(echo "${K8S_VERSION#v}" | cut -d. -f2)"
kflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
for c in kube-apiserver kubelet kube-controller-manager kube-scheduler kubeadm kube-proxy kubectl; do
  build_bin kubernetes "$kbin" "k8s.io/kubernetes/cmd/$c" "$c" "$kflags"
done
build_bin etcd "$cache/etcd-$ETCD_VERSION" . etcd \
  "-X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION"
build_bin coredns "$cache/coredns-$COREDNS_VERSION" github.com/coredns/coredns coredns
build_bin localpath "$cache/local-path-provisioner-$LOCAL_PATH_VERSION" \
  github.com/rancher/local-path-provisioner local-path-provisioner
# The pause program changes with this repository, not with a version: key it by its source.
pause_key=$(cat "$here/tools/pause/main.go" "$here/tools/pause/go.mod" | sha256sum | cut -c1-12)
build_bin pause "$cache/pause-$pause_key" . pause

# --- root filesystems -----------------------------------------------------------------------
# rootfs_image <tag prefix> <packages>: a debootstrap'd trixie imported as <prefix>-<hash>.
rootfs_image() {
  local prefix=$1 pkgs=$2
  local tag="$prefix-$(echo "$DEBIAN_SUITE $pkgs" | sha256sum | cut -c1-12)"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    log "debootstrap $DEBIAN_SUITE for $tag (a few minutes, once per machine)"
    local start=$SECONDS dir
    dir=$(mktemp -d "$cache/rootfs.XXXXXX")
    nice -n 10 debootstrap --variant=minbase --include="$pkgs" "$DEBIAN_SUITE" "$dir" \
      >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; rm -rf "$dir"; return 1; }
    # apt's caches would only make every node copy larger.
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -c . | docker import - "$tag" >/dev/null
    rm -rf "$dir" "$dir.log"
    log "imported $tag in $((SECONDS - start))s"
  fi
  echo "$tag"
}
node_rootfs=$(rootfs_image rediskit/k8s-rootfs:node "$NODE_PACKAGES")
small_rootfs=$(rootfs_image rediskit/k8s-rootfs:small "$SMALL_PACKAGES")

# --- images ---------------------------------------------------------------------------------
# image <tag> <context dir>: docker build of a prepared context, skipped when an image with
# this tag was built from the same inputs (the rediskit.inputs label).
image() {
  local tag=$1 ctx=$2 sum have
  sum=$( (cd "$ctx" && find . -type f -o -type l | LC_ALL=C sort | while read -r f; do
    if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else sha256sum "$f"; fi
  done) | sha256sum | cut -c1-16)
  have=$(docker image inspect -f '{{index .Config.Labels "rediskit.inputs"}}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$sum" ]; then rm -rf "$ctx"; return 0; fi
  log "building image $tag"
  # The classic builder uses local base images without contacting a registry.
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q --label "rediskit.inputs=$sum" -t "$tag" "$ctx" 2>&1) ||
    { echo "$out" >&2; rm -rf "$ctx"; return 1; }
  rm -rf "$ctx"
}

# context <file>...: a fresh build context holding copies of the given files.
context() {
  local ctx
  ctx=$(mktemp -d "$cache/ctx.XXXXXX")
  cp -a "$@" "$ctx/"
  echo "$ctx"
}

# A static binary on PATH in an otherwise empty image: how kubeadm's static pods and the
# add-on manifests call these programs.
scratch_image() { # <tag> <binary> [entrypoint]
  local ctx
  ctx=$(context "$2")
  {
    echo "FROM scratch"
    echo "COPY $(basename "$2") /usr/local/bin/"
    echo "ENV PATH=/usr/local/bin"
    [ -z "${3:-}" ] || echo "ENTRYPOINT [\"/usr/local/bin/$(basename "$2")\"]"
  } >"$ctx/Dockerfile"
  image "$1" "$ctx"
}

scratch_image "registry.k8s.io/kube-apiserver:$K8S_VERSION" "$kbin/kube-apiserver"
scratch_image "registry.k8s.io/kube-controller-manager:$K8S_VERSION" "$kbin/kube-controller-manager"
scratch_image "registry.k8s.io/kube-scheduler:$K8S_VERSION" "$kbin/kube-scheduler"
scratch_image "registry.k8s.io/etcd:$ETCD_VERSION-0" "$cache/etcd-$ETCD_VERSION/etcd"
scratch_image "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" \
  "$cache/coredns-$COREDNS_VERSION/coredns" entrypoint
scratch_image "registry.k8s.io/pause:$PAUSE_VERSION" "$cache/pause-$pause_key/pause" entrypoint
scratch_image "docker.io/rancher/local-path-provisioner:v$LOCAL_PATH_VERSION" \
  "$cache/local-path-provisioner-$LOCAL_PATH_VERSION/local-path-provisioner"

# kube-proxy programs iptables, so its image needs the iptables tools (the same trixie
# iptables as the node, so both use the same backend).
ctx=$(context "$kbin/kube-proxy")
printf 'FROM %s\nCOPY kube-proxy /usr/local/bin/\n' "$small_rootfs" >"$ctx/Dockerfile"
image "registry.k8s.io/kube-proxy:$K8S_VERSION" "$ctx"

# busybox: the local-path-provisioner's helper pods (mkdir/rm of volume directories) and the
# cluster test's pods. Debian's busybox-static, from the small root filesystem.
ctx=$(mktemp -d "$cache/ctx.XXXXXX")
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp"
docker run --rm --entrypoint /bin/cat "$small_rootfs" /bin/busybox >"$ctx/rootfs/bin/busybox"
chmod 755 "$ctx/rootfs/bin/busybox"
for a in $("$ctx/rootfs/bin/busybox" --list); do
  [ "$a" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$a"
done
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD ["sh"]\n' >"$ctx/Dockerfile"
image "$BUSYBOX_IMAGE" "$ctx"

# The node: systemd, containerd, the kubelet and kubeadm, and this directory's node/ files.
ctx=$(context "$here/node/." "$kbin/kubelet" "$kbin/kubeadm" "$kbin/kubectl")
sed "s|@ROOTFS@|$node_rootfs|" "$here/node/Dockerfile" >"$ctx/Dockerfile"
image "$NODE_IMAGE" "$ctx"

# The host's kubectl for the make targets and the tests, matching the cluster's version.
if [ -n "${1:-}" ]; then
  mkdir -p "$1"
  cmp -s "$kbin/kubectl" "$1/kubectl" 2>/dev/null || cp "$kbin/kubectl" "$1/kubectl"
fi
log "images ready"
