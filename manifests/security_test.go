package manifests

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The restricted Pod Security Standard, plus a read-only root filesystem.
func TestPodSecurity(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		if got := in.namespace.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
			t.Errorf("namespace enforces pod security %q, want restricted", got)
		}
		pod := in.deployment.Spec.Template.Spec
		if pod.HostNetwork || pod.HostPID || pod.HostIPC {
			t.Errorf("pod shares host namespaces")
		}
		for _, v := range pod.Volumes {
			if v.Secret == nil && v.ConfigMap == nil {
				t.Errorf("volume %s is neither a Secret nor a ConfigMap", v.Name)
			}
		}
		psc := pod.SecurityContext
		if psc == nil || !deref(psc.RunAsNonRoot) {
			t.Fatalf("pod does not require a non-root user")
		}
		if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("pod seccomp profile %+v, want RuntimeDefault", psc.SeccompProfile)
		}
		c := in.container(t)
		sc := c.SecurityContext
		if sc == nil {
			t.Fatalf("container has no security context")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("allowPrivilegeEscalation is not false")
		}
		if !deref(sc.ReadOnlyRootFilesystem) {
			t.Errorf("root filesystem is writable")
		}
		if deref(sc.Privileged) || (sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot) {
			t.Errorf("container is privileged or may run as root")
		}
		if sc.Capabilities == nil || len(sc.Capabilities.Add) != 0 ||
			len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("capabilities %+v, want drop [ALL], add none", sc.Capabilities)
		}
		if sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("container seccomp profile %+v overrides RuntimeDefault", sc.SeccompProfile)
		}

		uids := []*int64{psc.RunAsUser, sc.RunAsUser, psc.RunAsGroup, sc.RunAsGroup, psc.FSGroup}
		if in.dir == "overlays/openshift" {
			// restricted-v2 assigns a UID (and GID) from the namespace's
			// range and rejects a pod that asks for another.
			for _, id := range uids {
				if id != nil {
					t.Errorf("a fixed UID/GID %d is set; restricted-v2 would reject the pod", *id)
				}
			}
			return
		}
		// Numeric, so the kubelet can check non-root without reading the image.
		if deref(psc.RunAsUser) != 65532 || (sc.RunAsUser != nil && *sc.RunAsUser != 65532) {
			t.Errorf("runAsUser %v/%v, want 65532", deref(psc.RunAsUser), deref(sc.RunAsUser))
		}
	})
}
