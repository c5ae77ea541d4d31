package image

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// dockerfileStage is what the final stage of the Dockerfile says about the
// image it makes.
type dockerfileStage struct {
	user       string
	entrypoint []string
	ports      []string
	copiedTo   []string
}

// readDockerfile reads the instructions of the Dockerfile's last stage that
// shape the image config and its files.
func readDockerfile(t *testing.T) dockerfileStage {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var st dockerfileStage
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			st = dockerfileStage{} // only the last stage makes the image
		case "USER":
			st.user = rest
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &st.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %s: not in exec form: %v", rest, err)
			}
		case "EXPOSE":
			for _, p := range strings.Fields(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				st.ports = append(st.ports, p)
			}
		case "COPY":
			f := strings.Fields(rest)
			st.copiedTo = append(st.copiedTo, f[len(f)-1])
		}
	}
	return st
}

// TestDockerfileDescribesTheSameImage: Docker users and `make image` get the
// same user, entrypoint, ports and binary path.
func TestDockerfileDescribesTheSameImage(t *testing.T) {
	df := readDockerfile(t)
	img, err := Build(Webhook([]byte("binary"), "amd64"))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if df.user == "" || cf.Config.User != df.user {
		t.Errorf("user: Dockerfile %q, image %q", df.user, cf.Config.User)
	}
	if len(df.entrypoint) == 0 || !slices.Equal(cf.Config.Entrypoint, df.entrypoint) {
		t.Errorf("entrypoint: Dockerfile %q, image %q", df.entrypoint, cf.Config.Entrypoint)
	}
	if len(cf.Config.Cmd) != 0 {
		t.Errorf("image has Cmd %q; the Dockerfile has none", cf.Config.Cmd)
	}
	var ports []string
	for p := range cf.Config.ExposedPorts {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	sort.Strings(df.ports)
	if len(df.ports) == 0 || !slices.Equal(ports, df.ports) {
		t.Errorf("exposed ports: Dockerfile %q, image %q", df.ports, ports)
	}
	if !slices.Equal(df.copiedTo, []string{"/vmnet-webhook"}) || df.copiedTo[0] != Webhook(nil, "").Path {
		t.Errorf("Dockerfile copies to %q, the image holds the binary at %s", df.copiedTo, Webhook(nil, "").Path)
	}
}

// TestPodSecurityUser: the manifests' runAsUser and runAsGroup are the
// image's user, and /etc/passwd names it, as distroless's nonroot does.
func TestPodSecurityUser(t *testing.T) {
	b, err := os.ReadFile("../../manifests/base/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"runAsUser", "runAsGroup"} {
		m := regexp.MustCompile(key + `: (\d+)`).FindSubmatch(b)
		if m == nil || string(m[1]) != "65532" {
			t.Errorf("deployment.yaml %s: %q, want the image's 65532", key, m)
		}
	}
	files := layerFiles(t, Webhook([]byte("x"), "amd64"))
	if !strings.Contains(files["etc/passwd"].data, "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user 65532:\n%s", files["etc/passwd"].data)
	}
	if !strings.Contains(files["etc/group"].data, "nonroot:x:65532:") {
		t.Errorf("/etc/group has no nonroot group 65532:\n%s", files["etc/group"].data)
	}
}

type entry struct {
	hdr  *tar.Header
	data string
}

func layerFiles(t *testing.T, s Spec) map[string]entry {
	t.Helper()
	img, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(h.Name, "/")] = entry{h, string(b)}
	}
	return out
}

func TestLayerFiles(t *testing.T) {
	files := layerFiles(t, Webhook([]byte("the binary"), "amd64"))
	want := map[string]struct {
		mode int64
		uid  int
	}{
		"etc": {0o755, 0}, "etc/passwd": {0o644, 0}, "etc/group": {0o644, 0},
		"home": {0o755, 0}, "home/nonroot": {0o700, 65532},
		"tmp": {0o1777, 0}, "vmnet-webhook": {0o755, 0},
	}
	for name, w := range want {
		f, ok := files[name]
		if !ok {
			t.Errorf("/%s missing from the layer", name)
			continue
		}
		if f.hdr.Mode != w.mode || f.hdr.Uid != w.uid || f.hdr.Gid != w.uid {
			t.Errorf("/%s: mode %o uid %d gid %d, want mode %o owner %d", name, f.hdr.Mode, f.hdr.Uid, f.hdr.Gid, w.mode, w.uid)
		}
		if !f.hdr.ModTime.Equal(Epoch) {
			t.Errorf("/%s: time %v, want %v", name, f.hdr.ModTime, Epoch)
		}
	}
	if len(files) != len(want) {
		t.Errorf("layer holds %d entries, want %d", len(files), len(want))
	}
	if files["vmnet-webhook"].data != "the binary" {
		t.Errorf("/vmnet-webhook holds %q", files["vmnet-webhook"].data)
	}
}

// TestReproducible: the same binary gives the same digest; another binary
// another one.
func TestReproducible(t *testing.T) {
	digest := func(bin string) string {
		img, err := Build(Webhook([]byte(bin), "amd64"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if !cf.Created.Time.Equal(Epoch) {
			t.Errorf("created %v, want %v", cf.Created.Time, Epoch)
		}
		for _, h := range cf.History {
			if !h.Created.Time.Equal(Epoch) {
				t.Errorf("history created %v, want %v", h.Created.Time, Epoch)
			}
		}
		return d.String()
	}
	a, b, c := digest("one"), digest("one"), digest("two")
	if a != b {
		t.Errorf("same binary, two digests: %s and %s", a, b)
	}
	if a == c {
		t.Errorf("different binaries, one digest %s", a)
	}
}

// TestNoBase: nothing comes from a base image: the single layer is all
// there is, and the config's diff IDs name it alone.
func TestNoBase(t *testing.T) {
	img, err := Build(Webhook([]byte("x"), "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.RootFS.DiffIDs) != 1 || cf.OS != "linux" || cf.Architecture != "arm64" {
		t.Errorf("rootfs %v, platform %s/%s; want one layer, linux/arm64", cf.RootFS.DiffIDs, cf.OS, cf.Architecture)
	}
	if _, err := mutate.Extract(img).Read(make([]byte, 1)); err != nil {
		t.Errorf("the image's file system cannot be read: %v", err)
	}
}

func TestBuildNeedsABinary(t *testing.T) {
	if _, err := Build(Webhook(nil, "amd64")); err == nil {
		t.Error("Build with no binary succeeded")
	}
}

// TestSameBuildFlags: `make image` compiles the binary as the Dockerfile
// does (static, trimmed paths, no VCS stamp, stripped), so both images hold
// the same program.
func TestSameBuildFlags(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^STATIC_BUILD := CGO_ENABLED=0 .*\$\(GO\) build (.*)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no STATIC_BUILD := CGO_ENABLED=0 ... $(GO) build ... line")
	}
	flags := strings.TrimSpace(string(m[1]))
	d := regexp.MustCompile(`CGO_ENABLED=0 [^\n]*\n?[^\n]*go build (.*) -o /out/vmnet-webhook`).FindSubmatch(df)
	if d == nil {
		t.Fatal("Dockerfile: no CGO_ENABLED=0 ... go build ... -o /out/vmnet-webhook")
	}
	if got := strings.TrimSpace(string(d[1])); got != flags {
		t.Errorf("build flags: Dockerfile %q, Makefile %q", got, flags)
	}
}
