package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// serverArm is one server-level target: the floor, /mutate or /validate.
type serverArm struct {
	name string // floor, mutate, validate
	srv  *framework.Webhook
	path string
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

// runServerLevel measures the arms interleaved: for each round, fixture and
// connection count, the three arms one after the other, in an order rotated
// from round to round.
func runServerLevel(ctx context.Context, o options, root string, floor, vmnet *framework.Webhook) (serverRun, error) {
	cfg := config.Default()
	cfg.IPv6.PodNetworkIPv6 = true // as the harness's servers, see framework.PodIPs
	fixtures := map[string]loadgen.Fixture{}
	for _, n := range []string{"guide-vm", "bare-vm"} {
		f, err := loadgen.LoadExample(root, n)
		if err != nil {
			return serverRun{}, err
		}
		fixtures[n] = f
	}
	for _, n := range []int{1, 16, 256} {
		f := loadgen.GeneratedVM(n)
		fixtures[f.Name] = f
	}
	arms := []serverArm{{"floor", floor, webhook.MutatePath}, {"mutate", vmnet, webhook.MutatePath}, {"validate", vmnet, webhook.ValidatePath}}
	cases := map[[2]string]*loadgen.Case{}
	for name, f := range fixtures {
		for _, a := range arms {
			e := loadgen.AllowAll()
			if a.name != "floor" {
				var err error
				if e, err = loadgen.FromRules(cfg, a.path, f); err != nil {
					return serverRun{}, err
				}
			}
			c, err := loadgen.NewCase(name, a.path, f, e)
			if err != nil {
				return serverRun{}, err
			}
			cases[[2]string{a.name, name}] = c
		}
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
	procs := map[string]*framework.Webhook{"floor": floor, "vmnet-webhook": vmnet}
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
				o.logf("server round %d %-8s %-9s conns %2d: %7.0f req/s p50 %-10v p99 %-10v cpu/req %-8v errors %d %q",
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
// /mutate with the patch vmnet-webhook gives the bare VM (end to end only).
func startServers(ctx context.Context, root, dir string) (map[string]*framework.Webhook, error) {
	bin := filepath.Join(root, "bin")
	f, err := loadgen.LoadExample(root, "bare-vm")
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.IPv6.PodNetworkIPv6 = true // as the harness's servers, see framework.PodIPs
	res := rules.Mutate(cfg, rules.Request{Kind: f.Kind, Operation: rules.Create, Object: f.Object})
	patch, err := webhook.MarshalPatch(res.Patch)
	if err != nil {
		return nil, err
	}
	patchFile := filepath.Join(dir, "bare-vm.patch.json")
	if err := os.WriteFile(patchFile, patch, 0o600); err != nil {
		return nil, err
	}
	servers := map[string]*framework.Webhook{}
	for arm, args := range map[string][]string{
		"floor-webhook": {filepath.Join(bin, "vmnet-floor")},
		"vmnet-webhook": {filepath.Join(bin, "vmnet-webhook")},
		"floor+patch":   {filepath.Join(bin, "vmnet-floor"), "--patch", patchFile},
	} {
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
