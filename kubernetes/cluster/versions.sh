# Versions and names shared by build.sh and cluster.sh (sourced). Overridable from the
# environment; the image tags are the ones kubeadm and the add-on manifests ask for
# (`kubeadm config images list --kubernetes-version $K8S_VERSION`), because nothing can be pulled.
: "${K8S_VERSION:=v1.34.4}"      # v1.35+ refuses cgroup v1 (this machine) by default
: "${ETCD_VERSION:=3.6.5}"       # kubeadm v1.34's default etcd
: "${COREDNS_VERSION:=1.12.1}"   # kubeadm v1.34's default CoreDNS
: "${PAUSE_VERSION:=3.10.1}"     # kubeadm v1.34's sandbox image
: "${LOCAL_PATH_VERSION:=0.0.30}"
: "${DEBIAN_SUITE:=trixie}"      # containerd 1.7, systemd 257
: "${BUSYBOX_IMAGE:=docker.io/library/busybox:1.37}"
: "${NODE_IMAGE:=rediskit/k8s-node:$K8S_VERSION}"
NODE_PACKAGES=systemd,systemd-sysv,dbus,containerd,runc,iptables,iproute2,ca-certificates,kmod,procps,mount,util-linux,containernetworking-plugins,conntrack,socat
SMALL_PACKAGES=iptables,conntrack,busybox-static,kmod
