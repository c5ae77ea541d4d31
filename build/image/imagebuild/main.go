// Command imagebuild makes a container image from a static binary with
// build/image and writes it as a docker-archive tarball (what `docker load`,
// `podman load` and `ctr images import` read); with --push it also pushes it
// to the registry the tag names, with the credentials of the Docker config
// ($DOCKER_CONFIG or ~/.docker/config.json). `make image` runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vmnet-webhook/vmnet-webhook/build/image"
)

func main() {
	binary := flag.String("binary", "", "static linux binary to put in the image")
	arch := flag.String("arch", "amd64", "GOARCH the binary was built for")
	tag := flag.String("tag", "", "image reference, e.g. registry.example/vmnet/vmnet-webhook:v0.1.0")
	out := flag.String("out", "", "docker-archive tarball to write")
	path := flag.String("path", "", "where the binary goes in the image, and the entrypoint (default: the webhook's /vmnet-webhook)")
	push := flag.Bool("push", false, "push the image to the registry the tag names")
	flag.Parse()
	if err := run(*binary, *arch, *tag, *out, *path, *push); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(binary, arch, tag, out, path string, push bool) error {
	if binary == "" || tag == "" || out == "" {
		return fmt.Errorf("--binary, --tag and --out are required")
	}
	ref, err := name.ParseReference(tag)
	if err != nil {
		return err
	}
	if _, ok := ref.(name.Tag); !ok {
		return fmt.Errorf("--tag %q: name a tag, not a digest (the digest is the build's output)", tag)
	}
	b, err := image.ReadBinary(binary)
	if err != nil {
		return err
	}
	spec := image.Webhook(b, arch)
	if path != "" {
		spec.Path = path
		spec.Entrypoint = []string{path}
		spec.ExposedPorts = nil
	}
	img, err := image.Build(spec)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s written to %s\n", ref.Name(), digest, out)
	if !push {
		return nil
	}
	// As Docker reads a reference: a registry only when the first part has
	// a dot or a port, or is localhost; never Docker Hub by default.
	if host, _, ok := strings.Cut(tag, "/"); !ok || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return fmt.Errorf("--push: %q names no registry (registry.example/vmnet/vmnet-webhook:v0.1.0)", tag)
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("push %s: %w", ref.Name(), err)
	}
	fmt.Printf("pushed %s@%s\n", ref.Context().Name(), digest)
	return nil
}
