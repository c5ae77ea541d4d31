package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

type report struct {
	Options     options
	Started     time.Time
	Elapsed     time.Duration
	Machine     string
	LoadBefore  string
	LoadAfter   string
	KubeVersion string
	IdleRSS     map[string]int64
	Server      serverRun
	E2E         []e2eCell
}

func statusOf(w *framework.Webhook) (rss, hwm int64, err error) { return loadgen.Status(w.PID()) }

func describeMachine() string {
	model, cores := "unknown CPU", 0
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			switch strings.TrimSpace(k) {
			case "model name":
				model = strings.TrimSpace(v)
			case "processor":
				cores++
			}
		}
		f.Close()
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs (nproc %d), %s RAM, %s/%s", model, cores, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// agg is the medians over rounds of one arm at one setting.
type agg struct {
	rps            float64
	p50, p99, cpu  time.Duration
	requests, errs int64
	bytes          int
	// End to end: the API server's admission steps per create.
	admit, validate time.Duration
}

func aggregate(rs []loadgen.Result, cpu []time.Duration) agg {
	var a agg
	var rps []float64
	var p50, p99 []time.Duration
	for _, r := range rs {
		rps = append(rps, r.RPS())
		p50, p99 = append(p50, r.P50), append(p99, r.P99)
		a.requests += r.Requests
		a.errs += r.Errors()
	}
	a.rps, a.p50, a.p99, a.cpu = median(rps), median(p50), median(p99), median(cpu)
	return a
}

func (r *report) serverAgg(arm, fixture string, conns int) (agg, bool) {
	var rs []loadgen.Result
	var cpu []time.Duration
	bytes := 0
	for _, c := range r.Server.Cells {
		if c.Arm == arm && c.Fixture == fixture && c.Conns == conns {
			rs, cpu, bytes = append(rs, c.Result), append(cpu, c.CPUPerReq), c.Bytes
		}
	}
	a := aggregate(rs, cpu)
	a.bytes = bytes
	return a, len(rs) > 0
}

func (r *report) e2eAgg(arm string, clients int) (agg, bool) {
	var rs []loadgen.Result
	var admit, validate []time.Duration
	for _, c := range r.E2E {
		if c.Arm == arm && c.Clients == clients {
			rs = append(rs, c.Result)
			admit, validate = append(admit, c.Admit), append(validate, c.Validate)
		}
	}
	a := aggregate(rs, nil)
	a.admit, a.validate = median(admit), median(validate)
	return a, len(rs) > 0
}

// serverRatio is the median over rounds of arm's req/s over base's in the
// same round: the two ran one after the other, so each ratio compares runs
// under the same load from the rest of the machine.
func (r *report) serverRatio(arm, base, fixture string, conns int) float64 {
	rps := map[string]map[int]float64{}
	for _, c := range r.Server.Cells {
		if c.Fixture == fixture && c.Conns == conns && (c.Arm == arm || c.Arm == base) {
			if rps[c.Arm] == nil {
				rps[c.Arm] = map[int]float64{}
			}
			rps[c.Arm][c.Round] = c.Result.RPS()
		}
	}
	var ratios []float64
	for round, b := range rps[base] {
		if a, ok := rps[arm][round]; ok && b > 0 {
			ratios = append(ratios, a/b)
		}
	}
	return median(ratios)
}

// e2eRatio is the same for the end-to-end arms; which is "rps" or "p99".
func (r *report) e2eRatio(arm, base string, clients int, which string) float64 {
	v := map[string]map[int]float64{}
	for _, c := range r.E2E {
		if c.Clients == clients && (c.Arm == arm || c.Arm == base) {
			if v[c.Arm] == nil {
				v[c.Arm] = map[int]float64{}
			}
			x := c.Result.RPS()
			if which == "p99" {
				x = float64(c.Result.P99)
			}
			v[c.Arm][c.Round] = x
		}
	}
	var ratios []float64
	for round, b := range v[base] {
		if a, ok := v[arm][round]; ok && b > 0 {
			ratios = append(ratios, a/b)
		}
	}
	return median(ratios)
}

