package manifests

import (
	"net"
	"path"
	"reflect"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// serveFlags are the flags of `vmnet-webhook serve` (the team brief).
var serveFlags = map[string]bool{
	"port": true, "cert-dir": true, "client-ca": true, "tls-min-version": true, "enable-http2": true,
	"health-addr": true, "metrics-addr": true, "max-body-bytes": true, "config": true,
	"reserved-ports": true, "enforcement": true, "ipv6-inject": true, "ipv6-guest-interface": true,
	"ipv6-default-cidr": true, "log-level": true, "bind-address": true,
	"cert-secret": true, "cert-dns-names": true, "cert-webhooks": true, "cert-validity": true,
	"cert-renew-before": true, "cert-check-interval": true,
}

// container returns the Deployment's only container.
func (in *install) container(t *testing.T) corev1.Container {
	t.Helper()
	pod := in.deployment.Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
		t.Fatalf("want one container and no init containers, got %d and %d", len(pod.Containers), len(pod.InitContainers))
	}
	return pod.Containers[0]
}

// flags parses the container's args: the serve subcommand, then --name=value
// flags the server knows, each at most once.
func (in *install) flags(t *testing.T) map[string]string {
	t.Helper()
	c := in.container(t)
	if len(c.Command) != 0 {
		t.Errorf("command %v overrides the image's entrypoint", c.Command)
	}
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("args %v do not start with serve", c.Args)
	}
	flags := map[string]string{}
	for _, arg := range c.Args[1:] {
		name, value, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if !strings.HasPrefix(arg, "--") || !ok {
			t.Errorf("arg %q is not --name=value", arg)
			continue
		}
		if !serveFlags[name] {
			t.Errorf("arg %q: serve has no flag --%s", arg, name)
		}
		if _, dup := flags[name]; dup {
			t.Errorf("flag --%s given twice", name)
		}
		flags[name] = value
	}
	return flags
}

// addrPort is the port of a --*-addr flag's host:port.
func addrPort(t *testing.T, flag, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("--%s=%s: %v", flag, addr, err)
	}
	return atoi32(t, flag, p)
}

func atoi32(t *testing.T, what, s string) int32 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		t.Fatalf("%s=%s: %v", what, s, err)
	}
	return int32(n)
}

// containerPort resolves a port given by number or by name against the
// container's ports; 0 if it names no declared port.
func containerPort(c corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

func servicePort(s *corev1.Service, port int32) *corev1.ServicePort {
	for i := range s.Spec.Ports {
		if s.Spec.Ports[i].Port == port {
			return &s.Spec.Ports[i]
		}
	}
	return nil
}

func (in *install) volume(t *testing.T, name string) corev1.Volume {
	t.Helper()
	for _, v := range in.deployment.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %s", name)
	return corev1.Volume{}
}

// mountOf returns the volume mounted at dir, exactly.
func (in *install) mountOf(t *testing.T, dir string) (corev1.VolumeMount, corev1.Volume) {
	t.Helper()
	for _, m := range in.container(t).VolumeMounts {
		if path.Clean(m.MountPath) == path.Clean(dir) {
			return m, in.volume(t, m.Name)
		}
	}
	t.Fatalf("nothing is mounted at %s", dir)
	return corev1.VolumeMount{}, corev1.Volume{}
}

func TestContainerArgs(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		c := in.container(t)
		flags := in.flags(t)
		for _, name := range []string{"port", "cert-dir", "health-addr", "metrics-addr", "config"} {
			if _, ok := flags[name]; !ok {
				t.Errorf("--%s is not set", name)
			}
		}
		if p := atoi32(t, "--port", flags["port"]); containerPort(c, intstr.FromInt32(p)) == 0 {
			t.Errorf("--port=%d is not a declared container port", p)
		}
		for _, f := range []string{"health-addr", "metrics-addr"} {
			if p := addrPort(t, f, flags[f]); containerPort(c, intstr.FromInt32(p)) == 0 {
				t.Errorf("--%s port %d is not a declared container port", f, p)
			}
		}

		// The certificate directory is the TLS Secret, read-only.
		m, v := in.mountOf(t, flags["cert-dir"])
		if v.Secret == nil || v.Secret.SecretName != "vmnet-webhook-tls" || !m.ReadOnly {
			t.Errorf("--cert-dir=%s: want the Secret vmnet-webhook-tls mounted read-only, got %+v", flags["cert-dir"], v.VolumeSource)
		}

		// The config file is a key of the rendered ConfigMap, and it loads.
		m, v = in.mountOf(t, path.Dir(flags["config"]))
		if v.ConfigMap == nil || v.ConfigMap.Name != in.config.Name || !m.ReadOnly {
			t.Fatalf("--config=%s: want ConfigMap %s mounted read-only, got %+v", flags["config"], in.config.Name, v.VolumeSource)
		}
		data, ok := in.config.Data[path.Base(flags["config"])]
		if !ok {
			t.Fatalf("ConfigMap %s has no key %s", in.config.Name, path.Base(flags["config"]))
		}
		cfg, err := config.Parse([]byte(data))
		if err != nil {
			t.Fatalf("shipped config: %v", err)
		}
		// The shipped file writes the defaults out; a difference would be a
		// default changed in one place only.
		if !reflect.DeepEqual(cfg, config.Default()) {
			t.Errorf("shipped config %+v differs from config.Default() %+v", cfg, config.Default())
		}

		// ipv6.inject auto learns the pod network's families from POD_IPS.
		var podIPs *corev1.EnvVar
		env := in.container(t).Env
		for i, e := range env {
			if e.Name == "POD_IPS" {
				podIPs = &env[i]
			}
		}
		if podIPs == nil || podIPs.ValueFrom == nil || podIPs.ValueFrom.FieldRef == nil || podIPs.ValueFrom.FieldRef.FieldPath != "status.podIPs" {
			t.Errorf("want env POD_IPS from the downward API's status.podIPs, got %+v", podIPs)
		}
	})
}

