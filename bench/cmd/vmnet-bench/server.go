package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// serverArm is one server-level target: the floor, the floor answering
// vmnet-webhook's patch, /mutate or /validate.
type serverArm struct {
	name string // floor, floor+patch, mutate, validate
	srv  *framework.Webhook
	path string
}

// baselineSuffix marks the arms served by the baseline binary.
const baselineSuffix = "@baseline"

// benchConfig is the rules' configuration on the servers the harness runs,
// whose pod network has IPv6 (see framework.PodIPs).
func benchConfig() config.Config {
	cfg := config.Default()
	cfg.IPv6.PodNetworkIPv6 = true
	return cfg
}

// serverFixtures are the server level's objects: the guide's and the bare
// VM, and the generated VMs with 1, 16 and 256 interfaces.
func serverFixtures(root string) (map[string]loadgen.Fixture, error) {
	fixtures := map[string]loadgen.Fixture{}
	for _, n := range []string{"guide-vm", "bare-vm"} {
		f, err := loadgen.LoadExample(root, n)
		if err != nil {
			return nil, err
		}
		fixtures[n] = f
	}
	for _, n := range []int{1, 16, 256} {
		f := loadgen.GeneratedVM(n)
		fixtures[f.Name] = f
	}
	return fixtures, nil
}

// serverCases builds each arm's request for each fixture, with the answer
// it must get: the floor allows; floor+patch allows with the very bytes of
// vmnet-webhook's patch and no warnings; /mutate and /validate answer what
// the rules answer in process.
func serverCases(cfg config.Config, fixtures map[string]loadgen.Fixture, arms []string) (map[[2]string]*loadgen.Case, error) {
	cases := map[[2]string]*loadgen.Case{}
	for name, f := range fixtures {
		for _, arm := range arms {
			path := webhook.MutatePath
			if strings.TrimSuffix(arm, baselineSuffix) == "validate" {
				path = webhook.ValidatePath
			}
			var e loadgen.Expect
			var err error
			switch arm {
			case "floor", "floor+patch":
				e = loadgen.AllowAll()
			default:
				e, err = loadgen.FromRules(cfg, path, f)
			}
			if err != nil {
				return nil, err
			}
			c, err := loadgen.NewCase(name, path, f, e)
			if err != nil {
				return nil, err
			}
			if arm == "floor+patch" {
				// The patch is computed on the object as the request
				// carries it, which is also what the floor compares.
				patch, err := loadgen.WirePatch(cfg, c)
				if err != nil {
					return nil, err
				}
				c.Expect = loadgen.PatchOnly(patch)
			}
			cases[[2]string{arm, name}] = c
		}
	}
	return cases, nil
}

// cell is one measurement: an arm, a fixture, a connection count, a round.
type cell struct {
	Arm, Fixture string
	Conns, Round int
	Bytes        int
	Result       loadgen.Result
	// CPUPerReq is the server process's CPU time per request.
	CPUPerReq time.Duration
}

type serverRun struct {
	Cells []cell
	// RSS samples of each process over the whole phase, per round.
	RSS map[string][][]int64
	// HWM is each process's VmHWM (peak resident set) at the end.
	HWM map[string]int64
}

// serverProcs names the server processes as the report does.
func serverProcs(servers map[string]*framework.Webhook) map[string]*framework.Webhook {
	procs := map[string]*framework.Webhook{
		"floor":         servers["floor-webhook"],
		"floor+patch":   servers["floor+patch"],
		"vmnet-webhook": servers["vmnet-webhook"],
	}
	if b := servers["baseline"]; b != nil {
		procs["baseline"] = b
	}
	return procs
}