func (r *report) errors() int64 {
	var n int64
	for _, c := range r.Server.Cells {
		n += c.Result.Errors()
	}
	for _, c := range r.E2E {
		n += c.Result.Errors()
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond)) }
func mib(b int64) string        { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (r *report) kubeVersion() string {
	var v struct {
		ServerVersion struct{ GitVersion string } `json:"serverVersion"`
	}
	if json.Unmarshal([]byte(r.KubeVersion), &v) != nil || v.ServerVersion.GitVersion == "" {
		return "not measured"
	}
	return v.ServerVersion.GitVersion
}

func (r *report) markdown(command string) string {
	o := r.Options
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	maxConns := slices.Max(o.conns)
	maxClients := slices.Max(o.clients)

	p("# Benchmarks")
	p("")
	p("Written by `%s` on %s, in %v. Every number below was measured in that run;", command, r.Started.Format("2006-01-02 15:04 UTC"), r.Elapsed.Round(time.Second))
	p("nothing is carried over from elsewhere. Re-run `make bench` to measure your machine.")
	p("")
	p("- Machine: %s; load average %s before the run and %s after. Absolute numbers vary with", r.Machine, r.LoadBefore, r.LoadAfter)
	p("  whatever else the machine runs; the ratios compare arms measured")
	p("  side by side (interleaved, %d rounds, medians over rounds), which is what the targets are about.", o.rounds)
	p("- Go %s; Kubernetes %s (kube-apiserver built from source by `make e2e-tools`); etcd with `--unsafe-no-fsync`.", runtime.Version(), r.kubeVersion())
	p("- The load generator and the server share the machine: both compete for its cores.")
	p("- **Floor**: `bin/vmnet-floor`, the `webhook` package's server (same TLS, request checks, AdmissionReview decoding,")
	p("  metrics and one JSON log line per request as `vmnet-webhook serve`) with rules that allow everything: what any")
	p("  Go webhook on this stack costs. vmnet-webhook's cost above it is the rules'.")
	p("- **floor+patch**: the same floor answering `/mutate` with the very bytes of the patch vmnet-webhook answers")
	p("  each object (and no warnings). A mutating webhook must send a patch; this arm costs what sending it costs,")
	p("  without the rules, so `/mutate` is compared with it as well as with the plain floor.")
	p("- Every answer was checked (decision, denial message, exact patch, warnings; stored objects end to end);")
	p("  wrong answers and errors: **%d**.", r.errors())
	p("")

	p("## Server level")
	p("")
	p("N keep-alive HTTPS connections (HTTP/1.1, as the API server calls webhooks), each sending one AdmissionReview")
	p("(CREATE of a VirtualMachine) at a time; %v warm-up and %v measured per run. `cpu/req` is the server process's", o.serverWarmup, o.serverDuration)
	p("CPU time (user+system, from /proc) per request. Fixtures: `guide-vm` (examples/guide-vm.yaml: patched),")
	p("`bare-vm` (examples/bare-vm.yaml: every mutation), `256-nics` (generated, the CRD's maximum of interfaces).")
	p("")
	p("Arms: `floor` (the floor's /mutate, no patch), `floor+patch` (the floor's /mutate answering vmnet-webhook's")
	p("patch for that fixture, byte for byte, picked by comparing the request's object bytes: `vmnet-floor --patch-for`),")
	p("and vmnet-webhook's `/mutate` and `/validate`.")
	p("`req/s vs floor` is the median over rounds of the arm's req/s over the floor's in the same round (paired: the")
	p("arms of a round ran back to back); `req/s vs floor+patch` is the same against floor+patch (for the arms that")
	p("send a patch); `cpu vs floor` is the floor's CPU per request over the arm's (1.00 = as cheap as the floor).")
	p("The other columns are medians over rounds.")
	p("")
	p("| fixture | conns | arm | req/s | p50 ms | p99 ms | cpu/req µs | req/s vs floor | req/s vs floor+patch | cpu vs floor |")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, f := range []string{"guide-vm", "bare-vm", "256-nics"} {
		for _, n := range o.conns {
			fl, _ := r.serverAgg("floor", f, n)
			for _, arm := range o.serverArms() {
				a, ok := r.serverAgg(arm, f, n)
				if !ok {
					continue
				}
				vsPatch := "–"
				if arm == "floor+patch" || strings.HasPrefix(arm, "mutate") {
					vsPatch = fmt.Sprintf("%.2f", r.serverRatio(arm, "floor+patch", f, n))
				}
				p("| %s | %d | %s | %.0f | %s | %s | %s | %.2f | %s | %.2f |", f, n, arm, a.rps, ms(a.p50), ms(a.p99), us(a.cpu),
					r.serverRatio(arm, "floor", f, n), vsPatch, float64(fl.cpu)/float64(a.cpu))
			}
		}
	}
	p("")

	p("## End to end")
	p("")
	if len(r.E2E) == 0 {
		p("Not run (`-skip-e2e`).")
	} else {
		p("VirtualMachine creates (examples/bare-vm.yaml, stored in etcd) through the harness's kube-apiserver from N")
		p("concurrent clients, each on its own keep-alive connection; %v warm-up and %v measured per run. Arms:", o.e2eWarmup, o.e2eDuration)
		p("no admission; the floor registered as both the mutating and the validating webhooks (the configurations of")
		p("manifests/base, pointed at loopback); `floor+patch`, the floor answering /mutate with the very patch")
		p("vmnet-webhook gives this VM (what the API server spends applying that patch and storing the larger object,")
		p("without the rules); vmnet-webhook; the CEL policies of manifests/cel (which add the interface and network")
		baselineArm := ""
		if o.baseline != "" {
			baselineArm = "; `baseline`, the baseline binary registered as vmnet-webhook is"
		}
		p("but no cloud-init volume)%s. Every stored object was checked against what its arm must store. `admit ms` and", baselineArm)
		p("`validate ms` are the API server's own mean time per create in its mutating and validating admission steps")
		p("(apiserver_admission_step_admission_duration_seconds). Ratios are paired per round, medians over rounds.")
		p("")
		p("| clients | arm | creates/s | p50 ms | p99 ms | admit ms | validate ms | vs floor-webhook | vs CEL |")
		p("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
		for _, n := range o.clients {
			for _, arm := range o.e2eArms() {
				a, ok := r.e2eAgg(arm, n)
				if !ok {
					continue
				}
				p("| %d | %s | %.1f | %s | %s | %s | %s | %.2f | %.2f |", n, arm, a.rps, ms(a.p50), ms(a.p99), ms(a.admit), ms(a.validate),
					r.e2eRatio(arm, "floor-webhook", n, "rps"), r.e2eRatio(arm, "cel-policies", n, "rps"))
			}
		}
	}
	p("")

	p("## Memory")
	p("")
	p("Resident set (VmRSS) of each server process, sampled every 100 ms from /proc during the server-level runs")
	p("(each process under load during its own arms' runs). Peak is the largest sample (VmHWM, the kernel's own")
	p("high-water mark, in brackets); steady is the median sample of the last round.")
	p("")
	p("| process | idle MiB | peak MiB | steady MiB | median per round MiB |")
	p("|---|---:|---:|---:|---|")
	peak := map[string]int64{}
	growth := map[string]float64{}
	for _, name := range []string{"floor", "floor+patch", "vmnet-webhook", "baseline"} {
		rounds, ok := r.Server.RSS[name]
		if !ok {
			continue
		}
		var perRound []string
		var medians []int64
		for _, s := range rounds {
			for _, x := range s {
				peak[name] = max(peak[name], x)
			}
			m := median(s)
			medians = append(medians, m)
			perRound = append(perRound, mib(m))
		}
		steady := int64(0)
		if len(rounds) > 0 {
			steady = median(rounds[len(rounds)-1])
		}
		if len(medians) > 0 && medians[0] > 0 {
			growth[name] = float64(medians[len(medians)-1]) / float64(medians[0])
		}
		p("| %s | %s | %s (%s) | %s | %s |", name, mib(r.IdleRSS[name]), mib(peak[name]), mib(r.Server.HWM[name]), mib(steady), strings.Join(perRound, ", "))
	}
	p("")

	if o.baseline != "" {
		p("## Against the baseline")
		p("")
		p("The baseline is vmnet-webhook built from %s (`%s`), served beside this build and measured in the", cmp.Or(o.baselineRev, "another commit"), o.baseline)
		p("same rounds, with the same fixtures and the same checks of every answer. Each ratio is this build's req/s")
		p("over the baseline's (or the baseline's CPU per request over this build's), paired per round, median over rounds.")
		p("")
		p("| fixture | conns | mutate req/s vs baseline | validate req/s vs baseline | mutate cpu vs baseline | validate cpu vs baseline |")
		p("|---|---:|---:|---:|---:|---:|")
		for _, f := range []string{"guide-vm", "bare-vm", "256-nics"} {
			for _, n := range o.conns {
				m, _ := r.serverAgg("mutate"+baselineSuffix, f, n)
				v, _ := r.serverAgg("validate"+baselineSuffix, f, n)
				mn, _ := r.serverAgg("mutate", f, n)
				vn, _ := r.serverAgg("validate", f, n)
				p("| %s | %d | %.2f | %.2f | %.2f | %.2f |", f, n,
					r.serverRatio("mutate", "mutate"+baselineSuffix, f, n), r.serverRatio("validate", "validate"+baselineSuffix, f, n),
					float64(m.cpu)/float64(mn.cpu), float64(v.cpu)/float64(vn.cpu))
			}
		}
		p("")
		if len(r.E2E) > 0 {
			p("End to end, the `baseline` arm is paired with vmnet-webhook the same way (creates/s and p99 of this build over the baseline's):")
			p("")
			p("| clients | creates/s vs baseline | p99 vs baseline |")
			p("|---:|---:|---:|")
			for _, n := range o.clients {
				p("| %d | %.2f | %.2f |", n, r.e2eRatio("vmnet-webhook", "baseline", n, "rps"), r.e2eRatio("vmnet-webhook", "baseline", n, "p99"))
			}
			p("")
		}
	}

	p("## Scaling")
	p("")
	p("Cost per request against the number of interfaces (generated VMs, 8 connections): server CPU per request,")
	p("and the rules' share (vmnet-webhook's minus the floor's) per KiB of object. floor+patch is the floor sending")
	p("vmnet-webhook's patch for that VM.")
	p("")
	p("| interfaces | object bytes | floor cpu/req µs | floor+patch µs | mutate µs | validate µs | mutate rules µs/KiB | validate rules µs/KiB |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range []int{1, 16, 256} {
		f := fmt.Sprintf("%d-nics", n)
		fl, ok := r.serverAgg("floor", f, 8)
		if !ok {
			continue
		}
		fp, _ := r.serverAgg("floor+patch", f, 8)
		m, _ := r.serverAgg("mutate", f, 8)
		v, _ := r.serverAgg("validate", f, 8)
		kib := float64(fl.bytes) / 1024
		p("| %d | %d | %s | %s | %s | %s | %.1f | %.1f |", n, fl.bytes, us(fl.cpu), us(fp.cpu), us(m.cpu), us(v.cpu),
			float64(m.cpu-fl.cpu)/float64(time.Microsecond)/kib, float64(v.cpu-fl.cpu)/float64(time.Microsecond)/kib)
	}
	p("")

	p("## Targets and bounds")
	p("")
	p("Each ratio is the median over rounds of the paired ratio (the two arms measured back to back in the same")
	p("round), at the largest connection or client count run (%d connections, %d clients).", maxConns, maxClients)
	p("")
	p("| target | measured | |")
	p("|---|---|---|")
	server := func(target, arm, base, f string, atLeast float64, extra string) {
		x := r.serverRatio(arm, base, f, maxConns)
		p("| %s, %s, %d conns | %.2f%s | %s |", target, f, maxConns, x, extra, verdict(x >= atLeast))
	}
	for _, f := range []string{"guide-vm", "bare-vm"} {
		server("/validate ≥ 0.90 × floor req/s", "validate", "floor", f, 0.90, "")
	}
	for _, f := range []string{"guide-vm", "bare-vm"} {
		server("/mutate ≥ 0.90 × floor+patch req/s", "mutate", "floor+patch", f, 0.90, "")
	}
	for _, f := range []string{"guide-vm", "bare-vm"} {
		server("/mutate ≥ 0.75 × floor req/s", "mutate", "floor", f, 0.75, "")
	}
	server("/mutate ≥ 0.70 × floor req/s", "mutate", "floor", "256-nics", 0.70,
		fmt.Sprintf(" (vs floor+patch: %.2f)", r.serverRatio("mutate", "floor+patch", "256-nics", maxConns)))
	server("/validate ≥ 0.70 × floor req/s", "validate", "floor", "256-nics", 0.70, "")
	// Issue 20's bounds for the one typed reading.
	server("/validate ≥ 0.85 × floor req/s (bound)", "validate", "floor", "guide-vm", 0.85, "")
	server("/mutate ≥ 0.85 × floor req/s (bound)", "mutate", "floor", "guide-vm", 0.85, "")
	server("/mutate ≥ 0.85 × floor+patch req/s (bound)", "mutate", "floor+patch", "guide-vm", 0.85, "")
	server("/mutate ≥ 0.45 × floor req/s (bound)", "mutate", "floor", "256-nics", 0.45, "")
	server("/validate ≥ 0.45 × floor req/s (bound)", "validate", "floor", "256-nics", 0.45, "")
	e2eTargets := []string{
		"end to end creates/s ≥ 0.95 × floor-webhook",
		"end to end creates/s ≥ 1.0 × CEL",
		"end to end p99 ≤ floor-webhook's",
		"end to end p99 ≤ CEL's",
	}
	if len(r.E2E) == 0 {
		for _, t := range e2eTargets {
			p("| %s | not run (`-skip-e2e`) | not measured |", t)
		}
	} else {
		vf, vc := r.e2eRatio("vmnet-webhook", "floor-webhook", maxClients, "rps"), r.e2eRatio("vmnet-webhook", "cel-policies", maxClients, "rps")
		pf := r.e2eRatio("vmnet-webhook", "floor+patch", maxClients, "rps")
		p99f, p99c := r.e2eRatio("vmnet-webhook", "floor-webhook", maxClients, "p99"), r.e2eRatio("vmnet-webhook", "cel-policies", maxClients, "p99")
		vsBaseline := ""
		if o.baseline != "" {
			vsBaseline = fmt.Sprintf("; vs baseline: %.2f", r.e2eRatio("vmnet-webhook", "baseline", maxClients, "rps"))
		}
		p("| %s, %d clients | %.2f (vs floor+patch: %.2f%s) | %s |", e2eTargets[0], maxClients, vf, pf, vsBaseline, verdict(vf >= 0.95))
		p("| %s, %d clients | %.2f | %s |", e2eTargets[1], maxClients, vc, verdict(vc >= 1.0))
		p("| %s, %d clients | %.2f × floor-webhook's | %s |", e2eTargets[2], maxClients, p99f, verdict(p99f <= 1))
		p("| %s, %d clients | %.2f × CEL's | %s |", e2eTargets[3], maxClients, p99c, verdict(p99c <= 1))
	}
	p("| peak RSS ≤ 1.5 × floor's | %s vs %s MiB (%.2f) | %s |", mib(peak["vmnet-webhook"]), mib(peak["floor"]),
		float64(peak["vmnet-webhook"])/float64(peak["floor"]), verdict(float64(peak["vmnet-webhook"]) <= 1.5*float64(peak["floor"])))
	p("| no RSS growth over rounds (last round's median / first's) | %.2f | %s |", growth["vmnet-webhook"], verdict(growth["vmnet-webhook"] <= 1.10))
	p("")
	return b.String()
}
