package manifests

import (
	"path"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// deployKustomization is deploy.kustomization.tmpl filled in as `make
// deploy` fills it (sed on @OVERLAY@ and @IMG@).
func deployKustomization(t *testing.T, overlay, img string) string {
	t.Helper()
	tmpl, err := files.ReadFile("deploy.kustomization.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("@OVERLAY@", overlay, "@IMG@", img).Replace(string(tmpl))
}

// renderDeploy renders deploy.kustomization.tmpl filled in as `make deploy`
// fills it (sed on @OVERLAY@ and @IMG@), at the same depth below the root.
func renderDeploy(t *testing.T, overlay, img string) string {
	t.Helper()
	fsys, err := embeddedFS()
	if err != nil {
		t.Fatal(err)
	}
	k := deployKustomization(t, overlay, img)
	dir := path.Join(path.Dir(embeddedRoot), ".local", "deploy.test")
	if err := fsys.WriteFile(path.Join(dir, "kustomization.yaml"), []byte(k)); err != nil {
		t.Fatal(err)
	}
	objs, err := RenderFS(fsys, dir)
	if err != nil {
		t.Fatalf("make deploy OVERLAY=%s: %v", overlay, err)
	}
	var images []string
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			continue
		}
		obj, err := decode(u)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := obj.(*appsv1.Deployment)
		if !ok {
			t.Fatalf("Deployment decoded as %T", obj)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			images = append(images, c.Image)
		}
	}
	if len(images) != 1 {
		t.Fatalf("make deploy OVERLAY=%s: images %v, want one", overlay, images)
	}
	return images[0]
}

func TestDeploySetsTheImage(t *testing.T) {
	for _, img := range []string{
		"vmnet-webhook:dev",
		"registry.example/team/vmnet-webhook:v0.1.0",
		"registry.example:5000/team/vmnet-webhook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	} {
		for _, overlay := range []string{"self-managed", "cert-manager", "openshift"} {
			if got := renderDeploy(t, overlay, img); got != img {
				t.Errorf("make deploy IMG=%s OVERLAY=%s runs image %s", img, overlay, got)
			}
		}
	}
}
