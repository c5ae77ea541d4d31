package framework

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// process is a child the harness started: in its own process group (so one
// signal reaches everything it forks) and killed by the kernel if the harness
// dies without cleaning up (Pdeathsig), so no etcd or kube-apiserver outlives
// a crashed or killed test.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // set when done is closed
}

var (
	liveMu sync.Mutex
	live   = map[*process]bool{}
	// tempDirs are removed after the processes are stopped on a signal.
	tempDirs = map[string]bool{}
	// signalOnce installs the SIGINT/SIGTERM handler on the first start.
	signalOnce sync.Once
)

// PodIPs is what the servers the harness starts find in POD_IPS, where a
// Pod finds the downward API's status.podIPs: one address of each family,
// as on a dual-stack cluster, so that vmnet-webhook's ipv6.inject auto
// writes the guest's IPv6 config. Tests of an IPv4-only cluster pass
// --pod-ips themselves.
const PodIPs = "10.244.0.5,fd00:10::5"

// startProcess runs bin with args, its output appended to logPath.
func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	return startProcessEnv(name, bin, args, nil, logPath)
}

// Process is a child started by StartProcess, for harnesses that run more
// than etcd and kube-apiserver (the node test's containerd and kubelet).
type Process struct{ p *process }

// StartProcess runs bin as startProcess does (own process group, killed with
// the harness, stopped on SIGINT/SIGTERM), with env added to the
// environment.
func StartProcess(name, bin string, args, env []string, logPath string) (*Process, error) {
	p, err := startProcessEnv(name, bin, args, env, logPath)
	if err != nil {
		return nil, err
	}
	return &Process{p}, nil
}

// Stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) { p.p.stop(grace) }

// PID is the process id (and process group id).
func (p *Process) PID() int { return p.p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	if !p.p.exited() {
		return false, nil
	}
	return true, p.p.err
}

func startProcessEnv(name, bin string, args, env []string, logPath string) (*process, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, missingBinary(bin)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "POD_IPS="+PodIPs), env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	signalOnce.Do(handleSignals)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	liveMu.Lock()
	live[p] = true
	liveMu.Unlock()
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		liveMu.Lock()
		delete(live, p)
		liveMu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// handleSignals stops every live child on SIGINT or SIGTERM, then exits the
// way the signal would have (128+n), since the children, in their own
// process groups, do not receive a terminal's Ctrl-C.
func handleSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		liveMu.Lock()
		procs := make([]*process, 0, len(live))
		for p := range live {
			procs = append(procs, p)
		}
		liveMu.Unlock()
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.stop(5 * time.Second) }()
		}
		wg.Wait()
		liveMu.Lock()
		for d := range tempDirs {
			_ = os.RemoveAll(d)
		}
		hooks := signalHooks
		liveMu.Unlock()
		for _, f := range hooks {
			f()
		}
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
}

// signalHooks run on SIGINT/SIGTERM after the children are stopped.
var signalHooks []func()

// AtSignal registers f to run when SIGINT or SIGTERM stops the harness,
// after its children are stopped and before it exits: for what a harness
// changed beyond its processes (the node test's network and cgroups).
func AtSignal(f func()) {
	signalOnce.Do(handleSignals)
	liveMu.Lock()
	defer liveMu.Unlock()
	signalHooks = append(signalHooks, f)
}

// HandleSignalsYourself turns off the SIGINT/SIGTERM handler that stops the
// children and exits 130/143, for a program that handles those signals
// itself (and calls Stop). Call it before starting anything.
func HandleSignalsYourself() {
	signalOnce.Do(func() {})
}

// removeOnSignal registers (add) or forgets a temporary directory.
func removeOnSignal(dir string, add bool) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if add {
		tempDirs[dir] = true
	} else {
		delete(tempDirs, dir)
	}
}

// tail returns the last n bytes of a log file, for error messages.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	if i := bytes.IndexByte(b, '\n'); i >= 0 && int64(len(b)) == n {
		b = b[i+1:]
	}
	return string(b)
}
