// Package manifests holds the kustomize base and overlays that install the
// webhook, and renders them the way `kubectl apply -k` does, for the tests
// here and for the end-to-end tests' server-side dry-run.
package manifests

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

//go:embed base overlays audit components deploy.kustomization.tmpl
var files embed.FS

// Kustomizations are the directories Render accepts: the base and the three
// installable overlays.
var Kustomizations = []string{"base", "overlays/cert-manager", "overlays/openshift", "overlays/self-managed"}

// Render builds one of Kustomizations from the copy embedded in the binary,
// so that it works from any working directory.
func Render(dir string) ([]*unstructured.Unstructured, error) {
	fsys, err := embeddedFS()
	if err != nil {
		return nil, err
	}
	return RenderFS(fsys, path.Join(embeddedRoot, dir))
}

// embeddedRoot is where embeddedFS holds this directory, as in the repository.
const embeddedRoot = "/manifests"

// embeddedFS copies the embedded kustomizations into an in-memory file system.
func embeddedFS() (filesys.FileSystem, error) {
	mem := filesys.MakeFsInMemory()
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join(embeddedRoot, p), data)
	})
	if err != nil {
		return nil, fmt.Errorf("manifests: reading embedded files: %w", err)
	}
	return mem, nil
}

// RenderFS builds the kustomization in dir of fsys with the options kubectl
// uses: no plugins, files only from within each kustomization, and objects
// in kubectl's order (namespaces first, webhook configurations last).
func RenderFS(fsys filesys.FileSystem, dir string) ([]*unstructured.Unstructured, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	resources, err := krusty.MakeKustomizer(opts).Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("manifests: kustomize %s: %w", dir, err)
	}
	objs := make([]*unstructured.Unstructured, 0, resources.Size())
	for _, r := range resources.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("manifests: %s: %w", r.CurId(), err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs, nil
}
