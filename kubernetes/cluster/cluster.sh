#!/usr/bin/env bash
# The local Kubernetes cluster's launcher: one control-plane node and one worker per zone,
# each a container with its own address on a private Docker network, made with kubeadm.
#   cluster.sh up [kubeconfig]    create the cluster, or check and reuse the one that is up
#   cluster.sh down [kubeconfig]  remove it
#   cluster.sh load-images        load every local rediskit/engine:* image into every node
# It does what kind does, in fewer steps, because here a node cannot run --privileged (see
# docs/kubernetes.md). All settings can be overridden from the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/versions.sh"

: "${K8S_CLUSTER:=rediskit-k8s}"            # container, network and label prefix
: "${K8S_SUBNET_PREFIX:=172.29.213}"        # the nodes' /24 on the Docker network
: "${K8S_ZONES:=zone-a zone-b zone-c}"      # one worker per zone
: "${K8S_POD_SUBNET:=10.244.0.0/16}"
: "${K8S_SERVICE_SUBNET:=10.96.0.0/16}"
: "${K8S_BOOT_TIMEOUT:=120}"                # seconds for a node container's containerd to answer
: "${K8S_READY_TIMEOUT:=420}"               # seconds for every node to be Ready (2 cores: slow)
: "${K8S_ENGINE_IMAGES:=rediskit/engine}"   # repository whose every local tag is loaded
kubeconfig=${2:-${K8S_KUBECONFIG:-$root/.rediskit/k8s/kubeconfig}}
bin="$root/bin"
kubectl="$bin/kubectl"

