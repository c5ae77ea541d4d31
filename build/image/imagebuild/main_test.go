package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestPush: with --push the image goes to the registry the tag names (here
// an in-memory registry on loopback), with the digest of the tarball.
func TestPush(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the machine's
	reg := httptest.NewServer(registry.New())
	defer reg.Close()
	dir := t.TempDir()
	bin := filepath.Join(dir, "vmnet-webhook")
	if err := os.WriteFile(bin, []byte("not really a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	tag := strings.TrimPrefix(reg.URL, "http://") + "/vmnet/vmnet-webhook:test"
	out := filepath.Join(dir, "image.tar")
	if err := run(bin, "amd64", tag, out, "", true); err != nil {
		t.Fatalf("push: %v", err)
	}
	ref, err := name.ParseReference(tag)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("the registry does not have %s: %v", tag, err)
	}
	local, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	pd, _ := pushed.Digest()
	ld, _ := local.Digest()
	if pd != ld {
		t.Errorf("pushed %s, tarball %s", pd, ld)
	}
}

// TestPushNeedsARegistry: a tag without a registry host is not pushed to
// a default one.
func TestPushNeedsARegistry(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "b")
	if err := os.WriteFile(bin, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"vmnet-webhook:dev", "vmnet/vmnet-webhook:dev"} {
		err := run(bin, "amd64", tag, filepath.Join(dir, "i.tar"), "", true)
		if err == nil || !strings.Contains(err.Error(), "names no registry") {
			t.Errorf("--push %s: %v, want it refused for naming no registry", tag, err)
		}
	}
	if err := run(bin, "amd64", "vmnet-webhook:dev", filepath.Join(dir, "i.tar"), "", false); err != nil {
		t.Errorf("without --push: %v", err)
	}
	if err := run(bin, "amd64", "vmnet-webhook@sha256:"+strings.Repeat("0", 64), filepath.Join(dir, "i.tar"), "", false); err == nil {
		t.Error("a digest reference was accepted as the tag")
	}
}