func TestServiceMatchesDeployment(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		c := in.container(t)
		flags := in.flags(t)
		pods := labels.Set(in.deployment.Spec.Template.Labels)

		https := servicePort(in.service, 443)
		if https == nil || https.Name != "https" || https.Protocol != corev1.ProtocolTCP {
			t.Fatalf("Service has no TCP port 443 named https: %+v", in.service.Spec.Ports)
		}
		if got, want := containerPort(c, https.TargetPort), atoi32(t, "--port", flags["port"]); got != want {
			t.Errorf("Service 443 targets container port %d (%s), server listens on %d", got, https.TargetPort.String(), want)
		}
		if metrics := servicePort(in.service, 8080); metrics == nil ||
			containerPort(c, metrics.TargetPort) != addrPort(t, "metrics-addr", flags["metrics-addr"]) {
			t.Errorf("Service metrics port does not reach --metrics-addr")
		}
		if len(in.service.Spec.Selector) == 0 || !labels.SelectorFromSet(in.service.Spec.Selector).Matches(pods) {
			t.Errorf("Service selector %v does not match pod labels %v", in.service.Spec.Selector, pods)
		}
		for what, sel := range map[string]*metav1.LabelSelector{
			"Deployment":          in.deployment.Spec.Selector,
			"PodDisruptionBudget": in.budget.Spec.Selector,
			"NetworkPolicy":       &in.policy.Spec.PodSelector,
		} {
			s, err := metav1.LabelSelectorAsSelector(sel)
			if err != nil || s.Empty() || !s.Matches(pods) {
				t.Errorf("%s selector %v does not select the pods %v (%v)", what, sel, pods, err)
			}
		}
	})
}

func TestAvailability(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		d := in.deployment
		if deref(d.Spec.Replicas) < 2 {
			t.Errorf("replicas %d, want at least 2", deref(d.Spec.Replicas))
		}
		// Never below the ready pods we have during a rollout.
		ru := d.Spec.Strategy.RollingUpdate
		if d.Spec.Strategy.Type != "RollingUpdate" || ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 ||
			ru.MaxSurge == nil || ru.MaxSurge.IntValue() < 1 {
			t.Errorf("strategy %+v, want RollingUpdate maxUnavailable 0, maxSurge >= 1", d.Spec.Strategy)
		}
		if b := in.budget.Spec; b.MinAvailable == nil || b.MinAvailable.IntValue() != 1 || b.MaxUnavailable != nil {
			t.Errorf("PodDisruptionBudget %+v, want minAvailable 1", b)
		}
		pod := d.Spec.Template.Spec
		if pod.PriorityClassName != "system-cluster-critical" {
			t.Errorf("priorityClassName %q", pod.PriorityClassName)
		}
		spread := false
		for _, c := range pod.TopologySpreadConstraints {
			s, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
			if c.TopologyKey == "kubernetes.io/hostname" && err == nil && s.Matches(labels.Set(d.Spec.Template.Labels)) {
				spread = true
				// Soft, so that a one-node cluster still runs every replica.
				if c.WhenUnsatisfiable != corev1.ScheduleAnyway || c.MaxSkew != 1 {
					t.Errorf("spread over nodes %+v, want maxSkew 1, ScheduleAnyway", c)
				}
			}
		}
		if !spread {
			t.Errorf("pods are not spread over nodes")
		}
	})
}

func TestProbes(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		c := in.container(t)
		health := addrPort(t, "health-addr", in.flags(t)["health-addr"])
		for _, p := range []struct {
			what  string
			probe *corev1.Probe
			path  string
		}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("%s: no HTTP probe", p.what)
				continue
			}
			g := p.probe.HTTPGet
			if g.Path != p.path || containerPort(c, g.Port) != health || (g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP) {
				t.Errorf("%s probe %s %s %s, want HTTP %s on the health port %d", p.what, g.Scheme, g.Port.String(), g.Path, p.path, health)
			}
		}
	})
}

func TestResources(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		r := in.container(t).Resources
		cpu, mem, memLimit := r.Requests[corev1.ResourceCPU], r.Requests[corev1.ResourceMemory], r.Limits[corev1.ResourceMemory]
		if cpu.IsZero() || mem.IsZero() || memLimit.IsZero() {
			t.Fatalf("want cpu and memory requests and a memory limit, got %+v", r)
		}
		// The server's resident set is near 30 MiB at rest.
		if mem.Cmp(resource.MustParse("32Mi")) < 0 || memLimit.Cmp(mem) < 0 {
			t.Errorf("memory request %s limit %s: want request >= 32Mi and limit >= request", mem.String(), memLimit.String())
		}
		// A CPU limit would throttle admission latency for no gain.
		if _, ok := r.Limits[corev1.ResourceCPU]; ok {
			t.Errorf("cpu limit set")
		}
	})
}

func TestServiceAccount(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		pod := in.deployment.Spec.Template.Spec
		if pod.ServiceAccountName != in.account.Name {
			t.Errorf("pod runs as service account %q, rendered is %q", pod.ServiceAccountName, in.account.Name)
		}
		// No token in the pod: the webhook calls no API, except in the
		// self-managed overlay, where it looks after its certificate.
		mounted := in.account.AutomountServiceAccountToken == nil || *in.account.AutomountServiceAccountToken ||
			pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken
		if want := in.dir == selfManaged; mounted != want {
			t.Errorf("service account token mounted: %v, want %v", mounted, want)
		}
	})
}
