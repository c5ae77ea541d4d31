package manifests

import (
	"slices"
	"sort"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const selfManaged = "overlays/self-managed"

// checkAPIServerEgress: the self-managed overlay lets its pods reach the
// API server's usual ports, TCP only, and nothing else.
func checkAPIServerEgress(t *testing.T, egress []networkingv1.NetworkPolicyEgressRule) {
	t.Helper()
	if len(egress) != 1 || len(egress[0].To) != 0 {
		t.Fatalf("egress %+v, want one rule of ports only", egress)
	}
	var ports []string
	for _, p := range egress[0].Ports {
		if p.Protocol == nil || *p.Protocol != "TCP" || p.Port == nil || p.Port.Type != intstr.Int || p.EndPort != nil {
			t.Errorf("egress port %+v, want a single TCP port", p)
			continue
		}
		ports = append(ports, p.Port.String())
	}
	if !slices.Equal(ports, []string{"443", "6443"}) {
		t.Errorf("egress ports %v, want the API server's 443 and 6443", ports)
	}
}

// TestSelfManagedCertificate: the server is told to manage the Secret the
// pod mounts at --cert-dir, for the Service's names, and the CA bundle of the
// webhook configurations that are rendered; the Secret is shipped empty.
func TestSelfManagedCertificate(t *testing.T) {
	in := render(t, selfManaged)
	flags := in.flags(t)
	pod := in.deployment.Spec.Template.Spec
	var tlsSecret, mountPath string
	for _, v := range pod.Volumes {
		if v.Name == "tls" && v.Secret != nil {
			tlsSecret = v.Secret.SecretName
		}
	}
	for _, m := range pod.Containers[0].VolumeMounts {
		if m.Name == "tls" {
			mountPath = m.MountPath
		}
	}
	if got, want := flags["cert-secret"], in.namespace.Name+"/"+tlsSecret; got != want {
		t.Errorf("--cert-secret=%s, want the mounted Secret %s", got, want)
	}
	if flags["cert-dir"] != mountPath {
		t.Errorf("--cert-dir=%s, the Secret is mounted at %s", flags["cert-dir"], mountPath)
	}
	s, ok := in.secrets[tlsSecret]
	if !ok || len(s.Data) != 0 || len(s.StringData) != 0 || s.Namespace != in.namespace.Name {
		t.Errorf("Secret %s: %+v, want it shipped empty in %s", tlsSecret, s, in.namespace.Name)
	}
	svc := in.service.Name + "." + in.service.Namespace + ".svc"
	if got, want := flags["cert-dns-names"], svc+","+svc+".cluster.local"; got != want {
		t.Errorf("--cert-dns-names=%s, want %s", got, want)
	}
	if flags["cert-webhooks"] != in.mutating.Name || flags["cert-webhooks"] != in.validating.Name {
		t.Errorf("--cert-webhooks=%s; configurations are %s and %s", flags["cert-webhooks"], in.mutating.Name, in.validating.Name)
	}
	// The webhook configurations carry no other CA source.
	for _, a := range []map[string]string{in.mutating.Annotations, in.validating.Annotations} {
		for k := range a {
			if strings.Contains(k, "inject") {
				t.Errorf("webhook configuration annotated %s: another CA injector would fight the server", k)
			}
		}
	}
}

// TestRBAC: only the self-managed overlay has RBAC, and it names its
// objects: its own Secret, its own two webhook configurations, bound to the
// pod's service account; no create, delete or wildcard.
func TestRBAC(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		n := len(in.roles) + len(in.roleBindings) + len(in.clusterRoles) + len(in.clusterRoleBindings)
		if in.dir != selfManaged {
			if n != 0 || len(in.secrets) != 0 {
				t.Errorf("%d RBAC objects and %d Secrets; the webhook calls no API here", n, len(in.secrets))
			}
			return
		}
		if len(in.roles) != 1 || len(in.roleBindings) != 1 || len(in.clusterRoles) != 1 || len(in.clusterRoleBindings) != 1 {
			t.Fatalf("want one Role, RoleBinding, ClusterRole and ClusterRoleBinding, got %d, %d, %d, %d",
				len(in.roles), len(in.roleBindings), len(in.clusterRoles), len(in.clusterRoleBindings))
		}
		var secret string
		for name := range in.secrets {
			secret = name
		}
		allowed := []string{"get", "list", "patch", "update", "watch"}
		check := func(what string, rules []rbacv1.PolicyRule, group string, resources, names []string) {
			t.Helper()
			if len(rules) != 1 {
				t.Fatalf("%s: %d rules, want 1", what, len(rules))
			}
			r := rules[0]
			verbs := slices.Clone(r.Verbs)
			sort.Strings(verbs)
			res := slices.Clone(r.Resources)
			sort.Strings(res)
			if !slices.Equal(r.APIGroups, []string{group}) || !slices.Equal(res, resources) ||
				!slices.Equal(r.ResourceNames, names) || !slices.Equal(verbs, allowed) || len(r.NonResourceURLs) != 0 {
				t.Errorf("%s: rule %+v, want %v of %q %v named %v", what, r, allowed, group, resources, names)
			}
		}
		for _, r := range in.roles {
			if r.Namespace != in.namespace.Name {
				t.Errorf("Role in %q", r.Namespace)
			}
			check("Role", r.Rules, "", []string{"secrets"}, []string{secret})
		}
		for _, r := range in.clusterRoles {
			check("ClusterRole", r.Rules, "admissionregistration.k8s.io",
				[]string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, []string{in.mutating.Name})
		}
		want := rbacv1.Subject{Kind: "ServiceAccount", Name: in.deployment.Spec.Template.Spec.ServiceAccountName, Namespace: in.namespace.Name}
		for _, b := range in.roleBindings {
			if _, ok := in.roles[b.RoleRef.Name]; !ok || b.RoleRef.Kind != "Role" || !slices.Equal(b.Subjects, []rbacv1.Subject{want}) {
				t.Errorf("RoleBinding %s: %+v to %+v", b.Name, b.RoleRef, b.Subjects)
			}
		}
		for _, b := range in.clusterRoleBindings {
			if _, ok := in.clusterRoles[b.RoleRef.Name]; !ok || b.RoleRef.Kind != "ClusterRole" || !slices.Equal(b.Subjects, []rbacv1.Subject{want}) {
				t.Errorf("ClusterRoleBinding %s: %+v to %+v", b.Name, b.RoleRef, b.Subjects)
			}
		}
	})
}
