package render

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
)

// services are the cache's Services:
//   - the headless one gives every node pod its DNS name, published before the pod is ready:
//     nodes meet and replicate by name during a bootstrap, before any is ready;
//   - the client one is the endpoint applications use: in cluster mode the configuration
//     endpoint over every node (any node answers CLUSTER SLOTS and redirects), otherwise the
//     primary endpoint, selecting the pod the operator labels primary;
//   - the reader one (outside cluster mode, with replicas) selects the replicas.
func services(r *Resolved, p *engine.Plan) (headless, client, reader *corev1.Service) {
	name := r.Cache.Name
	var svcPorts []corev1.ServicePort
	for _, cp := range ports(p) {
		svcPorts = append(svcPorts, corev1.ServicePort{Name: cp.Name, Port: cp.ContainerPort,
			TargetPort: intstr.FromString(cp.Name), Protocol: corev1.ProtocolTCP})
	}
	headless = &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(r, headlessName(name), map[string]string{LabelComponent: componentPod}),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 selector(r, ""),
			Ports:                    svcPorts,
		},
	}
	var clientPorts []corev1.ServicePort
	for _, sp := range svcPorts {
		if sp.Name != "cluster-bus" {
			clientPorts = append(clientPorts, sp)
		}
	}
	client = &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(r, clientName(name), map[string]string{LabelComponent: "client"}),
		Spec:       corev1.ServiceSpec{Type: r.Kubernetes.ServiceType, Selector: selector(r, ""), Ports: clientPorts},
	}
	if r.Cache.Mode == spec.ModeCluster {
		return headless, client, nil
	}
	client.Spec.Selector[LabelRole] = string(engine.RolePrimary)
	if spec.Int(r.Cache.Replicas) == 0 {
		return headless, client, nil
	}
	readerSel := selector(r, "")
	readerSel[LabelRole] = string(engine.RoleReplica)
	reader = &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(r, readerName(name), map[string]string{LabelComponent: "reader"}),
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: readerSel, Ports: clientPorts},
	}
	return headless, client, reader
}
