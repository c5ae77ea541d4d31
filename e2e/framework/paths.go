package framework

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// RepoRoot is the repository's top directory, found by walking up from the
// working directory to the go.mod that sits next to manifests/ (go test runs
// in the package directory, make run in the root).
func RepoRoot() (string, error) {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if exists(filepath.Join(dir, "go.mod")) && exists(filepath.Join(dir, "manifests")) {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("repository root (go.mod next to manifests/) not found above the working directory")
				return
			}
			dir = parent
		}
	})
	return root, rootErr
}

// BinDir is where `make e2e-tools` and `make build` put the binaries.
func BinDir() (string, error) {
	r, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(r, "bin"), nil
}

// Environment of make test-compat: the control plane of an older pairing.
const (
	// KubeDirEnv names a directory holding the kube-apiserver and kubectl
	// to run instead of bin/'s.
	KubeDirEnv = "VMNET_E2E_KUBE_DIR"
	// CRDDirEnv names a directory of KubeVirt CRDs to install instead of
	// bin/crds.
	CRDDirEnv = "VMNET_E2E_CRDS"
)

// kubeAndCRDDirs are where kube-apiserver and kubectl, and the CRDs, come
// from: bin/ and bin/crds unless the environment names others.
func kubeAndCRDDirs(bin string) (kube, crds string) {
	kube, crds = bin, filepath.Join(bin, "crds")
	if d := os.Getenv(KubeDirEnv); d != "" {
		kube = d
	}
	if d := os.Getenv(CRDDirEnv); d != "" {
		crds = d
	}
	return kube, crds
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// missingBinary names the make target that builds what is missing.
func missingBinary(path string) error {
	target := "e2e-tools"
	if filepath.Base(path) == "vmnet-webhook" {
		target = "build"
	}
	return fmt.Errorf("%s not found: run `make %s` first (make test does it)", path, target)
}
