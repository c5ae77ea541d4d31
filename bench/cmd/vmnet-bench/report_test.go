package main

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
)

// The report pairs /mutate with both floors, round by round, and checks the
// targets and bounds on those ratios.
func TestReportTargets(t *testing.T) {
	// req/s per arm and round; the middle round is slow for every arm, and
	// pairing keeps the ratios as they are.
	rps := map[string][]float64{
		"floor":       {1000, 500, 1000},
		"floor+patch": {800, 400, 800},
		"mutate":      {760, 380, 760}, // 0.95 × floor+patch, 0.76 × floor
		"validate":    {850, 425, 850}, // 0.85 × floor: missed
	}
	r := report{Options: options{rounds: 3, conns: []int{1, 32}, clients: []int{32}}, Server: serverRun{
		RSS: map[string][][]int64{"floor": {{10 << 20}}, "floor+patch": {{11 << 20}}, "vmnet-webhook": {{12 << 20}}},
	}}
	for _, f := range []string{"guide-vm", "bare-vm", "256-nics"} {
		for arm, xs := range rps {
			for round, x := range xs {
				r.Server.Cells = append(r.Server.Cells, cell{Arm: arm, Fixture: f, Conns: 32, Round: round,
					Result: loadgen.Result{Requests: int64(x), Elapsed: time.Second}, CPUPerReq: time.Duration(1e9 / x)})
			}
		}
	}
	text := r.markdown("test")
	for _, want := range []string{
		"| guide-vm | 32 | floor+patch | 800 |",
		"| 0.80 | 1.00 | 0.80 |",             // floor+patch: vs floor, vs itself, cpu vs floor
		"| 0.76 | 0.95 | 0.76 |",             // mutate
		"| 0.85 | – | 0.85 |",                // validate: no patch, no ratio to floor+patch
		"| floor+patch | 0.0 | 11.0 (0.0) |", // memory
		"| /validate ≥ 0.90 × floor req/s, guide-vm, 32 conns | 0.85 | **missed** |",
		"| /mutate ≥ 0.90 × floor+patch req/s, bare-vm, 32 conns | 0.95 | met |",
		"| /mutate ≥ 0.75 × floor req/s, bare-vm, 32 conns | 0.76 | met |",
		"| /mutate ≥ 0.70 × floor req/s, 256-nics, 32 conns | 0.76 (vs floor+patch: 0.95) | met |",
		"| /validate ≥ 0.70 × floor req/s, 256-nics, 32 conns | 0.85 | met |",
		"| end to end p99 ≤ floor-webhook's | not run (`-skip-e2e`) | not measured |",
		"| peak RSS ≤ 1.5 × floor's | 12.0 vs 10.0 MiB (1.20) | met |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// With a baseline binary, its arms are paired with this build's, round by
// round, and its memory is listed.
func TestReportBaseline(t *testing.T) {
	rps := map[string][]float64{
		"floor":             {1000, 500},
		"floor+patch":       {900, 450},
		"mutate":            {800, 400},
		"validate":          {900, 450},
		"mutate@baseline":   {1000, 500}, // this build: 0.80 of it
		"validate@baseline": {600, 300},  // this build: 1.50 of it
	}
	r := report{Options: options{rounds: 2, conns: []int{8}, clients: []int{8}, baseline: "bin/old"}, Server: serverRun{
		RSS: map[string][][]int64{"floor": {{10 << 20}}, "floor+patch": {{11 << 20}}, "vmnet-webhook": {{12 << 20}}, "baseline": {{13 << 20}}},
	}}
	for arm, xs := range rps {
		for round, x := range xs {
			r.Server.Cells = append(r.Server.Cells, cell{Arm: arm, Fixture: "guide-vm", Conns: 8, Round: round,
				Result: loadgen.Result{Requests: int64(x), Elapsed: time.Second}, CPUPerReq: time.Duration(1e9 / x)})
		}
	}
	// End to end: this build makes 0.90 of the baseline's creates/s, with
	// a p99 1.11 times the baseline's.
	for arm, x := range map[string]float64{"floor-webhook": 100, "vmnet-webhook": 90, "baseline": 100} {
		for round := range 2 {
			r.E2E = append(r.E2E, e2eCell{Arm: arm, Clients: 8, Round: round,
				Result: loadgen.Result{Requests: int64(x), Elapsed: time.Second, P99: time.Duration(1e9 / x)}})
		}
	}
	text := r.markdown("test")
	for _, want := range []string{
		"| guide-vm | 8 | mutate@baseline | 750 |", // medians over rounds
		"| 8 | baseline | 100.0 |",
		"| 8 | 0.90 | 1.11 |",
		"(vs floor+patch: 0.00; vs baseline: 0.90) | **missed** |",
		"| guide-vm | 8 | 0.80 | 1.50 | 0.80 | 1.50 |",
		"| baseline | 0.0 | 13.0 (0.0) |",
		"| /mutate ≥ 0.85 × floor req/s (bound), guide-vm, 8 conns | 0.80 | **missed** |",
		"| /validate ≥ 0.85 × floor req/s (bound), guide-vm, 8 conns | 0.90 | met |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// The report names the flags it ran with, but not the file it went to.
func TestBenchCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "make bench"},
		{[]string{"-out", "/some/dir/b.md"}, "make bench"},
		{[]string{"-rounds", "3", "-out=x.md", "-skip-e2e"}, "make bench BENCH_FLAGS='-rounds 3 -skip-e2e true'"},
	} {
		fs := flag.NewFlagSet("vmnet-bench", flag.ContinueOnError)
		fs.Int("rounds", 5, "")
		fs.String("out", "BENCHMARKS.md", "")
		fs.Bool("skip-e2e", false, "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := benchCommand(fs); got != tc.want {
			t.Errorf("benchCommand(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
