// Package e2eload creates VirtualMachines through a real kube-apiserver from
// N concurrent clients, each on its own keep-alive connection, and checks
// every stored object: the end-to-end arm of the benchmarks.
package e2eload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
)

// Options of one run.
type Options struct {
	Config    *rest.Config
	Namespace string
	Clients   int
	// Object is the VM to create, as JSON; its metadata.name is replaced.
	Object   []byte
	Warmup   time.Duration
	Duration time.Duration
	// Check is given each stored object as the API server returned it.
	Check func(stored []byte) error
}

// Run creates VMs for o.Warmup + o.Duration; only creates after the warm-up
// are measured, all are checked.
func Run(ctx context.Context, o Options, prefix string) (loadgen.Result, error) {
	tlsCfg, err := rest.TLSConfigFor(o.Config)
	if err != nil {
		return loadgen.Result{}, err
	}
	var obj map[string]any
	if err := json.Unmarshal(o.Object, &obj); err != nil {
		return loadgen.Result{}, err
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		return loadgen.Result{}, fmt.Errorf("object has no metadata")
	}
	meta["name"] = "@@NAME@@"
	meta["namespace"] = o.Namespace
	body, _ := json.Marshal(obj)
	head, tail, _ := bytes.Cut(body, []byte("@@NAME@@"))
	url := o.Config.Host + "/apis/kubevirt.io/v1/namespaces/" + o.Namespace + "/virtualmachines"

	var (
		mu        sync.Mutex
		res       = loadgen.Result{ByDecision: map[string]int64{}}
		lats      []time.Duration
		measuring atomic.Bool
		seq       atomic.Int64
	)
	fail := func(kind *int64, msg string) {
		mu.Lock()
		defer mu.Unlock()
		*kind++
		if len(res.FirstErrors) < 5 {
			res.FirstErrors = append(res.FirstErrors, msg)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tc := tlsCfg.Clone()
			tc.NextProtos = []string{"http/1.1"}
			tr := &http.Transport{TLSClientConfig: tc, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			var mine []time.Duration
			for ctx.Err() == nil {
				name := prefix + "-" + strconv.FormatInt(seq.Add(1), 36)
				b := slices.Concat(head, []byte(name), tail)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(&res.TransportErrors, err.Error())
					}
					continue
				}
				answer, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(start)
				switch {
				case err != nil:
					if ctx.Err() == nil {
						fail(&res.TransportErrors, err.Error())
					}
					continue
				case resp.StatusCode >= 500:
					fail(&res.ServerErrors, fmt.Sprintf("%s: %.300s", resp.Status, answer))
					continue
				case resp.StatusCode != http.StatusCreated:
					fail(&res.StatusErrors, fmt.Sprintf("%s: %.300s", resp.Status, answer))
					continue
				}
				if err := o.Check(answer); err != nil {
					fail(&res.WrongAnswers, err.Error())
					continue
				}
				if measuring.Load() && ctx.Err() == nil {
					mine = append(mine, d)
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	select {
	case <-time.After(o.Warmup):
	case <-ctx.Done():
	}
	measuring.Store(true)
	start := time.Now()
	select {
	case <-time.After(o.Duration):
	case <-ctx.Done():
	}
	res.Elapsed = time.Since(start)
	cancel()
	wg.Wait()
	slices.Sort(lats)
	res.Requests = int64(len(lats))
	res.ByDecision["created"] = res.Requests
	res.P50, res.P99 = loadgen.Percentile(lats, 0.5), loadgen.Percentile(lats, 0.99)
	return res, nil
}

// DeleteAll removes the VMs of a namespace, outside the measurement, so
// that etcd does not grow from arm to arm.
func DeleteAll(ctx context.Context, cfg *rest.Config, namespace string) error {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete,
		cfg.Host+"/apis/kubevirt.io/v1/namespaces/"+namespace+"/virtualmachines", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("delete VMs in %s: %s: %.300s", namespace, resp.Status, b)
	}
	return nil
}

// VMShape is what Check functions look at in a stored VM.
type VMShape struct {
	Interfaces []map[string]any
	Networks   []map[string]any
	Volumes    []string
}

// Shape reads a stored VM.
func Shape(stored []byte) (VMShape, error) {
	var vm struct {
		Spec struct {
			Template struct {
				Spec struct {
					Domain struct {
						Devices struct {
							Interfaces []map[string]any `json:"interfaces"`
						} `json:"devices"`
					} `json:"domain"`
					Networks []map[string]any `json:"networks"`
					Volumes  []struct {
						Name string `json:"name"`
					} `json:"volumes"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(stored, &vm); err != nil {
		return VMShape{}, err
	}
	s := vm.Spec.Template.Spec
	out := VMShape{Interfaces: s.Domain.Devices.Interfaces, Networks: s.Networks}
	for _, v := range s.Volumes {
		out.Volumes = append(out.Volumes, v.Name)
	}
	return out, nil
}
