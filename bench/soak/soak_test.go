package soak

import (
	"context"
	"flag"
	"testing"
	"time"
)

// -soak.duration is raised by `make soak`; the default keeps `make test`
// short while exercising the whole path.
var (
	duration = flag.Duration("soak.duration", 4*time.Second, "measured duration of the soak")
	conns    = flag.Int("soak.conns", 16, "concurrent keep-alive connections")
)

// TestSoak sends mixed AdmissionReviews (allowed, patched, denied, warned)
// to bin/vmnet-webhook serve over many connections and requires every
// answer correct, no transport error, no 5xx, and a flat resident set.
func TestSoak(t *testing.T) {
	warmup := 2 * time.Second
	if *duration >= 30*time.Second {
		warmup = 10 * time.Second
	}
	rep, err := Run(context.Background(), Options{
		Conns: *conns, Warmup: warmup, Duration: *duration,
		MaxRequests: 5_000_000, SampleEvery: 100 * time.Millisecond, Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if err := rep.Check(); err != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
}

// The checks fail on what they exist to catch.
func TestReportCheck(t *testing.T) {
	good := Report{FirstThird: 30 << 20, LastThird: 31 << 20}
	good.Result.Requests = 10
	good.Result.ByDecision = map[string]int64{"allowed": 1, "patched": 1, "denied": 1}
	if err := good.Check(); err != nil {
		t.Fatalf("good report refused: %v", err)
	}
	grew := good
	grew.LastThird = 40 << 20
	if grew.Check() == nil {
		t.Error("a resident set growing from 30 to 40 MiB passed")
	}
	wrong := good
	wrong.Result.WrongAnswers = 1
	if wrong.Check() == nil {
		t.Error("a wrong answer passed")
	}
	fiveXX := good
	fiveXX.Result.ServerErrors = 1
	if fiveXX.Check() == nil {
		t.Error("a 5xx passed")
	}
	noDenial := good
	noDenial.Result.ByDecision = map[string]int64{"allowed": 1, "patched": 1}
	if noDenial.Check() == nil {
		t.Error("a mix without denials passed")
	}
}
