package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/vmnet-webhook/vmnet-webhook/bench/cel"
	"github.com/vmnet-webhook/vmnet-webhook/bench/e2eload"
	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// e2eArms are the end-to-end arms, in their first round's order; with a
// baseline binary, "baseline" is that binary registered as vmnet-webhook is.
func (o options) e2eArms() []string {
	arms := []string{"none", "floor-webhook", "floor+patch", "vmnet-webhook", "cel-policies"}
	if o.baseline != "" {
		arms = append(arms, "baseline")
	}
	return arms
}

// webhookArm reports whether arm is served by one of the webhook servers.
func webhookArm(arm string) bool {
	return arm == "floor-webhook" || arm == "floor+patch" || arm == "vmnet-webhook" || arm == "baseline"
}

const benchNamespace = "bench"

var (
	defaultInterfaces = []map[string]any{{"name": "default", "masquerade": map[string]any{}}}
	defaultNetworks   = []map[string]any{{"name": "default", "pod": map[string]any{}}}
)

// expectShape is what each arm stores for the bare VM: nothing added
// without a mutation, the default interface and network from the CEL
// policy, and the IPv6 cloud-init volume as well from the webhook.
func expectShape(arm string, s e2eload.VMShape) error {
	var wantIf, wantNet []map[string]any
	wantVol := []string{"containerdisk"}
	switch arm {
	case "vmnet-webhook", "floor+patch", "baseline":
		wantIf, wantNet, wantVol = defaultInterfaces, defaultNetworks, []string{"containerdisk", "cloudinitdisk"}
		// The NIC's MAC, which the guest config is matched by, is drawn
		// from each VM's name (floor+patch repeats the one it was given).
		if len(s.Interfaces) == 1 {
			if _, ok := s.Interfaces[0]["macAddress"].(string); !ok {
				return fmt.Errorf("%s: stored interface %v has no macAddress", arm, s.Interfaces[0])
			}
			s.Interfaces = []map[string]any{maps.Clone(s.Interfaces[0])}
			delete(s.Interfaces[0], "macAddress")
		}
	case "cel-policies":
		wantIf, wantNet = defaultInterfaces, defaultNetworks
	}
	if len(s.Interfaces)+len(wantIf) > 0 && !reflect.DeepEqual(s.Interfaces, wantIf) ||
		len(s.Networks)+len(wantNet) > 0 && !reflect.DeepEqual(s.Networks, wantNet) ||
		!slices.Equal(s.Volumes, wantVol) {
		return fmt.Errorf("%s: stored interfaces %v, networks %v, volumes %v; want %v, %v, %v",
			arm, s.Interfaces, s.Networks, s.Volumes, wantIf, wantNet, wantVol)
	}
	return nil
}

type e2eCell struct {
	Arm     string
	Clients int
	Round   int
	Result  loadgen.Result
	// Admit and Validate are the API server's mean time in the mutating
	// and validating admission steps per create, from its own metrics.
	Admit, Validate time.Duration
}

type e2eEnv struct {
	cp      *framework.ControlPlane
	servers map[string]*framework.Webhook // by arm
	celOn   bool
	hooks   string // "" or the webhook arm registered
	object  []byte
	hc      *http.Client
}

