# The local multi-node Kubernetes cluster (included by the top Makefile; docs/kubernetes.md).
#   make k8s-cluster        build what is missing (cached), then create the cluster or reuse
#                           the healthy one that is up; writes $(K8S_KUBECONFIG)
#   make k8s-cluster-down   remove the cluster (the cached binaries and images stay)
K8S_KUBECONFIG ?= $(CURDIR)/.rediskit/k8s/kubeconfig
export K8S_KUBECONFIG

.PHONY: k8s-images k8s-cluster k8s-cluster-down

# debootstrap (apt-packages) builds the node's root filesystem.
k8s-images: apt-packages
	@bash kubernetes/cluster/build.sh $(BIN)

# The engine image(s) are loaded into every node, so build them first.
k8s-cluster: apt-packages image
	@bash kubernetes/cluster/cluster.sh up

k8s-cluster-down:
	@bash kubernetes/cluster/cluster.sh down

# The cluster test and the Kubernetes target's tests run against it. `make test` brings it up
# after the other packages' tests (K8S_TEST_PKGS run last): the timed failover tests of the
# engine run on this machine's two cores, where the cluster's background work is noise (the
# engine's TestClusterMode missed its election deadline twice with the cluster up, and passed
# with it down). It stays up afterwards, so the next run reuses it in seconds;
# `make k8s-cluster-down` removes it.
K8S_TEST_PKGS := ./kubernetes/... ./test/

# The Kubernetes target's stack (stacks/Pulumi.k8s.yaml) on the local cluster: the rediskit
# operator and the cache, through the Automation API with Pulumi's progress; prints how to
# connect. `make k8s-down` destroys the stack (the cluster stays).
.PHONY: k8s-up k8s-down
k8s-up: tools provider k8s-cluster
	go run ./cmd/rediskit up -s k8s

k8s-down: tools provider
	go run ./cmd/rediskit down -s k8s