label="rediskit.k8s.cluster=$K8S_CLUSTER"
network="$K8S_CLUSTER"
cp_name="$K8S_CLUSTER-control-plane"
cp_ip="$K8S_SUBNET_PREFIX.10"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log() { echo "k8s-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# workers: "<name> <ip> <zone>" per worker.
workers() {
  local i=0 z
  for z in $K8S_ZONES; do
    echo "$K8S_CLUSTER-worker-${z#zone-} $K8S_SUBNET_PREFIX.$((11 + i)) $z"
    i=$((i + 1))
  done
}
nodes() { echo "$cp_name"; workers | cut -d' ' -f1; }
k() { "$kubectl" --kubeconfig "$kubeconfig" "$@"; }

# wait_for <seconds> <what> <command...>: retry a command once a second until it succeeds.
wait_for() {
  local t=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { log "timed out after ${t}s waiting for $what"; return 1; }
    sleep 1
  done
}

# wait_all <what> <pid>...: wait for background jobs, failing if any failed.
wait_all() {
  local what=$1 p failed=0
  shift
  for p in "$@"; do wait "$p" || failed=1; done
  [ $failed = 0 ] || die "$what failed"
}

all_ready() {
  local out
  out=$(k get nodes --no-headers 2>/dev/null) || return 1
  [ "$(echo "$out" | grep -c .)" -eq "$(nodes | wc -l)" ] || return 1
  ! echo "$out" | awk '{print $2}' | grep -vqx Ready
}

down() {
  local ids
  ids=$(docker ps -aq --filter "label=$label")
  if [ -n "$ids" ]; then
    log "removing node containers"
    # -v: each node's /var is an anonymous volume (containerd's images, etcd's data).
    docker rm -f -v $ids >/dev/null
  fi
  if docker network inspect "$network" >/dev/null 2>&1; then
    docker network rm "$network" >/dev/null
  fi
  rm -f "$kubeconfig"
}

# The node containers. No --privileged (refused on this machine) and never the host's
# cgroups: the capabilities, device rule and unconfined profiles below are what systemd,
# containerd and the kubelet need; the entrypoint does the rest.
run_node() { # <name> <ip> <zone or "">
  docker run -d --name "$1" --hostname "$1" --label "$label" \
    --label "rediskit.k8s.zone=${3:-}" \
    --network "$network" --ip "$2" \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' \
    --cgroupns=private --tmpfs /run --tmpfs /tmp -v /var -v /lib/modules:/lib/modules:ro \
    --sysctl net.ipv4.ip_forward=1 -e container=docker \
    "$NODE_IMAGE" >/dev/null
}

# import_images <tar> <node>: images into the node's containerd, where the kubelet finds them.
import_images() {
  docker exec -i "$2" ctr -n k8s.io images import - <"$1" >/dev/null
}

kubeadm_config() { # the InitConfiguration and cluster-wide settings, for the control plane
  local token=$1
  cat <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- token: "$token"
  ttl: 2h0m0s
localAPIEndpoint:
  advertiseAddress: $cp_ip
  bindPort: 6443
nodeRegistration:
  name: $cp_name
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
  - name: node-ip
    value: $cp_ip
  # In a container: no swap accounting, kernel config or modules to inspect.
  ignorePreflightErrors: [SystemVerification, Swap, FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $K8S_VERSION
clusterName: $K8S_CLUSTER
controlPlaneEndpoint: $cp_ip:6443
networking:
  podSubnet: $K8S_POD_SUBNET
  serviceSubnet: $K8S_SERVICE_SUBNET
apiServer:
  certSANs: [$cp_ip, localhost, 127.0.0.1]
etcd:
  local:
    extraArgs:
    # A disposable test cluster on a shared 2-core machine: fsync latency would make the API
    # server time out for no benefit.
    - name: unsafe-no-fsync
      value: "true"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
# This machine runs cgroup v1, which the kubelet refuses by default.
failCgroupV1: false
failSwapOn: false
# Written by the node's entrypoint: Docker's resolv.conf would make CoreDNS forward to itself.
resolvConf: /etc/rediskit/resolv.conf
# Nothing can be pulled again, so never garbage-collect images, and the nodes share the host's
# disk, so its fill level must not evict pods.
imageGCHighThresholdPercent: 100
evictionHard:
  nodefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.available: "0%"
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
# The conntrack sysctls are not writable from a container; 0 leaves them as they are.
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

join_config() { # <token> <name> <ip> <zone>
  cat <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: $cp_ip:6443
    token: "$1"
    # The network is private to this machine and the cluster short-lived.
    unsafeSkipCAVerification: true
nodeRegistration:
  name: $2
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
  - name: node-ip
    value: $3
  - name: node-labels
    value: topology.kubernetes.io/zone=$4
  ignorePreflightErrors: [SystemVerification, Swap, FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]
EOF
}

# The pod network: each node's pods on a bridge in the pod CIDR the controller-manager gave
# the node, and a route on every node to every other node's pod CIDR.
# has_pod_cidr <node>: the node is registered and the controller manager gave it a pod CIDR.
has_pod_cidr() { [ -n "$(k get node "$1" -o jsonpath='{.spec.podCIDR}')" ]; }

pod_network() {
  local n cidr ip
  declare -A cidrs ips
  for n in $(nodes); do
    # kubeadm join returns once the kubelet has its certificate; the Node object and its
    # pod CIDR follow a moment later (seconds on a loaded machine).
    wait_for "$K8S_READY_TIMEOUT" "node $n registered with a pod CIDR" has_pod_cidr "$n" ||
      die "node $n did not register"
    cidr=$(k get node "$n" -o jsonpath='{.spec.podCIDR}')
    [ -n "$cidr" ] || die "node $n has no pod CIDR"
    cidrs[$n]=$cidr
    ips[$n]=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$n")
  done
  for n in $(nodes); do
    for o in $(nodes); do
      [ "$o" = "$n" ] || echo "${cidrs[$o]} ${ips[$o]}"
    done | docker exec -i "$n" sh -c 'cat >/etc/rediskit/pod-routes && rediskit-pod-routes'
    cat <<EOF | docker exec -i "$n" sh -c 'cat >/etc/cni/net.d/10-rediskit.conflist'
{
  "cniVersion": "0.4.0",
  "name": "rediskit",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "${cidrs[$n]}" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  done
}

# load_engine_images: every local rediskit/engine:* image into every node, skipping a node
# that already has that image ID (recorded in the node's /etc/rediskit/loaded-images).
load_engine_images() {
  local refs ref id n
  refs=$(docker images --format '{{.Repository}}:{{.Tag}}' "$K8S_ENGINE_IMAGES" | grep -v '<none>' || true)
  [ -n "$refs" ] || { log "no local $K8S_ENGINE_IMAGES:* image to load (make image builds one)"; return 0; }
  for ref in $refs; do
    id=$(docker image inspect -f '{{.Id}}' "$ref")
    local pending=()
    for n in $(nodes); do
      docker exec "$n" grep -qxF "$ref $id" /etc/rediskit/loaded-images 2>/dev/null || pending+=("$n")
    done
    [ ${#pending[@]} -gt 0 ] || continue
    log "loading $ref into ${pending[*]}"
    docker save "$ref" >"$tmp/image.tar"
    local pids=()
    for n in "${pending[@]}"; do
      { import_images "$tmp/image.tar" "$n" &&
        docker exec "$n" sh -c "grep -v '^$ref ' /etc/rediskit/loaded-images >/tmp/li 2>/dev/null; echo '$ref $id' >>/tmp/li; mv /tmp/li /etc/rediskit/loaded-images"; } &
      pids+=($!)
    done
    wait_all "loading $ref" "${pids[@]}"
  done
}

# healthy: the existing cluster can be reused as it is (after starting stopped nodes).
healthy() {
  local n want
  want=$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE")
  for n in $(nodes); do
    [ "$(docker inspect -f '{{.Image}}' "$n" 2>/dev/null)" = "$want" ] ||
      { log "node $n is missing or from an older node image"; return 1; }
  done
  for n in $(nodes); do
    if [ "$(docker inspect -f '{{.State.Running}}' "$n")" != true ]; then
      log "starting stopped node $n"
      docker start "$n" >/dev/null
    fi
  done
  mkdir -p "$(dirname "$kubeconfig")"
  wait_for "$K8S_BOOT_TIMEOUT" "the control plane's admin kubeconfig" \
    docker exec "$cp_name" test -s /etc/kubernetes/admin.conf || return 1
  docker exec "$cp_name" cat /etc/kubernetes/admin.conf >"$kubeconfig"
  wait_for "$K8S_READY_TIMEOUT" "every node Ready" all_ready || return 1
}

create() {
  local start=$SECONDS n ip zone token
  log "creating the cluster"
  docker network create --subnet "$K8S_SUBNET_PREFIX.0/24" --label "$label" "$network" >/dev/null
  run_node "$cp_name" "$cp_ip" ""
  while read -r n ip zone; do run_node "$n" "$ip" "$zone"; done < <(workers)
  for n in $(nodes); do
    wait_for "$K8S_BOOT_TIMEOUT" "containerd on $n" docker exec "$n" ctr -n k8s.io version
  done

  # Images: the control plane's only where they run, the rest everywhere.
  docker save "registry.k8s.io/kube-apiserver:$K8S_VERSION" \
    "registry.k8s.io/kube-controller-manager:$K8S_VERSION" \
    "registry.k8s.io/kube-scheduler:$K8S_VERSION" "registry.k8s.io/etcd:$ETCD_VERSION-0" \
    >"$tmp/control-plane.tar"
  docker save "registry.k8s.io/pause:$PAUSE_VERSION" "registry.k8s.io/kube-proxy:$K8S_VERSION" \
    "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" \
    "docker.io/rancher/local-path-provisioner:v$LOCAL_PATH_VERSION" "$BUSYBOX_IMAGE" \
    >"$tmp/common.tar"
  log "importing images into the nodes ($((SECONDS - start))s)"
  local pids=()
  import_images "$tmp/control-plane.tar" "$cp_name" &
  pids+=($!)
  for n in $(nodes); do
    import_images "$tmp/common.tar" "$n" &
    pids+=($!)
  done
  wait_all "importing images" "${pids[@]}"

  log "kubeadm init ($((SECONDS - start))s)"
  token=$(docker exec "$cp_name" kubeadm token generate)
  kubeadm_config "$token" | docker exec -i "$cp_name" sh -c 'cat >/etc/rediskit/kubeadm.yaml'
  docker exec "$cp_name" kubeadm init --config /etc/rediskit/kubeadm.yaml --skip-token-print \
    >"$tmp/init.log" 2>&1 || { tail -30 "$tmp/init.log" >&2; die "kubeadm init failed"; }
  mkdir -p "$(dirname "$kubeconfig")"
  docker exec "$cp_name" cat /etc/kubernetes/admin.conf >"$kubeconfig"

  log "kubeadm join ($((SECONDS - start))s)"
  pids=()
  while read -r n ip zone; do
    join_config "$token" "$n" "$ip" "$zone" | docker exec -i "$n" sh -c 'cat >/etc/rediskit/kubeadm.yaml'
    docker exec "$n" kubeadm join --config /etc/rediskit/kubeadm.yaml >"$tmp/join-$n.log" 2>&1 &
    pids+=($!)
  done < <(workers)
  for p in "${pids[@]}"; do
    wait "$p" || { tail -30 "$tmp"/join-*.log >&2; die "kubeadm join failed"; }
  done

  pod_network
  k apply -f "$here/manifests/local-path-storage.yaml" >/dev/null
  wait_for "$K8S_READY_TIMEOUT" "every node Ready" all_ready
  k -n kube-system rollout status deployment/coredns --timeout "${K8S_READY_TIMEOUT}s" >/dev/null
  k -n local-path-storage rollout status deployment/local-path-provisioner \
    --timeout "${K8S_READY_TIMEOUT}s" >/dev/null
  log "cluster created in $((SECONDS - start))s"
}

up() {
  local start=$SECONDS
  bash "$here/build.sh" "$bin"
  if [ -n "$(docker ps -aq --filter "label=$label")" ]; then
    if healthy; then
      log "reusing the running cluster"
    else
      log "the existing cluster is broken or stale: recreating it"
      down
      create
    fi
  else
    down # a network left behind by an interrupted run
    create
  fi
  load_engine_images
  log "ready in $((SECONDS - start))s: export KUBECONFIG=$kubeconfig"
}

case "${1:-}" in
up) up ;;
down) down ;;
load-images) load_engine_images ;;
*) die "usage: cluster.sh up|down|load-images [kubeconfig]" ;;
esac
