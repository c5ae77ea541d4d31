// Package image builds the webhook's container image without Docker: one
// layer holding a static binary, the nonroot user's /etc/passwd and
// /etc/group, and a /tmp, on no base image. Every timestamp in it is fixed,
// so the same binary always gives the same image digest.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// NonrootUID is the user the image runs as: distroless's "nonroot", the UID
// the manifests' securityContext names.
const NonrootUID = 65532

// Epoch is the time written everywhere a time goes (file times, the config's
// created field, the history), so that builds are reproducible.
var Epoch = time.Unix(0, 0).UTC()

// Spec describes an image: one binary and how it is run.
type Spec struct {
	// Binary is the static executable's contents and Path where it goes
	// (e.g. /vmnet-webhook).
	Binary []byte
	Path   string
	// Entrypoint and Cmd as in the image config.
	Entrypoint []string
	Cmd        []string
	// ExposedPorts are "9443/tcp" and the like.
	ExposedPorts []string
	// Labels go into the config as they are.
	Labels map[string]string
	// OS and Architecture of the binary, e.g. linux and amd64.
	OS, Architecture string
}

// Webhook returns the Spec of the vmnet-webhook image for a binary built for
// linux/arch: what the Dockerfile describes.
func Webhook(binary []byte, arch string) Spec {
	return Spec{
		Binary:       binary,
		Path:         "/vmnet-webhook",
		Entrypoint:   []string{"/vmnet-webhook"},
		ExposedPorts: []string{"8080/tcp", "8081/tcp", "9443/tcp"},
		OS:           "linux",
		Architecture: arch,
	}
}

// Build makes the image: an empty base, one layer, a config running as
// 65532:65532.
func Build(s Spec) (v1.Image, error) {
	if len(s.Binary) == 0 || s.Path == "" || len(s.Entrypoint) == 0 {
		return nil, fmt.Errorf("image: binary, path and entrypoint are required")
	}
	layerTar, err := layerTar(s)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: Epoch},
			CreatedBy: "vmnet-webhook build/image: " + s.Path + ", /etc/passwd, /etc/group, /tmp",
			Comment:   "built without a base image",
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = s.OS, s.Architecture
	cf.Created = v1.Time{Time: Epoch}
	cf.Config = v1.Config{
		User:       strconv.Itoa(NonrootUID) + ":" + strconv.Itoa(NonrootUID),
		Entrypoint: s.Entrypoint,
		Cmd:        s.Cmd,
		WorkingDir: "/",
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Labels:     s.Labels,
	}
	if len(s.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range s.ExposedPorts {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}

// file is one entry of the layer.
type file struct {
	name     string
	mode     int64
	uid      int
	data     []byte
	typeflag byte
}

// layerTar writes the layer's entries in name order, owned by root except
// the nonroot user's home, with every time at Epoch.
func layerTar(s Spec) ([]byte, error) {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	files := []file{
		{name: "etc/", mode: 0o755, typeflag: tar.TypeDir},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd), typeflag: tar.TypeReg},
		{name: "etc/group", mode: 0o644, data: []byte(group), typeflag: tar.TypeReg},
		{name: "home/", mode: 0o755, typeflag: tar.TypeDir},
		{name: "home/nonroot/", mode: 0o700, uid: NonrootUID, typeflag: tar.TypeDir},
		{name: "tmp/", mode: 0o1777, typeflag: tar.TypeDir},
	}
	// The binary, and the directories above it.
	bin := path.Clean("/" + s.Path)[1:]
	for dir := path.Dir(bin); dir != "."; dir = path.Dir(dir) {
		files = append(files, file{name: dir + "/", mode: 0o755, typeflag: tar.TypeDir})
	}
	files = append(files, file{name: bin, mode: 0o755, data: s.Binary, typeflag: tar.TypeReg})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.name] {
			continue
		}
		seen[f.name] = true
		h := &tar.Header{
			Typeflag: f.typeflag,
			Name:     f.name,
			Mode:     f.mode,
			Uid:      f.uid,
			Gid:      f.uid,
			Size:     int64(len(f.data)),
			ModTime:  Epoch,
			Format:   tar.FormatPAX,
		}
		if f.typeflag == tar.TypeDir {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTarball builds the image of s and writes it to file as a
// docker-archive tagged tag, returning the image's digest.
func WriteTarball(file, tag string, s Spec) (v1.Hash, error) {
	ref, err := name.NewTag(tag)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := Build(s)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := tarball.WriteToFile(file, ref, img); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

// ReadBinary reads a file, for Spec.Binary.
func ReadBinary(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return b, nil
}
