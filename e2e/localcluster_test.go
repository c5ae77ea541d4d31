package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `make run`'s program, as a user runs it: it prints the lines to type, a
// kubectl using its kubeconfig reaches the webhook through the API server,
// and Ctrl-C (SIGINT) stops every process it started and exits 0.
func TestLocalClusterRunsUntilInterrupted(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	tmp := t.TempDir()
	prog := filepath.Join(tmp, "localcluster")
	build := exec.Command(goBin, "build", "-o", prog, "./e2e/cmd/localcluster")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	state := filepath.Join(tmp, "state")
	cmd := exec.Command(prog, "--dir", state)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	defer func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill() // children die with it (Pdeathsig)
		}
	}()

	// Read until the last line of the instructions, with a deadline.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var printed []string
	deadline := time.After(3 * time.Minute)
read:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("exited before it was ready; stdout:\n%s\nstderr:\n%s", strings.Join(printed, "\n"), stderr.String())
			}
			printed = append(printed, l)
			if l == "Ctrl-C here stops everything." {
				break read
			}
		case <-deadline:
			t.Fatalf("not ready after 3 minutes; stdout:\n%s\nstderr:\n%s", strings.Join(printed, "\n"), stderr.String())
		}
	}
	go func() { // keep the pipe drained
		for range lines {
		}
	}()
	kubeconfig := filepath.Join(state, "kubeconfig")
	want := []string{
		"  export KUBECONFIG=" + kubeconfig,
		"  export PATH=$PWD/bin:$PATH",
		"  kubectl create -f examples/reserved-port.yaml",
	}
	text := strings.Join(printed, "\n")
	for _, w := range want {
		if !strings.Contains(text, "\n"+w+"\n") {
			t.Errorf("instructions lack line %q:\n%s", w, text)
		}
	}

	// What the user then types, in the repository's directory.
	kc := exec.Command(filepath.Join(root, "bin", "kubectl"), "create", "-f", "examples/reserved-port.yaml")
	kc.Dir = root
	kc.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "KUBECACHEDIR="+filepath.Join(tmp, "cache"))
	out, err := kc.CombinedOutput()
	wantOut := denied("examples/reserved-port.yaml") + reserved("spec.template.spec.domain.devices.interfaces[0].ports[1].port", 49152) + "\n"
	if err == nil || string(out) != wantOut {
		t.Errorf("kubectl create: %v\n got %q\nwant %q", err, out, wantOut)
	}

	children := childrenOf(t, cmd.Process.Pid)
	if len(children) != 3 {
		t.Errorf("children %v, want etcd, kube-apiserver and vmnet-webhook", children)
	}
	go func() { exited <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGINT: %v, want status 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("still running a minute after SIGINT; stderr:\n%s", stderr.String())
	}
	for pid, name := range children {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("%s (pid %d) still running", name, pid)
		}
	}
	if !strings.HasSuffix(stderr.String(), "stopping...\nstopped\n") {
		t.Errorf("stderr does not end with stopping/stopped:\n%s", stderr.String())
	}
	if _, err := os.Stat(kubeconfig); err == nil {
		t.Errorf("%s left behind, pointing at a server that is gone", kubeconfig)
	}
}

// childrenOf lists the processes whose parent is pid, by command name.
func childrenOf(t *testing.T, pid int) map[int]string {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces, so cut at the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		j := strings.IndexByte(s, '(')
		if i < 0 || j < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			child, _ := strconv.Atoi(strings.TrimSpace(s[:j]))
			out[child] = s[j+1 : i]
		}
	}
	return out
}
