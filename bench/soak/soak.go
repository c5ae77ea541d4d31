// Package soak runs `vmnet-webhook serve` under sustained mixed load and
// checks that nothing is lost: every answer as expected, no transport errors,
// no 5xx, and a resident set without a growth trend. `make soak` runs it for
// a minute; a few seconds of it run in `make test`.
package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// Options of a soak run.
type Options struct {
	Conns    int
	Warmup   time.Duration
	Duration time.Duration
	// MaxRequests bounds the measured requests.
	MaxRequests int64
	// SampleEvery is the RSS sampling interval.
	SampleEvery time.Duration
	// Dir holds the server's certificates and log.
	Dir string
}

// Report is what a soak run saw.
type Report struct {
	Result loadgen.Result
	// RSS samples after warm-up, and the means of their first and last
	// thirds.
	Samples               []int64
	FirstThird, LastThird float64
	Peak                  int64
	Log                   string
}

// Growth is the last third's mean over the first's.
func (r Report) Growth() float64 { return r.LastThird / r.FirstThird }

// The resident set may vary without a leak: the Go heap grows to twice the
// live heap between collections and the scavenger returns pages to the
// kernel in the background, a few MiB either way on a ~30 MiB process. A
// leak of 100 bytes per request, at the thousands of requests per second a
// soak sends, adds tens of MiB between the thirds. So the last third's mean
// may exceed the first's by at most 10% plus 4 MiB.
const (
	growthRatio = 1.10
	growthSlack = 4 << 20
)

// Flat reports whether the resident set shows no growth trend.
func (r Report) Flat() bool { return r.LastThird <= r.FirstThird*growthRatio+growthSlack }

// Cases is the mixed load: every example a cluster sends often, on both
// paths, covering allowed, patched, denied and warned answers.
func Cases(root string) ([]*loadgen.Case, error) {
	cfg := config.Default()
	cfg.IPv6.PodNetworkIPv6 = true // as the harness's servers, see framework.PodIPs
	var fixtures []loadgen.Fixture
	for _, name := range []string{"guide-vm", "bare-vm", "reserved-port", "reserved-port-range", "windows-e1000", "userdata-kept", "configdrive"} {
		f, err := loadgen.LoadExample(root, name)
		if err != nil {
			return nil, err
		}
		fixtures = append(fixtures, f)
	}
	fixtures = append(fixtures, loadgen.GeneratedVM(256))
	var cases []*loadgen.Case
	for _, f := range fixtures {
		for _, path := range []string{webhook.MutatePath, webhook.ValidatePath} {
			e, err := loadgen.FromRules(cfg, path, f)
			if err != nil {
				return nil, err
			}
			c, err := loadgen.NewCase(f.Name, path, f, e)
			if err != nil {
				return nil, err
			}
			cases = append(cases, c)
		}
	}
	return cases, nil
}

// Run starts bin/vmnet-webhook serve on loopback and soaks it.
func Run(ctx context.Context, o Options) (Report, error) {
	root, err := framework.RepoRoot()
	if err != nil {
		return Report{}, err
	}
	cases, err := Cases(root)
	if err != nil {
		return Report{}, err
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vmnet-soak-"); err != nil {
			return Report{}, err
		}
		defer os.RemoveAll(dir)
	}
	srv, err := framework.StartServer(ctx, dir, filepath.Join(root, "bin", "vmnet-webhook"))
	if err != nil {
		return Report{}, err
	}
	defer srv.Stop()
	ca, err := srv.CAPool()
	if err != nil {
		return Report{}, err
	}
	sampler := loadgen.Sample(srv.PID(), o.SampleEvery)
	res, runErr := loadgen.Run(ctx, loadgen.Options{
		URL: srv.URL(), CA: ca, Conns: o.Conns, Cases: cases,
		Warmup: o.Warmup, Duration: o.Duration, MaxRequests: o.MaxRequests,
	})
	samples, sampleErr := sampler.Stop()
	rep := Report{Result: res, Log: srv.Log}
	if runErr != nil {
		return rep, runErr
	}
	if sampleErr != nil {
		return rep, fmt.Errorf("sampling the resident set: %w (the server died?)", sampleErr)
	}
	if exited, err := srv.Exited(); exited {
		return rep, fmt.Errorf("the server exited during the soak: %v", err)
	}
	skip := int(o.Warmup / o.SampleEvery)
	if len(samples)-skip < 6 {
		return rep, fmt.Errorf("only %d resident-set samples after warm-up; run longer", len(samples)-skip)
	}
	rep.Samples = samples[skip:]
	n := len(rep.Samples) / 3
	rep.FirstThird, rep.LastThird = mean(rep.Samples[:n]), mean(rep.Samples[len(rep.Samples)-n:])
	for _, s := range samples {
		rep.Peak = max(rep.Peak, s)
	}
	return rep, nil
}

func mean(xs []int64) float64 {
	var sum float64
	for _, x := range xs {
		sum += float64(x)
	}
	return sum / float64(len(xs))
}

// Check returns what went wrong, or nil.
func (r Report) Check() error {
	res := r.Result
	switch {
	case res.Errors() > 0:
		return fmt.Errorf("%d transport errors, %d 5xx, %d other statuses, %d wrong answers; first: %q",
			res.TransportErrors, res.ServerErrors, res.StatusErrors, res.WrongAnswers, res.FirstErrors)
	case res.Requests == 0:
		return fmt.Errorf("no request answered")
	case !r.Flat():
		return fmt.Errorf("resident set grew: mean %.1f MiB in the first third, %.1f MiB in the last (allowed: x%.2f + %d MiB)",
			r.FirstThird/(1<<20), r.LastThird/(1<<20), growthRatio, growthSlack>>20)
	}
	for _, d := range []string{"allowed", "patched", "denied"} {
		if res.ByDecision[d] == 0 {
			return fmt.Errorf("no %s answer in the mix: %v", d, res.ByDecision)
		}
	}
	return nil
}

// String is the summary `make soak` prints.
func (r Report) String() string {
	res := r.Result
	return fmt.Sprintf("%d requests in %.1fs (%.0f/s; %v), p50 %v, p99 %v; errors: %d transport, %d 5xx, %d other status, %d wrong answers\n"+
		"resident set after warm-up: first third %.1f MiB, last third %.1f MiB (x%.3f), peak %.1f MiB, %d samples",
		res.Requests, res.Elapsed.Seconds(), res.RPS(), res.ByDecision, res.P50, res.P99,
		res.TransportErrors, res.ServerErrors, res.StatusErrors, res.WrongAnswers,
		r.FirstThird/(1<<20), r.LastThird/(1<<20), r.Growth(), float64(r.Peak)/(1<<20), len(r.Samples))
}
