package manifests

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// admits reports whether the policy lets a pod in a namespace labelled ns
// (any pod there) reach container port port of c over TCP. It understands
// what the policy is allowed to use: ports, and peers that select namespaces.
func admits(t *testing.T, np *networkingv1.NetworkPolicy, c corev1.Container, port int32, ns labels.Set) bool {
	t.Helper()
	for _, rule := range np.Spec.Ingress {
		portOK := len(rule.Ports) == 0
		for _, p := range rule.Ports {
			if p.Port == nil || p.EndPort != nil {
				t.Fatalf("rule port %+v: want one port per entry", p)
			}
			if (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) && containerPort(c, *p.Port) == port {
				portOK = true
			}
		}
		if !portOK {
			continue
		}
		if len(rule.From) == 0 {
			return true
		}
		for _, peer := range rule.From {
			if peer.IPBlock != nil || peer.PodSelector != nil || peer.NamespaceSelector == nil {
				t.Fatalf("peer %+v: want namespace selectors only", peer)
			}
			s, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
			if err != nil {
				t.Fatal(err)
			}
			if s.Matches(ns) {
				return true
			}
		}
	}
	return false
}

func TestNetworkPolicy(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		np := in.policy
		c := in.container(t)
		flags := in.flags(t)
		webhook := atoi32(t, "port", flags["port"])
		metrics := addrPort(t, "metrics-addr", flags["metrics-addr"])
		health := addrPort(t, "health-addr", flags["health-addr"])

		types := map[networkingv1.PolicyType]bool{}
		for _, pt := range np.Spec.PolicyTypes {
			types[pt] = true
		}
		if !types[networkingv1.PolicyTypeIngress] || !types[networkingv1.PolicyTypeEgress] {
			t.Errorf("policyTypes %v, want Ingress and Egress", np.Spec.PolicyTypes)
		}
		// The webhook only answers; it opens no connection.
		if in.dir == selfManaged {
			checkAPIServerEgress(t, np.Spec.Egress)
		} else if len(np.Spec.Egress) != 0 {
			t.Errorf("egress is allowed: %+v", np.Spec.Egress)
		}

		anyNS := labels.Set{"kubernetes.io/metadata.name": "anywhere"}
		monitoring := labels.Set{"kubernetes.io/metadata.name": "monitoring", "vmnet.kubevirt.io/metrics": "true"}
		for _, tc := range []struct {
			what string
			port int32
			from labels.Set
			want bool
		}{
			// The API server's address cannot be selected, so anyone.
			{"webhook from anywhere", webhook, anyNS, true},
			{"metrics from a labelled namespace", metrics, monitoring, true},
			{"metrics from an unlabelled namespace", metrics, anyNS, false},
			// The kubelet's probes come from the node, which NetworkPolicy
			// always lets through; nothing else needs the health port.
			{"health from anywhere", health, monitoring, false},
			{"a port nobody listens on", 22, monitoring, false},
		} {
			if got := admits(t, np, c, tc.port, tc.from); got != tc.want {
				t.Errorf("%s (port %d): admitted=%v, want %v", tc.what, tc.port, got, tc.want)
			}
		}
	})
}