// runServerLevel measures the arms interleaved: for each round, fixture and
// connection count, the arms one after the other, in an order rotated from
// round to round.
func runServerLevel(ctx context.Context, o options, cases map[[2]string]*loadgen.Case, servers map[string]*framework.Webhook) (serverRun, error) {
	procs := serverProcs(servers)
	vmnet := procs["vmnet-webhook"]
	arms := []serverArm{
		{"floor", procs["floor"], webhook.MutatePath},
		{"floor+patch", procs["floor+patch"], webhook.MutatePath},
		{"mutate", vmnet, webhook.MutatePath},
		{"validate", vmnet, webhook.ValidatePath},
	}
	if b := procs["baseline"]; b != nil {
		arms = append(arms,
			serverArm{"mutate" + baselineSuffix, b, webhook.MutatePath},
			serverArm{"validate" + baselineSuffix, b, webhook.ValidatePath})
	}
	type plan struct {
		fixture string
		conns   int
	}
	var plans []plan
	for _, f := range []string{"guide-vm", "bare-vm", "256-nics"} {
		for _, n := range o.conns {
			plans = append(plans, plan{f, n})
		}
	}
	// Scaling: the generated VMs at 8 connections (256 is measured above).
	for _, f := range []string{"1-nics", "16-nics"} {
		plans = append(plans, plan{f, 8})
	}

	out := serverRun{RSS: map[string][][]int64{}, HWM: map[string]int64{}}
	for round := range o.rounds {
		samplers := map[string]*loadgen.Sampler{}
		for name, w := range procs {
			samplers[name] = loadgen.Sample(w.PID(), 100*time.Millisecond)
		}
		order := slices.Clone(arms)
		for range round % len(arms) {
			order = append(order[1:], order[0])
		}
		for _, p := range plans {
			for _, a := range order {
				c := cases[[2]string{a.name, p.fixture}]
				ca, err := a.srv.CAPool()
				if err != nil {
					return out, err
				}
				cpu0, err := loadgen.CPUTime(a.srv.PID())
				if err != nil {
					return out, err
				}
				res, err := loadgen.Run(ctx, loadgen.Options{
					URL: a.srv.URL(), CA: ca, Conns: p.conns, Cases: []*loadgen.Case{c},
					Warmup: o.serverWarmup, Duration: o.serverDuration,
				})
				if err != nil {
					return out, err
				}
				cpu1, err := loadgen.CPUTime(a.srv.PID())
				if err != nil {
					return out, err
				}
				cl := cell{Arm: a.name, Fixture: p.fixture, Conns: p.conns, Round: round, Bytes: len(c.Fixture.Object), Result: res}
				// CPU is counted over warm-up and measurement; so are requests.
				if total := float64(res.Requests) * float64(o.serverWarmup+res.Elapsed) / float64(res.Elapsed); total > 0 {
					cl.CPUPerReq = time.Duration(float64(cpu1-cpu0) / total)
				}
				out.Cells = append(out.Cells, cl)
				o.logf("server round %d %-11s %-9s conns %2d: %7.0f req/s p50 %-10v p99 %-10v cpu/req %-8v errors %d %q",
					round+1, a.name, p.fixture, p.conns, res.RPS(), res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond),
					cl.CPUPerReq.Round(time.Microsecond), res.Errors(), res.FirstErrors)
			}
		}
		for name, s := range samplers {
			samples, err := s.Stop()
			if err != nil {
				return out, fmt.Errorf("%s: %w", name, err)
			}
			out.RSS[name] = append(out.RSS[name], samples)
		}
	}
	for name, w := range procs {
		_, hwm, err := loadgen.Status(w.PID())
		if err != nil {
			return out, err
		}
		out.HWM[name] = hwm
	}
	return out, nil
}

// startServers starts the floor, vmnet-webhook, and the floor answering
// /mutate with vmnet-webhook's patch. That last one serves both levels: at
// server level it picks each fixture's patch by the request's object bytes
// (--patch-for, written from cases: the object as the load generator sends
// it, the patch its check expects); end to end, where the API server's
// objects match none of them, it answers the bare VM's patch to every create
// it applies to (--patch).
func startServers(ctx context.Context, root, dir string, cases map[[2]string]*loadgen.Case, baseline string) (map[string]*framework.Webhook, error) {
	bin := filepath.Join(root, "bin")
	floorPatch := []string{filepath.Join(bin, "vmnet-floor")}
	names := make([]string, 0, len(cases))
	for k := range cases {
		if k[0] == "floor+patch" {
			names = append(names, k[1])
		}
	}
	slices.Sort(names)
	for _, name := range names {
		c := cases[[2]string{"floor+patch", name}]
		if c.Expect.Patch == nil {
			continue // vmnet-webhook patches nothing: neither does the floor
		}
		obj, patch := filepath.Join(dir, name+".object.json"), filepath.Join(dir, name+".patch.json")
		if err := os.WriteFile(obj, c.Object(), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(patch, c.Expect.Patch, 0o600); err != nil {
			return nil, err
		}
		floorPatch = append(floorPatch, "--patch-for", obj+"="+patch)
		if name == "bare-vm" {
			floorPatch = append(floorPatch, "--patch", patch)
		}
	}
	if !slices.Contains(floorPatch, "--patch") {
		return nil, fmt.Errorf("no patch for the bare VM, which the end-to-end floor+patch arm answers")
	}
	starts := map[string][]string{
		"floor-webhook": {filepath.Join(bin, "vmnet-floor")},
		"vmnet-webhook": {filepath.Join(bin, "vmnet-webhook")},
		"floor+patch":   floorPatch,
	}
	if baseline != "" {
		starts["baseline"] = []string{baseline}
	}
	servers := map[string]*framework.Webhook{}
	for arm, args := range starts {
		w, err := framework.StartServer(ctx, dir, args[0], args[1:]...)
		if err != nil {
			for _, s := range servers {
				s.Stop()
			}
			return nil, err
		}
		servers[arm] = w
	}
	return servers, nil
}
