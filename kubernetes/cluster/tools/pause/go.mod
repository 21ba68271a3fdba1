// The pod sandbox ("pause") program of the local cluster.
module rediskit.local/k8s-tools/pause

go 1.24.0
