// Command vmnet-bench measures vmnet-webhook against the floor (the same
// server with rules that allow everything) and against the native
// alternative (CEL admission policies), at server level and end to end
// through a real kube-apiserver, and writes BENCHMARKS.md. `make bench` runs
// it. It reports; it fails only when an answer was wrong, never on a time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

type options struct {
	rounds                       int
	conns, clients               []int
	serverWarmup, serverDuration time.Duration
	e2eWarmup, e2eDuration       time.Duration
	out                          string
	skipE2E                      bool
	// baseline is another vmnet-webhook binary (an earlier commit's),
	// measured beside this one: at server level arms mutate@baseline and
	// validate@baseline, end to end arm baseline; each must give the same
	// answers.
	baseline    string
	baselineRev string // the commit it was built from, for the report
	logf        func(string, ...any)
}

// serverArms are the server-level arms, in their first round's order.
func (o options) serverArms() []string {
	arms := []string{"floor", "floor+patch", "mutate", "validate"}
	if o.baseline != "" {
		arms = append(arms, "mutate"+baselineSuffix, "validate"+baselineSuffix)
	}
	return arms
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a list of positive integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchCommand is the command line the report names: the flags set, but
// not -out, which is where the reader has the report already and may be a
// path of this machine's.
func benchCommand(fs *flag.FlagSet) string {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "out" {
			set = append(set, "-"+f.Name+" "+f.Value.String())
		}
	})
	if len(set) == 0 {
		return "make bench"
	}
	return "make bench BENCH_FLAGS='" + strings.Join(set, " ") + "'"
}

func main() {
	var o options
	conns := flag.String("conns", "1,8,32", "server level: keep-alive connections per run")
	clients := flag.String("clients", "1,8,32", "end to end: concurrent clients per run")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds; each runs every arm, arms interleaved, medians reported")
	flag.DurationVar(&o.serverWarmup, "server-warmup", 300*time.Millisecond, "server level: warm-up of each run")
	flag.DurationVar(&o.serverDuration, "server-duration", time.Second, "server level: measured duration of each run")
	flag.DurationVar(&o.e2eWarmup, "e2e-warmup", 500*time.Millisecond, "end to end: warm-up of each run")
	flag.DurationVar(&o.e2eDuration, "e2e-duration", 2*time.Second, "end to end: measured duration of each run")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report file")
	flag.BoolVar(&o.skipE2E, "skip-e2e", false, "server level only")
	flag.StringVar(&o.baseline, "baseline", "", "another vmnet-webhook binary measured beside this one, at server level and end to end (make bench BASELINE=<commit>)")
	flag.StringVar(&o.baselineRev, "baseline-rev", "", "the commit the baseline was built from, named in the report")
	flag.Parse()
	var err error
	if o.conns, err = ints(*conns); err == nil {
		o.clients, err = ints(*clients)
	}
	if err != nil || o.rounds < 1 {
		fmt.Fprintf(os.Stderr, "vmnet-bench: bad flags: %v\n", err)
		os.Exit(2)
	}
	o.logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, benchCommand(flag.CommandLine)); err != nil {
		fmt.Fprintf(os.Stderr, "vmnet-bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, command string) error {
	root, err := framework.RepoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vmnet-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rep := report{Options: o, Started: time.Now().UTC()}
	rep.Machine = describeMachine()
	rep.LoadBefore = loadAverage()

	fixtures, err := serverFixtures(root)
	if err != nil {
		return err
	}
	cases, err := serverCases(benchConfig(), fixtures, o.serverArms())
	if err != nil {
		return err
	}
	servers, err := startServers(ctx, root, dir, cases, o.baseline)
	if err != nil {
		return err
	}
	for _, w := range servers {
		defer w.Stop()
	}
	procs := serverProcs(servers)
	o.logf("servers up: floor pid %d, floor+patch pid %d, vmnet-webhook pid %d",
		procs["floor"].PID(), procs["floor+patch"].PID(), procs["vmnet-webhook"].PID())
	rep.IdleRSS = map[string]int64{}
	for name, w := range procs {
		rss, _, err := statusOf(w)
		if err != nil {
			return err
		}
		rep.IdleRSS[name] = rss
	}
	if rep.Server, err = runServerLevel(ctx, o, cases, servers); err != nil {
		return err
	}
	if !o.skipE2E {
		if rep.E2E, rep.KubeVersion, err = runEndToEnd(ctx, o, root, servers); err != nil {
			return err
		}
	}
	rep.LoadAfter = loadAverage()
	rep.Elapsed = time.Since(rep.Started)
	text := rep.markdown(command)
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return err
	}
	o.logf("wrote %s in %v", o.out, rep.Elapsed.Round(time.Second))
	if n := rep.errors(); n > 0 {
		return fmt.Errorf("%d requests did not get the expected answer (see %s)", n, o.out)
	}
	return nil
}