// switchTo installs arm's admission and waits until the API server applies
// exactly it (three dry-run creates in a row stored as the arm stores them,
// calling only the arm's webhook server).
func (e *e2eEnv) switchTo(ctx context.Context, arm string) error {
	wantHooks := ""
	if webhookArm(arm) {
		wantHooks = arm
	}
	if e.celOn && arm != "cel-policies" {
		if err := cel.Uninstall(ctx, e.cp); err != nil {
			return err
		}
		e.celOn = false
	}
	if e.hooks != wantHooks {
		var err error
		if wantHooks == "" {
			err = e.cp.UnregisterWebhooks(ctx)
		} else {
			err = e.cp.RegisterWebhooks(ctx, e.servers[wantHooks])
		}
		if err != nil {
			return err
		}
		e.hooks = wantHooks
	}
	if arm == "cel-policies" && !e.celOn {
		if err := cel.Install(ctx, e.cp); err != nil {
			return err
		}
		e.celOn = true
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last error
	for ok := 0; ok < 3; {
		last = e.probe(ctx, arm)
		if last == nil {
			ok++
			continue
		}
		ok = 0
		select {
		case <-ctx.Done():
			return fmt.Errorf("switching to %s: %v", arm, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

func (e *e2eEnv) probe(ctx context.Context, arm string) error {
	before, err := e.calls(ctx)
	if err != nil {
		return err
	}
	body := bytes.Replace(e.object, []byte(`"name":"bare-vm"`), []byte(`"name":"probe"`), 1)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		e.cp.URL+"/apis/kubevirt.io/v1/namespaces/"+benchNamespace+"/virtualmachines?dryRun=All", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("dry-run create: %s: %.300s", resp.Status, answer)
	}
	s, err := e2eload.Shape(answer)
	if err != nil {
		return err
	}
	if err := expectShape(arm, s); err != nil {
		return err
	}
	after, err := e.calls(ctx)
	if err != nil {
		return err
	}
	for name, n := range after {
		if called := n > before[name]; called != (name == arm) {
			return fmt.Errorf("%s: %s called: %v", arm, name, called)
		}
	}
	return nil
}

// calls sums each webhook server's requests over both paths.
func (e *e2eEnv) calls(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	for name, w := range e.servers {
		m, err := w.Requests(ctx)
		if err != nil {
			return nil, err
		}
		out[name] = m["/mutate"] + m["/validate"]
	}
	return out, nil
}

// runEndToEnd measures VM creates through the API server, the arms
// interleaved: each round runs every arm (order rotated per round) at each
// client count.
func runEndToEnd(ctx context.Context, o options, root string, servers map[string]*framework.Webhook) ([]e2eCell, string, error) {
	cp, err := framework.Start(ctx, framework.Options{})
	if err != nil {
		return nil, "", err
	}
	defer cp.Stop()
	version, _, err := cp.Kubectl(ctx, "", "version", "-o", "json")
	if err != nil {
		return nil, "", fmt.Errorf("kubectl version: %v", err)
	}
	if _, stderr, err := cp.Kubectl(ctx, "", "create", "namespace", benchNamespace); err != nil {
		return nil, "", fmt.Errorf("create namespace: %v: %s", err, stderr)
	}
	f, err := loadgen.LoadExample(root, "bare-vm")
	if err != nil {
		return nil, "", err
	}
	hc, err := rest.HTTPClientFor(cp.Config)
	if err != nil {
		return nil, "", err
	}
	env := &e2eEnv{cp: cp, servers: servers, object: f.Object, hc: hc}
	defer func() {
		// The webhook servers outlive the control plane: unregister first.
		_ = cp.UnregisterWebhooks(context.Background())
	}()

	var cells []e2eCell
	for round := range o.rounds {
		order := o.e2eArms()
		for range round % len(order) {
			order = append(order[1:], order[0])
		}
		for _, arm := range order {
			if err := env.switchTo(ctx, arm); err != nil {
				return cells, version, err
			}
			for _, n := range o.clients {
				before, err := admissionSteps(ctx, hc, cp.URL)
				if err != nil {
					return cells, version, err
				}
				res, err := e2eload.Run(ctx, e2eload.Options{
					Config: cp.Config, Namespace: benchNamespace, Clients: n, Object: f.Object,
					Warmup: o.e2eWarmup, Duration: o.e2eDuration,
					Check: func(stored []byte) error {
						s, err := e2eload.Shape(stored)
						if err != nil {
							return err
						}
						return expectShape(arm, s)
					},
				}, fmt.Sprintf("r%d-%s-%d", round, strings.NewReplacer("+", "", "-", "").Replace(arm), n))
				if err != nil {
					return cells, version, err
				}
				after, err := admissionSteps(ctx, hc, cp.URL)
				if err != nil {
					return cells, version, err
				}
				cl := e2eCell{Arm: arm, Clients: n, Round: round, Result: res,
					Admit: after.mean("admit", before), Validate: after.mean("validate", before)}
				cells = append(cells, cl)
				o.logf("e2e round %d %-14s clients %2d: %6.1f creates/s p50 %-10v p99 %-10v admit %-9v validate %-9v errors %d %q",
					round+1, arm, n, res.RPS(), res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond),
					cl.Admit.Round(time.Microsecond), cl.Validate.Round(time.Microsecond), res.Errors(), res.FirstErrors)
				if err := e2eload.DeleteAll(ctx, cp.Config, benchNamespace); err != nil {
					return cells, version, err
				}
			}
		}
	}
	return cells, version, nil
}

// steps holds the API server's apiserver_admission_step_admission_duration_seconds
// sums and counts for CREATE, by type (admit, validate).
type steps map[string][2]float64

func admissionSteps(ctx context.Context, hc *http.Client, base string) (steps, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("API server /metrics: %s", resp.Status)
	}
	out := steps{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	const name = "apiserver_admission_step_admission_duration_seconds_"
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), name)
		if !ok || !strings.Contains(line, `operation="CREATE"`) {
			continue
		}
		kind, rest, _ := strings.Cut(line, "{")
		if kind != "sum" && kind != "count" {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		for _, typ := range []string{"admit", "validate"} {
			if strings.Contains(labels, `type="`+typ+`"`) {
				e := out[typ]
				if kind == "sum" {
					e[0] += v
				} else {
					e[1] += v
				}
				out[typ] = e
			}
		}
	}
	return out, sc.Err()
}

// mean is the mean duration of typ's step since before.
func (s steps) mean(typ string, before steps) time.Duration {
	sum, n := s[typ][0]-before[typ][0], s[typ][1]-before[typ][1]
	if n <= 0 {
		return 0
	}
	return time.Duration(sum / n * float64(time.Second))
}
